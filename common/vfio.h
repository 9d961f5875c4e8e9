/* Handing devices to vfio-pci and back: the plan (which devices, whether
 * the host may let them go), the writes (driver_override, unbind,
 * drivers_probe), verification, all-or-nothing rollback, and the records
 * under /run (what each device was on) and /etc (driverctl's format). */
#ifndef PT_VFIO_H
#define PT_VFIO_H

#include "iommu.h"
#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_RECORD_DIR "/run/passthru-utils/vfio-bind"
#define PT_PERSIST_DIR "/etc/driverctl.d"

struct pt_bind {
	const struct pt_dev *dev;
	int group;
	char before[64];   /* driver before the change, "" for none */
	char after[64];    /* driver after it */
	bool changed;      /* a write was made: rollback must undo it */
	bool unchanged;    /* already where it was asked to be */
};

/* Which devices to bind: the requested ones, widened to every endpoint of
 * their IOMMU groups with `widen`; refused (with the reason in why) when
 * a device has no group (PT_EXIT_UNSUPPORTED), cannot leave the host at
 * all (a bridge, a VMD domain, a PF with VFs), is used by the host without
 * `force` (pt_dev_host_use: every reason of every device named), leaves
 * its group unviable (a bridge on a driver that keeps DMA, or without
 * `widen` another endpoint on a host driver), or, giving back, is held by
 * a running VM (PT_EXIT_REFUSED). Returns a PT_EXIT_ code. */
enum {
	PT_PLAN_WIDEN = 1,          /* --group: every endpoint of each group */
	PT_PLAN_FORCE = 2,          /* --force: take what the host uses */
	PT_PLAN_NO_GROUP_CHECK = 4, /* boot-time apply: siblings come in their own event */
	PT_PLAN_NO_SAFETY = 8,      /* giving back or printing: the host loses nothing */
	PT_PLAN_RELEASE = 16,       /* giving back: refused while a VM holds a device */
};
int pt_vfio_plan(const struct pt_host *h, struct pt_group *groups, size_t ng,
		 struct pt_dev *const *req, size_t nreq, int flags,
		 struct pt_bind **plan, size_t *n, char *why, size_t len);

/* Bind every planned device to vfio-pci. When one fails, every device
 * already changed goes back to its driver and driver_override is cleared;
 * returns 0 or -errno with the reason in err. */
int pt_vfio_bind(struct pt_bind *b, size_t n, char *err, size_t errlen);

/* Return devices to the driver recorded when vfio-bind took them, or to
 * whatever the kernel probes; driver_override is always cleared. */
int pt_vfio_release(struct pt_bind *b, size_t n, char *err, size_t errlen);

/* The driver recorded for a device, "" when none; false when no record. */
bool pt_vfio_record(const char *bdf, char *driver, size_t len);
/* The driver driverctl (or --persist) pins a device to; false if none. */
bool pt_persisted(const char *bdf, char *driver, size_t len);
int pt_persist(const char *bdf, const char *driver);
int pt_unpersist(const char *bdf);

/* The kernel module behind a bound driver ("xhci_hcd" -> "xhci_pci"). */
bool pt_driver_module(const char *driver, char *module, size_t len);

#endif

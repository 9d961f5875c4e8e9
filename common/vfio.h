/* Handing devices to vfio-pci and back: the plan (which devices, whether
 * the host may let them go), the writes (driver_override, unbind,
 * drivers_probe), verification, all-or-nothing rollback, and the records
 * under /run (what each device was on) and /etc (driverctl's format). */
#ifndef PT_VFIO_H
#define PT_VFIO_H

#include "iommu.h"
#include "pcidev.h"
#include "txn.h"

#include <stdbool.h>
#include <stddef.h>


/* One device of a plan. */
struct pt_bind {
	const struct pt_dev *dev;
	int group;
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
	PT_PLAN_NO_IOMMU = 64,      /* the target is no VFIO driver (pciback, pci-stub): no group needed */
	PT_PLAN_HANDOVER = 32,      /* a hand-over: the boot display's card is no reason (handover.h
				     * checks the users of its display) */
};
int pt_vfio_plan(const struct pt_host *h, struct pt_group *groups, size_t ng,
		 struct pt_dev *const *req, size_t nreq, int flags,
		 struct pt_bind **plan, size_t *n, char *why, size_t len);

/* The transaction (txn.h) that binds every planned device to vfio-pci,
 * recording where each was; a file under /etc/driverctl.d per device with
 * `persist`. Returns 0 or -errno (a device gone) with the reason in err. */
int pt_vfio_bind_txn(struct pt_txn *t, const struct pt_bind *b, size_t n, bool persist, char *err,
		     size_t errlen);
/* The same to another target driver (pt_target_ok): pciback for Xen,
 * pci-stub. */
int pt_driver_bind_txn(struct pt_txn *t, const struct pt_bind *b, size_t n, const char *driver, bool persist,
		       char *err, size_t errlen);

/* The drivers devices can be handed to: vfio-pci (QEMU/KVM), pciback
 * (Xen's xen-pciback, for xl), pci-stub (held, for a later bind). */
bool pt_target_ok(const char *driver);
/* Whether a device is on one of them. */
bool pt_on_target(const struct pt_dev *d);
/* The module behind a target driver ("pciback" -> "xen-pciback"). */
const char *pt_target_module(const char *driver);

/* The transaction that gives planned devices back: to the driver recorded
 * when vfio-bind took them, or to whatever the kernel probes when they had
 * none or nothing is recorded; driver_override cleared.
 * Devices not on vfio-pci, with no record and no override, are left out.
 * Returns 0, or an exit code with the reason in err (a record holding no
 * valid driver name). */
int pt_vfio_release_txn(struct pt_txn *t, const struct pt_bind *b, size_t n, bool unpersist, char *err,
			size_t errlen);

/* Files under /etc/driverctl.d for a device, in any spelling driverctl or
 * a hand could give it (pci-01:00.0, pci-0000:00:1F.3); returns how many,
 * their names (not paths) in names (free with pt_free_names). */
int pt_persist_files(const char *bdf, char ***names);
/* The driver the device is persisted to (first line of its file, checked
 * as a name), false when none. */
bool pt_persisted(const char *bdf, char *driver, size_t len);
/* Add the removal of every file of bdf to t. Returns 0 or -errno (a file
 * that cannot be read whole, so could not be restored). */
int pt_unpersist_txn(struct pt_txn *t, const char *bdf);

/* vfio-bind --persist --driver pciback's file, in modprobe.d's words:
 * "options xen-pciback hide=(BDF)(BDF)" and "softdep MODULE pre:
 * xen-pciback" for the drivers that would take them first. */
#define PT_PCIBACK_CONF "/etc/modprobe.d/passthru-pciback.conf"
/* Pure: the addresses (canonical, once each) and softdep modules of such
 * text; returns how many addresses. Format: NULL when n is 0 (no file). */
size_t pt_pciback_conf_parse(const char *text, char (*bdfs)[PT_BDF_LEN], size_t max, char (*mods)[64],
			     size_t maxmods, size_t *nmods);
char *pt_pciback_conf_format(char (*bdfs)[PT_BDF_LEN], size_t n, char (*mods)[64], size_t nmods);

/* The kernel module behind a bound driver ("xhci_hcd" -> "xhci_pci"). */
bool pt_driver_module(const char *driver, char *module, size_t len);

#endif

/* Device resets: what a device offers (the kernel's reset_method and, read
 * independently, config space), what a reset would take with it, and
 * doing one through the kernel, verified. */
#ifndef PT_RESET_H
#define PT_RESET_H

#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_reset_quirk {
	unsigned vendor, first, last;
	const char *family;
	const char *problem;
	const char *remedy;  /* a module name ("vendor-reset"), or NULL: no known fix */
	const char *source;  /* see common/reset_quirks.c */
};
const struct pt_reset_quirk *pt_reset_quirk_find(unsigned vendor, unsigned device, unsigned class16);

enum pt_reset_verdict {
	PT_RESET_ALONE,   /* a function-level method, or a bus reset that touches nothing else */
	PT_RESET_SLOT,    /* only with its slot's other functions (bus reset below its port) */
	PT_RESET_BUS,     /* only by a bus reset that also resets other devices */
	PT_RESET_NONE,    /* no way at all */
	PT_RESET_GONE,    /* config space reads all ones: the device fell off the bus */
};
const char *pt_reset_verdict_name(enum pt_reset_verdict v);

/* The kernel's ways to reset everything below a bridge, in the order
 * --slot prefers them. Each saves and restores every function's state and
 * masks the port's hot-plug events (drivers/pci/pci.c pci_reset_bus). */
enum pt_bus_way {
	PT_BUS_NONE,
	PT_BUS_METHOD,      /* reset_method "bus": offered only to a function alone on its bus */
	PT_BUS_SUBORDINATE, /* the bridge's reset_subordinate attribute */
	PT_BUS_VFIO,        /* VFIO_DEVICE_PCI_HOT_RESET, every function below on vfio-pci */
};
/* "reset_method bus", "reset_subordinate", "vfio hot reset", "none". */
const char *pt_bus_way_name(enum pt_bus_way w);

struct pt_reset_info {
	bool gone;
	bool has_reset_method;      /* the kernel has the attribute (5.15+) */
	char methods[128];          /* its value, "" when the device has none */
	bool has_reset;             /* the plain "reset" attribute exists */
	bool pcie, flr, af, af_flr, pm, no_soft_reset;
	const struct pt_dev *bridge;        /* the bridge whose bus reset would reset it, or NULL */
	const struct pt_dev *below[64];     /* everything else below that bridge */
	size_t nbelow;
	bool below_same_slot;       /* all of them are this device's slot functions */
	enum pt_reset_verdict verdict;
	bool subordinate_attr;      /* the bridge has reset_subordinate (Linux 6.12+) */
	bool all_vfio;              /* the device and everything below the bridge are on vfio-pci */
	bool hotplug_port;          /* the bridge's Slot Capabilities say Hot-Plug Capable */
	enum pt_bus_way bus_way;    /* how --slot resets the bus through the kernel */
	const struct pt_reset_quirk *quirk;
	bool vendor_reset_loaded;   /* /sys/module/vendor_reset */
};

/* Everything --info reports. Reads sysfs and config space (libpci). */
void pt_reset_inspect(const struct pt_host *h, const struct pt_dev *d, struct pt_reset_info *ri);

/* Whether `method` is one the kernel lists for the device. */
bool pt_reset_offers(const struct pt_reset_info *ri, const char *method);

/* Config space words that a good reset leaves as they were: IDs, command
 * register, BARs. Read now (64 bytes of the header). */
struct pt_reset_snapshot {
	uint8_t cfg[64];
	bool ok;
};
void pt_reset_snapshot(const struct pt_dev *d, struct pt_reset_snapshot *s);
/* Pure: what differs between two snapshots, in one line, or NULL. */
const char *pt_reset_compare(const struct pt_reset_snapshot *before,
			     const struct pt_reset_snapshot *after, char *buf, size_t len);

/* Reset through the kernel: choose `method` in reset_method (restored
 * afterwards; NULL keeps the kernel's order), write 1 to reset. Returns 0
 * or -errno; *usec gets how long the kernel took. */
int pt_reset_kernel(const struct pt_dev *d, const struct pt_reset_info *ri, const char *method,
		    long *usec, char *err, size_t errlen);

/* Reset d and everything below its bridge the kernel's way, ri->bus_way
 * (PT_BUS_NONE: -EOPNOTSUPP); when reset_subordinate answers ENOTTY and
 * every function is on vfio-pci, VFIO's hot reset. *used gets the way
 * taken. Returns 0 or -errno, the reason in err. */
int pt_reset_bus(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
		 enum pt_bus_way *used, long *usec, char *err, size_t errlen);

/* The last resort (--raw-sbr): a secondary bus reset by hand, Bridge
 * Control bit 6 set for 2 ms, then 1 s for the devices to come back. The
 * whole config space (4 KiB on PCIe) of every function below is saved
 * first and written back after: extended capabilities, then the
 * capabilities of the first 256 bytes, then the header from the top down,
 * the command register last (the order of drivers/pci/pci.c
 * pci_restore_state). Only dwords that read differently after the reset
 * are written; under --dry-run, where nothing was reset, the non-zero
 * ones (a reset returns most registers to zero). A termination signal
 * does not cut it short: the bit is always cleared and every function
 * restored; the caller looks at pt_signal_caught() after. *restored tells
 * whether every function was written back. */
int pt_reset_raw_sbr(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
		     long *usec, bool *restored, char *err, size_t errlen);

/* Pure: the restore plan for one function, as (offset, length) writes of
 * at most 16 bytes, in the order pt_reset_raw_sbr makes them. `saved` is
 * the config space before, `now` after (NULL: all zeros), both `len`
 * bytes (64, 256 or 4096). Returns how many writes went to out (at most
 * max). */
struct pt_cfg_write {
	unsigned offset, len;
};
size_t pt_reset_restore_plan(const uint8_t *saved, const uint8_t *now, size_t len,
			     struct pt_cfg_write *out, size_t max);

#endif

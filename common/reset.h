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

/* Reset d and everything else below its bridge with a secondary bus reset
 * (Bridge Control bit 6), as the kernel's pci_reset_secondary_bus() does:
 * each function's configuration is saved first and written back after,
 * command register last. For multi-function cards, whose bus reset the
 * kernel does not offer through sysfs. */
int pt_reset_slot(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
		  long *usec, char *err, size_t errlen);

#endif

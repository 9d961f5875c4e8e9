/* IOMMU groups: which devices share one, and how isolated each device is. */
#ifndef PT_IOMMU_H
#define PT_IOMMU_H

#include "bdf.h"
#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>

enum pt_verdict {
	PT_VERDICT_ALONE,   /* the only device in its group */
	PT_VERDICT_SLOT,    /* shares only with its own card's functions (and bridges) */
	PT_VERDICT_BRIDGES, /* shares only with bridges, which stay on the host */
	PT_VERDICT_SHARED,  /* shares with unrelated endpoints */
	PT_VERDICT_BRIDGE,  /* is itself a bridge: not something to assign */
	PT_VERDICT_NONE,    /* in no IOMMU group: cannot be assigned */
	PT_VERDICT_PLATFORM, /* a platform function of the chipset (ISA/LPC, SMBus): the host's own */
};
const char *pt_verdict_name(enum pt_verdict v);

struct pt_member {
	struct pt_bdf bdf;
	bool bridge;
	bool card; /* see pt_dev_is_card() */
	bool platform; /* see pt_dev_is_platform() */
};

/* Pure. The verdict for members[self]; the unrelated endpoints it shares
 * with are stored as indices in shares (room for n), their count in
 * *nshares. */
enum pt_verdict pt_verdict_of(const struct pt_member *members, size_t n, size_t self,
			      size_t *shares, size_t *nshares);

struct pt_group {
	int number;
	bool computed;         /* formed by pt_groups_compute(), not read from the kernel */
	char type[12];         /* DMA, DMA-FQ, identity, blocked, unmanaged; "" when unknown */
	bool type_garbled;     /* the type file held something unexpected */
	struct pt_dev **devs;  /* sorted by address */
	size_t ndevs;
	enum pt_verdict *verdict;      /* per device */
	struct pt_dev ***shares;       /* per device: unrelated endpoints */
	size_t *nshares;
};

/* Groups of the scanned host, sorted by number, with verdicts. Devices in
 * no group (an AMD IOMMU's own function, say) come first, in a group
 * numbered -1, so a listing shows every device the host has. */
void pt_groups_build(const struct pt_host *h, struct pt_group **groups, size_t *n);
/* The same from a group number per device (number[i] for h->devs[i], -1
 * for none), for groups that are not the kernel's: marked computed, with
 * no type. */
void pt_groups_assemble(const struct pt_host *h, const int *number, bool computed,
			struct pt_group **groups, size_t *n);
void pt_groups_free(struct pt_group *groups, size_t n);
struct pt_group *pt_group_find(struct pt_group *groups, size_t n, int number);
/* The group a device is in, and its index there (computed groups too). */
struct pt_group *pt_group_of(struct pt_group *groups, size_t n, const struct pt_dev *d, size_t *idx);

#endif

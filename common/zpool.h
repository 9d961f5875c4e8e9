/* ZFS pools and the PCI controllers under them, for zpool-passthru: which
 * block devices carry which pool (libblkid: TYPE zfs_member, LABEL the
 * pool, UUID the pool guid, UUID_SUB the vdev guid), what every other disk
 * on those controllers holds, and whether the controllers may leave the
 * host. No ZFS tools are needed, nor the zfs module.
 *
 * libblkid does not give a label's pool state, hostid or hostname, nor
 * recognise (before util-linux 2.39) the labels of hot spares and cache
 * devices, which carry no uberblocks: those few fields are read here from
 * the label's config nvlist (XDR, at 16 KiB into each of the four 256 KiB
 * labels; sys/vdev_impl.h vdev_phys_t), with a bounded parser that trusts
 * no length in it. Nothing else of the label is parsed.
 *
 * Pure parts (the nvlist reader, what a probe amounts to, a disk's role, a
 * group's viability, the verdict) are unit-tested; pt_zscan_*() do the I/O. */
#ifndef PT_ZPOOL_H
#define PT_ZPOOL_H

#include "bdf.h"
#include "iommu.h"
#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_ZPOOL_NAME_MAX 256 /* ZFS_MAX_DATASET_NAME_LEN */
#define PT_ZDISK_CTRL_MAX 8   /* controllers of one disk (multipath NVMe) */

/* pool_state_t in a label (sys/fs/zfs.h) */
enum {
	PT_ZSTATE_ACTIVE = 0,
	PT_ZSTATE_EXPORTED = 1,
	PT_ZSTATE_DESTROYED = 2,
	PT_ZSTATE_SPARE = 3,
	PT_ZSTATE_L2CACHE = 4,
};

/* The top-level fields of a label's config nvlist read here. */
struct pt_zlabel {
	bool valid; /* an XDR nvlist holding at least one of the fields below */
	bool has_name, has_state, has_txg, has_pool_guid, has_guid, has_hostid, has_hostname;
	char name[PT_ZPOOL_NAME_MAX];
	char hostname[256];
	uint64_t state, txg, pool_guid, guid, hostid;
};

/* Pure: read the fields above from a vdev_phys nvlist (len bytes at buf,
 * starting with its nvs header). Lengths inside are checked against len;
 * strings too long for their field, not NUL-free or of the wrong type are
 * left out; a malformed pair ends the reading with what came before it.
 * Returns out->valid. */
bool pt_zlabel_parse(const void *buf, size_t len, struct pt_zlabel *out);

/* Pure: whether a label says another system has its pool: state active
 * (imported and not exported) with a hostid that is not 0 and not
 * my_hostid. The rule of `zpool import`, which wants -f for such a pool
 * (libzfs: "pool was previously in use from another system"). */
bool pt_zlabel_foreign(const struct pt_zlabel *l, uint64_t my_hostid);

/* What one block device holds. */
struct pt_zprobe {
	char name[64];                 /* "sdb", "sdb1" */
	int err;                       /* 0, or the errno of opening or probing it */
	bool ambivalent;               /* libblkid found signatures that exclude each other */
	char type[32];                 /* TYPE: "zfs_member", "ext4"; "" when none */
	char label[PT_ZPOOL_NAME_MAX]; /* LABEL (a member's pool) */
	char uuid[48], uuid_sub[48];   /* UUID, UUID_SUB */
	struct pt_zlabel zl;           /* for zfs_member, and where libblkid finds nothing */
};

enum pt_zfind {
	PT_ZFIND_NONE,       /* nothing on it */
	PT_ZFIND_MEMBER,     /* a vdev of the pool in `pool` */
	PT_ZFIND_SPARE,      /* a hot spare or cache device; `pool` NULL when its label names none */
	PT_ZFIND_SIGNATURE,  /* a filesystem or another signature (TYPE in `what`) */
	PT_ZFIND_DAMAGED,    /* a ZFS label libblkid does not take, or signatures that exclude each other */
	PT_ZFIND_UNREADABLE, /* it could not be read */
};
struct pt_zfinding {
	enum pt_zfind kind;
	const char *pool; /* points into the probe */
	char what[256];   /* for people: "ext4 (LABEL data)", why it is damaged, ... */
};
/* Pure: what a probe amounts to. */
void pt_zprobe_judge(const struct pt_zprobe *p, struct pt_zfinding *f);

/* A disk's role on a controller, worst last. */
enum pt_zrole {
	PT_ZROLE_MEMBER,     /* a vdev of a pool asked for */
	PT_ZROLE_NAMED,      /* named on the command line */
	PT_ZROLE_UNUSED,     /* holds nothing: goes only with --force (or named) */
	PT_ZROLE_UNKNOWN,    /* a ZFS spare or cache whose pool is unknown: named, it goes */
	PT_ZROLE_FILESYSTEM, /* holds a filesystem or another signature: named, it goes */
	PT_ZROLE_OTHER_POOL, /* a vdev of another pool: name that pool too */
	PT_ZROLE_UNREADABLE, /* cannot be read */
	PT_ZROLE_DAMAGED,    /* a damaged ZFS label */
	PT_ZROLE_HOST,       /* the host uses it: never */
};
const char *pt_zrole_name(enum pt_zrole r); /* "member", "other-pool", ... */

/* One whole disk and what is on it. */
struct pt_zdisk {
	char name[64];           /* "sdb", "nvme0n1" */
	struct pt_zprobe whole;
	struct pt_zprobe *parts; /* its partitions, by name */
	size_t nparts;
	struct pt_bdf ctrl[PT_ZDISK_CTRL_MAX]; /* the PCI devices it sits behind */
	size_t nctrl;
	bool named;              /* named on the command line */
	bool on_plan;            /* on a controller of the plan (host_use was asked) */
	char host_use[1024];     /* why the host uses it; "" when it does not */
	/* set by pt_zdisk_classify() */
	enum pt_zrole role;
	char pool[PT_ZPOOL_NAME_MAX]; /* MEMBER, OTHER_POOL: the pool */
	char where[64];          /* the device that decided it: "sdb1", or the disk */
	char detail[1100];
	const struct pt_zprobe *member; /* MEMBER, OTHER_POOL: the probe with its label */
};

/* Pure: the pools whose vdevs are on disk d (its partitions first; the
 * whole disk's answer only where it is not a partition's seen through the
 * whole disk: libblkid reads a last partition's labels L2 and L3 at the
 * end of the disk too). Up to max names, pointing into d; returns how many. */
size_t pt_zdisk_pools(const struct pt_zdisk *d, const char **out, size_t max);

/* Pure: whether pool is among them. */
bool pt_zdisk_has_pool(const struct pt_zdisk *d, const char *pool);

/* Pure: set d's role, pool, where and detail from its probes, its host use
 * and whether it is named, for a plan that takes the pools in `pools`. */
void pt_zdisk_classify(struct pt_zdisk *d, const char *const *pools, size_t npools);

/* One device of an IOMMU group, for the viability check. */
struct pt_zgroup_dev {
	const char *bdf;
	const char *driver; /* NULL: none */
	bool bridge;
	bool host_bridge;   /* class 0600 */
	bool taken;         /* one of the controllers that go */
};
/* Pure: whether IOMMU group `group` can go to VFIO once its taken devices
 * do (the kernel's rule, as vfio-bind applies it: every endpoint on
 * vfio-pci, unbound or taken, every bridge on a driver that leaves DMA
 * alone). False with the reason in why. */
bool pt_zgroup_viable(int group, const struct pt_zgroup_dev *devs, size_t n, char *why, size_t len);

/* A pool of the plan. */
struct pt_zpool {
	char name[PT_ZPOOL_NAME_MAX];
	bool named;              /* asked for by name (else the pool of a named disk) */
	bool imported;           /* /proc/spl/kstat/zfs/NAME: imported on this host */
	size_t nmembers;
	/* the first member whose label says another system has the pool */
	bool foreign;
	char foreign_disk[64];
	char foreign_host[256];
	uint64_t foreign_hostid;
	char stray[64];          /* a member that is no disk behind a PCI device ("dm-3"), or "" */
};

/* A controller of the plan. */
struct pt_zctrl {
	struct pt_bdf bdf;
	char name[PT_BDF_LEN];
	const struct pt_dev *dev; /* NULL: not among the host's PCI devices */
	int group;               /* -1: none */
	char desc[256];          /* "Broadcom / LSI SAS3008 ..." */
	size_t *disks;           /* indices into the scan's disks, in name order */
	size_t ndisks;
	char host_use[1024];     /* pt_dev_host_use() for the controller itself, when the disks are not why */
	int use;                 /* its enum pt_use */
	char group_why[1024];    /* why its group cannot go; "" when it can */
	char group_others[512];  /* the group's other devices: "0000:00:01.0 (pcieport)" */
};

/* One reason the plan is refused. */
struct pt_zrefusal {
	char text[1200];
	char disk[64];           /* the disk it is about, or "" */
	char ctrl[PT_BDF_LEN];   /* the controller, or "" */
	char pool[PT_ZPOOL_NAME_MAX]; /* the pool, or "" */
	bool forceable;          /* --force overrides it (an unused disk) */
	bool foreign;            /* --foreign overrides it */
	bool forced;             /* overridden */
};

/* Everything the plan is made of. */
struct pt_zscan {
	struct pt_zdisk *disks;  /* every whole block device, by name */
	size_t ndisks;
	struct pt_zpool *pools;  /* asked for by name, then those of named disks */
	size_t npools;
	struct pt_zctrl *ctrls;  /* in address order */
	size_t nctrls;
	uint64_t hostid;         /* this host's (0: none) */
	struct pt_zrefusal *refusals;
	size_t nrefusals;
	int exit;                /* the verdict's exit code: 0, 3 or 4 */
};

/* Pure: the refusals of a classified scan (controllers filled, disks
 * classified), and s->exit; `force` and `foreign` mark what they override
 * as forced. The one-line message (every refusal that stands, naming
 * --force or --foreign where they would override it) in why; a
 * warning per forced one in warn ("" when none). Returns s->exit. */
int pt_zscan_verdict(struct pt_zscan *s, bool force, bool foreign, char *why, size_t len, char *warn,
		     size_t wlen);

/* Pure: whether s is a ZFS pool name (zfs_namecheck.c pool_namecheck:
 * a letter first, then letters, digits, '_', '-', '.', ':' and spaces;
 * shorter than 256). */
bool pt_zpool_name_ok(const char *s);

/* ---- the I/O side ---- */

/* Probe every block device below the sysroot (/sys/block, each disk's
 * partitions) and map each to its PCI devices. A device that cannot be
 * opened for want of permission makes it fail. Returns PT_EXIT_OK, or an
 * exit code with the reason in err. */
int pt_zscan_probe(struct pt_zscan *s, char *err, size_t errlen);

/* Resolve a disk operand (/dev/sdb, /dev/disk/by-id/..., links followed
 * below the sysroot) to the index of its whole disk in s. Returns
 * PT_EXIT_OK, PT_EXIT_FAIL (no such file) or PT_EXIT_USAGE (not a block
 * device, a partition), with the reason in err. */
int pt_zscan_find_disk(const struct pt_zscan *s, const char *arg, size_t *idx, char *err, size_t errlen);

/* Build the plan: the pools named, the disks named (marked), the pools
 * of named disks; their members; their controllers, every disk on those
 * with its host use, classified; the controllers' own host use and
 * groups. Returns PT_EXIT_OK, or PT_EXIT_FAIL with the reason in err (no
 * disk carries a pool; a named disk's label is damaged or unreadable). */
int pt_zscan_plan(struct pt_zscan *s, const struct pt_host *h, struct pt_group *groups, size_t ng,
		  const char *const *pools, size_t npools, char *err, size_t errlen);

/* The pools libblkid finds on the scanned devices, sorted, each once:
 * names point into s; returns how many (up to max). */
size_t pt_zscan_pool_names(const struct pt_zscan *s, const char **out, size_t max);

/* This host's hostid as ZFS takes it: the spl module's spl_hostid when it
 * is not 0, else /etc/hostid (four bytes, native order), else 0. */
uint64_t pt_zfs_hostid(void);

void pt_zscan_free(struct pt_zscan *s);

#endif

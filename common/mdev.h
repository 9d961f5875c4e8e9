/* Mediated devices (the kernel's Documentation/driver-api/
 * vfio-mediated-device.rst): parents under /sys/class/mdev_bus, their
 * types under mdev_supported_types, instances under /sys/bus/mdev/devices;
 * mdevctl's definitions under /etc/mdevctl.d/PARENT/UUID; NVIDIA's
 * per-VF vGPU types (vGPU 17 and later: VF/nvidia/creatable_vgpu_types and
 * current_vgpu_type, no mdev at all); and the toolkit's own persistent
 * file for what mdevctl does not cover (VF counts, per-VF vGPU types). */
#ifndef PT_MDEV_H
#define PT_MDEV_H

#include "bdf.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_UUID_LEN 37
#define PT_MDEVCTL_DIR "/etc/mdevctl.d"
#define PT_SPLIT_CONF "/etc/passthru-utils/vgpu-split.conf"

/* ---- pure ---- */

/* A UUID as the kernel names an mdev: 8-4-4-4-12 hex digits. Lower case
 * in out. Returns NULL, or what is wrong. */
const char *pt_uuid_parse(const char *s, char out[PT_UUID_LEN]);

/* Whether s may be a parent's or a type's name: one path component that
 * sysfs could have ([A-Za-z0-9_.:-], not "." or "..", shorter than 128). */
bool pt_mdev_name_ok(const char *s);

struct pt_mdev_attr {
	char *name, *value;
};

/* One mdevctl definition: /etc/mdevctl.d/PARENT/UUID. */
struct pt_mdev_def {
	char uuid[PT_UUID_LEN];
	char parent[128];
	char type[128];
	bool autostart;            /* "start": "auto" (else "manual") */
	struct pt_mdev_attr *attrs; /* "attrs": [ { "name": "value" }, ... ] in order */
	size_t nattrs;
};

/* Parse a definition's JSON as mdevctl reads it (mdev_type and start
 * required, attrs an array of one-member objects with string values).
 * parent and uuid are left for the caller (they are the file's path).
 * Returns 0, or -1 with why in err. */
int pt_mdev_def_parse(const char *text, size_t len, struct pt_mdev_def *def, char *err, size_t errlen);
/* The bytes mdevctl writes for def (serde_json's pretty form, keys in
 * mdevctl's order, no newline at the end). Caller frees. */
char *pt_mdev_def_format(const struct pt_mdev_def *def);
void pt_mdev_def_free(struct pt_mdev_def *def);

/* One line of NVIDIA's creatable_vgpu_types ("1157  : NVIDIA L40S-1Q"). */
struct pt_vgpu_type {
	unsigned id;
	char name[128];
};

/* Parse creatable_vgpu_types: the "ID : vGPU Name" header skipped, every
 * "ID : NAME" line after it; lines that are neither are skipped. Up to
 * max in out; returns how many. */
size_t pt_vgpu_types_parse(const char *text, struct pt_vgpu_type *out, size_t max);

/* A vGPU type given on the command line: its numeric id or its name
 * (case-insensitive) among types. 0 means "release" when allow_zero.
 * Returns NULL with *id, or what is wrong. */
const char *pt_vgpu_type_pick(const char *arg, const struct pt_vgpu_type *types, size_t n, bool allow_zero,
			      unsigned *id);

/* The toolkit's persistent file (PT_SPLIT_CONF), one entry per line:
 *   vfs PF N [no-autoprobe] [vfio]   give PF N VFs at --apply
 *   vgpu VF ID                       give VF the per-VF vGPU type ID
 * '#' starts a comment. */
enum pt_split_kind { PT_SPLIT_VFS, PT_SPLIT_VGPU };

struct pt_split_entry {
	enum pt_split_kind kind;
	char bdf[PT_BDF_LEN];
	unsigned value;     /* VF count or vGPU type id */
	bool no_autoprobe;  /* vfs */
	bool vfio;          /* vfs */
};

/* Parse the file; a malformed line is named (line number, why) in err and
 * skipped, the others are kept. Returns how many entries (*out: caller
 * frees), and the number of bad lines in *bad. */
size_t pt_split_conf_parse(const char *text, struct pt_split_entry **out, int *bad, char *err, size_t errlen);
/* The file's text for n entries (a header comment first). Caller frees. */
char *pt_split_conf_format(const struct pt_split_entry *e, size_t n);
/* Replace (or add, or with remove drop) the entry of e's kind and device
 * in *v. */
void pt_split_conf_set(struct pt_split_entry **v, size_t *n, const struct pt_split_entry *e, bool remove);

/* ---- sysfs ---- */

/* A random UUID from libuuid, lower case. */
void pt_uuid_random(char out[PT_UUID_LEN]);

/* One type under a parent's mdev_supported_types. */
struct pt_mdev_type {
	char id[128];          /* the directory name: "i915-GVTg_V5_4", "nvidia-222" */
	char name[128];        /* its name file ("" without one) */
	char description[512]; /* its description, newlines as they are */
	char device_api[32];   /* "vfio-pci", ... */
	int available;         /* available_instances, -1 unreadable */
};

/* The parents (/sys/class/mdev_bus entries), sorted. Returns how many;
 * pt_free_names() them. */
int pt_mdev_parents(char ***names);
bool pt_mdev_is_parent(const char *parent);
/* A parent's types, sorted by id. Returns how many (*out: caller frees),
 * -ENOENT when parent is no mdev parent. */
int pt_mdev_types(const char *parent, struct pt_mdev_type **out);

/* One live instance. */
struct pt_mdev {
	char uuid[PT_UUID_LEN];
	char parent[128];
	char type[128];
	int group;             /* its IOMMU group, -1 none */
};

/* Every instance under /sys/bus/mdev/devices, sorted by parent, then
 * UUID. Returns how many (*out: caller frees). */
size_t pt_mdevs(struct pt_mdev **out);
/* One instance; false when the kernel has no such mdev. */
bool pt_mdev_get(const char *uuid, struct pt_mdev *m);
/* The processes that hold an instance (its group's /dev/vfio node, or its
 * vfio cdev under /dev/vfio/devices), as pt_dev_vm_users() names them.
 * Returns how many. */
int pt_mdev_vm_users(const struct pt_mdev *m, char *buf, size_t len);

/* Every definition under PT_MDEVCTL_DIR, sorted by parent, then UUID. A
 * file that is no definition (bad JSON, a name that is no UUID) is named
 * with why in *errs (one line each; caller frees) and skipped. Returns how
 * many (*out: pt_mdev_defs_free). */
size_t pt_mdev_defs_read(struct pt_mdev_def **out, char **errs);
void pt_mdev_defs_free(struct pt_mdev_def *v, size_t n);
/* The path of a definition: PT_MDEVCTL_DIR/PARENT/UUID. */
void pt_mdev_def_path(const char *parent, const char *uuid, char *buf, size_t len);

/* NVIDIA per-VF vGPU: whether the VF has nvidia/creatable_vgpu_types; its
 * creatable types now (the list changes as siblings get types: read it
 * fresh); its current type (0 none, -1 unreadable). */
bool pt_vgpu_capable(const char *bdf);
size_t pt_vgpu_creatable(const char *bdf, struct pt_vgpu_type *out, size_t max);
long pt_vgpu_current(const char *bdf);

#endif

/* Does the host itself use a device, and who? The one answer every command
 * that writes asks, for a device and for everything its operation takes
 * along (DESIGN.md, "Who uses this device?"): the disks the kernel holds,
 * the network stack above a NIC, the display and the processes holding its
 * nodes, the chipset's platform functions, VMD domains, SR-IOV VFs, and a
 * running VM. The kernel's own answer (an exclusive open, open file
 * descriptors) wins over a model of it; the model names the reason, and on
 * a recorded host (--sysroot) it is the only answer. Block devices are
 * mapped to the PCI controllers they sit behind; zpool-passthru uses the
 * same mapping. */
#ifndef PT_HOSTUSE_H
#define PT_HOSTUSE_H

#include "bdf.h"
#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>

enum pt_use {
	PT_USE_NONE,      /* free to leave the host */
	PT_USE_FORCEABLE, /* the host uses it; --force takes it anyway */
	PT_USE_NEVER,     /* cannot work at all: bridges, VMD domains, a PF with VFs */
};

/* What the operation does to the device. */
enum pt_use_op {
	PT_OP_TAKE,  /* it leaves the host (a bind) */
	PT_OP_RESET, /* it drops off the bus for a moment (a reset, a VF change) */
	PT_OP_HANDOVER, /* it leaves the host on purpose with its display (vfio-bind
			 * --handover): the display is no reason, pt_display_users() is */
};

/* Whether the host uses d for operation op; `why` gets every reason, in
 * one line, each starting with d's address. */
enum pt_use pt_dev_host_use(const struct pt_host *h, const struct pt_dev *d, enum pt_use_op op,
			    char *why, size_t len);

/* Processes holding d's VFIO nodes open (its group's /dev/vfio/N, its
 * iommufd cdev /dev/vfio/devices/vfioX): "qemu-system-x86 (pid 1234)",
 * comma separated, in buf, with the node. Returns how many. An unbind or
 * a reset under them would block in the kernel until the VM lets go. */
int pt_dev_vm_users(const struct pt_dev *d, char *buf, size_t len);
/* The same for any VFIO device: its sysfs directory ("/sys/bus/mdev/
 * devices/UUID") and IOMMU group (-1 none). */
int pt_vfio_users(const char *sysdir, int group, char *buf, size_t len);

/* The VFs a PF has enabled, as addresses ("0000:03:00.1, 0000:03:00.2")
 * in buf. Returns how many (sriov_numvfs; 0 for anything else). */
int pt_dev_vfs(const struct pt_dev *d, char *buf, size_t len);

/* The PCI devices a block device ("sda", "nvme0n1", "dm-0" is not one)
 * sits behind: one for a plain disk, several for a multipath NVMe
 * namespace. Returns how many (at most max), 0 when none. */
size_t pt_block_pci_devices(const char *name, struct pt_bdf *out, size_t max);

/* Whole disks (not partitions) behind PCI device bdf; a malloc'd list,
 * free with pt_free_names(). Returns the count or -errno. */
int pt_disks_of(const char *bdf, char ***names);

/* Who holds the boot display d: a firmware framebuffer in /proc/iomem
 * (efifb, vesafb, simpledrm) inside its BARs, or a framebuffer device of
 * its own DRM driver (fb0 "bochs-drmdrmfb"). False when neither. */
struct pt_display_holder {
	char iomem[64];   /* "efifb", or "" */
	unsigned long long at;
	char fb[96];      /* "fb0 \"i915drmfb\"", or "" */
	char drm[32];     /* "card0": a DRM device of its driver, fbdev or not */
};
bool pt_display_holder(const struct pt_dev *d, struct pt_display_holder *out);
bool pt_dev_boot_vga(const struct pt_dev *d);

/* Processes holding the display nodes of d (its DRM card and render
 * nodes, its framebuffers, /dev/nvidia* on nvidia) or of the platform
 * framebuffer `platform` (efi-framebuffer.0's fb0, simpledrm's card0;
 * NULL: none), as pt_proc_holders() names them. Returns how many. */
int pt_display_users(const struct pt_dev *d, const char *platform, char *buf, size_t len);

/* Processes with one of the given nodes open, from /proc/PID/fd: an entry
 * ending in '*' matches every node it is a prefix of ("/dev/nvidia*").
 * "Xorg (pid 812) /dev/dri/card0", comma separated, in buf (truncated with
 * "..." when it does not fit). Returns how many processes. */
int pt_proc_holders(const char *const *nodes, size_t n, char *buf, size_t len);

/* ---- pure pieces, unit-tested ---- */

/* The interfaces carrying a default route in /proc/net/route and
 * /proc/net/ipv6_route text. Returns true when iface is one of them. */
bool pt_route_is_default(const char *route, const char *ipv6_route, const char *iface);

/* An established TCP connection from /proc/net/tcp or tcp6 text. */
struct pt_tcp_conn {
	bool v6;
	unsigned char local[16], remote[16]; /* v4: the first 4 bytes */
	unsigned lport, rport;
};
/* The established connections in /proc/net/tcp (v6 false) or tcp6 text,
 * loopback excluded; v4-mapped v6 addresses come out as v4. Returns how
 * many were stored (at most max). */
size_t pt_tcp_established(const char *text, bool v6, struct pt_tcp_conn *out, size_t max);
/* Whether IPv4 address a (network byte order bytes) lies in a subnet that
 * /proc/net/route text routes directly (no gateway) on iface. */
bool pt_route_on_link(const char *route, const char *iface, const unsigned char a[4]);
/* Whether /proc/net/if_inet6 text gives iface the IPv6 address a. */
bool pt_inet6_on(const char *if_inet6, const char *iface, const unsigned char a[16]);
/* "10.0.2.15:22" or "[fe80::1]:22" */
void pt_tcp_endpoint(const struct pt_tcp_conn *c, bool local, char *buf, size_t len);

/* The mount point and type of the first /proc/self/mountinfo line whose
 * device is devno ("8:2") or whose source is /dev/NAME. */
bool pt_mountinfo_find(const char *mountinfo, const char *devno, const char *name, char *where,
		       size_t wlen, char *fstype, size_t tlen);

/* Whether the host uses whole disk `disk` ("sdb", "nvme0n1"): the disk
 * answer of pt_dev_host_use() for one disk, its partitions first (mounted,
 * swap, md/dm/LVM/bcache holders, btrfs, a ZFS pool imported here; the
 * kernel's exclusive open on the live host). The reason, starting with
 * the disk's or partition's name, in why ("" when false). */
bool pt_disk_host_use(const char *disk, char *why, size_t len);

#endif

/* Does the host itself use a device? Its display, its disks (mounted, swap,
 * under md/dm/LVM), its network (the default route). Block devices are
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
	PT_USE_NEVER,     /* bridges: never assigned */
};

/* Whether the host uses d; `why` gets the reason in one line. */
enum pt_use pt_dev_host_use(const struct pt_host *h, const struct pt_dev *d, char *why, size_t len);

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
};
bool pt_display_holder(const struct pt_dev *d, struct pt_display_holder *out);
bool pt_dev_boot_vga(const struct pt_dev *d);

/* Pure: the interfaces carrying a default route in /proc/net/route and
 * /proc/net/ipv6_route text. Returns true when iface is one of them. */
bool pt_route_is_default(const char *route, const char *ipv6_route, const char *iface);

#endif

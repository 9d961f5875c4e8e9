#include "hostuse.h"
#include "hostcheck.h"
#include "msg.h"
#include "sysfs.h"

#include <blkid.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- block devices ---- */

size_t pt_block_pci_devices(const char *name, struct pt_bdf *out, size_t max)
{
	char link[PATH_MAX];
	struct pt_bdf chain[PT_MAX_UPSTREAM];
	size_t n;

	if (max == 0 || strchr(name, '/') ||
	    pt_read_link(link, sizeof(link), "/sys/class/block/%s", name) <= 0)
		return 0;
	n = pt_parse_device_path(link, chain, PT_MAX_UPSTREAM);
	if (n > 0) {
		out[0] = chain[n - 1]; /* the nearest PCI device above the disk */
		return 1;
	}
	/* A native-multipath NVMe namespace hangs off a virtual nvme-subsystem;
	 * its controllers (nvme-subsysN/nvmeM/device) are the PCI functions. */
	char *sub = strstr(link, "nvme-subsystem/");
	if (sub) {
		char subsys[64], **ctrls = NULL;
		int nc;
		size_t k = 0;

		if (sscanf(sub, "nvme-subsystem/%63[^/]", subsys) != 1)
			return 0;
		nc = pt_list_dir(&ctrls, "/sys/class/nvme-subsystem/%s", subsys);
		for (int i = 0; i < nc && k < max; i++) {
			char dev[64];

			if (strncmp(ctrls[i], "nvme", 4) != 0 || strncmp(ctrls[i], "nvme-", 5) == 0)
				continue;
			if (pt_read_link_name(dev, sizeof(dev), "/sys/class/nvme-subsystem/%s/%s/device",
					      subsys, ctrls[i]) > 0 &&
			    pt_bdf_parse(dev, &out[k]) == NULL)
				k++;
		}
		if (nc > 0)
			pt_free_names(ctrls, nc);
		return k;
	}
	return 0;
}

int pt_disks_of(const char *bdf, char ***names)
{
	char **all = NULL, **mine = NULL;
	int n = pt_list_dir(&all, "/sys/block"), k = 0;
	struct pt_bdf want;

	if (pt_bdf_parse(bdf, &want) != NULL)
		return -EINVAL;
	if (n < 0)
		n = 0;
	mine = pt_xcalloc((size_t)n + 1, sizeof(*mine));
	for (int i = 0; i < n; i++) {
		struct pt_bdf at[8];
		size_t m = pt_block_pci_devices(all[i], at, 8);

		for (size_t j = 0; j < m; j++)
			if (pt_bdf_cmp(&at[j], &want) == 0) {
				mine[k++] = pt_xstrdup(all[i]);
				break;
			}
	}
	if (all)
		pt_free_names(all, n);
	*names = mine;
	return k;
}

/* "8:2" of a block device, or "" */
static void devno_of(const char *name, char *buf, size_t len)
{
	if (pt_read_text(buf, len, "/sys/class/block/%s/dev", name) <= 0)
		buf[0] = '\0';
}

/* Where a block device is mounted (first mount point), from mountinfo. */
static bool mounted_at(const char *mountinfo, const char *devno, char *where, size_t len)
{
	const char *line = mountinfo;

	if (!devno[0])
		return false;
	while (line && *line) {
		char id[16], parent[16], mm[32], root[PATH_MAX], mnt[PATH_MAX];

		if (sscanf(line, "%15s %15s %31s %4095s %4095s", id, parent, mm, root, mnt) == 5 &&
		    strcmp(mm, devno) == 0) {
			snprintf(where, len, "%s", mnt);
			return true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

static bool is_swap(const char *swaps, const char *name)
{
	char dev[PATH_MAX + 8];
	const char *p = swaps;
	size_t l;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	l = strlen(dev);
	while (p && *p) {
		if (strncmp(p, dev, l) == 0 && (p[l] == ' ' || p[l] == '\t'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* Filesystem type of /dev/NAME as libblkid sees it, or "". */
static void fs_type(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	blkid_probe pr;
	const char *type = NULL;

	buf[0] = '\0';
	if (pt_path(path, sizeof(path), "/dev/%s", name) < 0)
		return;
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0)
		snprintf(buf, len, "%s", type);
	blkid_free_probe(pr);
}

/* How the host uses block device `name` (a disk, a partition or a holder):
 * mounted, swap, or held by md/dm (and what holds that). depth stops loops. */
static bool block_in_use(const char *name, const char *mountinfo, const char *swaps, char *why,
			 size_t len, int depth)
{
	char devno[32], where[PATH_MAX], type[32];
	char **holders = NULL;
	int nh;

	if (depth > 8)
		return false;
	devno_of(name, devno, sizeof(devno));
	if (mounted_at(mountinfo, devno, where, sizeof(where))) {
		fs_type(name, type, sizeof(type));
		snprintf(why, len, "%s%s%s%s is mounted on %.400s%s", name, type[0] ? " (" : "", type,
			 type[0] ? ")" : "", where, strcmp(where, "/") == 0 ? " (the root filesystem)" : "");
		return true;
	}
	if (is_swap(swaps, name)) {
		snprintf(why, len, "%s is active swap", name);
		return true;
	}
	nh = pt_list_dir(&holders, "/sys/class/block/%s/holders", name);
	if (nh > 0) {
		char inner[512] = "";
		bool used = false;

		for (int i = 0; i < nh && !used; i++)
			used = block_in_use(holders[i], mountinfo, swaps, inner, sizeof(inner), depth + 1);
		snprintf(why, len, "%s is held by %s (md, dm or LVM)%s%s", name, holders[0],
			 used ? ": " : "", used ? inner : "");
		pt_free_names(holders, nh);
		return true;
	}
	return false;
}

static bool disks_in_use(const struct pt_dev *d, char *why, size_t len)
{
	char **disks = NULL, *mountinfo = NULL, *swaps = NULL;
	int n = pt_disks_of(d->name, &disks);
	bool used = false;

	if (n <= 0) {
		pt_free_names(disks, 0);
		return false;
	}
	if (pt_read_file(&mountinfo, 8 << 20, "/proc/self/mountinfo") < 0)
		mountinfo = pt_xstrdup("");
	if (pt_read_file(&swaps, 1 << 20, "/proc/swaps") < 0)
		swaps = pt_xstrdup("");
	for (int i = 0; i < n && !used; i++) {
		char **parts = NULL;
		int np;

		used = block_in_use(disks[i], mountinfo, swaps, why, len, 0);
		/* partitions are the subdirectories that have a "partition" file */
		np = pt_list_dir(&parts, "/sys/block/%s", disks[i]);
		for (int j = 0; j < np && !used; j++)
			if (pt_exists("/sys/block/%s/%s/partition", disks[i], parts[j]))
				used = block_in_use(parts[j], mountinfo, swaps, why, len, 0);
		if (np > 0)
			pt_free_names(parts, np);
	}
	free(mountinfo);
	free(swaps);
	pt_free_names(disks, n);
	return used;
}

/* ---- network ---- */

bool pt_route_is_default(const char *route, const char *ipv6_route, const char *iface)
{
	const char *p = route;

	while (p && *p) {
		char ifn[64];
		unsigned long dest, gw, mask;
		unsigned flags;
		int refcnt, use, metric;

		if (sscanf(p, "%63s %lx %lx %x %d %d %d %lx", ifn, &dest, &gw, &flags, &refcnt, &use,
			   &metric, &mask) == 8 &&
		    dest == 0 && mask == 0 && (flags & 1) && strcmp(ifn, iface) == 0)
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	for (p = ipv6_route; p && *p;) {
		char dest[40], plen[4], ifn[64];
		const char *eol = strchr(p, '\n');
		const char *last;
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		char line[512];

		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			last = strrchr(line, ' ');
			if (sscanf(line, "%32s %2s", dest, plen) == 2 && last &&
			    sscanf(last, " %63s", ifn) == 1 &&
			    strcmp(dest, "00000000000000000000000000000000") == 0 &&
			    strcmp(plen, "00") == 0 && strcmp(ifn, "lo") != 0 && strcmp(ifn, iface) == 0)
				return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

static bool carries_default_route(const struct pt_dev *d, char *why, size_t len)
{
	char **ifs = NULL, *route = NULL, *route6 = NULL;
	int n = pt_list_dir(&ifs, "/sys/bus/pci/devices/%s/net", d->name);
	bool hit = false;

	if (n <= 0)
		return false;
	if (pt_read_file(&route, 1 << 20, "/proc/net/route") < 0)
		route = pt_xstrdup("");
	if (pt_read_file(&route6, 1 << 20, "/proc/net/ipv6_route") < 0)
		route6 = pt_xstrdup("");
	for (int i = 0; i < n && !hit; i++)
		if (pt_route_is_default(route, route6, ifs[i])) {
			snprintf(why, len, "its interface %s carries the default route", ifs[i]);
			hit = true;
		}
	free(route);
	free(route6);
	pt_free_names(ifs, n);
	return hit;
}

enum pt_use pt_dev_host_use(const struct pt_host *h, const struct pt_dev *d, char *why, size_t len)
{
	struct pt_display_holder disp;
	char reason[768];

	(void)h;
	if (pt_dev_is_bridge(d)) {
		snprintf(why, len, "%s is a bridge; bridges and root ports stay with the host", d->name);
		return PT_USE_NEVER;
	}
	if (pt_dev_boot_vga(d) && pt_display_holder(d, &disp)) {
		snprintf(why, len, "%s is the boot display and %s%s%s holds it: the host's console would go dark",
			 d->name, disp.iomem[0] ? disp.iomem : disp.fb,
			 disp.iomem[0] && disp.fb[0] ? " and " : "", disp.iomem[0] ? disp.fb : "");
		return PT_USE_FORCEABLE;
	}
	if (disks_in_use(d, reason, sizeof(reason))) {
		snprintf(why, len, "%s holds disks the host uses: %s", d->name, reason);
		return PT_USE_FORCEABLE;
	}
	if (carries_default_route(d, reason, sizeof(reason))) {
		snprintf(why, len, "%s is the host's network: %s", d->name, reason);
		return PT_USE_FORCEABLE;
	}
	return PT_USE_NONE;
}

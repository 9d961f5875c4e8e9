#include "hostuse.h"
#include "hostcheck.h"
#include "msg.h"
#include "netlink.h"
#include "sysfs.h"

#include <blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The n-th space-separated field of a line (0-based), copied to buf. */
static bool field(const char *line, int n, char *buf, size_t len)
{
	const char *p = line;

	for (int i = 0; i < n; i++) {
		p += strcspn(p, " \n");
		if (*p != ' ')
			return false;
		p += strspn(p, " ");
	}
	size_t l = strcspn(p, " \n");
	if (l == 0 || l >= len)
		return false;
	memcpy(buf, p, l);
	buf[l] = '\0';
	return true;
}

bool pt_mountinfo_find(const char *mountinfo, const char *devno, const char *name, char *where,
		       size_t wlen, char *fstype, size_t tlen)
{
	char src[PATH_MAX + 8];

	snprintf(src, sizeof(src), "/dev/%s", name ? name : "");
	for (const char *line = mountinfo; line && *line;) {
		char mm[32], mnt[PATH_MAX], type[64] = "", source[PATH_MAX] = "";
		const char *sep = strstr(line, " - ");
		const char *eol = strchr(line, '\n');

		/* fields: id parent major:minor root mountpoint options... - type source super */
		if (sep && (!eol || sep < eol) && field(line, 2, mm, sizeof(mm)) &&
		    field(line, 4, mnt, sizeof(mnt)) && field(sep + 3, 0, type, sizeof(type))) {
			field(sep + 3, 1, source, sizeof(source));
			if ((devno && devno[0] && strcmp(mm, devno) == 0) ||
			    (name && name[0] && strcmp(source, src) == 0)) {
				snprintf(where, wlen, "%s", mnt);
				snprintf(fstype, tlen, "%s", type);
				return true;
			}
		}
		line = eol ? eol + 1 : NULL;
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

/* What libblkid sees on /dev/NAME: TYPE and LABEL, "" when nothing. */
static void probe_block(const char *name, char *type, size_t tlen, char *label, size_t llen)
{
	char path[PATH_MAX];
	blkid_probe pr;
	const char *v = NULL;

	type[0] = label[0] = '\0';
	if (pt_path(path, sizeof(path), "/dev/%s", name) < 0)
		return;
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	if (blkid_do_safeprobe(pr) == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			snprintf(type, tlen, "%s", v);
		if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0)
			snprintf(label, llen, "%s", v);
	}
	blkid_free_probe(pr);
}

/* The kernel's own answer on the live host: an exclusive open of a block
 * device that is mounted, swap, under md/dm/LVM/bcache, a btrfs or ZFS
 * member fails with EBUSY (block/bdev.c bd_prepare_to_claim). 1 busy,
 * 0 free, -1 no answer (a sysroot, no node, no permission). */
static int kernel_says_busy(const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (!pt_sysroot_live() || pt_path(path, sizeof(path), "/dev/%s", name) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EBUSY ? 1 : -1;
}

struct disk_ctx {
	char *mountinfo, *swaps;
	char **zpools;  /* pools imported on this host (/proc/spl/kstat/zfs/NAME/) */
	int nzpools;
};

/* The btrfs filesystem (its fsid) that block device name is a device of:
 * /sys/fs/btrfs/FSID/devices/NAME exists while the filesystem is mounted. */
static bool btrfs_member(const char *name, char *fsid, size_t len)
{
	char **fs = NULL;
	int n = pt_list_dir(&fs, "/sys/fs/btrfs");
	bool hit = false;

	for (int i = 0; i < n && !hit; i++)
		if (pt_exists("/sys/fs/btrfs/%s/devices/%s", fs[i], name)) {
			snprintf(fsid, len, "%s", fs[i]);
			hit = true;
		}
	if (n > 0)
		pt_free_names(fs, n);
	return hit;
}

/* Where a btrfs filesystem is mounted: the mountinfo line of type btrfs
 * whose source is one of its devices (its major:minor is anonymous, 0:N). */
static bool btrfs_mounted_at(const struct disk_ctx *c, const char *fsid, char *where, size_t len)
{
	char **devs = NULL, type[64];
	int n = pt_list_dir(&devs, "/sys/fs/btrfs/%s/devices", fsid);
	bool hit = false;

	for (int i = 0; i < n && !hit; i++)
		hit = pt_mountinfo_find(c->mountinfo, NULL, devs[i], where, len, type, sizeof(type)) &&
		      strcmp(type, "btrfs") == 0;
	if (n > 0)
		pt_free_names(devs, n);
	return hit;
}

/* A dataset of pool that is mounted, the root filesystem first:
 * "rpool/ROOT/debian" on "/". */
static bool zfs_mounted_at(const struct disk_ctx *c, const char *pool, char *ds, size_t dlen,
			   char *where, size_t wlen)
{
	size_t pl = strlen(pool);
	bool found = false;

	for (const char *line = c->mountinfo; line && *line;) {
		const char *sep = strstr(line, " - "), *eol = strchr(line, '\n');
		char mnt[PATH_MAX], type[32], source[512];

		if (sep && (!eol || sep < eol) && field(line, 4, mnt, sizeof(mnt)) &&
		    field(sep + 3, 0, type, sizeof(type)) && strcmp(type, "zfs") == 0 &&
		    field(sep + 3, 1, source, sizeof(source)) && strncmp(source, pool, pl) == 0 &&
		    (source[pl] == '\0' || source[pl] == '/') && (!found || strcmp(mnt, "/") == 0)) {
			snprintf(ds, dlen, "%.*s", (int)(dlen ? dlen - 1 : 0), source);
			snprintf(where, wlen, "%s", mnt);
			found = true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return found;
}

static const char *root_note(const char *where)
{
	return strcmp(where, "/") == 0 ? " (the root filesystem)" : "";
}

/* Why the host uses block device `name` (a disk, a partition or a
 * holder), from the kernel's tables; false when none says so. depth stops
 * loops. */
static bool block_reason(const struct disk_ctx *c, const char *name, char *why, size_t len, int depth)
{
	char devno[32], where[PATH_MAX], type[64], label[256], fsid[256];
	char **holders = NULL;
	int nh;

	if (depth > 8)
		return false;
	devno_of(name, devno, sizeof(devno));
	if (pt_mountinfo_find(c->mountinfo, devno, name, where, sizeof(where), type, sizeof(type))) {
		snprintf(why, len, "%s (%s) is mounted on %.400s%s", name, type, where, root_note(where));
		return true;
	}
	if (is_swap(c->swaps, name)) {
		snprintf(why, len, "%s is active swap", name);
		return true;
	}
	if (btrfs_member(name, fsid, sizeof(fsid))) {
		if (btrfs_mounted_at(c, fsid, where, sizeof(where)))
			snprintf(why, len, "%s is a device of the btrfs filesystem mounted on %.400s%s", name,
				 where, root_note(where));
		else
			snprintf(why, len, "%s is a device of the mounted btrfs filesystem %s", name, fsid);
		return true;
	}
	nh = pt_list_dir(&holders, "/sys/class/block/%s/holders", name);
	if (nh > 0) {
		char inner[512] = "";
		bool used = false;

		for (int i = 0; i < nh && !used; i++) {
			char **parts = NULL;
			int np;

			used = block_reason(c, holders[i], inner, sizeof(inner), depth + 1);
			/* an md array or dm device with partitions of its own (md127p1) */
			np = used ? 0 : pt_list_dir(&parts, "/sys/class/block/%s", holders[i]);
			for (int j = 0; j < np && !used; j++)
				if (pt_exists("/sys/class/block/%s/%s/partition", holders[i], parts[j]))
					used = block_reason(c, parts[j], inner, sizeof(inner), depth + 1);
			if (np > 0)
				pt_free_names(parts, np);
		}
		snprintf(why, len, "%s is held by %s (md, dm, LVM or bcache)%s%s", name, holders[0],
			 used ? ": " : "", used ? inner : "");
		pt_free_names(holders, nh);
		return true;
	}
	if (c->nzpools > 0) {
		probe_block(name, type, sizeof(type), label, sizeof(label));
		for (int i = 0; i < c->nzpools; i++)
			if (strcmp(type, "zfs_member") == 0 && strcmp(label, c->zpools[i]) == 0) {
				if (zfs_mounted_at(c, label, fsid, sizeof(fsid), where, sizeof(where)))
					snprintf(why, len, "%s is in ZFS pool %s, imported on this host (its dataset "
						 "%.100s is mounted on %.300s%s)", name, label, fsid, where,
						 strcmp(where, "/") == 0 ? ": the root filesystem" : "");
				else
					snprintf(why, len, "%s is in ZFS pool %s, imported on this host", name, label);
				return true;
			}
	}
	return false;
}

/* How the host uses block device `name`: the kernel's answer where there is
 * one (a free device is free, whatever the tables say), the tables' reason. */
static bool block_in_use(const struct disk_ctx *c, const char *name, char *why, size_t len)
{
	int busy = kernel_says_busy(name);
	bool known;

	if (busy == 0)
		return false;
	known = block_reason(c, name, why, len, 0);
	if (busy == 1 && !known)
		snprintf(why, len, "%s is held open exclusively (mounted, swap, md/dm, btrfs or ZFS: the "
			 "kernel refuses an exclusive open with EBUSY)", name);
	return known || busy == 1;
}

/* What the disk checks read once: mountinfo, swaps, the imported pools. */
static void disk_ctx_load(struct disk_ctx *c)
{
	char **ents = NULL;
	int ne = pt_list_dir(&ents, "/proc/spl/kstat/zfs");

	memset(c, 0, sizeof(*c));
	if (pt_read_file(&c->mountinfo, 8 << 20, "/proc/self/mountinfo") < 0)
		c->mountinfo = pt_xstrdup("");
	if (pt_read_file(&c->swaps, 1 << 20, "/proc/swaps") < 0)
		c->swaps = pt_xstrdup("");
	c->zpools = pt_xcalloc((size_t)(ne > 0 ? ne : 0) + 1, sizeof(*c->zpools));
	for (int i = 0; i < ne; i++)
		if (pt_exists("/proc/spl/kstat/zfs/%s/state", ents[i]) || pt_exists("/proc/spl/kstat/zfs/%s/txgs", ents[i]))
			c->zpools[c->nzpools++] = pt_xstrdup(ents[i]);
	if (ne > 0)
		pt_free_names(ents, ne);
}

static void disk_ctx_free(struct disk_ctx *c)
{
	free(c->mountinfo);
	free(c->swaps);
	pt_free_names(c->zpools, c->nzpools);
}

/* A whole disk: its partitions first (they name the reason a whole disk
 * is busy), then the disk. */
static bool disk_used(const struct disk_ctx *c, const char *disk, char *why, size_t len)
{
	char **parts = NULL;
	int np = pt_list_dir(&parts, "/sys/class/block/%s", disk);
	bool used = false;

	for (int j = 0; j < np && !used; j++)
		if (pt_exists("/sys/class/block/%s/%s/partition", disk, parts[j]))
			used = block_in_use(c, parts[j], why, len);
	if (np > 0)
		pt_free_names(parts, np);
	return used || block_in_use(c, disk, why, len);
}

static bool disks_in_use(const struct pt_dev *d, char *why, size_t len)
{
	char **disks = NULL;
	struct disk_ctx c;
	int n = pt_disks_of(d->name, &disks);
	bool used = false;

	if (n <= 0) {
		pt_free_names(disks, 0);
		return false;
	}
	disk_ctx_load(&c);
	for (int i = 0; i < n && !used; i++)
		used = disk_used(&c, disks[i], why, len);
	disk_ctx_free(&c);
	pt_free_names(disks, n);
	return used;
}

/* ---- TCP connections and addresses (pure) ---- */

static int hexval(int ch)
{
	return isdigit(ch) ? ch - '0' : isxdigit(ch) ? (tolower(ch) - 'a' + 10) : -1;
}

/* /proc/net/tcp prints each 32-bit word of an address with %08X, in the
 * host's byte order (net/ipv4/tcp_ipv4.c get_tcp4_sock): read the words
 * back the same way to get the address bytes. */
static bool parse_addr(const char *p, size_t words, unsigned char *out, unsigned *port)
{
	for (size_t w = 0; w < words; w++) {
		uint32_t v = 0;

		for (int k = 0; k < 8; k++) {
			int x = hexval((unsigned char)*p++);
			if (x < 0)
				return false;
			v = v << 4 | (uint32_t)x;
		}
		memcpy(out + 4 * w, &v, 4);
	}
	if (*p++ != ':')
		return false;
	*port = 0;
	for (int k = 0; k < 4; k++) {
		int x = hexval((unsigned char)*p++);
		if (x < 0)
			return false;
		*port = *port << 4 | (unsigned)x;
	}
	return true;
}

static bool is_loopback(const struct pt_tcp_conn *c)
{
	static const unsigned char lo6[16] = { [15] = 1 };

	return c->v6 ? memcmp(c->local, lo6, 16) == 0 : c->local[0] == 127;
}

size_t pt_tcp_established(const char *text, bool v6, struct pt_tcp_conn *out, size_t max)
{
	size_t n = 0, words = v6 ? 4 : 1;

	for (const char *line = text; line && *line && n < max;) {
		const char *eol = strchr(line, '\n');
		const char *p = line + strspn(line, " ");
		struct pt_tcp_conn c = { .v6 = v6 };

		/* "sl: local remote st ...": st 01 is TCP_ESTABLISHED */
		p = strchr(p, ':');
		if (p && (!eol || p < eol) && parse_addr(p + 2, words, c.local, &c.lport) && p[2 + 8 * words + 5] == ' ' &&
		    parse_addr(p + 2 + 8 * words + 6, words, c.remote, &c.rport) &&
		    strncmp(p + 2 + 2 * (8 * words + 6), "01 ", 3) == 0) {
			static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

			if (v6 && memcmp(c.local, mapped, 12) == 0) {
				c.v6 = false;
				memmove(c.local, c.local + 12, 4);
				memmove(c.remote, c.remote + 12, 4);
			}
			if (!is_loopback(&c))
				out[n++] = c;
		}
		line = eol ? eol + 1 : NULL;
	}
	return n;
}

/* One line of /proc/net/route: interface, destination, flags, mask (the
 * addresses as the kernel prints them: raw 32-bit words in %08X). */
struct route4 {
	char ifn[64];
	unsigned long dest, mask;
	unsigned flags; /* RTF_UP 1, RTF_GATEWAY 2 */
};

static bool route4_line(const char *p, struct route4 *r)
{
	unsigned long gw;
	int refcnt, use, metric;

	return sscanf(p, "%63s %lx %lx %x %d %d %d %lx", r->ifn, &r->dest, &gw, &r->flags, &refcnt, &use,
		      &metric, &r->mask) == 8;
}

bool pt_route_on_link(const char *route, const char *iface, const unsigned char a[4])
{
	uint32_t addr;

	memcpy(&addr, a, 4);
	for (const char *p = route; p && *p;) {
		struct route4 r;

		/* up, no gateway: a directly connected subnet of iface */
		if (route4_line(p, &r) && strcmp(r.ifn, iface) == 0 && (r.flags & 1) && !(r.flags & 2) &&
		    r.mask != 0 && (addr & (uint32_t)r.mask) == (uint32_t)r.dest)
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

bool pt_inet6_on(const char *if_inet6, const char *iface, const unsigned char a[16])
{
	for (const char *p = if_inet6; p && *p;) {
		char hex[40], ifn[64];
		unsigned idx, plen, scope, flags;

		if (sscanf(p, "%32s %x %x %x %x %63s", hex, &idx, &plen, &scope, &flags, ifn) == 6 &&
		    strlen(hex) == 32 && strcmp(ifn, iface) == 0) {
			unsigned char b[16];
			bool good = true;

			for (int i = 0; i < 16 && good; i++) {
				int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
				good = hi >= 0 && lo >= 0;
				b[i] = (unsigned char)(hi << 4 | lo);
			}
			if (good && memcmp(b, a, 16) == 0)
				return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

void pt_tcp_endpoint(const struct pt_tcp_conn *c, bool local, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(c->v6 ? AF_INET6 : AF_INET, local ? c->local : c->remote, a, sizeof(a));
	snprintf(buf, len, c->v6 ? "[%s]:%u" : "%s:%u", a, local ? c->lport : c->rport);
}

/* ---- network ---- */

bool pt_route_is_default(const char *route, const char *ipv6_route, const char *iface)
{
	const char *p = route;

	while (p && *p) {
		struct route4 r;

		if (route4_line(p, &r) && r.dest == 0 && r.mask == 0 && (r.flags & 1) && strcmp(r.ifn, iface) == 0)
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

/* Interfaces stacked on one NIC: a trunk port can carry hundreds of
 * VLANs, so no fixed limit but this sanity bound. */
#define MAX_STACK 65536

/* One interface of a NIC's stack: its name, the hop that led to it
 * ("eth0 under br0 (bridge)"), and the one below it. */
struct netif {
	char name[64];
	char kind[16];
	int below; /* index of the interface it is stacked on, -1 for the NIC's own */
};

static bool have_if(const struct netif *v, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return true;
	return false;
}

static void add_if(struct netif **vp, int *n, const char *name, int below)
{
	char ue[1024] = "", *t;
	struct netif *v;

	if (*n >= MAX_STACK || have_if(*vp, *n, name) || strchr(name, '/') || name[0] == '.')
		return;
	if ((*n & 63) == 0)
		*vp = pt_xrealloc(*vp, (size_t)(*n + 64) * sizeof(**vp));
	v = *vp;
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	v[*n].below = below;
	/* DEVTYPE=bridge, bond, vlan, macvlan, team ... in its uevent */
	pt_read_text(ue, sizeof(ue), "/sys/class/net/%s/uevent", name);
	t = strstr(ue, "DEVTYPE=");
	snprintf(v[*n].kind, sizeof(v[*n].kind), "%.*s", t ? (int)strcspn(t + 8, "\n") : 0, t ? t + 8 : "");
	(*n)++;
}

/* The NIC's interfaces and everything stacked on them, following master
 * and upper_* links all the way up (bridge, bond, team, VLAN, macvlan). */
static int net_stack(const struct pt_dev *d, struct netif **v)
{
	char **ifs = NULL;
	int n = 0, k = pt_list_dir(&ifs, "/sys/bus/pci/devices/%s/net", d->name);

	*v = NULL;
	for (int i = 0; i < k; i++)
		add_if(v, &n, ifs[i], -1);
	if (k > 0)
		pt_free_names(ifs, k);
	for (int i = 0; i < n; i++) {
		char **ents = NULL, m[64], name[64];
		int ne;

		snprintf(name, sizeof(name), "%s", (*v)[i].name);
		ne = pt_list_dir(&ents, "/sys/class/net/%s", name);
		if (pt_read_link_name(m, sizeof(m), "/sys/class/net/%s/master", name) > 0)
			add_if(v, &n, m, i);
		for (int e = 0; e < ne; e++)
			if (strncmp(ents[e], "upper_", 6) == 0)
				add_if(v, &n, ents[e] + 6, i);
		if (ne > 0)
			pt_free_names(ents, ne);
	}
	return n;
}

/* "its interface eth0 is under br0 (bridge)", for interface i of the stack. */
static void stack_path(const struct netif *v, int i, char *buf, size_t len)
{
	int chain[64], n = 0;

	/* a chain deeper than 64 is not a real stack; the top 64 tell the story */
	for (int x = i; x >= 0 && n < 64; x = v[x].below)
		chain[n++] = x;
	snprintf(buf, len, "its interface %s", v[chain[n - 1]].name);
	for (int k = n - 2; k >= 0; k--) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s %s%s%s%s", k == n - 2 ? " is under" : ", under", v[chain[k]].name,
			 v[chain[k]].kind[0] ? " (" : "",
			 v[chain[k]].kind, v[chain[k]].kind[0] ? ")" : "");
	}
}

/* Whether interface iface carries the local address of connection c. */
static bool iface_has(const char *iface, const struct pt_tcp_conn *c, const char *route, const char *inet6,
		      const struct ifaddrs *ifa)
{
	for (const struct ifaddrs *a = ifa; a; a = a->ifa_next) {
		if (!a->ifa_addr || strcmp(a->ifa_name, iface) != 0)
			continue;
		if (!c->v6 && a->ifa_addr->sa_family == AF_INET &&
		    memcmp(&((const struct sockaddr_in *)(const void *)a->ifa_addr)->sin_addr, c->local, 4) == 0)
			return true;
	}
	return c->v6 ? pt_inet6_on(inet6, iface, c->local) : pt_route_on_link(route, iface, c->local);
}

static bool network_in_use(const struct pt_dev *d, char *why, size_t len)
{
	struct netif *v = NULL;
	int n = net_stack(d, &v), nr = -1;
	char *route = NULL, *route6 = NULL, *tcp = NULL, *tcp6 = NULL, *inet6 = NULL;
	struct pt_tcp_conn *conns = NULL;
	struct pt_default_route *dr = NULL;
	size_t nc = 0;
	struct ifaddrs *ifa = NULL;
	bool hit = false;

	if (n <= 0) {
		free(v);
		return false;
	}
	if (pt_read_file(&route, 1 << 20, "/proc/net/route") < 0)
		route = pt_xstrdup("");
	if (pt_read_file(&route6, 1 << 20, "/proc/net/ipv6_route") < 0)
		route6 = pt_xstrdup("");
	/* the kernel's own tables on the live host: every table (policy
	 * routing), every nexthop; /proc/net/route shows the main table only */
	if (pt_sysroot_live())
		nr = pt_default_routes(&dr);
	for (int i = 0; i < n && !hit; i++) {
		char path[512], table[48] = "";
		bool def = pt_route_is_default(route, route6, v[i].name);

		for (int r = 0; r < nr && !def; r++)
			if (strcmp(dr[r].ifname, v[i].name) == 0) {
				def = true;
				if (dr[r].table != 254)
					snprintf(table, sizeof(table), " (%s, routing table %u)", dr[r].v6 ? "IPv6" : "IPv4",
						 dr[r].table);
			}
		if (def) {
			stack_path(v, i, path, sizeof(path));
			snprintf(why, len, "%s%s carries %s default route%s", path, v[i].below >= 0 ? ", which" : "",
				 table[0] ? "a" : "the", table);
			hit = true;
		}
	}
	free(dr);
	if (!hit) {
		size_t lines = 0;

		if (pt_read_file(&tcp, 64 << 20, "/proc/net/tcp") < 0)
			tcp = pt_xstrdup("");
		if (pt_read_file(&tcp6, 64 << 20, "/proc/net/tcp6") < 0)
			tcp6 = pt_xstrdup("");
		/* room for every line: a busy server's SSH session may be the last */
		for (const char *p = tcp; *p; p++)
			lines += *p == '\n';
		for (const char *p = tcp6; *p; p++)
			lines += *p == '\n';
		conns = pt_xcalloc(lines + 2, sizeof(*conns));
		nc = pt_tcp_established(tcp, false, conns, lines + 1);
		nc += pt_tcp_established(tcp6, true, conns + nc, lines + 1 - nc);
		if (pt_read_file(&inet6, 1 << 20, "/proc/net/if_inet6") < 0)
			inet6 = pt_xstrdup("");
		if (nc && pt_sysroot_live() && getifaddrs(&ifa) < 0)
			ifa = NULL;
	}
	for (size_t k = 0; k < nc && !hit; k++)
		for (int i = 0; i < n && !hit; i++)
			if (iface_has(v[i].name, &conns[k], route, inet6, ifa)) {
				char path[512], l[64], r[64];

				stack_path(v, i, path, sizeof(path));
				pt_tcp_endpoint(&conns[k], true, l, sizeof(l));
				pt_tcp_endpoint(&conns[k], false, r, sizeof(r));
				snprintf(why, len, "%s%s carries the established TCP connection %s <-> %s%s", path,
					 v[i].below >= 0 ? ", which" : "", l, r,
					 conns[k].lport == 22 ? " (an SSH session)" : "");
				hit = true;
			}
	if (ifa)
		freeifaddrs(ifa);
	free(v);
	free(conns);
	free(route);
	free(route6);
	free(tcp);
	free(tcp6);
	free(inet6);
	return hit;
}

/* ---- processes holding device nodes ---- */

int pt_dev_vm_users(const struct pt_dev *d, char *buf, size_t len)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", d->name);
	return pt_vfio_users(dir, d->group, buf, len);
}

int pt_vfio_users(const char *sysdir, int grp, char *buf, size_t len)
{
	char group[48] = "", cdev[80] = "";
	const char *nodes[2];
	size_t n = 0;
	char **vd = NULL;
	int nv = pt_list_dir(&vd, "%s/vfio-dev", sysdir);

	if (grp >= 0) {
		snprintf(group, sizeof(group), "/dev/vfio/%d", grp);
		nodes[n++] = group;
	}
	/* iommufd's per-device node (Linux 6.2+): vfio-dev/vfioX */
	for (int i = 0; i < nv; i++)
		if (strncmp(vd[i], "vfio", 4) == 0 && !cdev[0]) {
			snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", vd[i]);
			nodes[n++] = cdev;
		}
	if (nv > 0)
		pt_free_names(vd, nv);
	return pt_proc_holders(nodes, n, buf, len);
}

int pt_dev_vfs(const struct pt_dev *d, char *buf, size_t len)
{
	char v[32];
	long nvfs;
	int found = 0;

	buf[0] = '\0';
	if (pt_read_text(v, sizeof(v), "/sys/bus/pci/devices/%s/sriov_numvfs", d->name) <= 0)
		return 0;
	nvfs = strtol(v, NULL, 10);
	for (long i = 0; i < nvfs && i < 4096; i++) {
		char vf[PT_BDF_LEN + 8];

		if (pt_read_link_name(vf, sizeof(vf), "/sys/bus/pci/devices/%s/virtfn%ld", d->name, i) <= 0)
			continue;
		size_t l = strlen(buf);
		if (l + strlen(vf) + 8 < len)
			snprintf(buf + l, len - l, "%s%s", found ? ", " : "", vf);
		else if (l + 5 < len && !strstr(buf, "..."))
			snprintf(buf + l, len - l, ", ...");
		found++;
	}
	return nvfs > found ? (int)nvfs : found;
}

/* ---- display ---- */

static bool display_in_use(const struct pt_dev *d, char *why, size_t len)
{
	struct pt_display_holder disp;
	char holders[512];
	bool boot;

	if ((d->class >> 8) != 0x03)
		return false;
	pt_display_users(d, NULL, holders, sizeof(holders));
	boot = pt_dev_boot_vga(d) && pt_display_holder(d, &disp);
	if (boot) {
		char who[256];

		if (disp.iomem[0] || disp.fb[0])
			snprintf(who, sizeof(who), "%s%s%s", disp.iomem[0] ? disp.iomem : disp.fb,
				 disp.iomem[0] && disp.fb[0] ? " and " : "", disp.iomem[0] ? disp.fb : "");
		else
			snprintf(who, sizeof(who), "%s (DRM %s)", d->driver ? d->driver : "its driver", disp.drm);
		snprintf(why, len, "%s is the boot display and %s holds it: the host's console would go dark%s%s",
			 d->name, who, holders[0] ? "; its nodes are open by " : "", holders);
		return true;
	}
	if (holders[0]) {
		snprintf(why, len, "%s is in use by the host's graphics: its nodes are open by %s", d->name, holders);
		return true;
	}
	return false;
}

/* ---- the answer ---- */

static void add_reason(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_reason(char *why, size_t len, const char *fmt, ...)
{
	size_t l = strlen(why);
	va_list ap;

	if (l && l + 2 < len) {
		memcpy(why + l, "; ", 3);
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + l, len - l, fmt, ap);
	va_end(ap);
}

enum pt_use pt_dev_host_use(const struct pt_host *h, const struct pt_dev *d, enum pt_use_op op,
			    char *why, size_t len)
{
	char reason[1024];
	const struct pt_dev *owner;
	enum pt_use use = PT_USE_NONE;
	int nvf;

	why[0] = '\0';
	bool take = op != PT_OP_RESET;

	if (take && pt_dev_is_bridge(d)) {
		snprintf(why, len, "%s is a bridge; bridges and root ports stay with the host", d->name);
		return PT_USE_NEVER;
	}
	if (take && (owner = pt_dev_domain_owner(h, d)) != NULL) {
		snprintf(why, len, "%s is behind %s (Intel VMD), which owns PCI domain %04x: its DMA is the "
			 "VMD's, so no IOMMU can isolate it; turn VMD off in the firmware setup (Intel RST / "
			 "VMD controller) to assign it", d->name, owner->name, d->bdf.domain);
		return PT_USE_NEVER;
	}
	if (pt_dev_owns_domain(h, d)) {
		snprintf(why, len, "%s is an Intel VMD controller: %s it removes its PCI domain and every "
			 "device below it (often the host's NVMe disks)", d->name,
			 take ? "unbinding" : "resetting");
		if (take)
			return PT_USE_NEVER;
		use = PT_USE_FORCEABLE;
	}
	if ((nvf = pt_dev_vfs(d, reason, sizeof(reason))) > 0) {
		if (take) {
			snprintf(why, len, "%s has %d SR-IOV VF%s enabled (%s): vfio-pci refuses a PF with VFs, "
				 "and unbinding its driver destroys them; remove them first "
				 "(echo 0 > /sys/bus/pci/devices/%s/sriov_numvfs)", d->name, nvf,
				 nvf == 1 ? "" : "s", reason, d->name);
			return PT_USE_NEVER;
		}
		add_reason(why, len, "%s has %d SR-IOV VF%s enabled, which a reset of it resets too: %s",
			   d->name, nvf, nvf == 1 ? "" : "s", reason);
		use = PT_USE_FORCEABLE;
	}
	if (pt_dev_is_platform(d)) {
		add_reason(why, len, "%s (%s%s%s) is a platform function of the chipset: the host's %s hang "
			   "off it", d->name, pt_dev_platform_kind(d), d->driver ? ", " : "",
			   d->driver ? d->driver : "", pt_dev_platform_duty(d));
		use = PT_USE_FORCEABLE;
	}
	if (op != PT_OP_HANDOVER && display_in_use(d, reason, sizeof(reason))) {
		add_reason(why, len, "%s", reason);
		use = PT_USE_FORCEABLE;
	}
	if (disks_in_use(d, reason, sizeof(reason))) {
		add_reason(why, len, "%s holds disks the host uses: %s", d->name, reason);
		use = PT_USE_FORCEABLE;
	}
	if (network_in_use(d, reason, sizeof(reason))) {
		add_reason(why, len, "%s is the host's network: %s", d->name, reason);
		use = PT_USE_FORCEABLE;
	}
	return use;
}

/* ---- one disk, for zpool-passthru ---- */

bool pt_disk_host_use(const char *disk, char *why, size_t len)
{
	struct disk_ctx c;
	bool used;

	why[0] = '\0';
	if (strchr(disk, '/') || !pt_exists("/sys/class/block/%s", disk))
		return false;
	disk_ctx_load(&c);
	used = disk_used(&c, disk, why, len);
	disk_ctx_free(&c);
	return used;
}

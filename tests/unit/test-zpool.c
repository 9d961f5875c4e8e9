/* The pure parts of zpool-passthru's core: the label's nvlist, what a
 * probe amounts to, a disk's role (partitions first, the whole disk's
 * echo of its last partition dropped), a group's viability, the verdict
 * and its messages. */
#include "msg.h"
#include "zpool.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- an XDR nvlist, packed as libnvpair packs it (and mkzfs-label) ---- */

struct nvbuf {
	unsigned char b[8192];
	size_t n;
};

static void w32(struct nvbuf *v, uint32_t x)
{
	v->b[v->n++] = x >> 24;
	v->b[v->n++] = x >> 16;
	v->b[v->n++] = x >> 8;
	v->b[v->n++] = x;
}

static void wstr(struct nvbuf *v, const char *s, size_t l)
{
	w32(v, (uint32_t)l);
	memcpy(v->b + v->n, s, l);
	v->n += l;
	while (v->n % 4)
		v->b[v->n++] = 0;
}

/* one pair: sizes, name, type, count, then the value the caller writes;
 * returns where the encoded size goes, for pair_end() */
static size_t pair_start(struct nvbuf *v, const char *name, uint32_t type, uint32_t nelem)
{
	size_t at = v->n;

	w32(v, 0);
	w32(v, 0);
	wstr(v, name, strlen(name));
	w32(v, type);
	w32(v, nelem);
	return at;
}

static void pair_end(struct nvbuf *v, size_t at)
{
	uint32_t sz = (uint32_t)(v->n - at);

	v->b[at] = sz >> 24;
	v->b[at + 1] = sz >> 16;
	v->b[at + 2] = sz >> 8;
	v->b[at + 3] = sz;
	v->b[at + 7] = 64; /* a decoded size: never read */
}

static void nv_u64(struct nvbuf *v, const char *name, uint64_t x)
{
	size_t at = pair_start(v, name, 8, 1);

	w32(v, (uint32_t)(x >> 32));
	w32(v, (uint32_t)x);
	pair_end(v, at);
}

static void nv_str(struct nvbuf *v, const char *name, const char *s)
{
	size_t at = pair_start(v, name, 9, 1);

	wstr(v, s, strlen(s));
	pair_end(v, at);
}

static void nv_begin(struct nvbuf *v, bool header)
{
	if (header) {
		v->b[v->n++] = 1; /* NV_ENCODE_XDR */
		v->b[v->n++] = 1; /* written little-endian */
		v->b[v->n++] = 0;
		v->b[v->n++] = 0;
	}
	w32(v, 0); /* nvl_version */
	w32(v, 1); /* NV_UNIQUE_NAME */
}

static void nv_end(struct nvbuf *v)
{
	w32(v, 0);
	w32(v, 0);
}

/* A pool config as OpenZFS writes it: a nested vdev_tree with a guid of
 * its own, which is not the top level's. */
static void pool_config(struct nvbuf *v, const char *pool, uint64_t state, uint64_t hostid, const char *hostname)
{
	size_t at;

	memset(v, 0, sizeof(*v));
	nv_begin(v, true);
	nv_u64(v, "version", 5000);
	nv_str(v, "name", pool);
	nv_u64(v, "state", state);
	nv_u64(v, "txg", 64);
	nv_u64(v, "pool_guid", 5092458012749520392ULL);
	nv_u64(v, "errata", 0);
	if (hostid)
		nv_u64(v, "hostid", hostid);
	if (hostname)
		nv_str(v, "hostname", hostname);
	nv_u64(v, "top_guid", 77);
	at = pair_start(v, "vdev_tree", 19, 1);
	nv_begin(v, false);
	nv_str(v, "type", "disk");
	nv_u64(v, "guid", 999);
	nv_str(v, "name", "not-the-pool");
	nv_end(v);
	pair_end(v, at);
	nv_u64(v, "guid", 77);
	nv_u64(v, "vdev_children", 1);
	nv_end(v);
}

static void test_nvlist(void)
{
	struct nvbuf v;
	struct pt_zlabel l;
	unsigned char *copy;

	pool_config(&v, "tank", 0, 0xa8c00a01, "nas");
	ok(pt_zlabel_parse(v.b, v.n, &l), "a pool config reads");
	is_str(l.name, "tank", "its name");
	ok(l.has_state && l.state == 0 && l.has_txg && l.txg == 64, "state 0 (active), txg 64");
	ok(l.has_pool_guid && l.pool_guid == 5092458012749520392ULL, "the pool guid, all 64 bits");
	ok(l.has_guid && l.guid == 77, "the top level's guid, not the nested vdev_tree's (%llu)",
	   (unsigned long long)l.guid);
	ok(l.has_hostid && l.hostid == 0xa8c00a01, "the hostid");
	is_str(l.hostname, "nas", "the hostname");

	/* every cut of it: nothing read past the end (ASan checks), and a field
	 * only once it is all there */
	{
		bool bad = false;

		for (size_t n = 0; n <= v.n; n++) {
			copy = malloc(n ? n : 1);
			memcpy(copy, v.b, n);
			pt_zlabel_parse(copy, n, &l);
			if (l.has_name && strcmp(l.name, "tank") != 0)
				bad = true;
			if (l.has_guid && l.guid != 77)
				bad = true;
			free(copy);
		}
		ok(!bad, "every truncation of it reads only whole fields");
	}

	memcpy(&l, &(struct pt_zlabel){ .valid = true }, sizeof(l));
	v.b[0] = 0; /* NV_ENCODE_NATIVE: no label is written so */
	ok(!pt_zlabel_parse(v.b, v.n, &l) && !l.valid && !l.has_name, "a native-encoded nvlist is not read");
	ok(!pt_zlabel_parse(NULL, 0, &l), "nothing is nothing");
	memset(v.b, 0, sizeof(v.b));
	ok(!pt_zlabel_parse(v.b, sizeof(v.b), &l), "zeros are no label");

	/* hostile lengths */
	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	w32(&v, 0x7ffffff0); /* a pair larger than the buffer */
	w32(&v, 0);
	nv_end(&v);
	ok(!pt_zlabel_parse(v.b, v.n, &l), "a pair size past the end stops the reading");

	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	{
		size_t at = pair_start(&v, "name", 9, 1);

		w32(&v, 0xfffffff0); /* a string length past the pair */
		pair_end(&v, at);
	}
	nv_u64(&v, "state", 1);
	nv_end(&v);
	ok(pt_zlabel_parse(v.b, v.n, &l) && !l.has_name && l.has_state && l.state == 1,
	   "a string length past its pair: that field is left out, the next one read");

	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	{
		size_t at = pair_start(&v, "name", 9, 1);

		wstr(&v, "ta\0nk", 5); /* a NUL inside */
		pair_end(&v, at);
	}
	nv_u64(&v, "name", 5);   /* the wrong type, and a second one */
	nv_str(&v, "hostname", "h");
	nv_end(&v);
	ok(pt_zlabel_parse(v.b, v.n, &l) && !l.has_name && l.has_hostname, "a name holding a NUL is not taken");

	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	{
		char longname[300];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[299] = '\0';
		nv_str(&v, "name", longname);
	}
	nv_str(&v, "name", "second");
	nv_u64(&v, "guid", 1);
	nv_end(&v);
	ok(pt_zlabel_parse(v.b, v.n, &l) && !l.has_name && l.guid == 1,
	   "a name longer than a pool name is left out; a second 'name' does not count");

	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	nv_str(&v, "name", "first");
	nv_str(&v, "name", "second");
	nv_end(&v);
	ok(pt_zlabel_parse(v.b, v.n, &l) && strcmp(l.name, "first") == 0, "the first of a name wins");

	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	w32(&v, 12); /* smaller than a pair can be */
	w32(&v, 0);
	w32(&v, 4);
	nv_u64(&v, "guid", 1);
	nv_end(&v);
	ok(!pt_zlabel_parse(v.b, v.n, &l), "a pair size under 20 stops the reading");

	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	{
		size_t at = pair_start(&v, "guid", 8, 2); /* two elements: an array, not a number */

		w32(&v, 0);
		w32(&v, 1);
		w32(&v, 0);
		w32(&v, 2);
		pair_end(&v, at);
	}
	nv_end(&v);
	ok(!pt_zlabel_parse(v.b, v.n, &l) && !l.has_guid, "a uint64 with two elements is not a guid");

	/* a long list: bounded */
	memset(&v, 0, sizeof(v));
	nv_begin(&v, true);
	while (v.n + 64 < sizeof(v.b))
		nv_u64(&v, "x", 1);
	nv_end(&v);
	ok(!pt_zlabel_parse(v.b, v.n, &l), "a list of nothing known is no label");
}

static void test_foreign(void)
{
	struct pt_zlabel l = { .valid = true, .has_state = true, .state = PT_ZSTATE_ACTIVE, .has_hostid = true,
			       .hostid = 0xa8c00a01 };

	ok(pt_zlabel_foreign(&l, 0x11223344), "active, another hostid: another system has it");
	ok(pt_zlabel_foreign(&l, 0), "this host without a hostid: another system has it");
	ok(!pt_zlabel_foreign(&l, 0xa8c00a01), "active with this host's hostid: ours");
	l.state = PT_ZSTATE_EXPORTED;
	ok(!pt_zlabel_foreign(&l, 0x11223344), "exported: nobody has it");
	l.state = PT_ZSTATE_ACTIVE;
	l.hostid = 0;
	ok(!pt_zlabel_foreign(&l, 0x11223344), "hostid 0 in the label: zpool import cannot tell either");
	l.has_hostid = false;
	l.hostid = 5;
	ok(!pt_zlabel_foreign(&l, 0x11223344), "no hostid in the label");
}

static void test_names(void)
{
	ok(pt_zpool_name_ok("tank") && pt_zpool_name_ok("rpool") && pt_zpool_name_ok("a.b-c_d:e f"),
	   "pool names");
	ok(!pt_zpool_name_ok("") && !pt_zpool_name_ok("1tank") && !pt_zpool_name_ok("tank/home") &&
	   !pt_zpool_name_ok("-x") && !pt_zpool_name_ok("ta\nnk") && !pt_zpool_name_ok("ta\x1bnk"),
	   "not pool names: empty, a digit first, a dataset, an option, control characters");
	{
		char n[300];

		memset(n, 'a', 299);
		n[299] = '\0';
		ok(!pt_zpool_name_ok(n), "299 letters are too long");
		n[255] = '\0';
		ok(pt_zpool_name_ok(n), "255 are fine");
	}
	is_str(pt_zrole_name(PT_ZROLE_OTHER_POOL), "other-pool", "role names");
	is_str(pt_zrole_name(PT_ZROLE_HOST), "host", "role names");
}

static struct pt_zprobe member(const char *name, const char *pool, const char *guid)
{
	struct pt_zprobe p = { 0 };

	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.type, sizeof(p.type), "zfs_member");
	snprintf(p.label, sizeof(p.label), "%s", pool);
	snprintf(p.uuid, sizeof(p.uuid), "5092458012749520392");
	snprintf(p.uuid_sub, sizeof(p.uuid_sub), "%s", guid);
	p.zl.valid = p.zl.has_name = p.zl.has_state = p.zl.has_guid = true;
	snprintf(p.zl.name, sizeof(p.zl.name), "%s", pool);
	p.zl.state = PT_ZSTATE_EXPORTED;
	p.zl.guid = strtoull(guid, NULL, 10);
	return p;
}

static struct pt_zprobe blank(const char *name)
{
	struct pt_zprobe p = { 0 };

	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

static struct pt_zprobe fs(const char *name, const char *type, const char *label)
{
	struct pt_zprobe p = blank(name);

	snprintf(p.type, sizeof(p.type), "%s", type);
	snprintf(p.label, sizeof(p.label), "%s", label);
	return p;
}

static void test_judge(void)
{
	struct pt_zprobe p = member("sdb", "tank", "11");
	struct pt_zfinding f;

	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_MEMBER && strcmp(f.pool, "tank") == 0, "zfs_member with a LABEL: a member");
	p.zl.state = PT_ZSTATE_SPARE;
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_MEMBER && strcmp(f.what, "hot spare") == 0, "a spare libblkid names: a member, a spare");
	p.label[0] = '\0';
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_SPARE && strcmp(f.pool, "tank") == 0, "zfs_member without LABEL, spare state: a spare");
	p.zl.has_name = false;
	pt_zprobe_judge(&p, &f);
	is_str(f.what, "a ZFS hot spare whose label names no pool", "a spare with no pool (as OpenZFS writes them)");
	ok(f.kind == PT_ZFIND_SPARE && !f.pool, "its pool is unknown");
	p.zl.state = PT_ZSTATE_ACTIVE;
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_DAMAGED, "zfs_member with no pool and no spare state: damaged");

	p = blank("sdc");
	p.zl.valid = p.zl.has_name = p.zl.has_state = true;
	snprintf(p.zl.name, sizeof(p.zl.name), "tank");
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_DAMAGED, "a label nvlist libblkid does not take: damaged");
	is_str(f.what, "a ZFS label of pool tank that libblkid does not take (too few uberblocks, or a device under 64 MiB)",
	       "and why");
	p.zl.state = PT_ZSTATE_L2CACHE;
	p.zl.has_name = false;
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_SPARE && !f.pool && strstr(f.what, "cache device"),
	   "a cache device older libblkid misses: unknown, not dropped");

	p = fs("sdd", "ext4", "data");
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_SIGNATURE, "ext4: a signature");
	is_str(f.what, "ext4 (LABEL data)", "named with its label");
	p = blank("sde");
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_NONE, "nothing: nothing");
	p.ambivalent = true;
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_DAMAGED, "two signatures: damaged");
	p = blank("sdf");
	p.err = ENOENT;
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_UNREADABLE, "a missing node: unreadable");
	is_str(f.what, "/dev/sdf: No such file or directory", "and why");
	p.err = ENOMEDIUM;
	pt_zprobe_judge(&p, &f);
	ok(f.kind == PT_ZFIND_NONE, "an empty drive holds nothing");
}

static const char *const TANK[] = { "tank" };

static void test_disks(void)
{
	struct pt_zprobe parts[3];
	struct pt_zdisk d = { 0 };
	const char *pools[4];

	/* ZFS on Linux's whole-disk layout: partition 1 the vdev, 9 reserved;
	 * libblkid reads partition 1's L2/L3 at the disk's end too */
	snprintf(d.name, sizeof(d.name), "sdb");
	d.whole = member("sdb", "tank", "11");
	parts[0] = member("sdb1", "tank", "11");
	parts[1] = blank("sdb9");
	d.parts = parts;
	d.nparts = 2;
	ok(pt_zdisk_pools(&d, pools, 4) == 1 && strcmp(pools[0], "tank") == 0, "one pool: the echo is not a second vdev");
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_MEMBER && strcmp(d.where, "sdb1") == 0, "a member through its partition (%s)", d.where);
	is_str(d.detail, "on sdb1, exported", "detail: where, and the label's state");
	pt_zdisk_classify(&d, NULL, 0);
	ok(d.role == PT_ZROLE_OTHER_POOL && strcmp(d.pool, "tank") == 0, "without tank in the plan: another pool's");

	/* the whole disk says a vdev no partition is: stale labels, both count */
	d.whole = member("sdb", "old", "55");
	ok(pt_zdisk_pools(&d, pools, 4) == 2 && strcmp(pools[1], "old") == 0, "a whole-disk answer of its own counts");
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_OTHER_POOL && strcmp(d.pool, "old") == 0, "and another pool's vdev outweighs tank's");

	/* a filesystem beside the member */
	d.whole = blank("sdb");
	parts[1] = fs("sdb2", "ext4", "");
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_FILESYSTEM, "a member disk with ext4 on sdb2: holds a filesystem");
	is_str(d.detail, "ext4 on sdb2", "detail");
	d.named = true;
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_MEMBER, "named, it is still tank's member (the member finding stands)");
	d.named = false;

	/* nothing at all */
	d.nparts = 0;
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_UNUSED && d.detail[0] == '\0', "a blank disk: unused");
	d.named = true;
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_NAMED, "named: named");
	d.named = false;

	d.whole = fs("sdb", "LVM2_member", "");
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_FILESYSTEM && strcmp(d.detail, "LVM2_member") == 0, "an LVM PV: a signature");

	d.whole = blank("sdb");
	d.whole.zl.valid = d.whole.zl.has_state = true;
	d.whole.zl.state = PT_ZSTATE_SPARE;
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_UNKNOWN, "a hot spare of no known pool: unknown");
	d.named = true;
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_NAMED, "named, it goes");
	d.named = false;

	snprintf(d.host_use, sizeof(d.host_use), "sdb (ext4) is mounted on /srv");
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_HOST, "the host's: host, whatever is on it");
	is_str(d.detail, "sdb (ext4) is mounted on /srv", "detail: the host's use");
	d.named = true;
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_HOST, "named, still the host's");

	/* the active state with a hostname */
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "sdc");
	d.whole = member("sdc", "tank", "12");
	d.whole.zl.state = PT_ZSTATE_ACTIVE;
	d.whole.zl.has_hostname = true;
	snprintf(d.whole.zl.hostname, sizeof(d.whole.zl.hostname), "nas");
	pt_zdisk_classify(&d, TANK, 1);
	ok(d.role == PT_ZROLE_MEMBER && strcmp(d.where, "sdc") == 0, "a whole-disk member");
	is_str(d.detail, "last imported by nas", "detail: the label's host");
}

static void test_groups(void)
{
	struct pt_zgroup_dev g[3] = {
		{ .bdf = "0000:01:00.0", .driver = "mpt3sas", .taken = true },
		{ .bdf = "0000:00:01.0", .driver = "pcieport", .bridge = true },
		{ .bdf = "0000:01:00.1", .driver = NULL },
	};
	char why[1024];

	ok(pt_zgroup_viable(2, g, 1, why, sizeof(why)) && why[0] == '\0', "alone: viable");
	ok(pt_zgroup_viable(2, g, 3, why, sizeof(why)), "with a root port on pcieport and a driverless function");
	g[2].driver = "vfio-pci";
	ok(pt_zgroup_viable(2, g, 3, why, sizeof(why)), "with a function already on vfio-pci");
	g[2].driver = "mpt3sas";
	ok(!pt_zgroup_viable(2, g, 3, why, sizeof(why)), "with a function on a host driver: not viable");
	is_str(why, "IOMMU group 2 also holds 0000:01:00.1 (mpt3sas), still on host drivers: VFIO takes a group only "
	       "whole, so it would have to go too (vfio-bind --group takes the whole group, if the host can spare it)",
	       "and why");
	g[2].taken = true;
	ok(pt_zgroup_viable(2, g, 3, why, sizeof(why)), "both functions going: viable");
	g[1].driver = "ie31200_edac";
	g[1].host_bridge = true;
	ok(!pt_zgroup_viable(2, g, 3, why, sizeof(why)), "a host bridge on an EDAC driver: not viable");
	is_str(why, "IOMMU group 2 cannot go to VFIO: its host bridge 0000:00:01.0 is on ie31200_edac, a driver that "
	       "keeps the device's DMA, so the kernel calls the group not viable; unload ie31200_edac first",
	       "and why, naming the bridge");
}

/* ---- the verdict, on a hand-made scan: one HBA, disks sdb-sde ---- */

static struct pt_dev dummy;

static void scan_init(struct pt_zscan *s, struct pt_zdisk *disks, size_t n, struct pt_zctrl *c, size_t *idx)
{
	free(s->refusals);
	memset(s, 0, sizeof(*s));
	s->disks = disks;
	s->ndisks = n;
	s->ctrls = c;
	s->nctrls = 1;
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "0000:03:00.0");
	c->dev = &dummy;
	c->group = 14;
	c->disks = idx;
	c->ndisks = n;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
}

static void set_disk(struct pt_zdisk *d, const char *name, enum pt_zrole role, const char *pool)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->where, sizeof(d->where), "%s", name);
	d->role = role;
	d->on_plan = true;
	snprintf(d->pool, sizeof(d->pool), "%s", pool ? pool : "");
}

static void test_verdict(void)
{
	struct pt_zdisk disks[6];
	struct pt_zctrl ctrls[2];
	struct pt_zpool pool = { .name = "tank", .named = true, .nmembers = 2 };
	size_t idx[6];
	struct pt_zscan s = { 0 };
	char why[4096], warn[4096];

	set_disk(&disks[0], "sdb", PT_ZROLE_MEMBER, "tank");
	set_disk(&disks[1], "sdc", PT_ZROLE_MEMBER, "tank");
	scan_init(&s, disks, 2, ctrls, idx);
	s.pools = &pool;
	s.npools = 1;
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 0 && s.nrefusals == 0 &&
	   why[0] == '\0', "only members: ok");

	set_disk(&disks[2], "sdd", PT_ZROLE_UNUSED, NULL);
	set_disk(&disks[3], "sde", PT_ZROLE_UNUSED, NULL);
	scan_init(&s, disks, 4, ctrls, idx);
	s.pools = &pool;
	s.npools = 1;
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 3, "two unused disks: refused");
	is_str(why, "sdd, sde on 0000:03:00.0 hold nothing and are not in pool tank; --force takes them along",
	       "one reason for both, naming --force");
	ok(s.nrefusals == 1 && s.refusals[0].forceable, "one refusal, forceable");
	ok(pt_zscan_verdict(&s, true, false, why, sizeof(why), warn, sizeof(warn)) == 0, "--force: ok");
	is_str(warn, "warning: sdd, sde on 0000:03:00.0 hold nothing and are not in pool tank (--force given)",
	       "with a warning");

	set_disk(&disks[3], "sde", PT_ZROLE_OTHER_POOL, "backup");
	set_disk(&disks[4], "sdf", PT_ZROLE_OTHER_POOL, "backup");
	set_disk(&disks[5], "sdg", PT_ZROLE_HOST, NULL);
	snprintf(disks[5].host_use, sizeof(disks[5].host_use), "sdg2 (ext4) is mounted on / (the root filesystem)");
	scan_init(&s, disks, 6, ctrls, idx);
	s.pools = &pool;
	s.npools = 1;
	ok(pt_zscan_verdict(&s, true, false, why, sizeof(why), warn, sizeof(warn)) == 3, "another pool, the host's disk: "
	   "refused even with --force");
	is_str(why, "sde, sdf on 0000:03:00.0 are in pool backup, not in pool tank: name that pool too to take them "
	       "along; sdg on 0000:03:00.0 is used by the host: sdg2 (ext4) is mounted on / (the root filesystem)",
	       "what nothing overrides, alone (sdd goes with --force: a warning)");
	is_str(warn, "warning: sdd on 0000:03:00.0 holds nothing and is not in pool tank (--force given)", "the warning");

	/* the pool imported here; another system's */
	set_disk(&disks[2], "sdd", PT_ZROLE_MEMBER, "tank");
	scan_init(&s, disks, 3, ctrls, idx);
	pool.imported = true;
	s.pools = &pool;
	s.npools = 1;
	ok(pt_zscan_verdict(&s, true, true, why, sizeof(why), warn, sizeof(warn)) == 3, "imported here: refused, "
	   "--force and --foreign or not");
	is_str(why, "pool tank is imported on this host (/proc/spl/kstat/zfs/tank): the host uses its disks; export it "
	       "first (zpool export tank)", "and why");
	pool.imported = false;
	pool.foreign = true;
	pool.foreign_hostid = 0xa8c00a01;
	snprintf(pool.foreign_disk, sizeof(pool.foreign_disk), "sdb1");
	snprintf(pool.foreign_host, sizeof(pool.foreign_host), "nas");
	ok(pt_zscan_verdict(&s, true, false, why, sizeof(why), warn, sizeof(warn)) == 3, "another system's: refused "
	   "with --force");
	is_str(why, "pool tank was last imported by another system, nas (hostid 0xa8c00a01), and not exported (the "
	       "label of sdb1 says so): if that system is running, a guest importing the pool too destroys it; export "
	       "it there first (zpool export tank), or, when that system is not running or is the guest, --foreign "
	       "takes it", "naming the system, and --foreign");
	ok(pt_zscan_verdict(&s, false, true, why, sizeof(why), warn, sizeof(warn)) == 0 && strstr(warn, "(--foreign given)"),
	   "--foreign: ok, with a warning");
	pool.foreign = false;

	/* a filesystem, a damaged label, a spare of no pool */
	set_disk(&disks[2], "sdd", PT_ZROLE_FILESYSTEM, NULL);
	snprintf(disks[2].detail, sizeof(disks[2].detail), "ext4 (LABEL data) on sdd1");
	set_disk(&disks[3], "sde", PT_ZROLE_DAMAGED, NULL);
	snprintf(disks[3].detail, sizeof(disks[3].detail), "signatures that exclude each other");
	set_disk(&disks[4], "sdf", PT_ZROLE_UNKNOWN, NULL);
	snprintf(disks[4].detail, sizeof(disks[4].detail), "a ZFS hot spare whose label names no pool");
	scan_init(&s, disks, 5, ctrls, idx);
	s.pools = &pool;
	s.npools = 1;
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 3 && s.nrefusals == 3,
	   "a filesystem, a damaged label, a spare: three refusals");
	is_str(s.refusals[0].text, "sdd on 0000:03:00.0 holds ext4 (LABEL data) on sdd1, not in pool tank: name it "
	       "(/dev/sdd) to take it along", "the filesystem");
	is_str(s.refusals[1].text, "sde on 0000:03:00.0 has signatures that exclude each other: repair it, or clear it "
	       "(wipefs -a /dev/sde), first", "the damaged label");
	is_str(s.refusals[2].text, "sdf on 0000:03:00.0 holds a ZFS hot spare whose label names no pool: name it "
	       "(/dev/sdf) to take it along", "the spare");

	/* two controllers, one with the host's disk; and no IOMMU */
	set_disk(&disks[2], "sda", PT_ZROLE_HOST, NULL);
	snprintf(disks[2].host_use, sizeof(disks[2].host_use), "sda2 (ext4) is mounted on / (the root filesystem)");
	scan_init(&s, disks, 2, ctrls, idx);
	ctrls[1] = ctrls[0];
	snprintf(ctrls[0].name, sizeof(ctrls[0].name), "0000:00:17.0");
	ctrls[0].disks = idx + 2;
	ctrls[0].ndisks = 1;
	idx[2] = 2;
	s.ndisks = 3;
	s.nctrls = 2;
	s.pools = &pool;
	s.npools = 1;
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 3, "spread over two controllers, "
	   "one the host's: refused");
	is_str(why, "pool tank spans 2 controllers (0000:00:17.0, 0000:03:00.0), and every one must go: sda on "
	       "0000:00:17.0 is used by the host: sda2 (ext4) is mounted on / (the root filesystem)", "and why");
	ctrls[1].group = -1;
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 4, "a controller in no IOMMU "
	   "group: not supported (4)");
	ok(strstr(why, "0000:03:00.0 is in no IOMMU group: without an IOMMU nothing can be assigned") != NULL, "%s", why);

	/* named disks only */
	set_disk(&disks[0], "sdb", PT_ZROLE_NAMED, NULL);
	set_disk(&disks[1], "sdc", PT_ZROLE_UNUSED, NULL);
	scan_init(&s, disks, 2, ctrls, idx);
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 3, "a named disk, an unused one");
	is_str(why, "sdc on 0000:03:00.0 holds nothing and is not named; --force takes it along", "and why");
	disks[0].nctrl = 0;
	disks[0].named = true;
	scan_init(&s, disks, 1, ctrls, idx);
	s.nctrls = 0;
	ok(pt_zscan_verdict(&s, false, false, why, sizeof(why), warn, sizeof(warn)) == 3, "a named disk behind no "
	   "PCI device: refused");
	is_str(why, "sdb is no disk behind a PCI controller (a dm, md, loop or network device): no controller takes it "
	       "to a guest", "and why");
	free(s.refusals);
}

int main(void)
{
	test_nvlist();
	test_foreign();
	test_names();
	test_judge();
	test_disks();
	test_groups();
	test_verdict();
	return tap_done();
}

#include "zpool.h"
#include "hostuse.h"
#include "msg.h"
#include "sysfs.h"

#include <blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- the label's nvlist (pure) ---- */

/* libnvpair's XDR encoding: an nvs header (encoding, endian, 2 reserved
 * bytes), nvl_version and nvl_nvflag, then pairs, each: its encoded size
 * (these 4 bytes included), its decoded size, the name as an XDR string
 * (length, bytes, padding to 4), the type, the element count, the value;
 * two zero words end the list. Numbers are big-endian. */
#define NV_ENCODE_XDR 1
#define DATA_TYPE_UINT64 8
#define DATA_TYPE_STRING 9
#define NVLIST_MAX_PAIRS 4096

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* An XDR string value of exactly one element into dst; false when it is
 * not one, is empty, does not fit (with its NUL) or holds a NUL. */
static bool xdr_string(const unsigned char *v, size_t vlen, uint32_t type, uint32_t nelem, char *dst,
		       size_t dlen)
{
	uint32_t l;

	if (type != DATA_TYPE_STRING || nelem != 1 || vlen < 4)
		return false;
	l = be32(v);
	if (l == 0 || l > vlen - 4 || l >= dlen || memchr(v + 4, '\0', l))
		return false;
	memcpy(dst, v + 4, l);
	dst[l] = '\0';
	return true;
}

static bool xdr_u64(const unsigned char *v, size_t vlen, uint32_t type, uint32_t nelem, uint64_t *dst)
{
	if (type != DATA_TYPE_UINT64 || nelem != 1 || vlen < 8)
		return false;
	*dst = be64(v);
	return true;
}

static bool key_is(const unsigned char *name, size_t nlen, const char *key)
{
	return nlen == strlen(key) && memcmp(name, key, nlen) == 0;
}

bool pt_zlabel_parse(const void *buf, size_t len, struct pt_zlabel *out)
{
	static const char *const keys[] = { "name", "hostname", "state", "txg", "pool_guid", "guid", "hostid" };
	const unsigned char *p = buf;
	size_t off = 12;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	if (!p || len < off + 8 || p[0] != NV_ENCODE_XDR)
		return false;
	for (int k = 0; k < NVLIST_MAX_PAIRS && len - off >= 8; k++) {
		const unsigned char *pair = p + off, *v;
		size_t esize = be32(pair), npad, vlen;
		uint32_t nlen, type, nelem;

		if (esize == 0 && be32(pair + 4) == 0)
			break; /* the end of the list */
		/* sizes, name length, type and count are 20 bytes at least */
		if (esize < 20 || esize > len - off || esize % 4)
			break;
		nlen = be32(pair + 8);
		if (nlen == 0 || nlen > esize - 20)
			break;
		npad = ((size_t)nlen + 3) & ~(size_t)3;
		if (12 + npad + 8 > esize)
			break;
		type = be32(pair + 12 + npad);
		nelem = be32(pair + 16 + npad);
		v = pair + 20 + npad;
		vlen = esize - 20 - npad;
		/* the first of a name counts, readable or not (names are unique at the top) */
		for (unsigned key = 0; key < sizeof(keys) / sizeof(keys[0]); key++) {
			if (!key_is(pair + 12, nlen, keys[key]) || (seen & 1u << key))
				continue;
			seen |= 1u << key;
			switch (key) {
			case 0: out->has_name = xdr_string(v, vlen, type, nelem, out->name, sizeof(out->name)); break;
			case 1:
				out->has_hostname = xdr_string(v, vlen, type, nelem, out->hostname, sizeof(out->hostname));
				break;
			case 2: out->has_state = xdr_u64(v, vlen, type, nelem, &out->state); break;
			case 3: out->has_txg = xdr_u64(v, vlen, type, nelem, &out->txg); break;
			case 4: out->has_pool_guid = xdr_u64(v, vlen, type, nelem, &out->pool_guid); break;
			case 5: out->has_guid = xdr_u64(v, vlen, type, nelem, &out->guid); break;
			default: out->has_hostid = xdr_u64(v, vlen, type, nelem, &out->hostid); break;
			}
		}
		off += esize;
	}
	out->valid = out->has_name || out->has_state || out->has_txg || out->has_pool_guid || out->has_guid ||
		     out->has_hostid || out->has_hostname;
	return out->valid;
}

bool pt_zlabel_foreign(const struct pt_zlabel *l, uint64_t my_hostid)
{
	return l->valid && l->has_state && l->state == PT_ZSTATE_ACTIVE && l->has_hostid && l->hostid != 0 &&
	       l->hostid != my_hostid;
}

bool pt_zpool_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PT_ZPOOL_NAME_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_-.: ", *c))
			return false;
	return true;
}

/* snprintf for messages: bounded, cut short rather than overrun */
static void put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- what a device holds (pure) ---- */

static bool is_spare(const struct pt_zlabel *l)
{
	return l->valid && l->has_state && (l->state == PT_ZSTATE_SPARE || l->state == PT_ZSTATE_L2CACHE);
}

static const char *spare_kind(const struct pt_zlabel *l)
{
	return l->state == PT_ZSTATE_SPARE ? "hot spare" : "cache device";
}

/* A spare or cache label: of its pool when the label names one. */
static void spare(const struct pt_zprobe *p, struct pt_zfinding *f)
{
	f->kind = PT_ZFIND_SPARE;
	f->pool = p->zl.has_name ? p->zl.name : NULL;
	put(f->what, sizeof(f->what), "a ZFS %s%s", spare_kind(&p->zl), f->pool ? "" : " whose label names no pool");
}

void pt_zprobe_judge(const struct pt_zprobe *p, struct pt_zfinding *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = PT_ZFIND_NONE;
	if (p->err) {
		if (p->err == ENOMEDIUM)
			return; /* an empty drive holds nothing */
		f->kind = PT_ZFIND_UNREADABLE;
		put(f->what, sizeof(f->what), "/dev/%s: %s", p->name, strerror(p->err));
		return;
	}
	if (p->ambivalent) {
		f->kind = PT_ZFIND_DAMAGED;
		put(f->what, sizeof(f->what), "signatures that exclude each other (libblkid will not say "
			 "which is real)");
		return;
	}
	if (strcmp(p->type, "zfs_member") == 0) {
		if (p->label[0]) {
			f->kind = PT_ZFIND_MEMBER;
			f->pool = p->label;
			if (is_spare(&p->zl))
				put(f->what, sizeof(f->what), "%s", spare_kind(&p->zl));
			return;
		}
		if (is_spare(&p->zl)) {
			spare(p, f);
			return;
		}
		f->kind = PT_ZFIND_DAMAGED;
		put(f->what, sizeof(f->what), "a ZFS label whose config names no pool");
		return;
	}
	if (p->type[0]) {
		f->kind = PT_ZFIND_SIGNATURE;
		put(f->what, sizeof(f->what), "%s%s%.200s%s", p->type, p->label[0] ? " (LABEL " : "",
			 p->label, p->label[0] ? ")" : "");
		return;
	}
	if (!p->zl.valid)
		return;
	/* libblkid before 2.39 wants uberblocks, which spares and caches lack */
	if (is_spare(&p->zl)) {
		spare(p, f);
		return;
	}
	f->kind = PT_ZFIND_DAMAGED;
	if (p->zl.has_name)
		put(f->what, sizeof(f->what), "a ZFS label of pool %.200s that libblkid does not take (too "
			 "few uberblocks, or a device under 64 MiB)", p->zl.name);
	else
		put(f->what, sizeof(f->what), "a ZFS label that libblkid does not take and that names no pool");
}

/* A whole disk's ZFS answer that is a partition's, read at the disk's end. */
static bool same_vdev(const struct pt_zprobe *a, const struct pt_zprobe *b)
{
	if (a->uuid_sub[0] && strcmp(a->uuid_sub, b->uuid_sub) == 0 && strcmp(a->uuid, b->uuid) == 0)
		return true;
	return a->zl.valid && b->zl.valid && a->zl.has_guid && b->zl.has_guid && a->zl.guid == b->zl.guid;
}

static bool whole_is_echo(const struct pt_zdisk *d)
{
	for (size_t i = 0; i < d->nparts; i++)
		if ((strcmp(d->whole.type, "zfs_member") == 0 || d->whole.zl.valid) && same_vdev(&d->whole, &d->parts[i]))
			return true;
	return false;
}

/* The probes of a disk in the order they count: partitions, then the whole
 * disk unless its answer is a partition's. */
static const struct pt_zprobe *probe_at(const struct pt_zdisk *d, size_t i, bool echo)
{
	if (i < d->nparts)
		return &d->parts[i];
	return i == d->nparts && !echo ? &d->whole : NULL;
}

size_t pt_zdisk_pools(const struct pt_zdisk *d, const char **out, size_t max)
{
	bool echo = whole_is_echo(d);
	size_t n = 0;

	for (size_t i = 0; i <= d->nparts; i++) {
		const struct pt_zprobe *p = probe_at(d, i, echo);
		struct pt_zfinding f;
		bool seen = false;

		if (!p)
			continue;
		pt_zprobe_judge(p, &f);
		if ((f.kind != PT_ZFIND_MEMBER && f.kind != PT_ZFIND_SPARE) || !f.pool)
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= strcmp(out[k], f.pool) == 0;
		if (!seen && n < max)
			out[n++] = f.pool;
	}
	return n;
}

const char *pt_zrole_name(enum pt_zrole r)
{
	static const char *const names[] = {
		[PT_ZROLE_MEMBER] = "member", [PT_ZROLE_NAMED] = "named", [PT_ZROLE_UNUSED] = "unused",
		[PT_ZROLE_UNKNOWN] = "unknown", [PT_ZROLE_FILESYSTEM] = "filesystem",
		[PT_ZROLE_OTHER_POOL] = "other-pool", [PT_ZROLE_UNREADABLE] = "unreadable",
		[PT_ZROLE_DAMAGED] = "damaged", [PT_ZROLE_HOST] = "host",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static bool in_names(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* "last imported by nas", "exported", ...: what a member's label says of its pool */
static void label_state(const struct pt_zlabel *l, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!l->valid || !l->has_state)
		return;
	switch (l->state) {
	case PT_ZSTATE_ACTIVE:
		if (l->has_hostname && l->hostname[0])
			put(buf, len, "last imported by %.200s", l->hostname);
		else if (l->has_hostid && l->hostid)
			put(buf, len, "last imported by hostid 0x%08llx", (unsigned long long)l->hostid);
		else
			snprintf(buf, len, "active");
		break;
	case PT_ZSTATE_EXPORTED: snprintf(buf, len, "exported"); break;
	case PT_ZSTATE_DESTROYED: snprintf(buf, len, "destroyed"); break;
	case PT_ZSTATE_SPARE: snprintf(buf, len, "hot spare"); break;
	case PT_ZSTATE_L2CACHE: snprintf(buf, len, "cache device"); break;
	default: snprintf(buf, len, "state %llu", (unsigned long long)l->state); break;
	}
}

void pt_zdisk_classify(struct pt_zdisk *d, const char *const *pools, size_t npools)
{
	bool echo = whole_is_echo(d), any = false;
	const struct pt_zprobe *at = NULL, *mat = NULL;
	struct pt_zfinding best = { 0 }, mbest = { 0 };
	enum pt_zrole role = PT_ZROLE_UNUSED;

	d->pool[0] = d->detail[0] = '\0';
	d->member = NULL;
	snprintf(d->where, sizeof(d->where), "%s", d->name);
	for (size_t i = 0; i <= d->nparts; i++) {
		const struct pt_zprobe *p = probe_at(d, i, echo);
		struct pt_zfinding f;
		enum pt_zrole r;

		if (!p)
			continue;
		pt_zprobe_judge(p, &f);
		switch (f.kind) {
		case PT_ZFIND_NONE: continue;
		case PT_ZFIND_MEMBER:
		case PT_ZFIND_SPARE:
			r = !f.pool ? PT_ZROLE_UNKNOWN : in_names(pools, npools, f.pool) ? PT_ZROLE_MEMBER
											  : PT_ZROLE_OTHER_POOL;
			break;
		case PT_ZFIND_SIGNATURE: r = PT_ZROLE_FILESYSTEM; break;
		case PT_ZFIND_DAMAGED: r = PT_ZROLE_DAMAGED; break;
		default: r = PT_ZROLE_UNREADABLE; break;
		}
		if (r == PT_ZROLE_MEMBER && !mat) {
			mbest = f;
			mat = p;
		}
		if (!any || r > role) {
			role = r;
			best = f;
			at = p;
			any = true;
		}
	}
	/* named, whatever else it holds goes with it: a member stays one */
	if (d->named && (role == PT_ZROLE_UNUSED || role == PT_ZROLE_UNKNOWN || role == PT_ZROLE_FILESYSTEM)) {
		role = mat ? PT_ZROLE_MEMBER : PT_ZROLE_NAMED;
		if (mat) {
			best = mbest;
			at = mat;
		}
	}
	/* the host's, whatever is on it; a member keeps its pool */
	if (d->host_use[0]) {
		d->role = PT_ZROLE_HOST;
		if (mat) {
			snprintf(d->pool, sizeof(d->pool), "%s", mbest.pool);
			snprintf(d->where, sizeof(d->where), "%s", mat->name);
			d->member = mat;
		}
		put(d->detail, sizeof(d->detail), "%s", d->host_use);
		return;
	}
	d->role = role;
	if (!at)
		return;
	snprintf(d->where, sizeof(d->where), "%s", at->name);
	if (role == PT_ZROLE_MEMBER || role == PT_ZROLE_OTHER_POOL) {
		char st[256];

		snprintf(d->pool, sizeof(d->pool), "%s", best.pool);
		d->member = at;
		label_state(&at->zl, st, sizeof(st));
		put(d->detail, sizeof(d->detail), "%s%s%s%s", at != &d->whole ? "on " : "",
			 at != &d->whole ? at->name : "", at != &d->whole && st[0] ? ", " : "", st);
	} else {
		put(d->detail, sizeof(d->detail), "%s%s%s", best.what, at != &d->whole ? " on " : "",
			 at != &d->whole ? at->name : "");
	}
}

/* ---- groups (pure) ---- */

bool pt_zgroup_viable(int group, const struct pt_zgroup_dev *devs, size_t n, char *why, size_t len)
{
	char others[768] = "";
	size_t nothers = 0;

	why[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (devs[i].bridge && !pt_driver_manages_dma(devs[i].driver)) {
			put(why, len, "IOMMU group %d cannot go to VFIO: its %s %s is on %s, a driver that keeps "
				 "the device's DMA, so the kernel calls the group not viable; unload %s first", group,
				 devs[i].host_bridge ? "host bridge" : "bridge", devs[i].bdf, devs[i].driver,
				 devs[i].driver);
			return false;
		}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(others);

		if (devs[i].bridge || devs[i].taken || pt_driver_manages_dma(devs[i].driver))
			continue;
		if (l + 64 < sizeof(others))
			snprintf(others + l, sizeof(others) - l, "%s%s (%s)", nothers ? ", " : "", devs[i].bdf,
				 devs[i].driver);
		nothers++;
	}
	if (!nothers)
		return true;
	put(why, len, "IOMMU group %d also holds %s, still on host drivers: VFIO takes a group only whole, "
		 "so %s would have to go too (vfio-bind --group takes the whole group, if the host can spare it)",
		 group, others, nothers == 1 ? "it" : "they");
	return false;
}

/* ---- the verdict (pure) ---- */

static struct pt_zrefusal *add_refusal(struct pt_zscan *s, const char *disk, const char *ctrl, const char *pool)
{
	struct pt_zrefusal *r;

	s->refusals = pt_xrealloc(s->refusals, (s->nrefusals + 1) * sizeof(*s->refusals));
	r = &s->refusals[s->nrefusals++];
	memset(r, 0, sizeof(*r));
	snprintf(r->disk, sizeof(r->disk), "%s", disk ? disk : "");
	snprintf(r->ctrl, sizeof(r->ctrl), "%s", ctrl ? ctrl : "");
	snprintf(r->pool, sizeof(r->pool), "%s", pool ? pool : "");
	return r;
}

static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	if (l + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

/* "pool tank", "pools tank and fast", "pools a, b and c" */
static void pools_phrase(const struct pt_zscan *s, char *buf, size_t len)
{
	buf[0] = '\0';
	cat(buf, len, "pool%s ", s->npools == 1 ? "" : "s");
	for (size_t i = 0; i < s->npools; i++)
		cat(buf, len, "%s%.200s", i == 0 ? "" : i + 1 == s->npools ? " and " : ", ", s->pools[i].name);
}

/* "not in pool tank" or, with no pool, "not named" */
static void not_in(const struct pt_zscan *s, char *buf, size_t len)
{
	char p[600];

	if (!s->npools) {
		snprintf(buf, len, "not named");
		return;
	}
	pools_phrase(s, p, sizeof(p));
	snprintf(buf, len, "not in %s", p);
}

/* The disks of controller c with role r (and pool, for other-pool) not yet
 * named in a refusal: "sdh, sdi", their number in *n. */
static void disks_with(const struct pt_zscan *s, const struct pt_zctrl *c, enum pt_zrole r, const char *pool,
		       const bool *done, char *buf, size_t len, size_t *n)
{
	buf[0] = '\0';
	*n = 0;
	for (size_t k = 0; k < c->ndisks; k++) {
		const struct pt_zdisk *d = &s->disks[c->disks[k]];

		if (done[c->disks[k]] || d->role != r || (pool && strcmp(d->pool, pool) != 0))
			continue;
		cat(buf, len, "%s%s", *n ? ", " : "", d->name);
		(*n)++;
	}
}

int pt_zscan_verdict(struct pt_zscan *s, bool force, bool foreign, char *why, size_t len, char *warn,
		     size_t wlen)
{
	bool *done = pt_xcalloc(s->ndisks + 1, sizeof(*done));
	char notin[700];
	size_t nstand = 0, nhard = 0, nforce = 0, nunused = 0;
	bool on_ctrl = false;

	free(s->refusals);
	s->refusals = NULL;
	s->nrefusals = 0;
	s->exit = PT_EXIT_OK;
	why[0] = warn[0] = '\0';
	not_in(s, notin, sizeof(notin));

	/* without an IOMMU nothing can be assigned: the host's answer, not a refusal */
	for (size_t i = 0; i < s->nctrls; i++)
		if (s->ctrls[i].dev && s->ctrls[i].group < 0) {
			struct pt_zrefusal *r = add_refusal(s, NULL, s->ctrls[i].name, NULL);

			put(r->text, sizeof(r->text), "%s is in no IOMMU group: without an IOMMU nothing can be "
				 "assigned (iommu-groups --check says why)", s->ctrls[i].name);
			s->exit = PT_EXIT_UNSUPPORTED;
		}
	for (size_t i = 0; i < s->npools; i++) {
		const struct pt_zpool *p = &s->pools[i];
		struct pt_zrefusal *r;

		if (p->imported) {
			r = add_refusal(s, NULL, NULL, p->name);
			put(r->text, sizeof(r->text), "pool %.200s is imported on this host "
				 "(/proc/spl/kstat/zfs/%.200s): the host uses its disks; export it first (zpool export "
				 "%.200s)", p->name, p->name, p->name);
		}
		if (p->stray[0]) {
			r = add_refusal(s, p->stray, NULL, p->name);
			put(r->text, sizeof(r->text), "pool %.200s has a member on %s, which is no disk behind a "
				 "PCI controller (a dm, md, loop or network device): no controller takes it to a guest",
				 p->name, p->stray);
		}
		if (p->foreign && !p->imported) {
			char host[300];

			if (p->foreign_host[0])
				put(host, sizeof(host), "%.200s (hostid 0x%08llx)", p->foreign_host,
					 (unsigned long long)p->foreign_hostid);
			else
				put(host, sizeof(host), "hostid 0x%08llx", (unsigned long long)p->foreign_hostid);
			r = add_refusal(s, p->foreign_disk, NULL, p->name);
			r->foreign = true;
			put(r->text, sizeof(r->text), "pool %.200s was last imported by another system, %s, and "
				 "not exported (the label of %s says so): if that system is running, a guest importing "
				 "the pool too destroys it; export it there first (zpool export %.200s), or, when that "
				 "system is not running or is the guest, --foreign takes it", p->name, host,
				 p->foreign_disk, p->name);
		}
	}
	for (size_t i = 0; i < s->ndisks; i++)
		if (s->disks[i].named && !s->disks[i].nctrl) {
			struct pt_zrefusal *r = add_refusal(s, s->disks[i].name, NULL, NULL);

			put(r->text, sizeof(r->text), "%s is no disk behind a PCI controller (a dm, md, loop or "
				 "network device): no controller takes it to a guest", s->disks[i].name);
		}
	for (size_t i = 0; i < s->nctrls; i++) {
		const struct pt_zctrl *c = &s->ctrls[i];
		struct pt_zrefusal *r;
		char list[1024];
		size_t n;

		if (!c->dev) {
			r = add_refusal(s, NULL, c->name, NULL);
			put(r->text, sizeof(r->text), "%s is not among the host's PCI devices", c->name);
			continue;
		}
		if (c->host_use[0]) {
			r = add_refusal(s, NULL, c->name, NULL);
			put(r->text, sizeof(r->text), "%s cannot go: %s", c->name, c->host_use);
		}
		if (c->group_why[0]) {
			r = add_refusal(s, NULL, c->name, NULL);
			put(r->text, sizeof(r->text), "%s", c->group_why);
		}
		for (size_t k = 0; k < c->ndisks; k++) {
			size_t di = c->disks[k];
			const struct pt_zdisk *d = &s->disks[di];

			if (done[di])
				continue;
			switch (d->role) {
			case PT_ZROLE_HOST:
				r = add_refusal(s, d->name, c->name, NULL);
				put(r->text, sizeof(r->text), "%s on %s is used by the host: %s", d->name, c->name,
					 d->host_use);
				break;
			case PT_ZROLE_DAMAGED:
				r = add_refusal(s, d->name, c->name, NULL);
				put(r->text, sizeof(r->text), "%s on %s has %s: repair it, or clear it (wipefs -a "
					 "/dev/%s), first", d->name, c->name, d->detail, d->where);
				break;
			case PT_ZROLE_UNREADABLE:
				r = add_refusal(s, d->name, c->name, NULL);
				put(r->text, sizeof(r->text), "%s on %s cannot be read (%s)", d->name, c->name,
					 d->detail);
				break;
			case PT_ZROLE_FILESYSTEM:
				r = add_refusal(s, d->name, c->name, NULL);
				put(r->text, sizeof(r->text), "%s on %s holds %s, %s: name it (/dev/%s) to take it "
					 "along", d->name, c->name, d->detail, notin, d->name);
				break;
			case PT_ZROLE_UNKNOWN:
				r = add_refusal(s, d->name, c->name, NULL);
				put(r->text, sizeof(r->text), "%s on %s holds %s: name it (/dev/%s) to take it "
					 "along", d->name, c->name, d->detail, d->name);
				break;
			case PT_ZROLE_OTHER_POOL:
				disks_with(s, c, PT_ZROLE_OTHER_POOL, d->pool, done, list, sizeof(list), &n);
				r = add_refusal(s, d->name, c->name, d->pool);
				put(r->text, sizeof(r->text), "%s on %s %s in pool %.200s, %s: name that pool too "
					 "to take %s along", list, c->name, n == 1 ? "is" : "are", d->pool, notin,
					 n == 1 ? "it" : "them");
				for (size_t m = 0; m < c->ndisks; m++)
					if (s->disks[c->disks[m]].role == PT_ZROLE_OTHER_POOL &&
					    strcmp(s->disks[c->disks[m]].pool, d->pool) == 0)
						done[c->disks[m]] = true;
				break;
			case PT_ZROLE_UNUSED:
				disks_with(s, c, PT_ZROLE_UNUSED, NULL, done, list, sizeof(list), &n);
				r = add_refusal(s, d->name, c->name, NULL);
				r->forceable = true;
				put(r->text, sizeof(r->text), "%s on %s %s nothing and %s %s", list, c->name,
					 n == 1 ? "holds" : "hold", n == 1 ? "is" : "are", notin);
				for (size_t m = 0; m < c->ndisks; m++)
					if (s->disks[c->disks[m]].role == PT_ZROLE_UNUSED)
						done[c->disks[m]] = true;
				break;
			default:
				break;
			}
			done[di] = true;
		}
	}
	free(done);

	for (size_t i = 0; i < s->nrefusals; i++) {
		struct pt_zrefusal *r = &s->refusals[i];

		r->forced = (r->forceable && force) || (r->foreign && foreign);
		if (r->forced) {
			cat(warn, wlen, "%swarning: %s (%s given)", warn[0] ? "\n" : "", r->text,
			    r->foreign ? "--foreign" : "--force");
			continue;
		}
		nstand++;
		if (!r->forceable && !r->foreign)
			nhard++;
		if (r->forceable)
			nforce++;
		on_ctrl |= r->ctrl[0] != '\0';
	}
	for (size_t i = 0; i < s->ndisks; i++)
		nunused += s->disks[i].on_plan && s->disks[i].role == PT_ZROLE_UNUSED;
	if (!nstand)
		return s->exit;
	if (s->exit == PT_EXIT_OK)
		s->exit = PT_EXIT_REFUSED;
	/* a plan over several controllers goes whole or not at all */
	if (s->nctrls > 1 && on_ctrl) {
		char p[600];

		if (s->npools)
			pools_phrase(s, p, sizeof(p));
		else
			snprintf(p, sizeof(p), "the disks");
		cat(why, len, "%s span%s %zu controllers (", p, s->npools == 1 ? "s" : "", s->nctrls);
		for (size_t i = 0; i < s->nctrls; i++)
			cat(why, len, "%s%s", i ? ", " : "", s->ctrls[i].name);
		cat(why, len, "), and every one must go: ");
	}
	/* what nothing overrides first and alone; else what --foreign and --force would */
	{
		size_t k = 0;

		for (size_t i = 0; i < s->nrefusals; i++) {
			const struct pt_zrefusal *r = &s->refusals[i];

			if (r->forced || (nhard && (r->forceable || r->foreign)))
				continue;
			cat(why, len, "%s%s", k++ ? "; " : "", r->text);
		}
		if (!nhard && nforce)
			cat(why, len, "; --force takes %s along", nunused == 1 ? "it" : "them");
	}
	return s->exit;
}

/* ---- the I/O side ---- */

#define LABEL_SIZE (256 << 10)
#define PHYS_OFF (16 << 10)
#define PHYS_LEN ((112 << 10) - 40) /* vdev_phys_t without its zio_eck_t */

/* The first of the four labels whose config nvlist reads (sys/vdev_impl.h:
 * L0 and L1 at the start, L2 and L3 in the last 512 KiB of the size
 * rounded down to 256 KiB). */
static void read_zlabel(int fd, struct pt_zlabel *zl)
{
	off_t size = lseek(fd, 0, SEEK_END);
	unsigned char *buf;
	off_t psize, at[4];

	memset(zl, 0, sizeof(*zl));
	if (size < 4 * (off_t)LABEL_SIZE)
		return;
	psize = size - size % LABEL_SIZE;
	at[0] = 0;
	at[1] = LABEL_SIZE;
	at[2] = psize - 2 * LABEL_SIZE;
	at[3] = psize - LABEL_SIZE;
	buf = pt_xmalloc(PHYS_LEN);
	for (int i = 0; i < 4; i++)
		if (pread(fd, buf, PHYS_LEN, at[i] + PHYS_OFF) == PHYS_LEN && pt_zlabel_parse(buf, PHYS_LEN, zl))
			break;
	free(buf);
}

static void lookup(blkid_probe pr, const char *name, char *buf, size_t len)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
		snprintf(buf, len, "%s", v);
}

/* libblkid on /dev/NAME, and the label's nvlist where it says zfs_member
 * or nothing. */
static void probe(struct pt_zprobe *p, const char *name)
{
	char path[PATH_MAX];
	blkid_probe pr;
	int fd, rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (pt_path(path, sizeof(path), "/dev/%s", name) < 0) {
		p->err = ENAMETOOLONG;
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		p->err = errno;
		return;
	}
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) != 0) {
		p->err = errno ? errno : EIO;
		if (pr)
			blkid_free_probe(pr);
		close(fd);
		return;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
	errno = 0;
	rc = blkid_do_safeprobe(pr);
	if (rc == 0) {
		lookup(pr, "TYPE", p->type, sizeof(p->type));
		lookup(pr, "LABEL", p->label, sizeof(p->label));
		lookup(pr, "UUID", p->uuid, sizeof(p->uuid));
		lookup(pr, "UUID_SUB", p->uuid_sub, sizeof(p->uuid_sub));
	} else if (rc == -2) {
		p->ambivalent = true;
	} else if (rc < 0) {
		p->err = errno ? errno : EIO;
	}
	blkid_free_probe(pr);
	if (!p->err && !p->ambivalent && (!p->type[0] || strcmp(p->type, "zfs_member") == 0))
		read_zlabel(fd, &p->zl);
	close(fd);
}

int pt_zscan_probe(struct pt_zscan *s, char *err, size_t errlen)
{
	char **names = NULL;
	int n = pt_list_dir(&names, "/sys/block");

	if (n < 0)
		n = 0;
	s->disks = pt_xcalloc((size_t)n + 1, sizeof(*s->disks));
	s->ndisks = 0;
	for (int i = 0; i < n; i++) {
		struct pt_zdisk *d;
		char **ents = NULL, hidden[8] = "";
		int ne;

		/* a multipath NVMe namespace's path devices (nvme0c0n1) have no
		 * node: the namespace (nvme0n1) is the disk (genhd.c hidden_show) */
		if (pt_read_text(hidden, sizeof(hidden), "/sys/block/%s/hidden", names[i]) > 0 &&
		    strcmp(hidden, "1") == 0)
			continue;
		d = &s->disks[s->ndisks++];
		snprintf(d->name, sizeof(d->name), "%s", names[i]);
		probe(&d->whole, names[i]);
		ne = pt_list_dir(&ents, "/sys/block/%s", names[i]);
		d->parts = pt_xcalloc((size_t)(ne > 0 ? ne : 0) + 1, sizeof(*d->parts));
		for (int j = 0; j < ne; j++)
			if (pt_exists("/sys/block/%s/%s/partition", names[i], ents[j]))
				probe(&d->parts[d->nparts++], ents[j]);
		if (ne > 0)
			pt_free_names(ents, ne);
		d->nctrl = pt_block_pci_devices(names[i], d->ctrl, PT_ZDISK_CTRL_MAX);
	}
	if (n > 0)
		pt_free_names(names, n);
	/* without read access every disk looks blank: say so, never "no pool" */
	for (size_t i = 0; i < s->ndisks; i++)
		for (size_t j = 0; j <= s->disks[i].nparts; j++) {
			const struct pt_zprobe *p = j < s->disks[i].nparts ? &s->disks[i].parts[j] : &s->disks[i].whole;

			if (p->err == EACCES || p->err == EPERM) {
				put(err, errlen, "cannot read /dev/%s: %s (reading disk labels needs root)", p->name,
					 strerror(p->err));
				return PT_EXIT_FAIL;
			}
		}
	return PT_EXIT_OK;
}

/* Textual: rel ("/dev/disk/by-id/x") with "." and ".." resolved, below "/". */
static void normalize(char *rel, size_t len)
{
	char out[PATH_MAX] = "", *save = NULL, *tok, tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", rel);
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			char *sl = strrchr(out, '/');

			if (sl)
				*sl = '\0';
			continue;
		}
		cat(out, sizeof(out), "/%s", tok);
	}
	snprintf(rel, len, "%s", out[0] ? out : "/");
}

int pt_zscan_find_disk(const struct pt_zscan *s, const char *arg, size_t *idx, char *err, size_t errlen)
{
	char rel[PATH_MAX], host[PATH_MAX], name[128] = "", parent[128];
	struct stat st;
	int hops = 0;

	if (arg[0] != '/') {
		put(err, errlen, "%s: name a disk by its path (/dev/sdb, /dev/disk/by-id/...)", arg);
		return PT_EXIT_USAGE;
	}
	snprintf(rel, sizeof(rel), "%s", arg);
	normalize(rel, sizeof(rel));
	/* links are followed below the sysroot: an absolute target is the sysroot's */
	for (;;) {
		char target[PATH_MAX];
		ssize_t l;

		if (pt_path(host, sizeof(host), "%s", rel) < 0 || lstat(host, &st) < 0) {
			put(err, errlen, "%s: %s", arg, strerror(errno == 0 ? ENAMETOOLONG : errno));
			return PT_EXIT_FAIL;
		}
		if (!S_ISLNK(st.st_mode))
			break;
		if (++hops > 40 || (l = readlink(host, target, sizeof(target) - 1)) <= 0) {
			put(err, errlen, "%s: %s", arg, strerror(hops > 40 ? ELOOP : errno));
			return PT_EXIT_FAIL;
		}
		target[l] = '\0';
		if (target[0] == '/') {
			snprintf(rel, sizeof(rel), "%s", target);
		} else {
			char *sl = strrchr(rel, '/');

			*sl = '\0';
			cat(rel, sizeof(rel), "/%s", target);
		}
		normalize(rel, sizeof(rel));
	}
	if (pt_sysroot_live() && S_ISBLK(st.st_mode)) {
		/* the kernel's name for the node's number, whatever the node is called */
		if (pt_read_link_name(name, sizeof(name), "/sys/dev/block/%u:%u", major(st.st_rdev),
				      minor(st.st_rdev)) <= 0)
			name[0] = '\0';
	} else if (!pt_sysroot_live() && (S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)) &&
		   strncmp(rel, "/dev/", 5) == 0) {
		/* a recorded host's nodes are files named as the kernel names them */
		snprintf(name, sizeof(name), "%s", strrchr(rel, '/') + 1);
	}
	if (!name[0] || strchr(name, '/') || !pt_exists("/sys/class/block/%s", name)) {
		put(err, errlen, "%s is not a block device", arg);
		return PT_EXIT_USAGE;
	}
	if (pt_exists("/sys/class/block/%s/partition", name)) {
		char link[PATH_MAX];

		parent[0] = '\0';
		if (pt_read_link(link, sizeof(link), "/sys/class/block/%s", name) > 0) {
			char *sl = strrchr(link, '/');

			if (sl) {
				*sl = '\0';
				sl = strrchr(link, '/');
				put(parent, sizeof(parent), "%s", sl ? sl + 1 : link);
			}
		}
		put(err, errlen, "%s is partition %s of %s: a controller carries whole disks; name /dev/%s",
			 arg, name, parent[0] ? parent : "a disk", parent[0] ? parent : "DISK");
		return PT_EXIT_USAGE;
	}
	for (size_t i = 0; i < s->ndisks; i++)
		if (strcmp(s->disks[i].name, name) == 0) {
			*idx = i;
			return PT_EXIT_OK;
		}
	put(err, errlen, "%s (%s) is not among the host's disks (/sys/block)", arg, name);
	return PT_EXIT_FAIL;
}

uint64_t pt_zfs_hostid(void)
{
	char buf[32], *raw = NULL;
	uint64_t id = 0;
	long n;

	/* the spl module's parameter wins when it is set (spl-generic.c spl_hostid) */
	if (pt_read_text(buf, sizeof(buf), "/sys/module/spl/parameters/spl_hostid") > 0) {
		id = strtoull(buf, NULL, 0);
		if (id)
			return id & 0xffffffffULL;
	}
	n = pt_read_file(&raw, 64, "/etc/hostid");
	if (n == 4) {
		uint32_t v;

		memcpy(&v, raw, 4);
		id = v;
	}
	free(raw);
	return id;
}

static struct pt_zpool *add_pool(struct pt_zscan *s, const char *name, bool named)
{
	for (size_t i = 0; i < s->npools; i++)
		if (strcmp(s->pools[i].name, name) == 0) {
			s->pools[i].named |= named;
			return &s->pools[i];
		}
	s->pools = pt_xrealloc(s->pools, (s->npools + 1) * sizeof(*s->pools));
	memset(&s->pools[s->npools], 0, sizeof(*s->pools));
	snprintf(s->pools[s->npools].name, sizeof(s->pools->name), "%s", name);
	s->pools[s->npools].named = named;
	return &s->pools[s->npools++];
}

bool pt_zdisk_has_pool(const struct pt_zdisk *d, const char *pool)
{
	const char *v[32];
	size_t n = pt_zdisk_pools(d, v, 32);

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], pool) == 0)
			return true;
	return false;
}

/* The probe on d that carries pool's label. */
static const struct pt_zprobe *member_probe(const struct pt_zdisk *d, const char *pool)
{
	bool echo = whole_is_echo(d);

	for (size_t i = 0; i <= d->nparts; i++) {
		const struct pt_zprobe *p = probe_at(d, i, echo);
		struct pt_zfinding f;

		if (!p)
			continue;
		pt_zprobe_judge(p, &f);
		if ((f.kind == PT_ZFIND_MEMBER || f.kind == PT_ZFIND_SPARE) && f.pool && strcmp(f.pool, pool) == 0)
			return p;
	}
	return NULL;
}

static struct pt_zctrl *add_ctrl(struct pt_zscan *s, const struct pt_bdf *b)
{
	for (size_t i = 0; i < s->nctrls; i++)
		if (pt_bdf_cmp(&s->ctrls[i].bdf, b) == 0)
			return &s->ctrls[i];
	s->ctrls = pt_xrealloc(s->ctrls, (s->nctrls + 1) * sizeof(*s->ctrls));
	memset(&s->ctrls[s->nctrls], 0, sizeof(*s->ctrls));
	s->ctrls[s->nctrls].bdf = *b;
	pt_bdf_format(b, s->ctrls[s->nctrls].name);
	return &s->ctrls[s->nctrls++];
}

static int cmp_ctrl(const void *a, const void *b)
{
	return pt_bdf_cmp(&((const struct pt_zctrl *)a)->bdf, &((const struct pt_zctrl *)b)->bdf);
}

int pt_zscan_plan(struct pt_zscan *s, const struct pt_host *h, struct pt_group *groups, size_t ng,
		  const char *const *pools, size_t npools, char *err, size_t errlen)
{
	const char **names;

	for (size_t i = 0; i < npools; i++)
		add_pool(s, pools[i], true);
	/* a named disk brings its pools: a pool goes whole or not at all */
	for (size_t i = 0; i < s->ndisks; i++) {
		struct pt_zdisk *d = &s->disks[i];
		const char *v[32];
		size_t n;
		bool echo = whole_is_echo(d);

		if (!d->named)
			continue;
		for (size_t j = 0; j <= d->nparts; j++) {
			const struct pt_zprobe *p = probe_at(d, j, echo);
			struct pt_zfinding f;

			if (!p)
				continue;
			pt_zprobe_judge(p, &f);
			if (f.kind == PT_ZFIND_DAMAGED) {
				put(err, errlen, "/dev/%s: %s%s%s: its pool cannot be told; repair it, or clear it "
					 "(wipefs -a /dev/%s), first", d->name, f.what, p != &d->whole ? " on " : "",
					 p != &d->whole ? p->name : "", p->name);
				return PT_EXIT_FAIL;
			}
			if (f.kind == PT_ZFIND_UNREADABLE) {
				put(err, errlen, "cannot read %s", f.what);
				return PT_EXIT_FAIL;
			}
		}
		n = pt_zdisk_pools(d, v, 32);
		for (size_t k = 0; k < n; k++)
			add_pool(s, v[k], false);
	}
	/* members, and the controllers they and the named disks hang off */
	s->hostid = pt_zfs_hostid();
	for (size_t i = 0; i < s->npools; i++) {
		struct pt_zpool *p = &s->pools[i];

		p->imported = pt_exists("/proc/spl/kstat/zfs/%s/state", p->name) ||
			      pt_exists("/proc/spl/kstat/zfs/%s/txgs", p->name);
		for (size_t k = 0; k < s->ndisks; k++) {
			struct pt_zdisk *d = &s->disks[k];
			const struct pt_zprobe *m;

			if (!pt_zdisk_has_pool(d, p->name))
				continue;
			p->nmembers++;
			if (!d->nctrl && !p->stray[0])
				snprintf(p->stray, sizeof(p->stray), "%s", d->name);
			for (size_t c = 0; c < d->nctrl; c++)
				add_ctrl(s, &d->ctrl[c]);
			m = member_probe(d, p->name);
			if (m && !p->foreign && pt_zlabel_foreign(&m->zl, s->hostid)) {
				p->foreign = true;
				p->foreign_hostid = m->zl.hostid;
				snprintf(p->foreign_disk, sizeof(p->foreign_disk), "%s", m->name);
				snprintf(p->foreign_host, sizeof(p->foreign_host), "%s",
					 m->zl.has_hostname ? m->zl.hostname : "");
			}
		}
		if (!p->nmembers) {
			put(err, errlen, "no disk carries pool %.200s", p->name);
			return PT_EXIT_FAIL;
		}
	}
	for (size_t i = 0; i < s->ndisks; i++)
		for (size_t c = 0; s->disks[i].named && c < s->disks[i].nctrl; c++)
			add_ctrl(s, &s->disks[i].ctrl[c]);
	if (s->nctrls > 1)
		qsort(s->ctrls, s->nctrls, sizeof(*s->ctrls), cmp_ctrl);

	/* every disk on those controllers, with what the host does with it */
	names = pt_xcalloc(s->npools + 1, sizeof(*names));
	for (size_t i = 0; i < s->npools; i++)
		names[i] = s->pools[i].name;
	for (size_t i = 0; i < s->nctrls; i++) {
		struct pt_zctrl *c = &s->ctrls[i];

		c->disks = pt_xcalloc(s->ndisks + 1, sizeof(*c->disks));
		for (size_t k = 0; k < s->ndisks; k++) {
			struct pt_zdisk *d = &s->disks[k];

			for (size_t m = 0; m < d->nctrl; m++)
				if (pt_bdf_cmp(&d->ctrl[m], &c->bdf) == 0) {
					c->disks[c->ndisks++] = k;
					if (!d->on_plan) {
						d->on_plan = true;
						pt_disk_host_use(d->name, d->host_use, sizeof(d->host_use));
						pt_zdisk_classify(d, names, s->npools);
					}
					break;
				}
		}
	}
	free(names);
	/* the controllers themselves, and their groups */
	for (size_t i = 0; i < s->nctrls; i++) {
		struct pt_zctrl *c = &s->ctrls[i];
		struct pt_group *g;
		bool disk_used = false;
		char why[2048];

		c->dev = pt_host_find(h, &c->bdf);
		c->group = c->dev ? c->dev->group : -1;
		if (!c->dev)
			continue;
		pt_dev_describe(h, c->dev, c->desc, sizeof(c->desc));
		for (size_t k = 0; k < c->ndisks; k++)
			disk_used |= s->disks[c->disks[k]].role == PT_ZROLE_HOST;
		c->use = pt_dev_host_use(h, c->dev, PT_OP_TAKE, why, sizeof(why));
		/* its disks are judged one by one; any other reason stands */
		if (c->use == PT_USE_NEVER || (c->use == PT_USE_FORCEABLE && !disk_used))
			put(c->host_use, sizeof(c->host_use), "%s", why);
		g = c->group >= 0 ? pt_group_find(groups, ng, c->group) : NULL;
		if (g) {
			struct pt_zgroup_dev *gd = pt_xcalloc(g->ndevs + 1, sizeof(*gd));

			for (size_t k = 0; k < g->ndevs; k++) {
				gd[k].bdf = g->devs[k]->name;
				gd[k].driver = g->devs[k]->driver;
				gd[k].bridge = pt_dev_is_bridge(g->devs[k]);
				gd[k].host_bridge = g->devs[k]->class == 0x0600;
				for (size_t m = 0; m < s->nctrls; m++)
					gd[k].taken |= pt_bdf_cmp(&s->ctrls[m].bdf, &g->devs[k]->bdf) == 0;
				if (!gd[k].taken)
					cat(c->group_others, sizeof(c->group_others), "%s%s (%s%s)",
					    c->group_others[0] ? ", " : "", gd[k].bdf,
					    gd[k].driver ? gd[k].driver : "no driver", gd[k].bridge ? ", bridge" : "");
			}
			pt_zgroup_viable(c->group, gd, g->ndevs, c->group_why, sizeof(c->group_why));
			free(gd);
		}
	}
	return PT_EXIT_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t pt_zscan_pool_names(const struct pt_zscan *s, const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->ndisks; i++)
		for (size_t j = 0; j <= s->disks[i].nparts; j++) {
			const struct pt_zprobe *p = j < s->disks[i].nparts ? &s->disks[i].parts[j] : &s->disks[i].whole;
			bool seen = false;

			if (strcmp(p->type, "zfs_member") != 0 || !p->label[0])
				continue;
			for (size_t k = 0; k < n; k++)
				seen |= strcmp(out[k], p->label) == 0;
			if (!seen && n < max)
				out[n++] = p->label;
		}
	qsort(out, n, sizeof(*out), cmp_str);
	return n;
}

void pt_zscan_free(struct pt_zscan *s)
{
	for (size_t i = 0; i < s->ndisks; i++)
		free(s->disks[i].parts);
	for (size_t i = 0; i < s->nctrls; i++)
		free(s->ctrls[i].disks);
	free(s->disks);
	free(s->pools);
	free(s->ctrls);
	free(s->refusals);
	memset(s, 0, sizeof(*s));
}

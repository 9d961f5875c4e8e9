#include "txn.h"
#include "vfio.h"
#include "mdev.h"
#include "handover.h"
#include "hostuse.h"
#include "modules.h"
#include "msg.h"
#include "signals.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- pure pieces ---- */

bool pt_name_ok(const char *s)
{
	size_t l = strlen(s);

	if (l == 0 || l >= 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static const char *dash(const char *s)
{
	return s[0] ? s : "-";
}

static const char *const record_ops[] = { "keep", "create", "remove" };
static const char *const step_names[] = { "mdev-create", "mdev-remove", "attr", "console", "platform" };
#define NSTEP_KINDS 5

/* A file's content in the journal: hex, every byte ("=" empty, "-" none). */
static char *hex_of(const char *s)
{
	size_t l = s ? strlen(s) : 0;
	char *out = pt_xmalloc(2 * l + 2);

	if (!s || l == 0) {
		strcpy(out, s ? "=" : "-");
		return out;
	}
	for (size_t i = 0; i < l; i++) {
		static const char digits[] = "0123456789abcdef";

		out[2 * i] = digits[(unsigned char)s[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	out[2 * l] = '\0';
	return out;
}

static char *unhex(const char *h)
{
	size_t l = strlen(h);
	char *s;

	if (strcmp(h, "-") == 0)
		return NULL;
	s = pt_xcalloc(l / 2 + 1, 1);
	if (strcmp(h, "=") == 0)
		return s;
	for (size_t i = 0; i + 1 < l; i += 2) {
		unsigned v;

		if (sscanf(h + i, "%2x", &v) != 1)
			break;
		s[i / 2] = (char)v;
	}
	return s;
}

char *pt_txn_format(const struct pt_txn *t, bool committed)
{
	size_t cap = 256 + t->n * 256, o = 0;
	char *s;

	cap += t->nsteps * (2 * (256 + 128 + 128) + 32);
	for (size_t i = 0; i < t->nfiles; i++)
		cap += 300 + 2 * (t->files[i].old ? strlen(t->files[i].old) : 0) +
		       2 * (t->files[i].new ? strlen(t->files[i].new) : 0);
	s = pt_xmalloc(cap);

	o += (size_t)snprintf(s + o, cap - o, "passthru-utils journal 1\npid %ld\naction %s\n",
			      t->owner > 0 ? t->owner : (long)getpid(), t->action);
	if (t->owner_start)
		o += (size_t)snprintf(s + o, cap - o, "start %llu\n", t->owner_start);
	for (size_t i = 0; i < t->n; i++) {
		const struct pt_txn_dev *x = &t->dev[i];

		o += (size_t)snprintf(s + o, cap - o, "device %s %d %s %s %s %s %s %d\n", x->bdf, x->group,
				      dash(x->from.driver), dash(x->from.override), dash(x->to.driver),
				      dash(x->to.override), record_ops[x->record], x->record_new);
	}
	for (size_t i = 0; i < t->nsteps; i++) {
		const struct pt_txn_step *x = &t->steps[i];
		char *ph = hex_of(x->path), *ah = hex_of(x->a), *bh = hex_of(x->b);

		o += (size_t)snprintf(s + o, cap - o, "step %s %s %s %s%s\n", step_names[x->kind], ph, ah, bh,
				      x->early ? " early" : "");
		free(ph);
		free(ah);
		free(bh);
	}
	for (size_t i = 0; i < t->nfiles; i++) {
		char *oh = hex_of(t->files[i].old), *nh = hex_of(t->files[i].new);

		o += (size_t)snprintf(s + o, cap - o, "file %s %s %s\n", t->files[i].path, oh, nh);
		free(oh);
		free(nh);
	}
	if (committed)
		snprintf(s + o, cap - o, "commit\n");
	return s;
}

static bool state_word(const char *w, char *out, size_t len, bool any)
{
	if (strcmp(w, "-") == 0) {
		out[0] = '\0';
		return true;
	}
	if (!pt_name_ok(w) && !(any && strcmp(w, PT_ANY_DRIVER) == 0))
		return false;
	snprintf(out, len, "%s", w);
	return true;
}

/* Split a line into at most 9 words at single spaces, in place; returns
 * how many. */
static int words_of(char *line, char **w)
{
	int n = 0;

	for (char *p = strtok(line, " "); p && n < 9; p = strtok(NULL, " "))
		w[n++] = p;
	return n;
}

/* The files a journal may name: driverctl's (pci-BDF), mdevctl's
 * definitions (PARENT/UUID) and vgpu-split's own file. */
static bool file_ours(const char *path)
{
	char uuid[PT_UUID_LEN], parent[128];
	const char *rest;

	if (strncmp(path, PT_PERSIST_DIR "/pci-", strlen(PT_PERSIST_DIR "/pci-")) == 0)
		return !strchr(path + strlen(PT_PERSIST_DIR "/"), '/');
	if (strcmp(path, PT_SPLIT_CONF) == 0 || strcmp(path, PT_PCIBACK_CONF) == 0)
		return true;
	if (strncmp(path, PT_HANDOVER_DIR "/", strlen(PT_HANDOVER_DIR "/")) == 0) {
		struct pt_bdf b;
		char canon[PT_BDF_LEN];

		rest = path + strlen(PT_HANDOVER_DIR "/");
		return pt_bdf_parse(rest, &b) == NULL && strcmp(pt_bdf_format(&b, canon), rest) == 0;
	}
	if (strncmp(path, PT_MDEVCTL_DIR "/", strlen(PT_MDEVCTL_DIR "/")) != 0)
		return false;
	rest = path + strlen(PT_MDEVCTL_DIR "/");
	if (!strchr(rest, '/') || (size_t)(strchr(rest, '/') - rest) >= sizeof(parent))
		return false;
	snprintf(parent, sizeof(parent), "%.*s", (int)(strchr(rest, '/') - rest), rest);
	return pt_mdev_name_ok(parent) && !pt_uuid_parse(strchr(rest, '/') + 1, uuid) &&
	       strcmp(uuid, strchr(rest, '/') + 1) == 0;
}

/* An attribute of an mdev (mdevctl's "attrs"): written once after the
 * mdev is created, gone with it. */
static bool mdev_attr(const char *path)
{
	return strncmp(path, "/sys/bus/mdev/devices/", 22) == 0;
}

/* Whether a step names only what it may: sysfs attributes of PCI devices,
 * mdev parents, types and UUIDs. */
static bool step_valid(const struct pt_txn_step *x)
{
	char uuid[PT_UUID_LEN];

	if (x->kind == PT_STEP_ATTR)
		return (strncmp(x->path, "/sys/bus/pci/devices/", 21) == 0 || mdev_attr(x->path)) &&
		       !strstr(x->path, "..") && !strchr(x->a, '\n') && !strchr(x->b, '\n');
	if (x->kind == PT_STEP_CONSOLE) {
		/* a name as the kernel prints it: one printable line */
		for (const char *c = x->path; *c; c++)
			if (!isprint((unsigned char)*c))
				return false;
		return x->path[0] && strlen(x->path) < 64 && (!strcmp(x->a, "0") || !strcmp(x->a, "1")) &&
		       (!strcmp(x->b, "0") || !strcmp(x->b, "1"));
	}
	if (x->kind == PT_STEP_PLATFORM)
		return pt_name_ok(x->path) && (!x->a[0] || pt_name_ok(x->a)) && (!x->b[0] || pt_name_ok(x->b)) &&
		       strcmp(x->a, x->b) != 0;
	return pt_mdev_name_ok(x->path) && pt_mdev_name_ok(x->a) && !pt_uuid_parse(x->b, uuid) &&
	       strcmp(uuid, x->b) == 0;
}

static bool parse_line(char *buf, struct pt_txn *t, long *pid, bool *committed)
{
	char *a[9];
	int nw = words_of(buf, a);

	if (nw == 0)
		return true;
	if (strcmp(a[0], "pid") == 0 && nw == 2) {
		*pid = strtol(a[1], NULL, 10);
	} else if (strcmp(a[0], "start") == 0 && nw == 2) {
		t->owner_start = strtoull(a[1], NULL, 10);
	} else if (strcmp(a[0], "action") == 0 && nw == 2 && pt_name_ok(a[1]) && strlen(a[1]) < sizeof(t->action)) {
		snprintf(t->action, sizeof(t->action), "%.15s", a[1]);
	} else if (strcmp(a[0], "device") == 0 && nw == 9) {
		struct pt_txn_dev x = { 0 };
		struct pt_bdf b;
		char *end;
		long g = strtol(a[2], &end, 10);
		int k;

		if (*end || g < -1 || g > 0x7fffffff || pt_bdf_parse(a[1], &b) != NULL ||
		    !state_word(a[3], x.from.driver, 64, false) || !state_word(a[4], x.from.override, 64, false) ||
		    !state_word(a[5], x.to.driver, 64, true) || !state_word(a[6], x.to.override, 64, false))
			return false;
		x.group = (int)g;
		pt_bdf_format(&b, x.bdf);
		for (k = 0; k < 3 && strcmp(a[7], record_ops[k]) != 0; k++)
			;
		if (k == 3 || (strcmp(a[8], "0") != 0 && strcmp(a[8], "1") != 0))
			return false;
		x.record = (enum pt_record_op)k;
		x.record_new = strcmp(a[8], "1") == 0;
		t->dev = pt_xrealloc(t->dev, (t->n + 1) * sizeof(*t->dev));
		t->dev[t->n++] = x;
	} else if (strcmp(a[0], "step") == 0 && (nw == 5 || (nw == 6 && strcmp(a[5], "early") == 0))) {
		struct pt_txn_step x = { 0 };
		char *p = unhex(a[2]), *va = unhex(a[3]), *vb = unhex(a[4]);
		int k;
		bool good = p && va && vb && strlen(p) < sizeof(x.path) && strlen(va) < sizeof(x.a) &&
			    strlen(vb) < sizeof(x.b);

		for (k = 0; k < NSTEP_KINDS && strcmp(a[1], step_names[k]) != 0; k++)
			;
		x.early = nw == 6;
		if (good) {
			snprintf(x.path, sizeof(x.path), "%s", p);
			snprintf(x.a, sizeof(x.a), "%s", va);
			snprintf(x.b, sizeof(x.b), "%s", vb);
		}
		free(p);
		free(va);
		free(vb);
		x.kind = (enum pt_step_kind)k;
		if (!good || k == NSTEP_KINDS || !step_valid(&x))
			return false;
		t->steps = pt_xrealloc(t->steps, (t->nsteps + 1) * sizeof(*t->steps));
		t->steps[t->nsteps++] = x;
	} else if (strcmp(a[0], "file") == 0 && nw == 4) {
		struct pt_txn_file f = { { 0 }, NULL, NULL };

		/* only files of ours */
		if (!file_ours(a[1]) || strlen(a[1]) >= sizeof(f.path))
			return false;
		snprintf(f.path, sizeof(f.path), "%.255s", a[1]);
		f.old = unhex(a[2]);
		f.new = unhex(a[3]);
		t->files = pt_xrealloc(t->files, (t->nfiles + 1) * sizeof(*t->files));
		t->files[t->nfiles++] = f;
	} else if (strcmp(a[0], "commit") == 0 && nw == 1) {
		*committed = true;
	} else {
		return false;
	}
	return true;
}

bool pt_txn_parse(const char *text, struct pt_txn *t, long *pid, bool *committed)
{
	const char *p = text;
	bool first = true, good = true;

	pt_txn_init(t, "");
	*pid = 0;
	*committed = false;
	while (p && *p && good) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		char *buf = pt_xmalloc(l + 1);

		memcpy(buf, p, l);
		buf[l] = '\0';
		p = eol ? eol + 1 : NULL;
		if (first)
			good = strcmp(buf, "passthru-utils journal 1") == 0;
		else
			good = parse_line(buf, t, pid, committed);
		first = false;
		free(buf);
	}
	return good && !first && t->action[0];
}

/* ---- the state of a device ---- */

static int read_state(const char *bdf, struct pt_dev_state *st)
{
	char path[PATH_MAX];
	int rc;

	memset(st, 0, sizeof(*st));
	/* follow the link: a device that went away leaves nothing behind it */
	if (pt_path(path, sizeof(path), "/sys/bus/pci/devices/%s/", bdf) < 0 || access(path, F_OK) < 0)
		return -ENODEV;
	rc = pt_read_link_name(st->driver, sizeof(st->driver), "/sys/bus/pci/devices/%s/driver", bdf);
	if (rc == -ENOENT)
		st->driver[0] = '\0';
	else if (rc < 0)
		return rc;
	if (pt_read_text(st->override, sizeof(st->override), "/sys/bus/pci/devices/%s/driver_override", bdf) < 0 ||
	    strcmp(st->override, "(null)") == 0)
		st->override[0] = '\0';
	if ((st->driver[0] && !pt_name_ok(st->driver)) || (st->override[0] && !pt_name_ok(st->override)))
		return -EINVAL;
	return 0;
}

static bool driver_matches(const char *want, const char *have)
{
	if (strcmp(want, PT_ANY_DRIVER) == 0)
		return strcmp(have, "vfio-pci") != 0;
	return strcmp(want, have) == 0;
}

static bool at_state(const struct pt_dev_state *want, const struct pt_dev_state *have)
{
	return driver_matches(want->driver, have->driver) && strcmp(want->override, have->override) == 0;
}

static const char *none_if_empty(const char *s)
{
	return s[0] ? s : "no driver";
}

bool pt_record_get(const char *bdf, char *driver, size_t len)
{
	char buf[256];

	if (pt_read_text(buf, sizeof(buf), PT_RECORD_DIR "/%s", bdf) < 0)
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] && !pt_name_ok(buf))
		buf[0] = '\0', snprintf(driver, len, "?");
	else
		snprintf(driver, len, "%s", buf);
	return true;
}

/* ---- building a transaction ---- */

void pt_txn_init(struct pt_txn *t, const char *action)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->action, sizeof(t->action), "%s", action);
}

void pt_txn_free(struct pt_txn *t)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		free(t->files[i].old);
		free(t->files[i].new);
	}
	free(t->files);
	free(t->steps);
	free(t->dev);
	memset(t, 0, sizeof(*t));
}

int pt_txn_add(struct pt_txn *t, const struct pt_dev *d, const char *driver, const char *override,
	       enum pt_record_op record)
{
	struct pt_txn_dev x = { 0 };
	char rec[64];
	int rc;

	snprintf(x.bdf, sizeof(x.bdf), "%s", d->name);
	x.group = d->group;
	if ((rc = read_state(d->name, &x.from)) < 0)
		return rc;
	snprintf(x.to.driver, sizeof(x.to.driver), "%s", driver);
	snprintf(x.to.override, sizeof(x.to.override), "%s", override);
	x.record = record;
	/* an override that only steers the probe is not needed on a device the
	 * driver holds already (vfio-pci.ids at boot, say): leave it as it is */
	if (strcmp(x.to.override, x.to.driver) == 0 && strcmp(x.from.driver, x.to.driver) == 0)
		snprintf(x.to.override, sizeof(x.to.override), "%s", x.from.override);
	/* a record is never overwritten: the first run's is the way back */
	x.record_new = record == PT_RECORD_CREATE && !pt_record_get(d->name, rec, sizeof(rec));
	x.unchanged = at_state(&x.to, &x.from);
	if (x.unchanged && x.record_new)
		x.record_new = false; /* nothing will be written, so nothing recorded */
	x.now = x.from;
	t->dev = pt_xrealloc(t->dev, (t->n + 1) * sizeof(*t->dev));
	t->dev[t->n++] = x;
	return 0;
}

int pt_txn_add_file(struct pt_txn *t, const char *path, const char *content)
{
	struct pt_txn_file f = { { 0 }, NULL, NULL };
	char *old = NULL;
	long n;

	if (strlen(path) >= sizeof(f.path))
		return -ENAMETOOLONG;
	snprintf(f.path, sizeof(f.path), "%s", path);
	n = pt_read_file(&old, 1 << 20, "%s", path);
	if (n < 0 && n != -ENOENT)
		return (int)n;
	/* the old bytes must come back exactly: refuse what the journal cannot hold */
	if (n >= 1 << 20 || (n > 0 && memchr(old, '\0', (size_t)n))) {
		free(old);
		return n >= 1 << 20 ? -EFBIG : -EINVAL;
	}
	f.old = n < 0 ? NULL : old;
	f.new = content ? pt_xstrdup(content) : NULL;
	t->files = pt_xrealloc(t->files, (t->nfiles + 1) * sizeof(*t->files));
	t->files[t->nfiles++] = f;
	return 0;
}

int pt_txn_add_mdev(struct pt_txn *t, bool create, const char *parent, const char *type, const char *uuid)
{
	struct pt_txn_step x = { 0 };

	x.kind = create ? PT_STEP_MDEV_CREATE : PT_STEP_MDEV_REMOVE;
	if (strlen(parent) >= sizeof(x.path) || strlen(type) >= sizeof(x.a) || strlen(uuid) >= sizeof(x.b))
		return -EINVAL;
	snprintf(x.path, sizeof(x.path), "%s", parent);
	snprintf(x.a, sizeof(x.a), "%s", type);
	snprintf(x.b, sizeof(x.b), "%s", uuid);
	if (!step_valid(&x))
		return -EINVAL;
	t->steps = pt_xrealloc(t->steps, (t->nsteps + 1) * sizeof(*t->steps));
	t->steps[t->nsteps++] = x;
	return 0;
}

int pt_txn_add_attr(struct pt_txn *t, const char *path, const char *before, const char *value)
{
	struct pt_txn_step x = { 0 };
	int rc;

	x.kind = PT_STEP_ATTR;
	if (strlen(path) >= sizeof(x.path) || strlen(value) >= sizeof(x.b))
		return -EINVAL;
	snprintf(x.path, sizeof(x.path), "%s", path);
	snprintf(x.b, sizeof(x.b), "%s", value);
	if (before && strlen(before) < sizeof(x.a))
		snprintf(x.a, sizeof(x.a), "%s", before);
	else if (before)
		return -EINVAL;
	else if ((rc = pt_read_text(x.a, sizeof(x.a), "%s", path)) < 0)
		return rc;
	if (!step_valid(&x))
		return -EINVAL;
	t->steps = pt_xrealloc(t->steps, (t->nsteps + 1) * sizeof(*t->steps));
	t->steps[t->nsteps++] = x;
	return 0;
}

static int add_step(struct pt_txn *t, const struct pt_txn_step *x)
{
	if (!step_valid(x))
		return -EINVAL;
	t->steps = pt_xrealloc(t->steps, (t->nsteps + 1) * sizeof(*t->steps));
	t->steps[t->nsteps++] = *x;
	return 0;
}

int pt_txn_add_console(struct pt_txn *t, const char *name, bool bind, bool early)
{
	struct pt_txn_step x = { 0 };
	char vt[64];
	bool bound;

	if (strlen(name) >= 64)
		return -EINVAL;
	/* a console not registered now is not bound (fbcon registers again
	 * with the next framebuffer) */
	if (!pt_vtcon_find(name, vt, sizeof(vt), &bound))
		bound = false;
	x.kind = PT_STEP_CONSOLE;
	x.early = early;
	snprintf(x.path, sizeof(x.path), "%s", name);
	snprintf(x.a, sizeof(x.a), "%d", bound);
	snprintf(x.b, sizeof(x.b), "%d", bind);
	return add_step(t, &x);
}

int pt_txn_add_platform(struct pt_txn *t, const char *dev, const char *from, const char *to, bool early)
{
	struct pt_txn_step x = { 0 };

	if (strlen(dev) >= 64 || strlen(from) >= 64 || strlen(to) >= 64)
		return -EINVAL;
	x.kind = PT_STEP_PLATFORM;
	x.early = early;
	snprintf(x.path, sizeof(x.path), "%s", dev);
	snprintf(x.a, sizeof(x.a), "%s", from);
	snprintf(x.b, sizeof(x.b), "%s", to);
	return add_step(t, &x);
}

/* What a step's object is called in a message. */
static void step_label(const struct pt_txn_step *x, char *buf, size_t len)
{
	static const char *const what[] = { "mdev", "mdev", "attribute", "console", "framebuffer" };

	snprintf(buf, len, "%s %s", what[x->kind],
		 x->kind == PT_STEP_MDEV_CREATE || x->kind == PT_STEP_MDEV_REMOVE ? x->b
		 : x->kind == PT_STEP_CONSOLE ? pt_vtcon_bare(x->path) : x->path);
}

/* ---- applying ---- */

static int journal_write(const struct pt_txn *t, bool committed)
{
	char *text;
	int rc;

	if (pt_dry_run)
		return 0;
	text = pt_txn_format(t, committed);
	pt_debug("journal %s%s", PT_JOURNAL, committed ? " (committed)" : "");
	rc = pt_put_file_raw(text, strlen(text), PT_JOURNAL);
	free(text);
	return rc;
}

static int journal_remove(void)
{
	char path[PATH_MAX];

	if (pt_dry_run)
		return 0;
	pt_debug("journal %s removed", PT_JOURNAL);
	pt_fault_point();
	if (pt_path(path, sizeof(path), PT_JOURNAL) < 0)
		return -ENAMETOOLONG;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* A signal stops the run between two writes, never inside one. */
static int interrupted(void)
{
	return pt_signal_caught() ? -EINTR : 0;
}

/* The driver `name` must be there before a device can be bound to it:
 * load its module on the live host (the record's module, or the name). */
static int driver_available(const char *name, const char *module, char *err, size_t len)
{
	int rc;

	if (!name[0] || strcmp(name, PT_ANY_DRIVER) == 0 || pt_exists("/sys/bus/pci/drivers/%s", name))
		return 0;
	if (pt_dry_run) {
		pt_dry_run_print("load module %s\n", module[0] ? module : name);
		return 0;
	}
	if (!pt_sysroot_live())
		return snprintf(err, len, "driver %s is not loaded in the sysroot", name), -ENOENT;
	pt_debug("loading module %s", module[0] ? module : name);
	rc = pt_module_load(module[0] ? module : name);
	if (rc < 0 && rc != -EEXIST) {
		snprintf(err, len, "driver %s is not available: module %s cannot be loaded (%s)", name,
			 module[0] ? module : name, strerror(-rc));
		return rc;
	}
	if (!pt_exists("/sys/bus/pci/drivers/%s", name)) {
		snprintf(err, len, "driver %s is not available: loading module %s did not register it", name,
			 module[0] ? module : name);
		return -ENOENT;
	}
	return 0;
}

/* vfio-pci and its IOMMU backend, before drivers_probe can pick it. */
static int vfio_available(char *err, size_t len)
{
	static const char *const mods[] = { "vfio-pci", "vfio_iommu_type1" };

	for (size_t i = 0; i < 2; i++) {
		char path[256];
		enum pt_mod_state st = pt_module_state(mods[i], path, sizeof(path));
		int rc;

		if (st == PT_MOD_LOADED || st == PT_MOD_BUILTIN)
			continue;
		if (pt_dry_run) {
			pt_dry_run_print("load module %s\n", mods[i]);
			continue;
		}
		if (!pt_sysroot_live()) {
			/* a recorded host: nothing to load, and its tree says vfio-pci is absent */
			if (!pt_exists("/sys/bus/pci/drivers/vfio-pci"))
				return snprintf(err, len, "module %s is not loaded in the sysroot", mods[i]), -ENOENT;
			continue;
		}
		pt_debug("loading module %s", mods[i]);
		if ((rc = pt_module_load(mods[i])) < 0) {
			snprintf(err, len, "cannot load module %s: %s", mods[i], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int fail(char *err, size_t len, const char *bdf, const char *what, int rc)
{
	snprintf(err, len, "%s: %s: %s", bdf, what,
		 rc == -ENODEV ? "the device is gone" : rc == -EINTR ? "interrupted"
		 : rc == -ETIMEDOUT ? "the kernel did not finish it in time (the write is abandoned)" : strerror(-rc));
	return rc;
}

/* Move one device to `want`: driver_override, unbind, bind or probe, each
 * write followed by a look at the signals; then the kernel's answer. */
static int move(struct pt_txn_dev *x, const struct pt_dev_state *want, bool stop_on_signal, char *err,
		size_t len)
{
	struct pt_dev_state cur;
	int rc;

	if ((rc = read_state(x->bdf, &cur)) < 0)
		return fail(err, len, x->bdf, "reading its driver", rc);
	if (at_state(want, &cur)) {
		x->now = cur;
		return 0;
	}
	if (strcmp(cur.override, want->override) != 0) {
		x->touched = true;
		rc = pt_write_attr(want->override[0] ? want->override : "\n",
				   "/sys/bus/pci/devices/%s/driver_override", x->bdf);
		if (rc < 0)
			return fail(err, len, x->bdf, "setting driver_override", rc);
		if (stop_on_signal && (rc = interrupted()) < 0)
			return fail(err, len, x->bdf, "setting driver_override", rc);
	}
	if (cur.driver[0] && !driver_matches(want->driver, cur.driver)) {
		x->touched = true;
		if ((rc = pt_write_attr(x->bdf, "/sys/bus/pci/drivers/%s/unbind", cur.driver)) < 0)
			return fail(err, len, x->bdf, "unbinding its driver", rc);
		if (stop_on_signal && (rc = interrupted()) < 0)
			return fail(err, len, x->bdf, "unbinding its driver", rc);
	}
	if (want->driver[0] && !(cur.driver[0] && driver_matches(want->driver, cur.driver))) {
		x->touched = true;
		/* the override picks the driver itself; otherwise bind the one wanted */
		if (strcmp(want->driver, PT_ANY_DRIVER) == 0 || strcmp(want->override, want->driver) == 0)
			rc = pt_write_attr(x->bdf, "/sys/bus/pci/drivers_probe");
		else
			rc = pt_write_attr(x->bdf, "/sys/bus/pci/drivers/%s/bind", want->driver);
		if (rc < 0)
			return fail(err, len, x->bdf, strcmp(want->driver, "vfio-pci") == 0 ? "probing vfio-pci"
				    : strcmp(want->driver, PT_ANY_DRIVER) == 0 ? "probing a driver" : "binding its driver", rc);
	}
	if (pt_dry_run) {
		x->now = *want;
		return 0;
	}
	if ((rc = read_state(x->bdf, &x->now)) < 0)
		return fail(err, len, x->bdf, "reading its driver", rc);
	if (!driver_matches(want->driver, x->now.driver)) {
		if (strcmp(want->driver, "vfio-pci") == 0 && x->now.driver[0] == '\0' &&
		    pt_exists("/sys/bus/pci/devices/%s/sriov_numvfs", x->bdf))
			snprintf(err, len, "%s: vfio-pci did not take it (driver now: none; a PF with VFs enabled?)",
				 x->bdf);
		else
			snprintf(err, len, "%s: %s did not take it (driver now: %s)", x->bdf,
				 strcmp(want->driver, PT_ANY_DRIVER) == 0 ? "no host driver" : want->driver,
				 x->now.driver[0] ? x->now.driver : "none");
		return -EIO;
	}
	return 0;
}

/* The module behind a bound driver ("xhci_hcd" -> "xhci_pci"), or "". */
static void driver_module(const char *driver, char *module, size_t len)
{
	module[0] = '\0';
	if (driver[0] && pt_read_link_name(module, len, "/sys/bus/pci/drivers/%s/module", driver) <= 0)
		module[0] = '\0';
	if (module[0] && !pt_name_ok(module))
		module[0] = '\0';
}

static int record_create(struct pt_txn_dev *x, char *err, size_t len)
{
	char content[160], module[64];
	int rc;

	driver_module(x->from.driver, module, sizeof(module));
	/* line 1: the driver ("" none); line 2: its module, to load it back */
	if (module[0] && strcmp(module, x->from.driver) != 0)
		snprintf(content, sizeof(content), "%s\nmodule %s", x->from.driver, module);
	else
		snprintf(content, sizeof(content), "%s", x->from.driver);
	x->recorded = true; /* a failed write may still leave a file: rollback removes it */
	if ((rc = pt_put_file(content, PT_RECORD_DIR "/%s", x->bdf)) < 0)
		return fail(err, len, x->bdf, "recording its driver under " PT_RECORD_DIR, rc);
	return 0;
}

static void record_module(const char *bdf, char *module, size_t len)
{
	char *s = NULL, *m;

	module[0] = '\0';
	if (pt_read_file(&s, 4096, PT_RECORD_DIR "/%s", bdf) < 0)
		return;
	if ((m = strstr(s, "\nmodule ")) != NULL) {
		m += 8;
		m[strcspn(m, "\r\n")] = '\0';
		if (pt_name_ok(m))
			snprintf(module, len, "%s", m);
	}
	free(s);
}

static int file_put(const struct pt_txn_file *f, const char *content)
{
	if (!content)
		return pt_remove_file("%s", f->path);
	/* mdevctl's definitions and vgpu-split's file: exactly these bytes */
	if (strncmp(f->path, PT_PERSIST_DIR "/", strlen(PT_PERSIST_DIR "/")) != 0) {
		if (pt_dry_run) {
			size_t n = 2 * strlen(content) + 4;
			char *shown = pt_xmalloc(n);

			pt_one_line(content, shown, n);
			pt_dry_run_print("create %s %s\n", f->path, shown);
			free(shown);
			return 0;
		}
		pt_debug("create %s", f->path);
		return pt_put_file_raw(content, strlen(content), "%s", f->path);
	}
	/* the content is one line (driverctl's format); pt_put_file adds the newline */
	char line[256];

	snprintf(line, sizeof(line), "%.*s", (int)strcspn(content, "\n"), content);
	return pt_put_file(line, "%s", f->path);
}

/* A file back to exactly its old bytes, or gone when it did not exist. */
static int file_restore(const struct pt_txn_file *f)
{
	if (!f->old)
		return pt_remove_file("%s", f->path);
	pt_debug("restore %s", f->path);
	return pt_put_file_raw(f->old, strlen(f->old), "%s", f->path);
}

/* Whether an mdev exists now. */
static bool mdev_present(const char *uuid)
{
	return pt_exists("/sys/bus/mdev/devices/%s", uuid);
}

/* Bring a step's object to its state after (forward) or before (!forward);
 * an mdev is created or removed only when it is not so already, an
 * attribute written back only when it differs; then the kernel's answer. */
/* Whether any /dev/fbN is registered (/sys/class/graphics/fbN). */
static bool any_framebuffer(void)
{
	char **v = NULL;
	int n = pt_list_dir(&v, "/sys/class/graphics");
	bool found = false;

	for (int i = 0; i < n; i++)
		found |= strncmp(v[i], "fb", 2) == 0 && v[i][2] >= '0' && v[i][2] <= '9';
	if (n > 0)
		pt_free_names(v, n);
	return found;
}

/* A console bound or unbound: found by its name each time, since its
 * vtconN goes when its driver unregisters (fbcon does with the last
 * framebuffer) and may come back under another number. */
static int console_move(struct pt_txn_step *x, bool forward, char *err, size_t len)
{
	const char *want = forward ? x->b : x->a;
	char vt[64];
	bool bound;
	int rc;

	if (!pt_vtcon_find(x->path, vt, sizeof(vt), &bound)) {
		/* unbinding what is gone is done; so is binding it forward (a
		 * hand-back): with no framebuffer it is not registered, and fbcon
		 * binds itself to the next one that registers. Putting it back
		 * after a failure must find it. */
		if (strcmp(want, "0") == 0 || forward)
			return 0;
		/* no framebuffer left at all (vfio-pci removed the firmware's, the
		 * card's driver has none): nothing to bind it to until one registers,
		 * and then fbcon binds itself; say so rather than wait for ever */
		if (!any_framebuffer()) {
			pt_warn("note: console %s: no framebuffer left to bind it to; fbcon binds itself to the next "
				"one that registers", pt_vtcon_bare(x->path));
			return 0;
		}
		snprintf(err, len, "console %s: not registered, though a framebuffer is", pt_vtcon_bare(x->path));
		return -ENOENT;
	}
	if (bound == (strcmp(want, "1") == 0))
		return 0;
	if ((rc = pt_write_attr(want, "/sys/class/vtconsole/%s/bind", vt)) < 0) {
		snprintf(err, len, "%s %s %s: %s", want[0] == '1' ? "binding" : "unbinding", vt, pt_vtcon_bare(x->path),
			 rc == -ETIMEDOUT ? "the kernel did not finish it in time (the write is abandoned)" : strerror(-rc));
		return rc;
	}
	x->wrote = true;
	/* a bind the kernel ignored (no built-in console registered): fbcon's own takeover */
	if (!pt_dry_run && want[0] == '1' && pt_vtcon_find(x->path, vt, sizeof(vt), &bound) && !bound &&
	    pt_sysroot_live())
		pt_fbcon_takeover();
	if (!pt_dry_run && (!pt_vtcon_find(x->path, vt, sizeof(vt), &bound) || bound != (want[0] == '1'))) {
		snprintf(err, len, "console %s: still %s after its bind was written", pt_vtcon_bare(x->path),
			 want[0] == '1' ? "unbound" : "bound");
		return -EPROTO;
	}
	return 0;
}

/* A platform device from one driver to another. Going back, a device
 * that is gone is no failure: a GPU's own driver removes the firmware
 * framebuffer it replaces (aperture removal), and then drives the display. */
static int platform_move(struct pt_txn_step *x, bool forward, char *err, size_t len)
{
	const char *want = forward ? x->b : x->a;
	char cur[64];
	int rc;

	if (!pt_platform_driver(x->path, cur, sizeof(cur))) {
		if (!forward || !want[0])
			return 0;
		snprintf(err, len, "%s: the device is gone", x->path);
		return -ENODEV;
	}
	if (strcmp(cur, want) == 0)
		return 0;
	if (cur[0]) {
		x->wrote = true;
		if ((rc = pt_write_attr(x->path, "/sys/bus/platform/drivers/%s/unbind", cur)) < 0) {
			snprintf(err, len, "%s: unbinding %s: %s", x->path, cur,
				 rc == -ETIMEDOUT ? "the kernel did not finish it in time (the write is abandoned)" : strerror(-rc));
			return rc;
		}
	}
	if (want[0]) {
		x->wrote = true;
		if ((rc = pt_write_attr(x->path, "/sys/bus/platform/drivers/%s/bind", want)) < 0) {
			snprintf(err, len, "%s: binding %s: %s", x->path, want,
				 rc == -ETIMEDOUT ? "the kernel did not finish it in time (the write is abandoned)" : strerror(-rc));
			return rc;
		}
	}
	if (pt_dry_run)
		return 0;
	if (!pt_platform_driver(x->path, cur, sizeof(cur)) || strcmp(cur, want) != 0) {
		if (want[0])
			snprintf(err, len, "%s: %s did not take it (driver now: %s)", x->path, want, cur[0] ? cur : "none");
		else
			snprintf(err, len, "%s: still on %s after its unbind", x->path, cur);
		return -EPROTO;
	}
	return 0;
}

static int step_move(struct pt_txn_step *x, bool forward, char *err, size_t len)
{
	bool create = (x->kind == PT_STEP_MDEV_CREATE) == forward;
	char cur[128];
	int rc;

	if (x->kind == PT_STEP_CONSOLE)
		return console_move(x, forward, err, len);
	if (x->kind == PT_STEP_PLATFORM)
		return platform_move(x, forward, err, len);

	if (x->kind == PT_STEP_ATTR) {
		const char *want = forward ? x->b : x->a;

		/* an mdev's attribute goes with the mdev; sysfs shows no value to compare */
		if (mdev_attr(x->path) && !forward)
			return 0;
		/* forward, the plan decided the write; back, only what differs */
		if (!forward && (rc = pt_read_text(cur, sizeof(cur), "%s", x->path)) >= 0 && strcmp(cur, want) == 0)
			return 0;
		if ((rc = pt_write_attr(want, "%s", x->path)) < 0) {
			snprintf(err, len, "write %s %s: %s", x->path, want, strerror(-rc));
			return rc;
		}
		x->wrote = true;
		if (pt_dry_run || mdev_attr(x->path))
			return 0;
		if ((rc = pt_read_text(cur, sizeof(cur), "%s", x->path)) < 0 || strcmp(cur, want) != 0) {
			snprintf(err, len, "%s reads %s after %s was written", x->path, rc < 0 ? "nothing" : cur, want);
			return -EPROTO;
		}
		return 0;
	}
	if (mdev_present(x->b) == create)
		return 0;
	if (create)
		rc = pt_write_attr(x->b, "/sys/class/mdev_bus/%s/mdev_supported_types/%s/create", x->path, x->a);
	else
		rc = pt_write_attr("1", "/sys/bus/mdev/devices/%s/remove", x->b);
	if (rc < 0) {
		snprintf(err, len, "%s mdev %s (%s on %s): %s", create ? "creating" : "removing", x->b, x->a, x->path,
			 rc == -EBUSY ? "busy (a VM holds it?)" : strerror(-rc));
		return rc;
	}
	x->wrote = true;
	if (!pt_dry_run && mdev_present(x->b) != create) {
		snprintf(err, len, "mdev %s (%s on %s): the kernel did not %s it", x->b, x->a, x->path,
			 create ? "create" : "remove");
		return -EPROTO;
	}
	return 0;
}

/* Undo the steps of one phase (early or not) newest first: those the run
 * tried (`tried_only`), or all (a journal's). Returns how many are not
 * back, named in err after `before` others. */
static size_t undo_steps(struct pt_txn *t, bool early, bool tried_only, char *err, size_t len, size_t before)
{
	size_t stuck = 0;
	char e2[512], what[300];

	for (size_t i = t->nsteps; i-- > 0;) {
		struct pt_txn_step *x = &t->steps[i];
		size_t l = strlen(err);

		if (x->early != early || (tried_only && !x->tried))
			continue;
		if (step_move(x, false, e2, sizeof(e2)) == 0)
			continue;
		pt_warn("rollback: %s", e2);
		step_label(x, what, sizeof(what));
		snprintf(err + l, len - l, "%s%s", before + stuck++ ? ", " : "", what);
	}
	return stuck;
}

/* Undo what the run did, newest first. Returns how many devices are not
 * back; err gets them. */
static size_t roll_back(struct pt_txn *t, size_t upto, char *err, size_t len)
{
	size_t stuck = 0;
	char e2[512];

	t->rolled_back = true;
	for (size_t i = t->files_written; i-- > 0;)
		if (file_restore(&t->files[i]) < 0)
			pt_warn("rollback: %s: cannot restore it", t->files[i].path);
	stuck += undo_steps(t, false, true, err, len, stuck);
	for (size_t k = upto; k-- > 0;) {
		struct pt_txn_dev *x = &t->dev[k];

		if (!x->touched && !x->recorded) {
			x->back = true;
			continue;
		}
		if (x->touched && move(x, &x->from, false, e2, sizeof(e2)) < 0) {
			size_t l = strlen(err);
			struct pt_dev_state cur;

			pt_warn("rollback: %s", e2);
			if (read_state(x->bdf, &cur) == -ENODEV)
				snprintf(err + l, len - l, "%s%s (gone from the host)", stuck++ ? ", " : "", x->bdf);
			else
				snprintf(err + l, len - l, "%s%s (on %s, was on %s)", stuck++ ? ", " : "", x->bdf,
					 none_if_empty(cur.driver), none_if_empty(x->from.driver));
			continue;
		}
		x->back = true;
		if (x->recorded && pt_remove_file(PT_RECORD_DIR "/%s", x->bdf) < 0)
			pt_warn("rollback: %s: cannot remove its record", x->bdf);
	}
	stuck += undo_steps(t, true, true, err, len, stuck);
	return stuck;
}

/* After a bind: every group that went to vfio-pci has its /dev/vfio node. */
static int check_vfio_nodes(const struct pt_txn *t, char *err, size_t len)
{
	for (size_t i = 0; i < t->n && !pt_dry_run; i++)
		if (strcmp(t->dev[i].to.driver, "vfio-pci") == 0 && t->dev[i].group >= 0 &&
		    !pt_exists("/dev/vfio/%d", t->dev[i].group)) {
			snprintf(err, len, "/dev/vfio/%d did not appear: the group is not usable "
				 "(another device in it still has a host driver?)", t->dev[i].group);
			return -ENOENT;
		}
	return 0;
}

static void finish_message(struct pt_txn *t, size_t stuck, const char *stuck_list, char *err, size_t len)
{
	bool any = false;
	size_t l = strlen(err);

	for (size_t i = 0; i < t->n; i++)
		any |= t->dev[i].touched || t->dev[i].recorded;
	bool wrote = false;

	for (size_t i = 0; i < t->nsteps; i++)
		wrote |= t->steps[i].wrote;
	if (!stuck && wrote)
		snprintf(err + l, len - l, "; every change is undone");
	else if (stuck)
		snprintf(err + l, len - l, "; not back: %s; 'vfio-bind --restore' finishes the job", stuck_list);
	else if (any)
		snprintf(err + l, len - l, "; every device is back where it was");
	else if (t->files_written)
		snprintf(err + l, len - l, "; every file is back as it was");
	else
		snprintf(err + l, len - l, "; nothing was changed");
}

/* The steps of one phase, forward, in order; a signal between two stops
 * them. Returns 0 or the -errno that ended them. */
static int run_steps(struct pt_txn *t, bool early, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < t->nsteps && rc == 0; i++) {
		if (t->steps[i].early != early)
			continue;
		if ((rc = interrupted()) < 0)
			break;
		t->steps_tried++;
		t->steps[i].tried = true;
		if ((rc = step_move(&t->steps[i], true, err, errlen)) < 0)
			t->step_error = rc;
	}
	return rc;
}

int pt_txn_run(struct pt_txn *t, char *err, size_t errlen)
{
	size_t done = 0, stuck;
	bool work = t->nfiles > 0 || t->nsteps > 0, vfio_checked = false;
	char stuck_list[512] = "";
	int rc = 0;

	err[0] = '\0';
	for (size_t i = 0; i < t->n; i++)
		work |= !t->dev[i].unchanged;
	if (!work) {
		/* a give-back that finds a device back already: its record is stale */
		for (size_t i = 0; i < t->n; i++)
			if (t->dev[i].record == PT_RECORD_REMOVE && pt_remove_file(PT_RECORD_DIR "/%s", t->dev[i].bdf) < 0)
				pt_warn("%s: cannot remove its record under " PT_RECORD_DIR, t->dev[i].bdf);
		return PT_EXIT_OK;
	}
	/* the drivers the devices go to, before anything is written */
	for (size_t i = 0; i < t->n && rc == 0; i++) {
		char module[64] = "";
		const char *to = t->dev[i].to.driver;

		if (t->dev[i].unchanged)
			continue;
		if (strcmp(to, "vfio-pci") == 0) {
			if (!vfio_checked)
				rc = vfio_available(err, errlen);
			vfio_checked = true;
			continue;
		}
		/* a target's own module (pciback: xen-pciback); a give-back's from its record */
		if (strcmp(to, "pciback") == 0 || strcmp(to, "pci-stub") == 0)
			snprintf(module, sizeof(module), "%s", strcmp(to, "pciback") == 0 ? "xen-pciback" : "pci-stub");
		else
			record_module(t->dev[i].bdf, module, sizeof(module));
		if ((rc = driver_available(to, module, err, errlen)) < 0) {
			char tmp[600];

			snprintf(tmp, sizeof(tmp), "%s: %s", t->dev[i].bdf, err);
			snprintf(err, errlen, "%s", tmp);
		}
	}
	if (rc < 0) {
		finish_message(t, 0, "", err, errlen);
		return PT_EXIT_FAIL;
	}
	/* from the journal on, a signal rolls back instead of killing the run */
	pt_signals_catch();
	/* the journal is on disk before the first write */
	if ((rc = journal_write(t, false)) < 0) {
		snprintf(err, errlen, "cannot write the journal %s: %s; nothing was changed", PT_JOURNAL,
			 strerror(-rc));
		return PT_EXIT_FAIL;
	}
	rc = interrupted();
	if (rc == 0)
		rc = run_steps(t, true, err, errlen);
	for (done = 0; done < t->n && rc == 0; done++) {
		struct pt_txn_dev *x = &t->dev[done];

		if (x->unchanged)
			continue;
		if (x->record_new && ((rc = interrupted()) < 0 || (rc = record_create(x, err, errlen)) < 0))
			break;
		if ((rc = interrupted()) < 0 || (rc = move(x, &x->to, true, err, errlen)) < 0) {
			done++;
			break;
		}
	}
	if (rc == 0)
		rc = check_vfio_nodes(t, err, errlen);
	if (rc == 0)
		rc = run_steps(t, false, err, errlen);
	for (size_t i = 0; i < t->nfiles && rc == 0; i++) {
		if ((rc = interrupted()) < 0)
			break;
		t->files_written++;
		if ((rc = file_put(&t->files[i], t->files[i].new)) < 0)
			snprintf(err, errlen, "%s: %s", t->files[i].path, strerror(-rc));
	}
	if (rc == 0)
		rc = interrupted();
	if (rc < 0) {
		if ((t->signal = pt_signal_caught()) != 0)
			snprintf(err, errlen, "interrupted by %s", pt_signal_name(t->signal));
		stuck = roll_back(t, done < t->n ? done + 1 : t->n, stuck_list, sizeof(stuck_list));
		finish_message(t, stuck, stuck_list, err, errlen);
		if (stuck == 0)
			journal_remove();
		return PT_EXIT_FAIL;
	}
	/* committed: only the cleanup is left, which --restore can finish too */
	journal_write(t, true);
	for (size_t i = 0; i < t->n; i++)
		if (t->dev[i].record == PT_RECORD_REMOVE && pt_remove_file(PT_RECORD_DIR "/%s", t->dev[i].bdf) < 0)
			pt_warn("%s: cannot remove its record under " PT_RECORD_DIR, t->dev[i].bdf);
	journal_remove();
	return PT_EXIT_OK;
}

/* ---- one run at a time ---- */

void pt_txn_lock(bool restoring)
{
	long holder = 0, pid;
	int rc = pt_lock_host(10, &holder);

	if (rc == -EWOULDBLOCK)
		pt_die(PT_EXIT_FAIL, "another run (pid %ld) is changing devices; try again when it is done", holder);
	if (rc < 0)
		pt_die(PT_EXIT_FAIL, "cannot lock /run/passthru-utils/lock: %s", strerror(-rc));
	if (!pt_txn_pending(&pid))
		return;
	/* a dry run takes no lock: the journal may be a live run's */
	if (pt_dry_run && pt_sysroot_live() && pid > 0 && kill((pid_t)pid, 0) == 0) {
		if (restoring)
			pt_die(PT_EXIT_FAIL, "a run (pid %ld) is changing devices now; nothing to restore while it "
			       "runs", pid);
		pt_warn("note: a run (pid %ld) is changing devices now; this dry run shows the host as it is", pid);
		return;
	}
	/* a killed run's devices first: a new run must not build on half a change */
	if (!restoring && pid > 0)
		pt_die(PT_EXIT_REFUSED, "a run (pid %ld) was killed in the middle of a change and left its "
		       "journal " PT_JOURNAL "; 'vfio-bind --restore' puts its devices back first", pid);
	if (!restoring)
		pt_die(PT_EXIT_REFUSED, "a journal " PT_JOURNAL " is left, naming no run; 'vfio-bind --restore' "
		       "reads it first");
}

/* ---- after a SIGKILL ---- */

bool pt_txn_pending(long *pid)
{
	char *s = NULL;

	*pid = 0;
	if (pt_read_file(&s, 1 << 20, PT_JOURNAL) < 0)
		return false;
	if (strstr(s, "\npid "))
		*pid = strtol(strstr(s, "\npid ") + 5, NULL, 10);
	free(s);
	return true;
}

/* Temporary files a killed run can leave: NAME.tmp of a record, a
 * driverctl file or the journal. */
static void remove_tmp_files(void)
{
	static const char *const dirs[] = { PT_RECORD_DIR, PT_PERSIST_DIR, "/run/passthru-utils", "/etc/passthru-utils" };
	char **parents = NULL;
	int np = pt_list_dir(&parents, PT_MDEVCTL_DIR);

	/* mdevctl's PARENT/UUID.tmp of a definition this toolkit wrote */
	for (int p = 0; p < np; p++) {
		char **names = NULL;
		int n = pt_mdev_name_ok(parents[p]) ? pt_list_dir(&names, PT_MDEVCTL_DIR "/%s", parents[p]) : 0;
		char uuid[PT_UUID_LEN], base[64];

		for (int i = 0; i < n; i++) {
			size_t l = strlen(names[i]);

			snprintf(base, sizeof(base), "%.*s", (int)(l > 4 ? l - 4 : 0), names[i]);
			if (l == 40 && strcmp(names[i] + 36, ".tmp") == 0 && !pt_uuid_parse(base, uuid))
				pt_remove_file(PT_MDEVCTL_DIR "/%s/%s", parents[p], names[i]);
		}
		if (n > 0)
			pt_free_names(names, n);
	}
	if (np > 0)
		pt_free_names(parents, np);
	for (size_t d = 0; d < 4; d++) {
		char **names = NULL;
		int n = pt_list_dir(&names, "%s", dirs[d]);

		for (int i = 0; i < n; i++) {
			size_t l = strlen(names[i]);

			if (l > 4 && strcmp(names[i] + l - 4, ".tmp") == 0 &&
			    (d != 1 || strncmp(names[i], "pci-", 4) == 0))
				pt_remove_file("%s/%s", dirs[d], names[i]);
		}
		if (n > 0)
			pt_free_names(names, n);
	}
}

/* Whether step i belongs to a chain of writes to one attribute (through
 * 0: current_vgpu_type 1157 -> 0 -> 1158, sriov_numvfs 4 -> 0 -> 2) that
 * still reads the chain's first value: the run was killed before its first
 * write there, and undoing a later step would take the attribute through
 * a value it never had (the VFs torn down and made again). */
static bool attr_chain_untouched(const struct pt_txn *t, size_t i)
{
	const struct pt_txn_step *x = &t->steps[i];
	char cur[128];

	if (x->kind != PT_STEP_ATTR || mdev_attr(x->path))
		return false;
	for (size_t j = 0; j < i; j++)
		if (t->steps[j].kind == PT_STEP_ATTR && strcmp(t->steps[j].path, x->path) == 0)
			return pt_read_text(cur, sizeof(cur), "%s", x->path) >= 0 && strcmp(cur, t->steps[j].a) == 0;
	return false;
}

/* A killed run's steps of one phase, undone newest first. */
static void restore_steps(struct pt_txn *t, bool early, char *stuck_list, size_t len, size_t *stuck,
			  size_t *moved)
{
	for (size_t i = t->nsteps; i-- > 0;) {
		struct pt_txn_step *x = &t->steps[i];
		char e2[512], what[300];
		size_t l = strlen(stuck_list);

		if (x->early != early || attr_chain_untouched(t, i))
			continue;
		if (step_move(x, false, e2, sizeof(e2)) == 0) {
			*moved += x->wrote;
			continue;
		}
		pt_warn("%s", e2);
		step_label(x, what, sizeof(what));
		snprintf(stuck_list + l, len - l, "%s%s", (*stuck)++ ? ", " : "", what);
	}
}

static int restore_journal(struct pt_txn *t, char *msg, size_t len)
{
	char *text = NULL, stuck_list[512] = "", gone[512] = "", gone_note[600] = "";
	const char *dry = pt_dry_run ? "dry run: " : "";
	long pid;
	bool committed;
	size_t stuck = 0, moved = 0;

	msg[0] = '\0';
	if (pt_read_file(&text, 1 << 20, PT_JOURNAL) < 0) {
		remove_tmp_files();
		return PT_EXIT_OK;
	}
	if (!pt_txn_parse(text, t, &pid, &committed)) {
		free(text);
		snprintf(msg, len, "%s is not a journal of this version; left as it is", PT_JOURNAL);
		return PT_EXIT_FAIL;
	}
	free(text);
	if (committed) {
		/* the run had finished its changes: only its cleanup was left */
		for (size_t i = 0; i < t->n; i++) {
			struct pt_txn_dev *x = &t->dev[i];
			struct pt_dev_state cur;

			if (x->record == PT_RECORD_REMOVE && read_state(x->bdf, &cur) == 0 && at_state(&x->to, &cur))
				pt_remove_file(PT_RECORD_DIR "/%s", x->bdf);
		}
		remove_tmp_files();
		journal_remove();
		snprintf(msg, len, "%sthe run of pid %ld (%s) had finished its changes; its cleanup %s", dry, pid,
			 t->action, pt_dry_run ? "would be done" : "is done");
		return PT_EXIT_OK;
	}
	for (size_t i = 0; i < t->nfiles; i++)
		if (file_restore(&t->files[i]) < 0)
			pt_warn("%s: cannot restore it", t->files[i].path);
	restore_steps(t, false, stuck_list, sizeof(stuck_list), &stuck, &moved);
	for (size_t k = t->n; k-- > 0;) {
		struct pt_txn_dev *x = &t->dev[k];
		char e2[512];
		struct pt_dev_state cur;

		int st = read_state(x->bdf, &cur);

		if (st == -ENODEV) {
			/* unplugged since: nothing to put back; the kernel probes it afresh if it returns */
			size_t l = strlen(gone);

			snprintf(gone + l, sizeof(gone) - l, "%s%s", l ? ", " : "", x->bdf);
			if (x->record_new)
				pt_remove_file(PT_RECORD_DIR "/%s", x->bdf);
			continue;
		}
		if (st == 0 && at_state(&x->from, &cur)) {
			x->now = cur;
		} else {
			x->touched = true;
			if (move(x, &x->from, false, e2, sizeof(e2)) < 0) {
				size_t l = strlen(stuck_list);

				pt_warn("%s", e2);
				snprintf(stuck_list + l, sizeof(stuck_list) - l, "%s%s (on %s, was on %s)",
					 stuck++ ? ", " : "", x->bdf, none_if_empty(x->now.driver),
					 none_if_empty(x->from.driver));
				continue;
			}
			moved++;
		}
		x->back = true;
		if (x->record_new)
			pt_remove_file(PT_RECORD_DIR "/%s", x->bdf);
	}
	restore_steps(t, true, stuck_list, sizeof(stuck_list), &stuck, &moved);
	remove_tmp_files();
	if (gone[0])
		snprintf(gone_note, sizeof(gone_note), "; gone from the host since: %s", gone);
	if (stuck) {
		snprintf(msg, len, "%sthe %s run of pid %ld was interrupted; not back: %s%s; the journal stays for "
			 "another --restore", dry, t->action, pid, stuck_list, gone_note);
		return PT_EXIT_FAIL;
	}
	journal_remove();
	if (t->nsteps) {
		snprintf(msg, len, "%sthe %s run of pid %ld was interrupted; %zu change%s %s, everything %s where it "
			 "was before it%s", dry, t->action, pid, moved, moved == 1 ? "" : "s",
			 pt_dry_run ? "would be undone" : "undone", pt_dry_run ? "would be" : "is", gone_note);
		return PT_EXIT_OK;
	}
	snprintf(msg, len, "%sthe %s run of pid %ld was interrupted; %zu device%s %s back, every device %s "
		 "where it was before it%s", dry, t->action, pid, moved, moved == 1 ? "" : "s",
		 pt_dry_run ? "would be put" : "put", pt_dry_run ? "would be" : "is", gone_note);
	return PT_EXIT_OK;
}

/* ---- leases: devices lent to a VM for as long as its supervisor lives ---- */

/* A process's start time (/proc/PID/stat field 22), 0 when it is gone:
 * with the pid it names one process, never a later one with its pid. */
static unsigned long long start_time(long pid)
{
	char buf[1024], *p;
	unsigned long long v = 0;

	if (pid <= 0 || pt_read_text(buf, sizeof(buf), "/proc/%ld/stat", pid) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	/* after "(comm)": state is field 3, starttime field 22; p ends on the
	 * blank before field f */
	for (int f = 3; f <= 22 && p; f++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

int pt_txn_lease(struct pt_txn *t, long owner)
{
	char *text;
	int rc;

	if (pt_dry_run)
		return 0;
	t->owner = owner;
	t->owner_start = start_time(owner);
	text = pt_txn_format(t, false);
	pt_debug("lease " PT_LEASE_DIR "/%ld", owner);
	rc = pt_put_file_raw(text, strlen(text), PT_LEASE_DIR "/%ld", owner);
	free(text);
	return rc;
}

void pt_txn_lease_end(long owner)
{
	char path[PATH_MAX];

	if (pt_dry_run || pt_path(path, sizeof(path), PT_LEASE_DIR "/%ld", owner) < 0)
		return;
	pt_debug("lease " PT_LEASE_DIR "/%ld ended", owner);
	unlink(path);
}

/* Leases whose owner is gone: each device back where it was before the
 * lease, unless a VM still holds it (then the lease stays). */
static int restore_leases(char *msg, size_t len)
{
	char **names = NULL;
	int n = pt_list_dir(&names, PT_LEASE_DIR), rc = PT_EXIT_OK;

	for (int i = 0; i < n; i++) {
		struct pt_txn t;
		char *text = NULL, *e;
		long pid, owner = strtol(names[i], &e, 10);
		bool committed, held = false;
		size_t moved = 0, l;

		if (*e || owner <= 0 || pt_read_file(&text, 1 << 20, PT_LEASE_DIR "/%s", names[i]) < 0)
			continue;
		if (!pt_txn_parse(text, &t, &pid, &committed) || pid != owner) {
			free(text);
			pt_txn_free(&t);
			l = strlen(msg);
			snprintf(msg + l, len - l, "%s" PT_LEASE_DIR "/%s is not a lease of this version; left as it is",
				 l ? "; " : "", names[i]);
			rc = PT_EXIT_FAIL;
			continue;
		}
		free(text);
		if (t.owner_start && start_time(owner) == t.owner_start) {
			pt_txn_free(&t);
			continue; /* its supervisor lives and will give them back */
		}
		for (size_t k = 0; k < t.n && !held; k++) {
			char group[48], users[512];
			const char *nodes[1] = { group };

			snprintf(group, sizeof(group), "/dev/vfio/%d", t.dev[k].group);
			if (t.dev[k].group >= 0 && pt_proc_holders(nodes, 1, users, sizeof(users)) > 0) {
				l = strlen(msg);
				snprintf(msg + l, len - l, "%sthe devices vm-run (pid %ld, gone) bound are still held by a VM: "
					 "%s; stop it, then run --restore again", l ? "; " : "", owner, users);
				held = true;
			}
		}
		if (held) {
			rc = PT_EXIT_REFUSED;
			pt_txn_free(&t);
			continue;
		}
		/* its files and steps too: a hand-over's console and framebuffer */
		for (size_t k = 0; k < t.nfiles; k++)
			if (file_restore(&t.files[k]) < 0)
				pt_warn("%s: cannot restore it", t.files[k].path);
		{
			char stuck_list[512] = "";
			size_t stuck = 0, smoved = 0;

			restore_steps(&t, false, stuck_list, sizeof(stuck_list), &stuck, &smoved);
			held |= stuck > 0;
			for (size_t k = t.n; k-- > 0;) {
				struct pt_txn_dev *x = &t.dev[k];
				struct pt_dev_state cur;
				char e2[512];

				if (read_state(x->bdf, &cur) == 0 && at_state(&x->from, &cur))
					continue;
				if (move(x, &x->from, false, e2, sizeof(e2)) < 0) {
					pt_warn("%s", e2);
					held = true;
					continue;
				}
				moved++;
				if (x->record_new)
					pt_remove_file(PT_RECORD_DIR "/%s", x->bdf);
			}
			restore_steps(&t, true, stuck_list, sizeof(stuck_list), &stuck, &smoved);
			held |= stuck > 0;
		}
		l = strlen(msg);
		if (held) {
			snprintf(msg + l, len - l, "%snot every device vm-run (pid %ld, gone) bound is back; its lease "
				 "stays for another --restore", l ? "; " : "", owner);
			rc = PT_EXIT_FAIL;
		} else {
			pt_txn_lease_end(owner);
			snprintf(msg + l, len - l, "%s%s%zu device%s that vm-run (pid %ld, gone) bound %s back", l ? "; " : "",
				 pt_dry_run ? "dry run: " : "", moved, moved == 1 ? "" : "s", owner,
				 pt_dry_run ? "would be put" : "put");
		}
		pt_txn_free(&t);
	}
	if (n > 0)
		pt_free_names(names, n);
	return rc;
}

int pt_txn_restore(struct pt_txn *t, char *msg, size_t len)
{
	int rc = restore_journal(t, msg, len), rl;

	if (rc != PT_EXIT_OK)
		return rc;
	rl = restore_leases(msg, len);
	return rl;
}

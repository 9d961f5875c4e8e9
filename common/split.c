/* vgpu-split's changes as the transaction's steps and files (split.h). */
#include "split.h"
#include "msg.h"
#include "signals.h"
#include "sysfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static int fail(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return PT_EXIT_FAIL;
}

int pt_split_persist(struct pt_txn *t, const struct pt_split_entry *e, bool remove, char *msg, size_t mlen)
{
	char *text = NULL, *out, err[1024];
	struct pt_split_entry *v;
	size_t n;
	int bad, rc;
	long len = pt_read_file(&text, 1 << 20, PT_SPLIT_CONF);

	if (len < 0 && len != -ENOENT)
		return fail(msg, mlen, "cannot read %s: %s; nothing was changed", PT_SPLIT_CONF, strerror((int)-len));
	n = pt_split_conf_parse(text ? text : "", &v, &bad, err, sizeof(err));
	free(text);
	if (bad) {
		free(v);
		return fail(msg, mlen, "%s: %.900s; fix it first, nothing was changed", PT_SPLIT_CONF, err);
	}
	pt_split_conf_set(&v, &n, e, remove);
	out = n ? pt_split_conf_format(v, n) : NULL;
	free(v);
	rc = pt_txn_add_file(t, PT_SPLIT_CONF, out);
	free(out);
	if (rc < 0)
		return fail(msg, mlen, "%s: %s; nothing was changed", PT_SPLIT_CONF, strerror(-rc));
	return PT_EXIT_OK;
}

int pt_split_persist_mdev(struct pt_txn *t, const char *parent, const char *type, const char *uuid, bool remove,
			  const struct pt_mdev_def *was, char *msg, size_t mlen)
{
	struct pt_mdev_def d = { .autostart = true };
	char path[512], *text;
	int rc;

	/* a definition there already keeps its attributes */
	if (was) {
		d.attrs = was->attrs;
		d.nattrs = was->nattrs;
	}
	snprintf(d.type, sizeof(d.type), "%s", type);
	pt_mdev_def_path(parent, uuid, path, sizeof(path));
	text = remove ? NULL : pt_mdev_def_format(&d);
	rc = pt_txn_add_file(t, path, text);
	free(text);
	if (rc < 0)
		return fail(msg, mlen, "%s: %s; nothing was changed", path, strerror(-rc));
	return PT_EXIT_OK;
}

int pt_split_vfs_steps(struct pt_txn *t, const char *pf, const struct pt_sriov *s, int want, int autoprobe,
		       char *msg, size_t mlen)
{
	struct pt_sriov_step steps[3];
	size_t n = pt_sriov_plan(s->num, want, autoprobe, steps, 3);
	int num = s->num;

	for (size_t k = 0; k < n; k++) {
		bool ap = strcmp(steps[k].attr, "sriov_drivers_autoprobe") == 0;
		char path[256], before[16], val[16];
		int rc;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", pf, steps[k].attr);
		snprintf(before, sizeof(before), "%d", ap ? s->autoprobe : num);
		snprintf(val, sizeof(val), "%d", steps[k].value);
		if (!ap)
			num = steps[k].value;
		rc = pt_txn_add_attr(t, path, ap && s->autoprobe < 0 ? NULL : before, val);
		if (rc < 0)
			return fail(msg, mlen, "%s: %s; nothing was changed", path, strerror(-rc));
	}
	return PT_EXIT_OK;
}

/* The PF after a failed run: its VFs, and autoprobe if it was written. */
static void vfs_state(const struct pt_txn *t, const char *pf, int had, int ap_was, char *state, size_t len)
{
	struct pt_sriov s;
	bool ap_written = false;
	long pid;

	for (size_t i = 0; i < t->steps_tried; i++)
		ap_written |= t->steps[i].wrote && strstr(t->steps[i].path, "/sriov_drivers_autoprobe") != NULL;
	if (!pt_sriov_read(pf, &s)) {
		snprintf(state, len, "%s is gone", pf);
		return;
	}
	snprintf(state, len, "%s has %d VFs (it had %d)%s%s", pf, s.num < 0 ? 0 : s.num, had,
		 !ap_written ? "" : s.autoprobe != ap_was ? "; sriov_drivers_autoprobe could not be restored"
		 : ap_was ? "; sriov_drivers_autoprobe back to 1" : "; sriov_drivers_autoprobe back to 0",
		 pt_txn_pending(&pid) ? "; not everything is back: 'vfio-bind --restore' finishes the job" : "");
}

/* After VFs went: the vfio-bind records of those that are gone (a later
 * VF at the same address is a new device, with no way back to recall). */
static void forget_gone(const char *pf, char (*before)[PT_BDF_LEN], size_t nbefore)
{
	char (*now)[PT_BDF_LEN] = pt_xcalloc(PT_SPLIT_MAX_VFS, sizeof(*now));
	size_t n = pt_sriov_vfs(pf, now, PT_SPLIT_MAX_VFS);

	for (size_t i = 0; i < nbefore; i++) {
		bool there = false;
		char rec[64];

		for (size_t k = 0; k < n && !there; k++)
			there = strcmp(before[i], now[k]) == 0;
		if (!there && pt_record_get(before[i], rec, sizeof(rec)) && pt_remove_file(PT_RECORD_DIR "/%s", before[i]) < 0)
			pt_warn("%s: cannot remove its record under " PT_RECORD_DIR, before[i]);
	}
	free(now);
}

int pt_split_vfs_run(struct pt_txn *t, const struct pt_dev *pf, const struct pt_sriov *s, char *msg, size_t len)
{
	char err[2048], state[512];
	const struct pt_txn_step *x;
	char (*before)[PT_BDF_LEN] = pt_xcalloc(PT_SPLIT_MAX_VFS, sizeof(*before));
	size_t nbefore = pt_sriov_vfs(pf->name, before, PT_SPLIT_MAX_VFS);
	int rc = pt_txn_run(t, err, sizeof(err));

	if (rc == PT_EXIT_OK && !pt_dry_run)
		forget_gone(pf->name, before, nbefore);
	free(before);
	if (rc == PT_EXIT_OK)
		return rc;
	vfs_state(t, pf->name, s->num, s->autoprobe, state, sizeof(state));
	x = t->steps_tried ? &t->steps[t->steps_tried - 1] : NULL;
	if (t->signal) {
		snprintf(msg, len, "interrupted by %s: %s", pt_signal_name(t->signal), state);
	} else if (!pt_exists("/sys/bus/pci/devices/%s", pf->name)) {
		snprintf(msg, len, "%s vanished while its VFs were changed", pf->name);
	} else if (!x || t->step_error == 0) {
		snprintf(msg, len, "%s", err);
	} else if (t->step_error == -ENOENT && strstr(x->path, "/sriov_numvfs") && !pf->driver) {
		/* drivers/pci/iov.c sriov_numvfs_store: no driver, or one without sriov_configure */
		snprintf(msg, len, "%s: no driver is bound to the PF, and the kernel enables VFs through it (it "
			 "answered ENOENT); %s", pf->name, state);
		return PT_EXIT_UNSUPPORTED;
	} else if (t->step_error == -ENOENT && strstr(x->path, "/sriov_numvfs")) {
		snprintf(msg, len, "%s: the PF's driver (%s) cannot enable VFs (the kernel answered ENOENT); %s",
			 pf->name, dash(pf->driver), state);
		return PT_EXIT_UNSUPPORTED;
	} else if (t->step_error == -EPROTO && strstr(x->path, "/sriov_numvfs")) {
		snprintf(msg, len, "%s: the kernel did not enable the %s VFs asked (dmesg says why); %s", pf->name, x->b,
			 state);
	} else if (t->step_error == -EPROTO) {
		snprintf(msg, len, "%.1500s; %s", err, state);
	} else {
		snprintf(msg, len, "write %s %s: %s (%s); %s", strrchr(x->path, '/') + 1, x->b, strerror(-t->step_error),
			 x->path, state);
	}
	return PT_EXIT_FAIL;
}

int pt_split_vgpu_steps(struct pt_txn *t, const char *vf, long current, unsigned id, char *msg, size_t mlen)
{
	char path[256], before[24], val[24];
	int rc = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvidia/current_vgpu_type", vf);
	snprintf(before, sizeof(before), "%ld", current);
	if (current > 0 && id > 0)
		rc = pt_txn_add_attr(t, path, before, "0");
	snprintf(val, sizeof(val), "%u", id);
	if (rc == 0)
		rc = pt_txn_add_attr(t, path, current > 0 && id > 0 ? "0" : before, val);
	if (rc < 0)
		return fail(msg, mlen, "%s: %s; nothing was changed", path, strerror(-rc));
	return PT_EXIT_OK;
}

int pt_split_mdev_steps(struct pt_txn *t, const char *parent, const char *type, const char *uuid,
			const struct pt_mdev_def *def, char *msg, size_t mlen)
{
	if (pt_txn_add_mdev(t, true, parent, type, uuid) < 0)
		return fail(msg, mlen, "%s: %s is no name an mdev parent or type can have", parent, type);
	for (size_t k = 0; def && k < def->nattrs; k++) {
		char path[256];

		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/%s", uuid, def->attrs[k].name);
		if (pt_txn_add_attr(t, path, "", def->attrs[k].value) < 0)
			return fail(msg, mlen, "mdev %s: its attribute %s cannot be written", uuid, def->attrs[k].name);
	}
	return PT_EXIT_OK;
}

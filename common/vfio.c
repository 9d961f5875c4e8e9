#include "vfio.h"
#include "hostuse.h"
#include "modules.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

/* ---- records ---- */

bool pt_vfio_record(const char *bdf, char *driver, size_t len)
{
	return pt_read_text(driver, len, PT_RECORD_DIR "/%s", bdf) >= 0;
}

bool pt_persisted(const char *bdf, char *driver, size_t len)
{
	return pt_read_text(driver, len, PT_PERSIST_DIR "/pci-%s", bdf) > 0;
}

int pt_persist(const char *bdf, const char *driver)
{
	return pt_put_file(driver, PT_PERSIST_DIR "/pci-%s", bdf);
}

int pt_unpersist(const char *bdf)
{
	return pt_remove_file(PT_PERSIST_DIR "/pci-%s", bdf);
}

bool pt_driver_module(const char *driver, char *module, size_t len)
{
	return pt_read_link_name(module, len, "/sys/bus/pci/drivers/%s/module", driver) > 0;
}

/* ---- plan ---- */

static bool in_list(struct pt_dev *const *v, size_t n, const struct pt_dev *d)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == d)
			return true;
	return false;
}

static int cmp_dev_ptr(const void *a, const void *b)
{
	return pt_bdf_cmp(&(*(struct pt_dev *const *)a)->bdf, &(*(struct pt_dev *const *)b)->bdf);
}

int pt_vfio_plan(const struct pt_host *h, struct pt_group *groups, size_t ng,
		 struct pt_dev *const *req, size_t nreq, int flags,
		 struct pt_bind **plan, size_t *n, char *why, size_t len)
{
	bool widen = flags & PT_PLAN_WIDEN, force = flags & PT_PLAN_FORCE;
	struct pt_dev **set = pt_xcalloc(h->ndevs + 1, sizeof(*set));
	size_t ns = 0;
	int rc = PT_EXIT_OK;

	*plan = NULL;
	*n = 0;
	for (size_t i = 0; i < nreq; i++) {
		struct pt_group *g = req[i]->group >= 0 ? pt_group_find(groups, ng, req[i]->group) : NULL;

		if (!g && !pt_exists("/sys/bus/pci/devices/%s/config", req[i]->name)) {
			snprintf(why, len, "%s: the device is gone", req[i]->name);
			free(set);
			return PT_EXIT_FAIL;
		}
		if (!g) {
			snprintf(why, len, "%s is in no IOMMU group: without an IOMMU nothing can be assigned "
				 "(iommu-groups --check says why)", req[i]->name);
			free(set);
			return PT_EXIT_UNSUPPORTED;
		}
		if (!in_list(set, ns, req[i]))
			set[ns++] = req[i];
		for (size_t k = 0; widen && k < g->ndevs; k++)
			if (!pt_dev_is_bridge(g->devs[k]) && !in_list(set, ns, g->devs[k]))
				set[ns++] = g->devs[k];
	}
	/* The host's own devices: refused before anything is written, every
	 * reason named at once. What cannot work at all comes first. */
	for (size_t pass = 0; pass < 2 && rc == PT_EXIT_OK && !(flags & PT_PLAN_NO_SAFETY); pass++) {
		size_t nforce = 0;

		why[0] = '\0';
		for (size_t i = 0; i < ns && rc == PT_EXIT_OK; i++) {
			char reason[2048];
			enum pt_use use = pt_dev_host_use(h, set[i], PT_OP_TAKE, reason, sizeof(reason));
			size_t l = strlen(why);

			if (use == PT_USE_NEVER && pass == 0) {
				snprintf(why, len, "%s", reason);
				rc = PT_EXIT_REFUSED;
			} else if (use == PT_USE_FORCEABLE && pass == 1 && !force) {
				snprintf(why + l, len - l, "%s%s", nforce++ ? "; " : "", reason);
			} else if (use == PT_USE_FORCEABLE && pass == 1) {
				pt_warn("warning: %s (--force given)", reason);
			}
		}
		if (nforce) {
			size_t l = strlen(why);
			snprintf(why + l, len - l, "; --force takes %s anyway", nforce == 1 ? "it" : "them");
			rc = PT_EXIT_REFUSED;
		}
	}
	/* Giving back under a running VM would block in the kernel until it
	 * lets go (vfio_pci_core_unregister_device waits for the last close). */
	for (size_t i = 0; i < ns && rc == PT_EXIT_OK && (flags & PT_PLAN_RELEASE); i++) {
		char users[512];

		if (set[i]->driver && strcmp(set[i]->driver, "vfio-pci") == 0 &&
		    pt_dev_vm_users(set[i], users, sizeof(users)) > 0) {
			snprintf(why, len, "%s is held by a running VM: %s; stop the VM first (giving it back now "
				 "would hang until the VM lets go)", set[i]->name, users);
			rc = PT_EXIT_REFUSED;
		}
	}
	/* The kernel gives a group to VFIO only when every device in it, bridges
	 * included, is driverless or on a driver that leaves DMA to VFIO. */
	for (size_t i = 0; i < ns && rc == PT_EXIT_OK && !(flags & PT_PLAN_NO_GROUP_CHECK); i++) {
		struct pt_group *g = pt_group_find(groups, ng, set[i]->group);

		for (size_t k = 0; k < g->ndevs && rc == PT_EXIT_OK; k++) {
			const struct pt_dev *o = g->devs[k];

			if (!pt_dev_is_bridge(o) || pt_driver_manages_dma(o->driver))
				continue;
			snprintf(why, len, "IOMMU group %d cannot go to VFIO: its %s %s is on %s, a driver that "
				 "keeps the device's DMA (an EDAC or uncore driver on a host bridge), so the kernel "
				 "calls the group not viable; unload %s first", g->number,
				 o->class == 0x0600 ? "host bridge" : "bridge", o->name, o->driver, o->driver);
			rc = PT_EXIT_REFUSED;
		}
	}
	/* Without --group, the rest of each group must already be off the host. */
	for (size_t i = 0; i < ns && rc == PT_EXIT_OK && !widen && !(flags & PT_PLAN_NO_GROUP_CHECK); i++) {
		struct pt_group *g = pt_group_find(groups, ng, set[i]->group);
		size_t used = 0;

		why[0] = '\0';
		for (size_t k = 0; k < g->ndevs; k++) {
			const struct pt_dev *o = g->devs[k];
			size_t l = strlen(why);

			if (in_list(set, ns, o) || pt_dev_is_bridge(o) || pt_driver_manages_dma(o->driver))
				continue;
			if (used++ == 0)
				snprintf(why, len, "IOMMU group %d also holds %s (%s)", g->number, o->name,
					 o->driver);
			else
				snprintf(why + l, len - l, ", %s (%s)", o->name, o->driver);
		}
		if (used) {
			size_t l = strlen(why);
			snprintf(why + l, len - l, ", still on host drivers: VFIO can only use a group "
				 "whose every endpoint is on vfio-pci; --group takes %s too",
				 used == 1 ? "it" : "them");
			rc = PT_EXIT_REFUSED;
		}
	}
	if (rc != PT_EXIT_OK) {
		free(set);
		return rc;
	}
	qsort(set, ns, sizeof(*set), cmp_dev_ptr);
	*plan = pt_xcalloc(ns, sizeof(**plan));
	for (size_t i = 0; i < ns; i++) {
		struct pt_bind *b = &(*plan)[i];

		b->dev = set[i];
		b->group = set[i]->group;
		snprintf(b->before, sizeof(b->before), "%s", set[i]->driver ? set[i]->driver : "");
	}
	*n = ns;
	free(set);
	return PT_EXIT_OK;
}

/* ---- the writes ---- */

static int current_driver(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	int rc;

	/* follow the link: a device that went away leaves nothing behind it */
	if (pt_path(path, sizeof(path), "/sys/bus/pci/devices/%s/", bdf) < 0 || access(path, F_OK) < 0)
		return -ENODEV;
	rc = pt_read_link_name(buf, len, "/sys/bus/pci/devices/%s/driver", bdf);
	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return rc < 0 ? rc : 0;
}

static int fail(char *err, size_t errlen, const char *bdf, const char *what, int rc)
{
	snprintf(err, errlen, "%s: %s: %s", bdf, what, rc == -ENODEV ? "the device is gone" : strerror(-rc));
	return rc;
}

/* vfio-pci must be there before drivers_probe can pick it. */
static int ensure_vfio(char *err, size_t errlen)
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
				return snprintf(err, errlen, "module %s is not loaded in the sysroot", mods[i]),
				       -ENOENT;
			continue;
		}
		pt_debug("loading module %s", mods[i]);
		if ((rc = pt_module_load(mods[i])) < 0) {
			snprintf(err, errlen, "cannot load module %s: %s", mods[i], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static int bind_one(struct pt_bind *b, char *err, size_t errlen)
{
	const char *bdf = b->dev->name;
	char cur[64];
	int rc;

	if ((rc = current_driver(bdf, cur, sizeof(cur))) < 0)
		return fail(err, errlen, bdf, "reading its driver", rc);
	snprintf(b->before, sizeof(b->before), "%s", cur);
	if (strcmp(cur, "vfio-pci") == 0) {
		b->unchanged = true;
		snprintf(b->after, sizeof(b->after), "vfio-pci");
		return 0;
	}
	/* The record comes first: if the run dies midway, --unbind knows the way back. */
	b->changed = true;
	if ((rc = pt_put_file(cur, PT_RECORD_DIR "/%s", bdf)) < 0)
		return fail(err, errlen, bdf, "recording its driver under " PT_RECORD_DIR, rc);
	if ((rc = pt_write_attr("vfio-pci", "/sys/bus/pci/devices/%s/driver_override", bdf)) < 0)
		return fail(err, errlen, bdf, "setting driver_override", rc);
	if (cur[0] && (rc = pt_write_attr(bdf, "/sys/bus/pci/drivers/%s/unbind", cur)) < 0)
		return fail(err, errlen, bdf, "unbinding its driver", rc);
	if ((rc = pt_write_attr(bdf, "/sys/bus/pci/drivers_probe")) < 0)
		return fail(err, errlen, bdf, "probing vfio-pci", rc);
	if (pt_dry_run) {
		snprintf(b->after, sizeof(b->after), "vfio-pci");
		return 0;
	}
	if ((rc = current_driver(bdf, b->after, sizeof(b->after))) < 0)
		return fail(err, errlen, bdf, "reading its driver", rc);
	if (strcmp(b->after, "vfio-pci") != 0) {
		snprintf(err, errlen, "%s: vfio-pci did not take it (driver now: %s)", bdf,
			 b->after[0] ? b->after : "none");
		return -EIO;
	}
	return 0;
}

/* Put a device back on `driver` ("" for none) and clear the override.
 * Every step is tried even when one fails; the first error is returned. */
static int return_one(const char *bdf, const char *driver, char *err, size_t errlen)
{
	char cur[64];
	int rc, first = 0;

	if ((rc = pt_write_attr("\n", "/sys/bus/pci/devices/%s/driver_override", bdf)) < 0)
		first = fail(err, errlen, bdf, "clearing driver_override", rc);
	if (current_driver(bdf, cur, sizeof(cur)) < 0)
		cur[0] = '\0';
	if (strcmp(cur, "vfio-pci") == 0 &&
	    (rc = pt_write_attr(bdf, "/sys/bus/pci/drivers/vfio-pci/unbind")) < 0 && !first)
		first = fail(err, errlen, bdf, "unbinding vfio-pci", rc);
	if (driver[0] && strcmp(cur, driver) == 0) {
		rc = 0; /* it never left (a failure before the unbind) */
	} else if (driver[0]) {
		if (!pt_dry_run && pt_sysroot_live() && !pt_exists("/sys/bus/pci/drivers/%s", driver)) {
			char mod[64];
			/* a driver whose module was unloaded meanwhile: load it back */
			pt_module_load(pt_driver_module(driver, mod, sizeof(mod)) ? mod : driver);
		}
		rc = pt_write_attr(bdf, "/sys/bus/pci/drivers/%s/bind", driver);
		if (rc < 0 && rc != -ENODEV) /* let the kernel find one */
			rc = pt_write_attr(bdf, "/sys/bus/pci/drivers_probe");
	} else {
		rc = pt_write_attr(bdf, "/sys/bus/pci/drivers_probe");
	}
	if (rc < 0 && !first)
		first = fail(err, errlen, bdf, driver[0] ? "binding its driver back" : "probing a driver", rc);
	if ((rc = pt_remove_file(PT_RECORD_DIR "/%s", bdf)) < 0 && !first)
		first = fail(err, errlen, bdf, "removing its record", rc);
	return first;
}

int pt_vfio_bind(struct pt_bind *b, size_t n, char *err, size_t errlen)
{
	int rc = ensure_vfio(err, errlen);
	size_t i;

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = bind_one(&b[i], err, errlen)) < 0)
			break;
	if (rc == 0)
		return 0;
	/* All or nothing: undo every device touched, the failed one included. */
	for (size_t k = i + 1; k-- > 0;) {
		char e2[256];

		if (!b[k].changed)
			continue;
		if (return_one(b[k].dev->name, b[k].before, e2, sizeof(e2)) < 0)
			pt_warn("rollback: %s", e2);
		current_driver(b[k].dev->name, b[k].after, sizeof(b[k].after));
	}
	return rc;
}

int pt_vfio_release(struct pt_bind *b, size_t n, char *err, size_t errlen)
{
	int first = 0;

	for (size_t i = 0; i < n; i++) {
		const char *bdf = b[i].dev->name;
		char cur[64], was[64] = "", ov[64] = "", e2[256];
		bool recorded = pt_vfio_record(bdf, was, sizeof(was));
		bool overridden;
		int rc;

		if ((rc = current_driver(bdf, cur, sizeof(cur))) < 0) {
			if (!first)
				first = fail(err, errlen, bdf, "reading its driver", rc);
			continue;
		}
		snprintf(b[i].before, sizeof(b[i].before), "%s", cur);
		pt_read_text(ov, sizeof(ov), "/sys/bus/pci/devices/%s/driver_override", bdf);
		overridden = ov[0] && strcmp(ov, "(null)") != 0;
		if (strcmp(cur, "vfio-pci") != 0 && !recorded && !overridden) {
			b[i].unchanged = true; /* not ours, nothing left behind */
			snprintf(b[i].after, sizeof(b[i].after), "%s", cur);
			continue;
		}
		b[i].changed = true;
		if (strcmp(cur, "vfio-pci") != 0 && !recorded)
			rc = return_one(bdf, cur, e2, sizeof(e2)); /* only the leftover override */
		else
			rc = return_one(bdf, recorded ? was : "", e2, sizeof(e2));
		if (rc < 0 && !first) {
			snprintf(err, errlen, "%s", e2);
			first = rc;
		}
		if (pt_dry_run)
			snprintf(b[i].after, sizeof(b[i].after), "%s", recorded && was[0] ? was : "(probed)");
		else
			current_driver(bdf, b[i].after, sizeof(b[i].after));
	}
	return first;
}

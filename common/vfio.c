#include "vfio.h"
#include "handover.h"
#include "xen.h"
#include "mdev.h"
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

/* ---- driverctl's files ---- */

int pt_persist_files(const char *bdf, char ***names)
{
	char **all = NULL, **mine;
	int n = pt_list_dir(&all, PT_PERSIST_DIR), k = 0;
	struct pt_bdf want, b;

	*names = NULL;
	if (n <= 0 || pt_bdf_parse(bdf, &want) != NULL) {
		if (n > 0)
			pt_free_names(all, n);
		return 0;
	}
	mine = pt_xcalloc((size_t)n + 1, sizeof(*mine));
	for (int i = 0; i < n; i++) {
		size_t l = strlen(all[i]);

		if (strncmp(all[i], "pci-", 4) == 0 && !(l > 4 && strcmp(all[i] + l - 4, ".tmp") == 0) &&
		    pt_bdf_parse(all[i] + 4, &b) == NULL && pt_bdf_cmp(&b, &want) == 0)
			mine[k++] = pt_xstrdup(all[i]);
	}
	pt_free_names(all, n);
	*names = mine;
	return k;
}

/* The pciback file's addresses and modules: as the transaction will leave
 * it when it already replaces it, else as it is on disk. */
static size_t pciback_read(struct pt_txn *t, char (*bdfs)[PT_BDF_LEN], size_t max, char (*mods)[64], size_t *nmods,
			   struct pt_txn_file **f)
{
	char *text = NULL;
	size_t n;

	*f = NULL;
	for (size_t k = 0; t && k < t->nfiles; k++)
		if (strcmp(t->files[k].path, PT_PCIBACK_CONF) == 0)
			*f = &t->files[k];
	if (*f)
		return (*f)->new ? pt_pciback_conf_parse((*f)->new, bdfs, max, mods, 64, nmods) : (*nmods = 0);
	if (pt_read_file(&text, 1 << 16, PT_PCIBACK_CONF) < 0) {
		*nmods = 0;
		return 0;
	}
	n = pt_pciback_conf_parse(text, bdfs, max, mods, 64, nmods);
	free(text);
	return n;
}

/* Add bdf to the pciback file (with its driver's module), or take it out. */
static int pciback_persist(struct pt_txn *t, const struct pt_dev *d, const char *bdf, bool add)
{
	char (*bdfs)[PT_BDF_LEN] = pt_xcalloc(257, PT_BDF_LEN), (*mods)[64] = pt_xcalloc(65, 64), mod[64];
	struct pt_txn_file *f;
	size_t nmods, n = pciback_read(t, bdfs, 256, mods, &nmods, &f), k;
	char *text;
	int rc = 0;

	for (k = 0; k < n && strcmp(bdfs[k], bdf) != 0; k++)
		;
	if (add && k == n && n < 256)
		snprintf(bdfs[n++], PT_BDF_LEN, "%s", bdf);
	else if (!add && k < n) {
		memmove(bdfs[k], bdfs[k + 1], (n - k - 1) * PT_BDF_LEN);
		n--;
	} else if (!add) {
		goto out; /* not in it: nothing to change */
	}
	if (add && d && d->driver && !pt_on_target(d) && pt_driver_module(d->driver, mod, sizeof(mod))) {
		bool dup = false;

		for (size_t i = 0; i < nmods; i++)
			dup |= strcmp(mods[i], mod) == 0;
		if (!dup && nmods < 64)
			snprintf(mods[nmods++], 64, "%s", mod);
	}
	text = pt_pciback_conf_format(bdfs, n, mods, nmods);
	if (f) {
		free(f->new);
		f->new = text;
	} else {
		rc = pt_txn_add_file(t, PT_PCIBACK_CONF, text);
		free(text);
	}
out:
	free(bdfs);
	free(mods);
	return rc;
}

bool pt_persisted(const char *bdf, char *driver, size_t len)
{
	char **names = NULL, buf[256] = "";
	int n = pt_persist_files(bdf, &names);
	bool found = false;

	for (int i = 0; i < n && !found; i++)
		if (pt_read_text(buf, sizeof(buf), PT_PERSIST_DIR "/%s", names[i]) > 0) {
			buf[strcspn(buf, "\r\n")] = '\0';
			snprintf(driver, len, "%s", pt_name_ok(buf) ? buf : "?");
			found = buf[0] != '\0';
		}
	if (names)
		pt_free_names(names, n);
	if (!found) {
		char (*bdfs)[PT_BDF_LEN] = pt_xcalloc(257, PT_BDF_LEN), (*mods)[64] = pt_xcalloc(65, 64);
		struct pt_txn_file *f;
		struct pt_bdf b;
		char canon[PT_BDF_LEN];
		size_t nmods, nb = pciback_read(NULL, bdfs, 256, mods, &nmods, &f);

		if (pt_bdf_parse(bdf, &b) == NULL) {
			pt_bdf_format(&b, canon);
			for (size_t k = 0; k < nb && !found; k++)
				found = strcmp(bdfs[k], canon) == 0;
		}
		if (found)
			snprintf(driver, len, "pciback");
		free(bdfs);
		free(mods);
	}
	return found;
}

int pt_unpersist_txn(struct pt_txn *t, const char *bdf)
{
	char **names = NULL;
	int n = pt_persist_files(bdf, &names), rc = 0;
	struct pt_bdf b;
	char canon[PT_BDF_LEN];

	for (int i = 0; i < n && rc == 0; i++) {
		char path[300];

		snprintf(path, sizeof(path), PT_PERSIST_DIR "/%s", names[i]);
		rc = pt_txn_add_file(t, path, NULL);
	}
	if (names)
		pt_free_names(names, n);
	if (rc == 0 && pt_bdf_parse(bdf, &b) == NULL)
		rc = pciback_persist(t, NULL, pt_bdf_format(&b, canon), false);
	return rc;
}

bool pt_driver_module(const char *driver, char *module, size_t len)
{
	return pt_name_ok(driver) &&
	       pt_read_link_name(module, len, "/sys/bus/pci/drivers/%s/module", driver) > 0 && pt_name_ok(module);
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
		if (flags & PT_PLAN_RELEASE) {
			/* giving back needs no group, and a bridge never went anywhere */
			if (pt_dev_is_bridge(req[i])) {
				snprintf(why, len, "%s is a bridge: bridges never go to vfio-pci, so there is "
					 "nothing to give back", req[i]->name);
				free(set);
				return PT_EXIT_REFUSED;
			}
			if (!g) {
				if (!in_list(set, ns, req[i]))
					set[ns++] = req[i];
				continue;
			}
		}
		if (!g && (flags & PT_PLAN_NO_IOMMU)) {
			/* pciback, pci-stub: Xen's IOMMU (or none) decides, not this kernel's groups */
			if (!in_list(set, ns, req[i]))
				set[ns++] = req[i];
			continue;
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
			/* a hand-over answers for the boot display's card itself */
			bool ho = (flags & PT_PLAN_HANDOVER) && pt_boot_display_slot(h, set[i]);
			enum pt_use use = pt_dev_host_use(h, set[i], ho ? PT_OP_HANDOVER : PT_OP_TAKE, reason, sizeof(reason));
			size_t l = strlen(why);

			/* vGPU 17 and later: nvidia itself hands such a VF to QEMU */
			if (use == PT_USE_NONE && !(flags & PT_PLAN_RELEASE) && pt_vgpu_capable(set[i]->name)) {
				snprintf(reason, sizeof(reason), "%s is an NVIDIA vGPU VF: it stays on %s, which gives it "
					 "to QEMU as it is (vgpu-split --vgpu-type ID %s gives it a type); on vfio-pci it "
					 "would lose its vGPU", set[i]->name, set[i]->driver ? set[i]->driver : "nvidia",
					 set[i]->name);
				use = PT_USE_FORCEABLE;
			}

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

		if (set[i]->driver && strcmp(set[i]->driver, "pciback") == 0 && pt_xen_dom0() &&
		    pt_xen_assigned(set[i]->name) == 1) {
			snprintf(why, len, "%s is held by a Xen guest (it is on pciback, and xl pci-assignable-list "
				 "leaves it out: xl pci-list DOMAIN shows which); xl pci-detach or xl destroy it first",
				 set[i]->name);
			rc = PT_EXIT_REFUSED;
		} else if (pt_on_target(set[i]) && pt_dev_vm_users(set[i], users, sizeof(users)) > 0) {
			snprintf(why, len, "%s is held by a running VM: %s; stop the VM first (giving it back now "
				 "would hang until the VM lets go)", set[i]->name, users);
			rc = PT_EXIT_REFUSED;
		}
	}
	/* The kernel gives a group to VFIO only when every device in it, bridges
	 * included, is driverless or on a driver that leaves DMA to VFIO. */
	for (size_t i = 0; i < ns && rc == PT_EXIT_OK && !(flags & (PT_PLAN_NO_GROUP_CHECK | PT_PLAN_NO_IOMMU)); i++) {
		struct pt_group *g = pt_group_find(groups, ng, set[i]->group);

		if (!g)
			continue;

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
	for (size_t i = 0; i < ns && rc == PT_EXIT_OK && !widen && !(flags & (PT_PLAN_NO_GROUP_CHECK | PT_PLAN_NO_IOMMU));
	     i++) {
		struct pt_group *g = pt_group_find(groups, ng, set[i]->group);

		if (!g)
			continue;
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
	}
	*n = ns;
	free(set);
	return PT_EXIT_OK;
}

/* ---- the transactions ---- */

static int added(int rc, const char *bdf, char *err, size_t errlen)
{
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", bdf, rc == -ENODEV ? "the device is gone"
			 : rc == -EINVAL ? "its driver, driver_override or driverctl file holds no valid name or text"
			 : rc == -EFBIG ? "its driverctl file is too big to be restored" : strerror(-rc));
	return rc;
}

bool pt_target_ok(const char *driver)
{
	return strcmp(driver, "vfio-pci") == 0 || strcmp(driver, "pciback") == 0 || strcmp(driver, "pci-stub") == 0;
}

bool pt_on_target(const struct pt_dev *d)
{
	return d->driver && pt_target_ok(d->driver);
}

const char *pt_target_module(const char *driver)
{
	return strcmp(driver, "pciback") == 0 ? "xen-pciback" : driver;
}

int pt_vfio_bind_txn(struct pt_txn *t, const struct pt_bind *b, size_t n, bool persist, char *err,
		     size_t errlen)
{
	return pt_driver_bind_txn(t, b, n, "vfio-pci", persist, err, errlen);
}

int pt_driver_bind_txn(struct pt_txn *t, const struct pt_bind *b, size_t n, const char *driver, bool persist,
		       char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if ((rc = added(pt_txn_add(t, b[i].dev, driver, driver, PT_RECORD_CREATE), b[i].dev->name,
				err, errlen)) < 0)
			return rc;
		if (persist && strcmp(driver, "pciback") == 0) {
			/* Xen's way: xen-pciback's hide= in modprobe.d, no driverctl file */
			if ((rc = pt_unpersist_txn(t, b[i].dev->name)) < 0 ||
			    (rc = pciback_persist(t, b[i].dev, b[i].dev->name, true)) < 0)
				return added(rc, b[i].dev->name, err, errlen);
		} else if (persist) {
			char path[300];

			/* driverctl's own spelling; other spellings of the same device go */
			if ((rc = pt_unpersist_txn(t, b[i].dev->name)) < 0)
				return added(rc, b[i].dev->name, err, errlen);
			snprintf(path, sizeof(path), PT_PERSIST_DIR "/pci-%s", b[i].dev->name);
			for (size_t k = 0; k < t->nfiles; k++)
				if (strcmp(t->files[k].path, path) == 0) {
					free(t->files[k].new);
					t->files[k].new = pt_xstrdup(driver);
					path[0] = '\0';
				}
			if (path[0] && (rc = pt_txn_add_file(t, path, driver)) < 0)
				return added(rc, b[i].dev->name, err, errlen);
		}
	}
	return 0;
}

int pt_vfio_release_txn(struct pt_txn *t, const struct pt_bind *b, size_t n, bool unpersist, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct pt_dev *d = b[i].dev;
		char was[64] = "";
		bool recorded = pt_record_get(d->name, was, sizeof(was));
		bool on_vfio = pt_on_target(d);
		int rc;

		if (unpersist && (rc = pt_unpersist_txn(t, d->name)) < 0) {
			added(rc, d->name, err, errlen);
			return PT_EXIT_FAIL;
		}
		if (recorded && strcmp(was, "?") == 0) {
			snprintf(err, errlen, "%s: its record under " PT_RECORD_DIR " holds no valid driver name; "
				 "left as it is", d->name);
			return PT_EXIT_FAIL;
		}
		/* a device that had no driver (at boot, before its driver loaded, say)
		 * goes back to whatever the kernel probes, as with no record */
		if (recorded)
			rc = pt_txn_add(t, d, was[0] ? was : PT_ANY_DRIVER, "", PT_RECORD_REMOVE);
		else if (on_vfio)
			rc = pt_txn_add(t, d, PT_ANY_DRIVER, "", PT_RECORD_KEEP);
		else /* not ours: at most a leftover override goes */
			rc = pt_txn_add(t, d, d->driver ? d->driver : "", "", PT_RECORD_KEEP);
		if (added(rc, d->name, err, errlen) < 0)
			return PT_EXIT_FAIL;
	}
	return PT_EXIT_OK;
}

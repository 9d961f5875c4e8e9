/* vfio-bind: hand devices to vfio-pci and back, all-or-nothing; keep the
 * binding across boots in driverctl's format. */
#include "devargs.h"
#include "handover.h"
#include "xen.h"
#include "iommu.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "sysfs.h"
#include "vfio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_group, opt_unbind, opt_restore, opt_force, opt_persist, opt_unpersist, opt_list, opt_apply,
	opt_modprobe, opt_handover, opt_handback;
static char *opt_driver;
/* The driver devices are handed to (--driver): vfio-pci unless told. */
static const char *target = "vfio-pci";

static struct poptOption options[] = {
	{ "group", 'g', POPT_ARG_NONE, &opt_group, 0,
	  "take every endpoint of each device's IOMMU group (bridges stay)", NULL },
	{ "unbind", 'u', POPT_ARG_NONE, &opt_unbind, 0,
	  "give devices back to the driver they had before", NULL },
	{ "restore", '\0', POPT_ARG_NONE, &opt_restore, 0,
	  "put back the devices of a run that was killed (its journal); with DEVICEs, then --unbind them", NULL },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "take devices the host uses (its display, disks, network)", NULL },
	{ "persist", '\0', POPT_ARG_NONE, &opt_persist, 0,
	  "also bind them at every boot (/etc/driverctl.d/pci-BDF)", NULL },
	{ "unpersist", '\0', POPT_ARG_NONE, &opt_unpersist, 0, "stop binding them at boot", NULL },
	{ "list", 'l', POPT_ARG_NONE, &opt_list, 0,
	  "devices on vfio-pci, what they were on, and what is persisted", NULL },
	{ "apply-persistent", '\0', POPT_ARG_NONE, &opt_apply, 0,
	  "bind the persisted devices now (all, or the DEVICEs given)", NULL },
	{ "print-modprobe", '\0', POPT_ARG_NONE, &opt_modprobe, 0,
	  "print the modprobe.d lines that bind the DEVICEs' IDs at boot", NULL },
	{ "driver", 'D', POPT_ARG_STRING, &opt_driver, PT_ONCE,
	  "bind to DRIVER instead: pciback (a Xen dom0: xen-pciback, for xl) or pci-stub", "DRIVER" },
	{ "handover", '\0', POPT_ARG_NONE, &opt_handover, 0,
	  "give the host's display card to vfio-pci: its consoles, firmware framebuffer and driver first", NULL },
	{ "handback", '\0', POPT_ARG_NONE, &opt_handback, 0,
	  "give a handed-over display card back to the host, consoles and framebuffer included", NULL },
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

static const char *none_if_empty(const char *s)
{
	/* a dry run's give-back with no record: the kernel will choose */
	if (s && strcmp(s, PT_ANY_DRIVER) == 0)
		return "(probed)";
	return s && *s ? s : "(none)";
}

static void print_result(const struct pt_txn *t, bool bind)
{
	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "action", bind ? "bind" : "unbind");
		pt_json_array_open(&j, "devices");
		for (size_t i = 0; i < t->n; i++) {
			const struct pt_txn_dev *x = &t->dev[i];

			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "bdf", x->bdf);
			if (x->group >= 0)
				pt_json_int(&j, "group", x->group);
			else
				pt_json_null(&j, "group");
			pt_json_string(&j, "before", x->from.driver[0] ? x->from.driver : NULL);
			pt_json_string(&j, "after", x->now.driver[0] ? none_if_empty(x->now.driver) : NULL);
			pt_json_bool(&j, "changed", !x->unchanged);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_object_close(&j);
		pt_json_finish(&j);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct pt_txn_dev *x = &t->dev[i];

		char grp[24] = "";

		/* a Xen dom0 has no groups: none to name */
		if (x->group >= 0)
			snprintf(grp, sizeof(grp), " (group %d)", x->group);
		if (x->unchanged)
			printf("%s already %s%s%s\n", x->bdf, bind ? "on " : "off vfio-pci: ",
			       bind ? x->to.driver : none_if_empty(x->now.driver), grp);
		else
			printf("%s %s -> %s%s\n", x->bdf, none_if_empty(x->from.driver), none_if_empty(x->now.driver), grp);
	}
}

static int do_list(const struct pt_host *h)
{
	static const char *const head[] = { "BDF", "GROUP", "DRIVER", "WAS", "PERSISTED", "DEVICE" };
	struct pt_table t;
	struct pt_json j;
	char **files = NULL;
	int nf = pt_list_dir(&files, PT_PERSIST_DIR);

	pt_table_init(&t, 6, head);
	if (pt_opts.json) {
		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_array_open(&j, "devices");
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && !pt_opts.json && t.rows)
			pt_table_print_row(&t, t.headers, stdout);
		for (size_t i = 0; i < h->ndevs; i++) {
			const struct pt_dev *d = &h->devs[i];
			char was[64] = "", pers[64] = "", grp[16], desc[400];
			bool rec = pt_record_get(d->name, was, sizeof(was));
			bool per = pt_persisted(d->name, pers, sizeof(pers));
			const char *row[6];

			if (!rec && !per && !pt_on_target(d))
				continue;
			snprintf(grp, sizeof(grp), d->group >= 0 ? "%d" : "-", d->group);
			pt_dev_describe(h, d, desc, sizeof(desc));
			if (pt_opts.json && pass == 0) {
				pt_json_object_open(&j, NULL);
				pt_json_string(&j, "bdf", d->name);
				if (d->group >= 0)
					pt_json_int(&j, "group", d->group);
				else
					pt_json_null(&j, "group");
				pt_json_string(&j, "driver", d->driver);
				pt_json_string(&j, "was", rec ? was : NULL);
				pt_json_string(&j, "persisted", per ? pers : NULL);
				pt_json_object_close(&j);
				continue;
			}
			row[0] = d->name;
			row[1] = grp;
			row[2] = d->driver;
			row[3] = rec ? none_if_empty(was) : NULL;
			row[4] = per ? pers : NULL;
			row[5] = desc;
			if (pass == 0)
				pt_table_measure(&t, row);
			else
				pt_table_print_row(&t, row, stdout);
		}
		if (pt_opts.json)
			break;
	}
	/* driverctl overrides for devices this host does not have (now) */
	for (int i = 0; i < nf; i++) {
		struct pt_bdf b;
		char drv[64] = "";

		char name[PT_BDF_LEN];

		if (strncmp(files[i], "pci-", 4) != 0 || pt_bdf_parse(files[i] + 4, &b) != NULL ||
		    pt_host_find(h, &b) || !pt_persisted(pt_bdf_format(&b, name), drv, sizeof(drv)))
			continue;
		if (pt_opts.json) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "bdf", name);
			pt_json_null(&j, "group");
			pt_json_null(&j, "driver");
			pt_json_null(&j, "was");
			pt_json_string(&j, "persisted", drv);
			pt_json_bool(&j, "absent", true);
			pt_json_object_close(&j);
		} else {
			printf("note: %s is persisted to %s but not present\n", name, drv);
		}
	}
	if (nf > 0)
		pt_free_names(files, nf);
	if (pt_opts.json) {
		pt_json_array_close(&j);
		pt_json_object_close(&j);
		pt_json_finish(&j);
	}
	return PT_EXIT_OK;
}

static int do_modprobe(struct pt_dev **devs, size_t n)
{
	char (*ids)[16] = pt_xcalloc(n + 1, sizeof(*ids));
	char (*mods)[64] = pt_xcalloc(n + 1, sizeof(*mods));
	size_t nids = 0, nmods = 0;

	for (size_t i = 0; i < n; i++) {
		char id[16], drv[64] = "", mod[64];
		bool seen = false;

		snprintf(id, sizeof(id), "%04x:%04x", devs[i]->vendor, devs[i]->device);
		for (size_t k = 0; k < nids; k++)
			seen |= strcmp(ids[k], id) == 0;
		if (!seen)
			snprintf(ids[nids++], sizeof(ids[0]), "%s", id);
		/* the host driver: the bound one, or the one vfio-bind took it from */
		if (devs[i]->driver && !pt_on_target(devs[i]))
			snprintf(drv, sizeof(drv), "%s", devs[i]->driver);
		else
			pt_record_get(devs[i]->name, drv, sizeof(drv));
		if (!drv[0])
			continue;
		if (!pt_driver_module(drv, mod, sizeof(mod)))
			snprintf(mod, sizeof(mod), "%s", drv);
		seen = false;
		for (size_t k = 0; k < nmods; k++)
			seen |= strcmp(mods[k], mod) == 0;
		if (!seen)
			snprintf(mods[nmods++], sizeof(mods[0]), "%s", mod);
	}
	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_array_open(&j, "ids");
		for (size_t k = 0; k < nids; k++)
			pt_json_string(&j, NULL, ids[k]);
		pt_json_array_close(&j);
		pt_json_array_open(&j, "softdeps");
		for (size_t k = 0; k < nmods; k++)
			pt_json_string(&j, NULL, mods[k]);
		pt_json_array_close(&j);
		pt_json_string(&j, "module", pt_target_module(target));
		if (strcmp(target, "pciback") == 0) {
			pt_json_array_open(&j, "hide");
			for (size_t i = 0; i < n; i++)
				pt_json_string(&j, NULL, devs[i]->name);
			pt_json_array_close(&j);
		}
		pt_json_object_close(&j);
		pt_json_finish(&j);
	} else if (strcmp(target, "pciback") == 0) {
		/* xen-pciback takes devices by address, not ID: only these */
		printf("# /etc/modprobe.d/passthru-pciback.conf (what --persist --driver pciback writes; keep one\n"
		       "# file with hide=, xen-pciback takes the last): xen-pciback takes these devices at boot, before their\n"
		       "# drivers, for xl to assign; rebuild the initramfs (update-initramfs -u) if a driver loads\n"
		       "# from it. With xen-pciback built into the dom0 kernel, put the hide= on its command line\n"
		       "# instead: xen-pciback.hide=");
		for (size_t i = 0; i < n; i++)
			printf("(%s)", devs[i]->name);
		printf("\noptions xen-pciback hide=");
		for (size_t i = 0; i < n; i++)
			printf("(%s)", devs[i]->name);
		putchar('\n');
		for (size_t k = 0; k < nmods; k++)
			printf("softdep %s pre: xen-pciback\n", mods[k]);
	} else {
		/* by ID: vfio-pci's and pci-stub's ids= */
		if (strcmp(target, "pci-stub") == 0)
			printf("# /etc/modprobe.d/pci-stub.conf: pci-stub claims these IDs at boot, before their drivers\n"
			       "# (EVERY device with these IDs); rebuild the initramfs (update-initramfs -u) if a driver\n"
			       "# loads from it.\n");
		else
			printf("# /etc/modprobe.d/vfio.conf: vfio-pci claims these IDs at boot, before their drivers.\n"
			       "# Unlike vfio-bind --persist, this takes EVERY device with these IDs, a second\n"
			       "# identical card too; rebuild the initramfs (update-initramfs -u) if the driver\n"
			       "# loads from it.\n");
		printf("options %s ids=", target);
		for (size_t k = 0; k < nids; k++)
			printf("%s%s", k ? "," : "", ids[k]);
		putchar('\n');
		for (size_t k = 0; k < nmods; k++)
			printf("softdep %s pre: %s\n", mods[k], target);
	}
	free(ids);
	free(mods);
	return PT_EXIT_OK;
}

/* Persisted devices (all, or those named), for --apply-persistent. */
static size_t persisted_devices(const struct pt_host *h, struct pt_dev **named, size_t nnamed,
				struct pt_dev ***out)
{
	char **files = NULL;
	int nf = pt_list_dir(&files, PT_PERSIST_DIR);
	size_t n = 0;

	*out = pt_xcalloc((size_t)(nf > 0 ? nf : 0) + 1, sizeof(**out));
	for (int i = 0; i < nf; i++) {
		struct pt_bdf b;
		struct pt_dev *d;
		char drv[64] = "";
		bool wanted = nnamed == 0;

		if (strncmp(files[i], "pci-", 4) != 0 || pt_bdf_parse(files[i] + 4, &b) != NULL ||
		    !(d = pt_host_find(h, &b)))
			continue;
		if (!pt_persisted(d->name, drv, sizeof(drv)) || strcmp(drv, "vfio-pci") != 0)
			continue; /* driverctl overrides to other drivers are driverctl's */
		for (size_t k = 0; k < n; k++)
			if ((*out)[k] == d)
				d = NULL; /* two spellings of one device */
		if (!d)
			continue;
		for (size_t k = 0; k < nnamed; k++)
			wanted |= named[k] == d;
		if (wanted)
			(*out)[n++] = d;
	}
	if (nf > 0)
		pt_free_names(files, nf);
	return n;
}

/* The host model lives for the whole run; every exit path leaves it
 * reachable, so nothing leaks however the run ends. */
static struct pt_host host;
static struct pt_group *groups;
static size_t ngroups;
static struct pt_dev **devs;
static size_t ndevs;
static struct pt_bind *plan;
static size_t nplan;
static struct pt_txn txn;

static void make_plan(int flags)
{
	char err[2048];
	int rc = pt_vfio_plan(&host, groups, ngroups, devs, ndevs, flags, &plan, &nplan, err, sizeof(err));

	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
}

static void run_txn(bool bind)
{
	char err[2048];
	int rc = pt_txn_run(&txn, err, sizeof(err));

	if (rc != PT_EXIT_OK) {
		if (pt_opts.json)
			print_result(&txn, bind);
		pt_die(rc, "%s", err);
	}
	print_result(&txn, bind);
}

/* One line for each group that went to vfio-pci. */
static void print_ready(void)
{
	int last = -1;

	for (size_t i = 0; !pt_opts.json && !pt_dry_run && i < txn.n; i++)
		if (txn.dev[i].group >= 0 && txn.dev[i].group != last &&
		    strcmp(txn.dev[i].to.driver, "vfio-pci") == 0)
			printf("/dev/vfio/%d ready\n", last = txn.dev[i].group);
}

static int do_bind(bool apply)
{
	char err[1024];

	make_plan((opt_group ? PT_PLAN_WIDEN : 0) | (opt_force ? PT_PLAN_FORCE : 0) |
		  (apply ? PT_PLAN_NO_GROUP_CHECK : 0) | (strcmp(target, "vfio-pci") ? PT_PLAN_NO_IOMMU : 0));
	pt_txn_init(&txn, apply ? "apply" : "bind");
	if (pt_driver_bind_txn(&txn, plan, nplan, target, opt_persist, err, sizeof(err)) < 0)
		pt_die(PT_EXIT_FAIL, "%s; nothing was changed", err);
	run_txn(true);
	if (strcmp(target, "pciback") == 0 && !pt_opts.json && !pt_dry_run) {
		printf("assignable: xl pci-assignable-list lists them; pci = [");
		for (size_t i = 0; i < nplan; i++)
			printf("%s '%s'", i ? "," : "", plan[i].dev->name);
		printf(" ] in an xl.cfg\n");
	}
	if (strcmp(target, "vfio-pci") == 0)
		print_ready();
	return PT_EXIT_OK;
}

static int do_unbind(void)
{
	char err[1024];
	int rc;

	make_plan((opt_group ? PT_PLAN_WIDEN : 0) | PT_PLAN_NO_GROUP_CHECK | PT_PLAN_NO_SAFETY | PT_PLAN_RELEASE);
	pt_txn_init(&txn, "unbind");
	if ((rc = pt_vfio_release_txn(&txn, plan, nplan, opt_unpersist, err, sizeof(err))) != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	run_txn(false);
	return PT_EXIT_OK;
}

/* Only the boot-time record goes; the devices stay where they are. */
static int do_unpersist(void)
{
	char err[2048];
	struct pt_json j;
	char (*was)[64];
	int rc;

	make_plan((opt_group ? PT_PLAN_WIDEN : 0) | PT_PLAN_NO_GROUP_CHECK | PT_PLAN_NO_SAFETY | PT_PLAN_NO_IOMMU);
	pt_txn_init(&txn, "unpersist");
	was = pt_xcalloc(nplan + 1, sizeof(*was));
	for (size_t i = 0; i < nplan; i++) {
		if (!pt_persisted(plan[i].dev->name, was[i], sizeof(was[i])))
			was[i][0] = '\0';
		if ((rc = pt_unpersist_txn(&txn, plan[i].dev->name)) < 0) {
			free(was);
			pt_die(PT_EXIT_FAIL, "%s: %s; nothing was changed", plan[i].dev->name, strerror(-rc));
		}
	}
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (pt_opts.json) {
		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "action", "unpersist");
		pt_json_array_open(&j, "devices");
		for (size_t i = 0; i < nplan; i++) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "bdf", plan[i].dev->name);
			pt_json_string(&j, "persisted", was[i][0] ? was[i] : NULL);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_object_close(&j);
		pt_json_finish(&j);
	}
	if (rc != PT_EXIT_OK) {
		free(was);
		pt_die(rc, "%s", err);
	}
	for (size_t i = 0; !pt_opts.json && !pt_dry_run && i < nplan; i++)
		printf(was[i][0] ? "%s: no longer bound to %s at boot\n" : "%s: nothing was persisted\n",
		       plan[i].dev->name, was[i]);
	free(was);
	return PT_EXIT_OK;
}

/* A killed run's journal: every device back where it was. */
static int do_restore(void)
{
	char msg[1024];
	int rc = pt_txn_restore(&txn, msg, sizeof(msg));

	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", msg);
	if (!ndevs) {
		if (pt_opts.json) {
			struct pt_json j;

			pt_json_init(&j, stdout);
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "action", "restore");
			pt_json_bool(&j, "interrupted_run", msg[0] != '\0');
			pt_json_string(&j, "message", msg[0] ? msg : NULL);
			pt_json_object_close(&j);
			pt_json_finish(&j);
		} else {
			printf("%s\n", msg[0] ? msg : "no interrupted run: nothing to restore");
		}
		return PT_EXIT_OK;
	}
	if (msg[0])
		pt_warn("%s", msg);
	pt_txn_free(&txn);
	return do_unbind();
}

/* ---- the single-GPU hand-over ---- */

static struct pt_handover ho;

static const char *bind_word(const char *v)
{
	return strcmp(v, "1") == 0 ? "bound" : "unbound";
}

/* A console's vtconN: as registered now (true), or, gone with the last
 * framebuffer, the number the survey saw ("" when none). */
static bool console_vtcon(const char *name, char *vt, size_t len)
{
	if (pt_vtcon_find(name, vt, len, NULL))
		return true;
	vt[0] = '\0';
	for (size_t k = 0; k < ho.ncons; k++)
		if (strcmp(ho.consoles[k], name) == 0 && ho.vtcons[k][0])
			snprintf(vt, len, "%s", ho.vtcons[k]);
	return false;
}

static void print_handover(bool back, const char *display, bool recorded)
{
	struct pt_json j;
	const struct pt_txn_step *fb = NULL;

	for (size_t i = 0; i < txn.nsteps; i++)
		if (txn.steps[i].kind == PT_STEP_PLATFORM)
			fb = &txn.steps[i];
	if (!pt_opts.json) {
		/* in the order of the changes */
		for (int pass = 0; pass < 3; pass++) {
			if (pass == (back ? 0 : 2)) {
				print_result(&txn, !back);
				continue;
			}
			for (size_t i = 0; i < txn.nsteps; i++) {
				const struct pt_txn_step *x = &txn.steps[i];
				char vt[16] = "";

				/* a hand-back names only the consoles registered again */
				if (x->kind == PT_STEP_CONSOLE && pass == (back ? 2 : 0) &&
				    (console_vtcon(x->path, vt, sizeof(vt)) || !back)) {
					printf("%s (%s) %s -> %s\n", vt[0] ? vt : "vtcon", pt_vtcon_bare(x->path),
					       bind_word(x->a), bind_word(x->b));
				} else if (x->kind == PT_STEP_PLATFORM && pass == 1) {
					printf("%s %s -> %s\n", x->path, none_if_empty(x->a), none_if_empty(x->b));
				}
			}
		}
		if (!back)
			print_ready();
		if (display)
			printf("%s display: %s\n", ho.gpu, display);
		return;
	}
	pt_json_init(&j, stdout);
	pt_json_object_open(&j, NULL);
	pt_json_string(&j, "action", back ? "handback" : "handover");
	pt_json_string(&j, "gpu", ho.gpu);
	if (back)
		pt_json_bool(&j, "recorded", recorded);
	pt_json_array_open(&j, "consoles");
	for (size_t i = 0; i < txn.nsteps; i++) {
		const struct pt_txn_step *x = &txn.steps[i];
		char vt[16];

		if (x->kind != PT_STEP_CONSOLE)
			continue;
		console_vtcon(x->path, vt, sizeof(vt));
		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "vtcon", vt[0] ? vt : NULL);
		pt_json_string(&j, "name", pt_vtcon_bare(x->path));
		pt_json_string(&j, "before", bind_word(x->a));
		pt_json_string(&j, "after", bind_word(x->b));
		pt_json_object_close(&j);
	}
	pt_json_array_close(&j);
	if (fb) {
		pt_json_object_open(&j, "framebuffer");
		pt_json_string(&j, "device", fb->path);
		pt_json_string(&j, "before", fb->a[0] ? fb->a : NULL);
		pt_json_string(&j, "after", fb->b[0] ? fb->b : NULL);
		pt_json_object_close(&j);
	} else {
		pt_json_null(&j, "framebuffer");
	}
	pt_json_array_open(&j, "devices");
	for (size_t i = 0; i < txn.n; i++) {
		const struct pt_txn_dev *x = &txn.dev[i];

		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "bdf", x->bdf);
		pt_json_int(&j, "group", x->group);
		pt_json_string(&j, "before", x->from.driver[0] ? x->from.driver : NULL);
		pt_json_string(&j, "after", x->now.driver[0] ? none_if_empty(x->now.driver) : NULL);
		pt_json_bool(&j, "changed", !x->unchanged);
		pt_json_object_close(&j);
	}
	pt_json_array_close(&j);
	if (back)
		pt_json_string(&j, "display", display);
	pt_json_object_close(&j);
	pt_json_finish(&j);
}

/* The display card the DEVICEs name: one slot, with a display function. */
static const struct pt_dev *handover_card(void)
{
	const struct pt_dev *gpu = pt_slot_display(&host, devs[0]);
	struct pt_dev **slot;

	for (size_t i = 1; i < ndevs; i++)
		if (pt_slot_display(&host, devs[i]) != gpu || !gpu)
			pt_die(PT_EXIT_USAGE, "%s and %s are not functions of one card: --%s takes one card "
			       "(its other functions come with it)", devs[0]->name, devs[i]->name,
			       opt_handover ? "handover" : "handback");
	if (!gpu)
		pt_die(PT_EXIT_USAGE, "%s is no display controller and its slot has none: --%s takes a GPU",
		       devs[0]->name, opt_handover ? "handover" : "handback");
	free(devs);
	ndevs = pt_slot_functions(&host, gpu, &slot);
	devs = slot;
	return gpu;
}

static int do_handover(void)
{
	const struct pt_dev *gpu = handover_card();
	char err[2048], users[1024];
	int rc;

	/* a second hand-over would record nothing released: the first one's record stays */
	if (pt_handover_recorded(gpu->name) && gpu->driver && strcmp(gpu->driver, "vfio-pci") == 0) {
		if (pt_opts.json) {
			pt_txn_init(&txn, "handover");
			snprintf(ho.gpu, sizeof(ho.gpu), "%s", gpu->name);
			print_handover(false, NULL, true);
		} else {
			printf("%s already handed over (on vfio-pci; vfio-bind --handback gives it back)\n", gpu->name);
		}
		return PT_EXIT_OK;
	}
	make_plan(PT_PLAN_HANDOVER | (opt_group ? PT_PLAN_WIDEN : 0) | (opt_force ? PT_PLAN_FORCE : 0));
	pt_handover_survey(gpu, &ho);
	if (ho.fbdev[0] && !pt_opts.json && pt_vfio_removes_firmware_fb())
		pt_warn("note: %s (%s) does not come back with the hand-back: vfio-pci removes the firmware "
			"framebuffer of a card it takes (Linux 6.0 and later); the console returns on the card's own "
			"framebuffer (amdgpu, i915, nouveau, nvidia-drm fbdev=1)", ho.fbdev, ho.fblabel);
	if (pt_handover_users(gpu, &ho, users, sizeof(users)) > 0) {
		if (!opt_force)
			pt_die(PT_EXIT_REFUSED, "%s: its display is open by %s; stop them first (the desktop session, "
			       "nvidia-persistenced), or --force takes the card from under them", gpu->name, users);
		pt_warn("warning: %s: its display is open by %s (--force given)", gpu->name, users);
	}
	pt_txn_init(&txn, "handover");
	if (pt_handover_txn(&txn, &ho, plan, nplan, err, sizeof(err)) < 0)
		pt_die(PT_EXIT_FAIL, "%s; nothing was changed", err);
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (rc != PT_EXIT_OK) {
		if (pt_opts.json)
			print_handover(false, NULL, true);
		pt_die(rc, "%s", err);
	}
	print_handover(false, NULL, true);
	return PT_EXIT_OK;
}

static int do_handback(void)
{
	const struct pt_dev *gpu = handover_card();
	char err[2048], what[512];
	bool recorded, up;
	int rc;

	make_plan((opt_group ? PT_PLAN_WIDEN : 0) | PT_PLAN_NO_GROUP_CHECK | PT_PLAN_NO_SAFETY | PT_PLAN_RELEASE);
	pt_txn_init(&txn, "handback");
	if ((rc = pt_handback_txn(&txn, gpu, plan, nplan, &ho, &recorded, err, sizeof(err))) != PT_EXIT_OK)
		pt_die(rc, "%s; nothing was changed", err);
	if (!recorded)
		pt_warn("note: no hand-over record for %s: its functions are reprobed and unbound frame buffer "
			"consoles bound", gpu->name);
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (rc != PT_EXIT_OK) {
		if (pt_opts.json)
			print_handover(true, NULL, recorded);
		pt_die(rc, "%s", err);
	}
	if (pt_dry_run) {
		print_handover(true, NULL, recorded);
		return PT_EXIT_OK;
	}
	up = pt_handback_check(gpu, &ho, what, sizeof(what));
	print_handover(true, what, recorded);
	if (!up) {
		char drv[64] = "", gone[256] = "";

		/* vfio-pci (Linux 6.0+) removes the firmware framebuffer of a VGA
		 * card it takes (aperture removal): only the card's own driver
		 * gives it a display again */
		if (ho.fbdev[0] && !pt_platform_driver(ho.fbdev, drv, sizeof(drv)))
			snprintf(gone, sizeof(gone), "; %s is gone (the kernel removes a firmware framebuffer when "
				 "vfio-pci takes its card, until the next boot)", ho.fbdev);
		for (size_t i = 0; i < txn.n; i++)
			if (strcmp(txn.dev[i].bdf, gpu->name) == 0)
				snprintf(drv, sizeof(drv), "%s", txn.dev[i].now.driver);
		pt_die(PT_EXIT_FAIL, "%s is back on %s, but its display is not up: %s%s%s", gpu->name,
		       drv[0] ? drv : "no driver, as before", what, gone,
		       drv[0] ? "" : "; loading the card's own driver (its DRM driver) gives it a display and a console");
	}
	return PT_EXIT_OK;
}

int main(int argc, const char **argv)
{
	char err[1024];
	int rc, modes;
	const char **args;

	args = pt_options_parse(argc, argv, options, "DEVICE...",
				"Bind devices to vfio-pci so a virtual machine can have them, and give them\n"
				"back. DEVICE is a PCI address, a vendor:device ID (every device with it), or -\n"
				"for addresses on standard input. All or nothing: when one device fails, or a\n"
				"signal comes, every device already changed goes back; after a kill -9,\n"
				"--restore finishes the job from the journal.",
				NULL);
	modes = !!opt_list + !!opt_apply + !!opt_modprobe + !!opt_unbind + !!opt_restore + !!opt_handover +
		!!opt_handback;
	if (modes > 1)
		pt_die(PT_EXIT_USAGE, "--list, --apply-persistent, --print-modprobe, --unbind, --restore, --handover "
		       "and --handback exclude each other");
	if (opt_persist && (opt_unbind || opt_restore || opt_unpersist || opt_list || opt_modprobe || opt_handover ||
			    opt_handback))
		pt_die(PT_EXIT_USAGE, "--persist goes with binding only");
	if (opt_unpersist && (opt_handover || opt_handback))
		pt_die(PT_EXIT_USAGE, "--unpersist goes with --unbind or alone");
	if (opt_driver) {
		if (!pt_target_ok(opt_driver))
			pt_die(PT_EXIT_USAGE, "--driver %s: vfio-pci, pciback (Xen) or pci-stub", opt_driver);
		if (opt_unbind || opt_restore || opt_list || opt_handover || opt_handback || opt_unpersist || opt_apply)
			pt_die(PT_EXIT_USAGE, "--driver goes with binding, --persist and --print-modprobe");
		target = opt_driver;
	}
	if (!args[0] && !opt_list && !opt_apply && !opt_restore)
		pt_die(PT_EXIT_USAGE, "no DEVICE given; try '%s --help'", pt_progname);
	if (args[0] && opt_list)
		pt_die(PT_EXIT_USAGE, "--list takes no DEVICE");

	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ngroups);
	if (args[0]) {
		rc = pt_resolve_devices(&host, args, true, stdin, &devs, &ndevs, err, sizeof(err));
		if (rc != PT_EXIT_OK)
			pt_die(rc, "%s", err);
	}
	if (opt_list)
		return do_list(&host);
	if (opt_modprobe) {
		if (opt_group) { /* the same widening a bind would do */
			make_plan(PT_PLAN_WIDEN | PT_PLAN_NO_SAFETY | PT_PLAN_NO_GROUP_CHECK |
				  (strcmp(target, "vfio-pci") ? PT_PLAN_NO_IOMMU : 0));
			devs = pt_xrealloc(devs, (nplan + 1) * sizeof(*devs));
			for (size_t i = 0; i < nplan; i++)
				devs[i] = (struct pt_dev *)plan[i].dev;
			ndevs = nplan;
		}
		return do_modprobe(devs, ndevs);
	}

	/* pciback is Xen's: only a dom0 can hand devices to it (printing its
	 * modprobe.d lines, above, works anywhere: a host about to boot Xen) */
	if (strcmp(target, "pciback") == 0 && !pt_xen_dom0())
		pt_die(PT_EXIT_UNSUPPORTED, "--driver pciback: this host is no Xen dom0 (/sys/hypervisor/type, "
		       "/proc/xen/capabilities): xen-pciback works under Xen only; --print-modprobe prints its boot "
		       "configuration");
	if (strcmp(target, "pciback") == 0) {
		struct pt_xen_facts x;

		pt_xen_ask(&x);
		if (x.asked && !x.pv_directio && !x.hvm_directio)
			pt_die(PT_EXIT_UNSUPPORTED, "--driver pciback: Xen has no IOMMU here (xl info: no directio in "
			       "virt_caps), so xl cannot give a guest any device; iommu-groups --check says what to change");
	}
	/* From here on the host changes: one run at a time. The scan may
	 * predate the lock; the transaction re-reads each device. */
	pt_txn_lock(opt_restore);
	if (opt_restore)
		return do_restore();
	if (opt_apply) {
		struct pt_dev **named = devs;

		ndevs = persisted_devices(&host, named, ndevs, &devs);
		free(named);
		if (ndevs == 0) {
			if (pt_opts.json) {
				pt_txn_init(&txn, "apply");
				print_result(&txn, true);
			} else {
				printf("nothing persisted to vfio-pci%s\n", args[0] ? " among those devices" : "");
			}
			return PT_EXIT_OK;
		}
		return do_bind(true);
	}
	if (opt_handover)
		return do_handover();
	if (opt_handback)
		return do_handback();
	if (opt_unpersist && !opt_unbind)
		return do_unpersist();
	if (opt_unbind) {
		/* a handed-over card goes back with its consoles and framebuffer */
		const struct pt_dev *gpu = ndevs ? pt_slot_display(&host, devs[0]) : NULL;
		bool one_card = gpu && pt_handover_recorded(gpu->name);

		for (size_t i = 1; one_card && i < ndevs; i++)
			one_card = pt_slot_display(&host, devs[i]) == gpu;
		if (one_card && !opt_group) {
			pt_warn("note: %s was handed over (vfio-bind --handover): it goes back as with --handback", gpu->name);
			return do_handback();
		}
		return do_unbind();
	}
	return do_bind(false);
}

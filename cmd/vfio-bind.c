/* vfio-bind: hand devices to vfio-pci and back, all-or-nothing; keep the
 * binding across boots in driverctl's format. */
#include "devargs.h"
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

static int opt_group, opt_unbind, opt_force, opt_persist, opt_unpersist, opt_list, opt_apply,
	opt_modprobe;

static struct poptOption options[] = {
	{ "group", 'g', POPT_ARG_NONE, &opt_group, 0,
	  "take every endpoint of each device's IOMMU group (bridges stay)", NULL },
	{ "unbind", 'u', POPT_ARG_NONE, &opt_unbind, 0,
	  "give devices back to the driver they had before", NULL },
	{ "restore", '\0', POPT_ARG_NONE, &opt_unbind, 0, "the same as --unbind", NULL },
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
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

static const char *none_if_empty(const char *s)
{
	return s && *s ? s : "(none)";
}

static void print_result(const struct pt_bind *b, size_t n, bool bind)
{
	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "action", bind ? "bind" : "unbind");
		pt_json_array_open(&j, "devices");
		for (size_t i = 0; i < n; i++) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "bdf", b[i].dev->name);
			pt_json_int(&j, "group", b[i].group);
			pt_json_string(&j, "before", b[i].before[0] ? b[i].before : NULL);
			pt_json_string(&j, "after", b[i].after[0] ? b[i].after : NULL);
			pt_json_bool(&j, "changed", !b[i].unchanged);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_object_close(&j);
		pt_json_finish(&j);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (b[i].unchanged)
			printf("%s already %s%s (group %d)\n", b[i].dev->name, bind ? "on " : "off vfio-pci: ",
			       bind ? "vfio-pci" : none_if_empty(b[i].after), b[i].group);
		else
			printf("%s %s -> %s (group %d)\n", b[i].dev->name, none_if_empty(b[i].before),
			       none_if_empty(b[i].after), b[i].group);
	}
}

/* Give back what this run changed (not what was on vfio-pci before it). */
static int undo_changed(struct pt_bind *b, size_t n)
{
	struct pt_bind *mine = pt_xcalloc(n + 1, sizeof(*mine));
	size_t k = 0;
	char e2[256];
	int rc;

	for (size_t i = 0; i < n; i++)
		if (b[i].changed && !b[i].unchanged)
			mine[k++] = b[i];
	rc = pt_vfio_release(mine, k, e2, sizeof(e2));
	if (rc < 0)
		pt_warn("rollback: %s", e2);
	free(mine);
	return rc;
}

/* After a bind: every group's /dev/vfio node must exist. */
static int check_vfio_nodes(const struct pt_bind *b, size_t n, char *err, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (pt_dry_run)
			continue;
		if (!pt_exists("/dev/vfio/%d", b[i].group)) {
			snprintf(err, len, "/dev/vfio/%d did not appear: the group is not usable "
				 "(another device in it still has a host driver?)", b[i].group);
			return -ENOENT;
		}
	}
	return 0;
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
			char was[64] = "", pers[64] = "", grp[16], vn[128], dn[256], desc[400];
			bool rec = pt_vfio_record(d->name, was, sizeof(was));
			bool per = pt_persisted(d->name, pers, sizeof(pers));
			const char *row[6];

			if (!rec && !per && !(d->driver && strcmp(d->driver, "vfio-pci") == 0))
				continue;
			snprintf(grp, sizeof(grp), d->group >= 0 ? "%d" : "-", d->group);
			snprintf(desc, sizeof(desc), "%s %s",
				 pt_dev_vendor_name(h, d, vn, sizeof(vn)) ?: "Vendor",
				 pt_dev_device_name(h, d, dn, sizeof(dn)) ?: "Device");
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

		if (strncmp(files[i], "pci-", 4) != 0 || pt_bdf_parse(files[i] + 4, &b) != NULL ||
		    pt_host_find(h, &b))
			continue;
		pt_read_text(drv, sizeof(drv), PT_PERSIST_DIR "/%s", files[i]);
		if (pt_opts.json) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "bdf", files[i] + 4);
			pt_json_null(&j, "group");
			pt_json_null(&j, "driver");
			pt_json_null(&j, "was");
			pt_json_string(&j, "persisted", drv);
			pt_json_bool(&j, "absent", true);
			pt_json_object_close(&j);
		} else {
			printf("note: %s is persisted to %s but not present\n", files[i] + 4, drv);
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
		if (devs[i]->driver && strcmp(devs[i]->driver, "vfio-pci") != 0)
			snprintf(drv, sizeof(drv), "%s", devs[i]->driver);
		else
			pt_vfio_record(devs[i]->name, drv, sizeof(drv));
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
		pt_json_object_close(&j);
		pt_json_finish(&j);
	} else {
		printf("# /etc/modprobe.d/vfio.conf: vfio-pci claims these IDs at boot, before their drivers.\n"
		       "# Unlike vfio-bind --persist, this takes EVERY device with these IDs, a second\n"
		       "# identical card too; rebuild the initramfs (update-initramfs -u) if the driver\n"
		       "# loads from it.\n");
		printf("options vfio-pci ids=");
		for (size_t k = 0; k < nids; k++)
			printf("%s%s", k ? "," : "", ids[k]);
		putchar('\n');
		for (size_t k = 0; k < nmods; k++)
			printf("softdep %s pre: vfio-pci\n", mods[k]);
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
		if (pt_read_text(drv, sizeof(drv), PT_PERSIST_DIR "/%s", files[i]) <= 0 ||
		    strcmp(drv, "vfio-pci") != 0)
			continue; /* driverctl overrides to other drivers are driverctl's */
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
static struct pt_dev **devs;
static struct pt_bind *plan;

int main(int argc, const char **argv)
{
	size_t ng, ndevs = 0, nplan = 0;
	char err[1024];
	int rc, modes, flags;
	long holder = 0;
	const char **args;

	args = pt_options_parse(argc, argv, options, "DEVICE...",
				"Bind devices to vfio-pci so a virtual machine can have them, and give them\n"
				"back. DEVICE is a PCI address, a vendor:device ID (every device with it), or -\n"
				"for addresses on standard input. All or nothing: when one device fails, every\n"
				"device already changed goes back.",
				NULL);
	modes = !!opt_list + !!opt_apply + !!opt_modprobe + !!opt_unbind;
	if (modes > 1)
		pt_die(PT_EXIT_USAGE, "--list, --apply-persistent, --print-modprobe and --unbind exclude each other");
	if (opt_persist && (opt_unbind || opt_unpersist || opt_list || opt_modprobe))
		pt_die(PT_EXIT_USAGE, "--persist goes with binding only");
	if (!args[0] && !opt_list && !opt_apply)
		pt_die(PT_EXIT_USAGE, "no DEVICE given; try '%s --help'", pt_progname);
	if (args[0] && opt_list)
		pt_die(PT_EXIT_USAGE, "--list takes no DEVICE");

	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ng);
	if (args[0]) {
		rc = pt_resolve_devices(&host, args, true, stdin, &devs, &ndevs, err, sizeof(err));
		if (rc != PT_EXIT_OK)
			pt_die(rc, "%s", err);
	}
	if (opt_list)
		return do_list(&host);
	if (opt_modprobe) {
		if (opt_group) { /* the same widening a bind would do */
			rc = pt_vfio_plan(&host, groups, ng, devs, ndevs,
					  PT_PLAN_WIDEN | PT_PLAN_NO_SAFETY | PT_PLAN_NO_GROUP_CHECK,
					  &plan, &nplan, err, sizeof(err));
			if (rc != PT_EXIT_OK)
				pt_die(rc, "%s", err);
			devs = pt_xrealloc(devs, (nplan + 1) * sizeof(*devs));
			for (size_t i = 0; i < nplan; i++)
				devs[i] = (struct pt_dev *)plan[i].dev;
			ndevs = nplan;
		}
		return do_modprobe(devs, ndevs);
	}

	/* From here on the host changes: one run at a time. */
	rc = pt_lock_host(10, &holder);
	if (rc == -EWOULDBLOCK)
		pt_die(PT_EXIT_FAIL, "another run (pid %ld) is changing devices; try again when it is done", holder);
	if (rc < 0)
		pt_die(PT_EXIT_FAIL, "cannot lock /run/passthru-utils/lock: %s", strerror(-rc));
	/* The scan may predate the lock; what is written is re-read per device. */

	if (opt_apply) {
		struct pt_dev **named = devs;

		ndevs = persisted_devices(&host, named, ndevs, &devs);
		free(named);
		if (ndevs == 0) {
			if (pt_opts.json)
				print_result(NULL, 0, true);
			else
				printf("nothing persisted to vfio-pci%s\n", args[0] ? " among those devices" : "");
			return PT_EXIT_OK;
		}
	}

	if (opt_unpersist && !opt_unbind) {
		/* only the boot-time record goes; the device stays where it is */
		struct pt_json j;

		if (pt_opts.json) {
			pt_json_init(&j, stdout);
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "action", "unpersist");
			pt_json_array_open(&j, "devices");
		}
		for (size_t i = 0; i < ndevs; i++) {
			char drv[64];
			bool was = pt_persisted(devs[i]->name, drv, sizeof(drv));

			if ((rc = pt_unpersist(devs[i]->name)) < 0)
				pt_die(PT_EXIT_FAIL, "%s: removing the persisted binding: %s", devs[i]->name,
				       strerror(-rc));
			if (pt_opts.json) {
				pt_json_object_open(&j, NULL);
				pt_json_string(&j, "bdf", devs[i]->name);
				pt_json_string(&j, "persisted", was ? drv : NULL);
				pt_json_object_close(&j);
			} else if (!pt_dry_run) {
				printf(was ? "%s: no longer bound to %s at boot\n" : "%s: nothing was persisted\n",
				       devs[i]->name, drv);
			}
		}
		if (pt_opts.json) {
			pt_json_array_close(&j);
			pt_json_object_close(&j);
			pt_json_finish(&j);
		}
		return PT_EXIT_OK;
	}

	flags = (opt_group ? PT_PLAN_WIDEN : 0) | (opt_force ? PT_PLAN_FORCE : 0) |
		(opt_apply || opt_unbind ? PT_PLAN_NO_GROUP_CHECK : 0);
	if (opt_unbind) {
		/* giving back needs no safety check, only the group widening */
		rc = pt_vfio_plan(&host, groups, ng, devs, ndevs, flags | PT_PLAN_NO_SAFETY | PT_PLAN_RELEASE, &plan, &nplan,
				  err, sizeof(err));
		if (rc == PT_EXIT_REFUSED) /* bridges among the named: nothing of ours */
			pt_die(rc, "%s", err);
	} else {
		rc = pt_vfio_plan(&host, groups, ng, devs, ndevs, flags, &plan, &nplan, err, sizeof(err));
	}
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);

	if (opt_unbind) {
		rc = pt_vfio_release(plan, nplan, err, sizeof(err));
		print_result(plan, nplan, false);
		if (rc < 0)
			pt_die(PT_EXIT_FAIL, "%s", err);
		for (size_t i = 0; opt_unpersist && i < nplan; i++)
			if ((rc = pt_unpersist(plan[i].dev->name)) < 0)
				pt_die(PT_EXIT_FAIL, "%s: removing the persisted binding: %s", plan[i].dev->name,
				       strerror(-rc));
		return PT_EXIT_OK;
	}
	rc = pt_vfio_bind(plan, nplan, err, sizeof(err));
	if (rc < 0) /* pt_vfio_bind has rolled back already */
		pt_die(PT_EXIT_FAIL, "%s; every device is back where it was", err);
	rc = check_vfio_nodes(plan, nplan, err, sizeof(err));
	for (size_t i = 0; rc == 0 && opt_persist && i < nplan; i++)
		if ((rc = pt_persist(plan[i].dev->name, "vfio-pci")) < 0) {
			snprintf(err, sizeof(err), "%s: persisting: %s", plan[i].dev->name, strerror(-rc));
			for (size_t k = 0; k < i; k++)
				pt_unpersist(plan[k].dev->name);
		}
	if (rc < 0 && undo_changed(plan, nplan) == 0) /* all or nothing */
		pt_die(PT_EXIT_FAIL, "%s; every device is back where it was", err);
	if (rc < 0)
		pt_die(PT_EXIT_FAIL, "%s; giving the devices back failed too (see above)", err);
	print_result(plan, nplan, true);
	if (!pt_opts.json && !pt_dry_run) {
		int last = -1;
		for (size_t i = 0; i < nplan; i++)
			if (plan[i].group != last)
				printf("/dev/vfio/%d ready\n", last = plan[i].group);
	}
	return PT_EXIT_OK;
}

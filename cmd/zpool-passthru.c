/* zpool-passthru: find the PCI controllers under a ZFS pool's disks (or
 * the disks named), show every disk on them and what it holds, prove the
 * host does not need them; print their addresses, or bind them. */
#include "iommu.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "sysfs.h"
#include "txn.h"
#include "vfio.h"
#include "zpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_force, opt_foreign, opt_bdf, opt_bind, opt_list_pools;

static struct poptOption options[] = {
	{ "bdf", '\0', POPT_ARG_NONE, &opt_bdf, 0,
	  "print only the controllers' addresses (for vfio-bind -)", NULL },
	{ "bind", '\0', POPT_ARG_NONE, &opt_bind, 0, "bind the controllers to vfio-pci", NULL },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "take along disks on them that hold nothing", NULL },
	{ "foreign", '\0', POPT_ARG_NONE, &opt_foreign, 0,
	  "take a pool another system imported last (it is not running)", NULL },
	{ "list-pools", '\0', POPT_ARG_NONE, &opt_list_pools, 0,
	  "list the pools libblkid finds, one a line", NULL },
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

/* The run's state lives for the whole run, so every exit leaves it reachable. */
static struct pt_zscan scan;
static struct pt_host host;
static struct pt_group *groups;
static size_t ngroups;
static struct pt_bind *plan;
static size_t nplan;
static struct pt_dev **ctrl_devs;
static struct pt_txn txn;

/* -J: one document on every path; on_die() closes it with the error. */
static struct pt_json doc;
static bool doc_open;

static void doc_end(int code, const char *msg)
{
	if (!doc_open)
		return;
	doc_open = false;
	pt_json_error(&doc, code, msg);
	pt_json_object_close(&doc);
	pt_json_finish(&doc);
	fflush(stdout);
}

static void on_die(int code, const char *msg)
{
	if (pt_opts.json && !doc_open && !opt_bdf && !opt_list_pools) {
		/* failed before the plan: a document with the error only */
		pt_json_init(&doc, stdout);
		pt_json_object_open(&doc, NULL);
		doc_open = true;
	}
	doc_end(code, msg);
}

/* Text from disks and labels, safe on a terminal. */
static const char *esc(const char *s, char *buf, size_t len)
{
	if (!s)
		return NULL;
	pt_text_escape(buf, len, s);
	return buf;
}

static int list_pools(void)
{
	const char **names = pt_xcalloc(4096, sizeof(*names));
	size_t n = pt_zscan_pool_names(&scan, names, 4096);

	if (pt_opts.json) {
		pt_json_init(&doc, stdout);
		pt_json_object_open(&doc, NULL);
		pt_json_array_open(&doc, "pools");
		for (size_t i = 0; i < n; i++)
			pt_json_string(&doc, NULL, names[i]);
		pt_json_array_close(&doc);
		pt_json_object_close(&doc);
		pt_json_finish(&doc);
	} else {
		for (size_t i = 0; i < n; i++) {
			char e[1024];

			printf("%s\n", esc(names[i], e, sizeof(e)));
		}
	}
	free(names);
	return PT_EXIT_OK;
}

static const char *verdict_word(int rc)
{
	return rc == PT_EXIT_OK ? "ok" : rc == PT_EXIT_UNSUPPORTED ? "unsupported" : "refused";
}

static void plan_text(int rc)
{
	static const char *const head[] = { "DISK", "ROLE", "POOL", "DETAIL" };
	char e1[1024], e2[2048];
	bool any = false;

	for (size_t i = 0; i < scan.npools; i++) {
		printf("pool %s:", esc(scan.pools[i].name, e1, sizeof(e1)));
		for (size_t k = 0; k < scan.ndisks; k++)
			if (pt_zdisk_has_pool(&scan.disks[k], scan.pools[i].name))
				printf(" %s", scan.disks[k].name);
		putchar('\n');
	}
	for (size_t k = 0; k < scan.ndisks; k++)
		if (scan.disks[k].named && scan.disks[k].role != PT_ZROLE_MEMBER) {
			printf("%s %s", any ? "" : "named:", scan.disks[k].name);
			any = true;
		}
	if (any)
		putchar('\n');
	for (size_t i = 0; i < scan.nctrls; i++) {
		const struct pt_zctrl *c = &scan.ctrls[i];
		struct pt_table t;
		char grp[32];

		snprintf(grp, sizeof(grp), c->group >= 0 ? "IOMMU group %d" : "no IOMMU group", c->group);
		printf("\n%s  %s  %s  %s\n", c->name, grp, c->dev && c->dev->driver ? c->dev->driver : "(no driver)",
		       c->dev ? c->desc : "(not found)");
		if (c->group_others[0])
			printf("  group %d also holds %s\n", c->group, c->group_others);
		pt_table_init(&t, 4, head);
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 1) {
				fputs("  ", stdout);
				pt_table_print_row(&t, t.headers, stdout);
			}
			for (size_t k = 0; k < c->ndisks; k++) {
				const struct pt_zdisk *d = &scan.disks[c->disks[k]];
				const char *row[4] = { d->name, pt_zrole_name(d->role),
						       d->pool[0] ? esc(d->pool, e1, sizeof(e1)) : NULL,
						       d->detail[0] ? esc(d->detail, e2, sizeof(e2)) : NULL };

				if (pass == 0) {
					pt_table_measure(&t, row);
				} else {
					fputs("  ", stdout);
					pt_table_print_row(&t, row, stdout);
				}
			}
		}
	}
	printf("\nverdict: %s\n", verdict_word(rc));
}

static void plan_json(int rc)
{
	pt_json_init(&doc, stdout);
	pt_json_object_open(&doc, NULL);
	doc_open = true;
	pt_json_array_open(&doc, "pools");
	for (size_t i = 0; i < scan.npools; i++) {
		const struct pt_zpool *p = &scan.pools[i];

		pt_json_object_open(&doc, NULL);
		pt_json_string(&doc, "name", p->name);
		pt_json_bool(&doc, "named", p->named);
		pt_json_bool(&doc, "imported", p->imported);
		pt_json_bool(&doc, "foreign", p->foreign);
		pt_json_string(&doc, "last_host", p->foreign ? p->foreign_host : NULL);
		pt_json_array_open(&doc, "members");
		for (size_t k = 0; k < scan.ndisks; k++)
			if (pt_zdisk_has_pool(&scan.disks[k], p->name))
				pt_json_string(&doc, NULL, scan.disks[k].name);
		pt_json_array_close(&doc);
		pt_json_object_close(&doc);
	}
	pt_json_array_close(&doc);
	pt_json_array_open(&doc, "named");
	for (size_t k = 0; k < scan.ndisks; k++)
		if (scan.disks[k].named)
			pt_json_string(&doc, NULL, scan.disks[k].name);
	pt_json_array_close(&doc);
	pt_json_array_open(&doc, "controllers");
	for (size_t i = 0; i < scan.nctrls; i++) {
		const struct pt_zctrl *c = &scan.ctrls[i];
		struct pt_group *g = c->group >= 0 ? pt_group_find(groups, ngroups, c->group) : NULL;

		pt_json_object_open(&doc, NULL);
		pt_json_string(&doc, "bdf", c->name);
		if (c->group >= 0)
			pt_json_int(&doc, "group", c->group);
		else
			pt_json_null(&doc, "group");
		pt_json_string(&doc, "driver", c->dev ? c->dev->driver : NULL);
		pt_json_string(&doc, "device", c->dev ? c->desc : NULL);
		pt_json_array_open(&doc, "group_devices");
		for (size_t k = 0; g && k < g->ndevs; k++) {
			if (pt_bdf_cmp(&g->devs[k]->bdf, &c->bdf) == 0)
				continue;
			pt_json_object_open(&doc, NULL);
			pt_json_string(&doc, "bdf", g->devs[k]->name);
			pt_json_string(&doc, "driver", g->devs[k]->driver);
			pt_json_bool(&doc, "bridge", pt_dev_is_bridge(g->devs[k]));
			pt_json_object_close(&doc);
		}
		pt_json_array_close(&doc);
		pt_json_array_open(&doc, "disks");
		for (size_t k = 0; k < c->ndisks; k++) {
			const struct pt_zdisk *d = &scan.disks[c->disks[k]];

			pt_json_object_open(&doc, NULL);
			pt_json_string(&doc, "name", d->name);
			pt_json_string(&doc, "role", pt_zrole_name(d->role));
			pt_json_string(&doc, "pool", d->pool[0] ? d->pool : NULL);
			pt_json_string(&doc, "on", d->where);
			pt_json_string(&doc, "detail", d->detail[0] ? d->detail : NULL);
			pt_json_object_close(&doc);
		}
		pt_json_array_close(&doc);
		pt_json_object_close(&doc);
	}
	pt_json_array_close(&doc);
	pt_json_string(&doc, "verdict", verdict_word(rc));
	pt_json_array_open(&doc, "refusals");
	for (size_t i = 0; i < scan.nrefusals; i++) {
		const struct pt_zrefusal *r = &scan.refusals[i];

		pt_json_object_open(&doc, NULL);
		pt_json_string(&doc, "reason", r->text);
		pt_json_string(&doc, "disk", r->disk[0] ? r->disk : NULL);
		pt_json_string(&doc, "controller", r->ctrl[0] ? r->ctrl : NULL);
		pt_json_string(&doc, "pool", r->pool[0] ? r->pool : NULL);
		pt_json_string(&doc, "override", r->forceable ? "--force" : r->foreign ? "--foreign" : NULL);
		pt_json_bool(&doc, "overridden", r->forced);
		pt_json_object_close(&doc);
	}
	pt_json_array_close(&doc);
}

static void bind_result(void)
{
	if (pt_opts.json) {
		pt_json_array_open(&doc, "bind");
		for (size_t i = 0; i < txn.n; i++) {
			const struct pt_txn_dev *x = &txn.dev[i];

			pt_json_object_open(&doc, NULL);
			pt_json_string(&doc, "bdf", x->bdf);
			pt_json_int(&doc, "group", x->group);
			pt_json_string(&doc, "before", x->from.driver[0] ? x->from.driver : NULL);
			pt_json_string(&doc, "after", x->now.driver[0] ? x->now.driver : NULL);
			pt_json_bool(&doc, "changed", !x->unchanged);
			pt_json_object_close(&doc);
		}
		pt_json_array_close(&doc);
		return;
	}
	for (size_t i = 0; i < txn.n; i++) {
		const struct pt_txn_dev *x = &txn.dev[i];

		if (x->unchanged)
			printf("%s already on vfio-pci (group %d)\n", x->bdf, x->group);
		else
			printf("%s %s -> %s (group %d)\n", x->bdf, x->from.driver[0] ? x->from.driver : "(none)",
			       x->now.driver[0] ? x->now.driver : "(none)", x->group);
	}
}

/* Through the core, as vfio-bind binds: the plan's own checks, the
 * transaction (journal, apply, verify, roll back). */
static void bind_controllers(void)
{
	char err[2048];
	int rc, last = -1;

	ctrl_devs = pt_xcalloc(scan.nctrls + 1, sizeof(*ctrl_devs));
	for (size_t i = 0; i < scan.nctrls; i++)
		ctrl_devs[i] = (struct pt_dev *)scan.ctrls[i].dev;
	pt_txn_lock(false);
	rc = pt_vfio_plan(&host, groups, ngroups, ctrl_devs, scan.nctrls, 0, &plan, &nplan, err, sizeof(err));
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	pt_txn_init(&txn, "bind");
	if (pt_vfio_bind_txn(&txn, plan, nplan, false, err, sizeof(err)) < 0)
		pt_die(PT_EXIT_FAIL, "%s; nothing was changed", err);
	if (!pt_opts.json)
		putchar('\n');
	rc = pt_txn_run(&txn, err, sizeof(err));
	bind_result();
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	for (size_t i = 0; !pt_opts.json && !pt_dry_run && i < nplan; i++)
		if (plan[i].group != last)
			printf("/dev/vfio/%d ready\n", last = plan[i].group);
}

int main(int argc, const char **argv)
{
	char err[2048], why[8192], warn[8192];
	const char **args, **pools;
	size_t npools = 0;
	int rc;

	args = pt_options_parse(argc, argv, options, "POOL|DISK...",
				"Find the PCI controllers that a ZFS pool's disks hang off (or those of each\n"
				"DISK), show every disk on them with what it holds, and prove that the host\n"
				"does not need them; --bdf prints their addresses for vfio-bind or vm-run,\n"
				"--bind hands them to vfio-pci. POOL is a pool's name, DISK a path such as\n"
				"/dev/sdb, /dev/disk/by-id/... or /dev/nvme0n1. No ZFS tools are needed.",
				NULL);
	pt_on_die(on_die);
	if (opt_list_pools && (args[0] || opt_bdf || opt_bind || opt_force || opt_foreign))
		pt_die(PT_EXIT_USAGE, "--list-pools takes no POOL or DISK and no other mode");
	if (opt_bdf && opt_bind)
		pt_die(PT_EXIT_USAGE, "--bdf prints the controllers, --bind binds them: give one");
	if (!args[0] && !opt_list_pools)
		pt_die(PT_EXIT_USAGE, "no POOL or DISK given; try '%s --help'", pt_progname);
	pools = pt_xcalloc(1, sizeof(*pools));
	for (size_t i = 0; args[i]; i++) {
		if (strchr(args[i], '/'))
			continue;
		if (!pt_zpool_name_ok(args[i]))
			pt_die(PT_EXIT_USAGE, "%s: not a pool name (a disk is named by its path: /dev/...)", args[i]);
		pools = pt_xrealloc(pools, (npools + 2) * sizeof(*pools));
		pools[npools++] = args[i];
	}

	if ((rc = pt_zscan_probe(&scan, err, sizeof(err))) != PT_EXIT_OK) {
		free(pools);
		pt_die(rc, "%s", err);
	}
	if (opt_list_pools) {
		free(pools);
		return list_pools();
	}
	for (size_t i = 0; args[i]; i++) {
		size_t idx;

		if (!strchr(args[i], '/'))
			continue;
		if ((rc = pt_zscan_find_disk(&scan, args[i], &idx, err, sizeof(err))) != PT_EXIT_OK) {
			free(pools);
			pt_die(rc, "%s", err);
		}
		scan.disks[idx].named = true;
	}
	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ngroups);
	rc = pt_zscan_plan(&scan, &host, groups, ngroups, pools, npools, err, sizeof(err));
	free(pools);
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);

	rc = pt_zscan_verdict(&scan, opt_force, opt_foreign, why, sizeof(why), warn, sizeof(warn));
	/* what --force or --foreign took, once the plan stands */
	for (char *line = warn, *nl; rc == PT_EXIT_OK && line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		pt_warn("%s", line);
	}
	if (opt_bdf) {
		if (rc != PT_EXIT_OK)
			pt_die(rc, "%s", why);
		for (size_t i = 0; i < scan.nctrls; i++)
			printf("%s\n", scan.ctrls[i].name);
		return PT_EXIT_OK;
	}
	if (pt_opts.json)
		plan_json(rc);
	else
		plan_text(rc);
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", why);
	if (opt_bind)
		bind_controllers();
	doc_end(PT_EXIT_OK, NULL);
	return PT_EXIT_OK;
}

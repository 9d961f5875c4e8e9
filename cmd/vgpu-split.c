/* vgpu-split: share one device among guests: SR-IOV virtual functions,
 * NVIDIA's per-VF vGPU types, mediated devices; kept across boots in
 * mdevctl's format and the toolkit's own file, recreated by --apply. */
#define _GNU_SOURCE
#include "devargs.h"
#include "hostcheck.h"
#include "hostuse.h"
#include "iommu.h"
#include "mdev.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "signals.h"
#include "split.h"
#include "sriov.h"
#include "sysfs.h"
#include "vfio.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_VFS 4096
#define MAX_VGPU_TYPES 256

static char *opt_vfs, *opt_create, *opt_remove, *opt_vgpu, *opt_count, *opt_uuid, *opt_wait;
static int opt_list, opt_check, opt_vfio, opt_no_autoprobe, opt_force, opt_types, opt_persist, opt_apply;

static struct poptOption options[] = {
	{ "vfs", 'n', POPT_ARG_STRING, &opt_vfs, PT_ONCE,
	  "give DEVICE N virtual functions (0 removes them); through 0 when it has others", "N" },
	{ "no-autoprobe", '\0', POPT_ARG_NONE, &opt_no_autoprobe, 0,
	  "with --vfs: keep the new VFs driverless (sriov_drivers_autoprobe 0), ready for vfio-pci", NULL },
	{ "vfio", '\0', POPT_ARG_NONE, &opt_vfio, 0,
	  "with --vfs: bind every VF to vfio-pci, as vfio-bind does", NULL },
	{ "vgpu-type", 't', POPT_ARG_STRING, &opt_vgpu, PT_ONCE,
	  "give the NVIDIA VF DEVICE the vGPU type ID or NAME (0 releases it)", "ID|NAME" },
	{ "list-types", 'T', POPT_ARG_NONE, &opt_types, 0,
	  "the mdev types of DEVICE, or the vGPU types its NVIDIA VF can take now", NULL },
	{ "create", 'C', POPT_ARG_STRING, &opt_create, PT_ONCE,
	  "create mediated devices of TYPE on DEVICE; prints their UUIDs", "TYPE" },
	{ "count", '\0', POPT_ARG_STRING, &opt_count, PT_ONCE, "with --create: how many (default 1)", "N" },
	{ "uuid", 'u', POPT_ARG_STRING, &opt_uuid, PT_ONCE, "with --create: the UUID of the one mdev (default random)",
	  "UUID" },
	{ "remove", 'R', POPT_ARG_STRING, &opt_remove, PT_ONCE, "remove the mediated device UUID", "UUID" },
	{ "persist", 'p', POPT_ARG_NONE, &opt_persist, 0,
	  "with --vfs, --vgpu-type, --create, --remove: keep it so at boot (mdevctl's /etc/mdevctl.d, "
	  PT_SPLIT_CONF ")", NULL },
	{ "apply", 'a', POPT_ARG_NONE, &opt_apply, 0,
	  "recreate what is persisted with start auto (all, or for the DEVICEs given)", NULL },
	{ "wait", 'w', POPT_ARG_STRING, &opt_wait, 0,
	  "with --apply: wait up to SECONDS for devices that appear late (default 10)", "SECONDS" },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "change what a VM holds or the host uses; create past available_instances", NULL },
	{ "list", 'l', POPT_ARG_NONE, &opt_list, 0,
	  "physical functions and their VFs, mediated devices (all, or of the DEVICEs given)", NULL },
	{ "check", 'c', POPT_ARG_NONE, &opt_check, 0,
	  "whether DEVICE can be split on this host, and why not", NULL },
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

/* Live for the whole run: every exit path leaves them reachable. */
static struct pt_host host;
static struct pt_group *groups;
static size_t ngroups;
static struct pt_dev **devs;
static size_t ndevs;
static struct pt_bind *plan;
static size_t nplan;
static struct pt_txn txn;

/* -J of --vfs: one document on every path, closed by finish(). */
static struct pt_json doc;
static bool doc_open;

static void doc_begin(const char *key, const char *val)
{
	if (!pt_opts.json || doc_open)
		return;
	pt_json_init(&doc, stdout);
	pt_json_object_open(&doc, NULL);
	pt_json_string(&doc, key, val);
	pt_json_bool(&doc, "dry_run", pt_dry_run);
	doc_open = true;
}

static void doc_error(int code, const char *msg)
{
	if (!doc_open)
		return;
	pt_json_error(&doc, code, msg);
	pt_json_object_close(&doc);
	pt_json_finish(&doc);
	doc_open = false;
}

/* pt_die's hook: the JSON document closed with the error first. */
static void on_die(int code, const char *msg)
{
	doc_error(code, msg);
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

/* A VF's group, driver and holder from the scanned host. */
struct vf_info {
	char bdf[PT_BDF_LEN];
	const struct pt_dev *dev;
	char holder[512];
	long vgpu;             /* NVIDIA vGPU type, -1 for a VF without vGPU types */
};

static size_t vf_infos(const struct pt_dev *pf, struct vf_info **out)
{
	char (*names)[PT_BDF_LEN] = pt_xcalloc(MAX_VFS, sizeof(*names));
	size_t n = pt_sriov_vfs(pf->name, names, MAX_VFS);

	*out = pt_xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct pt_bdf b;

		snprintf((*out)[i].bdf, sizeof((*out)[i].bdf), "%s", names[i]);
		if (!pt_bdf_parse(names[i], &b))
			(*out)[i].dev = pt_host_find(&host, &b);
		if ((*out)[i].dev)
			pt_dev_vm_users((*out)[i].dev, (*out)[i].holder, sizeof((*out)[i].holder));
		(*out)[i].vgpu = pt_vgpu_capable(names[i]) ? pt_vgpu_current(names[i]) : -1;
	}
	free(names);
	return n;
}

static void vf_id(const struct pt_dev *pf, const struct pt_sriov *s, char *buf, size_t len)
{
	if (s->vf_device >= 0)
		snprintf(buf, len, "%04x:%04x", pf->vendor, (unsigned)s->vf_device);
	else
		snprintf(buf, len, "-");
}

/* ---- --list ---- */

static bool wanted(const char *name)
{
	if (ndevs == 0)
		return true;
	for (size_t k = 0; k < ndevs; k++)
		if (strcmp(devs[k]->name, name) == 0)
			return true;
	return false;
}

/* A PF of the listing, read once for both passes. */
struct pf_row {
	const struct pt_dev *d;
	struct pt_sriov s;
	struct vf_info *vf;
	size_t nvf;
};

static void list_pfs(struct pt_json *j, bool *printed)
{
	static const char *const head[] = { "PF", "PF-DRIVER", "TOTAL", "VFS", "VF-ID", "VF", "GROUP", "DRIVER", "VGPU",
					    "HOLDER" };
	struct pf_row *pfs = pt_xcalloc(host.ndevs + 1, sizeof(*pfs));
	size_t npfs = 0;
	struct pt_table t;

	for (size_t i = 0; i < host.ndevs; i++) {
		struct pf_row *r = &pfs[npfs];

		r->d = &host.devs[i];
		if (!wanted(r->d->name) || !pt_sriov_read(r->d->name, &r->s))
			continue;
		r->nvf = vf_infos(r->d, &r->vf);
		npfs++;
	}
	pt_table_init(&t, 10, head);
	for (int pass = 0; pass < (j ? 1 : 2); pass++) {
		if (pass == 1 && t.rows) {
			pt_table_print_row(&t, t.headers, stdout);
			*printed = true;
		}
		for (size_t i = 0; i < npfs; i++) {
			const struct pf_row *r = &pfs[i];
			const struct pt_dev *d = r->d;
			const struct vf_info *vf = r->vf;
			char total[16], num[16], id[16];

			vf_id(d, &r->s, id, sizeof(id));
			snprintf(total, sizeof(total), r->s.total >= 0 ? "%d" : "-", r->s.total);
			snprintf(num, sizeof(num), r->s.num >= 0 ? "%d" : "-", r->s.num);
			if (j) {
				pt_json_object_open(j, NULL);
				pt_json_string(j, "pf", d->name);
				pt_json_string(j, "driver", d->driver);
				if (r->s.total >= 0)
					pt_json_int(j, "total_vfs", r->s.total);
				else
					pt_json_null(j, "total_vfs");
				if (r->s.num >= 0)
					pt_json_int(j, "num_vfs", r->s.num);
				else
					pt_json_null(j, "num_vfs");
				pt_json_string(j, "vf_id", r->s.vf_device >= 0 ? id : NULL);
				pt_json_array_open(j, "vfs");
				for (size_t k = 0; k < r->nvf; k++) {
					pt_json_object_open(j, NULL);
					pt_json_string(j, "bdf", vf[k].bdf);
					if (vf[k].dev && vf[k].dev->group >= 0)
						pt_json_int(j, "group", vf[k].dev->group);
					else
						pt_json_null(j, "group");
					pt_json_string(j, "driver", vf[k].dev ? vf[k].dev->driver : NULL);
					if (vf[k].vgpu >= 0)
						pt_json_int(j, "vgpu_type", vf[k].vgpu);
					else
						pt_json_null(j, "vgpu_type");
					pt_json_string(j, "holder", vf[k].holder[0] ? vf[k].holder : NULL);
					pt_json_object_close(j);
				}
				pt_json_array_close(j);
				pt_json_object_close(j);
				continue;
			}
			for (size_t k = 0; k < (r->nvf ? r->nvf : 1); k++) {
				char grp[16] = "-", vg[24] = "-";
				const char *row[10] = { d->name, dash(d->driver), total, num, id, "-", "-", "-", "-", "-" };

				if (r->nvf) {
					if (vf[k].dev && vf[k].dev->group >= 0)
						snprintf(grp, sizeof(grp), "%d", vf[k].dev->group);
					if (vf[k].vgpu >= 0)
						snprintf(vg, sizeof(vg), "%ld", vf[k].vgpu);
					row[5] = vf[k].bdf;
					row[6] = grp;
					row[7] = vf[k].dev ? dash(vf[k].dev->driver) : "-";
					row[8] = vg;
					row[9] = dash(vf[k].holder);
				}
				if (pass == 0)
					pt_table_measure(&t, row);
				else
					pt_table_print_row(&t, row, stdout);
			}
		}
	}
	for (size_t i = 0; i < npfs; i++)
		free(pfs[i].vf);
	free(pfs);
}

/* One line of the mdev list: a live instance, a definition, or both. */
struct mdev_row {
	char uuid[PT_UUID_LEN], parent[128], type[128];
	int group;
	bool active;
	const struct pt_mdev_def *def;
};

static int row_cmp(const void *a, const void *b)
{
	const struct mdev_row *x = a, *y = b;
	int c = strverscmp(x->parent, y->parent);

	return c ? c : strcmp(x->uuid, y->uuid);
}

/* Every live mdev and every definition, merged by UUID; bad definitions
 * named on stderr (they are skipped, the others still count). */
static size_t mdev_rows(struct mdev_row **out, struct pt_mdev_def **defs, size_t *ndefs)
{
	struct pt_mdev *live;
	size_t nlive = pt_mdevs(&live), n = 0;
	char *errs = NULL;

	*ndefs = pt_mdev_defs_read(defs, &errs);
	for (char *line = errs, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		pt_warn("%s; skipped", line);
	}
	free(errs);
	*out = pt_xcalloc(nlive + *ndefs + 1, sizeof(**out));
	for (size_t i = 0; i < nlive; i++) {
		struct mdev_row *r = &(*out)[n++];

		snprintf(r->uuid, sizeof(r->uuid), "%s", live[i].uuid);
		snprintf(r->parent, sizeof(r->parent), "%s", live[i].parent);
		snprintf(r->type, sizeof(r->type), "%s", live[i].type);
		r->group = live[i].group;
		r->active = true;
	}
	for (size_t i = 0; i < *ndefs; i++) {
		const struct pt_mdev_def *d = &(*defs)[i];
		struct mdev_row *r = NULL;

		for (size_t k = 0; k < n && !r; k++)
			if (strcmp((*out)[k].uuid, d->uuid) == 0 && strcmp((*out)[k].parent, d->parent) == 0)
				r = &(*out)[k];
		if (!r) {
			r = &(*out)[n++];
			snprintf(r->uuid, sizeof(r->uuid), "%s", d->uuid);
			snprintf(r->parent, sizeof(r->parent), "%s", d->parent);
			snprintf(r->type, sizeof(r->type), "%s", d->type);
			r->group = -1;
		}
		r->def = d;
	}
	free(live);
	qsort(*out, n, sizeof(**out), row_cmp);
	return n;
}

static void type_name(const char *parent, const char *type, char *buf, size_t len)
{
	if (!pt_mdev_name_ok(parent) || !pt_mdev_name_ok(type) ||
	    pt_read_text(buf, len, "/sys/class/mdev_bus/%s/mdev_supported_types/%s/name", parent, type) < 0)
		snprintf(buf, len, "-");
}

static void list_mdevs(struct pt_json *j, bool printed)
{
	static const char *const head[] = { "MDEV", "PARENT", "TYPE", "NAME", "GROUP", "STATE", "START", "HOLDER" };
	struct mdev_row *rows;
	struct pt_mdev_def *defs;
	size_t ndefs, n = mdev_rows(&rows, &defs, &ndefs);
	char (*names)[128] = pt_xcalloc(n + 1, sizeof(*names));
	char (*holders)[512] = pt_xcalloc(n + 1, sizeof(*holders));
	char (*grps)[16] = pt_xcalloc(n + 1, sizeof(*grps));
	struct pt_table t;

	pt_table_init(&t, 8, head);
	for (size_t i = 0; i < n; i++) {
		struct pt_mdev m;

		type_name(rows[i].parent, rows[i].type, names[i], sizeof(names[i]));
		snprintf(grps[i], sizeof(grps[i]), rows[i].group >= 0 ? "%d" : "-", rows[i].group);
		if (rows[i].active && pt_mdev_get(rows[i].uuid, &m))
			pt_mdev_vm_users(&m, holders[i], sizeof(holders[i]));
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && !j && t.rows) {
			if (printed)
				putchar('\n');
			pt_table_print_row(&t, t.headers, stdout);
		}
		for (size_t i = 0; i < n; i++) {
			const struct mdev_row *r = &rows[i];
			const char *start = r->def ? (r->def->autostart ? "auto" : "manual") : NULL;
			const char *row[8] = { r->uuid, r->parent, r->type, names[i], grps[i],
					       r->active ? "active" : "defined", start ? start : "-", dash(holders[i]) };

			if (!wanted(r->parent))
				continue;
			if (j && pass == 0) {
				pt_json_object_open(j, NULL);
				pt_json_string(j, "mdev", r->uuid);
				pt_json_string(j, "parent", r->parent);
				pt_json_string(j, "type", r->type);
				pt_json_string(j, "name", strcmp(names[i], "-") ? names[i] : NULL);
				if (r->group >= 0)
					pt_json_int(j, "group", r->group);
				else
					pt_json_null(j, "group");
				pt_json_bool(j, "active", r->active);
				pt_json_string(j, "start", start);
				pt_json_string(j, "holder", holders[i][0] ? holders[i] : NULL);
				pt_json_object_close(j);
			} else if (!j) {
				if (pass == 0)
					pt_table_measure(&t, row);
				else
					pt_table_print_row(&t, row, stdout);
			}
		}
		if (j)
			break;
	}
	free(names);
	free(holders);
	free(grps);
	free(rows);
	pt_mdev_defs_free(defs, ndefs);
}

static int do_list(void)
{
	struct pt_json j;
	bool printed = false;

	if (pt_opts.json) {
		pt_json_init(&j, stdout);
		pt_json_array_open(&j, NULL);
	}
	list_pfs(pt_opts.json ? &j : NULL, &printed);
	list_mdevs(pt_opts.json ? &j : NULL, printed);
	if (pt_opts.json) {
		pt_json_array_close(&j);
		pt_json_finish(&j);
	}
	return PT_EXIT_OK;
}

/* ---- --check ---- */

static bool is_vf(const struct pt_dev *d, char *pf, size_t len)
{
	return pt_read_link_name(pf, len, "/sys/bus/pci/devices/%s/physfn", d->name) > 0;
}

static int do_check(const struct pt_dev *d)
{
	struct pt_findings f = { 0 };
	struct pt_sriov s;
	char pf[PT_BDF_LEN + 8];
	int cap_total = -1, cap_vfdev = -1, ngr;
	char **names = NULL;
	bool can = true;
	bool sysfs = pt_sriov_read(d->name, &s);
	bool mdev = pt_mdev_is_parent(d->name), vgpu = !mdev && pt_vgpu_capable(d->name);

	if (mdev) {
		struct pt_mdev_type *types;
		int n = pt_mdev_types(d->name, &types), avail = 0;

		/* the types share the device: one created lowers the others' counts */
		for (int i = 0; i < n; i++)
			avail = types[i].available > avail ? types[i].available : avail;
		pt_findings_add(&f, PT_ST_OK, "mdev", "%s is an mdev parent (driver %s): %d type%s, up to %d "
				"instance%s available (the types share the device)", d->name, dash(d->driver), n,
				n == 1 ? "" : "s", avail, avail == 1 ? "" : "s");
		if (avail == 0) {
			pt_findings_add(&f, PT_ST_FAIL, "available", "no type of %s has an instance left: remove one "
					"first (vgpu-split --list shows them)", d->name);
			can = false;
		}
		free(types);
	} else if (vgpu) {
		struct pt_vgpu_type *types = pt_xcalloc(MAX_VGPU_TYPES, sizeof(*types));
		size_t n = pt_vgpu_creatable(d->name, types, MAX_VGPU_TYPES);
		long cur = pt_vgpu_current(d->name);

		pt_findings_add(&f, PT_ST_OK, "vgpu", "%s is an NVIDIA vGPU VF (driver %s): vGPU type %ld now, %zu "
				"type%s creatable", d->name, dash(d->driver), cur, n, n == 1 ? "" : "s");
		if (n == 0 && cur <= 0) {
			pt_findings_add(&f, PT_ST_FAIL, "vgpu", "no vGPU type is creatable on %s now (its siblings' "
					"types decide)", d->name);
			can = false;
		}
		free(types);
	} else if (is_vf(d, pf, sizeof(pf))) {
		pt_findings_add(&f, PT_ST_FAIL, "sriov", "%s is a VF of %s: split the PF", d->name, pf);
		can = false;
	} else if (pt_sriov_cap(&host, d, &cap_total, &cap_vfdev)) {
		pt_findings_add(&f, PT_ST_OK, "sriov", "%s has the SR-IOV capability: TotalVFs %d, VF device %04x",
				d->name, cap_total, (unsigned)cap_vfdev);
	} else {
		pt_findings_add(&f, PT_ST_FAIL, "sriov", "%s has no SR-IOV capability in its config space: it "
				"cannot have VFs (and it is no mdev parent)", d->name);
		can = false;
	}
	if (can && !mdev && !vgpu) {
		if (!sysfs || s.total < 0) {
			pt_findings_add(&f, PT_ST_FAIL, "totalvfs", "the kernel shows no sriov_totalvfs for %s",
					d->name);
			can = false;
		} else if (s.total == 0) {
			pt_findings_add(&f, PT_ST_FAIL, "totalvfs", "sriov_totalvfs is 0: the firmware or the "
					"driver gave %s no VFs", d->name);
			can = false;
		} else {
			pt_findings_add(&f, PT_ST_OK, "totalvfs", "sriov_totalvfs: %d, %d enabled now", s.total,
					s.num < 0 ? 0 : s.num);
		}
	}
	if (can && !mdev && !vgpu) {
		if (!s.numvfs_file) {
			pt_findings_add(&f, PT_ST_FAIL, "driver", "no sriov_numvfs: the PF's driver does not "
					"support SR-IOV");
			can = false;
		} else if (!d->driver) {
			pt_findings_add(&f, PT_ST_FAIL, "driver", "no driver bound to %s: the kernel enables VFs "
					"through the PF's driver", d->name);
			can = false;
		} else {
			pt_findings_add(&f, PT_ST_OK, "driver", "PF driver %s (sriov_numvfs present)", d->driver);
		}
	}
	/* mdevs get their groups from VFIO itself: no IOMMU needed */
	ngr = mdev ? 0 : pt_list_dir(&names, "/sys/kernel/iommu_groups");
	if (mdev) {
		;
	} else if (ngr > 0) {
		pt_findings_add(&f, PT_ST_OK, "iommu", "IOMMU on: %d groups", ngr);
		pt_free_names(names, ngr);
	} else {
		pt_findings_add(&f, PT_ST_FAIL, "iommu", "no IOMMU groups: VFs could not be assigned to a VM "
				"(iommu-groups --check says why)");
		can = false;
	}
	if (can && !mdev && !vgpu && s.autoprobe == 1)
		pt_findings_add(&f, PT_ST_INFO, "autoprobe", "sriov_drivers_autoprobe is 1: new VFs get host "
				"drivers; --no-autoprobe keeps them for vfio-pci");
	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "device", d->name);
		pt_json_array_open(&j, "checks");
		for (size_t i = 0; i < f.n; i++) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "status", pt_status_name(f.v[i].status));
			pt_json_string(&j, "check", f.v[i].check);
			pt_json_string(&j, "message", f.v[i].message);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_bool(&j, "can_split", can);
		pt_json_object_close(&j);
		pt_json_finish(&j);
	} else {
		for (size_t i = 0; i < f.n; i++)
			printf("%-4s %s\n", pt_status_name(f.v[i].status), f.v[i].message);
	}
	pt_findings_free(&f);
	return can ? PT_EXIT_OK : PT_EXIT_UNSUPPORTED;
}


/* A step of the plan could not be made: nothing was changed yet. */
static void must(int rc, const char *err)
{
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
}

/* ---- --vfs ---- */

/* Whether the VFs may go, and the PF be touched: every reason in why. */
static bool change_refused(const struct pt_dev *pf, bool vfs_go, char *why, size_t len)
{
	char buf[1024];
	size_t o = 0;

	why[0] = '\0';
#define ADD(...) do { if (o < len) o += (size_t)snprintf(why + o, len - o, __VA_ARGS__); } while (0)
	if (pf->driver && strcmp(pf->driver, "vfio-pci") == 0 && pt_dev_vm_users(pf, buf, sizeof(buf)) > 0)
		ADD("%s%s is on vfio-pci and held by %s", o ? "; " : "", pf->name, buf);
	if (vfs_go) {
		struct vf_info *vf;
		size_t n = vf_infos(pf, &vf);

		for (size_t i = 0; i < n; i++) {
			if (vf[i].holder[0])
				ADD("%sVF %s is held by %s", o ? "; " : "", vf[i].bdf, vf[i].holder);
			if (vf[i].dev && pt_dev_host_use(&host, vf[i].dev, PT_OP_RESET, buf, sizeof(buf)) != PT_USE_NONE)
				ADD("%s%s", o ? "; " : "", buf);
		}
		free(vf);
	}
#undef ADD
	return o > 0;
}

/* Bind pf's VFs to vfio-pci through the core (a new scan: they are new
 * devices). NVIDIA vGPU VFs stay on nvidia. Returns an exit code, the
 * reason in err. */
static int bind_vfs(const char *pf_name, char *err, size_t len)
{
	char (*names)[PT_BDF_LEN], pf[PT_BDF_LEN];
	size_t n;
	int rc;

	/* pf_name may live in the scan that goes now */
	snprintf(pf, sizeof(pf), "%s", pf_name);
	pt_groups_free(groups, ngroups);
	pt_host_free(&host);
	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ngroups);
	names = pt_xcalloc(MAX_VFS, sizeof(*names));
	n = pt_sriov_vfs(pf, names, MAX_VFS);
	free(devs);
	devs = pt_xcalloc(n + 1, sizeof(*devs));
	ndevs = 0;
	for (size_t i = 0; i < n; i++) {
		struct pt_bdf b;
		struct pt_dev *d;

		if (pt_bdf_parse(names[i], &b) || !(d = pt_host_find(&host, &b))) {
			snprintf(err, len, "VF %s is not on the bus; nothing was bound", names[i]);
			free(names);
			return PT_EXIT_FAIL;
		}
		if (pt_vgpu_capable(d->name)) {
			if (!pt_opts.json)
				printf("%s is an NVIDIA vGPU VF: it stays on %s (--vgpu-type gives it a type)\n", d->name,
				       dash(d->driver));
			continue;
		}
		devs[ndevs++] = d;
	}
	free(names);
	if (!ndevs) {
		if (pt_opts.json && doc_open) {
			pt_json_array_open(&doc, "vfio");
			pt_json_array_close(&doc);
		}
		return PT_EXIT_OK;
	}
	rc = pt_vfio_plan(&host, groups, ngroups, devs, ndevs, opt_force ? PT_PLAN_FORCE : 0, &plan, &nplan, err, len);
	if (rc != PT_EXIT_OK) {
		size_t l = strlen(err);

		snprintf(err + l, len - l, "; the VFs stay as they are");
		return rc;
	}
	pt_txn_free(&txn);
	pt_txn_init(&txn, "bind");
	if (pt_vfio_bind_txn(&txn, plan, nplan, false, err, len) < 0) {
		size_t l = strlen(err);

		snprintf(err + l, len - l, "; nothing was bound");
		return PT_EXIT_FAIL;
	}
	rc = pt_txn_run(&txn, err, len);
	if (pt_opts.json && doc_open) {
		pt_json_array_open(&doc, "vfio");
		for (size_t i = 0; i < txn.n; i++) {
			pt_json_object_open(&doc, NULL);
			pt_json_string(&doc, "bdf", txn.dev[i].bdf);
			pt_json_int(&doc, "group", txn.dev[i].group);
			pt_json_string(&doc, "before", txn.dev[i].from.driver[0] ? txn.dev[i].from.driver : NULL);
			pt_json_string(&doc, "after", txn.dev[i].now.driver[0] ? txn.dev[i].now.driver : NULL);
			pt_json_object_close(&doc);
		}
		pt_json_array_close(&doc);
	}
	if (rc != PT_EXIT_OK)
		return rc;
	for (size_t i = 0; !pt_opts.json && i < txn.n; i++) {
		const struct pt_txn_dev *x = &txn.dev[i];

		if (x->unchanged)
			printf("%s already on vfio-pci (group %d)\n", x->bdf, x->group);
		else
			printf("%s %s -> vfio-pci (group %d)\n", x->bdf, x->from.driver[0] ? x->from.driver : "(none)",
			       x->group);
	}
	return PT_EXIT_OK;
}

static struct pt_dev *rescan_find(const char *bdf);

/* After --vfio failed on new VFs: the PF back to the VFs and autoprobe it
 * had (was), and vgpu-split.conf to old_conf (NULL: none), in words. */
static void undo_vfs(const char *pf, const struct pt_sriov *was, bool conf, const char *old_conf, char *msg,
		     size_t len)
{
	struct pt_sriov now;
	struct pt_dev *d = rescan_find(pf);
	char err[2048], ap[16], before[16];
	int rc;

	if (!d || !pt_sriov_read(pf, &now)) {
		snprintf(msg, len, "%s is gone", pf);
		return;
	}
	pt_txn_free(&txn);
	pt_txn_init(&txn, "vfs");
	rc = pt_split_vfs_steps(&txn, pf, &now, was->num, was->autoprobe, err, sizeof(err));
	if (rc == PT_EXIT_OK && now.autoprobe != was->autoprobe && was->autoprobe >= 0 && was->num == 0) {
		char path[128];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/sriov_drivers_autoprobe", pf);
		snprintf(before, sizeof(before), "%d", now.autoprobe);
		snprintf(ap, sizeof(ap), "%d", was->autoprobe);
		rc = pt_txn_add_attr(&txn, path, before, ap) < 0 ? PT_EXIT_FAIL : PT_EXIT_OK;
	}
	if (rc == PT_EXIT_OK && conf && pt_txn_add_file(&txn, PT_SPLIT_CONF, old_conf) < 0)
		rc = PT_EXIT_FAIL;
	if (rc == PT_EXIT_OK)
		rc = pt_split_vfs_run(&txn, d, &now, err, sizeof(err));
	if (rc != PT_EXIT_OK)
		snprintf(msg, len, "undoing the VF count failed too: %.900s", err);
	else
		snprintf(msg, len, "so %s is back to %d VFs%s", pf, was->num, conf ? ", its line as it was" : "");
}

static int do_vfs(const struct pt_dev *pf)
{
	struct pt_sriov s;
	char err[2048], pfof[PT_BDF_LEN + 8];
	int want, cap_total = -1, rc;
	bool cap;
	size_t nsteps;
	struct pt_sriov_step steps[3];

	doc_begin("pf", pf->name);
	if (is_vf(pf, pfof, sizeof(pfof)))
		pt_die(PT_EXIT_UNSUPPORTED, "%s is a VF of %s: VFs cannot have VFs; split the PF", pf->name, pfof);
	cap = pt_sriov_cap(&host, pf, &cap_total, NULL);
	if (!pt_sriov_read(pf->name, &s) || !s.numvfs_file) {
		if (cap)
			pt_die(PT_EXIT_UNSUPPORTED, "%s: the config space has the SR-IOV capability but the kernel shows "
			    "no sriov_numvfs: its driver (%s) does not support SR-IOV", pf->name, dash(pf->driver));
		pt_die(PT_EXIT_UNSUPPORTED, "%s is not an SR-IOV physical function (no SR-IOV capability)", pf->name);
	}
	if (pt_sriov_parse_count(opt_vfs, s.total, &want, err, sizeof(err)))
		pt_die(PT_EXIT_USAGE, "%s: %s", pf->name, err);
	if (opt_vfio && want == 0)
		pt_die(PT_EXIT_USAGE, "--vfio with --vfs 0: no VF to bind");
	if (s.num < 0)
		pt_die(PT_EXIT_FAIL, "%s: sriov_numvfs cannot be read", pf->name);
	nsteps = pt_sriov_plan(s.num, want, !opt_no_autoprobe, steps, 3);
	if (change_refused(pf, nsteps && s.num > 0, err, sizeof(err)) && !opt_force)
		pt_die(PT_EXIT_REFUSED, "%s; --force changes the VFs anyway", err);

	/* From here on the host changes: one run at a time, one transaction. */
	pt_txn_lock(false);
	pt_txn_init(&txn, "vfs");
	must(pt_split_vfs_steps(&txn, pf->name, &s, want, !opt_no_autoprobe, err, sizeof(err)), err);
	if (opt_persist) {
		struct pt_split_entry e = { PT_SPLIT_VFS, "", (unsigned)want, opt_no_autoprobe, opt_vfio };

		snprintf(e.bdf, sizeof(e.bdf), "%s", pf->name);
		must(pt_split_persist(&txn, &e, want == 0, err, sizeof(err)), err);
	}
	if ((rc = pt_split_vfs_run(&txn, pf, &s, err, sizeof(err))) != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	if (pt_opts.json) {
		pt_json_int(&doc, "before", s.num);
		pt_json_int(&doc, "vfs", want);
		pt_json_bool(&doc, "persisted", opt_persist);
	} else if (nsteps) {
		printf("%s: %d -> %d VFs%s\n", pf->name, s.num, want, pt_dry_run ? " (dry run: nothing changed)" : "");
	} else {
		printf("%s already has %d VFs\n", pf->name, want);
	}
	if (opt_persist && !pt_opts.json && !pt_dry_run && want)
		printf("%s: %d VFs at boot (%s)\n", pf->name, want, PT_SPLIT_CONF);
	else if (opt_persist && !pt_opts.json && !pt_dry_run)
		printf("%s: no VFs at boot (its line in %s is gone)\n", pf->name, PT_SPLIT_CONF);
	if (opt_vfio) {
		int sig = pt_signal_caught();
		char name[PT_BDF_LEN], undo[1024];
		/* the count and the file as they were, for an undo if the bind fails */
		bool had_file = opt_persist && txn.nfiles && txn.files[0].old;
		char *old_conf = had_file ? pt_xstrdup(txn.files[0].old) : NULL;

		snprintf(name, sizeof(name), "%s", pf->name);
		if (pt_dry_run && nsteps && pt_opts.json) {
			pt_json_array_open(&doc, "vfio");
			pt_json_array_close(&doc);
		}
		if (sig) {
			snprintf(err, sizeof(err), "interrupted by %s before the VFs were bound", pt_signal_name(sig));
			rc = PT_EXIT_FAIL;
		} else if (pt_dry_run && nsteps) {
			pt_dry_run_print("bind the %d new VFs of %s to vfio-pci once they exist\n", want, pf->name);
			rc = PT_EXIT_OK;
		} else {
			rc = bind_vfs(name, err, sizeof(err));
		}
		if (rc != PT_EXIT_OK && nsteps) {
			/* all or nothing: the VF count (and its line) go back too */
			undo_vfs(name, &s, opt_persist, old_conf, undo, sizeof(undo));
			free(old_conf);
			pt_die(rc, "%.1500s; %s", err, undo);
		}
		free(old_conf);
		if (rc != PT_EXIT_OK)
			pt_die(rc, "%s", err);
	}
	doc_error(PT_EXIT_OK, NULL);
	return PT_EXIT_OK;
}

/* ---- --list-types ---- */

static void one_line(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\n') {
			buf[o++] = ',';
			buf[o++] = ' ';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
}

static int vgpu_types(const struct pt_dev *d)
{
	struct pt_vgpu_type *types = pt_xcalloc(MAX_VGPU_TYPES, sizeof(*types));
	size_t n = pt_vgpu_creatable(d->name, types, MAX_VGPU_TYPES);
	struct pt_json j;

	if (pt_opts.json) {
		pt_json_init(&j, stdout);
		pt_json_array_open(&j, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (!pt_opts.json) {
			printf("%u %s\n", types[i].id, types[i].name);
			continue;
		}
		pt_json_object_open(&j, NULL);
		pt_json_int(&j, "id", types[i].id);
		pt_json_string(&j, "name", types[i].name);
		pt_json_object_close(&j);
	}
	if (pt_opts.json) {
		pt_json_array_close(&j);
		pt_json_finish(&j);
	}
	free(types);
	return PT_EXIT_OK;
}

/* Why d cannot take mdevs, with a pointer to what it can do. */
static void no_parent(const struct pt_dev *d)
{
	char (*vfs)[PT_BDF_LEN] = pt_xcalloc(MAX_VFS, sizeof(*vfs));
	size_t n = pt_sriov_vfs(d->name, vfs, MAX_VFS);
	char vf[PT_BDF_LEN] = "";

	for (size_t i = 0; i < n && !vf[0]; i++)
		if (pt_vgpu_capable(vfs[i]))
			snprintf(vf, sizeof(vf), "%s", vfs[i]);
	free(vfs);
	if (vf[0])
		pt_die(PT_EXIT_UNSUPPORTED, "%s is no mdev parent; its VFs take NVIDIA vGPU types: give one a type "
		       "(vgpu-split --list-types %s, --vgpu-type ID %s)", d->name, vf, vf);
	if (pt_vgpu_capable(d->name))
		pt_die(PT_EXIT_UNSUPPORTED, "%s is no mdev parent: it is an NVIDIA vGPU VF (--vgpu-type gives it a type)",
		       d->name);
	pt_die(PT_EXIT_UNSUPPORTED, "%s is no mdev parent (not under /sys/class/mdev_bus: its driver offers no "
	       "mediated devices) and has no NVIDIA vGPU types", d->name);
}

static int do_types(const struct pt_dev *d)
{
	static const char *const head[] = { "TYPE", "NAME", "AVAILABLE", "API", "DESCRIPTION" };
	struct pt_mdev_type *types;
	int n = pt_mdev_types(d->name, &types);
	struct pt_table t;
	struct pt_json j;

	if (n == -ENOENT) {
		if (pt_vgpu_capable(d->name))
			return vgpu_types(d);
		no_parent(d);
	}
	if (pt_opts.json) {
		pt_json_init(&j, stdout);
		pt_json_array_open(&j, NULL);
		for (int i = 0; i < n; i++) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "type", types[i].id);
			pt_json_string(&j, "name", types[i].name[0] ? types[i].name : NULL);
			if (types[i].available >= 0)
				pt_json_int(&j, "available_instances", types[i].available);
			else
				pt_json_null(&j, "available_instances");
			pt_json_string(&j, "device_api", types[i].device_api[0] ? types[i].device_api : NULL);
			pt_json_string(&j, "description", types[i].description);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_finish(&j);
		free(types);
		return PT_EXIT_OK;
	}
	pt_table_init(&t, 5, head);
	for (int pass = 0; pass < 2 && n > 0; pass++) {
		if (pass == 1)
			pt_table_print_row(&t, t.headers, stdout);
		for (int i = 0; i < n; i++) {
			char avail[16], desc[600];
			const char *row[5] = { types[i].id, dash(types[i].name), avail, dash(types[i].device_api), desc };

			snprintf(avail, sizeof(avail), types[i].available >= 0 ? "%d" : "-", types[i].available);
			one_line(types[i].description, desc, sizeof(desc));
			row[4] = dash(desc);
			if (pass == 0)
				pt_table_measure(&t, row);
			else
				pt_table_print_row(&t, row, stdout);
		}
	}
	free(types);
	return PT_EXIT_OK;
}

/* ---- --create, --remove ---- */

/* mdevctl's definitions, for one UUID: a file of that name that is no
 * definition goes to bad ("PATH: why"), others that are none do not
 * matter here. */
static size_t defs_read(struct pt_mdev_def **defs, const char *uuid, char *bad, size_t len)
{
	char *errs = NULL;
	size_t n = pt_mdev_defs_read(defs, &errs);

	bad[0] = '\0';
	for (char *line = errs, *nl; line && *line; line = nl + 1) {
		char *colon = strstr(line, ": ");

		nl = strchr(line, '\n');
		*nl = '\0';
		if (colon && colon - line > 37 && strncmp(colon - 37, "/", 1) == 0 && strncmp(colon - 36, uuid, 36) == 0)
			snprintf(bad, len, "%s", line);
	}
	free(errs);
	return n;
}

static int do_create(const struct pt_dev *d)
{
	/* static: a pt_die() below leaves them reachable, as the scan is */
	static struct pt_mdev_type *types;
	static char (*uuids)[PT_UUID_LEN];
	static struct pt_mdev_def *defs;
	static size_t ndefs;
	const struct pt_mdev_def *def = NULL;
	struct pt_mdev_type *type = NULL;
	struct pt_mdev m;
	char err[2048], bad[1024];
	long count = 1;
	int n, rc;
	bool exists = false;

	doc_begin("parent", d->name);
	if (opt_count) {
		char *end;

		count = strtol(opt_count, &end, 10);
		if (*end || end == opt_count || count < 1 || count > 256)
			pt_die(PT_EXIT_USAGE, "--count %s: give a number from 1 to 256", opt_count);
	}
	if (opt_uuid && count > 1)
		pt_die(PT_EXIT_USAGE, "--uuid names one mdev: not with --count %ld", count);
	uuids = pt_xcalloc((size_t)count, sizeof(*uuids));
	if (opt_uuid) {
		const char *why = pt_uuid_parse(opt_uuid, uuids[0]);

		if (why)
			pt_die(PT_EXIT_USAGE, "--uuid %s: %s", opt_uuid, why);
		if (pt_mdev_get(uuids[0], &m) && (strcmp(m.parent, d->name) != 0 || strcmp(m.type, opt_create) != 0))
			pt_die(PT_EXIT_USAGE, "an mdev %s exists already (%s on %s)", uuids[0], m.type, m.parent);
		/* the very mdev asked for is there: nothing to create, --persist keeps it */
		exists = m.uuid[0] != '\0';
		/* a defined one: as its definition says (mdevctl start -u UUID) */
		ndefs = defs_read(&defs, uuids[0], bad, sizeof(bad));
		if (bad[0])
			pt_die(PT_EXIT_USAGE, "%s: it is no definition; fix or remove it first", bad);
		for (size_t i = 0; i < ndefs && !def; i++)
			if (strcmp(defs[i].uuid, uuids[0]) == 0)
				def = &defs[i];
		if (def && strcmp(def->parent, d->name) != 0)
			pt_die(PT_EXIT_USAGE, "mdev %s is defined on %s (" PT_MDEVCTL_DIR "/%s/%s), not on %s", uuids[0],
			       def->parent, def->parent, uuids[0], d->name);
		if (def && strcmp(def->type, opt_create) != 0)
			pt_die(PT_EXIT_USAGE, "mdev %s is defined as %s on %s (" PT_MDEVCTL_DIR "/%s/%s), not as %s",
			       uuids[0], def->type, def->parent, def->parent, uuids[0], opt_create);
	}
	if ((n = pt_mdev_types(d->name, &types)) == -ENOENT)
		no_parent(d);
	for (int i = 0; i < n && !type; i++)
		if (strcmp(types[i].id, opt_create) == 0)
			type = &types[i];
	if (!type)
		pt_die(PT_EXIT_USAGE, "%s has no mdev type %s; 'vgpu-split --list-types %s' shows its types", d->name,
		       opt_create, d->name);
	if (!exists && type->available >= 0 && type->available < count && !opt_force)
		pt_die(PT_EXIT_REFUSED, "%s: type %s has %d instance%s available, %ld asked; --force asks the kernel "
		       "anyway", d->name, type->id, type->available, type->available == 1 ? "" : "s", count);
	for (long i = opt_uuid ? 1 : 0; i < count; i++)
		do
			pt_uuid_random(uuids[i]);
		while (pt_mdev_get(uuids[i], &m));

	pt_txn_lock(false);
	pt_txn_init(&txn, "create");
	for (long i = 0; i < count; i++) {
		if (!exists)
			must(pt_split_mdev_steps(&txn, d->name, type->id, uuids[i], def, err, sizeof(err)), err);
		if (opt_persist)
			must(pt_split_persist_mdev(&txn, d->name, type->id, uuids[i], false, def, err, sizeof(err)), err);
	}
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (pt_opts.json) {
		pt_json_string(&doc, "type", type->id);
		pt_json_array_open(&doc, "created");
		for (long i = 0; rc == PT_EXIT_OK && !exists && i < count; i++)
			pt_json_string(&doc, NULL, uuids[i]);
		pt_json_array_close(&doc);
		pt_json_bool(&doc, "persisted", opt_persist && rc == PT_EXIT_OK);
	}
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	if (exists && !pt_opts.json)
		printf("%s already active (%s on %s)%s%s\n", uuids[0], type->id, d->name,
		       opt_persist ? "; defined now" : "", opt_persist && pt_dry_run ? " (dry run: nothing changed)" : "");
	for (long i = 0; !exists && !pt_opts.json && i < count; i++)
		printf("%s\n", uuids[i]);
	free(uuids);
	free(types);
	pt_mdev_defs_free(defs, ndefs);
	doc_error(PT_EXIT_OK, NULL);
	return PT_EXIT_OK;
}

static int do_remove(void)
{
	char uuid[PT_UUID_LEN], err[2048], holder[512], path[512] = "", bad[1024] = "";
	const char *why = pt_uuid_parse(opt_remove, uuid);
	struct pt_mdev m;
	struct pt_mdev_def *defs = NULL, *def = NULL;
	size_t ndefs = 0;
	bool live;
	int rc;

	if (why)
		pt_die(PT_EXIT_USAGE, "--remove %s: %s", opt_remove, why);
	doc_begin("mdev", uuid);
	live = pt_mdev_get(uuid, &m);
	{
		ndefs = defs_read(&defs, uuid, bad, sizeof(bad));
		for (size_t i = 0; i < ndefs && !def; i++)
			if (strcmp(defs[i].uuid, uuid) == 0)
				def = &defs[i];
		if (def)
			pt_mdev_def_path(def->parent, uuid, path, sizeof(path));
		/* a broken file of that name: --persist removes it, as asked */
		else if (bad[0])
			snprintf(path, sizeof(path), "%.*s", (int)(strstr(bad, ": ") - bad), bad);
	}
	if (!live && !def && !bad[0])
		pt_die(PT_EXIT_FAIL, "no mdev %s is active or defined", uuid);
	if (!live && !opt_persist)
		pt_die(PT_EXIT_FAIL, "mdev %s is not active, only defined (%s): --persist removes the definition", uuid,
		       path);
	/* without --persist, the definition stays */
	if (!opt_persist)
		path[0] = '\0';
	if (live && pt_mdev_vm_users(&m, holder, sizeof(holder)) > 0 && !opt_force)
		pt_die(PT_EXIT_REFUSED, "mdev %s (%s on %s) is held by %s; --force asks the VM to let it go (the kernel "
		       "waits until it does)", uuid, m.type, m.parent, holder);

	pt_txn_lock(false);
	pt_txn_init(&txn, "remove");
	if (live && pt_txn_add_mdev(&txn, false, m.parent, m.type, uuid) < 0)
		pt_die(PT_EXIT_FAIL, "mdev %s: its parent or type has a name no mdev can have", uuid);
	if (path[0] && (rc = pt_txn_add_file(&txn, path, NULL)) < 0)
		pt_die(PT_EXIT_FAIL, "%s: %s; nothing was changed", path, strerror(-rc));
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (pt_opts.json) {
		pt_json_bool(&doc, "removed", live && rc == PT_EXIT_OK);
		pt_json_string(&doc, "definition_removed", path[0] && rc == PT_EXIT_OK ? path : NULL);
	}
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	if (!pt_opts.json) {
		if (live)
			printf("%s removed (%s on %s)%s\n", uuid, m.type, m.parent,
			       pt_dry_run ? " (dry run: nothing changed)" : "");
		if (path[0])
			printf("%s no longer defined (%s removed)%s%s\n", uuid, path, def ? "" : ": it was no definition",
			       pt_dry_run ? " (dry run: nothing changed)" : "");
	}
	pt_mdev_defs_free(defs, ndefs);
	doc_error(PT_EXIT_OK, NULL);
	return PT_EXIT_OK;
}

/* ---- --vgpu-type ---- */

static const char *vgpu_name(const struct pt_vgpu_type *types, size_t n, unsigned long id)
{
	for (size_t i = 0; i < n; i++)
		if (types[i].id == id)
			return types[i].name;
	return NULL;
}

/* A VF with a type lists only the types it can switch to without a
 * release; a numeric id of another kind may still fit once it is 0:
 * through 0 the driver decides (a refused write rolls back). */
static bool another_series(const char *arg, long current, unsigned *id)
{
	char *end;
	unsigned long v;

	if (current <= 0 || !isdigit((unsigned char)arg[0]))
		return false;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v == 0 || v > 0xffffffffUL)
		return false;
	*id = (unsigned)v;
	return true;
}

static int do_vgpu(const struct pt_dev *d)
{
	/* static: a pt_die() below leaves it reachable */
	static struct pt_vgpu_type *types;
	size_t n;
	const char *why, *name;
	char err[2048], holder[512];
	unsigned id;
	long current;
	int rc;

	doc_begin("vf", d->name);
	if (!pt_vgpu_capable(d->name)) {
		if (pt_mdev_is_parent(d->name))
			pt_die(PT_EXIT_UNSUPPORTED, "%s takes mediated devices, not per-VF vGPU types: --create TYPE",
			       d->name);
		pt_die(PT_EXIT_UNSUPPORTED, "%s has no nvidia/creatable_vgpu_types: it is no NVIDIA vGPU VF (give a VF "
		       "of a vGPU-capable GPU, bound to nvidia)", d->name);
	}
	/* the list changes as sibling VFs get types: read it now */
	types = pt_xcalloc(MAX_VGPU_TYPES, sizeof(*types));
	n = pt_vgpu_creatable(d->name, types, MAX_VGPU_TYPES);
	current = pt_vgpu_current(d->name);
	if (current < 0)
		pt_die(PT_EXIT_FAIL, "%s: nvidia/current_vgpu_type cannot be read", d->name);
	if ((why = pt_vgpu_type_pick(opt_vgpu, types, n, true, &id)) && !another_series(opt_vgpu, current, &id))
		pt_die(PT_EXIT_USAGE, "%s: --vgpu-type %s: %s; 'vgpu-split --list-types %s' shows them", d->name, opt_vgpu,
		       why, d->name);
	if ((unsigned long)current != id && pt_dev_vm_users(d, holder, sizeof(holder)) > 0 && !opt_force)
		pt_die(PT_EXIT_REFUSED, "%s is held by %s; --force changes its vGPU type anyway", d->name, holder);

	pt_txn_lock(false);
	pt_txn_init(&txn, "vgpu");
	if ((unsigned long)current != id)
		must(pt_split_vgpu_steps(&txn, d->name, current, id, err, sizeof(err)), err);
	if (opt_persist) {
		struct pt_split_entry e = { PT_SPLIT_VGPU, "", id, false, false };

		snprintf(e.bdf, sizeof(e.bdf), "%s", d->name);
		must(pt_split_persist(&txn, &e, id == 0, err, sizeof(err)), err);
	}
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (pt_opts.json) {
		pt_json_int(&doc, "before", current);
		pt_json_int(&doc, "vgpu_type", rc == PT_EXIT_OK ? (long long)id : current);
		pt_json_bool(&doc, "persisted", opt_persist && rc == PT_EXIT_OK);
	}
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	name = vgpu_name(types, n, id);
	if (pt_opts.json)
		;
	else if ((unsigned long)current == id)
		printf("%s already has vGPU type %u%s%s%s\n", d->name, id, name ? " (" : "", name ? name : "",
		       name ? ")" : "");
	else
		printf("%s: vGPU type %ld -> %u%s%s%s%s\n", d->name, current, id, name ? " (" : "", name ? name : "",
		       name ? ")" : "", pt_dry_run ? " (dry run: nothing changed)" : "");
	if (opt_persist && !pt_opts.json && !pt_dry_run && id)
		printf("%s: vGPU type %u at boot (%s)\n", d->name, id, PT_SPLIT_CONF);
	else if (opt_persist && !pt_opts.json && !pt_dry_run)
		printf("%s: no vGPU type at boot (its line in %s is gone)\n", d->name, PT_SPLIT_CONF);
	free(types);
	doc_error(PT_EXIT_OK, NULL);
	return PT_EXIT_OK;
}

/* ---- --apply ---- */

enum item_state { ITEM_PENDING, ITEM_DONE, ITEM_UNCHANGED, ITEM_FAILED };
static const char *const item_states[] = { "missing", "done", "unchanged", "failed" };

struct item {
	const struct pt_split_entry *e; /* a VF count or a vGPU type, or */
	const struct pt_mdev_def *def;  /* an mdev */
	enum item_state state;
	char msg[2048];
};

static const char *item_device(const struct item *it)
{
	return it->e ? it->e->bdf : it->def->parent;
}

static bool item_ready(const struct item *it)
{
	struct pt_sriov s;
	char drv[64];

	if (it->def)
		return pt_mdev_is_parent(it->def->parent) &&
		       pt_exists("/sys/class/mdev_bus/%s/mdev_supported_types/%s", it->def->parent, it->def->type);
	if (it->e->kind == PT_SPLIT_VGPU)
		return pt_vgpu_capable(it->e->bdf);
	return pt_sriov_read(it->e->bdf, &s) && s.numvfs_file &&
	       pt_read_link_name(drv, sizeof(drv), "/sys/bus/pci/devices/%s/driver", it->e->bdf) > 0;
}

/* Why an item was never ready, after waiting `wait` seconds. */
static void item_unready(const struct item *it, double wait, char *buf, size_t len)
{
	const char *dev = item_device(it);
	char drv[64];

	if (!pt_exists("/sys/bus/pci/devices/%s", dev) && !pt_mdev_is_parent(dev))
		snprintf(buf, len, "%s did not appear within %g s", dev, wait);
	else if (it->def && !pt_mdev_is_parent(dev))
		snprintf(buf, len, "%s is no mdev parent after %g s (its driver offers no mediated devices)", dev, wait);
	else if (it->def)
		snprintf(buf, len, "%s has no mdev type %s", dev, it->def->type);
	else if (it->e->kind == PT_SPLIT_VGPU)
		snprintf(buf, len, "%s shows no nvidia/creatable_vgpu_types after %g s (not on nvidia's vGPU driver?)",
			 dev, wait);
	else if (!pt_exists("/sys/bus/pci/devices/%s/sriov_numvfs", dev))
		snprintf(buf, len, "%s shows no sriov_numvfs after %g s (not an SR-IOV PF, or its driver has none)", dev,
			 wait);
	else if (pt_read_link_name(drv, sizeof(drv), "/sys/bus/pci/devices/%s/driver", dev) <= 0)
		snprintf(buf, len, "%s has no driver after %g s (the kernel enables VFs through it)", dev, wait);
	else
		snprintf(buf, len, "%s was not ready within %g s", dev, wait);
}

static struct pt_dev *rescan_find(const char *bdf)
{
	struct pt_bdf b;

	pt_groups_free(groups, ngroups);
	pt_host_free(&host);
	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ngroups);
	return pt_bdf_parse(bdf, &b) ? NULL : pt_host_find(&host, &b);
}

static enum item_state apply_vfs(const struct pt_split_entry *e, char *msg, size_t len)
{
	struct pt_dev *pf = rescan_find(e->bdf);
	struct pt_sriov s;
	char why[1024];
	int rc;

	if (!pf || !pt_sriov_read(pf->name, &s) || s.num < 0) {
		snprintf(msg, len, "%s: no PF with a readable sriov_numvfs", e->bdf);
		return ITEM_FAILED;
	}
	if (s.total >= 0 && e->value > (unsigned)s.total) {
		snprintf(msg, len, "%s: %u VFs persisted, the device has at most %d", e->bdf, e->value, s.total);
		return ITEM_FAILED;
	}
	if ((unsigned)s.num != e->value) {
		if (change_refused(pf, s.num > 0, why, sizeof(why)) && !opt_force) {
			snprintf(msg, len, "%s; --force changes the VFs anyway", why);
			return ITEM_FAILED;
		}
		pt_txn_free(&txn);
		pt_txn_init(&txn, "vfs");
		if (pt_split_vfs_steps(&txn, pf->name, &s, (int)e->value, !e->no_autoprobe, msg, len) != PT_EXIT_OK ||
		    (rc = pt_split_vfs_run(&txn, pf, &s, msg, len)) != PT_EXIT_OK)
			return ITEM_FAILED;
	}
	if (e->vfio && e->value > 0 && !(pt_dry_run && (unsigned)s.num != e->value) &&
	    bind_vfs(e->bdf, msg, len) != PT_EXIT_OK)
		return ITEM_FAILED;
	if ((unsigned)s.num == e->value)
		snprintf(msg, len, "%s already has %u VFs", e->bdf, e->value);
	else
		snprintf(msg, len, "%s: %d -> %u VFs", e->bdf, s.num, e->value);
	return (unsigned)s.num == e->value ? ITEM_UNCHANGED : ITEM_DONE;
}

static enum item_state apply_vgpu(const struct pt_split_entry *e, char *msg, size_t len)
{
	struct pt_vgpu_type *types = pt_xcalloc(MAX_VGPU_TYPES, sizeof(*types));
	size_t n = pt_vgpu_creatable(e->bdf, types, MAX_VGPU_TYPES);
	long current = pt_vgpu_current(e->bdf);
	struct pt_dev *d = rescan_find(e->bdf);
	char holder[512], err[2048];
	enum item_state st = ITEM_DONE;

	if (current == (long)e->value) {
		snprintf(msg, len, "%s already has vGPU type %u", e->bdf, e->value);
		st = ITEM_UNCHANGED;
	} else if (current < 0 || !d) {
		snprintf(msg, len, "%s: nvidia/current_vgpu_type cannot be read", e->bdf);
		st = ITEM_FAILED;
	} else if (!vgpu_name(types, n, e->value)) {
		snprintf(msg, len, "%s: vGPU type %u is not creatable on it now (its siblings' types decide)", e->bdf,
			 e->value);
		st = ITEM_FAILED;
	} else if (pt_dev_vm_users(d, holder, sizeof(holder)) > 0 && !opt_force) {
		snprintf(msg, len, "%s is held by %s; --force changes its vGPU type anyway", e->bdf, holder);
		st = ITEM_FAILED;
	} else {
		pt_txn_free(&txn);
		pt_txn_init(&txn, "vgpu");
		if (pt_split_vgpu_steps(&txn, e->bdf, current, e->value, err, sizeof(err)) != PT_EXIT_OK ||
		    pt_txn_run(&txn, err, sizeof(err)) != PT_EXIT_OK) {
			snprintf(msg, len, "%s", err);
			st = ITEM_FAILED;
		} else {
			snprintf(msg, len, "%s: vGPU type %ld -> %u (%s)", e->bdf, current, e->value,
				 vgpu_name(types, n, e->value));
		}
	}
	free(types);
	return st;
}

static enum item_state apply_mdev(const struct pt_mdev_def *def, char *msg, size_t len)
{
	struct pt_mdev m;
	struct pt_mdev_type *types;
	int n = pt_mdev_types(def->parent, &types), avail = -1;
	char err[2048];
	enum item_state st = ITEM_DONE;

	for (int i = 0; i < n; i++)
		if (strcmp(types[i].id, def->type) == 0)
			avail = types[i].available;
	free(types);
	if (pt_mdev_get(def->uuid, &m)) {
		if (strcmp(m.parent, def->parent) == 0 && strcmp(m.type, def->type) == 0) {
			snprintf(msg, len, "%s already active (%s on %s)", def->uuid, def->type, def->parent);
			return ITEM_UNCHANGED;
		}
		snprintf(msg, len, "%s: an mdev with this UUID is active as %s on %s, not as defined (%s on %s)", def->uuid,
			 m.type, m.parent, def->type, def->parent);
		return ITEM_FAILED;
	}
	if (avail == 0 && !opt_force) {
		snprintf(msg, len, "%s: %s on %s has no instance available; --force asks the kernel anyway", def->uuid,
			 def->type, def->parent);
		return ITEM_FAILED;
	}
	pt_txn_free(&txn);
	pt_txn_init(&txn, "create");
	if (pt_split_mdev_steps(&txn, def->parent, def->type, def->uuid, def, msg, len) != PT_EXIT_OK)
		return ITEM_FAILED;
	if (pt_txn_run(&txn, err, sizeof(err)) != PT_EXIT_OK) {
		snprintf(msg, len, "%s", err);
		st = ITEM_FAILED;
	} else {
		snprintf(msg, len, "%s created (%s on %s)", def->uuid, def->type, def->parent);
	}
	return st;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_apply(void)
{
	struct pt_split_entry *entries = NULL;
	struct pt_mdev_def *defs;
	struct item *items;
	size_t nentries = 0, ndefs, nitems = 0, left;
	char *text = NULL, *errs = NULL, err[2048];
	int bad = 0, failed = 0;
	double wait = 10, deadline;
	long len;
	struct skipped {
		char what[16], device[160], msg[2048];
	} *skipped = NULL;
	size_t nskipped = 0;

	if (opt_wait) {
		char *end;

		wait = strtod(opt_wait, &end);
		if (*end || end == opt_wait || !(wait >= 0 && wait <= 3600))
			pt_die(PT_EXIT_USAGE, "--wait %s: give seconds from 0 to 3600", opt_wait);
	}
	len = pt_read_file(&text, 1 << 20, PT_SPLIT_CONF);
	if (len < 0 && len != -ENOENT)
		pt_die(PT_EXIT_FAIL, "cannot read %s: %s", PT_SPLIT_CONF, strerror((int)-len));
	nentries = pt_split_conf_parse(text ? text : "", &entries, &bad, err, sizeof(err));
	free(text);
	if (bad) {
		pt_warn("%s: %s; skipped", PT_SPLIT_CONF, err);
		skipped = pt_xrealloc(skipped, (nskipped + 1) * sizeof(*skipped));
		snprintf(skipped[nskipped].what, sizeof(skipped[nskipped].what), "conf");
		skipped[nskipped].device[0] = '\0';
		snprintf(skipped[nskipped++].msg, sizeof(skipped[0].msg), "%s: %.1800s", PT_SPLIT_CONF, err);
	}
	/* with DEVICEs, a broken line of the shared file cannot be told apart:
	 * it is named, and fails the run only without DEVICEs */
	if (ndevs)
		bad = 0;
	ndefs = pt_mdev_defs_read(&defs, &errs);
	for (char *line = errs, *nl; line && *line; line = nl + 1) {
		char parent[160] = "";

		nl = strchr(line, '\n');
		*nl = '\0';
		pt_warn("%s; skipped", line);
		/* "/etc/mdevctl.d/PARENT/NAME: why": another device's file does not count */
		sscanf(line, PT_MDEVCTL_DIR "/%159[^/]", parent);
		if (!wanted(parent))
			continue;
		bad++;
		skipped = pt_xrealloc(skipped, (nskipped + 1) * sizeof(*skipped));
		snprintf(skipped[nskipped].what, sizeof(skipped[nskipped].what), "definition");
		snprintf(skipped[nskipped].device, sizeof(skipped[nskipped].device), "%s", parent);
		snprintf(skipped[nskipped++].msg, sizeof(skipped[0].msg), "%.1800s", line);
	}
	free(errs);
	/* VF counts first (VFs can be parents), then per-VF types, then mdevs */
	items = pt_xcalloc(nentries + ndefs + 1, sizeof(*items));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nentries; i++)
			if ((entries[i].kind == PT_SPLIT_VFS) == (pass == 0) && wanted(entries[i].bdf))
				items[nitems++].e = &entries[i];
	for (size_t i = 0; i < ndefs; i++)
		if (defs[i].autostart && wanted(defs[i].parent))
			items[nitems++].def = &defs[i];

	deadline = now_seconds() + wait;
	for (left = nitems; left > 0;) {
		bool progress = false;
		int sig = pt_signal_caught();

		if (sig)
			break;
		for (size_t i = 0; i < nitems; i++) {
			struct item *it = &items[i];

			if (it->state != ITEM_PENDING || !item_ready(it))
				continue;
			/* the lock only while changing: other runs go on while this one waits */
			if (!progress)
				pt_txn_lock(false);
			if (it->def)
				it->state = apply_mdev(it->def, it->msg, sizeof(it->msg));
			else if (it->e->kind == PT_SPLIT_VFS)
				it->state = apply_vfs(it->e, it->msg, sizeof(it->msg));
			else
				it->state = apply_vgpu(it->e, it->msg, sizeof(it->msg));
			if (it->state == ITEM_FAILED)
				pt_warn("%s", it->msg);
			else if (!pt_opts.json)
				printf("%s%s\n", it->msg,
				       pt_dry_run && it->state == ITEM_DONE ? " (dry run: nothing changed)" : "");
			progress = true;
			left--;
		}
		pt_unlock_host();
		if (left == 0 || (!progress && now_seconds() >= deadline))
			break;
		if (!progress) {
			struct timespec ts = { 0, 200 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	for (size_t i = 0; i < nitems; i++) {
		struct item *it = &items[i];

		if (it->state == ITEM_PENDING) {
			char why[512];

			item_unready(it, wait, why, sizeof(why));
			snprintf(it->msg, sizeof(it->msg), "%s%s", why, pt_signal_caught() ? " (interrupted)" : "");
			pt_warn("%s: %s not applied", it->msg, it->def ? it->def->uuid : it->e->kind == PT_SPLIT_VFS ?
				"its VF count" : "its vGPU type");
		}
		failed += it->state == ITEM_PENDING || it->state == ITEM_FAILED;
	}
	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_array_open(&j, NULL);
		for (size_t i = 0; i < nitems; i++) {
			const struct item *it = &items[i];

			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "what", it->def ? "mdev" : it->e->kind == PT_SPLIT_VFS ? "vfs" : "vgpu");
			pt_json_string(&j, "device", item_device(it));
			pt_json_string(&j, "uuid", it->def ? it->def->uuid : NULL);
			pt_json_string(&j, "status", item_states[it->state]);
			pt_json_string(&j, "message", it->msg);
			pt_json_object_close(&j);
		}
		/* what could not be read is part of the answer: it fails the run */
		for (size_t i = 0; i < nskipped; i++) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "what", skipped[i].what);
			pt_json_string(&j, "device", skipped[i].device[0] ? skipped[i].device : NULL);
			pt_json_null(&j, "uuid");
			pt_json_string(&j, "status", "unreadable");
			pt_json_string(&j, "message", skipped[i].msg);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_finish(&j);
	}
	free(skipped);
	free(items);
	free(entries);
	pt_mdev_defs_free(defs, ndefs);
	return failed || bad ? PT_EXIT_FAIL : PT_EXIT_OK;
}

int main(int argc, const char **argv)
{
	char err[1024];
	const char **args;
	int modes, rc;

	args = pt_options_parse(argc, argv, options, "[DEVICE...]",
				"Share one PCI device among guests: SR-IOV virtual functions (--vfs N),\n"
				"NVIDIA per-VF vGPU types (--vgpu-type), mediated devices (--list-types,\n"
				"--create, --remove); keep them at boot (--persist, --apply); list them\n"
				"(--list); say whether a device can be split here (--check). DEVICE is a\n"
				"PCI address.",
				NULL);
	pt_on_die(on_die);
	modes = !!opt_vfs + !!opt_list + !!opt_check + !!opt_types + !!opt_create + !!opt_remove + !!opt_vgpu +
		!!opt_apply;
	if (modes != 1)
		pt_die(PT_EXIT_USAGE, "give one of --vfs N, --vgpu-type ID, --list-types, --create TYPE, --remove UUID, "
		       "--apply, --list or --check; try '%s --help'", pt_progname);
	if (!opt_vfs && (opt_no_autoprobe || opt_vfio))
		pt_die(PT_EXIT_USAGE, "--no-autoprobe and --vfio go with --vfs only");
	if (!opt_create && (opt_count || opt_uuid))
		pt_die(PT_EXIT_USAGE, "--count and --uuid go with --create only");
	if (!opt_apply && opt_wait)
		pt_die(PT_EXIT_USAGE, "--wait goes with --apply only");
	if (opt_persist && !(opt_vfs || opt_vgpu || opt_create || opt_remove))
		pt_die(PT_EXIT_USAGE, "--persist goes with --vfs, --vgpu-type, --create or --remove");
	if (opt_force && (opt_list || opt_check || opt_types))
		pt_die(PT_EXIT_USAGE, "--force goes with a change: --vfs, --vgpu-type, --create, --remove or --apply");
	if (opt_remove && args[0])
		pt_die(PT_EXIT_USAGE, "--remove takes the UUID only, no DEVICE");
	if (!opt_list && !opt_apply && !opt_remove && (!args[0] || args[1]))
		pt_die(PT_EXIT_USAGE, "%s takes one DEVICE", opt_vfs ? "--vfs" : opt_check ? "--check" : opt_types ?
		       "--list-types" : opt_create ? "--create" : "--vgpu-type");
	for (size_t i = 0; args[i]; i++)
		if (strcmp(args[i], "-") == 0)
			pt_die(PT_EXIT_USAGE, "DEVICE is a PCI address; - is not one");

	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ngroups);
	if (args[0]) {
		rc = pt_resolve_devices(&host, args, false, stdin, &devs, &ndevs, err, sizeof(err));
		if (rc != PT_EXIT_OK && !(opt_apply && rc == PT_EXIT_FAIL))
			pt_die(rc, "%s", err);
		if (rc != PT_EXIT_OK) {
			/* --apply DEVICE for a device that is not there yet: match by name */
			static struct pt_dev named[64];

			free(devs);
			devs = pt_xcalloc(64, sizeof(*devs));
			for (ndevs = 0; args[ndevs]; ndevs++) {
				if (ndevs == 64)
					pt_die(PT_EXIT_USAGE, "--apply takes at most 64 DEVICEs that are not there yet");
				struct pt_bdf b;

				if (pt_bdf_parse(args[ndevs], &b))
					pt_die(PT_EXIT_USAGE, "%s", err);
				pt_bdf_format(&b, named[ndevs].name);
				devs[ndevs] = &named[ndevs];
			}
		}
	}
	if (opt_list)
		return do_list();
	if (opt_check)
		return do_check(devs[0]);
	if (opt_types)
		return do_types(devs[0]);
	if (opt_create)
		return do_create(devs[0]);
	if (opt_remove)
		return do_remove();
	if (opt_vgpu)
		return do_vgpu(devs[0]);
	if (opt_apply)
		return do_apply();
	return do_vfs(devs[0]);
}

/* vgpu-split: split a PCI device into SR-IOV virtual functions, list
 * them, and say whether a device can be split on this host. */
#include "devargs.h"
#include "hostcheck.h"
#include "hostuse.h"
#include "iommu.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "signals.h"
#include "sriov.h"
#include "sysfs.h"
#include "vfio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VFS 4096

static char *opt_vfs;
static int opt_list, opt_check, opt_vfio, opt_no_autoprobe, opt_force;

static struct poptOption options[] = {
	{ "vfs", 'n', POPT_ARG_STRING, &opt_vfs, 0,
	  "give DEVICE N virtual functions (0 removes them); through 0 when it has others", "N" },
	{ "no-autoprobe", '\0', POPT_ARG_NONE, &opt_no_autoprobe, 0,
	  "with --vfs: keep the new VFs driverless (sriov_drivers_autoprobe 0), ready for vfio-pci", NULL },
	{ "vfio", '\0', POPT_ARG_NONE, &opt_vfio, 0,
	  "with --vfs: bind every VF to vfio-pci, as vfio-bind does", NULL },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "change VFs a VM holds or the host uses (a VF NIC with the default route)", NULL },
	{ "list", 'l', POPT_ARG_NONE, &opt_list, 0,
	  "physical functions, their VFs, groups, drivers and holders (all, or the DEVICEs given)", NULL },
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

static void doc_begin(const char *pf)
{
	if (!pt_opts.json || doc_open)
		return;
	pt_json_init(&doc, stdout);
	pt_json_object_open(&doc, NULL);
	pt_json_string(&doc, "pf", pf);
	pt_json_bool(&doc, "dry_run", pt_dry_run);
	doc_open = true;
}

static void doc_error(int code, const char *msg)
{
	if (!doc_open)
		return;
	if (code == PT_EXIT_OK) {
		pt_json_null(&doc, "error");
	} else {
		pt_json_object_open(&doc, "error");
		pt_json_int(&doc, "exit", code);
		pt_json_string(&doc, "message", msg);
		pt_json_object_close(&doc);
	}
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

static int do_list(void)
{
	static const char *const head[] = { "PF", "PF-DRIVER", "TOTAL", "VFS", "VF-ID", "VF", "GROUP", "DRIVER",
					    "HOLDER" };
	struct pt_table t;
	struct pt_json j;

	pt_table_init(&t, 9, head);
	if (pt_opts.json) {
		pt_json_init(&j, stdout);
		pt_json_array_open(&j, NULL);
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && !pt_opts.json && t.rows)
			pt_table_print_row(&t, t.headers, stdout);
		for (size_t i = 0; i < host.ndevs; i++) {
			const struct pt_dev *d = &host.devs[i];
			struct pt_sriov s;
			struct vf_info *vf;
			size_t nvf;
			bool wanted = ndevs == 0;
			char total[16], num[16], id[16];

			for (size_t k = 0; k < ndevs; k++)
				wanted |= devs[k] == d;
			if (!wanted || !pt_sriov_read(d->name, &s))
				continue;
			nvf = vf_infos(d, &vf);
			vf_id(d, &s, id, sizeof(id));
			snprintf(total, sizeof(total), s.total >= 0 ? "%d" : "-", s.total);
			snprintf(num, sizeof(num), s.num >= 0 ? "%d" : "-", s.num);
			if (pt_opts.json) {
				if (pass == 0) {
					pt_json_object_open(&j, NULL);
					pt_json_string(&j, "pf", d->name);
					pt_json_string(&j, "driver", d->driver);
					if (s.total >= 0)
						pt_json_int(&j, "total_vfs", s.total);
					else
						pt_json_null(&j, "total_vfs");
					if (s.num >= 0)
						pt_json_int(&j, "num_vfs", s.num);
					else
						pt_json_null(&j, "num_vfs");
					pt_json_string(&j, "vf_id", s.vf_device >= 0 ? id : NULL);
					pt_json_array_open(&j, "vfs");
					for (size_t k = 0; k < nvf; k++) {
						pt_json_object_open(&j, NULL);
						pt_json_string(&j, "bdf", vf[k].bdf);
						if (vf[k].dev && vf[k].dev->group >= 0)
							pt_json_int(&j, "group", vf[k].dev->group);
						else
							pt_json_null(&j, "group");
						pt_json_string(&j, "driver", vf[k].dev ? vf[k].dev->driver : NULL);
						pt_json_string(&j, "holder", vf[k].holder[0] ? vf[k].holder : NULL);
						pt_json_object_close(&j);
					}
					pt_json_array_close(&j);
					pt_json_object_close(&j);
				}
				free(vf);
				continue;
			}
			for (size_t k = 0; k < (nvf ? nvf : 1); k++) {
				char grp[16] = "-";
				const char *row[9] = { d->name, dash(d->driver), total, num, id, NULL, NULL, NULL, NULL };

				if (nvf) {
					if (vf[k].dev && vf[k].dev->group >= 0)
						snprintf(grp, sizeof(grp), "%d", vf[k].dev->group);
					row[5] = vf[k].bdf;
					row[6] = grp;
					row[7] = vf[k].dev ? dash(vf[k].dev->driver) : NULL;
					row[8] = dash(vf[k].holder);
				}
				if (pass == 0)
					pt_table_measure(&t, row);
				else
					pt_table_print_row(&t, row, stdout);
			}
			free(vf);
		}
		if (pt_opts.json)
			break;
	}
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

	if (is_vf(d, pf, sizeof(pf))) {
		pt_findings_add(&f, PT_ST_FAIL, "sriov", "%s is a VF of %s: split the PF", d->name, pf);
		can = false;
	} else if (pt_sriov_cap(&host, d, &cap_total, &cap_vfdev)) {
		pt_findings_add(&f, PT_ST_OK, "sriov", "%s has the SR-IOV capability: TotalVFs %d, VF device %04x",
				d->name, cap_total, (unsigned)cap_vfdev);
	} else {
		pt_findings_add(&f, PT_ST_FAIL, "sriov", "%s has no SR-IOV capability in its config space: it "
				"cannot have VFs", d->name);
		can = false;
	}
	if (can) {
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
	if (can) {
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
	ngr = pt_list_dir(&names, "/sys/kernel/iommu_groups");
	if (ngr > 0) {
		pt_findings_add(&f, PT_ST_OK, "iommu", "IOMMU on: %d groups", ngr);
		pt_free_names(names, ngr);
	} else {
		pt_findings_add(&f, PT_ST_FAIL, "iommu", "no IOMMU groups: VFs could not be assigned to a VM "
				"(iommu-groups --check says why)");
		can = false;
	}
	if (can && s.autoprobe == 1)
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

static int bind_vfs(const struct pt_dev *pf_before)
{
	char err[2048], (*names)[PT_BDF_LEN], pf[PT_BDF_LEN];
	size_t n;
	int rc;

	/* the VFs are new devices: scan again (pf_before goes with the old scan) */
	snprintf(pf, sizeof(pf), "%s", pf_before->name);
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
			char gone[PT_BDF_LEN];

			snprintf(gone, sizeof(gone), "%s", names[i]);
			free(names);
			pt_die(PT_EXIT_FAIL, "VF %s is not on the bus; nothing was bound", gone);
		}
		devs[ndevs++] = d;
	}
	free(names);
	if (!ndevs)
		return PT_EXIT_OK;
	rc = pt_vfio_plan(&host, groups, ngroups, devs, ndevs, opt_force ? PT_PLAN_FORCE : 0, &plan, &nplan, err,
			  sizeof(err));
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s; the VFs stay as they are", err);
	pt_txn_init(&txn, "bind");
	if (pt_vfio_bind_txn(&txn, plan, nplan, false, err, sizeof(err)) < 0)
		pt_die(PT_EXIT_FAIL, "%s; nothing was bound", err);
	rc = pt_txn_run(&txn, err, sizeof(err));
	if (pt_opts.json) {
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
		pt_die(rc, "%s", err);
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

/* The PF after a failed or interrupted change: autoprobe as it was, and
 * the VFs as they are, in words. */
static void undo_autoprobe(const struct pt_dev *pf, int had, int was, bool changed, char *state, size_t len)
{
	struct pt_sriov s;
	struct pt_sriov_step back = { "sriov_drivers_autoprobe", was };
	int rc = 0;

	if (changed && was >= 0)
		rc = pt_sriov_write(pf->name, &back);
	if (!pt_sriov_read(pf->name, &s) && !pt_exists("/sys/bus/pci/devices/%s", pf->name)) {
		snprintf(state, len, "%s is gone", pf->name);
		return;
	}
	snprintf(state, len, "%s has %d VFs (it had %d)%s", pf->name, s.num < 0 ? 0 : s.num, had,
		 !changed || was < 0 ? ""
		 : rc == 0 ? (was ? "; sriov_drivers_autoprobe back to 1" : "; sriov_drivers_autoprobe back to 0")
			   : "; sriov_drivers_autoprobe could not be restored");
}

static int do_vfs(const struct pt_dev *pf)
{
	struct pt_sriov s;
	struct pt_sriov_step steps[3];
	char err[2048], pfof[PT_BDF_LEN + 8];
	int want, cap_total = -1;
	bool cap, autoprobe_changed = false;
	size_t nsteps;

	doc_begin(pf->name);
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

	/* From here on the host changes: one run at a time. */
	pt_txn_lock(false);
	pt_signals_catch();
	for (size_t k = 0; k < nsteps; k++) {
		int sig = pt_signal_caught(), rc;
		char state[256];

		if (sig) {
			undo_autoprobe(pf, s.num, s.autoprobe, autoprobe_changed, state, sizeof(state));
			pt_die(PT_EXIT_FAIL, "interrupted by %s: %s", pt_signal_name(sig), state);
		}
		rc = pt_sriov_write(pf->name, &steps[k]);
		if (rc == 0) {
			if (strcmp(steps[k].attr, "sriov_drivers_autoprobe") == 0)
				autoprobe_changed = steps[k].value != s.autoprobe;
			continue;
		}
		undo_autoprobe(pf, s.num, s.autoprobe, autoprobe_changed, state, sizeof(state));
		if (!pt_exists("/sys/bus/pci/devices/%s", pf->name))
			pt_die(PT_EXIT_FAIL, "%s vanished while its VFs were changed", pf->name);
		/* drivers/pci/iov.c sriov_numvfs_store: no driver, or one without sriov_configure */
		if (rc == -ENOENT && strcmp(steps[k].attr, "sriov_numvfs") == 0 && !pf->driver)
			pt_die(PT_EXIT_UNSUPPORTED, "%s: no driver is bound to the PF, and the kernel enables VFs through "
			    "it (it answered ENOENT); %s", pf->name, state);
		if (rc == -ENOENT && strcmp(steps[k].attr, "sriov_numvfs") == 0)
			pt_die(PT_EXIT_UNSUPPORTED, "%s: the PF's driver (%s) cannot enable VFs (the kernel answered "
			    "ENOENT); %s", pf->name, dash(pf->driver), state);
		pt_die(PT_EXIT_FAIL, "write %s %d: %s (/sys/bus/pci/devices/%s/%s); %s", steps[k].attr, steps[k].value,
		    strerror(-rc), pf->name, steps[k].attr, state);
	}
	if (!pt_dry_run && nsteps) {
		struct pt_sriov now;

		if (!pt_sriov_read(pf->name, &now))
			pt_die(PT_EXIT_FAIL, "%s vanished while its VFs were changed", pf->name);
		if (now.num != want) {
			if (pt_opts.json)
				pt_json_int(&doc, "vfs", now.num);
			pt_die(PT_EXIT_FAIL, "%s: the kernel enabled %d of %d VFs (dmesg says why)", pf->name, now.num, want);
		}
	}
	if (pt_opts.json) {
		pt_json_int(&doc, "before", s.num);
		pt_json_int(&doc, "vfs", want);
	} else if (nsteps) {
		printf("%s: %d -> %d VFs%s\n", pf->name, s.num, want, pt_dry_run ? " (dry run: nothing changed)" : "");
	} else {
		printf("%s already has %d VFs\n", pf->name, want);
	}
	if (opt_vfio) {
		int sig = pt_signal_caught();

		if (sig)
			pt_die(PT_EXIT_FAIL, "interrupted by %s: %s has %d VFs, none bound to vfio-pci", pt_signal_name(sig),
			    pf->name, want);
		if (pt_dry_run && nsteps)
			pt_dry_run_print("bind the %d new VFs of %s to vfio-pci once they exist\n", want, pf->name);
		else
			bind_vfs(pf);
	}
	doc_error(PT_EXIT_OK, NULL);
	return PT_EXIT_OK;
}

int main(int argc, const char **argv)
{
	char err[1024];
	const char **args;
	int rc;

	args = pt_options_parse(argc, argv, options, "DEVICE",
				"Split a PCI device into SR-IOV virtual functions (--vfs N), list physical\n"
				"functions and their VFs (--list), or say whether a device can be split on\n"
				"this host (--check). DEVICE is a PCI address.",
				NULL);
	pt_on_die(on_die);
	if (!!opt_vfs + !!opt_list + !!opt_check != 1)
		pt_die(PT_EXIT_USAGE, "give one of --vfs N, --list or --check; try '%s --help'", pt_progname);
	if (!opt_vfs && (opt_no_autoprobe || opt_vfio || opt_force))
		pt_die(PT_EXIT_USAGE, "--no-autoprobe, --vfio and --force go with --vfs only");
	if (!opt_list && (!args[0] || args[1]))
		pt_die(PT_EXIT_USAGE, "%s takes one DEVICE", opt_vfs ? "--vfs" : "--check");
	for (size_t i = 0; args[i]; i++)
		if (strcmp(args[i], "-") == 0)
			pt_die(PT_EXIT_USAGE, "DEVICE is a PCI address; - is not one");

	pt_host_scan(&host);
	pt_groups_build(&host, &groups, &ngroups);
	if (args[0]) {
		rc = pt_resolve_devices(&host, args, false, stdin, &devs, &ndevs, err, sizeof(err));
		if (rc != PT_EXIT_OK)
			pt_die(rc, "%s", err);
	}
	if (opt_list)
		return do_list();
	if (opt_check)
		return do_check(devs[0]);
	return do_vfs(devs[0]);
}

/* iommu-groups: list IOMMU groups, their devices, drivers, reset methods and
 * how well each device is isolated; check whether the host can assign
 * devices at all, and say why not. */
#include "bdf.h"
#include "classes.h"
#include "hostcheck.h"
#include "iommu.h"
#include "isolation.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *opt_class, *opt_vendor, *opt_group;
static int opt_bdf, opt_check;

static struct poptOption options[] = {
	{ "class", 'c', POPT_ARG_STRING, &opt_class, 0,
	  "only devices of CLASS: display, audio, storage, network, usb, bridge,\n"
	  "                           or a hex class code (03, 0302, 030000)", "CLASS" },
	{ "vendor", 'd', POPT_ARG_STRING, &opt_vendor, 0, "only devices whose vendor ID is VENDOR (hex, e.g. 10de)", "VENDOR" },
	{ "group", 'g', POPT_ARG_STRING, &opt_group, 0, "only IOMMU group N", "N" },
	{ "bdf", 'b', POPT_ARG_NONE, &opt_bdf, 0, "print only the matching devices' addresses, one per line", NULL },
	{ "check", '\0', POPT_ARG_NONE, &opt_check, 0, "check whether this host can assign devices to VMs", NULL },
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

struct filter {
	bool by_class, by_vendor, by_group;
	struct pt_class_filter class;
	unsigned vendor;
	int group;
	struct pt_bdf *devs;
	size_t ndevs;
};

/* Whether d, listed in group g, passes the filters. */
static bool matches(const struct filter *f, const struct pt_group *g, const struct pt_dev *d)
{
	if (f->by_class && !(d->class_known && pt_class_filter_match(&f->class, d->class, d->prog_if)))
		return false;
	if (f->by_vendor && !(d->ids_known && d->vendor == f->vendor))
		return false;
	if (f->by_group && g->number != f->group)
		return false;
	if (f->ndevs) {
		for (size_t i = 0; i < f->ndevs; i++)
			if (pt_bdf_cmp(&f->devs[i], &d->bdf) == 0)
				return true;
		return false;
	}
	return true;
}

/* Everything on the command line is checked before anything is printed. */
static void parse_filter(struct filter *f, const char **args)
{
	const char *err;
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	if (opt_class) {
		if ((err = pt_class_filter_parse(opt_class, &f->class)))
			pt_die(PT_EXIT_USAGE, "--class %s: %s", opt_class, err);
		f->by_class = true;
	}
	if (opt_vendor) {
		if ((err = pt_vendor_parse(opt_vendor, &f->vendor)))
			pt_die(PT_EXIT_USAGE, "--vendor %s: %s", opt_vendor, err);
		f->by_vendor = true;
	}
	if (opt_group) {
		char *end;
		long g;

		errno = 0;
		g = strtol(opt_group, &end, 10);
		if (errno || *end || end == opt_group || g < 0 || g > 0x7fffffff || opt_group[0] == '+' ||
		    opt_group[0] == ' ')
			pt_die(PT_EXIT_USAGE, "--group %s: not a group number", opt_group);
		f->group = (int)g;
		f->by_group = true;
	}
	while (args[n])
		n++;
	f->devs = pt_xcalloc(n, sizeof(*f->devs));
	for (size_t i = 0; i < n; i++) {
		if ((err = pt_bdf_parse(args[i], &f->devs[i])))
			pt_die(PT_EXIT_USAGE, "%s: %s", args[i], err);
	}
	f->ndevs = n;
}

static void json_checks(struct pt_json *j, const struct pt_findings *fx)
{
	pt_json_array_open(j, "checks");
	for (size_t i = 0; i < fx->n; i++) {
		pt_json_object_open(j, NULL);
		pt_json_string(j, "status", pt_status_name(fx->v[i].status));
		pt_json_string(j, "check", fx->v[i].check);
		pt_json_string(j, "message", fx->v[i].message);
		pt_json_object_close(j);
	}
	pt_json_array_close(j);
	pt_json_bool(j, "can_assign", fx->can_assign);
	pt_json_bool(j, "trustworthy", fx->trustworthy);
}

static void print_checks(const struct pt_findings *fx)
{
	for (size_t i = 0; i < fx->n; i++)
		printf("%-4s %s\n", pt_status_name(fx->v[i].status), fx->v[i].message);
}

static void hex_or_null(struct pt_json *j, const char *key, bool known, unsigned v, int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", width, v);
	pt_json_string(j, key, known ? buf : NULL);
}

static void json_device(struct pt_json *j, const struct pt_host *h, const struct pt_group *g, size_t i)
{
	const struct pt_dev *d = g->devs[i];
	char name[256];
	char *rm, *tok, *save;
	const struct pt_dev *up[PT_MAX_UPSTREAM];
	size_t nup;

	pt_json_object_open(j, NULL);
	pt_json_string(j, "bdf", d->name);
	hex_or_null(j, "class", d->class_known, d->class, 4);
	pt_json_string(j, "class_name", d->class_known ? pt_dev_class_name(h, d, name, sizeof(name)) : NULL);
	hex_or_null(j, "vendor", d->ids_known, d->vendor, 4);
	hex_or_null(j, "device", d->ids_known, d->device, 4);
	pt_json_string(j, "vendor_name", d->ids_known ? pt_dev_vendor_name(h, d, name, sizeof(name)) : NULL);
	pt_json_string(j, "device_name", d->ids_known ? pt_dev_device_name(h, d, name, sizeof(name)) : NULL);
	hex_or_null(j, "subsystem_vendor", d->subsys_vendor >= 0, (unsigned)d->subsys_vendor, 4);
	hex_or_null(j, "subsystem_device", d->subsys_device >= 0, (unsigned)d->subsys_device, 4);
	hex_or_null(j, "revision", d->config_ok, d->revision, 2);
	pt_json_string(j, "driver", d->driver);
	if (d->reset_methods && strcmp(d->reset_methods, "?") != 0) {
		pt_json_array_open(j, "reset_methods");
		rm = pt_xstrdup(d->reset_methods);
		for (tok = strtok_r(rm, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			pt_json_string(j, NULL, tok);
		free(rm);
		pt_json_array_close(j);
	} else {
		pt_json_null(j, "reset_methods");
	}
	pt_json_string(j, "slot", d->phys_slot);
	pt_json_array_open(j, "upstream");
	nup = pt_dev_upstream(h, d, up, PT_MAX_UPSTREAM);
	for (size_t u = 0; u < nup; u++)
		pt_json_string(j, NULL, up[u]->name);
	pt_json_array_close(j);
	pt_json_string(j, "verdict", pt_verdict_name(g->verdict[i]));
	pt_json_array_open(j, "shares_with");
	for (size_t k = 0; k < g->nshares[i]; k++)
		pt_json_string(j, NULL, g->shares[i][k]->name);
	pt_json_array_close(j);
	pt_json_string(j, "problem", d->problem);
	pt_json_object_close(j);
}

static void print_json(const struct pt_host *h, const struct pt_group *groups, size_t ng,
		       const struct pt_findings *fx, const struct filter *f)
{
	struct pt_json j;

	pt_json_init(&j, stdout);
	pt_json_object_open(&j, NULL);
	json_checks(&j, fx);
	if (ng && groups[0].computed)
		pt_json_bool(&j, "computed", true);
	pt_json_array_open(&j, "groups");
	for (size_t g = 0; g < ng; g++) {
		bool open = false;

		for (size_t i = 0; i < groups[g].ndevs; i++) {
			if (!matches(f, &groups[g], groups[g].devs[i]))
				continue;
			if (!open) {
				pt_json_object_open(&j, NULL);
				if (groups[g].number >= 0)
					pt_json_int(&j, "group", groups[g].number);
				else
					pt_json_null(&j, "group");
				pt_json_string(&j, "type", groups[g].type[0] ? groups[g].type : NULL);
				pt_json_array_open(&j, "devices");
				open = true;
			}
			json_device(&j, h, &groups[g], i);
		}
		if (open) {
			pt_json_array_close(&j);
			pt_json_object_close(&j);
		}
	}
	pt_json_array_close(&j);
	pt_json_object_close(&j);
	pt_json_finish(&j);
}

struct row {
	char grp[16], cls[8], id[16], reset[128], verdict[48], sub[16], up[256];
	char cname[128], vname[128], dname[256], desc[600];
	const char *cells[11];
};

static void format_row(struct row *r, const struct pt_host *h, const struct pt_group *g, size_t i,
		       const struct pt_findings *fx)
{
	const struct pt_dev *d = g->devs[i];
	const char *cn, *vn, *dn;
	size_t c = 0;

	if (g->number >= 0)
		snprintf(r->grp, sizeof(r->grp), "%d", g->number);
	else
		strcpy(r->grp, "-");
	snprintf(r->cls, sizeof(r->cls), d->class_known ? "%04x" : "?", d->class);
	if (d->ids_known)
		snprintf(r->id, sizeof(r->id), "%04x:%04x", d->vendor, d->device);
	else
		strcpy(r->id, "?");
	snprintf(r->reset, sizeof(r->reset), "%s", d->reset_methods ? d->reset_methods : "-");
	for (char *p = r->reset; *p; p++)
		if (*p == ' ')
			*p = ',';
	if (!r->reset[0])
		strcpy(r->reset, "none");
	snprintf(r->verdict, sizeof(r->verdict), "%s%s", pt_verdict_name(g->verdict[i]),
		 fx->trustworthy ? "" : "(untrusted)");
	cn = d->class_known ? pt_dev_class_name(h, d, r->cname, sizeof(r->cname)) : NULL;
	vn = d->ids_known ? pt_dev_vendor_name(h, d, r->vname, sizeof(r->vname)) : NULL;
	dn = d->ids_known ? pt_dev_device_name(h, d, r->dname, sizeof(r->dname)) : NULL;
	/* unknown names read as lspci prints them: "Device 73a6" */
	if (!cn && d->class_known)
		snprintf(r->cname, sizeof(r->cname), "Class %04x", d->class);
	if (!vn && d->ids_known)
		snprintf(r->vname, sizeof(r->vname), "Vendor %04x", d->vendor);
	if (!dn && d->ids_known)
		snprintf(r->dname, sizeof(r->dname), "Device %04x", d->device);
	snprintf(r->desc, sizeof(r->desc), "%s: %s %s%s", cn ? cn : d->class_known ? r->cname : "Class ?",
		 vn ? vn : d->ids_known ? r->vname : "Vendor ?", dn ? dn : d->ids_known ? r->dname : "Device ?",
		 d->problem ? " (!)" : "");
	r->cells[c++] = r->grp;
	r->cells[c++] = d->name;
	r->cells[c++] = r->cls;
	r->cells[c++] = r->id;
	r->cells[c++] = d->driver;
	r->cells[c++] = r->reset;
	r->cells[c++] = r->verdict;
	if (pt_verbose) {
		const struct pt_dev *up[PT_MAX_UPSTREAM];
		size_t nup = pt_dev_upstream(h, d, up, PT_MAX_UPSTREAM);

		r->up[0] = '\0';
		for (size_t u = 0; u < nup; u++) {
			size_t l = strlen(r->up);

			snprintf(r->up + l, sizeof(r->up) - l, "%s%s", u ? "," : "", up[u]->name);
		}
		if (d->subsys_vendor >= 0)
			snprintf(r->sub, sizeof(r->sub), "%04x:%04x", (unsigned)d->subsys_vendor,
				 (unsigned)d->subsys_device);
		r->cells[c++] = d->subsys_vendor >= 0 ? r->sub : NULL;
		r->cells[c++] = d->phys_slot;
		r->cells[c++] = r->up[0] ? r->up : NULL;
	}
	r->cells[c++] = r->desc;
}

static void print_table(const struct pt_host *h, const struct pt_group *groups, size_t ng,
			const struct pt_findings *fx, const struct filter *f)
{
	static const char *const head[] = { "GROUP", "BDF", "CLASS", "ID", "DRIVER", "RESET",
					    "VERDICT", "SUBSYSTEM", "PSLOT", "UPSTREAM", "DEVICE" };
	static const char *const head_short[] = { "GROUP", "BDF", "CLASS", "ID", "DRIVER", "RESET",
						  "VERDICT", "DEVICE" };
	struct pt_table t;
	struct row *r = pt_xmalloc(sizeof(*r));

	if (ng && groups[0].computed)
		printf("note: groups computed from config space as Linux would form them (numbers are not the "
		       "kernel's): no IOMMU groups on this host\n");
	/* Two passes: measure every row, then print; no row is kept. */
	if (pt_verbose)
		pt_table_init(&t, 11, head);
	else
		pt_table_init(&t, 8, head_short);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && t.rows)
			pt_table_print_row(&t, t.headers, stdout);
		for (size_t g = 0; g < ng; g++)
			for (size_t i = 0; i < groups[g].ndevs; i++) {
				if (!matches(f, &groups[g], groups[g].devs[i]))
					continue;
				format_row(r, h, &groups[g], i, fx);
				if (pass == 0)
					pt_table_measure(&t, r->cells);
				else
					pt_table_print_row(&t, r->cells, stdout);
			}
	}
	free(r);

	/* Notes: groups that mix unrelated endpoints, and broken sysfs values. */
	for (size_t g = 0; g < ng; g++) {
		bool shown = false, mixed = false;

		for (size_t i = 0; i < groups[g].ndevs; i++) {
			if (!matches(f, &groups[g], groups[g].devs[i]))
				continue;
			shown = true;
			if (groups[g].verdict[i] == PT_VERDICT_SHARED || groups[g].verdict[i] == PT_VERDICT_PLATFORM)
				mixed = true;
		}
		if (!shown || !mixed)
			continue;
		printf("note: group %d mixes unrelated endpoints:", groups[g].number);
		for (size_t i = 0, k = 0; i < groups[g].ndevs; i++)
			if (groups[g].verdict[i] != PT_VERDICT_BRIDGE)
				printf("%s %s", k++ ? "," : "", groups[g].devs[i]->name);
		printf("; VFIO assigns the group whole, so all of them go to one guest or none\n");
	}
	/* a bridge on a driver that keeps DMA: the kernel refuses the group to VFIO */
	for (size_t g = 0; g < ng; g++) {
		const struct pt_dev *stuck = NULL;
		bool shown = false, endpoints = false;

		for (size_t i = 0; i < groups[g].ndevs; i++) {
			const struct pt_dev *d = groups[g].devs[i];

			shown |= matches(f, &groups[g], d);
			if (!pt_dev_is_bridge(d))
				endpoints = true;
			else if (!pt_driver_manages_dma(d->driver) && !stuck)
				stuck = d;
		}
		if (shown && endpoints && stuck)
			printf("note: group %d cannot go to VFIO while %s is on %s, which keeps its DMA: the "
			       "kernel calls the group not viable\n", groups[g].number, stuck->name, stuck->driver);
	}
	/* platform functions and VMD domains: why they are not for a guest */
	for (size_t g = 0; g < ng; g++)
		for (size_t i = 0; i < groups[g].ndevs; i++) {
			const struct pt_dev *d = groups[g].devs[i], *owner;

			if (!matches(f, &groups[g], d))
				continue;
			if (groups[g].verdict[i] == PT_VERDICT_PLATFORM)
				printf("note: %s is a platform function (%s): the host's %s hang off it; vfio-bind "
				       "takes it only with --force\n", d->name, pt_dev_platform_kind(d),
				       pt_dev_platform_duty(d));
			else if ((owner = pt_dev_domain_owner(h, d)) != NULL && !pt_dev_is_bridge(d))
				printf("note: %s is behind Intel VMD %s: its DMA is the VMD's, so it cannot be "
				       "assigned; turn VMD off in the firmware setup to assign it\n", d->name,
				       owner->name);
		}
	for (size_t g = 0; g < ng; g++)
		for (size_t i = 0; i < groups[g].ndevs; i++)
			if (groups[g].devs[i]->problem && matches(f, &groups[g], groups[g].devs[i]))
				printf("note: %s (!): %s\n", groups[g].devs[i]->name, groups[g].devs[i]->problem);
	for (size_t g = 0; g < ng; g++)
		if (groups[g].type_garbled && (!f->by_group || f->group == groups[g].number))
			printf("note: group %d: unreadable type attribute\n", groups[g].number);
}

/* The host model lives for the whole run (see vfio-bind.c). */
static struct pt_host host;
static struct pt_group *groups;
static struct pt_findings fx;
static struct filter f;

int main(int argc, const char **argv)
{
	size_t ng;
	int rc = PT_EXIT_OK;
	bool computed = false;
	const char **args;

	pt_man_section = "1";
	pt_option_describe("verbose", "also show subsystem IDs, physical slot and upstream bridges");
	args = pt_options_parse(argc, argv, options, "[DEVICE...]",
				"List IOMMU groups with their devices, drivers, reset methods and how well\n"
				"each device is isolated. DEVICE is a PCI address (0000:01:00.0 or 01:00.0).",
				NULL);
	parse_filter(&f, args);

	pt_host_scan(&host);
	for (size_t i = 0; i < f.ndevs; i++)
		if (!pt_host_find(&host, &f.devs[i])) {
			char b[PT_BDF_LEN];
			pt_die(PT_EXIT_FAIL, "%s: no such PCI device", pt_bdf_format(&f.devs[i], b));
		}
	pt_groups_build(&host, &groups, &ng);
	pt_host_check(&fx, &host, groups, ng);

	/* No IOMMU groups (IOMMU off, or a Xen dom0, where Xen owns the
	 * IOMMU): list the groups Linux would form instead. */
	if (fx.ngroups == 0 && !opt_check) {
		size_t unknown;

		pt_groups_free(groups, ng);
		unknown = pt_groups_compute(&host, &groups, &ng);
		computed = true;
		if (unknown)
			pt_warn("config space of %zu device%s cannot be read past the header (root can read it): "
				"%s computed as conventional PCI without ACS, in groups perhaps larger than the kernel's",
				unknown, unknown == 1 ? "" : "s", unknown == 1 ? "it is" : "they are");
	}

	if (f.by_group && ((fx.ngroups > 0 && !pt_exists("/sys/kernel/iommu_groups/%d", f.group)) ||
			   (computed && !pt_group_find(groups, ng, f.group))))
		pt_die(PT_EXIT_FAIL, "no IOMMU group %d%s", f.group, computed ? " among the computed groups" : "");

	if (opt_check) {
		if (pt_opts.json) {
			struct pt_json j;
			pt_json_init(&j, stdout);
			pt_json_object_open(&j, NULL);
			json_checks(&j, &fx);
			pt_json_object_close(&j);
			pt_json_finish(&j);
		} else {
			print_checks(&fx);
		}
		rc = fx.can_assign ? PT_EXIT_OK : PT_EXIT_UNSUPPORTED;
	} else if (opt_bdf) {
		for (size_t g = 0; g < ng; g++)
			for (size_t i = 0; i < groups[g].ndevs; i++)
				if (matches(&f, &groups[g], groups[g].devs[i]))
					puts(groups[g].devs[i]->name);
	} else if (pt_opts.json) {
		print_json(&host, groups, ng, &fx, &f);
	} else {
		print_checks(&fx);
		putchar('\n');
		print_table(&host, groups, ng, &fx, &f);
	}
	/* the listing is a forecast: this host cannot assign devices yet */
	if (computed && !fx.can_assign) {
		pt_warn("no IOMMU groups on this host: the groups listed are computed; %s",
			opt_bdf || pt_opts.json ? "run iommu-groups --check for the diagnosis" : "the diagnosis is above");
		rc = PT_EXIT_UNSUPPORTED;
	}

	return rc; /* pt_options_parse checks standard output at exit */
}

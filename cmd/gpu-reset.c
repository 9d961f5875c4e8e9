/* gpu-reset: which resets a device has, what they take with them; do one
 * and prove the device came back. */
#include "devargs.h"
#include "hostuse.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "reset.h"
#include "signals.h"
#include "sysfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int opt_info, opt_slot, opt_raw, opt_force;
static char *opt_method;

static struct poptOption options[] = {
	{ "info", 'i', POPT_ARG_NONE, &opt_info, 0, "report the resets each DEVICE has; change nothing", NULL },
	{ "method", 'm', POPT_ARG_STRING, &opt_method, 0,
	  "reset with METHOD: flr, af_flr, pm, bus, acpi, device_specific or cxl_bus", "METHOD" },
	{ "slot", 's', POPT_ARG_NONE, &opt_slot, 0,
	  "reset every function of the slot together, the kernel's way (bus reset below its port)", NULL },
	{ "raw-sbr", '\0', POPT_ARG_NONE, &opt_raw, 0,
	  "last resort: a secondary bus reset by hand, config space saved and restored", NULL },
	{ "force", 'f', POPT_ARG_NONE, &opt_force, 0,
	  "reset even when other devices or a running VM would feel it", NULL },
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

static struct pt_host host;
static struct pt_dev **devs;

/* -J: one document on stdout on every path. Opened at the first entry
 * or at the end, whichever comes first; doc_end() closes it with the
 * error (or null). */
static struct pt_json doc;
static bool doc_open;

static void doc_begin(void)
{
	if (!pt_opts.json || doc_open)
		return;
	pt_json_init(&doc, stdout);
	pt_json_object_open(&doc, NULL);
	if (!opt_info)
		pt_json_bool(&doc, "dry_run", pt_dry_run);
	pt_json_array_open(&doc, opt_info ? "devices" : "resets");
	doc_open = true;
}

static void doc_end(int code, const char *msg, int sig)
{
	static bool done;

	if (!pt_opts.json || done)
		return;
	done = true;
	doc_begin();
	pt_json_array_close(&doc);
	if (code == PT_EXIT_OK) {
		pt_json_null(&doc, "error");
	} else {
		pt_json_object_open(&doc, "error");
		pt_json_int(&doc, "exit", code);
		pt_json_string(&doc, "message", msg);
		pt_json_string(&doc, "signal", sig ? pt_signal_name(sig) : NULL);
		pt_json_object_close(&doc);
	}
	pt_json_object_close(&doc);
	pt_json_finish(&doc);
	fflush(stdout);
}

/* pt_die's hook: the JSON document closed with the error first. */
static void on_die(int code, const char *msg)
{
	doc_end(code, msg, pt_signal_caught());
}

static const char *yesno(bool b) { return b ? "yes" : "no"; }

static void info_text(const struct pt_dev *d, const struct pt_reset_info *ri)
{
	printf("%s\n", d->name);
	if (ri->gone) {
		printf("  gone:             config space reads all ones; the device fell off the bus (a failed reset?)\n"
		       "  verdict:          gone\n");
		return;
	}
	printf("  kernel methods:   %s\n", !ri->has_reset_method ? "(no reset_method: kernel before 5.15)"
		: ri->methods[0] ? ri->methods : "none");
	printf("  config space:     FLR %s, AF FLR %s, PM reset %s\n", yesno(ri->flr),
	       ri->af ? yesno(ri->af_flr) : "no (no AF capability)",
	       !ri->pm ? "no (no PM capability)" : ri->no_soft_reset ? "no (No_Soft_Reset: D3hot keeps state)" : "yes");
	if (ri->bridge && ri->nbelow == 0) {
		printf("  bus reset:        via %s, which resets nothing else\n", ri->bridge->name);
	} else if (ri->bridge) {
		printf("  bus reset:        via %s, also resets %zu other device%s", ri->bridge->name, ri->nbelow,
		       ri->nbelow == 1 ? "" : "s");
		for (size_t i = 0; i < ri->nbelow; i++)
			printf("%s %s (%s)", i ? "," : ":", ri->below[i]->name,
			       ri->below[i]->driver ? ri->below[i]->driver : "no driver");
		putchar('\n');
	} else {
		printf("  bus reset:        no (on a root bus, no bridge above)\n");
	}
	if (ri->bridge)
		printf("  --slot:           %s%s\n  --raw-sbr:        %s\n",
		       ri->bus_way == PT_BUS_METHOD ? "the kernel's bus reset (reset_method bus)"
		       : ri->bus_way == PT_BUS_SUBORDINATE ? "the kernel's bus reset (reset_subordinate of the bridge)"
		       : ri->bus_way == PT_BUS_VFIO ? "the kernel's bus reset (VFIO hot reset)"
		       : "no kernel way (\"bus\" in reset_method only for a function alone on its bus, "
			 "reset_subordinate from Linux 6.12, VFIO hot reset with every function on vfio-pci)",
		       "", ri->hotplug_port ? "refused: the bridge is a hot-plug port (pciehp would see a surprise removal)"
		       : "possible (last resort: Bridge Control bit 6 by hand)");
	if (ri->quirk) {
		const char *r = ri->quirk->remedy;
		bool module = r && strcmp(r, "vendor-reset") == 0;

		printf("  known trouble:    %s: %s%s%s%s\n", ri->quirk->family, ri->quirk->problem,
		       r ? "; remedy: " : "; no known fix", r ? r : "",
		       !module ? "" : !ri->vendor_reset_loaded ? " (not loaded)"
		       : pt_reset_offers(ri, "device_specific") ? " (loaded and active: device_specific offered)"
							      : " (loaded, but not active for this device)");
	}
	printf("  verdict:          %s\n", pt_reset_verdict_name(ri->verdict));
}

static void info_json(struct pt_json *j, const struct pt_dev *d, const struct pt_reset_info *ri)
{
	pt_json_object_open(j, NULL);
	pt_json_string(j, "bdf", d->name);
	pt_json_bool(j, "gone", ri->gone);
	if (ri->has_reset_method) {
		char buf[128], *tok, *save;

		pt_json_array_open(j, "kernel_methods");
		snprintf(buf, sizeof(buf), "%s", ri->methods);
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			pt_json_string(j, NULL, tok);
		pt_json_array_close(j);
	} else {
		pt_json_null(j, "kernel_methods");
	}
	pt_json_bool(j, "flr", ri->flr);
	pt_json_bool(j, "af_flr", ri->af_flr);
	pt_json_bool(j, "pm", ri->pm);
	pt_json_bool(j, "no_soft_reset", ri->no_soft_reset);
	pt_json_string(j, "bus_reset_bridge", ri->bridge ? ri->bridge->name : NULL);
	pt_json_string(j, "slot_way", ri->bridge && ri->bus_way != PT_BUS_NONE ? pt_bus_way_name(ri->bus_way) : NULL);
	pt_json_bool(j, "hotplug_port", ri->hotplug_port);
	pt_json_array_open(j, "bus_reset_also");
	for (size_t i = 0; i < ri->nbelow; i++) {
		pt_json_object_open(j, NULL);
		pt_json_string(j, "bdf", ri->below[i]->name);
		pt_json_string(j, "driver", ri->below[i]->driver);
		pt_json_object_close(j);
	}
	pt_json_array_close(j);
	if (ri->quirk) {
		pt_json_object_open(j, "known_trouble");
		pt_json_string(j, "family", ri->quirk->family);
		pt_json_string(j, "problem", ri->quirk->problem);
		pt_json_string(j, "remedy", ri->quirk->remedy);
		pt_json_bool(j, "vendor_reset_loaded", ri->vendor_reset_loaded);
		pt_json_bool(j, "device_specific_offered", pt_reset_offers(ri, "device_specific"));
		pt_json_object_close(j);
	} else {
		pt_json_null(j, "known_trouble");
	}
	pt_json_string(j, "verdict", pt_reset_verdict_name(ri->verdict));
	pt_json_object_close(j);
}

/* Others a reset would hit that still serve the host. */
static int hit_others(const struct pt_reset_info *ri, bool slot, const char *method, char *why, size_t len)
{
	size_t n = 0;

	why[0] = '\0';
	if (!slot && !(method && strcmp(method, "bus") == 0))
		return 0;
	for (size_t i = 0; i < ri->nbelow; i++) {
		const struct pt_dev *x = ri->below[i];
		size_t l = strlen(why);

		if (!x->driver || strcmp(x->driver, "vfio-pci") == 0 || strcmp(x->driver, "pci-stub") == 0)
			continue;
		snprintf(why + l, len - l, "%s%s (%s)", n++ ? ", " : "", x->name, x->driver);
	}
	return (int)n;
}

/* Everything a reset of d takes along: the device, with a bus reset every
 * function below the bridge, and the VFs of each PF among them. */
static size_t reset_scope(const struct pt_dev *d, const struct pt_reset_info *ri, bool bus,
			  const struct pt_dev **out, size_t max)
{
	size_t n = 0;

	out[n++] = d;
	for (size_t i = 0; bus && i < ri->nbelow && n < max; i++)
		out[n++] = ri->below[i];
	for (size_t i = 0, m = n; i < m; i++)
		for (size_t k = 0; k < host.ndevs && n < max; k++) {
			char link[PT_BDF_LEN + 8];
			const struct pt_dev *vf = &host.devs[k];

			if (pt_read_link_name(link, sizeof(link), "/sys/bus/pci/devices/%s/physfn", vf->name) > 0 &&
			    strcmp(link, out[i]->name) == 0)
				out[n++] = vf;
		}
	return n;
}

/* Every refusal, before anything is reset: the device itself, what the
 * reset takes along, the host's use of any of it, a running VM. */
static void check_reset(const struct pt_dev *d, const struct pt_reset_info *ri)
{
	char why[2048];
	bool bus = opt_slot || (opt_method && strcmp(opt_method, "bus") == 0);
	const struct pt_dev *scope[128];
	size_t ns;

	if (ri->gone && !opt_slot)
		pt_die(PT_EXIT_FAIL, "%s: config space reads all ones; the device is gone (a --slot bus "
		       "reset may bring it back)", d->name);
	if (opt_method && !ri->has_reset_method)
		pt_die(PT_EXIT_UNSUPPORTED, "%s: this kernel cannot choose a reset method (reset_method "
		       "came with Linux 5.15); try without --method", d->name);
	if (opt_method && !pt_reset_offers(ri, opt_method))
		pt_die(PT_EXIT_UNSUPPORTED, "%s does not offer %s reset (the kernel offers: %s)", d->name,
		       opt_method, ri->methods[0] ? ri->methods : "none");
	if (!opt_slot && !opt_method && ri->has_reset_method && !ri->methods[0])
		pt_die(PT_EXIT_UNSUPPORTED, "%s has no reset method%s", d->name,
		       ri->bridge ? "; --slot resets it with its slot below its port" : "");
	if (!opt_slot && !ri->has_reset_method && !ri->has_reset)
		pt_die(PT_EXIT_UNSUPPORTED, "%s cannot be reset by the kernel (no reset attribute)", d->name);
	if (opt_slot && !ri->bridge)
		pt_die(PT_EXIT_UNSUPPORTED, "%s is on a root bus: there is no bridge to reset it with --slot", d->name);
	if (opt_raw && ri->hotplug_port && !opt_force)
		pt_die(PT_EXIT_REFUSED, "%s is a hot-plug capable port: pciehp would take a secondary bus reset "
		    "by hand for a surprise removal; --slot resets it the kernel's way, --force by hand anyway",
		    ri->bridge->name);
	if (opt_slot && !ri->below_same_slot && !opt_force)
		pt_die(PT_EXIT_REFUSED, "a bus reset below %s also resets devices outside this slot; --force "
		       "resets them too", ri->bridge->name);
	if (opt_slot && d->driver && strcmp(d->driver, "vfio-pci") != 0 && strcmp(d->driver, "pci-stub") != 0 &&
	    !opt_force)
		pt_die(PT_EXIT_REFUSED, "%s is on %s, which would not know its device was reset under it; "
		       "vfio-bind it first, or --force", d->name, d->driver);
	if (hit_others(ri, opt_slot, opt_method, why, sizeof(why)) && !opt_force)
		pt_die(PT_EXIT_REFUSED, "this reset would also hit %s, still on host drivers; --force resets "
		       "them anyway", why);
	if (opt_slot && !opt_raw && ri->bus_way == PT_BUS_NONE)
		pt_die(PT_EXIT_UNSUPPORTED, "%s: the kernel has no way to reset the bus below %s (\"bus\" in "
		    "reset_method only for a function alone on its bus, reset_subordinate from Linux 6.12, "
		    "a VFIO hot reset with every function below on vfio-pci); --raw-sbr resets it by hand, "
		    "as a last resort", d->name, ri->bridge->name);
	ns = reset_scope(d, ri, bus, scope, 128);
	for (size_t i = 0; i < ns; i++) {
		const struct pt_dev *x = scope[i];

		if (pt_dev_host_use(&host, x, PT_OP_RESET, why, sizeof(why)) != PT_USE_NONE) {
			if (!opt_force)
				pt_die(PT_EXIT_REFUSED, "%s%s; --force resets it anyway", x == d ? "" : "the reset "
				       "takes this along: ", why);
			pt_warn("warning: %s (--force given)", why);
		}
		if (pt_dev_vm_users(x, why, sizeof(why)) > 0 && !opt_force)
			pt_die(PT_EXIT_REFUSED, "%s is held by a running VM: %s; --force resets it anyway", x->name, why);
	}
}

static enum pt_bus_way used_way;

static const char *way_name(const struct pt_reset_info *ri)
{
	(void)ri;
	if (opt_raw)
		return "secondary bus reset by hand";
	if (opt_slot)
		return pt_bus_way_name(used_way);
	return opt_method ? "reset_method" : "the kernel's first method";
}

static void entry_json(const struct pt_dev *d, const struct pt_reset_info *ri, long usec, int came_back,
		       const char *problem)
{
	if (!pt_opts.json)
		return;
	doc_begin();
	pt_json_object_open(&doc, NULL);
	pt_json_string(&doc, "bdf", d->name);
	pt_json_string(&doc, "method", opt_raw ? "raw-sbr" : opt_slot ? "slot" : opt_method);
	pt_json_string(&doc, "way", way_name(ri));
	pt_json_array_open(&doc, "also");
	for (size_t i = 0; opt_slot && i < ri->nbelow; i++)
		pt_json_string(&doc, NULL, ri->below[i]->name);
	pt_json_array_close(&doc);
	pt_json_int(&doc, "usec", pt_dry_run ? 0 : usec);
	if (came_back < 0)
		pt_json_null(&doc, "came_back");
	else
		pt_json_bool(&doc, "came_back", came_back);
	pt_json_string(&doc, "problem", problem);
	pt_json_object_close(&doc);
}

/* Reset one device that check_reset() passed. Returns 0, or an exit code
 * with the reason in err; *state says in words what the functions are left
 * like (for an interrupted run's message). */
static int reset_one(struct pt_dev *d, const struct pt_reset_info *ri, char *err, size_t errlen,
		     char *state, size_t statelen)
{
	struct pt_reset_snapshot before, after;
	char why[1024];
	const char *diff;
	long usec = 0;
	int rc;
	bool restored = true;
	size_t nv = opt_slot ? ri->nbelow + 1 : 1;
	struct pt_reset_snapshot *snaps = pt_xcalloc(nv, sizeof(*snaps));

	err[0] = state[0] = '\0';
	for (size_t i = 0; i < nv; i++)
		pt_reset_snapshot(i == 0 ? d : ri->below[i - 1], &snaps[i]);
	used_way = ri->bus_way;
	if (opt_raw)
		rc = pt_reset_raw_sbr(&host, d, ri, &usec, &restored, err, errlen);
	else if (opt_slot)
		rc = pt_reset_bus(&host, d, ri, &used_way, &usec, err, errlen);
	else
		rc = pt_reset_kernel(d, ri, opt_method, &usec, err, errlen);
	if (opt_raw)
		snprintf(state, statelen, restored ? "the secondary bus reset below %s is over (Secondary Bus "
			 "Reset clear) and every function's config space was written back"
			 : "the config space of the functions below %s was not all written back", ri->bridge->name);
	else
		snprintf(state, statelen, "the kernel's reset of %s is over (the kernel restored its state%s)",
			 d->name, opt_method ? "; reset_method is as before" : "");
	if (rc < 0) {
		entry_json(d, ri, usec, -1, err);
		free(snaps);
		return rc == -ENOTTY || rc == -EOPNOTSUPP ? PT_EXIT_UNSUPPORTED : PT_EXIT_FAIL;
	}
	if (pt_dry_run) {
		entry_json(d, ri, usec, -1, NULL);
		free(snaps);
		return PT_EXIT_OK;
	}
	/* every function a reset touched must answer as before */
	diff = NULL;
	for (size_t i = 0; i < nv && !diff; i++) {
		const struct pt_dev *x = i == 0 ? d : ri->below[i - 1];

		pt_reset_snapshot(x, &after);
		before = snaps[i];
		if ((diff = pt_reset_compare(&before, &after, why, sizeof(why))) && i > 0) {
			char tmp[1024];
			snprintf(tmp, sizeof(tmp), "%s: %.900s", x->name, why);
			snprintf(why, sizeof(why), "%s", tmp);
		}
	}
	free(snaps);
	entry_json(d, ri, usec, diff == NULL, diff);
	if (!pt_opts.json && !diff)
		printf("%s reset (%s%s%s) in %ld.%03ld ms; it answers with the same IDs, BARs and command register\n",
		       d->name, opt_raw ? "raw-sbr" : opt_slot ? "slot" : opt_method ? opt_method : "",
		       opt_slot ? ": " : "", opt_slot || !opt_method ? way_name(ri) : "", usec / 1000, usec % 1000);
	if (diff) {
		snprintf(err, errlen, "%s did not come back as it was: %s", d->name, diff);
		return PT_EXIT_FAIL;
	}
	return PT_EXIT_OK;
}

int main(int argc, const char **argv)
{
	size_t n = 0;
	char err[1024], state[512];
	int rc;
	const char **args;
	long holder = 0;
	struct pt_reset_info *infos;

	args = pt_options_parse(argc, argv, options, "DEVICE...",
				"Report which resets a PCI device supports and what each would also reset\n"
				"(--info), or reset it through the kernel and check that it came back.\n"
				"DEVICE is a PCI address or a vendor:device ID.",
				NULL);
	pt_on_die(on_die);
	if (!args[0])
		pt_die(PT_EXIT_USAGE, "no DEVICE given; try '%s --help'", pt_progname);
	if (opt_method) {
		/* one word the kernel knows (the list lives with pt_reset_methods_valid) */
		if (!*opt_method || strchr(opt_method, ' ') || !pt_reset_methods_valid(opt_method))
			pt_die(PT_EXIT_USAGE, "--method %s: not a reset method (flr, af_flr, pm, bus, acpi, "
			    "device_specific, cxl_bus)", opt_method);
	}
	if (opt_info && (opt_method || opt_slot || opt_raw))
		pt_die(PT_EXIT_USAGE, "--info changes nothing; it takes no --method, --slot or --raw-sbr");
	if ((opt_slot || opt_raw) && opt_method)
		pt_die(PT_EXIT_USAGE, "--%s is a bus reset of its own; it takes no --method", opt_raw ? "raw-sbr" : "slot");
	if (opt_raw && opt_slot)
		pt_die(PT_EXIT_USAGE, "--slot resets the kernel's way, --raw-sbr by hand: give one");
	if (opt_raw)
		opt_slot = 1; /* the same scope: everything below the bridge */

	pt_host_scan(&host);
	rc = pt_resolve_devices(&host, args, true, stdin, &devs, &n, err, sizeof(err));
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);

	if (opt_info) {
		for (size_t i = 0; i < n; i++) {
			struct pt_reset_info ri;

			pt_reset_inspect(&host, devs[i], &ri);
			if (pt_opts.json) {
				doc_begin();
				info_json(&doc, devs[i], &ri);
			} else {
				info_text(devs[i], &ri);
			}
		}
		doc_end(PT_EXIT_OK, NULL, 0);
		return PT_EXIT_OK;
	}

	infos = pt_xcalloc(n, sizeof(*infos));
	/* every device and everything its reset takes along is checked before the first reset */
	for (size_t i = 0; i < n; i++) {
		pt_reset_inspect(&host, devs[i], &infos[i]);
		check_reset(devs[i], &infos[i]);
	}

	rc = pt_lock_host(10, &holder);
	if (rc == -EWOULDBLOCK)
		pt_die(PT_EXIT_FAIL, "another run (pid %ld) is changing devices; try again when it is done", holder);
	if (rc < 0)
		pt_die(PT_EXIT_FAIL, "cannot lock /run/passthru-utils/lock: %s", strerror(-rc));
	/* from before the first write: a signal is recorded, the reset and
	 * its restore finish, then the run ends */
	pt_signals_catch();
	rc = PT_EXIT_OK;
	for (size_t i = 0; i < n && rc == PT_EXIT_OK; i++) {
		int sig = pt_signal_caught();

		if (sig) {
			if (i == 0)
				pt_die(PT_EXIT_FAIL, "interrupted by %s before the first reset: nothing was changed",
				    pt_signal_name(sig));
			pt_die(PT_EXIT_FAIL, "interrupted by %s: %zu device%s reset as reported, %s and the rest "
			    "not reset", pt_signal_name(sig), i, i == 1 ? "" : "s", devs[i]->name);
		}
		rc = reset_one(devs[i], &infos[i], err, sizeof(err), state, sizeof(state));
		if ((sig = pt_signal_caught())) {
			char more[256] = "";

			if (i + 1 < n)
				snprintf(more, sizeof(more), "; not reset: %s%s", devs[i + 1]->name,
					 i + 2 < n ? " and the rest" : "");
			pt_die(PT_EXIT_FAIL, "interrupted by %s during the reset of %s: %s%s%s%s", pt_signal_name(sig),
			    devs[i]->name, state, rc != PT_EXIT_OK ? "; the reset itself failed: " : "",
			    rc != PT_EXIT_OK ? err : "", more);
		}
	}
	free(infos);
	if (rc != PT_EXIT_OK)
		pt_die(rc, "%s", err);
	doc_end(PT_EXIT_OK, NULL, 0);
	return PT_EXIT_OK;
}

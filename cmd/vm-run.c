/* vm-run: build a QEMU command line for a VM with passed-through devices,
 * check the host first, and exec QEMU (or print the line, or the same VM
 * as a libvirt domain); with --managed, bind the devices for the VM's
 * lifetime and give them back when QEMU exits. */
#define _GNU_SOURCE
#include "devargs.h"
#include "handover.h"
#include "firmware.h"
#include "hostcheck.h"
#include "iommu.h"
#include "libvirt.h"
#include "xl.h"
#include "xen.h"
#include "mdev.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "preflight.h"
#include "signals.h"
#include "sysfs.h"
#include "vfio.h"
#include "vmspec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
	OPT_DEVICE = 1, OPT_GPU, OPT_ROMFILE, OPT_PRIMARY, OPT_MDEV,
};

static char vm_uuid[PT_UUID_LEN];
static char *opt_uuid, *opt_mem, *opt_cpus, *opt_hugepages, *opt_cdrom, *opt_name, *opt_qmp, *opt_display, *opt_accel,
	*opt_qemu, *opt_profile, *opt_emit, *opt_kernel, *opt_initrd, *opt_append;
static int opt_uefi, opt_secure, opt_check, opt_managed, opt_memlock;

static struct poptOption options[] = {
	{ "device", 'd', POPT_ARG_STRING, NULL, OPT_DEVICE,
	  "pass a PCI device (repeatable; - reads addresses from standard input)", "BDF" },
	{ "gpu", 'g', POPT_ARG_STRING, NULL, OPT_GPU,
	  "pass a GPU with its card's other functions, at one guest slot", "BDF" },
	{ "romfile", '\0', POPT_ARG_STRING, NULL, OPT_ROMFILE, "the option ROM for the last --gpu", "FILE" },
	{ "primary", '\0', POPT_ARG_NONE, NULL, OPT_PRIMARY,
	  "the last --gpu is the guest's primary VGA (x-vga; legacy BIOS guests)", NULL },
	{ "mdev", '\0', POPT_ARG_STRING, NULL, OPT_MDEV, "pass a mediated device (repeatable)", "UUID" },
	{ "mem", 'm', POPT_ARG_STRING, &opt_mem, 0, "guest memory (default 2G)", "SIZE" },
	{ "cpus", 'c', POPT_ARG_STRING, &opt_cpus, 0, "guest CPUs (default 2)", "N" },
	{ "hugepages", '\0', POPT_ARG_STRING, &opt_hugepages, 0, "back guest memory with huge pages (2M, 1G)",
	  "SIZE" },
	{ "uefi", '\0', POPT_ARG_NONE, &opt_uefi, 0, "boot OVMF, found through QEMU's firmware descriptors", NULL },
	{ "secure-boot", '\0', POPT_ARG_NONE, &opt_secure, 0, "with --uefi: firmware with Secure Boot", NULL },
	{ "cdrom", '\0', POPT_ARG_STRING, &opt_cdrom, 0, "an ISO image as the guest's CD-ROM", "FILE" },
	{ "kernel", '\0', POPT_ARG_STRING, &opt_kernel, PT_ONCE, "boot this kernel directly (QEMU -kernel; xl: a PV guest)",
	  "FILE" },
	{ "initrd", '\0', POPT_ARG_STRING, &opt_initrd, PT_ONCE, "with --kernel: its initramfs", "FILE" },
	{ "append", '\0', POPT_ARG_STRING, &opt_append, PT_ONCE, "with --kernel: its command line", "STR" },
	{ "name", 'n', POPT_ARG_STRING, &opt_name, 0, "the VM's name (default vm)", "NAME" },
	{ "uuid", '\0', POPT_ARG_STRING, &opt_uuid, 0,
	  "the VM's UUID (default: the first --mdev's, as NVIDIA's vGPU manager wants)", "UUID" },
	{ "qmp", '\0', POPT_ARG_STRING, &opt_qmp, 0, "a QMP server on this UNIX socket", "PATH" },
	{ "display", '\0', POPT_ARG_STRING, &opt_display, 0, "none, gtk, sdl or spice", "UI" },
	{ "accel", '\0', POPT_ARG_STRING, &opt_accel, 0, "kvm or tcg (default: kvm when /dev/kvm opens)", "ACCEL" },
	{ "qemu", '\0', POPT_ARG_STRING, &opt_qemu, 0, "the QEMU binary (default qemu-system-x86_64 in PATH)",
	  "PATH" },
	{ "profile", '\0', POPT_ARG_STRING, &opt_profile, 0,
	  "read options from FILE first, one per line (# comments)", "FILE" },
	{ "check", '\0', POPT_ARG_NONE, &opt_check, 0, "run only the pre-flight checks and print each finding",
	  NULL },
	{ "managed", '\0', POPT_ARG_NONE, &opt_managed, 0,
	  "bind the devices to vfio-pci for the VM and give them back when QEMU exits", NULL },
	{ "memlock", '\0', POPT_ARG_NONE, &opt_memlock, 0,
	  "raise the memory lock limit to what the VM needs (root)", NULL },
	{ "emit", '\0', POPT_ARG_STRING, &opt_emit, 0,
	  "print the VM in another form instead: libvirt (a domain's XML) or xl (a Xen xl.cfg)", "FORMAT" },
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

/* What the options name, in order. */
struct want {
	int kind;          /* OPT_DEVICE, OPT_GPU, OPT_MDEV */
	char *arg;
	char *romfile;
	bool primary;
};
static struct want wants[PT_VM_MAX_DEVS];
static size_t nwants;
static char *pending_romfile;
static bool pending_primary;

static struct want *last_gpu(void)
{
	for (size_t i = nwants; i-- > 0;)
		if (wants[i].kind == OPT_GPU)
			return &wants[i];
	return NULL;
}

static void on_option(int val, const char *arg)
{
	struct want *g;

	switch (val) {
	case OPT_DEVICE:
	case OPT_GPU:
	case OPT_MDEV:
		if (nwants == PT_VM_MAX_DEVS)
			pt_die(PT_EXIT_USAGE, "more than %d devices", PT_VM_MAX_DEVS);
		wants[nwants] = (struct want){ .kind = val, .arg = pt_xstrdup(arg) };
		if (val == OPT_GPU) {
			wants[nwants].romfile = pending_romfile;
			wants[nwants].primary = pending_primary;
			pending_romfile = NULL;
			pending_primary = false;
		}
		nwants++;
		break;
	case OPT_ROMFILE:
		if ((g = last_gpu())) {
			free(g->romfile);
			g->romfile = pt_xstrdup(arg);
		} else {
			free(pending_romfile);
			pending_romfile = pt_xstrdup(arg);
		}
		break;
	case OPT_PRIMARY:
		if ((g = last_gpu()))
			g->primary = true;
		else
			pending_primary = true;
		break;
	}
}

static void free_wants(void)
{
	for (size_t i = 0; i < nwants; i++) {
		free(wants[i].arg);
		free(wants[i].romfile);
	}
	free(pending_romfile);
}

/* The host model and the run's state live for the whole run. */
static struct pt_host host;
static bool scanned;
static struct pt_group *groups;
static size_t ngroups;
static struct pt_dev *pdevs[PT_VM_MAX_DEVS];
static const char *promfiles[PT_VM_MAX_DEVS];
static size_t npdevs;
static struct pt_vm vm;
static struct pt_vm_firmware fw;
static struct pt_findings fx;
static char **qargv;
static size_t qargc;
static char **profile_argv, **all_argv, **extra_argv;
static int profile_argc;
static struct pt_bind *plan;
static size_t nplan;
static struct pt_txn txn;

/* Paths made absolute for --emit, freed at exit. */
static char **abs_paths;
static size_t nabs;
static const char **abs_disks;

static const char *absolute(const char *p)
{
	char cwd[4096];

	if (p[0] == '/')
		return p;
	if (!getcwd(cwd, sizeof(cwd)))
		return p;
	abs_paths = pt_xrealloc(abs_paths, (nabs + 1) * sizeof(*abs_paths));
	if (asprintf(&abs_paths[nabs], "%s/%s", cwd, p) < 0)
		pt_die(PT_EXIT_FAIL, "out of memory");
	return abs_paths[nabs++];
}

static void cleanup(void)
{
	for (size_t i = 0; i < nabs; i++)
		free(abs_paths[i]);
	free(abs_paths);
	free(abs_disks);
	pt_vm_argv_free(qargv);
	for (int i = 0; i < profile_argc; i++)
		free(profile_argv[i]);
	free(profile_argv);
	free(all_argv);
	free(extra_argv);
	pt_findings_free(&fx);
	free(plan);
	pt_txn_free(&txn);
	if (scanned) {
		pt_groups_free(groups, ngroups);
		pt_host_free(&host);
	}
	free_wants();
}

static bool has_dev(const struct pt_dev *d)
{
	for (size_t i = 0; i < npdevs; i++)
		if (pdevs[i] == d)
			return true;
	return false;
}

static void add_vm_dev(enum pt_vm_dev_kind kind, const char *name, unsigned slot, unsigned fn, bool mf,
		       const char *romfile, bool primary)
{
	struct pt_vm_dev *v = &vm.devs[vm.ndevs++];

	*v = (struct pt_vm_dev){ .kind = kind, .slot = slot, .fn = fn, .multifunction = mf, .romfile = romfile,
				 .primary = primary };
	snprintf(v->host, sizeof(v->host), "%s", name);
}

/* The devices the options name: each --device alone at a slot; each --gpu
 * with every function of its card (the same bus and device number) at one
 * slot, the host's function numbers kept. */
static void build_devices(void)
{
	char err[1024];
	unsigned slot = 0;

	for (size_t w = 0; w < nwants; w++) {
		struct want *x = &wants[w];

		if (x->kind == OPT_MDEV) {
			char uuid[PT_UUID_LEN];
			const char *why = pt_uuid_parse(x->arg, uuid);

			if (why)
				pt_die(PT_EXIT_USAGE, "--mdev %s: %s", x->arg, why);
			if (vm.ndevs >= PT_VM_MAX_DEVS)
				pt_die(PT_EXIT_USAGE, "more than %d devices", PT_VM_MAX_DEVS);
			add_vm_dev(PT_VM_DEV_MDEV, uuid, slot++, 0, false, NULL, false);
			continue;
		}
		if (!scanned) {
			pt_host_scan(&host);
			pt_groups_build(&host, &groups, &ngroups);
			scanned = true;
		}
		if (x->kind == OPT_DEVICE) {
			const char *args[] = { x->arg, NULL };
			struct pt_dev **found = NULL;
			size_t n = 0;
			int rc = pt_resolve_devices(&host, args, true, stdin, &found, &n, err, sizeof(err));

			if (rc != PT_EXIT_OK)
				pt_die(rc, "--device: %s", err);
			for (size_t i = 0; i < n; i++) {
				if (has_dev(found[i]))
					continue;
				if (vm.ndevs >= PT_VM_MAX_DEVS)
					pt_die(PT_EXIT_USAGE, "more than %d devices", PT_VM_MAX_DEVS);
				promfiles[npdevs] = NULL;
				pdevs[npdevs++] = found[i];
				add_vm_dev(PT_VM_DEV_PLAIN, found[i]->name, slot++, 0, false, NULL, false);
			}
			free(found);
			continue;
		}
		{
			struct pt_bdf b;
			const char *why = pt_bdf_parse(x->arg, &b);
			struct pt_dev *g;
			size_t first = vm.ndevs, nfn = 0;

			if (why)
				pt_die(PT_EXIT_USAGE, "--gpu %s: %s", x->arg, why);
			if (!(g = pt_host_find(&host, &b)))
				pt_die(PT_EXIT_FAIL, "--gpu %s: no such device", x->arg);
			if (pt_dev_is_bridge(g))
				pt_die(PT_EXIT_REFUSED, "--gpu %s: %s is a bridge", x->arg, g->name);
			for (size_t i = 0; i < host.ndevs; i++) {
				struct pt_dev *d = &host.devs[i];

				if (!pt_bdf_same_slot(&d->bdf, &g->bdf) || pt_dev_is_bridge(d))
					continue;
				/* the chipset's functions share a slot number, not a card */
				if (d != g && !pt_dev_is_card(g))
					continue;
				if (has_dev(d))
					pt_die(PT_EXIT_USAGE, "--gpu %s: %s is named twice", x->arg, d->name);
				if (vm.ndevs >= PT_VM_MAX_DEVS)
					pt_die(PT_EXIT_USAGE, "more than %d devices", PT_VM_MAX_DEVS);
				promfiles[npdevs] = d == g ? x->romfile : NULL;
				pdevs[npdevs++] = d;
				add_vm_dev(d == g ? PT_VM_DEV_GPU : PT_VM_DEV_GPUFN, d->name, slot, d->bdf.fn, false,
					   d == g ? x->romfile : NULL, d == g && x->primary);
				nfn++;
			}
			/* a lone function sits at function 0 of its guest slot: a guest
			 * does not look past a slot whose function 0 is missing */
			if (nfn == 1)
				vm.devs[first].fn = 0;
			/* a multifunction device announces itself on function 0 */
			for (size_t i = first; nfn > 1 && i < vm.ndevs; i++)
				if (vm.devs[i].fn == 0)
					vm.devs[i].multifunction = true;
			if (nfn > 1 && g->bdf.fn != 0 && !pt_host_find(&host, &(struct pt_bdf){ b.domain, b.bus, b.dev, 0 }))
				pt_die(PT_EXIT_USAGE, "--gpu %s: its card has no function 0", x->arg);
			slot++;
		}
	}
}

/* "--profile FILE" anywhere before "--": its options go first, so the
 * command line's own override them; split at "--" for QEMU's arguments. */
static int prepare_argv(int argc, const char **argv, const char ***out)
{
	const char *profile = NULL;
	int split = argc, n = 0;
	char *text = NULL, err[512];
	const char *base = strrchr(argv[0], '/');

	/* before popt has run: the messages below name the command all the same */
	pt_progname = base ? base + 1 : argv[0];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			profile = argv[i + 1];
		else if (strncmp(argv[i], "--profile=", 10) == 0)
			profile = argv[i] + 10;
	}
	extra_argv = pt_xcalloc((size_t)(argc - split) + 1, sizeof(*extra_argv));
	for (int i = split + 1; i < argc; i++)
		extra_argv[vm.nextra++] = (char *)argv[i];
	vm.extra = (const char *const *)extra_argv;
	if (profile) {
		FILE *f = fopen(profile, "r");
		size_t len;

		if (!f) {
			pt_die(PT_EXIT_USAGE, "--profile %s: %s", profile, strerror(errno));
		}
		text = pt_xmalloc(65537);
		len = fread(text, 1, 65536, f);
		text[len] = '\0';
		if (!feof(f) || ferror(f) || strlen(text) != len) {
			const char *why = ferror(f) ? "read error" : strlen(text) != len ? "a NUL byte" :
				"larger than 64 KiB";

			fclose(f);
			free(text);
			pt_die(PT_EXIT_USAGE, "--profile %s: %s", profile, why);
		}
		fclose(f);
		if (pt_vm_profile_argv(text, options, &profile_argc, &profile_argv, err, sizeof(err)) < 0) {
			free(text);
			pt_die(PT_EXIT_USAGE, "--profile %s: %s", profile, err);
		}
		free(text);
	}
	all_argv = pt_xcalloc((size_t)(profile_argc + split) + 1, sizeof(*all_argv));
	all_argv[n++] = (char *)argv[0];
	for (int i = 0; i < profile_argc; i++)
		all_argv[n++] = profile_argv[i];
	for (int i = 1; i < split; i++)
		all_argv[n++] = (char *)argv[i];
	*out = (const char **)all_argv;
	return n;
}

static void print_findings(void)
{
	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_array_open(&j, "checks");
		for (size_t i = 0; i < fx.n; i++) {
			pt_json_object_open(&j, NULL);
			pt_json_string(&j, "status", pt_status_name(fx.v[i].status));
			pt_json_string(&j, "check", fx.v[i].check);
			pt_json_string(&j, "message", fx.v[i].message);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		pt_json_bool(&j, "ready", fx.can_assign);
		pt_json_object_close(&j);
		pt_json_finish(&j);
		return;
	}
	for (size_t i = 0; i < fx.n; i++)
		printf("%-4s %s\n", pt_status_name(fx.v[i].status), fx.v[i].message);
}

static int copy_vars(void)
{
	char tmpl[4096], buf[65536];
	int in, out;
	ssize_t n;

	if (!fw.vars[0] || access(fw.vars, F_OK) == 0)
		return 0;
	for (char *s = strchr(fw.vars + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(fw.vars, 0700) < 0 && errno != EEXIST) {
			int e = errno;

			pt_warn("cannot create %s: %s", fw.vars, strerror(e));
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	if (pt_path(tmpl, sizeof(tmpl), "%s", fw.template_path) < 0 || (in = open(tmpl, O_RDONLY | O_CLOEXEC)) < 0) {
		pt_warn("cannot read the UEFI variable store template %s: %s", fw.template_path, strerror(errno));
		return -1;
	}
	if ((out = open(fw.vars, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		pt_warn("cannot create %s: %s", fw.vars, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	if (n < 0 || fsync(out) < 0 || close(out) < 0) {
		pt_warn("cannot copy %s to %s: %s", fw.template_path, fw.vars, strerror(errno));
		unlink(fw.vars);
		return -1;
	}
	pt_warn("new UEFI variable store %s (from %s)", fw.vars, fw.template_path);
	return 0;
}

/* --emit xl: what xl cannot take is refused, what it ignores said. */
static int emit_xl(void)
{
	for (size_t i = 0; i < vm.ndevs; i++) {
		struct pt_bdf b;
		const struct pt_dev *d;

		if (vm.devs[i].kind == PT_VM_DEV_MDEV)
			pt_die(PT_EXIT_UNSUPPORTED, "--mdev %s: xl passes PCI devices only, not mediated devices",
			       vm.devs[i].host);
		if (vm.devs[i].romfile)
			pt_warn("warning: --romfile %s: xl.cfg has no ROM file for a device; the guest reads the "
				"card's own ROM", vm.devs[i].romfile);
		if (pt_bdf_parse(vm.devs[i].host, &b) == NULL && (d = pt_host_find(&host, &b)) != NULL &&
		    !(d->driver && strcmp(d->driver, "pciback") == 0))
			pt_warn("warning: %s is on %s: xl create needs it assignable first (vfio-bind --driver "
				"pciback %s, or xl pci-assignable-add)", d->name, d->driver ? d->driver : "no driver",
				d->name);
	}
	bool igd = false;

	for (size_t i = 0; i < vm.ndevs; i++) {
		struct pt_bdf b;
		const struct pt_dev *d;

		/* Intel integrated graphics: function 0 of the root bus's slot 2 */
		if (vm.devs[i].kind == PT_VM_DEV_GPU && pt_bdf_parse(vm.devs[i].host, &b) == NULL &&
		    (d = pt_host_find(&host, &b)) != NULL && d->vendor == 0x8086 && d->bdf.bus == 0 && d->bdf.dev == 2)
			igd = true;
		else if (vm.devs[i].kind == PT_VM_DEV_GPU && !pt_xl_pv(&vm))
			pt_warn("warning: %s goes as a plain PCI device: libxl's gfx_passthru knows Intel integrated "
				"graphics only", vm.devs[i].host);
	}
	if (vm.ndevs && pt_xen_dom0()) {
		struct pt_xen_facts x;

		pt_xen_ask(&x);
		if (x.asked && !(pt_xl_pv(&vm) ? x.pv_directio : x.hvm_directio))
			pt_warn("warning: Xen has no IOMMU for %s guests here (xl info: virt_caps): xl create will refuse "
				"the devices (iommu-groups --check says what to change)", pt_xl_pv(&vm) ? "PV" : "HVM");
	}
	if (vm.nextra)
		pt_warn("warning: the QEMU arguments after -- have no place in an xl.cfg: left out");
	pt_xl_config(stdout, &vm, igd);
	return PT_EXIT_OK;
}

static volatile sig_atomic_t child_pid;
/* The boot display, when --managed hands it over rather than binds it. */
static const struct pt_dev *handover_gpu;
static struct pt_handover ho;

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* One transaction in a child of its own: the host lock is held only for
 * the change, never for the VM's lifetime. Returns its exit code. */
static int txn_in_child(bool bind)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	if (pt_dry_run)
		goto here;
	if ((pid = fork()) < 0)
		pt_die(PT_EXIT_FAIL, "fork: %s", strerror(errno));
	if (pid > 0) {
		struct sigaction sa, old[3];
		const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };

		/* a signal to this process goes to the binding, which then rolls
		 * back; the give-back ignores them (its caller set SIG_IGN) */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = forward;
		sigemptyset(&sa.sa_mask);
		child_pid = pid;
		for (int i = 0; i < 3 && bind; i++)
			sigaction(sigs[i], &sa, &old[i]);
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				pt_die(PT_EXIT_FAIL, "waitpid: %s", strerror(errno));
		child_pid = 0;
		for (int i = 0; i < 3 && bind; i++)
			sigaction(sigs[i], &old[i], NULL);
		return WIFEXITED(st) ? WEXITSTATUS(st) : PT_EXIT_FAIL;
	}
here:
	{
		char err[2048];
		int rc;

		if (!bind) {
			/* the give-back is not cut short: a Ctrl-C reaches this
			 * child too, and would roll it back; blocked, it waits */
			sigset_t set;

			sigemptyset(&set);
			sigaddset(&set, SIGINT);
			sigaddset(&set, SIGTERM);
			sigaddset(&set, SIGHUP);
			sigaddset(&set, SIGQUIT);
			sigprocmask(SIG_BLOCK, &set, NULL);
		}
		pt_txn_lock(false);
		pt_txn_init(&txn, bind ? (handover_gpu ? "handover" : "bind") : handover_gpu ? "handback" : "unbind");
		if (bind && handover_gpu) {
			pt_handover_survey(handover_gpu, &ho);
			rc = pt_handover_txn(&txn, &ho, plan, nplan, err, sizeof(err)) < 0 ? PT_EXIT_FAIL : PT_EXIT_OK;
		} else if (bind) {
			rc = pt_vfio_bind_txn(&txn, plan, nplan, false, err, sizeof(err)) < 0 ? PT_EXIT_FAIL : PT_EXIT_OK;
		} else if (handover_gpu) {
			bool recorded;

			rc = pt_handback_txn(&txn, handover_gpu, plan, nplan, &ho, &recorded, err, sizeof(err));
		} else {
			rc = pt_vfio_release_txn(&txn, plan, nplan, false, err, sizeof(err));
		}
		if (rc == PT_EXIT_OK)
			rc = pt_txn_run(&txn, err, sizeof(err));
		if (rc == PT_EXIT_OK && !bind && handover_gpu && !pt_dry_run) {
			char what[512];

			if (!pt_handback_check(handover_gpu, &ho, what, sizeof(what)))
				pt_warn("%s is back, but its display is not up: %s", handover_gpu->name, what);
			else
				pt_warn("%s display: %s", handover_gpu->name, what);
		}
		if (rc != PT_EXIT_OK)
			pt_warn("%s", err);
		/* lent to QEMU for as long as the supervisor (the parent) lives;
		 * if it dies, vfio-bind --restore gives them back from the lease */
		if (rc == PT_EXIT_OK && !pt_dry_run && bind)
			pt_txn_lease(&txn, (long)getppid());
		else if (rc == PT_EXIT_OK && !pt_dry_run)
			pt_txn_lease_end((long)getppid());
		for (size_t i = 0; rc == PT_EXIT_OK && !pt_dry_run && i < txn.n; i++)
			pt_warn("%s %s -> %s", txn.dev[i].bdf, txn.dev[i].from.driver[0] ? txn.dev[i].from.driver : "(none)",
				txn.dev[i].now.driver[0] ? txn.dev[i].now.driver : "(none)");
		if (pt_dry_run) {
			pt_txn_free(&txn);
			return rc;
		}
		exit(rc);
	}
}

static int supervise(void)
{
	char names[1024] = "";
	size_t len = 0;
	struct sigaction sa;
	pid_t pid;
	int st, rc;

	for (size_t i = 0; i < nplan; i++) {
		int n = snprintf(names + len, sizeof(names) - len, " %s", plan[i].dev->name);

		if (n > 0 && len + (size_t)n < sizeof(names))
			len += (size_t)n;
	}
	if ((rc = txn_in_child(true)) != PT_EXIT_OK)
		return rc;
	/* what was on vfio-pci before vm-run stays there afterwards: only
	 * what this run bound is given back */
	{
		size_t k = 0;

		len = 0;
		names[0] = '\0';
		for (size_t i = 0; i < nplan; i++) {
			int n;

			if (plan[i].dev->driver && strcmp(plan[i].dev->driver, "vfio-pci") == 0)
				continue;
			plan[k++] = plan[i];
			n = snprintf(names + len, sizeof(names) - len, " %s", plan[i].dev->name);
			if (n > 0 && len + (size_t)n < sizeof(names))
				len += (size_t)n;
		}
		nplan = k;
	}
	if (nplan)
		pt_warn("devices bound for QEMU; when it exits they go back. If this process (pid %ld) is killed, "
			"'vfio-bind --restore' gives them back once QEMU is gone (or 'vfio-bind --unbind%s')",
			(long)getpid(), names);
	fflush(stdout);
	fflush(stderr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((pid = fork()) < 0) {
		pt_warn("fork: %s", strerror(errno));
		st = -1;
	} else if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(qargv[0], qargv);
		pt_warn("cannot run %s: %s", qargv[0], strerror(errno));
		_exit(127);
	} else {
		child_pid = pid;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				st = -1;
				break;
			}
		child_pid = 0;
	}
	signal(SIGINT, SIG_IGN); /* the give-back is not cut short */
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (st != -1 && WIFSIGNALED(st))
		pt_warn("QEMU was killed by signal %d; giving the devices back", WTERMSIG(st));
	else if (st != -1)
		pt_warn("QEMU exited with status %d; giving the devices back", WEXITSTATUS(st));
	rc = nplan ? txn_in_child(false) : PT_EXIT_OK;
	if (rc != PT_EXIT_OK)
		return rc;
	if (nplan)
		pt_warn("devices given back:%s", names);
	if (st != -1 && WIFEXITED(st))
		return WEXITSTATUS(st) ? PT_EXIT_FAIL : PT_EXIT_OK;
	return PT_EXIT_FAIL;
}

int main(int argc, const char **argv)
{
	const char **args, **av;
	int ac, rc;
	struct pt_preflight pf = { 0 };
	char err[2048];

	atexit(cleanup);
	pt_write_table[0].descrip = "print the QEMU command line (and, with --managed, every write) instead";
	ac = prepare_argv(argc, argv, &av);
	args = pt_options_parse(ac, av, options, "[DISK...] [-- QEMU-ARGS]",
				"Start QEMU with PCI devices passed through, after checking that the host can\n"
				"give them: IOMMU groups, the host's own use, memory lock limit, huge pages,\n"
				"ROM files, framebuffers, resets, KVM. DISKs become virtio disks; arguments after\n"
				"-- go to QEMU as they are. QEMU is exec'd, never through a shell; --dry-run\n"
				"prints its command line instead, quoted for sh.",
				on_option);
	vm.name = opt_name ? opt_name : "vm";
	if (!pt_vm_name_ok(vm.name))
		pt_die(PT_EXIT_USAGE, "--name %s: use letters, digits, '_', '.' and '-' (at most 64)", vm.name);
	vm.mem_mib = 2048;
	if (opt_mem && !pt_vm_parse_mib(opt_mem, &vm.mem_mib))
		pt_die(PT_EXIT_USAGE, "--mem %s: not a size in MiB (16G, 512M, 2048)", opt_mem);
	vm.cpus = 2;
	if (opt_cpus) {
		char *end;
		unsigned long c = strtoul(opt_cpus, &end, 10);

		if (end == opt_cpus || *end || c < 1 || c > 1024)
			pt_die(PT_EXIT_USAGE, "--cpus %s: a number from 1 to 1024", opt_cpus);
		vm.cpus = (unsigned)c;
	}
	if (opt_hugepages && !pt_vm_parse_hugepage(opt_hugepages, &vm.hugepage_kib))
		pt_die(PT_EXIT_USAGE, "--hugepages %s: not a page size (2M, 1G)", opt_hugepages);
	if (vm.hugepage_kib && (vm.mem_mib * 1024) % vm.hugepage_kib)
		pt_die(PT_EXIT_USAGE, "--mem %llu MiB is not a multiple of the --hugepages size", vm.mem_mib);
	if (opt_display && strcmp(opt_display, "none") && strcmp(opt_display, "gtk") && strcmp(opt_display, "sdl") &&
	    strcmp(opt_display, "spice"))
		pt_die(PT_EXIT_USAGE, "--display %s: none, gtk, sdl or spice", opt_display);
	if (opt_accel && strcmp(opt_accel, "kvm") && strcmp(opt_accel, "tcg"))
		pt_die(PT_EXIT_USAGE, "--accel %s: kvm or tcg", opt_accel);
	if (opt_emit && strcmp(opt_emit, "libvirt") && strcmp(opt_emit, "xl"))
		pt_die(PT_EXIT_USAGE, "--emit %s: libvirt or xl", opt_emit);
	if ((opt_initrd || opt_append) && !opt_kernel)
		pt_die(PT_EXIT_USAGE, "--initrd and --append go with --kernel");
	for (const char *const *k = (const char *const[]){ opt_kernel, opt_initrd, NULL }; *k; k++)
		if (!**k)
			pt_die(PT_EXIT_USAGE, "an empty --kernel or --initrd");
	if (opt_secure && !opt_uefi)
		pt_die(PT_EXIT_USAGE, "--secure-boot goes with --uefi");
	if (pending_romfile)
		pt_die(PT_EXIT_USAGE, "--romfile names the ROM of a --gpu, and there is none");
	if (pending_primary)
		pt_die(PT_EXIT_USAGE, "--primary makes a --gpu the guest's VGA, and there is none");
	for (size_t i = 0; i < nwants; i++)
		if (wants[i].primary && opt_uefi)
			pt_die(PT_EXIT_USAGE, "--primary (x-vga) is for legacy BIOS guests; UEFI guests use the GPU's "
			       "UEFI ROM without it");
	if (opt_check && (opt_emit || pt_opts.dry_run))
		pt_die(PT_EXIT_USAGE, "--check runs only the pre-flight: no --emit or --dry-run with it");
	if (opt_emit && opt_managed)
		pt_die(PT_EXIT_USAGE, "--emit prints a VM for libvirt or xl, which give the devices themselves");
	for (const char **a = args; *a; a++) {
		if (!**a)
			pt_die(PT_EXIT_USAGE, "an empty DISK name");
		if (opt_check || opt_emit || pt_opts.dry_run)
			continue;
		if (access(*a, R_OK) < 0)
			pt_die(PT_EXIT_FAIL, "disk %s: %s", *a, strerror(errno));
	}
	for (const char *const *k = (const char *const[]){ opt_kernel, opt_initrd, NULL }; *k; k++)
		if (!opt_check && !opt_emit && !pt_opts.dry_run && access(*k, R_OK) < 0)
			pt_die(PT_EXIT_FAIL, "%s: %s", *k, strerror(errno));
	for (vm.ndisks = 0; args[vm.ndisks]; vm.ndisks++)
		;
	vm.disks = args;
	vm.uefi = opt_uefi;
	vm.cdrom = opt_cdrom;
	vm.kernel = opt_kernel;
	vm.initrd = opt_initrd;
	vm.append = opt_append;
	vm.qmp = opt_qmp;
	vm.display = opt_display;

	build_devices();
	if (opt_uuid) {
		const char *why = pt_uuid_parse(opt_uuid, vm_uuid);

		if (why)
			pt_die(PT_EXIT_USAGE, "--uuid %s: %s", opt_uuid, why);
		vm.uuid = vm_uuid;
	}
	/* NVIDIA's vGPU manager ties a vGPU to the VM's UUID: the first mdev's */
	for (size_t i = 0; !vm.uuid && i < vm.ndevs; i++)
		if (vm.devs[i].kind == PT_VM_DEV_MDEV)
			vm.uuid = vm.devs[i].host;
	fx.can_assign = true; /* until a check fails */

	if (vm.uefi) {
		if (pt_fw_find(opt_secure, &fw, err, sizeof(err)) < 0) {
			pt_findings_add(&fx, PT_ST_FAIL, "firmware", "%s", err);
			pf.code = PT_EXIT_UNSUPPORTED;
		} else {
			pt_findings_add(&fx, PT_ST_OK, "firmware", "UEFI firmware %s (%s%s)", fw.code, fw.descriptor,
					fw.secure_boot ? ", Secure Boot" : "");
			if (fw.template_path[0] &&
			    pt_fw_vars_path(vm.name, fw.vars_format, fw.vars, sizeof(fw.vars)) < 0) {
				pt_findings_add(&fx, PT_ST_FAIL, "firmware", "no place for the VM's UEFI variables: set "
						"XDG_STATE_HOME or HOME");
				pf.code = PT_EXIT_UNSUPPORTED;
			}
		}
	}
	{
		int fwcode = pf.code;

		pf.h = &host;
		pf.groups = groups;
		pf.ngroups = ngroups;
		pf.devs = pdevs;
		pf.ndevs = npdevs;
		pf.vm = &vm;
		pf.romfiles = promfiles;
		pf.managed = opt_managed;
		pf.qemu = opt_qemu;
		pf.accel = opt_accel;
		pf.raise_memlock = opt_memlock && !opt_check && !pt_opts.dry_run && !opt_emit;
		pt_preflight_run(&pf, &fx);
		if (fwcode == PT_EXIT_UNSUPPORTED)
			pf.code = fwcode;
	}
	if (opt_check) {
		print_findings();
		return pf.code;
	}
	if (opt_emit) {
		/* libvirt wants absolute paths: its daemon has another cwd */
		const char **disks;

		bool xl = strcmp(opt_emit, "xl") == 0;

		/* a domain without its firmware would be invalid XML: say why instead
		 * (Xen brings its own OVMF) */
		for (size_t i = 0; i < fx.n && !xl; i++)
			if (fx.v[i].status == PT_ST_FAIL && strcmp(fx.v[i].check, "firmware") == 0) {
				pt_warn("%s", fx.v[i].message);
				pt_error_reported = true;
				return PT_EXIT_UNSUPPORTED;
			}
		disks = pt_xcalloc(vm.ndisks + 1, sizeof(*disks));

		for (size_t i = 0; i < vm.ndisks; i++)
			disks[i] = absolute(vm.disks[i]);
		vm.disks = disks;
		abs_disks = disks;
		if (vm.cdrom)
			vm.cdrom = absolute(vm.cdrom);
		for (size_t i = 0; i < vm.ndevs; i++)
			if (vm.devs[i].romfile)
				vm.devs[i].romfile = absolute(vm.devs[i].romfile);
		if (vm.kernel)
			vm.kernel = absolute(vm.kernel);
		if (vm.initrd)
			vm.initrd = absolute(vm.initrd);
		vm.mmio64_mib = pf.mmio64_mib;
		if (xl)
			return emit_xl();
		pt_libvirt_domain(stdout, &vm, vm.uefi ? &fw : NULL, opt_accel ? opt_accel : "kvm");
		return PT_EXIT_OK;
	}
	for (size_t i = 0; i < fx.n; i++)
		if (fx.v[i].status == PT_ST_FAIL)
			pt_warn("%s", fx.v[i].message);
		else if (fx.v[i].status == PT_ST_WARN)
			pt_warn("warning: %s", fx.v[i].message);
	if (pf.code != PT_EXIT_OK) {
		pt_error_reported = true;
		if (pt_opts.json)
			print_findings();
		return pf.code;
	}
	vm.mmio64_mib = pf.mmio64_mib;
	qargc = pt_vm_argv(&vm, &(struct pt_vm_facts){ .qemu = pf.qemu_path, .accel = pf.accel_chosen,
						       .fw = vm.uefi ? &fw : NULL }, &qargv);
	if (opt_managed && npdevs) {
		/* the same refusals as vfio-bind: the plan has the last word; an
		 * NVIDIA vGPU VF stays on nvidia */
		struct pt_dev **bind = pt_xcalloc(npdevs, sizeof(*bind));
		size_t nbind = 0;

		for (size_t i = 0; i < npdevs; i++) {
			if (pt_vgpu_capable(pdevs[i]->name))
				continue;
			bind[nbind++] = pdevs[i];
			/* the boot display itself, not only another function of its card */
			if (!handover_gpu && pt_boot_display_slot(&host, pdevs[i]) == pdevs[i])
				handover_gpu = pdevs[i];
		}
		rc = nbind ? pt_vfio_plan(&host, groups, ngroups, bind, nbind, handover_gpu ? PT_PLAN_HANDOVER : 0, &plan,
					  &nplan, err, sizeof(err))
			   : PT_EXIT_OK;
		free(bind);
		if (rc != PT_EXIT_OK)
			pt_die(rc, "%s", err);
	}
	if (pt_opts.dry_run) {
		char *line = pt_shell_join(qargv, qargc);

		if (opt_managed && nplan && (rc = txn_in_child(true)) != PT_EXIT_OK) {
			free(line);
			return rc;
		}
		if (fw.vars[0] && access(fw.vars, F_OK) < 0)
			pt_dry_run_print("copy %s %s\n", fw.template_path, fw.vars);
		if (pt_opts.json) {
			struct pt_json j;

			pt_json_init(&j, stdout);
			pt_json_object_open(&j, NULL);
			pt_json_array_open(&j, "argv");
			for (size_t i = 0; i < qargc; i++)
				pt_json_string(&j, NULL, qargv[i]);
			pt_json_array_close(&j);
			pt_json_string(&j, "command", line);
			pt_json_bool(&j, "managed", opt_managed);
			pt_json_object_close(&j);
			pt_json_finish(&j);
		} else {
			printf("%s\n", line);
		}
		free(line);
		return PT_EXIT_OK;
	}
	if (!pt_sysroot_live())
		pt_die(PT_EXIT_USAGE, "--sysroot is a recorded host: vm-run only prints there (--dry-run, --check, --emit)");
	if (copy_vars() < 0)
		return PT_EXIT_FAIL;
	if (opt_managed && nplan)
		return supervise();
	fflush(stdout);
	fflush(stderr);
	execvp(qargv[0], qargv);
	pt_die(PT_EXIT_FAIL, "cannot run %s: %s", qargv[0], strerror(errno));
}

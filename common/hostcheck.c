#include "hostcheck.h"
#include "handover.h"
#include "xen.h"
#include "hostuse.h"
#include "iommu.h"
#include "modules.h"
#include "msg.h"
#include "pcidev.h"
#include "sysfs.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pt_status_name(enum pt_status s)
{
	static const char *const names[] = { "ok", "info", "warn", "fail" };

	return names[s];
}

void pt_findings_add(struct pt_findings *f, enum pt_status st, const char *check,
		     const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->v = pt_xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->v[f->n].status = st;
	f->v[f->n].check = check;
	f->v[f->n].message = pt_xstrdup(msg);
	f->n++;
	if (st == PT_ST_FAIL)
		f->can_assign = false;
}

void pt_findings_free(struct pt_findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].message);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* ---- pure pieces ---- */

bool pt_cmdline_param(const char *s, const char *name, char *val, size_t len)
{
	size_t nl = strlen(name);
	bool found = false;

	while (*s) {
		const char *eq;
		char word[1024];
		size_t wl = 0;
		bool quoted = false;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (*s && (quoted || !isspace((unsigned char)*s))) {
			if (*s == '"')
				quoted = !quoted;
			else if (wl + 1 < sizeof(word))
				word[wl++] = *s;
			s++;
		}
		word[wl] = '\0';
		eq = strchr(word, '=');
		if (eq ? (size_t)(eq - word) == nl && strncmp(word, name, nl) == 0
		       : strcmp(word, name) == 0) {
			snprintf(val, len, "%s", eq ? eq + 1 : "");
			found = true;
		}
	}
	return found;
}

bool pt_value_has(const char *value, const char *word)
{
	size_t wl = strlen(word);

	while (*value) {
		size_t l = strcspn(value, ",");

		if (l == wl && strncmp(value, word, wl) == 0)
			return true;
		value += l;
		if (*value)
			value++;
	}
	return false;
}

static const char *cpu_name(enum pt_cpu c)
{
	return c == PT_CPU_INTEL ? "Intel" : c == PT_CPU_AMD ? "AMD" : "not Intel or AMD";
}

void pt_iommu_diagnose(const struct pt_iommu_facts *x, struct pt_findings *f)
{
	char val[256];
	const char *cmd = x->cmdline ? x->cmdline : "";
	bool iommu_off = pt_cmdline_param(cmd, "iommu", val, sizeof(val)) && pt_value_has(val, "off");

	pt_findings_add(f, PT_ST_INFO, "cpu", "CPU vendor: %s%s", cpu_name(x->cpu),
			x->hypervisor ? " (virtual: this host is itself a virtual machine)" : "");
	if (!x->dmar && !x->ivrs && x->hypervisor) {
		pt_findings_add(f, PT_ST_FAIL, "firmware", "the hypervisor exposes no IOMMU to this virtual "
				"machine: no ACPI DMAR or IVRS table");
		pt_findings_add(f, PT_ST_FAIL, "fix", "give the VM a virtual IOMMU on its host (QEMU: -machine "
				"q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on, or "
				"-device virtio-iommu-pci; libvirt: <iommu model='intel'/>); there is no firmware "
				"setting to change inside a VM");
		return;
	}
	if (!x->dmar && !x->ivrs) {
		pt_findings_add(f, PT_ST_FAIL, "firmware",
				"firmware describes no IOMMU: no ACPI DMAR or IVRS table");
		pt_findings_add(f, PT_ST_FAIL, "fix", "enable %s in the firmware (BIOS/UEFI) setup first; "
				"no kernel parameter helps until the firmware has the table",
				x->cpu == PT_CPU_INTEL ? "VT-d (Intel Virtualization Technology for Directed I/O)"
				: x->cpu == PT_CPU_AMD ? "AMD-Vi (often called IOMMU or AMD I/O Virtualization)"
						       : "the IOMMU (VT-d or AMD-Vi)");
		return;
	}
	pt_findings_add(f, PT_ST_OK, "firmware", "firmware describes an IOMMU: ACPI %s table present",
			x->dmar ? "DMAR" : "IVRS");
	if (x->units > 0)
		pt_findings_add(f, PT_ST_FAIL, "kernel",
				"the kernel brought up %d IOMMU unit(s) but made no groups; "
				"see dmesg | grep -i -e DMAR -e AMD-Vi -e iommu", x->units);
	else
		pt_findings_add(f, PT_ST_FAIL, "kernel", "the kernel did not bring an IOMMU up "
				"(/sys/class/iommu is empty)");
	pt_findings_add(f, PT_ST_INFO, "cmdline", "kernel command line: %s", *cmd ? cmd : "(empty)");

	if (iommu_off) {
		pt_findings_add(f, PT_ST_FAIL, "fix", "remove iommu=off from the kernel command line and reboot");
		return;
	}
	if (x->dmar) {
		bool has = pt_cmdline_param(cmd, "intel_iommu", val, sizeof(val));

		if (has && pt_value_has(val, "off"))
			pt_findings_add(f, PT_ST_FAIL, "fix", "replace intel_iommu=%s with intel_iommu=on "
					"on the kernel command line and reboot", val);
		else if (has && pt_value_has(val, "on"))
			pt_findings_add(f, PT_ST_FAIL, "fix", "intel_iommu=on is set but had no effect: the "
					"kernel may lack CONFIG_INTEL_IOMMU or rejected the DMAR table "
					"(dmesg | grep -i DMAR)");
		else
			pt_findings_add(f, PT_ST_FAIL, "fix", "add intel_iommu=on to the kernel command line "
					"(GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub) and reboot");
		return;
	}
	if (pt_cmdline_param(cmd, "amd_iommu", val, sizeof(val)) && pt_value_has(val, "off")) {
		pt_findings_add(f, PT_ST_FAIL, "fix", "remove amd_iommu=%s from the kernel command line and "
				"reboot; AMD-Vi is on by default when the firmware has an IVRS table "
				"(there is no amd_iommu=on)", val);
		return;
	}
	pt_findings_add(f, PT_ST_FAIL, "fix", "AMD-Vi is on by default when the firmware has an IVRS table "
			"(there is no amd_iommu=on to add): the kernel may lack CONFIG_AMD_IOMMU or "
			"rejected the table (dmesg | grep -i AMD-Vi)");
}

bool pt_interrupts_remapped(const char *s)
{
	return strstr(s, "IR-PCI-MSI") || strstr(s, "IR-IO-APIC") || strstr(s, "AMD-IR") ||
	       strstr(s, "DMAR-IR") || strstr(s, "IR-PCI-MSIX");
}

static int fb_rank(const char *name)
{
	static const char *const drivers[] = { "efifb", "vesafb", "simpledrm", "simplefb",
					       "simple-framebuffer", NULL };

	for (int i = 0; drivers[i]; i++)
		if (strncmp(name, drivers[i], strlen(drivers[i])) == 0)
			return 2;
	return strcmp(name, "BOOTFB") == 0 ? 1 : 0;
}

bool pt_iomem_framebuffer(const char *iomem, unsigned long long start, unsigned long long end,
			  char *name, size_t len, unsigned long long *fb_start)
{
	int best = 0;

	while (*iomem) {
		const char *eol = strchr(iomem, '\n');
		size_t ll = eol ? (size_t)(eol - iomem) : strlen(iomem);
		char line[256], label[128];
		unsigned long long a, b;

		if (ll < sizeof(line)) {
			memcpy(line, iomem, ll);
			line[ll] = '\0';
			if (sscanf(line, " %llx-%llx : %127[^\n]", &a, &b, label) == 3 &&
			    a >= start && b <= end && a <= b) {
				int r = fb_rank(label);

				if (r > best) {
					best = r;
					snprintf(name, len, "%s", label);
					if (fb_start)
						*fb_start = a;
				}
			}
		}
		if (!eol)
			break;
		iomem = eol + 1;
	}
	return best > 0;
}

/* ---- gathering ---- */

static enum pt_cpu read_cpu(bool *hypervisor)
{
	char *s = NULL, *flags;
	enum pt_cpu c = PT_CPU_OTHER;

	*hypervisor = false;
	if (pt_read_file(&s, 1 << 20, "/proc/cpuinfo") < 0)
		return c;
	/* the first "flags : ..." line lists "hypervisor" when CPUID says so */
	if ((flags = strstr(s, "\nflags")) != NULL) {
		char *eol = strchr(flags + 1, '\n'), *hit = strstr(flags, " hypervisor");

		*hypervisor = hit && (!eol || hit < eol) && (hit[11] == ' ' || hit[11] == '\n' || hit[11] == '\0');
	}
	if (strstr(s, "GenuineIntel"))
		c = PT_CPU_INTEL;
	else if (strstr(s, "AuthenticAMD") || strstr(s, "HygonGenuine"))
		c = PT_CPU_AMD;
	free(s);
	return c;
}

static void check_iommu(struct pt_findings *f, const char *cmdline)
{
	char **units = NULL;
	int nunits = pt_list_dir(&units, "/sys/class/iommu");
	char **groups = NULL;
	int ng = pt_list_dir(&groups, "/sys/kernel/iommu_groups");

	f->ngroups = ng > 0 ? ng : 0;
	if (nunits < 0)
		nunits = 0;
	if (ng > 0) {
		const char *kind = nunits == 0 ? "IOMMU"
				   : strncmp(units[0], "dmar", 4) == 0 ? "Intel VT-d"
				   : strncmp(units[0], "ivhd", 4) == 0 ? "AMD-Vi"
								       : "IOMMU";
		char list[256] = "";

		for (int i = 0; i < nunits; i++) {
			size_t l = strlen(list);

			if (l + strlen(units[i]) + 8 >= sizeof(list)) {
				strcat(list, ", ...");
				break;
			}
			snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", units[i]);
		}
		if (nunits)
			pt_findings_add(f, PT_ST_OK, "iommu", "IOMMU on: %s, %d unit%s (%s), %d group%s",
					kind, nunits, nunits == 1 ? "" : "s", list, ng, ng == 1 ? "" : "s");
		else
			pt_findings_add(f, PT_ST_OK, "iommu", "IOMMU on: %d group%s", ng, ng == 1 ? "" : "s");
	} else {
		bool hv;
		enum pt_cpu cpu = read_cpu(&hv);
		struct pt_iommu_facts x = {
			.cpu = cpu,
			.dmar = pt_exists("/sys/firmware/acpi/tables/DMAR"),
			.ivrs = pt_exists("/sys/firmware/acpi/tables/IVRS"),
			.units = nunits,
			.cmdline = cmdline,
			.hypervisor = hv,
		};

		pt_findings_add(f, PT_ST_FAIL, "iommu", "no IOMMU groups: the kernel isolates no devices "
				"(/sys/kernel/iommu_groups is empty)");
		pt_iommu_diagnose(&x, f);
	}
	if (units)
		pt_free_names(units, nunits);
	if (groups)
		pt_free_names(groups, ng);
}

static void check_group_types(struct pt_findings *f, const struct pt_group *g, size_t ng)
{
	static const char *const types[] = { "DMA", "DMA-FQ", "identity", "blocked", "unmanaged" };
	size_t count[5] = { 0 }, garbled = 0, unknown = 0, ng_real = ng;
	char msg[512] = "";

	if (ng == 0)
		return;
	for (size_t i = 0; i < ng; i++) {
		bool hit = false;

		if (g[i].number < 0) {
			ng_real--;
			continue;
		}
		if (g[i].type_garbled) {
			garbled++;
			continue;
		}
		for (size_t t = 0; t < 5; t++)
			if (strcmp(g[i].type, types[t]) == 0)
				count[t]++, hit = true;
		if (!hit)
			unknown++;
	}
	for (size_t t = 0; t < 5; t++)
		if (count[t]) {
			size_t l = strlen(msg);
			snprintf(msg + l, sizeof(msg) - l, "%s%zu %s", l ? ", " : "", count[t], types[t]);
		}
	if (unknown && unknown == ng_real) {
		pt_findings_add(f, PT_ST_INFO, "domain-type", "group domain types: not shown by this kernel "
				"(no iommu_groups/N/type before Linux 5.11)");
	} else {
		pt_findings_add(f, PT_ST_OK, "domain-type", "group domain types: %s%s", msg,
				count[2] ? " (identity: iommu=pt, host DMA untranslated; VFIO still "
					   "switches those groups to its own domain)" : "");
	}
	if (garbled)
		pt_findings_add(f, PT_ST_WARN, "domain-type", "%zu group%s an unreadable type attribute",
				garbled, garbled == 1 ? " has" : "s have");
}

static void check_interrupts(struct pt_findings *f, const char *cmdline)
{
	char *irqs = NULL;
	char unsafe[16] = "";
	char val[64];
	bool allow;

	pt_read_text(unsafe, sizeof(unsafe),
		     "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts");
	allow = unsafe[0] == 'Y' || unsafe[0] == '1';
	if (pt_read_file(&irqs, 4 << 20, "/proc/interrupts") < 0) {
		pt_findings_add(f, PT_ST_INFO, "interrupt-remapping", "interrupt remapping: unknown "
				"(/proc/interrupts unreadable)");
		return;
	}
	if (pt_interrupts_remapped(irqs)) {
		pt_findings_add(f, PT_ST_OK, "interrupt-remapping", "interrupt remapping: on");
	} else if (allow) {
		pt_findings_add(f, PT_ST_WARN, "interrupt-remapping", "interrupt remapping: off; VFIO "
				"proceeds only because vfio_iommu_type1 allow_unsafe_interrupts=Y "
				"(a guest can forge MSIs to the host)");
	} else {
		bool off = pt_cmdline_param(cmdline, "intremap", val, sizeof(val)) && pt_value_has(val, "off");

		pt_findings_add(f, PT_ST_FAIL, "interrupt-remapping", "interrupt remapping: off%s; VFIO "
				"refuses device assignment unless vfio_iommu_type1 "
				"allow_unsafe_interrupts=1 is set (unsafe)",
				off ? " (intremap=off on the kernel command line)" : "");
	}
	free(irqs);
}

static void check_acs(struct pt_findings *f, const char *cmdline)
{
	char val[256];

	if (pt_cmdline_param(cmdline, "pcie_acs_override", val, sizeof(val))) {
		f->trustworthy = false;
		pt_findings_add(f, PT_ST_WARN, "acs-override", "pcie_acs_override=%s is on the kernel "
				"command line: groups no longer describe the hardware's real isolation, "
				"so every verdict is untrustworthy", val);
	} else {
		pt_findings_add(f, PT_ST_OK, "acs-override", "no pcie_acs_override: groups describe the "
				"hardware's isolation");
	}
}

static void check_module(struct pt_findings *f, const char *name)
{
	char path[512];

	switch (pt_module_state(name, path, sizeof(path))) {
	case PT_MOD_LOADED:
		pt_findings_add(f, PT_ST_OK, name, "%s: loaded", name);
		break;
	case PT_MOD_BUILTIN:
		pt_findings_add(f, PT_ST_OK, name, "%s: built into the kernel", name);
		break;
	case PT_MOD_LOADABLE:
		pt_findings_add(f, PT_ST_OK, name, "%s: not loaded, loadable (%s)", name, path);
		break;
	case PT_MOD_MISSING:
		pt_findings_add(f, PT_ST_FAIL, name, "%s: the kernel has no such module", name);
		break;
	case PT_MOD_UNKNOWN: {
		char rel[128] = "RELEASE";

		pt_read_text(rel, sizeof(rel), "/proc/sys/kernel/osrelease");
		pt_findings_add(f, PT_ST_INFO, name, "%s: not loaded; whether it is loadable is unknown "
				"(no module index /lib/modules/%s/modules.dep.bin)", name, rel);
		break;
	}
	}
}

static void check_boot_display(struct pt_findings *f, const struct pt_host *h)
{
	const struct pt_dev *boot = NULL;
	struct pt_display_holder disp;
	struct pt_handover ho;
	char fb[256], cons[160] = "", users[1024];
	const char *drv;

	for (size_t i = 0; i < h->ndevs && !boot; i++)
		if (pt_dev_boot_vga(&h->devs[i]))
			boot = &h->devs[i];
	if (!boot) {
		pt_findings_add(f, PT_ST_INFO, "boot-display", "boot display: no PCI device has boot_vga=1");
		return;
	}
	drv = boot->driver ? boot->driver : "no driver";
	pt_display_holder(boot, &disp);
	pt_handover_survey(boot, &ho);
	if (ho.fbdev[0])
		snprintf(fb, sizeof(fb), "the firmware framebuffer %s (%s, at %#llx) on %s", ho.fbdev, ho.fblabel,
			 disp.at, ho.fbdrv);
	else if (disp.iomem[0])
		snprintf(fb, sizeof(fb), "the firmware framebuffer %s at %#llx (no platform device bound to it)",
			 disp.iomem, disp.at);
	else if (disp.fb[0])
		snprintf(fb, sizeof(fb), "%s of %s", disp.fb, drv);
	else if (disp.drm[0])
		snprintf(fb, sizeof(fb), "DRM %s of %s (no framebuffer device)", disp.drm, drv);
	else
		snprintf(fb, sizeof(fb), "no framebuffer");
	for (size_t i = 0; i < ho.ncons; i++) {
		size_t l = strlen(cons);

		snprintf(cons + l, sizeof(cons) - l, "%s%s (%s)", i ? ", " : "", ho.vtcons[i],
			 pt_vtcon_bare(ho.consoles[i]));
	}
	pt_findings_add(f, PT_ST_INFO, "boot-display", "boot display %s (%s): %s; %s%s", boot->name, drv, fb,
			ho.ncons ? "console " : "no frame buffer console on it", cons);
	if (boot->driver && strcmp(boot->driver, "vfio-pci") == 0)
		pt_findings_add(f, PT_ST_INFO, "handover", "%s is on vfio-pci%s: vfio-bind --handback %s gives it back "
				"to the host's display", boot->name, pt_handover_recorded(boot->name) ? ", handed over" : "",
				boot->name);
	else if (pt_handover_users(boot, &ho, users, sizeof(users)) > 0)
		pt_findings_add(f, PT_ST_WARN, "handover", "hand-over of %s blocked: its display is open by %s; stop "
				"them first, or vfio-bind --handover --force takes it from under them", boot->name, users);
	else {
		const char *what[3];
		char list[256] = "";
		size_t n = 0;

		if (ho.ncons)
			what[n++] = ho.ncons == 1 ? "the console" : "the consoles";
		if (ho.fbdev[0])
			what[n++] = ho.fbdev;
		if (boot->driver && strcmp(boot->driver, "vfio-pci") != 0)
			what[n++] = boot->driver;
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(list);

			snprintf(list + l, sizeof(list) - l, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", what[i]);
		}
		pt_findings_add(f, PT_ST_INFO, "handover", "hand-over possible: vfio-bind --handover %s %s%s%sbinds "
				"its slot to vfio-pci%s", boot->name, n ? "releases " : "", list, n ? ", then " : "",
				ho.fbdev[0] && pt_vfio_removes_firmware_fb() ? "; the firmware framebuffer does not come "
				"back: after --handback the console needs the card's own driver" : "");
	}
}

void pt_host_check(struct pt_findings *f, const struct pt_host *h, const struct pt_group *groups,
		   size_t ngroups)
{
	char *cmdline = NULL;

	memset(f, 0, sizeof(*f));
	f->can_assign = true;
	f->trustworthy = true;
	if (pt_read_file(&cmdline, 1 << 16, "/proc/cmdline") < 0)
		cmdline = pt_xstrdup("");
	cmdline[strcspn(cmdline, "\n")] = '\0';

	if (pt_xen_dom0()) {
		/* Xen owns the IOMMU: ask Xen, not this kernel; xen-pciback hands devices over */
		struct pt_xen_facts x;

		pt_xen_ask(&x);
		pt_xen_findings(&x, f);
		check_module(f, "xen-pciback");
		free(cmdline);
		return;
	}
	check_iommu(f, cmdline);
	if (f->ngroups > 0) {
		check_group_types(f, groups, ngroups);
		check_interrupts(f, cmdline);
		check_acs(f, cmdline);
	}
	check_module(f, "vfio-pci");
	check_module(f, "vfio_iommu_type1");
	check_boot_display(f, h);
	free(cmdline);
}

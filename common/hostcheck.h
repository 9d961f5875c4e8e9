/* Can this host assign devices to VMs? The findings behind
 * `iommu-groups --check` and the diagnosis of a host without an IOMMU. */
#ifndef PT_HOSTCHECK_H
#define PT_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

enum pt_status { PT_ST_OK, PT_ST_INFO, PT_ST_WARN, PT_ST_FAIL };
const char *pt_status_name(enum pt_status s);

struct pt_finding {
	enum pt_status status;
	const char *check; /* "iommu", "interrupt-remapping", ... */
	char *message;
};

struct pt_findings {
	struct pt_finding *v;
	size_t n;
	bool can_assign;   /* IOMMU on, interrupts remapped (or unsafe allowed), vfio present */
	bool trustworthy;  /* false when pcie_acs_override rewrote the groups */
	int ngroups;       /* entries in /sys/kernel/iommu_groups */
};

void pt_findings_add(struct pt_findings *f, enum pt_status st, const char *check,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void pt_findings_free(struct pt_findings *f);

struct pt_host;
struct pt_group;
/* Gather every finding from the (sysroot's) host; the scanned devices and
 * groups are passed in so nothing is read twice. */
void pt_host_check(struct pt_findings *f, const struct pt_host *h, const struct pt_group *groups,
		   size_t ngroups);

/* ---- pure pieces, unit-tested ---- */

enum pt_cpu { PT_CPU_OTHER, PT_CPU_INTEL, PT_CPU_AMD };

/* The last value of kernel parameter `name` on a command line, copied to
 * val. Returns false when the parameter is absent. Quotes are honoured. */
bool pt_cmdline_param(const char *cmdline, const char *name, char *val, size_t len);
/* Whether `word` is one of the comma-separated items of a value. */
bool pt_value_has(const char *value, const char *word);

struct pt_iommu_facts {
	enum pt_cpu cpu;
	bool dmar, ivrs;    /* ACPI tables under /sys/firmware/acpi/tables */
	int units;          /* entries in /sys/class/iommu */
	const char *cmdline;
	bool hypervisor;    /* the host is itself a VM: "hypervisor" in /proc/cpuinfo's flags */
};

/* What to tell the user of a host with no IOMMU groups, as findings: the
 * exact kernel parameter to add or remove, or the firmware setting. The
 * values follow Documentation/admin-guide/kernel-parameters.txt:
 * intel_iommu= takes on/off/...; amd_iommu= has no "on" (AMD-Vi is on
 * whenever the firmware has IVRS), only off and tuning values. */
void pt_iommu_diagnose(const struct pt_iommu_facts *facts, struct pt_findings *f);

/* Whether /proc/interrupts text shows remapped interrupts (IR-PCI-MSI,
 * IR-IO-APIC, AMD-IR chips). */
bool pt_interrupts_remapped(const char *proc_interrupts);

/* The firmware framebuffer (efifb, vesafb, simpledrm, BOOTFB) that
 * /proc/iomem shows inside [start, end], copied to name. */
bool pt_iomem_framebuffer(const char *iomem, unsigned long long start, unsigned long long end,
			  char *name, size_t len, unsigned long long *fb_start);

#endif

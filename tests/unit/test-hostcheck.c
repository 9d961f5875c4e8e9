/* The no-IOMMU diagnosis and the parsers behind --check. */
#include "hostcheck.h"
#include "tap.h"

#include <stdlib.h>

static const char *fix(enum pt_cpu cpu, bool dmar, bool ivrs, int units, const char *cmdline)
{
	static char last[1024];
	struct pt_findings f = { 0 };
	struct pt_iommu_facts x = { cpu, dmar, ivrs, units, cmdline, false };

	f.can_assign = true;
	pt_iommu_diagnose(&x, &f);
	last[0] = '\0';
	for (size_t i = 0; i < f.n; i++)
		if (strcmp(f.v[i].check, "fix") == 0)
			snprintf(last, sizeof(last), "%s", f.v[i].message);
	ok(!f.can_assign, "diagnosis fails the host (%s)", cmdline);
	pt_findings_free(&f);
	return last;
}

int main(void)
{
	char v[64];
	const char *m;

	ok(pt_cmdline_param("ro quiet intel_iommu=on iommu=pt", "intel_iommu", v, sizeof(v)) && !strcmp(v, "on"), "intel_iommu=on");
	ok(!pt_cmdline_param("ro quiet amd_iommu_intr=legacy", "amd_iommu", v, sizeof(v)), "amd_iommu_intr is not amd_iommu");
	ok(pt_cmdline_param("intel_iommu=off intel_iommu=on,sm_on", "intel_iommu", v, sizeof(v)) && !strcmp(v, "on,sm_on"),
	   "the last occurrence wins");
	ok(pt_cmdline_param("a=\"x y\" pcie_acs_override=downstream,multifunction", "pcie_acs_override", v, sizeof(v)) &&
	   !strcmp(v, "downstream,multifunction"), "quoted values skipped correctly");
	ok(pt_value_has("on,sm_on", "sm_on") && !pt_value_has("on,sm_on", "sm") && pt_value_has("off", "off"), "comma lists");

	m = fix(PT_CPU_INTEL, true, false, 0, "BOOT_IMAGE=/vmlinuz ro quiet");
	ok(strstr(m, "add intel_iommu=on") != NULL, "Intel, DMAR, nothing on the command line: add intel_iommu=on");
	m = fix(PT_CPU_INTEL, true, false, 0, "ro intel_iommu=off");
	ok(strstr(m, "replace intel_iommu=off with intel_iommu=on") != NULL, "Intel with intel_iommu=off: replace it");
	m = fix(PT_CPU_INTEL, true, false, 0, "ro iommu=off");
	ok(strstr(m, "remove iommu=off") != NULL, "iommu=off: remove it");
	m = fix(PT_CPU_AMD, false, true, 0, "ro amd_iommu=off");
	ok(strstr(m, "remove amd_iommu=off") != NULL && strstr(m, "there is no amd_iommu=on"), "AMD with amd_iommu=off: remove it");
	m = fix(PT_CPU_AMD, false, true, 0, "ro quiet");
	ok(strstr(m, "amd_iommu=on to add") != NULL && !strstr(m, "add amd_iommu=on"), "AMD with IVRS: never suggests amd_iommu=on");
	m = fix(PT_CPU_AMD, false, false, 0, "ro quiet");
	ok(strstr(m, "enable AMD-Vi") != NULL && strstr(m, "firmware"), "AMD without IVRS: enable it in the firmware");
	m = fix(PT_CPU_INTEL, false, false, 0, "ro intel_iommu=on");
	ok(strstr(m, "enable VT-d") != NULL, "Intel without DMAR: enable VT-d in the firmware, even with intel_iommu=on");
	m = fix(PT_CPU_INTEL, true, false, 0, "intel_iommu=on");
	ok(strstr(m, "had no effect") != NULL, "intel_iommu=on already set: say it had no effect");

	ok(pt_interrupts_remapped(" 24:  0  IR-PCI-MSI 327680-edge  xhci_hcd\n"), "IR-PCI-MSI is remapped");
	ok(!pt_interrupts_remapped(" 24:  0  PCI-MSI 327680-edge  xhci_hcd\n"), "PCI-MSI is not");

	{
		const char *iomem =
			"00000000-00000fff : Reserved\n"
			"c0000000-cfffffff : PCI Bus 0000:00\n"
			"  c0000000-c0ffffff : 0000:00:02.0\n"
			"    c0000000-c02fffff : BOOTFB\n"
			"      c0000000-c02fffff : efifb\n"
			"  d0000000-d0ffffff : 0000:01:00.0\n";
		char name[32];
		unsigned long long at = 0;

		ok(pt_iomem_framebuffer(iomem, 0xc0000000, 0xc0ffffff, name, sizeof(name), &at) &&
		   !strcmp(name, "efifb") && at == 0xc0000000, "efifb under the boot GPU's BAR (preferred to BOOTFB)");
		ok(!pt_iomem_framebuffer(iomem, 0xd0000000, 0xd0ffffff, name, sizeof(name), &at), "nothing under another BAR");
	}
	{ /* a VM without a virtual IOMMU: no firmware menu to send the user to */
		struct pt_findings f = { 0 };
		struct pt_iommu_facts x = { PT_CPU_INTEL, false, false, 0, "intel_iommu=on", true };
		const char *last = "";

		f.can_assign = true;
		pt_iommu_diagnose(&x, &f);
		for (size_t i = 0; i < f.n; i++)
			if (strcmp(f.v[i].check, "fix") == 0)
				last = f.v[i].message;
		ok(!f.can_assign && strstr(last, "-device intel-iommu") && strstr(last, "virtio-iommu") &&
		   strstr(last, "no firmware setting"), "a guest without an IOMMU: the hypervisor must expose one");
		ok(f.n > 0 && strstr(f.v[0].message, "itself a virtual machine") != NULL, "and the CPU line says it is a VM");
		pt_findings_free(&f);
	}
	return tap_done();
}

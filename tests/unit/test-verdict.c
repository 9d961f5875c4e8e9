/* Isolation verdicts and the pure pieces of the device model. */
#include "bdf.h"
#include "iommu.h"
#include "pcidev.h"
#include "tap.h"

#include <string.h>

static struct pt_member MP(const char *bdf, int bridge, int card, int platform)
{
	struct pt_member m = { { 0, 0, 0, 0 }, bridge, card, platform };
	pt_bdf_parse(bdf, &m.bdf);
	return m;
}

static struct pt_member M(const char *bdf, int bridge, int card)
{
	struct pt_member m = { { 0, 0, 0, 0 }, bridge, card, 0 };
	pt_bdf_parse(bdf, &m.bdf);
	return m;
}

int main(void)
{
	size_t sh[8], n;

	{
		struct pt_member g[] = { M("0000:03:00.0", 0, 1) };
		ok(pt_verdict_of(g, 1, 0, sh, &n) == PT_VERDICT_ALONE && n == 0, "single device: alone");
	}
	{ /* GPU, its audio, and the root port above them (Intel desktop group 1) */
		struct pt_member g[] = { M("0000:00:01.0", 1, 0), M("0000:01:00.0", 0, 1), M("0000:01:00.1", 0, 1) };
		ok(pt_verdict_of(g, 3, 1, sh, &n) == PT_VERDICT_SLOT && n == 0, "GPU with its audio and a root port: slot");
		ok(pt_verdict_of(g, 3, 2, sh, &n) == PT_VERDICT_SLOT && n == 0, "audio function: slot");
		ok(pt_verdict_of(g, 3, 0, sh, &n) == PT_VERDICT_BRIDGE, "root port: bridge");
	}
	{
		struct pt_member g[] = { M("0000:00:1c.0", 1, 0), M("0000:02:00.0", 0, 1) };
		ok(pt_verdict_of(g, 2, 1, sh, &n) == PT_VERDICT_BRIDGES && n == 0, "NVMe behind its root port: bridges");
	}
	{ /* chipset functions on the root bus share a device number but are not one card */
		struct pt_member g[] = { M("0000:00:1f.0", 0, 0), M("0000:00:1f.3", 0, 0), M("0000:00:1f.4", 0, 0),
					 M("0000:00:1f.6", 0, 0) };
		ok(pt_verdict_of(g, 4, 3, sh, &n) == PT_VERDICT_SHARED && n == 3 && sh[0] == 0 && sh[1] == 1 && sh[2] == 2,
		   "I219 NIC in the chipset group: shared with 1f.0, 1f.3, 1f.4");
	}
	{ /* the same group with 1f.0 (LPC) and 1f.4 (SMBus) known as platform functions */
		struct pt_member g[] = { MP("0000:00:1f.0", 0, 0, 1), M("0000:00:1f.3", 0, 0), MP("0000:00:1f.4", 0, 0, 1),
					 M("0000:00:1f.6", 0, 0) };
		ok(pt_verdict_of(g, 4, 0, sh, &n) == PT_VERDICT_PLATFORM && n == 3, "LPC bridge: platform, still sharing with 3");
		ok(pt_verdict_of(g, 4, 2, sh, &n) == PT_VERDICT_PLATFORM, "SMBus: platform");
		ok(pt_verdict_of(g, 4, 3, sh, &n) == PT_VERDICT_SHARED && n == 3 && sh[0] == 0 && sh[2] == 2,
		   "the NIC still shares with the platform functions: VFIO takes the group whole");
		ok(strcmp(pt_verdict_name(PT_VERDICT_PLATFORM), "platform") == 0, "verdict name: platform");
	}
	{ /* alone in its group, a platform function is still the host's */
		struct pt_member g[] = { MP("0000:00:1f.4", 0, 0, 1) };
		ok(pt_verdict_of(g, 1, 0, sh, &n) == PT_VERDICT_PLATFORM && n == 0, "SMBus alone: platform");
	}
	/* drivers that leave DMA to VFIO (driver_managed_dma) */
	ok(pt_driver_manages_dma(NULL), "no driver: viable");
	ok(pt_driver_manages_dma("vfio-pci") && pt_driver_manages_dma("pci-stub") && pt_driver_manages_dma("pcieport"),
	   "vfio-pci, pci-stub, pcieport manage DMA");
	ok(pt_driver_manages_dma("mlx5_vfio_pci") && pt_driver_manages_dma("hisi_acc_vfio_pci"),
	   "vfio-pci variant drivers manage DMA");
	ok(!pt_driver_manages_dma("skl_uncore") && !pt_driver_manages_dma("ie31200_edac") &&
	   !pt_driver_manages_dma("e1000e") && !pt_driver_manages_dma("xvfio_pci_"),
	   "uncore, EDAC and ordinary drivers do not");
	{ /* AMD chipset: USB and SATA are one card's functions, the NIC is not */
		struct pt_member g[] = { M("0000:02:00.0", 0, 1), M("0000:02:00.1", 0, 1), M("0000:02:00.2", 1, 1),
					 M("0000:03:04.0", 1, 1), M("0000:04:00.0", 0, 1) };
		ok(pt_verdict_of(g, 5, 1, sh, &n) == PT_VERDICT_SHARED && n == 1 && sh[0] == 4,
		   "SATA: shared with the NIC only");
		ok(pt_verdict_of(g, 5, 4, sh, &n) == PT_VERDICT_SHARED && n == 2 && sh[0] == 0 && sh[1] == 1,
		   "NIC: shared with USB and SATA");
	}
	{
		struct pt_member g[] = { M("0000:05:00.0", 0, 1), M("0000:05:00.1", 0, 1), M("0000:05:00.2", 0, 1),
					 M("0000:05:00.3", 0, 1) };
		ok(pt_verdict_of(g, 4, 0, sh, &n) == PT_VERDICT_SLOT, "Navi VGA with audio, USB, UCSI: slot");
	}
	is_str(pt_verdict_name(PT_VERDICT_SHARED), "shared", "verdict name");

	{
		struct pt_bdf b[8];
		char s[PT_BDF_LEN];
		n = pt_parse_device_path("../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0", b, 8);
		ok(n == 2, "device path: two addresses");
		is_str(pt_bdf_format(&b[0], s), "0000:00:01.0", "device path: root port first");
		is_str(pt_bdf_format(&b[1], s), "0000:01:00.0", "device path: device last");
		n = pt_parse_device_path("../../../devices/pci0000:00/0000:00:01.1/0000:03:00.0/0000:04:00.0/0000:05:00.1", b, 8);
		ok(n == 4, "device path through a switch: four addresses");
		n = pt_parse_device_path("../../../devices/pci10000:00/10000:00:02.0/10000:01:00.0", b, 8);
		ok(n == 2 && b[1].domain == 0x10000, "VMD domain");
		n = pt_parse_device_path("../../../devices/platform/foo", b, 8);
		ok(n == 0, "no PCI address in a platform path");
	}
	ok(pt_reset_methods_valid("flr bus"), "reset methods flr bus");
	ok(pt_reset_methods_valid(""), "empty reset_method (no method)");
	ok(pt_reset_methods_valid("device_specific af_flr pm acpi cxl_bus"), "every kernel method");
	ok(!pt_reset_methods_valid("flr b\x01us"), "garbage refused");
	ok(!pt_reset_methods_valid("reboot"), "unknown method refused");
	return tap_done();
}

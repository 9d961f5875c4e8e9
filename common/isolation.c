/* IOMMU groups computed from config space, as Linux forms them: the pure
 * rules first, then the gathering of what they need from libpci. */
#include "isolation.h"
#include "msg.h"
#include "sysfs.h"

#include <pci/pci.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- pure */

static bool on_root_bus(const struct pt_iso_dev *d)
{
	return d->parent < 0;
}

static bool same_bus(const struct pt_iso_dev *a, const struct pt_iso_dev *b)
{
	return a->bdf.domain == b->bdf.domain && a->bdf.bus == b->bdf.bus;
}

static unsigned devfn_of(const struct pt_iso_dev *d)
{
	return (d->bdf.dev & 0x1f) << 3 | (d->bdf.fn & 7);
}

/* The device provides every wanted control (quirks.c pci_acs_ctrl_enabled()). */
static int provides(uint16_t want, uint16_t have)
{
	return (want & have) == want;
}

#define ISOLATED (PT_ACS_SV | PT_ACS_RR | PT_ACS_CR | PT_ACS_UF)

/* ---- device-specific ACS (drivers/pci/quirks.c pci_dev_acs_enabled[]) ----
 * Each returns -1 when it has no opinion (the kernel's -ENOTTY, -ENODEV),
 * else whether the device provides the flags. */

typedef int (*acs_quirk_fn)(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o);

/* AMD/ATI southbridge functions do no peer-to-peer with an AMD IOMMU in the
 * system (the quirk asks for the IVRS table: these chipsets have no other
 * IOMMU, so once theirs is on it is there) */
static int q_amd_sb(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if (!d->multifunction || !on_root_bus(d))
		return -1;
	flags &= PT_ACS_RR | PT_ACS_CR | PT_ACS_EC | PT_ACS_DT;
	return provides(flags, PT_ACS_RR | PT_ACS_CR);
}

/* multifunction endpoints the vendor says do no peer-to-peer between functions */
static int q_mf_endpoint(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)d;
	(void)o;
	return provides(flags, PT_ACS_SV | PT_ACS_TB | PT_ACS_RR | PT_ACS_CR | PT_ACS_UF | PT_ACS_DT);
}

/* Intel RCiEPs allow peer-to-peer only on translated addresses (VT-d 3.16) */
static int q_intel_rciep(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if (d->pcie_type != PT_PCIE_RC_END)
		return -1;
	return provides(flags, ISOLATED);
}

/* root ports whose hardware isolates though they have no ACS capability */
static int q_isolating_port(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)d;
	(void)o;
	return provides(flags, ISOLATED);
}

static bool is_root_port(const struct pt_iso_dev *d)
{
	return d->pcie_type == PT_PCIE_ROOT_PORT;
}

/* Intel PCH root ports with ACS-like controls and no ACS capability (Red
 * Hat bugzilla 1037684); the kernel enables them with
 * pci_quirk_enable_intel_pch_acs() whenever it enables ACS at all. */
static const uint16_t intel_pch_ports[] = {
	0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49, /* Ibexpeak */
	0x3b4a, 0x3b4b, 0x3b4c, 0x3b4d, 0x3b4e, 0x3b4f, 0x3b50, 0x3b51,
	0x1c10, 0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15, 0x1c16, 0x1c17, /* Cougar Point */
	0x1c18, 0x1c19, 0x1c1a, 0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f,
	0x1e10, 0x1e11, 0x1e12, 0x1e13, 0x1e14, 0x1e15, 0x1e16, 0x1e17, /* Panther Point */
	0x1e18, 0x1e19, 0x1e1a, 0x1e1b, 0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f,
	0x8c10, 0x8c11, 0x8c12, 0x8c13, 0x8c14, 0x8c15, 0x8c16, 0x8c17, /* Lynx Point-H */
	0x8c18, 0x8c19, 0x8c1a, 0x8c1b, 0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f,
	0x9c10, 0x9c11, 0x9c12, 0x9c13, 0x9c14, 0x9c15, 0x9c16, 0x9c17, /* Lynx Point-LP */
	0x9c18, 0x9c19, 0x9c1a, 0x9c1b,
	0x9c90, 0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97, /* Wildcat Point */
	0x9c98, 0x9c99, 0x9c9a, 0x9c9b,
	0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e, /* Patsburg (X79) */
	0x8d10, 0x8d11, 0x8d12, 0x8d13, 0x8d14, 0x8d15, 0x8d16, 0x8d17, /* Wellsburg (X99) */
	0x8d18, 0x8d19, 0x8d1a, 0x8d1b, 0x8d1c, 0x8d1d, 0x8d1e,
	0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e, /* 9 series */
};

static int q_intel_pch(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if (!is_root_port(d))
		return -1;
	for (size_t i = 0; i < sizeof(intel_pch_ports) / sizeof(intel_pch_ports[0]); i++)
		if (intel_pch_ports[i] == d->device)
			return provides(flags, ISOLATED);
	return -1;
}

/* Sunrise Point and Union Point PCH root ports: a real ACS capability,
 * but with dword registers, so the control bits sit at offset 8 (Intel
 * 100/200 series specification updates, errata 23 and 22) */
static int q_intel_spt(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	uint16_t ctrl;

	if (!is_root_port(d))
		return -1;
	if (!((d->device >= 0xa110 && d->device <= 0xa11f) || (d->device >= 0xa167 && d->device <= 0xa16a) ||
	      (d->device >= 0xa290 && d->device <= 0xa29f) || (d->device >= 0xa2e7 && d->device <= 0xa2ee) ||
	      (d->device >= 0x9d10 && d->device <= 0x9d1b)))
		return -1;
	if (!d->has_acs)
		return -1;
	flags &= d->acs_cap | PT_ACS_EC;
	ctrl = d->acs_ctrl_dw;
	if (o->predict_enable)
		ctrl |= d->acs_cap & ISOLATED;
	return provides(flags, ctrl);
}

static int q_cavium_port(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if (!is_root_port(d))
		return -1;
	if (!((d->device >= 0xa000 && d->device <= 0xa7ff) || d->device == 0xaf84 || d->device == 0xb884))
		return -1;
	return provides(flags, ISOLATED);
}

/* Zhaoxin root and downstream ports: the listed ones isolate; any other
 * counts as not isolating (the kernel returns false, not "no opinion") */
static int q_zhaoxin_port(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if (d->pcie_type != PT_PCIE_ROOT_PORT && d->pcie_type != PT_PCIE_DOWNSTREAM)
		return -1;
	if ((d->device >= 0x0710 && d->device <= 0x071e) || d->device == 0x0721 ||
	    (d->device >= 0x0723 && d->device <= 0x0752))
		return provides(flags, ISOLATED);
	return 0;
}

/* Amazon Annapurna Labs root ports: each its own segment, no peer-to-peer */
static int q_annapurna(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if (!is_root_port(d))
		return -1;
	return (flags & ~ISOLATED) ? 0 : 1;
}

/* Wangxun NICs isolate their functions; any other Wangxun device counts
 * as not isolating (the kernel returns false) */
static int q_wangxun(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	(void)o;
	if ((d->device >= 0x0100 && d->device <= 0x010f) || d->device == 0x1001 || d->device == 0x2001 ||
	    d->device == 0x5010 || d->device == 0x5025 || d->device == 0x5040 || d->device == 0x5110 ||
	    d->device == 0x5125 || d->device == 0x5140)
		return provides(flags, ISOLATED);
	return 0;
}

#define ANY 0xffff

static const struct acs_quirk {
	uint16_t vendor, device;
	acs_quirk_fn fn;
} acs_quirks[] = {
	/* in the kernel's order: the first with an opinion wins */
	{ 0x1002, 0x4385, q_amd_sb }, { 0x1002, 0x439c, q_amd_sb }, { 0x1002, 0x4383, q_amd_sb },
	{ 0x1002, 0x439d, q_amd_sb }, { 0x1002, 0x4384, q_amd_sb }, { 0x1002, 0x4399, q_amd_sb },
	{ 0x1022, 0x780f, q_amd_sb }, { 0x1022, 0x7809, q_amd_sb },
	{ 0x1924, 0x0903, q_mf_endpoint }, { 0x1924, 0x0923, q_mf_endpoint }, /* Solarflare */
	{ 0x1924, 0x0a03, q_mf_endpoint },
	/* Intel NICs: 82598, 82599, X540, X550, 82580, 82576, 82575, I350, 82571, I219 */
	{ 0x8086, 0x10c6, q_mf_endpoint }, { 0x8086, 0x10db, q_mf_endpoint }, { 0x8086, 0x10dd, q_mf_endpoint },
	{ 0x8086, 0x10e1, q_mf_endpoint }, { 0x8086, 0x10f1, q_mf_endpoint }, { 0x8086, 0x10f7, q_mf_endpoint },
	{ 0x8086, 0x10f8, q_mf_endpoint }, { 0x8086, 0x10f9, q_mf_endpoint }, { 0x8086, 0x10fa, q_mf_endpoint },
	{ 0x8086, 0x10fb, q_mf_endpoint }, { 0x8086, 0x10fc, q_mf_endpoint }, { 0x8086, 0x1507, q_mf_endpoint },
	{ 0x8086, 0x1514, q_mf_endpoint }, { 0x8086, 0x151c, q_mf_endpoint }, { 0x8086, 0x1529, q_mf_endpoint },
	{ 0x8086, 0x152a, q_mf_endpoint }, { 0x8086, 0x154d, q_mf_endpoint }, { 0x8086, 0x154f, q_mf_endpoint },
	{ 0x8086, 0x1551, q_mf_endpoint }, { 0x8086, 0x1558, q_mf_endpoint },
	{ 0x8086, 0x1509, q_mf_endpoint }, { 0x8086, 0x150e, q_mf_endpoint }, { 0x8086, 0x150f, q_mf_endpoint },
	{ 0x8086, 0x1510, q_mf_endpoint }, { 0x8086, 0x1511, q_mf_endpoint }, { 0x8086, 0x1516, q_mf_endpoint },
	{ 0x8086, 0x1527, q_mf_endpoint },
	{ 0x8086, 0x10c9, q_mf_endpoint }, { 0x8086, 0x10e6, q_mf_endpoint }, { 0x8086, 0x10e7, q_mf_endpoint },
	{ 0x8086, 0x10e8, q_mf_endpoint }, { 0x8086, 0x150a, q_mf_endpoint }, { 0x8086, 0x150d, q_mf_endpoint },
	{ 0x8086, 0x1518, q_mf_endpoint }, { 0x8086, 0x1526, q_mf_endpoint },
	{ 0x8086, 0x10a7, q_mf_endpoint }, { 0x8086, 0x10a9, q_mf_endpoint }, { 0x8086, 0x10d6, q_mf_endpoint },
	{ 0x8086, 0x1521, q_mf_endpoint }, { 0x8086, 0x1522, q_mf_endpoint }, { 0x8086, 0x1523, q_mf_endpoint },
	{ 0x8086, 0x1524, q_mf_endpoint },
	{ 0x8086, 0x105e, q_mf_endpoint }, { 0x8086, 0x105f, q_mf_endpoint }, { 0x8086, 0x1060, q_mf_endpoint },
	{ 0x8086, 0x10d9, q_mf_endpoint },
	{ 0x8086, 0x15b7, q_mf_endpoint }, { 0x8086, 0x15b8, q_mf_endpoint },
	{ 0x8086, ANY, q_intel_rciep },
	{ 0x17cb, 0x0400, q_isolating_port }, { 0x17cb, 0x0401, q_isolating_port }, /* QCOM */
	{ 0x17cb, 0x0115, q_isolating_port }, { 0x17cb, 0x0111, q_isolating_port },
	{ 0x17cb, 0x0120, q_isolating_port },
	{ 0x1dbf, 0x0401, q_isolating_port }, /* HXT SD4800 */
	{ 0x8086, ANY, q_intel_pch },
	{ 0x8086, ANY, q_intel_spt },
	{ 0x19a2, 0x0710, q_mf_endpoint }, /* Emulex BE3-R */
	{ 0x10df, 0x0720, q_mf_endpoint }, /* Emulex Skyhawk-R */
	{ 0x177d, ANY, q_cavium_port },    /* Cavium ThunderX */
	{ 0x177d, 0xa026, q_mf_endpoint }, { 0x177d, 0xa059, q_mf_endpoint }, { 0x177d, 0xa060, q_mf_endpoint },
	{ 0x10e8, 0xe004, q_isolating_port }, /* APM X-Gene */
	{ 0x1def, 0xe005, q_isolating_port }, { 0x1def, 0xe006, q_isolating_port }, /* Ampere */
	{ 0x1def, 0xe007, q_isolating_port }, { 0x1def, 0xe008, q_isolating_port },
	{ 0x1def, 0xe009, q_isolating_port }, { 0x1def, 0xe00a, q_isolating_port },
	{ 0x1def, 0xe00b, q_isolating_port }, { 0x1def, 0xe00c, q_isolating_port },
	{ 0x14e4, 0x16d7, q_mf_endpoint }, { 0x14e4, 0x1750, q_mf_endpoint }, /* Broadcom */
	{ 0x14e4, 0x1751, q_mf_endpoint }, { 0x14e4, 0x1752, q_mf_endpoint },
	{ 0x14e4, 0x1760, q_mf_endpoint }, { 0x14e4, 0x1761, q_mf_endpoint },
	{ 0x14e4, 0x1762, q_mf_endpoint }, { 0x14e4, 0x1763, q_mf_endpoint },
	{ 0x14e4, 0xd714, q_isolating_port }, /* Broadcom iProc PAXB */
	{ 0x0014, 0x3c09, q_isolating_port }, { 0x0014, 0x3c19, q_isolating_port }, /* Loongson */
	{ 0x0014, 0x3c29, q_isolating_port }, { 0x0014, 0x7a09, q_isolating_port },
	{ 0x0014, 0x7a19, q_isolating_port }, { 0x0014, 0x7a29, q_isolating_port },
	{ 0x0014, 0x7a39, q_isolating_port }, { 0x0014, 0x7a49, q_isolating_port },
	{ 0x0014, 0x7a59, q_isolating_port }, { 0x0014, 0x7a69, q_isolating_port },
	{ 0x1c36, 0x0031, q_annapurna },
	{ 0x1d17, 0x3038, q_mf_endpoint }, { 0x1d17, 0x3104, q_mf_endpoint }, /* Zhaoxin */
	{ 0x1d17, 0x9083, q_mf_endpoint },
	{ 0x1957, 0x8d81, q_isolating_port }, { 0x1957, 0x8da1, q_isolating_port }, /* NXP LX2 */
	{ 0x1957, 0x8d83, q_isolating_port }, { 0x1957, 0x8d80, q_isolating_port },
	{ 0x1957, 0x8da0, q_isolating_port }, { 0x1957, 0x8d82, q_isolating_port },
	{ 0x1957, 0x8d90, q_isolating_port }, { 0x1957, 0x8db0, q_isolating_port },
	{ 0x1957, 0x8d92, q_isolating_port }, { 0x1957, 0x8d91, q_isolating_port },
	{ 0x1957, 0x8db1, q_isolating_port }, { 0x1957, 0x8d93, q_isolating_port },
	{ 0x1957, 0x8d89, q_isolating_port }, { 0x1957, 0x8da9, q_isolating_port },
	{ 0x1957, 0x8d8b, q_isolating_port }, { 0x1957, 0x8d88, q_isolating_port },
	{ 0x1957, 0x8da8, q_isolating_port }, { 0x1957, 0x8d8a, q_isolating_port },
	{ 0x1957, 0x8d98, q_isolating_port }, { 0x1957, 0x8db8, q_isolating_port },
	{ 0x1957, 0x8d9a, q_isolating_port }, { 0x1957, 0x8d99, q_isolating_port },
	{ 0x1957, 0x8db9, q_isolating_port }, { 0x1957, 0x8d9b, q_isolating_port },
	{ 0x1d17, ANY, q_zhaoxin_port },
	{ 0x8088, ANY, q_wangxun },
};

static int acs_quirk(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	for (size_t i = 0; i < sizeof(acs_quirks) / sizeof(acs_quirks[0]); i++) {
		const struct acs_quirk *q = &acs_quirks[i];
		int r;

		if (q->vendor != d->vendor || (q->device != ANY && q->device != d->device))
			continue;
		if ((r = q->fn(d, flags, o)) >= 0)
			return r;
	}
	return -1;
}

/* pci_acs_flags_enabled(): what the capability does not offer is taken as
 * hard-wired on (PCIe r6.0, 6.12.1) */
static bool acs_flags_enabled(const struct pt_iso_dev *d, uint16_t flags, const struct pt_iso_opts *o)
{
	uint16_t ctrl = d->acs_ctrl;

	if (!d->has_acs)
		return false;
	flags &= d->acs_cap | PT_ACS_EC;
	/* drivers/pci/pci.c pci_std_enable_acs() */
	if (o->predict_enable)
		ctrl |= d->acs_cap & ISOLATED;
	return (ctrl & flags) == flags;
}

bool pt_iso_acs_enabled(const struct pt_iso_dev *devs, size_t n, size_t i, uint16_t flags,
			const struct pt_iso_opts *o)
{
	const struct pt_iso_dev *d = &devs[i];
	int q;

	(void)n;
	if ((q = acs_quirk(d, flags, o)) >= 0)
		return q > 0;
	switch (d->pcie_type) {
	case PT_PCIE_NONE:
		/* conventional PCI: a shared bus, every device sees every DMA */
		return false;
	case PT_PCIE_PCIE_BRIDGE:
	case PT_PCIE_PCI_BRIDGE:
	case PT_PCIE_RC_EC:
		/* PCIe r3.0 6.12.1 rules ACS out for these */
		return false;
	case PT_PCIE_DOWNSTREAM:
	case PT_PCIE_ROOT_PORT:
		return acs_flags_enabled(d, flags, o);
	case PT_PCIE_ENDPOINT:
	case PT_PCIE_UPSTREAM:
	case PT_PCIE_LEGACY_END:
	case PT_PCIE_RC_END:
		/* ACS matters between the functions of a multifunction device only */
		if (!d->multifunction)
			return true;
		return acs_flags_enabled(d, flags, o);
	}
	return true;
}

bool pt_iso_acs_path_enabled(const struct pt_iso_dev *devs, size_t n, size_t i, uint16_t flags,
			     const struct pt_iso_opts *o)
{
	for (size_t hops = 0; hops <= n; hops++) {
		if (!pt_iso_acs_enabled(devs, n, i, flags, o))
			return false;
		if (on_root_bus(&devs[i]))
			return true;
		i = (size_t)devs[i].parent;
	}
	return false;
}

static bool is_amd_iommu(const struct pt_iso_dev *d)
{
	return (d->vendor == 0x1022 || d->vendor == 0x1d94 /* Hygon */) && d->class == 0x0806 &&
	       on_root_bus(d);
}

bool pt_iso_no_group(const struct pt_iso_dev *devs, size_t n, size_t i)
{
	const struct pt_iso_dev *d = &devs[i];

	if (is_amd_iommu(d))
		return true;
	if (d->class != 0x0600 || d->bdf.fn != 0 || !on_root_bus(d) || (d->vendor != 0x1022 && d->vendor != 0x1d94))
		return false;
	for (size_t k = 0; k < n; k++)
		if (k != i && is_amd_iommu(&devs[k]) && pt_bdf_same_slot(&devs[k].bdf, &d->bdf))
			return true;
	return false;
}

/* ---- DMA aliases (drivers/pci/quirks.c, the DMA alias fixups) ---- */

struct alias {
	uint64_t mask[4];  /* devfns on the same bus the device's DMA also carries */
	bool any;
	bool pcie_bridge_alias; /* a conventional bridge that is really PCIe-to-PCI */
	bool no_alias;          /* a PCIe-to-PCI bridge that forwards requester IDs */
	bool xlate_root;        /* the IOMMU sits at this bridge, not at the root bus */
};

static void alias_add(struct alias *a, unsigned devfn)
{
	a->mask[devfn >> 6 & 3] |= 1ull << (devfn & 63);
	a->any = true;
}

static bool alias_has(const struct alias *a, unsigned devfn)
{
	return a->any && (a->mask[devfn >> 6 & 3] >> (devfn & 63) & 1);
}

static bool id_in(uint16_t device, const uint16_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == device)
			return true;
	return false;
}

static void alias_of(const struct pt_iso_dev *devs, size_t i, struct alias *a)
{
	static const uint16_t marvell_fn1[] = { 0x9120, 0x9123, 0x9125, 0x9128, 0x9130, 0x9170, 0x9172, 0x917a,
						0x9182, 0x9183, 0x91a0, 0x9215, 0x9220, 0x9230, 0x9235 };
	static const uint16_t bridge_alias[][2] = { { 0x1b21, 0x1080 }, /* ASM1083/1085 */
						    { 0x10e3, 0x8113 }, /* Tundra 8113 */
						    { 0x1283, 0x8892 }, { 0x1283, 0x8893 }, /* ITE */
						    { 0x8086, 0x244e } }; /* Intel 82801 */
	const struct pt_iso_dev *d = &devs[i];
	unsigned slot = d->bdf.dev & 0x1f, fn = d->bdf.fn & 7;
	bool fn0 = false, fn1 = false;

	memset(a, 0, sizeof(*a));
	/* Ricoh and Glenfly use function 0 as the requester ID */
	if ((d->vendor == 0x1180 && (d->device == 0xe832 || d->device == 0xe476)) ||
	    (d->vendor == 0x6766 && (d->device == 0x3d40 || d->device == 0x3d41)))
		fn0 = true;
	/* Marvell SATA (and what is built of it) uses function 1 */
	if ((d->vendor == 0x1b4b && id_in(d->device, marvell_fn1, sizeof(marvell_fn1) / sizeof(marvell_fn1[0]))) ||
	    (d->vendor == 0x1103 && (d->device == 0x0642 || d->device == 0x0645)) || /* TTI */
	    (d->vendor == 0x197b && d->device == 0x2392) ||  /* JMicron JMB388 eSD */
	    (d->vendor == 0x1c28 && d->device == 0x0122))     /* Plextor M6E */
		fn1 = true;
	if (fn0 && fn != 0)
		alias_add(a, slot << 3);
	if (fn1 && fn != 1)
		alias_add(a, slot << 3 | 1);
	/* Adaptec 3405 and 3805: the DMA engine is a hidden device at 01.0 */
	if (d->vendor == 0x9005 && d->device == 0x0285 && d->subsys_vendor == 0x9005 &&
	    (d->subsys_device == 0x02bb || d->subsys_device == 0x02bc))
		alias_add(a, 1 << 3);
	/* Intel MIC x200 NTB forwards with these requester IDs */
	if (d->vendor == 0x8086 && (d->device == 0x2260 || d->device == 0x2264)) {
		alias_add(a, 0x10 << 3);
		alias_add(a, 0x11 << 3);
		alias_add(a, 0x12 << 3 | 3);
	}
	/* Intel VCA: every slot, functions 0 to 4 */
	if (d->vendor == 0x8086 && d->device >= 0x2954 && d->device <= 0x295a && d->device != 0x2957)
		for (unsigned s = 0; s < 32; s++)
			for (unsigned f = 0; f < 5; f++)
				alias_add(a, s << 3 | f);
	for (size_t k = 0; k < sizeof(bridge_alias) / sizeof(bridge_alias[0]); k++)
		if (d->vendor == bridge_alias[k][0] && d->device == bridge_alias[k][1] && !on_root_bus(d) &&
		    d->bridge_header && d->pcie_type == PT_PCIE_NONE &&
		    devs[d->parent].pcie_type != PT_PCIE_NONE && devs[d->parent].pcie_type != PT_PCIE_PCI_BRIDGE)
			a->pcie_bridge_alias = true;
	if (d->vendor == 0x1a03 && d->device == 0x1150) /* ASPEED AST1150 */
		a->no_alias = true;
	if (d->vendor == 0x14e4 && (d->device == 0x9000 || d->device == 0x9084)) /* ThunderX2 */
		a->xlate_root = true;
}

/* ---- pci_device_group() ---- */

struct grouping {
	const struct pt_iso_dev *devs;
	size_t n;
	const struct pt_iso_opts *o;
	const struct alias *alias;
	int *group;
	uint64_t seen[4];     /* devfns visited by one alias search */
};

static bool acs_ok(struct grouping *g, size_t i)
{
	return pt_iso_acs_enabled(g->devs, g->n, i, PT_ACS_REQUIRED, g->o);
}

/* The functions of devs[i]'s bus: a contiguous run, devs being sorted. */
static void bus_range(struct grouping *g, size_t i, size_t *lo, size_t *hi)
{
	size_t a = i, b = i + 1;

	while (a > 0 && same_bus(&g->devs[a - 1], &g->devs[i]))
		a--;
	while (b < g->n && same_bus(&g->devs[b], &g->devs[i]))
		b++;
	*lo = a;
	*hi = b;
}

static bool dma_aliases(struct grouping *g, size_t a, size_t b)
{
	return alias_has(&g->alias[a], devfn_of(&g->devs[b])) || alias_has(&g->alias[b], devfn_of(&g->devs[a]));
}

static int function_alias_group(struct grouping *g, size_t i);

/* get_pci_alias_group(): an existing group of i, or of a device that is
 * a DMA alias of i (or whose functions are) */
static int alias_group(struct grouping *g, size_t i)
{
	unsigned df = devfn_of(&g->devs[i]);
	size_t lo, hi;
	int r;

	if (g->seen[df >> 6] >> (df & 63) & 1)
		return -1;
	g->seen[df >> 6] |= 1ull << (df & 63);
	if (g->group[i] >= 0)
		return g->group[i];
	bus_range(g, i, &lo, &hi);
	for (size_t k = lo; k < hi; k++) {
		if (k == i || !dma_aliases(g, i, k))
			continue;
		if ((r = alias_group(g, k)) >= 0 || (r = function_alias_group(g, k)) >= 0)
			return r;
	}
	return -1;
}

/* get_pci_function_alias_group(): the functions of a multifunction device
 * without ACS see each other's DMA */
static int function_alias_group(struct grouping *g, size_t i)
{
	const struct pt_iso_dev *d = &g->devs[i];
	size_t lo, hi;
	int r;

	if (!d->multifunction || acs_ok(g, i))
		return -1;
	bus_range(g, i, &lo, &hi);
	for (size_t k = lo; k < hi; k++) {
		if (k == i || !pt_bdf_same_slot(&g->devs[k].bdf, &d->bdf) || acs_ok(g, k))
			continue;
		if ((r = alias_group(g, k)) >= 0)
			return r;
	}
	return -1;
}

static int find_group(struct grouping *g, size_t i)
{
	const struct pt_iso_dev *devs = g->devs;
	size_t pdev = devs[i].dma_dev >= 0 ? (size_t)devs[i].dma_dev : i; /* pci_real_dma_dev() */
	int r;

	/* pci_for_each_dma_alias(): the requester IDs the IOMMU sees for i,
	 * up to the root bus; a device must not be aliased by the topology
	 * to have a group of its own */
	if (g->group[pdev] >= 0)
		return g->group[pdev];
	for (size_t x = pdev, hops = 0; !on_root_bus(&devs[x]) && hops < g->n; hops++) {
		size_t br = (size_t)devs[x].parent;

		x = br;
		if (g->alias[br].xlate_root)
			break;
		switch (devs[br].pcie_type) {
		case PT_PCIE_PCI_BRIDGE:
			/* PCIe-to-PCI bridges take ownership of what comes from below
			 * (PCIe to PCI/PCI-X Bridge spec 1.0, 2.3) */
			if (g->alias[br].no_alias)
				continue;
			break;
		case PT_PCIE_PCIE_BRIDGE:
		case PT_PCIE_NONE: /* a conventional bridge: its own ID */
			break;
		default: /* root, switch ports: the requester ID passes unchanged */
			continue;
		}
		pdev = br;
		if (g->group[br] >= 0)
			return g->group[br];
	}
	/* up from there to where ACS on every port protects from peer-to-peer */
	for (size_t x = pdev, hops = 0; !on_root_bus(&devs[x]) && hops < g->n; hops++) {
		size_t br = (size_t)devs[x].parent;

		x = br;
		if (pt_iso_acs_path_enabled(devs, g->n, br, PT_ACS_REQUIRED, g->o))
			break;
		pdev = br;
		if (g->group[br] >= 0)
			return g->group[br];
	}
	memset(g->seen, 0, sizeof(g->seen));
	if ((r = alias_group(g, pdev)) >= 0)
		return r;
	/* the bitmap stays: what was tested is still valid (as the kernel) */
	return function_alias_group(g, pdev);
}

/* The kernel's probe order: the devices of a bus, then the buses below
 * each of its bridges (drivers/pci/bus.c pci_bus_add_devices()). */
static void order_bus(const struct pt_iso_dev *devs, const size_t *first, const size_t *next, size_t head,
		      size_t none, size_t *order, size_t *no, unsigned depth)
{
	for (size_t k = head; k != none; k = next[k])
		if (!devs[k].virtfn)
			order[(*no)++] = k;
	if (depth > 256)
		return;
	for (size_t k = head; k != none; k = next[k])
		if (first[k] != none)
			order_bus(devs, first, next, first[k], none, order, no, depth + 1);
}

size_t pt_iso_groups(const struct pt_iso_dev *devs, size_t n, const struct pt_iso_opts *o, int *group)
{
	size_t none = n, ngroups = 0, no = 0;
	size_t *first, *next, *last, *order;
	struct alias *alias;
	struct grouping g;

	if (n == 0)
		return 0;
	first = pt_xcalloc(n, sizeof(*first));
	next = pt_xcalloc(n, sizeof(*next));
	last = pt_xcalloc(n, sizeof(*last));
	order = pt_xcalloc(n, sizeof(*order));
	alias = pt_xcalloc(n, sizeof(*alias));
	for (size_t i = 0; i < n; i++) {
		first[i] = next[i] = last[i] = none;
		group[i] = -1;
		alias_of(devs, i, &alias[i]);
	}
	/* children in address order below each bridge */
	for (size_t i = 0; i < n; i++) {
		size_t p = devs[i].parent >= 0 && (size_t)devs[i].parent < n ? (size_t)devs[i].parent : none;

		if (p == none)
			continue;
		if (first[p] == none)
			first[p] = i;
		else
			next[last[p]] = i;
		last[p] = i;
	}
	/* the root buses in address order, each with its devices chained */
	for (size_t i = 0; i < n;) {
		size_t head = none, tail = none, j = i;

		for (; j < n && same_bus(&devs[j], &devs[i]); j++) {
			if (!on_root_bus(&devs[j]))
				continue;
			if (head == none)
				head = j;
			else
				next[tail] = j;
			tail = j;
		}
		if (head != none) {
			next[tail] = none;
			order_bus(devs, first, next, head, none, order, &no, 0);
		}
		i = j;
	}
	/* SR-IOV VFs come when they are enabled, after everything else; and
	 * whatever the walk did not reach (a parent outside the list) */
	for (size_t k = 0; k < no; k++)
		last[order[k]] = 0; /* last[] is free now: 0 marks a device placed */
	for (size_t i = 0; i < n; i++)
		if (last[i] != 0 && no < n)
			order[no++] = i;

	g.devs = devs;
	g.n = n;
	g.o = o;
	g.alias = alias;
	g.group = group;
	for (size_t k = 0; k < no; k++) {
		size_t i = order[k];
		int r;

		if (pt_iso_no_group(devs, n, i))
			continue;
		r = find_group(&g, i);
		group[i] = r >= 0 ? r : (int)ngroups++;
	}
	free(first);
	free(next);
	free(last);
	free(order);
	free(alias);
	return ngroups;
}

/* ---------------------------------------------------------------- host */

/* Header type, PCIe capability and ACS capability of one device, read
 * through libpci; false when config space past the header cannot be read. */
static bool read_caps(const struct pt_host *h, const struct pt_dev *d, struct pt_iso_dev *x)
{
	uint8_t cfg[256];
	struct pci_dev *pd;
	struct pci_cap *c;
	bool full;

	if (!d->config_ok)
		return false;
	pd = pci_get_dev(h->pacc, (int)d->bdf.domain, (int)d->bdf.bus, (int)d->bdf.dev, (int)d->bdf.fn);
	if (!pd)
		return false;
	if (!pci_read_block(pd, 0, cfg, 64)) {
		pci_free_dev(pd);
		return false;
	}
	x->multifunction = cfg[PCI_HEADER_TYPE] & 0x80;
	x->bridge_header = (cfg[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
	/* the kernel shows users other than root the first 64 bytes only */
	full = pci_read_block(pd, 64, cfg + 64, sizeof(cfg) - 64);
	if (full) {
		pci_fill_info(pd, PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
		if ((c = pci_find_cap(pd, PCI_CAP_ID_EXP, PCI_CAP_NORMAL)))
			x->pcie_type = (pci_read_word(pd, c->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;
		if ((c = pci_find_cap(pd, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED))) {
			x->has_acs = true;
			x->acs_cap = pci_read_word(pd, c->addr + PCI_ACS_CAP);
			x->acs_ctrl = pci_read_word(pd, c->addr + PCI_ACS_CTRL);
			x->acs_ctrl_dw = pci_read_word(pd, c->addr + PCI_ACS_CTRL + 2);
		}
	}
	pci_free_dev(pd);
	return full;
}

size_t pt_iso_gather(const struct pt_host *h, struct pt_iso_dev *devs)
{
	size_t unknown = 0;

	for (size_t i = 0; i < h->ndevs; i++) {
		const struct pt_dev *d = &h->devs[i];
		const struct pt_dev *owner = pt_dev_domain_owner(h, d);
		struct pt_iso_dev *x = &devs[i];

		memset(x, 0, sizeof(*x));
		x->bdf = d->bdf;
		x->vendor = d->vendor;
		x->device = d->device;
		x->class = d->class;
		x->subsys_vendor = d->subsys_vendor >= 0 ? (uint16_t)d->subsys_vendor : 0xffff;
		x->subsys_device = d->subsys_device >= 0 ? (uint16_t)d->subsys_device : 0xffff;
		x->pcie_type = PT_PCIE_NONE;
		x->parent = d->parent;
		/* a VMD domain's bus 0 is a root bus; its DMA is the VMD's */
		if (d->parent >= 0 && h->devs[d->parent].bdf.domain != d->bdf.domain)
			x->parent = -1;
		x->dma_dev = owner ? (int)(owner - h->devs) : -1;
		x->virtfn = pt_exists("/sys/bus/pci/devices/%s/physfn", d->name);
		if (!read_caps(h, d, x))
			unknown++;
	}
	/* no header at all: a function with others in its slot is taken as
	 * part of a multifunction device */
	for (size_t i = 0; i < h->ndevs; i++) {
		if (h->devs[i].config_ok || devs[i].virtfn)
			continue;
		for (size_t k = 0; k < h->ndevs; k++)
			if (k != i && !devs[k].virtfn && pt_bdf_same_slot(&devs[k].bdf, &devs[i].bdf))
				devs[i].multifunction = true;
	}
	return unknown;
}

size_t pt_groups_compute(const struct pt_host *h, struct pt_group **groups, size_t *n)
{
	struct pt_iso_dev *devs = pt_xcalloc(h->ndevs ? h->ndevs : 1, sizeof(*devs));
	int *number = pt_xcalloc(h->ndevs ? h->ndevs : 1, sizeof(*number));
	const struct pt_iso_opts o = { .predict_enable = true };
	size_t unknown = pt_iso_gather(h, devs);

	pt_iso_groups(devs, h->ndevs, &o, number);
	pt_groups_assemble(h, number, true, groups, n);
	free(devs);
	free(number);
	return unknown;
}

/* IOMMU groups computed from config space, as Linux would form them, for
 * a host that shows none: a Xen dom0 (Xen owns the IOMMU) or a Linux host
 * booted with the IOMMU off ("these would be your groups once it is on").
 *
 * The rules are the kernel's: drivers/iommu/iommu.c pci_device_group(),
 * with the DMA aliases of drivers/pci/search.c pci_for_each_dma_alias(),
 * the ACS tests of drivers/pci/pci.c pci_acs_enabled() and
 * pci_acs_path_enabled() (REQ_ACS_FLAGS: SV, RR, CR, UF), and the
 * device-specific ACS and DMA alias quirks of drivers/pci/quirks.c. The
 * classic algorithm (Linux 3.x to 6.x), not the reachable-set rework
 * proposed in 2025. */
#ifndef PT_ISOLATION_H
#define PT_ISOLATION_H

#include "bdf.h"
#include "iommu.h"
#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ACS capability and control bits (PCIe r6.0, 7.7.8) */
#define PT_ACS_SV 0x0001 /* source validation */
#define PT_ACS_TB 0x0002 /* translation blocking */
#define PT_ACS_RR 0x0004 /* P2P request redirect */
#define PT_ACS_CR 0x0008 /* P2P completion redirect */
#define PT_ACS_UF 0x0010 /* upstream forwarding */
#define PT_ACS_EC 0x0020 /* P2P egress control */
#define PT_ACS_DT 0x0040 /* direct translated P2P */
/* What the kernel requires of every port on the way up to call a device
 * isolated (drivers/iommu/iommu.c REQ_ACS_FLAGS). */
#define PT_ACS_REQUIRED (PT_ACS_SV | PT_ACS_RR | PT_ACS_CR | PT_ACS_UF)

/* PCI Express device/port type (PCIe capability, Flags bits 7:4) */
enum pt_pcie_type {
	PT_PCIE_NONE = -1,       /* conventional PCI: no PCIe capability */
	PT_PCIE_ENDPOINT = 0x0,
	PT_PCIE_LEGACY_END = 0x1,
	PT_PCIE_ROOT_PORT = 0x4,
	PT_PCIE_UPSTREAM = 0x5,
	PT_PCIE_DOWNSTREAM = 0x6,
	PT_PCIE_PCI_BRIDGE = 0x7,  /* PCIe to PCI/PCI-X bridge */
	PT_PCIE_PCIE_BRIDGE = 0x8, /* PCI/PCI-X to PCIe bridge */
	PT_PCIE_RC_END = 0x9,      /* root complex integrated endpoint */
	PT_PCIE_RC_EC = 0xa,       /* root complex event collector */
};

/* ---- pure: what the rules need of one PCI function, and the rules ---- */

struct pt_iso_dev {
	struct pt_bdf bdf;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint16_t class;          /* base class and subclass, 0x0604 */
	int parent;              /* index of the bridge above; -1 on a root bus */
	int dma_dev;             /* index of the device whose requester ID carries this
				  * one's DMA (the Intel VMD endpoint of its domain), or -1 */
	int pcie_type;           /* enum pt_pcie_type */
	bool multifunction;      /* header type bit 7 */
	bool bridge_header;      /* header type 1 (PCI-to-PCI bridge) */
	bool virtfn;             /* an SR-IOV VF: the kernel adds it after everything else */
	bool has_acs;            /* an ACS extended capability */
	uint16_t acs_cap;        /* its capability register */
	uint16_t acs_ctrl;       /* its control register */
	uint16_t acs_ctrl_dw;    /* the word at capability + 8, where Intel Sunrise and
				  * Union Point PCH root ports keep their control bits */
};

/* How the control words are to be read. */
struct pt_iso_opts {
	/* Add what the kernel's pci_enable_acs() writes once an IOMMU driver
	 * asks for ACS (pci_request_acs()): every SV, RR, CR and UF bit the
	 * capability offers, and the Intel PCH quirk's equivalent. A Linux host
	 * booted with the IOMMU off has not done that yet. */
	bool predict_enable;
};

/* Whether the kernel counts d as providing the ACS flags `flags`
 * (pci_acs_enabled(): the device-specific quirks, then the type rules). */
bool pt_iso_acs_enabled(const struct pt_iso_dev *devs, size_t n, size_t i, uint16_t flags,
			const struct pt_iso_opts *o);
/* Whether every device from devs[i] up to its root bus does (pci_acs_path_enabled()). */
bool pt_iso_acs_path_enabled(const struct pt_iso_dev *devs, size_t n, size_t i, uint16_t flags,
			     const struct pt_iso_opts *o);
/* Whether the IOMMU leaves devs[i] out of every group: an AMD IOMMU's own
 * function (class 0806 on a root bus) and the root complex in its slot,
 * which the firmware's IVRS does not cover. */
bool pt_iso_no_group(const struct pt_iso_dev *devs, size_t n, size_t i);

/* The groups: group[i] is devs[i]'s group, numbered from 0 in the order
 * the kernel would create them (each bus, then the buses below it; VFs
 * last), or -1 for a device in no group. devs must be sorted by address
 * (bridges come before the devices below them). Returns the number of
 * groups. */
size_t pt_iso_groups(const struct pt_iso_dev *devs, size_t n, const struct pt_iso_opts *o, int *group);

/* ---- the host: gathering from libpci and sysfs ---- */

/* What the rules need of every device of a scanned host, read through
 * libpci (header type, PCIe capability, ACS capability and control).
 * devs[i] describes h->devs[i]. Returns how many devices' config space
 * could not be read past the first 64 bytes (only root can; a broken
 * device): those are taken as conventional PCI without ACS, which can
 * only make their groups larger. */
size_t pt_iso_gather(const struct pt_host *h, struct pt_iso_dev *devs);

/* The groups of a host with none of its own, computed as above and
 * marked computed, with verdicts: the same struct pt_group as
 * pt_groups_build(), numbers from 0 in the kernel's probe order (not the
 * numbers the kernel would give them). The ACS control bits are read as
 * the kernel will have set them once an IOMMU driver runs. Returns the
 * count pt_iso_gather() returns. Free with pt_groups_free(). */
size_t pt_groups_compute(const struct pt_host *h, struct pt_group **groups, size_t *n);

#endif

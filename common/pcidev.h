/* The host's PCI devices, over libpci (its sysfs.path points into the
 * sysroot): IDs, class, names from pci.ids, subsystem IDs, driver, IOMMU
 * group, reset methods, physical slot and the upstream bridge chain. */
#ifndef PT_PCIDEV_H
#define PT_PCIDEV_H

#include "bdf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pci_access;
struct pci_dev;

#define PT_MAX_UPSTREAM 32

/* One per device, kept small: a server can have ten thousand. */
struct pt_dev {
	struct pt_bdf bdf;
	char name[PT_BDF_LEN];    /* "0000:01:00.0" */
	uint16_t vendor, device;
	uint16_t class;           /* base class and subclass, 0x0300 */
	uint8_t prog_if, revision;
	int32_t subsys_vendor, subsys_device; /* -1: none (bridges, unreadable) */
	int8_t header_type;       /* 0, 1, 2; -1 when config space is unreadable */
	bool ids_known, class_known; /* false when sysfs could not tell */
	bool config_ok;           /* the standard header could be read */
	int group;                /* -1: no IOMMU group */
	int parent;               /* index of the bridge above in pt_host.devs, or -1 */
	unsigned depth;           /* bridges above, from the sysfs path */
	const char *driver;       /* NULL: no driver bound */
	const char *reset_methods; /* space separated; NULL when the kernel has no reset_method */
	const char *phys_slot;    /* /sys/bus/pci/slots/NAME, or NULL */
	char *problem;            /* what is wrong with this device's sysfs, or NULL */
};

struct pt_host {
	struct pci_access *pacc;
	struct pt_dev *devs;      /* sorted by address */
	size_t ndevs;
	char **strings;           /* driver names, reset_method values, slot names: each once */
	size_t nstrings;
};

/* Scan every PCI device below the sysroot. libpci's fatal errors (an
 * unreadable /sys/bus/pci) end the program with one line and exit 1.
 * Names come from pci.ids (PASSTHRU_PCI_IDS overrides the file and turns
 * off udev's hwdb, so tests do not depend on the host's database). */
void pt_host_scan(struct pt_host *h);
void pt_host_free(struct pt_host *h);
struct pt_dev *pt_host_find(const struct pt_host *h, const struct pt_bdf *b);

/* The bridges above d, nearest first; returns how many (at most max). */
size_t pt_dev_upstream(const struct pt_host *h, const struct pt_dev *d, const struct pt_dev **out,
		       size_t max);

/* Names; NULL when pci.ids does not know the ID, or gives a name that is
 * not printable UTF-8, or cannot be read (then one warning says so).
 * Returned strings live in buf. */
const char *pt_dev_vendor_name(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len);
const char *pt_dev_device_name(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len);
const char *pt_dev_class_name(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len);
/* "VENDOR DEVICE" with numbers for what has no name, as lspci prints them:
 * "NVIDIA Corporation Device 2206", "Vendor 10de Device 2206". */
const char *pt_dev_describe(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len);

/* Host bridges and PCI-to-PCI bridges (root ports, switch ports) stay with
 * the host; an ISA/LPC bridge is an ordinary endpoint to VFIO. */
bool pt_dev_is_bridge(const struct pt_dev *d);
/* A card in a slot: below a bridge, or in a physical slot. Functions of a
 * card belong together; functions of the chipset on the root bus do not. */
bool pt_dev_is_card(const struct pt_dev *d);

/* The chipset's own functions, which serve the host whatever group they
 * are in: ISA/LPC bridges (RTC, TPM, super I/O, firmware flash), SMBus
 * controllers (sensors, SPD, the memory's thermal sensors) and other
 * system peripherals on the root bus. Host bridges are bridges. */
bool pt_dev_is_platform(const struct pt_dev *d);
/* "ISA bridge", "SMBus": what kind of platform function, for messages;
 * NULL for anything else. */
const char *pt_dev_platform_kind(const struct pt_dev *d);
/* What of the host's hangs off a platform function: "the RTC, TPM, super
 * I/O and firmware flash" for an LPC bridge, "temperature sensors and
 * memory SPD" for an SMBus. */
const char *pt_dev_platform_duty(const struct pt_dev *d);

/* Pure: whether a driver leaves the device's DMA to whoever owns the
 * group, as the kernel's driver_managed_dma flag says (since 5.19): vfio-pci
 * and its variants (mlx5_vfio_pci, ...), pci-stub, pcieport. Every other
 * driver on any device of a group, bridges included, makes the kernel
 * refuse the group to VFIO (drivers/iommu/iommu.c iommu_group_claim_dma_owner). */
bool pt_driver_manages_dma(const char *driver);

/* The device through which d's PCI domain hangs off another one (an Intel
 * VMD endpoint for domain 10000 and up), or NULL for an ordinary device. */
const struct pt_dev *pt_dev_domain_owner(const struct pt_host *h, const struct pt_dev *d);
/* Whether another domain hangs off d (d is a VMD endpoint). */
bool pt_dev_owns_domain(const struct pt_host *h, const struct pt_dev *d);

/* Pure: the PCI addresses in a /sys/bus/pci/devices/BDF link target
 * ("../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0"), the device's
 * own address last. Returns how many were found (at most max). */
size_t pt_parse_device_path(const char *path, struct pt_bdf *out, size_t max);

/* Pure: whether every word of a reset_method value is one the kernel
 * defines (drivers/pci/pci.c pci_reset_fn_methods). */
bool pt_reset_methods_valid(const char *s);

#endif

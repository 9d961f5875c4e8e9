/* SR-IOV: a physical function's virtual functions. The pure parts (the
 * kernel's number spellings, the order of writes a change needs, a VF
 * count checked against the total) and the sysfs parts (what a PF reports,
 * its VFs, the SR-IOV capability in config space). */
#ifndef PT_SRIOV_H
#define PT_SRIOV_H

#include "bdf.h"
#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a PF says in sysfs. */
struct pt_sriov {
	bool numvfs_file;      /* sriov_numvfs exists */
	int total;             /* sriov_totalvfs, -1 unknown */
	int num;               /* sriov_numvfs, -1 unknown */
	int autoprobe;         /* sriov_drivers_autoprobe 0/1, -1 unknown */
	int vf_device;         /* sriov_vf_device, -1 unknown */
};

/* One write of a change: attribute of the PF, value. */
struct pt_sriov_step {
	const char *attr;      /* "sriov_numvfs", "sriov_drivers_autoprobe" */
	int value;
};

/* ---- pure ---- */

/* A device ID as the kernel spells sriov_vf_device: "154c" or "0x154c"
 * (a trailing newline allowed). Returns NULL, or what is wrong. */
const char *pt_sriov_parse_id(const char *s, uint16_t *id);

/* A VF count given on the command line, at most total (total < 0:
 * unknown, any count up to 65535). Returns NULL, or the reason, in err. */
const char *pt_sriov_parse_count(const char *s, int total, int *n, char *err, size_t len);

/* The writes that take a PF from `now` VFs to `want`: through 0 when VFs
 * exist and the count changes (the kernel answers EBUSY otherwise,
 * drivers/pci/iov.c sriov_numvfs_store), and sriov_drivers_autoprobe
 * (`autoprobe`: 0 or 1) before the enabling write. Returns how many steps
 * (at most 3, max room); 0 when now == want. */
size_t pt_sriov_plan(int now, int want, int autoprobe, struct pt_sriov_step *steps, size_t max);

/* The address of VF i from the PF's address and sriov_offset/stride
 * (routing IDs, PCIe SR-IOV 3.3.10). False when it falls off the domain. */
bool pt_sriov_vf_addr(const struct pt_bdf *pf, int offset, int stride, int i, struct pt_bdf *out);

/* ---- sysfs ---- */

/* Read what the PF's sysfs has; false when it has no sriov_totalvfs
 * (not a PF, or the kernel does not show it). */
bool pt_sriov_read(const char *bdf, struct pt_sriov *s);

/* The VFs from the PF's virtfnN links, in order: up to max addresses
 * ("0000:18:02.0") in out. Returns how many. */
size_t pt_sriov_vfs(const char *bdf, char (*out)[PT_BDF_LEN], size_t max);

/* Whether the config space (through libpci) has the SR-IOV capability;
 * its TotalVFs and VF device ID in *total and *vf_device (may be NULL). */
bool pt_sriov_cap(const struct pt_host *h, const struct pt_dev *d, int *total, int *vf_device);

#endif

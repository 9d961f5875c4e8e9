/* A Xen dom0: Xen owns the IOMMU, so dom0's Linux sees no DMAR table and
 * no IOMMU groups, and devices go to domUs through xen-pciback. What Xen
 * itself says (xl info, xl dmesg) decides whether it can assign them. */
#ifndef PT_XEN_H
#define PT_XEN_H

#include "hostcheck.h"

#include <stdbool.h>
#include <stddef.h>

struct pt_xen_facts {
	bool asked;          /* xl answered */
	char why[160];       /* when it did not: why */
	char version[32];    /* "4.17.6" (xen_major.xen_minor xen_extra) */
	bool pv_directio;    /* virt_caps: passthrough to PV guests */
	bool hvm_directio;   /* virt_caps: passthrough to HVM guests */
	int iommu;           /* 1 "I/O virtualisation enabled", 0 disabled, -1 not said */
	char iommu_kind[16]; /* "Intel VT-d", "AMD-Vi", "" */
	int intremap;        /* 1 interrupt remapping enabled, 0 not, -1 not said */
	char cmdline[256];   /* Xen's own command line (xen_commandline) */
};

/* ---- pure pieces, unit-tested ---- */

/* What `xl info` and `xl dmesg` text say (either may be NULL). */
void pt_xen_parse(const char *xl_info, const char *xl_dmesg, struct pt_xen_facts *x);
/* The findings for a dom0 with those facts; can_assign follows directio. */
void pt_xen_findings(const struct pt_xen_facts *x, struct pt_findings *f);

/* ---- the host ---- */

/* Whether this Linux is Xen's dom0 (/sys/hypervisor/type "xen" and
 * "control_d" in /proc/xen/capabilities). */
bool pt_xen_dom0(void);
/* Ask Xen: `xl info` and `xl dmesg`, each given 10 s; in a recorded tree
 * (--sysroot) their saved output, xl/info and xl/dmesg at its top. */
void pt_xen_ask(struct pt_xen_facts *x);

/* Whether a device on pciback is held by a Xen guest: bound to pciback
 * but not in `xl pci-assignable-list` (libxl leaves assigned devices out).
 * 1 held, 0 not, -1 unknown (xl did not answer in 10 s). */
int pt_xen_assigned(const char *bdf);

#endif

/* IOMMU groups computed from config space (common/isolation.c): each rule
 * of the kernel's pci_device_group() on hand-built device lists, then
 * every fixture tree, whose computed groups must be the kernel's. */
#include "isolation.h"
#include "msg.h"
#include "sysfs.h"
#include "tap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- hand-built */

#define MAXD 32

struct list {
	struct pt_iso_dev d[MAXD];
	size_t n;
};

/* Add a function at "BB:dd.f" (domain 0) below the device at index
 * parent (-1: root bus); type is a PT_PCIE_* value. Returns its index. */
static int add(struct list *l, const char *bdf, int parent, int type, uint16_t vendor, uint16_t device,
	       uint16_t class)
{
	struct pt_iso_dev *x = &l->d[l->n];

	memset(x, 0, sizeof(*x));
	if (pt_bdf_parse(bdf, &x->bdf))
		abort();
	x->parent = parent;
	x->dma_dev = -1;
	x->pcie_type = type;
	x->vendor = vendor;
	x->device = device;
	x->class = class;
	x->subsys_vendor = x->subsys_device = 0xffff;
	x->bridge_header = (class >> 8) == 0x06 && (class & 0xff) == 0x04;
	return (int)l->n++;
}

static void acs(struct list *l, int i, uint16_t cap, uint16_t ctrl)
{
	l->d[i].has_acs = true;
	l->d[i].acs_cap = cap;
	l->d[i].acs_ctrl = ctrl;
}

static const struct pt_iso_opts as_read = { .predict_enable = false };
static const struct pt_iso_opts predicted = { .predict_enable = true };

static int grp[MAXD];

static size_t groups_of(struct list *l, const struct pt_iso_opts *o)
{
	return pt_iso_groups(l->d, l->n, o, grp);
}

#define together(a, b) (grp[a] >= 0 && grp[a] == grp[b])

static void rules(void)
{
	struct list l;
	int rp, ep, ep2, gpu, audio, br, conv1, conv2, lpc, sata, sw_up, sw_down, nic;
	size_t ng;

	/* a root port with ACS isolates the device below it; without, the
	 * device shares the port's group */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:1c.0", -1, PT_PCIE_ROOT_PORT, 0x8086, 0xa338, 0x0604);
	acs(&l, rp, 0x000f, 0x000d);
	ep = add(&l, "02:00.0", rp, PT_PCIE_ENDPOINT, 0x144d, 0xa808, 0x0108);
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && !together(rp, ep), "ACS on the root port: the device below has a group of its own (%zu groups)", ng);
	l.d[rp].acs_ctrl = 0;
	ng = groups_of(&l, &as_read);
	ok(ng == 1 && together(rp, ep), "ACS offered but not enabled, read as is: one group with the port");
	ng = groups_of(&l, &predicted);
	ok(ng == 2 && !together(rp, ep), "... predicted as the kernel enables it once the IOMMU is on: apart again");
	l.d[rp].has_acs = false;
	ng = groups_of(&l, &predicted);
	ok(ng == 1 && together(rp, ep), "no ACS capability on the root port: the device shares its group");
	ok(!pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &predicted), "a root port without ACS is not isolating");
	ok(pt_iso_acs_enabled(l.d, l.n, (size_t)ep, PT_ACS_REQUIRED, &predicted),
	   "a single-function endpoint needs no ACS (PCIe 6.12.1.3)");

	/* an ACS capability that hard-wires what it does not offer: only the
	 * offered bits must be enabled (capability 0x000d: SV RR CR) */
	acs(&l, rp, 0x000d, 0x000d);
	ok(pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &as_read),
	   "UF not in the capability counts as hard-wired on");
	l.d[rp].acs_ctrl = 0x0005;
	ok(!pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &as_read), "CR offered and not enabled: not isolating");

	/* a multifunction card without ACS: its functions share one group,
	 * whatever the port above does */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:01.0", -1, PT_PCIE_ROOT_PORT, 0x1022, 0x1483, 0x0604);
	acs(&l, rp, 0x005f, 0x001d);
	gpu = add(&l, "01:00.0", rp, PT_PCIE_LEGACY_END, 0x10de, 0x1c82, 0x0300);
	audio = add(&l, "01:00.1", rp, PT_PCIE_ENDPOINT, 0x10de, 0x0fb9, 0x0403);
	l.d[gpu].multifunction = l.d[audio].multifunction = true;
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && together(gpu, audio) && !together(rp, gpu), "a GPU and its audio without ACS: one group, the port apart");
	acs(&l, gpu, 0x0005, 0x0005);
	acs(&l, audio, 0x0005, 0x0005);
	ng = groups_of(&l, &as_read);
	ok(ng == 3 && !together(gpu, audio), "the same functions with ACS RR CR (SV, UF hard-wired): a group each");
	l.d[audio].has_acs = false;
	ng = groups_of(&l, &as_read);
	ok(ng == 3 && !together(gpu, audio),
	   "ACS on one function only: the kernel skips that function in the search, a group each");

	/* the function quirk: an Intel I350 has no ACS but isolates its functions */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:01.0", -1, PT_PCIE_ROOT_PORT, 0x1022, 0x1483, 0x0604);
	acs(&l, rp, 0x005f, 0x001d);
	ep = add(&l, "01:00.0", rp, PT_PCIE_ENDPOINT, 0x8086, 0x1521, 0x0200);
	ep2 = add(&l, "01:00.1", rp, PT_PCIE_ENDPOINT, 0x8086, 0x1521, 0x0200);
	l.d[ep].multifunction = l.d[ep2].multifunction = true;
	ng = groups_of(&l, &as_read);
	ok(ng == 3 && !together(ep, ep2), "Intel I350 ports: a group each (pci_quirk_mf_endpoint_acs)");
	l.d[ep].device = l.d[ep2].device = 0x1572; /* X710: has a real ACS capability instead */
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && together(ep, ep2), "an X710 without its ACS capability: one group");

	/* devices behind a PCIe-to-PCI bridge alias to it: one group with it,
	 * even below a root port with ACS */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:1c.0", -1, PT_PCIE_ROOT_PORT, 0x8086, 0xa190, 0x0604);
	acs(&l, rp, 0x005f, 0x001d);
	br = add(&l, "01:00.0", rp, PT_PCIE_PCI_BRIDGE, 0x12d8, 0xe111, 0x0604);
	conv1 = add(&l, "02:00.0", br, PT_PCIE_NONE, 0x1102, 0x0002, 0x0401);
	conv2 = add(&l, "02:01.0", br, PT_PCIE_NONE, 0x11c1, 0x5811, 0x0c00);
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && together(br, conv1) && together(br, conv2) && !together(rp, br),
	   "behind a PCIe-to-PCI bridge: the bridge and both devices in one group, the root port apart");
	l.d[br].vendor = 0x1a03, l.d[br].device = 0x1150; /* ASPEED AST1150: no alias, but no ACS either */
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && together(br, conv1) && together(br, conv2),
	   "an AST1150 forwards requester IDs, yet without ACS its bus is one group");

	/* a conventional PCI bus behind a conventional bridge, on the root bus */
	memset(&l, 0, sizeof(l));
	br = add(&l, "00:1e.0", -1, PT_PCIE_NONE, 0x8086, 0x244e, 0x0604);
	conv1 = add(&l, "05:00.0", br, PT_PCIE_NONE, 0x10ec, 0x8139, 0x0200);
	conv2 = add(&l, "05:01.0", br, PT_PCIE_NONE, 0x1274, 0x5880, 0x0401);
	lpc = add(&l, "00:1f.0", -1, PT_PCIE_NONE, 0x8086, 0x2918, 0x0601);
	sata = add(&l, "00:1f.2", -1, PT_PCIE_NONE, 0x8086, 0x2922, 0x0106);
	l.d[lpc].multifunction = l.d[sata].multifunction = true;
	ng = groups_of(&l, &as_read);
	ok(together(br, conv1) && together(br, conv2), "a conventional PCI bus: its devices with its bridge");
	ok(together(lpc, sata) && !together(lpc, br), "chipset functions of one slot without ACS: one group");
	ok(ng == 2, "two groups on that host (got %zu)", ng);

	/* a switch: upstream port without ACS is fine (single function), the
	 * downstream port's ACS decides */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:01.1", -1, PT_PCIE_ROOT_PORT, 0x1022, 0x1483, 0x0604);
	acs(&l, rp, 0x005f, 0x001d);
	sw_up = add(&l, "01:00.0", rp, PT_PCIE_UPSTREAM, 0x1002, 0x1478, 0x0604);
	sw_down = add(&l, "02:00.0", sw_up, PT_PCIE_DOWNSTREAM, 0x1002, 0x1479, 0x0604);
	acs(&l, sw_down, 0x005f, 0x001d);
	gpu = add(&l, "03:00.0", sw_down, PT_PCIE_LEGACY_END, 0x1002, 0x73bf, 0x0300);
	ng = groups_of(&l, &as_read);
	ok(ng == 4, "a switch with ACS on its downstream port: a group per port and for the GPU (%zu)", ng);
	l.d[sw_down].has_acs = false;
	ng = groups_of(&l, &as_read);
	ok(ng == 3 && together(sw_down, gpu) && !together(sw_up, sw_down),
	   "the same downstream port without ACS: the GPU joins it");

	/* DMA alias quirk: a Marvell 88SE9128 DMAs as function 1 */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:1c.0", -1, PT_PCIE_ROOT_PORT, 0x8086, 0x8c10, 0x0604);
	sata = add(&l, "03:00.0", rp, PT_PCIE_LEGACY_END, 0x1b4b, 0x9128, 0x0106);
	nic = add(&l, "03:00.1", rp, PT_PCIE_LEGACY_END, 0x1b4b, 0x91a4, 0x0101);
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && together(sata, nic) && !together(rp, sata),
	   "a Marvell SATA aliasing function 1 shares its group; the Lynx Point PCH port (quirk) isolates");

	/* Intel PCH root ports without an ACS capability (pci_quirk_intel_pch_acs) */
	ok(pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &as_read), "Lynx Point-H root port 8c10 isolates");
	l.d[rp].device = 0xa338;
	ok(!pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &as_read), "a Cannon Lake one without ACS does not");
	/* Sunrise Point: control bits at capability + 8 */
	l.d[rp].device = 0xa110;
	acs(&l, rp, 0x000f, 0x0000);
	l.d[rp].acs_ctrl_dw = 0x000d;
	ok(pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &as_read),
	   "Sunrise Point: control read from capability + 8");
	l.d[rp].acs_ctrl = 0x000d, l.d[rp].acs_ctrl_dw = 0;
	ok(!pt_iso_acs_enabled(l.d, l.n, (size_t)rp, PT_ACS_REQUIRED, &as_read), "... not from + 6");

	/* AMD southbridge quirk: multifunction on the root bus */
	memset(&l, 0, sizeof(l));
	ep = add(&l, "00:14.0", -1, PT_PCIE_NONE, 0x1002, 0x4385, 0x0c05);
	ep2 = add(&l, "00:14.3", -1, PT_PCIE_NONE, 0x1002, 0x439d, 0x0601);
	l.d[ep].multifunction = l.d[ep2].multifunction = true;
	ng = groups_of(&l, &as_read);
	ok(ng == 2 && !together(ep, ep2), "SB7x0 SMBus and LPC: a group each (pci_quirk_amd_sb_acs)");

	/* an AMD IOMMU and its root complex are in no group */
	memset(&l, 0, sizeof(l));
	ep = add(&l, "00:00.0", -1, PT_PCIE_NONE, 0x1022, 0x1480, 0x0600);
	ep2 = add(&l, "00:00.2", -1, PT_PCIE_NONE, 0x1022, 0x1481, 0x0806);
	conv1 = add(&l, "00:01.0", -1, PT_PCIE_NONE, 0x1022, 0x1482, 0x0600);
	l.d[ep].multifunction = l.d[ep2].multifunction = true;
	ng = groups_of(&l, &as_read);
	ok(ng == 1 && grp[ep] == -1 && grp[ep2] == -1 && grp[conv1] == 0,
	   "AMD root complex and IOMMU: no group; the dummy host bridge: group 0");

	/* a VMD domain: its devices DMA as the VMD endpoint */
	memset(&l, 0, sizeof(l));
	ep = add(&l, "5d:05.5", -1, PT_PCIE_RC_END, 0x8086, 0x201d, 0x0104);
	rp = add(&l, "10000:00:00.0", -1, PT_PCIE_ROOT_PORT, 0x8086, 0x2030, 0x0604);
	acs(&l, rp, 0x005f, 0x001d);
	ep2 = add(&l, "10000:01:00.0", rp, PT_PCIE_ENDPOINT, 0x8086, 0x0a54, 0x0108);
	l.d[rp].dma_dev = l.d[ep2].dma_dev = ep;
	ng = groups_of(&l, &as_read);
	ok(ng == 1 && together(ep, rp) && together(ep, ep2), "behind an Intel VMD: everything in the VMD's group");

	/* VFs: numbered after everything else, a group each below ACS */
	memset(&l, 0, sizeof(l));
	rp = add(&l, "00:03.0", -1, PT_PCIE_ROOT_PORT, 0x8086, 0x2030, 0x0604);
	acs(&l, rp, 0x005f, 0x001d);
	ep = add(&l, "18:00.0", rp, PT_PCIE_ENDPOINT, 0x8086, 0x1572, 0x0200);
	nic = add(&l, "18:02.0", rp, PT_PCIE_ENDPOINT, 0x8086, 0x154c, 0x0200);
	l.d[nic].virtfn = true;
	ep2 = add(&l, "3a:00.0", -1, PT_PCIE_ROOT_PORT, 0x8086, 0x2030, 0x0604);
	acs(&l, ep2, 0x005f, 0x001d);
	ng = groups_of(&l, &as_read);
	ok(ng == 4 && grp[nic] == 3 && grp[ep2] == 2, "a VF is numbered last (VF %d, 3a:00.0 %d)", grp[nic], grp[ep2]);
}

/* ---------------------------------------------------------------- fixtures */

static const char *fixtures = "tests/fixtures";

struct host {
	struct pt_host h;
	int *kernel, *computed, *as_read;
	size_t unknown;
};

/* Load a fixture and compute its groups. */
static bool load(struct host *x, const char *name)
{
	char dir[512];
	struct pt_iso_dev *devs;
	const struct pt_iso_opts o = { .predict_enable = true };

	snprintf(dir, sizeof(dir), "%s/%s", fixtures, name);
	if (pt_sysroot_set(dir) != 0)
		return false;
	pt_host_scan(&x->h);
	x->kernel = calloc(x->h.ndevs + 1, sizeof(int));
	x->computed = calloc(x->h.ndevs + 1, sizeof(int));
	x->as_read = calloc(x->h.ndevs + 1, sizeof(int));
	devs = calloc(x->h.ndevs + 1, sizeof(*devs));
	for (size_t i = 0; i < x->h.ndevs; i++)
		x->kernel[i] = x->h.devs[i].group;
	x->unknown = pt_iso_gather(&x->h, devs);
	pt_iso_groups(devs, x->h.ndevs, &o, x->computed);
	pt_iso_groups(devs, x->h.ndevs, &as_read, x->as_read);
	free(devs);
	return true;
}

static void unload(struct host *x)
{
	pt_host_free(&x->h);
	free(x->kernel);
	free(x->computed);
	free(x->as_read);
	memset(x, 0, sizeof(*x));
}

static bool has_groups(const struct host *x)
{
	for (size_t i = 0; i < x->h.ndevs; i++)
		if (x->kernel[i] >= 0)
			return true;
	return false;
}

/* Whether partitions a and b of the host's devices are equal as sets of
 * sets of BDFs (numbers aside, -1 meaning "in no group"); every pair of
 * devices they treat differently is named. */
static bool same_partition(const struct host *x, const int *a, const char *an, const int *b, const char *bn)
{
	size_t shown = 0;
	bool same = true;

	for (size_t i = 0; i < x->h.ndevs; i++) {
		if ((a[i] < 0) != (b[i] < 0)) {
			same = false;
			if (shown++ < 12)
				printf("#   %s: %s in %s, %s in %s\n", x->h.devs[i].name, a[i] < 0 ? "no group" : "a group",
				       an, b[i] < 0 ? "no group" : "a group", bn);
			continue;
		}
		for (size_t j = i + 1; j < x->h.ndevs; j++) {
			bool ta = a[i] >= 0 && a[i] == a[j], tb = b[i] >= 0 && b[i] == b[j];

			if (ta == tb || a[j] < 0 || b[j] < 0)
				continue;
			same = false;
			if (shown++ < 12)
				printf("#   %s and %s: %s in %s, %s in %s\n", x->h.devs[i].name, x->h.devs[j].name,
				       ta ? "together" : "apart", an, tb ? "together" : "apart", bn);
		}
	}
	return same;
}

static size_t count_groups(const struct host *x, const int *g)
{
	size_t n = 0;

	for (size_t i = 0; i < x->h.ndevs; i++) {
		bool first = g[i] >= 0;

		for (size_t k = 0; k < i && first; k++)
			if (g[k] == g[i])
				first = false;
		n += first;
	}
	return n;
}

/* "BDF BDF|BDF|-BDF": groups separated by '|', a '-' before a device in
 * no group; every device of the host must appear once. */
static bool matches_spec(const struct host *x, const char *spec)
{
	int *want = calloc(x->h.ndevs + 1, sizeof(int));
	char *s = strdup(spec), *save = NULL;
	int g = 0;
	bool ok = true;

	for (size_t i = 0; i < x->h.ndevs; i++)
		want[i] = -2;
	for (char *grp_s = strtok_r(s, "|", &save); grp_s; grp_s = strtok_r(NULL, "|", &save), g++) {
		char *save2 = NULL;

		for (char *w = strtok_r(grp_s, " ", &save2); w; w = strtok_r(NULL, " ", &save2)) {
			bool none = *w == '-';
			struct pt_bdf b;
			struct pt_dev *d;

			if (pt_bdf_parse(w + none, &b) || !(d = pt_host_find(&x->h, &b))) {
				printf("#   %s: not a device of the fixture\n", w);
				ok = false;
				continue;
			}
			want[d - x->h.devs] = none ? -1 : g;
		}
	}
	for (size_t i = 0; i < x->h.ndevs; i++)
		if (want[i] == -2) {
			printf("#   %s: missing from the expected groups\n", x->h.devs[i].name);
			ok = false;
		}
	ok = ok && same_partition(x, x->computed, "computed", want, "expected");
	free(want);
	free(s);
	return ok;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void every_fixture(void)
{
	DIR *dir = opendir(fixtures);
	char *names[64];
	size_t n = 0;
	struct dirent *e;

	ok(dir != NULL, "%s can be read", fixtures);
	if (!dir)
		return;
	while ((e = readdir(dir)) && n < 64) {
		char p[512];
		DIR *devices;

		snprintf(p, sizeof(p), "%s/%s/sys/bus/pci/devices", fixtures, e->d_name);
		if (e->d_name[0] == '.' || !(devices = opendir(p)))
			continue;
		closedir(devices);
		names[n++] = strdup(e->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		struct host x;

		memset(&x, 0, sizeof(x));
		if (!load(&x, names[i])) {
			ok(0, "%s: sysroot can be set", names[i]);
			continue;
		}
		if (strcmp(names[i], "acs-override") == 0 || !has_groups(&x)) {
			unload(&x);
			continue; /* below */
		}
		bool same = same_partition(&x, x.computed, "computed", x.kernel, "kernel");

		ok(same, "%s: the computed groups are the kernel's (%zu groups, %zu devices)", names[i],
		   count_groups(&x, x.kernel), x.h.ndevs);
		/* the kernel has enabled ACS here: the control bits as read give the same */
		ok(same_partition(&x, x.as_read, "computed as read", x.computed, "predicted"),
		   "%s: the control bits as read give the same groups as predicted", names[i]);
		unload(&x);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

static void special_fixtures(void)
{
	struct host x, ref;

	/* pcie_acs_override=downstream,multifunction split the groups the
	 * hardware does not isolate: the computed ones are the real ones,
	 * coarser, and those of the same machine without the override */
	memset(&x, 0, sizeof(x));
	memset(&ref, 0, sizeof(ref));
	if (load(&x, "acs-override")) {
		bool coarser = true;

		for (size_t i = 0; i < x.h.ndevs; i++)
			for (size_t j = 0; j < x.h.ndevs; j++)
				if (x.kernel[i] >= 0 && x.kernel[i] == x.kernel[j] && x.computed[i] != x.computed[j])
					coarser = false;
		ok(coarser, "acs-override: every kernel group lies within one computed group");
		ok(count_groups(&x, x.computed) < count_groups(&x, x.kernel),
		   "acs-override: fewer computed groups (%zu) than the override made (%zu)", count_groups(&x, x.computed),
		   count_groups(&x, x.kernel));
		ok(matches_spec(&x, "00:00.0|00:01.0 01:00.0 01:00.1|00:02.0|00:14.0|00:17.0|00:1c.0|02:00.0|"
				"00:1f.0 00:1f.3 00:1f.4 00:1f.6"),
		   "acs-override: the computed groups are desktop-nvidia's, the same machine without the override");
		unload(&x);
	} else {
		ok(0, "acs-override can be loaded");
	}

	/* the IOMMU-off hosts: no kernel groups, the computed ones as the
	 * same machines have them with the IOMMU on */
	if (load(&x, "desktop-nvidia") && load(&ref, "iommu-off-intel")) {
		bool same = x.h.ndevs == ref.h.ndevs;

		for (size_t i = 0; same && i < x.h.ndevs; i++)
			same = pt_bdf_cmp(&x.h.devs[i].bdf, &ref.h.devs[i].bdf) == 0;
		ok(!has_groups(&ref), "iommu-off-intel has no kernel groups");
		ok(same && same_partition(&ref, ref.computed, "iommu-off-intel computed", x.kernel, "desktop-nvidia kernel"),
		   "iommu-off-intel: computed as desktop-nvidia's kernel groups, the same machine with the IOMMU on");
	} else {
		ok(0, "desktop-nvidia and iommu-off-intel can be loaded");
	}
	unload(&x);
	unload(&ref);
	if (load(&x, "iommu-off-amd")) {
		ok(!has_groups(&x), "iommu-off-amd has no kernel groups");
		ok(matches_spec(&x, "-00:00.0 -00:00.2|00:01.0|00:01.1|00:03.0|00:03.1|00:14.0 00:14.3|01:00.0|"
				"02:00.0 02:00.1"),
		   "iommu-off-amd: the groups of amd-navi's rules (IOMMU and root complex in none)");
		ok(x.unknown == 0, "iommu-off-amd: every config space read in full");
		unload(&x);
	}
	if (load(&x, "iommu-off-nofw")) {
		ok(!has_groups(&x), "iommu-off-nofw has no kernel groups");
		ok(matches_spec(&x, "00:00.0|00:01.0 01:00.0 01:00.1|00:14.0|00:17.0|00:1f.0 00:1f.4 00:1f.6"),
		   "iommu-off-nofw: desktop-nvidia's groups for the devices it has");
		unload(&x);
	}
	if (load(&x, "broken")) {
		ok(x.unknown == 1, "broken: one device's config space cannot be read (%zu)", x.unknown);
		unload(&x);
	}
}

int main(void)
{
	const char *dir = getenv("PASSTHRU_FIXTURES");

	pt_progname = "test-isolation";
	if (dir && *dir)
		fixtures = dir;
	rules();
	every_fixture();
	special_fixtures();
	return tap_done();
}

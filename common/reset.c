#include "reset.h"
#include "msg.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

const char *pt_reset_verdict_name(enum pt_reset_verdict v)
{
	switch (v) {
	case PT_RESET_ALONE: return "alone";
	case PT_RESET_SLOT: return "slot";
	case PT_RESET_BUS: return "bus";
	case PT_RESET_NONE: return "none";
	case PT_RESET_GONE: return "gone";
	}
	return "?";
}

const char *pt_bus_way_name(enum pt_bus_way w)
{
	switch (w) {
	case PT_BUS_NONE: return "none";
	case PT_BUS_METHOD: return "reset_method bus";
	case PT_BUS_SUBORDINATE: return "reset_subordinate";
	case PT_BUS_VFIO: return "vfio hot reset";
	}
	return "?";
}

static bool word_in(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t l = strcspn(p, " ");

		if (l == wl && strncmp(p, word, wl) == 0)
			return true;
		p += l;
		p += strspn(p, " ");
	}
	return false;
}

bool pt_reset_offers(const struct pt_reset_info *ri, const char *method)
{
	return word_in(ri->methods, method);
}

/* Capabilities through libpci: FLR in the PCIe Device Capabilities, the
 * Advanced Features capability, and No_Soft_Reset in the PM control word. */
static void read_caps(const struct pt_host *h, const struct pt_dev *d, struct pt_reset_info *ri)
{
	struct pci_dev *pd = pci_get_dev(h->pacc, (int)d->bdf.domain, (int)d->bdf.bus,
					 (int)d->bdf.dev, (int)d->bdf.fn);
	uint8_t hdr[64];
	struct pci_cap *cap;

	if (!pci_read_block(pd, 0, hdr, sizeof(hdr)) ||
	    (hdr[0] == 0xff && hdr[1] == 0xff && hdr[PCI_HEADER_TYPE] == 0xff) ||
	    (hdr[PCI_HEADER_TYPE] & 0x7f) == 0x7f) {
		ri->gone = true;
		pci_free_dev(pd);
		return;
	}
	pci_fill_info(pd, PCI_FILL_CAPS);
	if ((cap = pci_find_cap(pd, PCI_CAP_ID_EXP, PCI_CAP_NORMAL))) {
		ri->pcie = true;
		ri->flr = pci_read_long(pd, (int)cap->addr + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET;
	}
	if ((cap = pci_find_cap(pd, PCI_CAP_ID_AF, PCI_CAP_NORMAL))) {
		ri->af = true;
		ri->af_flr = pci_read_byte(pd, (int)cap->addr + PCI_AF_CAP) & PCI_AF_CAP_FLR;
	}
	if ((cap = pci_find_cap(pd, PCI_CAP_ID_PM, PCI_CAP_NORMAL))) {
		ri->pm = true;
		ri->no_soft_reset = pci_read_word(pd, (int)cap->addr + PCI_PM_CTRL) & PCI_PM_CTRL_NO_SOFT_RST;
	}
	pci_free_dev(pd);
}

/* A hot-plug capable port (PCIe Slot Capabilities, bit 6): pciehp takes
 * a link that drops under a hand-made bus reset for a surprise removal;
 * the kernel's own bus reset masks that (pciehp_reset_slot). */
static bool hotplug_port(const struct pt_host *h, const struct pt_dev *b)
{
	struct pci_dev *pd = pci_get_dev(h->pacc, (int)b->bdf.domain, (int)b->bdf.bus,
					 (int)b->bdf.dev, (int)b->bdf.fn);
	struct pci_cap *cap;
	bool hp = false;

	pci_fill_info(pd, PCI_FILL_CAPS);
	if ((cap = pci_find_cap(pd, PCI_CAP_ID_EXP, PCI_CAP_NORMAL)) &&
	    (pci_read_word(pd, (int)cap->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT))
		hp = pci_read_long(pd, (int)cap->addr + PCI_EXP_SLTCAP) & PCI_EXP_SLTCAP_HPC;
	pci_free_dev(pd);
	return hp;
}

static bool below_bridge(const struct pt_host *h, const struct pt_dev *x, const struct pt_dev *bridge)
{
	const struct pt_dev *up[PT_MAX_UPSTREAM];
	size_t n = pt_dev_upstream(h, x, up, PT_MAX_UPSTREAM);

	for (size_t i = 0; i < n; i++)
		if (up[i] == bridge)
			return true;
	return false;
}

static bool kernel_at_least(int major, int minor)
{
	char rel[64];
	int ma = 0, mi = 0;

	if (pt_read_text(rel, sizeof(rel), "/proc/sys/kernel/osrelease") <= 0 ||
	    sscanf(rel, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

void pt_reset_inspect(const struct pt_host *h, const struct pt_dev *d, struct pt_reset_info *ri)
{
	int rc;
	bool function_level;

	memset(ri, 0, sizeof(*ri));
	rc = pt_read_text(ri->methods, sizeof(ri->methods), "/sys/bus/pci/devices/%s/reset_method", d->name);
	/* 5.15+ hides reset_method when a device has no method at all
	 * (drivers/pci/pci-sysfs.c reset_method_attr_is_visible) */
	ri->has_reset_method = rc >= 0 || kernel_at_least(5, 15);
	if (rc < 0)
		ri->methods[0] = '\0';
	ri->has_reset = pt_exists("/sys/bus/pci/devices/%s/reset", d->name);
	ri->vendor_reset_loaded = pt_exists("/sys/module/vendor_reset");
	ri->quirk = pt_reset_quirk_find(d->vendor, d->device, d->class);
	read_caps(h, d, ri);
	if (ri->gone) {
		ri->verdict = PT_RESET_GONE;
		return;
	}
	if (ri->quirk && ri->quirk->vendor == 0x10de && ri->flr)
		ri->quirk = NULL; /* data-centre NVIDIA cards have FLR */

	/* A secondary bus reset resets everything below the bridge above. */
	if (d->parent >= 0) {
		ri->bridge = &h->devs[d->parent];
		ri->below_same_slot = true;
		for (size_t i = 0; i < h->ndevs; i++) {
			const struct pt_dev *x = &h->devs[i];

			if (x == d || !below_bridge(h, x, ri->bridge))
				continue;
			if (ri->nbelow < sizeof(ri->below) / sizeof(ri->below[0]))
				ri->below[ri->nbelow++] = x;
			if (!pt_bdf_same_slot(&x->bdf, &d->bdf))
				ri->below_same_slot = false;
		}
	}
	if (ri->bridge) {
		ri->subordinate_attr = pt_exists("/sys/bus/pci/devices/%s/reset_subordinate", ri->bridge->name);
		ri->hotplug_port = hotplug_port(h, ri->bridge);
		ri->all_vfio = d->driver && strcmp(d->driver, "vfio-pci") == 0;
		for (size_t i = 0; i < ri->nbelow; i++)
			if (!ri->below[i]->driver || strcmp(ri->below[i]->driver, "vfio-pci") != 0)
				ri->all_vfio = false;
		if (ri->nbelow == 0 && word_in(ri->methods, "bus"))
			ri->bus_way = PT_BUS_METHOD;
		else if (ri->subordinate_attr)
			ri->bus_way = PT_BUS_SUBORDINATE;
		else if (ri->all_vfio && pt_exists("/dev/vfio/vfio"))
			ri->bus_way = PT_BUS_VFIO;
	}
	function_level = word_in(ri->methods, "flr") || word_in(ri->methods, "af_flr") ||
			 word_in(ri->methods, "device_specific") || word_in(ri->methods, "acpi") ||
			 (word_in(ri->methods, "pm") && !ri->no_soft_reset);
	if (!ri->has_reset_method) /* old kernels: what config space says */
		function_level = ri->flr || ri->af_flr || (ri->pm && !ri->no_soft_reset);
	if (function_level || word_in(ri->methods, "bus") || word_in(ri->methods, "cxl_bus") ||
	    (ri->bridge && ri->nbelow == 0))
		ri->verdict = PT_RESET_ALONE;
	else if (ri->bridge && ri->below_same_slot)
		ri->verdict = PT_RESET_SLOT;
	else if (ri->bridge)
		ri->verdict = PT_RESET_BUS;
	else
		ri->verdict = PT_RESET_NONE;
}

void pt_reset_snapshot(const struct pt_dev *d, struct pt_reset_snapshot *s)
{
	char path[PATH_MAX];
	FILE *f;

	memset(s, 0, sizeof(*s));
	if (pt_path(path, sizeof(path), "/sys/bus/pci/devices/%s/config", d->name) < 0 ||
	    !(f = fopen(path, "rb")))
		return;
	s->ok = fread(s->cfg, 1, sizeof(s->cfg), f) == sizeof(s->cfg);
	fclose(f);
}

const char *pt_reset_compare(const struct pt_reset_snapshot *a, const struct pt_reset_snapshot *b,
			     char *buf, size_t len)
{
	unsigned va, vb;

	if (!b->ok) {
		snprintf(buf, len, "config space unreadable after the reset");
		return buf;
	}
	vb = b->cfg[0] | b->cfg[1] << 8;
	if (vb == 0xffff && b->cfg[PCI_HEADER_TYPE] == 0xff) {
		snprintf(buf, len, "config space reads all ones: the device did not come back");
		return buf;
	}
	if (!a->ok) {
		snprintf(buf, len, "config space was unreadable before the reset, so nothing to compare");
		return buf;
	}
	va = a->cfg[0] | a->cfg[1] << 8;
	if (memcmp(a->cfg, b->cfg, 4) != 0) {
		snprintf(buf, len, "IDs changed: %04x:%02x%02x before, %04x:%02x%02x after", va, a->cfg[3],
			 a->cfg[2], vb, b->cfg[3], b->cfg[2]);
		return buf;
	}
	if (memcmp(a->cfg + 4, b->cfg + 4, 2) != 0) {
		snprintf(buf, len, "command register %02x%02x before, %02x%02x after", a->cfg[5], a->cfg[4],
			 b->cfg[5], b->cfg[4]);
		return buf;
	}
	for (int bar = 0; bar < 6; bar++) {
		int o = 0x10 + 4 * bar;

		if ((a->cfg[PCI_HEADER_TYPE] & 0x7f) == 1 && bar >= 2)
			break; /* bridges have two BARs */
		if (memcmp(a->cfg + o, b->cfg + o, 4) != 0) {
			snprintf(buf, len, "BAR%d %02x%02x%02x%02x before, %02x%02x%02x%02x after", bar,
				 a->cfg[o + 3], a->cfg[o + 2], a->cfg[o + 1], a->cfg[o], b->cfg[o + 3],
				 b->cfg[o + 2], b->cfg[o + 1], b->cfg[o]);
			return buf;
		}
	}
	return NULL;
}

static long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

int pt_reset_kernel(const struct pt_dev *d, const struct pt_reset_info *ri, const char *method,
		    long *usec, char *err, size_t errlen)
{
	int rc, rc2 = 0;
	long t0;
	bool chose = method && ri->has_reset_method;

	*usec = 0;
	if (method && !ri->has_reset_method) {
		snprintf(err, errlen, "%s: this kernel cannot choose a reset method (no reset_method, "
			 "Linux 5.15 and later have it)", d->name);
		return -EOPNOTSUPP;
	}
	if (chose && (rc = pt_write_attr(method, "/sys/bus/pci/devices/%s/reset_method", d->name)) < 0) {
		snprintf(err, errlen, "%s: choosing %s in reset_method: %s", d->name, method, strerror(-rc));
		return rc;
	}
	t0 = now_usec();
	rc = pt_write_attr("1", "/sys/bus/pci/devices/%s/reset", d->name);
	*usec = now_usec() - t0;
	if (rc < 0)
		snprintf(err, errlen, "%s: %s reset: %s", d->name, method ? method : "the kernel's",
			 strerror(-rc));
	/* the kernel's order back, whatever happened */
	if (chose)
		rc2 = pt_write_attr(ri->methods[0] ? ri->methods : "default",
				    "/sys/bus/pci/devices/%s/reset_method", d->name);
	if (rc == 0 && rc2 < 0) {
		snprintf(err, errlen, "%s: restoring reset_method \"%s\": %s", d->name, ri->methods,
			 strerror(-rc2));
		rc = rc2;
	}
	return rc;
}

/* A sleep that a signal does not cut short: the devices need the time
 * whatever happens (the signal is recorded and looked at after). */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (pt_dry_run)
		return;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* VFIO's hot reset: the kernel resets the slot or bus of a vfio-pci
 * device when the caller proves it owns every group the reset touches
 * (drivers/vfio/pci/vfio_pci_core.c vfio_pci_ioctl_pci_hot_reset: every
 * device of the dev_set must be in one of the groups passed, and every
 * function on the bus must be bound to vfio-pci). */
static int vfio_hot_reset(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
			  long *usec, char *err, size_t errlen)
{
	int groups[65], ng = 0, gfd[65], container = -1, dev = -1, rc = 0;
	char path[PATH_MAX], list[512] = "";
	struct vfio_pci_hot_reset_info *info = NULL;
	struct vfio_pci_hot_reset *req = NULL;
	long t0;

	(void)h;
	for (size_t i = 0; i <= ri->nbelow; i++) {
		const struct pt_dev *x = i == 0 ? d : ri->below[i - 1];
		bool seen = false;

		if (x->group < 0) {
			snprintf(err, errlen, "%s: in no IOMMU group, so VFIO cannot reset it", x->name);
			return -EOPNOTSUPP;
		}
		for (int k = 0; k < ng; k++)
			seen |= groups[k] == x->group;
		if (!seen && ng < 64) {
			size_t l = strlen(list);

			groups[ng++] = x->group;
			snprintf(list + l, sizeof(list) - l, "%s%d", ng > 1 ? " " : "", x->group);
		}
	}
	if (pt_dry_run) {
		pt_dry_run_print("ioctl /dev/vfio/%d VFIO_DEVICE_PCI_HOT_RESET %s groups %s\n", d->group, d->name, list);
		return 0;
	}
	for (int k = 0; k < ng; k++)
		gfd[k] = -1;
	if (pt_path(path, sizeof(path), "/dev/vfio/vfio") < 0 || (container = open(path, O_RDWR | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "opening /dev/vfio/vfio: %s", strerror(errno));
		goto out;
	}
	for (int k = 0; k < ng; k++) {
		struct vfio_group_status st = { .argsz = sizeof(st) };

		if (pt_path(path, sizeof(path), "/dev/vfio/%d", groups[k]) < 0 ||
		    (gfd[k] = open(path, O_RDWR | O_CLOEXEC)) < 0) {
			rc = -errno;
			snprintf(err, errlen, "opening /dev/vfio/%d: %s", groups[k], strerror(errno));
			goto out;
		}
		if (ioctl(gfd[k], VFIO_GROUP_GET_STATUS, &st) < 0 || !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
			rc = -EPERM;
			snprintf(err, errlen, "IOMMU group %d is not viable: a device in it is on a host driver",
				 groups[k]);
			goto out;
		}
		if (ioctl(gfd[k], VFIO_GROUP_SET_CONTAINER, &container) < 0) {
			rc = -errno;
			snprintf(err, errlen, "IOMMU group %d: VFIO_GROUP_SET_CONTAINER: %s", groups[k], strerror(errno));
			goto out;
		}
		if (k == 0 && ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0 &&
		    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU) < 0) {
			rc = -errno;
			snprintf(err, errlen, "VFIO_SET_IOMMU (type1): %s", strerror(errno));
			goto out;
		}
	}
	if ((dev = ioctl(gfd[0], VFIO_GROUP_GET_DEVICE_FD, d->name)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", d->name, strerror(errno));
		goto out;
	}
	/* the kernel's list of what the reset takes along: every group must be ours */
	info = pt_xcalloc(1, sizeof(*info) + 64 * sizeof(info->devices[0]));
	info->argsz = (uint32_t)(sizeof(*info) + 64 * sizeof(info->devices[0]));
	if (ioctl(dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s", d->name, strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < info->count && i < 64; i++) {
		bool ours = false;

		for (int k = 0; k < ng; k++)
			ours |= (uint32_t)groups[k] == info->devices[i].group_id;
		if (!ours) {
			rc = -EPERM;
			snprintf(err, errlen, "%s: the kernel's hot reset also takes %04x:%02x:%02x.%x (group %u), "
				 "which gpu-reset did not plan for", d->name, info->devices[i].segment,
				 info->devices[i].bus, PCI_SLOT(info->devices[i].devfn),
				 PCI_FUNC(info->devices[i].devfn), info->devices[i].group_id);
			goto out;
		}
	}
	req = pt_xcalloc(1, sizeof(*req) + (size_t)ng * sizeof(req->group_fds[0]));
	req->argsz = (uint32_t)(sizeof(*req) + (size_t)ng * sizeof(req->group_fds[0]));
	req->count = (uint32_t)ng;
	for (int k = 0; k < ng; k++)
		req->group_fds[k] = gfd[k];
	t0 = now_usec();
	if (ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, req) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: VFIO_DEVICE_PCI_HOT_RESET: %s", d->name, strerror(errno));
	}
	*usec = now_usec() - t0;
out:
	free(info);
	free(req);
	if (dev >= 0)
		close(dev);
	for (int k = 0; k < ng; k++)
		if (gfd[k] >= 0)
			close(gfd[k]);
	if (container >= 0)
		close(container);
	return rc;
}

int pt_reset_bus(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
		 enum pt_bus_way *used, long *usec, char *err, size_t errlen)
{
	long t0;
	int rc;

	*usec = 0;
	*used = ri->bus_way;
	switch (ri->bus_way) {
	case PT_BUS_METHOD:
		return pt_reset_kernel(d, ri, "bus", usec, err, errlen);
	case PT_BUS_SUBORDINATE:
		/* __pci_reset_bus(): every function saved, reset, restored (pci-sysfs.c) */
		t0 = now_usec();
		rc = pt_write_attr("1", "/sys/bus/pci/devices/%s/reset_subordinate", ri->bridge->name);
		*usec = now_usec() - t0;
		/* Debian's 6.1 has the attribute, but answers ENOTTY below a
		 * pciehp slot (seen in tests/vm): then VFIO's way, if it is open */
		if (rc == -ENOTTY && ri->all_vfio && pt_exists("/dev/vfio/vfio")) {
			*used = PT_BUS_VFIO;
			return vfio_hot_reset(h, d, ri, usec, err, errlen);
		}
		if (rc < 0)
			snprintf(err, errlen, "%s: reset_subordinate: %s", ri->bridge->name, strerror(-rc));
		return rc;
	case PT_BUS_VFIO:
		return vfio_hot_reset(h, d, ri, usec, err, errlen);
	case PT_BUS_NONE:
		break;
	}
	snprintf(err, errlen, "%s: the kernel has no way to reset the bus below %s", d->name,
		 ri->bridge ? ri->bridge->name : "it");
	return -EOPNOTSUPP;
}

static uint32_t dword(const uint8_t *c, unsigned o)
{
	return (uint32_t)c[o] | (uint32_t)c[o + 1] << 8 | (uint32_t)c[o + 2] << 16 | (uint32_t)c[o + 3] << 24;
}

struct plan {
	struct pt_cfg_write *out;
	size_t n, max;
	bool merge;  /* the last write may grow */
};

static void plan_add(struct plan *p, unsigned o, bool merge)
{
	struct pt_cfg_write *last = p->n ? &p->out[p->n - 1] : NULL;

	if (merge && p->merge && last && last->offset + last->len == o && last->len + 4 <= 16) {
		last->len += 4;
		return;
	}
	if (p->n < p->max)
		p->out[p->n++] = (struct pt_cfg_write){ o, 4 };
	p->merge = merge;
}

size_t pt_reset_restore_plan(const uint8_t *saved, const uint8_t *now, size_t len,
			     struct pt_cfg_write *out, size_t max)
{
	struct plan p = { out, 0, max, false };
	bool skip[1024] = { false }, late[1024] = { false };
	unsigned o, guard;

#define DIFFERS(off) (now ? dword(saved, off) != dword(now, off) : dword(saved, off) != 0)
	if (len > 4096)
		len = 4096;
	len &= ~(size_t)3;
	if (len < 64)
		return 0;
	/* extended capabilities: headers are read-only; SR-IOV's control
	 * (VF Enable) goes after NumVFs (drivers/pci/iov.c sriov_restore_state) */
	for (o = 0x100, guard = 0; len >= 0x104 && o >= 0x100 && o + 4 <= len && guard < 512; guard++) {
		uint32_t hdr = dword(saved, o);

		if (hdr == 0 || hdr == 0xffffffff)
			break;
		skip[o / 4] = true;
		if ((hdr & 0xffff) == PCI_EXT_CAP_ID_SRIOV && o + PCI_IOV_CTRL + 4 <= len)
			late[(o + PCI_IOV_CTRL) / 4] = true;
		o = (hdr >> 20) & 0xffc;
	}
	for (o = 0x100; o < len; o += 4)
		if (!skip[o / 4] && !late[o / 4] && DIFFERS(o))
			plan_add(&p, o, true);
	for (o = 0x100; o < len; o += 4)
		if (late[o / 4] && DIFFERS(o))
			plan_add(&p, o, false);
	/* capabilities in the first 256 bytes: each header dword (MSI's and
	 * MSI-X's enable bits live there) after the capability bodies */
	if (len >= 256 && (saved[PCI_STATUS] & PCI_STATUS_CAP_LIST)) {
		for (o = saved[PCI_CAPABILITY_LIST] & 0xfc, guard = 0; o >= 0x40 && o < 256 && guard < 48; guard++) {
			late[o / 4] = true;
			o = saved[o + 1] & 0xfc;
		}
		for (o = 0x40; o < 256; o += 4)
			if (!late[o / 4] && DIFFERS(o))
				plan_add(&p, o, true);
		for (o = 0x40; o < 256; o += 4)
			if (late[o / 4] && DIFFERS(o))
				plan_add(&p, o, false);
	}
	/* the header from the top down, IDs never, the command register last */
	for (o = 0x3c; o >= 0x08; o -= 4)
		if (DIFFERS(o))
			plan_add(&p, o, false);
	if (DIFFERS(PCI_COMMAND))
		plan_add(&p, PCI_COMMAND, false);
#undef DIFFERS
	return p.n;
}

/* The config space as the sysfs file gives it: 4096 bytes on PCIe, 256
 * on conventional PCI, 64 for a reader without CAP_SYS_ADMIN. */
static size_t read_config(const struct pt_dev *d, uint8_t *buf, size_t len)
{
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	memset(buf, 0, len);
	if (pt_path(path, sizeof(path), "/sys/bus/pci/devices/%s/config", d->name) < 0 ||
	    !(f = fopen(path, "rb")))
		return 0;
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

struct saved_cfg {
	const struct pt_dev *d;
	uint8_t cfg[4096];
	size_t len;
};

static int restore_cfg(const struct saved_cfg *s)
{
	static uint8_t now[4096];
	struct pt_cfg_write w[1100];
	size_t n;
	int rc = 0;

	if (!pt_dry_run)
		read_config(s->d, now, s->len);
	n = pt_reset_restore_plan(s->cfg, pt_dry_run ? NULL : now, s->len, w, sizeof(w) / sizeof(w[0]));
	for (size_t i = 0; i < n; i++) {
		int r = pt_write_config(s->d->name, w[i].offset, s->cfg + w[i].offset, w[i].len);

		if (r < 0 && rc == 0)
			rc = r; /* go on: every other register still goes back */
	}
	return rc;
}

static int bridge_control(const struct pt_dev *b, uint16_t v)
{
	uint8_t ctl[2] = { v & 0xff, v >> 8 };

	return pt_write_config(b->name, PCI_BRIDGE_CONTROL, ctl, 2);
}

int pt_reset_raw_sbr(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
		     long *usec, bool *restored, char *err, size_t errlen)
{
	struct saved_cfg *saved;
	size_t n = ri->nbelow + 1;
	uint16_t v;
	long t0;
	int rc = 0;

	*usec = 0;
	*restored = true;
	if (!ri->bridge) {
		snprintf(err, errlen, "%s: no bridge above it, so no bus to reset", d->name);
		return -EOPNOTSUPP;
	}
	saved = pt_xcalloc(n, sizeof(*saved));
	for (size_t i = 0; i < n; i++) {
		saved[i].d = i == 0 ? d : ri->below[i - 1];
		saved[i].len = read_config(saved[i].d, saved[i].cfg, sizeof(saved[i].cfg));
		if (saved[i].len < 256) {
			snprintf(err, errlen, "%s: cannot read its whole config space to save it (%zu bytes; "
				 "root reads 256 or 4096)", saved[i].d->name, saved[i].len);
			free(saved);
			return -EIO;
		}
	}
	{
		struct pci_dev *bd = pci_get_dev(h->pacc, (int)ri->bridge->bdf.domain, (int)ri->bridge->bdf.bus,
						 (int)ri->bridge->bdf.dev, (int)ri->bridge->bdf.fn);
		v = pci_read_word(bd, PCI_BRIDGE_CONTROL);
		pci_free_dev(bd);
	}
	t0 = now_usec();
	rc = bridge_control(ri->bridge, v | PCI_BRIDGE_CTL_BUS_RESET);
	if (rc < 0) {
		/* nothing was reset: nothing to restore */
		snprintf(err, errlen, "%s: setting Secondary Bus Reset: %s", ri->bridge->name, strerror(-rc));
		free(saved);
		return rc;
	}
	sleep_ms(2); /* Trst: at least 1 ms asserted */
	v &= (uint16_t)~PCI_BRIDGE_CTL_BUS_RESET;
	/* never leave the bus held in reset: up to three tries */
	for (int tries = 0; tries < 3 && (rc = bridge_control(ri->bridge, v)) < 0; tries++)
		;
	if (rc < 0) {
		snprintf(err, errlen, "%s: the bus is still held in reset (clearing Bridge Control "
			 "bit 6 failed: %s); nothing below it was restored", ri->bridge->name, strerror(-rc));
		*restored = false;
		free(saved);
		return rc;
	}
	sleep_ms(1000); /* PCIe r5.0 6.6.1: 1 s before a device must answer */
	for (size_t i = 0; i < n; i++) {
		int r = restore_cfg(&saved[i]);

		if (r < 0) {
			*restored = false;
			if (rc == 0) {
				rc = r;
				snprintf(err, errlen, "%s: restoring its config space: %s", saved[i].d->name,
					 strerror(-r));
			}
		}
	}
	*usec = now_usec() - t0;
	free(saved);
	return rc;
}

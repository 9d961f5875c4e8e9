#include "reset.h"
#include "msg.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The registers a secondary bus reset clears and the kernel restores
 * (drivers/pci/pci.c pci_restore_state): header words, BARs (or a bridge's
 * bus numbers and windows), the ROM BAR, interrupt line, the PCIe control
 * registers; the command register goes last so nothing decodes before its
 * BARs are back. */
struct saved_cfg {
	const struct pt_dev *d;
	uint8_t cfg[256];
	int pcie;  /* offset of the PCIe capability, or 0 */
};

static int restore_cfg(const struct saved_cfg *s)
{
	const uint8_t *c = s->cfg;
	bool bridge = (c[PCI_HEADER_TYPE] & 0x7f) == 1;
	int rc = 0;

	rc = rc ? rc : pt_write_config(s->d->name, 0x0c, c + 0x0c, 4);
	rc = rc ? rc : pt_write_config(s->d->name, 0x10, c + 0x10, bridge ? 0x34 - 0x10 : 0x28 - 0x10);
	rc = rc ? rc : pt_write_config(s->d->name, bridge ? 0x38 : 0x30, c + (bridge ? 0x38 : 0x30), 4);
	rc = rc ? rc : pt_write_config(s->d->name, 0x3c, c + 0x3c, bridge ? 4 : 1);
	if (s->pcie) {
		rc = rc ? rc : pt_write_config(s->d->name, s->pcie + PCI_EXP_DEVCTL, c + s->pcie + PCI_EXP_DEVCTL, 2);
		rc = rc ? rc : pt_write_config(s->d->name, s->pcie + PCI_EXP_LNKCTL, c + s->pcie + PCI_EXP_LNKCTL, 2);
		rc = rc ? rc : pt_write_config(s->d->name, s->pcie + PCI_EXP_DEVCTL2, c + s->pcie + PCI_EXP_DEVCTL2, 2);
	}
	rc = rc ? rc : pt_write_config(s->d->name, PCI_COMMAND, c + PCI_COMMAND, 2);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!pt_dry_run)
		nanosleep(&ts, NULL);
}

int pt_reset_slot(const struct pt_host *h, const struct pt_dev *d, const struct pt_reset_info *ri,
		  long *usec, char *err, size_t errlen)
{
	struct saved_cfg *saved;
	size_t n = 0;
	uint8_t ctl[2];
	uint16_t v;
	long t0;
	int rc = 0;

	*usec = 0;
	if (!ri->bridge) {
		snprintf(err, errlen, "%s: no bridge above it, so no bus to reset", d->name);
		return -EOPNOTSUPP;
	}
	saved = pt_xcalloc(ri->nbelow + 1, sizeof(*saved));
	for (size_t i = 0; i <= ri->nbelow; i++) {
		const struct pt_dev *x = i == 0 ? d : ri->below[i - 1];
		struct pci_dev *pd = pci_get_dev(h->pacc, (int)x->bdf.domain, (int)x->bdf.bus,
						 (int)x->bdf.dev, (int)x->bdf.fn);
		struct pci_cap *cap;

		saved[n].d = x;
		if (!pci_read_block(pd, 0, saved[n].cfg, sizeof(saved[n].cfg))) {
			snprintf(err, errlen, "%s: cannot read its config space to save it", x->name);
			pci_free_dev(pd);
			free(saved);
			return -EIO;
		}
		pci_fill_info(pd, PCI_FILL_CAPS);
		if ((cap = pci_find_cap(pd, PCI_CAP_ID_EXP, PCI_CAP_NORMAL)) && cap->addr + 0x30 <= 256)
			saved[n].pcie = (int)cap->addr;
		pci_free_dev(pd);
		n++;
	}
	{
		struct pci_dev *bd = pci_get_dev(h->pacc, (int)ri->bridge->bdf.domain, (int)ri->bridge->bdf.bus,
						 (int)ri->bridge->bdf.dev, (int)ri->bridge->bdf.fn);
		v = pci_read_word(bd, PCI_BRIDGE_CONTROL);
		pci_free_dev(bd);
	}
	t0 = now_usec();
	v |= PCI_BRIDGE_CTL_BUS_RESET;
	ctl[0] = v & 0xff, ctl[1] = v >> 8;
	rc = pt_write_config(ri->bridge->name, PCI_BRIDGE_CONTROL, ctl, 2);
	if (rc == 0) {
		sleep_ms(2); /* Trst: at least 1 ms asserted */
		v &= (uint16_t)~PCI_BRIDGE_CTL_BUS_RESET;
		ctl[0] = v & 0xff, ctl[1] = v >> 8;
		rc = pt_write_config(ri->bridge->name, PCI_BRIDGE_CONTROL, ctl, 2);
		if (rc < 0) /* never leave the bus held in reset: one more try */
			rc = pt_write_config(ri->bridge->name, PCI_BRIDGE_CONTROL, ctl, 2);
		if (rc < 0) {
			snprintf(err, errlen, "%s: the bus is still held in reset (clearing Bridge Control "
				 "bit 6 failed: %s)", ri->bridge->name, strerror(-rc));
			free(saved);
			return rc;
		}
		sleep_ms(1000); /* PCIe r5.0 6.6.1: 1 s before a device must answer */
	}
	for (size_t i = 0; i < n; i++) {
		int r = restore_cfg(&saved[i]);

		if (r < 0 && rc == 0) {
			rc = r;
			snprintf(err, errlen, "%s: restoring its config space: %s", saved[i].d->name, strerror(-r));
		}
	}
	*usec = now_usec() - t0;
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "%s: secondary bus reset: %s", ri->bridge->name, strerror(-rc));
	free(saved);
	return rc;
}

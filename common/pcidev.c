#include "pcidev.h"
#include "msg.h"
#include "output.h"
#include "sysfs.h"

#include <errno.h>
#include <setjmp.h>
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* While filling one device, a libpci "fatal" error (a missing or
 * unreadable attribute) marks that device instead of ending the program. */
static jmp_buf *pci_catch;
static char pci_errmsg[512];

static void pci_fatal(char *msg, ...) __attribute__((noreturn));
static void pci_fatal(char *msg, ...)
{
	va_list ap;

	if (pci_catch) {
		jmp_buf *jb = pci_catch;

		va_start(ap, msg);
		vsnprintf(pci_errmsg, sizeof(pci_errmsg), msg, ap);
		va_end(ap);
		pci_catch = NULL;
		longjmp(*jb, 1);
	}
	fflush(stdout);
	fprintf(stderr, "%s: libpci: ", pt_progname);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(PT_EXIT_FAIL);
}

static void pci_quiet(char *msg, ...)
{
	va_list ap;

	if (!pt_verbose)
		return;
	fprintf(stderr, "%s: libpci: ", pt_progname);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
}

size_t pt_parse_device_path(const char *path, struct pt_bdf *out, size_t max)
{
	size_t n = 0;

	while (*path && n < max) {
		const char *end = strchr(path, '/');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		char comp[PT_BDF_LEN];

		if (len > 0 && len < sizeof(comp)) {
			memcpy(comp, path, len);
			comp[len] = '\0';
			if (strchr(comp, '.') && pt_bdf_parse(comp, &out[n]) == NULL &&
			    strchr(comp, ':') != strrchr(comp, ':'))
				n++;
		}
		if (!end)
			break;
		path = end + 1;
	}
	return n;
}

bool pt_reset_methods_valid(const char *s)
{
	static const char *const known[] = { "device_specific", "acpi", "flr", "af_flr",
					     "pm", "bus", "cxl_bus", NULL };
	const char *p = s;

	while (*p) {
		size_t len = strcspn(p, " ");
		bool ok = false;

		for (int i = 0; known[i]; i++)
			if (strlen(known[i]) == len && strncmp(p, known[i], len) == 0)
				ok = true;
		if (!ok && len)
			return false;
		p += len;
		p += strspn(p, " ");
	}
	return true;
}

static void add_problem(struct pt_dev *d, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	size_t old = d->problem ? strlen(d->problem) : 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->problem = pt_xrealloc(d->problem, old + strlen(msg) + 3);
	if (old)
		strcpy(d->problem + old, "; ");
	strcpy(d->problem + old + (old ? 2 : 0), msg);
}

static int cmp_dev(const void *a, const void *b)
{
	return pt_bdf_cmp(&((const struct pt_dev *)a)->bdf, &((const struct pt_dev *)b)->bdf);
}

/* Whether /sys/bus/pci/drivers/NAME exists; the few driver names a host
 * has are remembered, so a dangling link costs one lookup per driver. */
static bool driver_exists(const char *name)
{
	static struct { char *name; bool ok; } seen[64];
	static size_t nseen;

	for (size_t i = 0; i < nseen; i++)
		if (strcmp(seen[i].name, name) == 0)
			return seen[i].ok;
	bool ok = pt_exists("/sys/bus/pci/drivers/%s", name);
	if (nseen < sizeof(seen) / sizeof(seen[0])) {
		seen[nseen].name = pt_xstrdup(name);
		seen[nseen++].ok = ok;
	}
	return ok;
}

static void read_config(struct pt_dev *d, struct pci_dev *pd)
{
	unsigned char cfg[64];

	d->header_type = -1;
	d->subsys_vendor = d->subsys_device = -1;
	if (!pci_read_block(pd, 0, cfg, sizeof(cfg))) {
		add_problem(d, "config space unreadable or truncated");
		return;
	}
	/* A VF reads vendor ffff by design (SR-IOV spec 3.4.1.1); only all ones
	 * in the class and header too means the device fell off the bus. */
	if (cfg[0] == 0xff && cfg[1] == 0xff && cfg[PCI_REVISION_ID] == 0xff &&
	    cfg[PCI_CLASS_DEVICE] == 0xff && cfg[PCI_CLASS_DEVICE + 1] == 0xff &&
	    cfg[PCI_HEADER_TYPE] == 0xff) {
		add_problem(d, "config space reads all ones (device gone?)");
		return;
	}
	d->config_ok = true;
	d->header_type = cfg[PCI_HEADER_TYPE] & 0x7f;
	d->revision = cfg[PCI_REVISION_ID];
	d->prog_if = cfg[PCI_CLASS_PROG];
	if (d->header_type == PCI_HEADER_TYPE_NORMAL) {
		d->subsys_vendor = cfg[PCI_SUBSYSTEM_VENDOR_ID] | cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] << 8;
		d->subsys_device = cfg[PCI_SUBSYSTEM_ID] | cfg[PCI_SUBSYSTEM_ID + 1] << 8;
	}
}

/* IDs and class as the kernel shows them (it fixes up broken devices);
 * revision and programming interface from config space, as lspci does. */
/* One libpci fill, with its "fatal" error caught; false when it failed.
 * libpci marks a field known before reading it, so known_fields cannot
 * tell. */
static bool fill_one(struct pt_dev *d, struct pci_dev *pd, int what)
{
	jmp_buf jb;

	if (setjmp(jb)) {
		add_problem(d, "%s", pci_errmsg);
		return false;
	}
	pci_catch = &jb;
	pci_fill_info(pd, what);
	pci_catch = NULL;
	return true;
}

/* A host has a handful of distinct drivers and reset_method values; keep
 * each once instead of once per device. */
static const char *intern(struct pt_host *h, const char *s)
{
	for (size_t i = 0; i < h->nstrings; i++)
		if (strcmp(h->strings[i], s) == 0)
			return h->strings[i];
	h->strings = pt_xrealloc(h->strings, (h->nstrings + 1) * sizeof(*h->strings));
	return h->strings[h->nstrings++] = pt_xstrdup(s);
}

static void fill_dev(struct pt_host *h, struct pt_dev *d, struct pci_dev *pd)
{
	char buf[256];
	int rc;

	/* IDs and class as the kernel shows them (it fixes up broken devices);
	 * revision and programming interface from config space, as lspci does. */
	d->ids_known = fill_one(d, pd, PCI_FILL_IDENT);
	d->class_known = fill_one(d, pd, PCI_FILL_CLASS);
	d->vendor = pd->vendor_id;
	d->device = pd->device_id;
	d->class = pd->device_class;
	if (d->ids_known && (d->vendor == 0 || d->vendor == 0xffff))
		add_problem(d, "vendor ID %04x is not valid", d->vendor);
	read_config(d, pd);

	/* The kernel's links are enough; libpci would realpath() each one. */
	rc = pt_read_link_name(buf, sizeof(buf), "/sys/bus/pci/devices/%s/driver", d->name);
	if (rc > 0) {
		d->driver = intern(h, buf);
		if (!driver_exists(buf))
			add_problem(d, "driver link points to a missing driver %s", buf);
	} else if (rc < 0 && rc != -ENOENT) {
		add_problem(d, "driver link unreadable: %s", strerror(-rc));
	}

	d->group = -1;
	rc = pt_read_link_name(buf, sizeof(buf), "/sys/bus/pci/devices/%s/iommu_group", d->name);
	if (rc > 0) {
		char *end;
		long g = strtol(buf, &end, 10);

		if (*end || g < 0 || g > 0x7fffffff || end == buf)
			add_problem(d, "iommu_group link names no group: %s", buf);
		else
			d->group = (int)g;
	} else if (rc < 0 && rc != -ENOENT) {
		add_problem(d, "iommu_group link unreadable: %s", strerror(-rc));
	}

	rc = pt_read_text(buf, sizeof(buf), "/sys/bus/pci/devices/%s/reset_method", d->name);
	if (rc >= 0 && pt_reset_methods_valid(buf)) {
		d->reset_methods = intern(h, buf);
	} else if (rc != -ENOENT) { /* absent before Linux 5.15 */
		add_problem(d, "reset_method unreadable or unexpected");
		d->reset_methods = intern(h, "?");
	}

	rc = pt_read_link(buf, sizeof(buf), "/sys/bus/pci/devices/%s", d->name);
	if (rc > 0) {
		struct pt_bdf chain[PT_MAX_UPSTREAM + 1];
		size_t n = pt_parse_device_path(buf, chain, PT_MAX_UPSTREAM + 1);

		/* the last address is the device itself, the one before it its bridge */
		if (n > 1) {
			struct pt_dev *up = pt_host_find(h, &chain[n - 2]);

			d->depth = (unsigned)(n - 1);
			d->parent = up ? (int)(up - h->devs) : -1;
		}
	}
}

/* Physical slots: /sys/bus/pci/slots/NAME/address holds "DDDD:BB:DD". */
static void read_slots(struct pt_host *h)
{
	char **names = NULL;
	int n = pt_list_dir(&names, "/sys/bus/pci/slots");

	for (int i = 0; i < n; i++) {
		char addr[32], full[48];
		struct pt_bdf b;

		if (pt_read_text(addr, sizeof(addr), "/sys/bus/pci/slots/%s/address", names[i]) <= 0)
			continue; /* old fakephp slots had no address */
		snprintf(full, sizeof(full), "%s.0", addr);
		if (pt_bdf_parse(full, &b) != NULL)
			continue;
		/* devices are sorted: the slot's function 0 or the first after it */
		size_t lo = 0, hi = h->ndevs;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (pt_bdf_cmp(&h->devs[mid].bdf, &b) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t k = lo; k < h->ndevs && pt_bdf_same_slot(&h->devs[k].bdf, &b); k++)
			if (!h->devs[k].phys_slot)
				h->devs[k].phys_slot = intern(h, names[i]);
	}
	if (n > 0)
		pt_free_names(names, n);
}

void pt_host_scan(struct pt_host *h)
{
	char path[PATH_MAX];
	const char *ids = getenv("PASSTHRU_PCI_IDS");
	char **names = NULL;
	int n;

	memset(h, 0, sizeof(*h));
	h->pacc = pci_alloc();
	h->pacc->error = pci_fatal;
	h->pacc->warning = pci_quiet;
	h->pacc->debug = pci_quiet;
	h->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	if (pt_path(path, sizeof(path), "/sys/bus/pci") < 0)
		pt_die(PT_EXIT_USAGE, "sysroot path too long");
	pci_set_param(h->pacc, "sysfs.path", path);
	if (ids && *ids) {
		pci_set_name_list_path(h->pacc, (char *)ids, 0);
		pci_set_param(h->pacc, "hwdb.disable", "1");
	}
	pci_init(h->pacc);

	/* The devices as the kernel lists them. pci_scan_bus() would keep a
	 * 424-byte pci_dev per device for the whole run; taking them one at a
	 * time with pci_get_dev() keeps a 10,000-device host in a few MiB. */
	n = pt_list_dir(&names, "/sys/bus/pci/devices");
	if (n < 0)
		pt_die(PT_EXIT_FAIL, "no PCI devices: %s: %s", "/sys/bus/pci/devices", strerror(-n));
	h->devs = pt_xcalloc((size_t)n, sizeof(*h->devs));
	for (int i = 0; i < n; i++) {
		struct pt_dev *d = &h->devs[h->ndevs];

		if (pt_bdf_parse(names[i], &d->bdf) != NULL) {
			pt_warn("ignoring /sys/bus/pci/devices/%s: not a PCI address", names[i]);
			continue;
		}
		pt_bdf_format(&d->bdf, d->name);
		h->ndevs++;
	}
	pt_free_names(names, n);
	qsort(h->devs, h->ndevs, sizeof(*h->devs), cmp_dev);
	for (size_t i = 0; i < h->ndevs; i++) {
		struct pt_dev *d = &h->devs[i];
		struct pci_dev *pd = pci_get_dev(h->pacc, (int)d->bdf.domain, (int)d->bdf.bus,
						 (int)d->bdf.dev, (int)d->bdf.fn);

		d->parent = -1;
		fill_dev(h, d, pd);
		pci_free_dev(pd);
	}
	read_slots(h);
}

size_t pt_dev_upstream(const struct pt_host *h, const struct pt_dev *d, const struct pt_dev **out,
		       size_t max)
{
	size_t n = 0;

	while (d->parent >= 0 && n < max) {
		d = &h->devs[d->parent];
		out[n++] = d;
	}
	return n;
}

void pt_host_free(struct pt_host *h)
{
	for (size_t i = 0; i < h->ndevs; i++) {
		free(h->devs[i].problem);
	}
	free(h->devs);
	for (size_t i = 0; i < h->nstrings; i++)
		free(h->strings[i]);
	free(h->strings);
	if (h->pacc)
		pci_cleanup(h->pacc);
	memset(h, 0, sizeof(*h));
}

struct pt_dev *pt_host_find(const struct pt_host *h, const struct pt_bdf *b)
{
	struct pt_dev key;

	key.bdf = *b;
	return bsearch(&key, h->devs, h->ndevs, sizeof(*h->devs), cmp_dev);
}

/* A name libpci gives is text from a file anyone can edit: keep it only
 * when it is printable UTF-8 (output.c), so a table row stays one line
 * and a JSON document stays valid; otherwise the caller falls back to the
 * number ("Vendor 10de"). libpci cuts a long name with "...", possibly
 * inside a UTF-8 sequence: that sequence goes, the rest stays. */
static const char *usable_name(char *name, char *buf, size_t len)
{
	char esc[1024];
	size_t l;

	if (!name || !*name)
		return NULL;
	if (name != buf) { /* libpci's own error strings ("<pci_lookup_name: ...>") */
		if (name[0] == '<')
			return NULL;
		snprintf(buf, len, "%s", name);
		name = buf;
	}
	l = strlen(name);
	if (l >= 3 && l + 1 == len && strcmp(name + l - 3, "...") == 0) {
		size_t k = l - 3, lead = k;

		while (lead > 0 && ((unsigned char)name[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && ((unsigned char)name[lead - 1] & 0xc0) == 0xc0) {
			unsigned char c = (unsigned char)name[lead - 1];
			size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			if (k - (lead - 1) < want)
				memmove(name + lead - 1, "...", 4);
		}
	}
	if (pt_text_escape(esc, sizeof(esc), name) != strlen(name) || strcmp(esc, name) != 0)
		return NULL;
	return name;
}

/* The first lookup makes libpci read pci.ids, and a line it cannot parse
 * (too long, a NUL byte, a bad ID) is an error that would end the program
 * half-way through a table or a JSON document (lib/names-parse.c calls
 * a->error). Caught here: the names read before that line stay, the rest
 * are shown as numbers, and one warning says so. */
static char *lookup(const struct pt_host *h, char *buf, size_t len, int flags, int a1, int a2)
{
	static bool warned;
	jmp_buf jb;
	char *volatile name = NULL;

	if (setjmp(jb)) {
		size_t l = strlen(pci_errmsg);

		while (l > 0 && (pci_errmsg[l - 1] == '\n' || pci_errmsg[l - 1] == ' '))
			pci_errmsg[--l] = '\0';
		if (!warned)
			pt_warn("pci.ids: %s; names it does not give are shown as numbers", pci_errmsg);
		warned = true;
		return NULL;
	}
	pci_catch = &jb;
	name = pci_lookup_name(h->pacc, buf, (int)len, flags | PCI_LOOKUP_NO_NUMBERS, a1, a2);
	pci_catch = NULL;
	return name;
}

const char *pt_dev_vendor_name(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len)
{
	return usable_name(lookup(h, buf, len, PCI_LOOKUP_VENDOR, (int)d->vendor, 0), buf, len);
}

const char *pt_dev_device_name(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len)
{
	return usable_name(lookup(h, buf, len, PCI_LOOKUP_DEVICE, (int)d->vendor, (int)d->device),
			   buf, len);
}

const char *pt_dev_class_name(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len)
{
	char *name = (char *)usable_name(lookup(h, buf, len, PCI_LOOKUP_CLASS, (int)d->class, 0),
					 buf, len);
	char num[16];
	size_t nl, l;

	/* For an unknown subclass libpci names the base class and appends the
	 * number itself ("Unclassified device [00ff]", lib/names.c); the
	 * number is a field of its own here. */
	snprintf(num, sizeof(num), " [%04x]", d->class);
	nl = strlen(num);
	if (name && (l = strlen(name)) > nl && strcmp(name + l - nl, num) == 0) {
		if (name != buf) {
			snprintf(buf, len, "%s", name);
			name = buf;
		}
		name[l - nl] = '\0';
	}
	return name;
}

const char *pt_dev_describe(const struct pt_host *h, const struct pt_dev *d, char *buf, size_t len)
{
	char vn[256], dn[256], vnum[16], dnum[16];
	const char *v = d->ids_known ? pt_dev_vendor_name(h, d, vn, sizeof(vn)) : NULL;
	const char *n = d->ids_known ? pt_dev_device_name(h, d, dn, sizeof(dn)) : NULL;

	snprintf(vnum, sizeof(vnum), d->ids_known ? "Vendor %04x" : "Vendor ?", d->vendor);
	snprintf(dnum, sizeof(dnum), d->ids_known ? "Device %04x" : "Device ?", d->device);
	snprintf(buf, len, "%s %s", v ? v : vnum, n ? n : dnum);
	return buf;
}

bool pt_dev_is_bridge(const struct pt_dev *d)
{
	if (d->header_type == PCI_HEADER_TYPE_BRIDGE || d->header_type == PCI_HEADER_TYPE_CARDBUS)
		return true;
	return d->class == PCI_CLASS_BRIDGE_HOST || d->class == PCI_CLASS_BRIDGE_PCI ||
	       d->class == 0x0609 /* semi-transparent PCI-to-PCI */ ||
	       d->class == PCI_CLASS_BRIDGE_CARDBUS;
}

bool pt_dev_is_platform(const struct pt_dev *d)
{
	return pt_dev_platform_kind(d) != NULL;
}

const char *pt_dev_platform_kind(const struct pt_dev *d)
{
	if (!d->class_known || pt_dev_is_card(d))
		return NULL;
	switch (d->class) {
	case 0x0601: return "ISA bridge";
	case 0x0602: return "EISA bridge";
	case 0x0680: return "bridge of the chipset";
	case 0x0c05: return "SMBus";
	case 0x0c80: return "serial bus of the chipset";
	}
	return NULL;
}

const char *pt_dev_platform_duty(const struct pt_dev *d)
{
	if (d->class == 0x0c05)
		return "temperature sensors and memory SPD";
	if ((d->class >> 8) == 0x06)
		return "RTC, TPM, super I/O and firmware flash";
	return "firmware and sensors";
}

bool pt_driver_manages_dma(const char *driver)
{
	size_t l;

	if (!driver)
		return true;
	l = strlen(driver);
	return strcmp(driver, "vfio-pci") == 0 || strcmp(driver, "pci-stub") == 0 ||
	       strcmp(driver, "pcieport") == 0 ||
	       (l > 8 && (strcmp(driver + l - 8, "vfio_pci") == 0 || strcmp(driver + l - 8, "vfio-pci") == 0));
}

const struct pt_dev *pt_dev_domain_owner(const struct pt_host *h, const struct pt_dev *d)
{
	const struct pt_dev *x = d;

	while (x->parent >= 0) {
		const struct pt_dev *up = &h->devs[x->parent];

		if (up->bdf.domain != d->bdf.domain)
			return up;
		x = up;
	}
	return NULL;
}

bool pt_dev_owns_domain(const struct pt_host *h, const struct pt_dev *d)
{
	if (d->driver && strcmp(d->driver, "vmd") == 0)
		return true;
	for (size_t i = 0; i < h->ndevs; i++)
		if (h->devs[i].parent >= 0 && &h->devs[h->devs[i].parent] == d &&
		    h->devs[i].bdf.domain != d->bdf.domain)
			return true;
	return false;
}

bool pt_dev_is_card(const struct pt_dev *d)
{
	return d->depth > 0 || d->phys_slot != NULL;
}

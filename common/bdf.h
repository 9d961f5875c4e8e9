/* PCI addresses (domain:bus:device.function): parsing and printing. Pure. */
#ifndef PT_BDF_H
#define PT_BDF_H

#include <stdbool.h>
#include <stddef.h>

/* "0000:00:00.0" is 12 chars; VMD domains (10000 and up) print wider. */
#define PT_BDF_LEN 20

struct pt_bdf {
	unsigned domain; /* 0 .. 0xffffffff, printed %04x as the kernel does */
	unsigned bus;    /* 0 .. 0xff */
	unsigned dev;    /* 0 .. 0x1f */
	unsigned fn;     /* 0 .. 7 */
};

/* Parse "DDDD:BB:dd.f" or "BB:dd.f". Returns NULL on success, otherwise a
 * static string saying what is wrong; *out is untouched on error. */
const char *pt_bdf_parse(const char *s, struct pt_bdf *out);

/* Print the full form, "0000:01:00.0". */
char *pt_bdf_format(const struct pt_bdf *b, char buf[PT_BDF_LEN]);

int pt_bdf_cmp(const struct pt_bdf *a, const struct pt_bdf *b);
bool pt_bdf_same_slot(const struct pt_bdf *a, const struct pt_bdf *b);

/* A "vendor:device" ID pair, four hex digits each ("10de:2206"). */
struct pt_pci_id {
	unsigned vendor, device;
};
const char *pt_pci_id_parse(const char *s, struct pt_pci_id *out);

/* A vendor ID alone: one to four hex digits. */
const char *pt_vendor_parse(const char *s, unsigned *out);

#endif

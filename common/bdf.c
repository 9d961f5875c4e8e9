#include "bdf.h"

#include <stdio.h>

/* Read 1..max hex digits at *s; advance *s. Returns -1 if none or too many. */
static long hex_field(const char **s, int max)
{
	long v = 0;
	int n = 0;

	for (;;) {
		char c = **s;
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (++n > max)
			return -1;
		v = v * 16 + d;
		(*s)++;
	}
	return n ? v : -1;
}

const char *pt_bdf_parse(const char *s, struct pt_bdf *out)
{
	const char *p = s;
	long a, b, dev, fn;
	struct pt_bdf r = { 0, 0, 0, 0 };

	if (!s || !*s)
		return "empty device address";
	a = hex_field(&p, 8);
	if (a < 0 || *p != ':')
		return "not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)";
	p++;
	b = hex_field(&p, 2);
	if (b < 0)
		return "not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)";
	if (*p == ':') {
		/* long form: a was the domain, b the bus */
		p++;
		dev = hex_field(&p, 2);
		r.domain = (unsigned)a;
		r.bus = (unsigned)b;
	} else {
		/* short form: a was the bus, b the device */
		if (a > 0xff)
			return "bus number out of range (00-ff)";
		dev = b;
		r.bus = (unsigned)a;
	}
	if (dev < 0 || *p != '.')
		return "not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)";
	if (dev > 0x1f)
		return "device number out of range (00-1f)";
	p++;
	if (*p < '0' || *p > '9')
		return "function number missing (0-7)";
	fn = *p - '0';
	p++;
	if (fn > 7 || (*p >= '0' && *p <= '9'))
		return "function number out of range (0-7)";
	if (*p)
		return "trailing characters after the PCI address";
	r.dev = (unsigned)dev;
	r.fn = (unsigned)fn;
	*out = r;
	return NULL;
}

char *pt_bdf_format(const struct pt_bdf *b, char buf[PT_BDF_LEN])
{
	snprintf(buf, PT_BDF_LEN, "%04x:%02x:%02x.%x", b->domain, b->bus, b->dev, b->fn);
	return buf;
}

int pt_bdf_cmp(const struct pt_bdf *a, const struct pt_bdf *b)
{
	unsigned x[4] = { a->domain, a->bus, a->dev, a->fn };
	unsigned y[4] = { b->domain, b->bus, b->dev, b->fn };

	for (int i = 0; i < 4; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

bool pt_bdf_same_slot(const struct pt_bdf *a, const struct pt_bdf *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

const char *pt_vendor_parse(const char *s, unsigned *out)
{
	const char *p = s;
	long v;

	if (!s || !*s)
		return "empty vendor ID";
	v = hex_field(&p, 4);
	if (v < 0 || *p)
		return "not a vendor ID (expected 1-4 hex digits, e.g. 10de)";
	*out = (unsigned)v;
	return NULL;
}

const char *pt_pci_id_parse(const char *s, struct pt_pci_id *out)
{
	const char *p = s;
	long v, d;

	if (!s || !*s)
		return "empty device ID";
	v = hex_field(&p, 4);
	if (v < 0 || *p != ':')
		return "not a vendor:device ID (expected e.g. 10de:2206)";
	p++;
	d = hex_field(&p, 4);
	if (d < 0 || *p)
		return "not a vendor:device ID (expected e.g. 10de:2206)";
	out->vendor = (unsigned)v;
	out->device = (unsigned)d;
	return NULL;
}

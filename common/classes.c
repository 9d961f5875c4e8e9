#include "classes.h"

#include <string.h>

const char pt_class_names[] = "display audio storage network usb bridge";

static const struct {
	const char *name;
	struct pt_class_filter f;
} named[] = {
	{ "display", { 1, { { 0x030000, 0xff0000 } } } },
	/* 0401 multimedia audio, 0403 HD audio (a GPU's HDMI function) */
	{ "audio", { 2, { { 0x040100, 0xffff00 }, { 0x040300, 0xffff00 } } } },
	{ "storage", { 1, { { 0x010000, 0xff0000 } } } },
	{ "network", { 1, { { 0x020000, 0xff0000 } } } },
	{ "usb", { 1, { { 0x0c0300, 0xffff00 } } } },
	{ "bridge", { 1, { { 0x060000, 0xff0000 } } } },
};

const char *pt_class_filter_parse(const char *s, struct pt_class_filter *out)
{
	size_t len;
	unsigned v = 0;

	if (!s || !*s)
		return "empty class";
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strcmp(s, named[i].name) == 0) {
			*out = named[i].f;
			return NULL;
		}
	len = strlen(s);
	if (len != 2 && len != 4 && len != 6)
		return "unknown class (use display, audio, storage, network, usb, bridge, or 2, 4 or 6 hex digits)";
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return "unknown class (use display, audio, storage, network, usb, bridge, or 2, 4 or 6 hex digits)";
		v = v * 16 + d;
	}
	out->n = 1;
	out->alt[0].value = v << (4 * (6 - len));
	out->alt[0].mask = 0xffffffu << (4 * (6 - len)) & 0xffffff;
	return NULL;
}

bool pt_class_filter_match(const struct pt_class_filter *f, unsigned class16, unsigned prog_if)
{
	unsigned c = (class16 << 8) | (prog_if & 0xff);

	for (unsigned i = 0; i < f->n; i++)
		if ((c & f->alt[i].mask) == f->alt[i].value)
			return true;
	return false;
}

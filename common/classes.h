/* Device classes by name or code, for filters such as --class display. Pure. */
#ifndef PT_CLASSES_H
#define PT_CLASSES_H

#include <stdbool.h>

struct pt_class_filter {
	unsigned n;
	struct {
		unsigned value; /* 24-bit class code: base, sub, prog-if */
		unsigned mask;
	} alt[4];
};

/* "display" (base class 03, so 3D controllers 0302 count), "audio",
 * "storage", "network", "usb", "bridge", or 2, 4 or 6 hex digits. NULL on
 * success, otherwise what is wrong. */
const char *pt_class_filter_parse(const char *s, struct pt_class_filter *out);
bool pt_class_filter_match(const struct pt_class_filter *f, unsigned class16, unsigned prog_if);
/* The names accepted, space separated (for --help and completions). */
extern const char pt_class_names[];

#endif

/* The pure parts of mdev.h: UUIDs, names, mdevctl's definitions, NVIDIA's
 * creatable_vgpu_types, the toolkit's persistent file. No I/O: unit-tested
 * and fuzzed (tests/fuzz/fuzz-vmspec.c). */
#define _GNU_SOURCE
#include "mdev.h"
#include "jsonread.h"
#include "msg.h"
#include "output.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *pt_uuid_parse(const char *s, char out[PT_UUID_LEN])
{
	size_t n = strlen(s);

	if (n != 36)
		return "a UUID has 36 characters (8-4-4-4-12 hex digits)";
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return "a UUID is 8-4-4-4-12 hex digits with dashes between";
	}
	for (size_t i = 0; i < 36; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[36] = '\0';
	return NULL;
}

bool pt_mdev_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 128 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.:-", s[i]))
			return false;
	return true;
}

static void def_add_attr(struct pt_mdev_def *d, const char *name, const char *value)
{
	d->attrs = pt_xrealloc(d->attrs, (d->nattrs + 1) * sizeof(*d->attrs));
	d->attrs[d->nattrs].name = pt_xstrdup(name);
	d->attrs[d->nattrs].value = pt_xstrdup(value);
	d->nattrs++;
}

void pt_mdev_def_free(struct pt_mdev_def *def)
{
	for (size_t i = 0; i < def->nattrs; i++) {
		free(def->attrs[i].name);
		free(def->attrs[i].value);
	}
	free(def->attrs);
	def->attrs = NULL;
	def->nattrs = 0;
}

int pt_mdev_def_parse(const char *text, size_t len, struct pt_mdev_def *def, char *err, size_t errlen)
{
	struct pt_jdoc d;
	const char *type, *start;
	int attrs, rc = -1;

	memset(def, 0, sizeof(*def));
	if (pt_jparse(text, len, &d, err, errlen) < 0)
		goto out;
	if (!pt_jis(&d, d.root, PT_J_OBJ)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	type = pt_jstr(&d, pt_jget(&d, d.root, "mdev_type"));
	start = pt_jstr(&d, pt_jget(&d, d.root, "start"));
	if (!type || !start) {
		snprintf(err, errlen, "no \"%s\" string", type ? "start" : "mdev_type");
		goto out;
	}
	if (!pt_mdev_name_ok(type)) {
		snprintf(err, errlen, "mdev_type \"%.64s\" is no type name", type);
		goto out;
	}
	if (strcmp(start, "auto") != 0 && strcmp(start, "manual") != 0) {
		snprintf(err, errlen, "start is \"%.32s\", not auto or manual", start);
		goto out;
	}
	snprintf(def->type, sizeof(def->type), "%s", type);
	def->autostart = strcmp(start, "auto") == 0;
	attrs = pt_jget(&d, d.root, "attrs");
	if (attrs >= 0 && !pt_jis(&d, attrs, PT_J_ARR) && !pt_jis(&d, attrs, PT_J_NULL)) {
		snprintf(err, errlen, "attrs is not an array");
		goto out;
	}
	for (int a = pt_jfirst(&d, attrs); a >= 0; a = pt_jnext(&d, a)) {
		int m = pt_jfirst(&d, a);

		if (!pt_jis(&d, a, PT_J_OBJ) || pt_jcount(&d, a) != 1 || !pt_jstr(&d, m)) {
			snprintf(err, errlen, "an attribute is not an object with one string member");
			goto out;
		}
		if (!pt_mdev_name_ok(d.nodes[m].key) || strchr(d.nodes[m].key, ':')) {
			snprintf(err, errlen, "attribute \"%.64s\" is no attribute name", d.nodes[m].key);
			goto out;
		}
		def_add_attr(def, d.nodes[m].key, pt_jstr(&d, m));
	}
	rc = 0;
out:
	if (rc < 0)
		pt_mdev_def_free(def);
	pt_jfree(&d);
	return rc;
}

/* s appended to *buf as a JSON string */
static void put_json_string(char **buf, size_t *o, size_t *cap, const char *s)
{
	size_t n = pt_json_escape(NULL, 0, s);

	if (*o + n + 8 > *cap) {
		*cap = *o + n + 256;
		*buf = pt_xrealloc(*buf, *cap);
	}
	(*buf)[(*o)++] = '"';
	pt_json_escape(*buf + *o, n + 1, s);
	*o += n;
	(*buf)[(*o)++] = '"';
	(*buf)[*o] = '\0';
}

static void put_raw(char **buf, size_t *o, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*o + n + 1 > *cap) {
		*cap = *o + n + 256;
		*buf = pt_xrealloc(*buf, *cap);
	}
	memcpy(*buf + *o, s, n + 1);
	*o += n;
}

char *pt_mdev_def_format(const struct pt_mdev_def *def)
{
	size_t cap = 256, o = 0;
	char *s = pt_xmalloc(cap);

	s[0] = '\0';
	put_raw(&s, &o, &cap, "{\n  \"mdev_type\": ");
	put_json_string(&s, &o, &cap, def->type);
	put_raw(&s, &o, &cap, ",\n  \"start\": ");
	put_raw(&s, &o, &cap, def->autostart ? "\"auto\"" : "\"manual\"");
	put_raw(&s, &o, &cap, ",\n  \"attrs\": ");
	if (def->nattrs == 0) {
		put_raw(&s, &o, &cap, "[]");
	} else {
		put_raw(&s, &o, &cap, "[\n");
		for (size_t i = 0; i < def->nattrs; i++) {
			put_raw(&s, &o, &cap, "    {\n      ");
			put_json_string(&s, &o, &cap, def->attrs[i].name);
			put_raw(&s, &o, &cap, ": ");
			put_json_string(&s, &o, &cap, def->attrs[i].value);
			put_raw(&s, &o, &cap, i + 1 < def->nattrs ? "\n    },\n" : "\n    }\n");
		}
		put_raw(&s, &o, &cap, "  ]");
	}
	put_raw(&s, &o, &cap, "\n}");
	return s;
}

size_t pt_vgpu_types_parse(const char *text, struct pt_vgpu_type *out, size_t max)
{
	size_t n = 0;

	for (const char *p = text; p && *p && n < max;) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		char line[256];
		char *colon, *end, *name;
		unsigned long id;

		snprintf(line, sizeof(line), "%.*s", (int)(l < 255 ? l : 255), p);
		p = eol ? eol + 1 : NULL;
		colon = strchr(line, ':');
		if (!colon || !isdigit((unsigned char)line[strspn(line, " \t")]))
			continue; /* the header ("ID : vGPU Name"), blank lines */
		errno = 0;
		id = strtoul(line, &end, 10);
		end += strspn(end, " \t");
		if (errno || end != colon || id == 0 || id > 0xffffffffUL)
			continue;
		name = colon + 1;
		name += strspn(name, " \t");
		name[strcspn(name, "\r")] = '\0';
		for (size_t k = strlen(name); k > 0 && isspace((unsigned char)name[k - 1]); k--)
			name[k - 1] = '\0';
		if (!*name)
			continue;
		out[n].id = (unsigned)id;
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		n++;
	}
	return n;
}

const char *pt_vgpu_type_pick(const char *arg, const struct pt_vgpu_type *types, size_t n, bool allow_zero,
			      unsigned *id)
{
	char *end;
	unsigned long v;

	if (isdigit((unsigned char)arg[0])) {
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || v > 0xffffffffUL)
			return "not a vGPU type id";
		if (v == 0) {
			if (!allow_zero)
				return "0 is no vGPU type";
			*id = 0;
			return NULL;
		}
		for (size_t i = 0; i < n; i++)
			if (types[i].id == v) {
				*id = (unsigned)v;
				return NULL;
			}
		return "not among the VF's creatable vGPU types";
	}
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(types[i].name, arg) == 0) {
			*id = types[i].id;
			return NULL;
		}
	return "no creatable vGPU type of the VF has that name";
}

static bool parse_count(const char *w, unsigned max, unsigned *v)
{
	char *end;
	unsigned long x;

	if (!isdigit((unsigned char)w[0]))
		return false;
	errno = 0;
	x = strtoul(w, &end, 10);
	if (errno || *end || x > max)
		return false;
	*v = (unsigned)x;
	return true;
}

size_t pt_split_conf_parse(const char *text, struct pt_split_entry **out, int *bad, char *err, size_t errlen)
{
	size_t n = 0;
	int lineno = 0;

	*out = NULL;
	*bad = 0;
	if (errlen)
		err[0] = '\0';
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		char line[512], *w[8], *save = NULL;
		int nw = 0;
		struct pt_split_entry e = { 0 };
		struct pt_bdf b;
		const char *why = NULL;

		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)(l < 511 ? l : 511), p);
		p = eol ? eol + 1 : NULL;
		line[strcspn(line, "#")] = '\0';
		for (char *t = strtok_r(line, " \t\r", &save); t && nw < 8; t = strtok_r(NULL, " \t\r", &save))
			w[nw++] = t;
		if (nw == 0)
			continue;
		if (strcmp(w[0], "vfs") == 0 && nw >= 3) {
			e.kind = PT_SPLIT_VFS;
			if (pt_bdf_parse(w[1], &b))
				why = "not a PCI address";
			else if (!parse_count(w[2], 65535, &e.value))
				why = "not a VF count";
			for (int k = 3; k < nw && !why; k++) {
				if (strcmp(w[k], "no-autoprobe") == 0)
					e.no_autoprobe = true;
				else if (strcmp(w[k], "vfio") == 0)
					e.vfio = true;
				else
					why = "unknown word (no-autoprobe and vfio are known)";
			}
		} else if (strcmp(w[0], "vgpu") == 0 && nw == 3) {
			e.kind = PT_SPLIT_VGPU;
			if (pt_bdf_parse(w[1], &b))
				why = "not a PCI address";
			else if (!parse_count(w[2], 0xffffffffU, &e.value) || e.value == 0)
				why = "not a vGPU type id";
		} else {
			why = "not 'vfs PF N [no-autoprobe] [vfio]' or 'vgpu VF ID'";
		}
		if (why) {
			size_t o = strlen(err);

			if (o + 2 < errlen)
				snprintf(err + o, errlen - o, "%sline %d: %s", o ? "; " : "", lineno, why);
			(*bad)++;
			continue;
		}
		pt_bdf_format(&b, e.bdf);
		pt_split_conf_set(out, &n, &e, false);
	}
	return n;
}

char *pt_split_conf_format(const struct pt_split_entry *e, size_t n)
{
	size_t cap = 256 + n * 64, o = 0;
	char *s = pt_xmalloc(cap);

	o += (size_t)snprintf(s + o, cap - o, "# vgpu-split --persist: recreated at boot by vgpu-split --apply "
			      "(vgpu-split(8))\n");
	for (size_t i = 0; i < n; i++) {
		if (e[i].kind == PT_SPLIT_VFS)
			o += (size_t)snprintf(s + o, cap - o, "vfs %s %u%s%s\n", e[i].bdf, e[i].value,
					      e[i].no_autoprobe ? " no-autoprobe" : "", e[i].vfio ? " vfio" : "");
		else
			o += (size_t)snprintf(s + o, cap - o, "vgpu %s %u\n", e[i].bdf, e[i].value);
	}
	return s;
}

void pt_split_conf_set(struct pt_split_entry **v, size_t *n, const struct pt_split_entry *e, bool remove)
{
	for (size_t i = 0; i < *n; i++) {
		if ((*v)[i].kind != e->kind || strcmp((*v)[i].bdf, e->bdf) != 0)
			continue;
		if (remove) {
			memmove(&(*v)[i], &(*v)[i + 1], (*n - i - 1) * sizeof(**v));
			(*n)--;
		} else {
			(*v)[i] = *e;
		}
		return;
	}
	if (remove)
		return;
	*v = pt_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *e;
}


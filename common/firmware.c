#define _GNU_SOURCE
#include "firmware.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small bounded JSON reader: a tree in a fixed arena ---- */

#define JMAX_NODES 2048
#define JMAX_DEPTH 16
#define JMAX_TEXT (64 * 1024)

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	int child, next; /* -1: none */
	const char *key; /* in an object */
	const char *str; /* J_STR */
};

struct jparser {
	const char *s;
	size_t len, pos;
	struct jnode *nodes;
	int n;
	char *strbuf; /* decoded strings: never longer than the text */
	size_t strpos;
	char *err;
	size_t errlen;
};

static int jfail(struct jparser *p, const char *what)
{
	snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos);
	return -1;
}

static void jws(struct jparser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]))
		p->pos++;
}

static int hex4(const char *s, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int jstring(struct jparser *p, const char **out)
{
	char *o = p->strbuf + p->strpos;
	size_t k = 0;

	if (p->pos >= p->len || p->s[p->pos] != '"')
		return jfail(p, "a string expected");
	p->pos++;
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return jfail(p, "unterminated string");
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return jfail(p, "a control character in a string");
		if (c != '\\') {
			o[k++] = (char)c;
			continue;
		}
		if (p->pos >= p->len)
			return jfail(p, "unterminated string");
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': case '\\': case '/': o[k++] = (char)c; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'n': o[k++] = '\n'; break;
		case 'r': o[k++] = '\r'; break;
		case 't': o[k++] = '\t'; break;
		case 'u': {
			unsigned u, lo;

			if (p->pos + 4 > p->len || hex4(p->s + p->pos, &u) < 0)
				return jfail(p, "a bad \\u escape");
			p->pos += 4;
			if (u >= 0xd800 && u < 0xdc00) {
				if (p->pos + 6 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
				    hex4(p->s + p->pos + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return jfail(p, "a lone surrogate");
				p->pos += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				return jfail(p, "a lone surrogate");
			}
			if (u == 0)
				return jfail(p, "a NUL in a string");
			/* at most 4 bytes out for the 6 or 12 read: still shorter than the text */
			if (u < 0x80) {
				o[k++] = (char)u;
			} else if (u < 0x800) {
				o[k++] = (char)(0xc0 | u >> 6);
				o[k++] = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				o[k++] = (char)(0xe0 | u >> 12);
				o[k++] = (char)(0x80 | ((u >> 6) & 0x3f));
				o[k++] = (char)(0x80 | (u & 0x3f));
			} else {
				o[k++] = (char)(0xf0 | u >> 18);
				o[k++] = (char)(0x80 | ((u >> 12) & 0x3f));
				o[k++] = (char)(0x80 | ((u >> 6) & 0x3f));
				o[k++] = (char)(0x80 | (u & 0x3f));
			}
			break;
		}
		default:
			return jfail(p, "a bad escape");
		}
	}
	o[k] = '\0';
	p->strpos += k + 1;
	*out = o;
	return 0;
}

static int jvalue(struct jparser *p, int depth);

static int jnew(struct jparser *p, enum jtype t)
{
	if (p->n >= JMAX_NODES)
		return jfail(p, "too many values");
	p->nodes[p->n] = (struct jnode){ .type = t, .child = -1, .next = -1 };
	return p->n++;
}

static int jcontainer(struct jparser *p, int depth, bool obj)
{
	int self = jnew(p, obj ? J_OBJ : J_ARR), last = -1;

	if (self < 0)
		return -1;
	if (depth >= JMAX_DEPTH)
		return jfail(p, "nested too deep");
	p->pos++;
	jws(p);
	if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
		p->pos++;
		return self;
	}
	for (;;) {
		const char *key = NULL;
		int v;

		jws(p);
		if (obj) {
			if (jstring(p, &key) < 0)
				return -1;
			jws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return jfail(p, "':' expected");
			p->pos++;
		}
		if ((v = jvalue(p, depth + 1)) < 0)
			return -1;
		p->nodes[v].key = key;
		if (last < 0)
			p->nodes[self].child = v;
		else
			p->nodes[last].next = v;
		last = v;
		jws(p);
		if (p->pos >= p->len)
			return jfail(p, "unterminated container");
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == (obj ? '}' : ']')) {
			p->pos++;
			return self;
		}
		return jfail(p, obj ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static int jvalue(struct jparser *p, int depth)
{
	int self;

	jws(p);
	if (p->pos >= p->len)
		return jfail(p, "a value expected");
	switch (p->s[p->pos]) {
	case '{':
		return jcontainer(p, depth, true);
	case '[':
		return jcontainer(p, depth, false);
	case '"':
		if ((self = jnew(p, J_STR)) < 0 || jstring(p, &p->nodes[self].str) < 0)
			return -1;
		return self;
	}
	if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "true", 4) == 0) {
		p->pos += 4;
		return jnew(p, J_BOOL);
	}
	if (p->len - p->pos >= 5 && memcmp(p->s + p->pos, "false", 5) == 0) {
		p->pos += 5;
		return jnew(p, J_BOOL);
	}
	if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "null", 4) == 0) {
		p->pos += 4;
		return jnew(p, J_NULL);
	}
	if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9')) {
		size_t start = p->pos;

		if (p->s[p->pos] == '-')
			p->pos++;
		while (p->pos < p->len && strchr("0123456789.eE+-", p->s[p->pos]))
			p->pos++;
		if (p->pos == start + (p->s[start] == '-'))
			return jfail(p, "a bad number");
		return jnew(p, J_NUM);
	}
	return jfail(p, "a value expected");
}

static int jget(const struct jparser *p, int obj, const char *key)
{
	if (obj < 0 || p->nodes[obj].type != J_OBJ)
		return -1;
	for (int c = p->nodes[obj].child; c >= 0; c = p->nodes[c].next)
		if (strcmp(p->nodes[c].key, key) == 0)
			return c;
	return -1;
}

static const char *jstr(const struct jparser *p, int node)
{
	return node >= 0 && p->nodes[node].type == J_STR ? p->nodes[node].str : NULL;
}

static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

int pt_fw_desc_parse(const char *text, size_t len, struct pt_fw_desc *out, char *err, size_t errlen)
{
	struct jparser p = { .s = text, .len = len, .err = err, .errlen = errlen };
	int root, m, x, rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > JMAX_TEXT) {
		snprintf(err, errlen, "larger than %d bytes", JMAX_TEXT);
		return -1;
	}
	p.nodes = pt_xcalloc(JMAX_NODES, sizeof(*p.nodes));
	p.strbuf = pt_xmalloc(len + 1);
	if ((root = jvalue(&p, 0)) < 0)
		goto out;
	jws(&p);
	if (p.pos != len) {
		jfail(&p, "data after the document");
		goto out;
	}
	if (p.nodes[root].type != J_OBJ) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	copy(out->description, sizeof(out->description), jstr(&p, jget(&p, root, "description")));
	x = jget(&p, root, "interface-types");
	for (int c = x >= 0 && p.nodes[x].type == J_ARR ? p.nodes[x].child : -1; c >= 0; c = p.nodes[c].next)
		if (jstr(&p, c) && strcmp(jstr(&p, c), "uefi") == 0)
			out->uefi = true;
	m = jget(&p, root, "mapping");
	if (m < 0 || p.nodes[m].type != J_OBJ) {
		snprintf(err, errlen, "no \"mapping\" object");
		goto out;
	}
	copy(out->device, sizeof(out->device), jstr(&p, jget(&p, m, "device")));
	copy(out->mode, sizeof(out->mode), jstr(&p, jget(&p, m, "mode")));
	if (!out->mode[0] && strcmp(out->device, "flash") == 0)
		copy(out->mode, sizeof(out->mode), "split");
	x = jget(&p, m, "executable");
	copy(out->code, sizeof(out->code), jstr(&p, jget(&p, x, "filename")));
	copy(out->code_format, sizeof(out->code_format), jstr(&p, jget(&p, x, "format")));
	if (x < 0 && strcmp(out->device, "memory") == 0)
		copy(out->code, sizeof(out->code), jstr(&p, jget(&p, m, "filename")));
	x = jget(&p, m, "nvram-template");
	copy(out->vars, sizeof(out->vars), jstr(&p, jget(&p, x, "filename")));
	copy(out->vars_format, sizeof(out->vars_format), jstr(&p, jget(&p, x, "format")));
	if (!out->code_format[0])
		copy(out->code_format, sizeof(out->code_format), "raw");
	if (out->vars[0] && !out->vars_format[0])
		copy(out->vars_format, sizeof(out->vars_format), "raw");
	x = jget(&p, root, "targets");
	for (int t = x >= 0 && p.nodes[x].type == J_ARR ? p.nodes[x].child : -1; t >= 0; t = p.nodes[t].next) {
		const char *arch = jstr(&p, jget(&p, t, "architecture"));
		int ms = jget(&p, t, "machines");

		if (!arch || strcmp(arch, "x86_64") != 0)
			continue;
		out->x86_64 = true;
		for (int c = ms >= 0 && p.nodes[ms].type == J_ARR ? p.nodes[ms].child : -1; c >= 0;
		     c = p.nodes[c].next)
			if (jstr(&p, c) && fnmatch(jstr(&p, c), "pc-q35-7.2", 0) == 0)
				out->q35 = true;
	}
	x = jget(&p, root, "features");
	for (int c = x >= 0 && p.nodes[x].type == J_ARR ? p.nodes[x].child : -1; c >= 0; c = p.nodes[c].next)
		if (jstr(&p, c) && out->nfeatures < PT_FW_MAX_FEATURES)
			copy(out->features[out->nfeatures++], sizeof(out->features[0]), jstr(&p, c));
	rc = 0;
out:
	free(p.nodes);
	free(p.strbuf);
	return rc;
}

bool pt_fw_has_feature(const struct pt_fw_desc *d, const char *f)
{
	for (size_t i = 0; i < d->nfeatures; i++)
		if (strcmp(d->features[i], f) == 0)
			return true;
	return false;
}

int pt_fw_rank(const struct pt_fw_desc *d, bool secure_boot, char *why, size_t len)
{
	bool sb = pt_fw_has_feature(d, "secure-boot");

	if (!d->uefi)
		return snprintf(why, len, "not UEFI"), -1;
	if (strcmp(d->device, "flash") != 0)
		return snprintf(why, len, "mapping device \"%s\", not flash", d->device), -1;
	if (strcmp(d->mode, "split") != 0 && strcmp(d->mode, "stateless") != 0)
		return snprintf(why, len, "flash mode \"%s\"", d->mode), -1;
	if (!d->code[0] || d->code[0] != '/')
		return snprintf(why, len, "no absolute executable filename"), -1;
	if (strcmp(d->code_format, "raw") != 0 && strcmp(d->code_format, "qcow2") != 0)
		return snprintf(why, len, "format \"%s\"", d->code_format), -1;
	if (!d->x86_64 || !d->q35)
		return snprintf(why, len, "not for x86_64 pc-q35-*"), -1;
	if (pt_fw_has_feature(d, "amd-sev-es") || pt_fw_has_feature(d, "amd-sev-snp") ||
	    pt_fw_has_feature(d, "intel-tdx"))
		return snprintf(why, len, "for confidential guests"), -1;
	if (secure_boot && !sb)
		return snprintf(why, len, "no Secure Boot"), -1;
	why[0] = '\0';
	if (secure_boot)
		return pt_fw_has_feature(d, "enrolled-keys") ? 0 : 1;
	/* without Secure Boot asked for: firmware without it first, then
	 * with it but no keys enrolled (so it does not enforce it) */
	return !sb ? 0 : pt_fw_has_feature(d, "enrolled-keys") ? 2 : 1;
}

static int namecmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');

	return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

int pt_fw_find(bool secure_boot, struct pt_vm_firmware *fw, char *err, size_t errlen)
{
	static const char *const dirs[] = { "/etc/qemu/firmware", "/usr/share/qemu/firmware" };
	char **paths = NULL, seen[1024] = "";
	size_t n = 0;
	int best = -1, rc = -1;
	struct pt_fw_desc d;

	for (size_t k = 0; k < 2; k++) {
		char **names = NULL;
		int nn = pt_list_dir(&names, "%s", dirs[k]);

		for (int i = 0; i < nn; i++) {
			size_t l = strlen(names[i]);
			bool dup = false;

			if (l < 6 || strcmp(names[i] + l - 5, ".json") != 0)
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= strcmp(strrchr(paths[j], '/') + 1, names[i]) == 0;
			if (dup)
				continue; /* /etc hides /usr/share */
			paths = pt_xrealloc(paths, (n + 1) * sizeof(*paths));
			if (asprintf(&paths[n], "%s/%s", dirs[k], names[i]) < 0)
				pt_die(PT_EXIT_FAIL, "out of memory");
			n++;
		}
		if (nn > 0)
			pt_free_names(names, nn);
	}
	if (n)
		qsort(paths, n, sizeof(*paths), namecmp);
	for (size_t i = 0; i < n; i++) {
		char *text = NULL, why[600];
		long len = pt_read_file(&text, JMAX_TEXT, "%s", paths[i]);
		int r;

		if (len < 0) {
			snprintf(why, sizeof(why), "%s", strerror((int)-len));
			r = -1;
		} else if (pt_fw_desc_parse(text, (size_t)len, &d, why, sizeof(why)) < 0) {
			r = -1;
		} else if ((r = pt_fw_rank(&d, secure_boot, why, sizeof(why))) >= 0 &&
			   !pt_exists("%s", d.code)) {
			snprintf(why, sizeof(why), "%s is missing", d.code);
			r = -1;
		} else if (r >= 0 && d.vars[0] && !pt_exists("%s", d.vars)) {
			snprintf(why, sizeof(why), "%s is missing", d.vars);
			r = -1;
		}
		free(text);
		if (r < 0) {
			size_t sl = strlen(seen);

			snprintf(seen + sl, sizeof(seen) - sl, "%s%s: %s", sl ? "; " : "", strrchr(paths[i], '/') + 1, why);
			continue;
		}
		if (best < 0 || r < best) {
			best = r;
			memset(fw, 0, sizeof(*fw));
			copy(fw->code, sizeof(fw->code), d.code);
			copy(fw->code_format, sizeof(fw->code_format), d.code_format);
			copy(fw->template_path, sizeof(fw->template_path), d.vars);
			copy(fw->vars_format, sizeof(fw->vars_format), d.vars_format);
			fw->secure_boot = pt_fw_has_feature(&d, "secure-boot");
			fw->requires_smm = pt_fw_has_feature(&d, "requires-smm");
			copy(fw->descriptor, sizeof(fw->descriptor), paths[i]);
		}
	}
	if (best >= 0)
		rc = 0;
	else if (n == 0)
		snprintf(err, errlen, "no firmware descriptor in /etc/qemu/firmware or /usr/share/qemu/firmware "
			 "(Debian: apt-get install ovmf; Fedora: dnf install edk2-ovmf)");
	else
		snprintf(err, errlen, "no %sUEFI firmware for x86_64 q35 among the descriptors (%s)",
			 secure_boot ? "Secure Boot " : "", seen);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

int pt_fw_vars_path(const char *name, const char *format, char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	const char *ext = format && strcmp(format, "qcow2") == 0 ? "qcow2" : "fd";
	int n;

	if (state && state[0] == '/')
		n = snprintf(buf, len, "%s/passthru-utils/%s_VARS.%s", state, name, ext);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/passthru-utils/%s_VARS.%s", home, name, ext);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

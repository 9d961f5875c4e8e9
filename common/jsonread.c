#include "jsonread.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jparser {
	const char *s;
	size_t len, pos;
	struct pt_jnode *nodes;
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

static int jnew(struct jparser *p, enum pt_jtype t)
{
	if (p->n >= PT_JMAX_NODES)
		return jfail(p, "too many values");
	p->nodes[p->n] = (struct pt_jnode){ .type = t, .child = -1, .next = -1 };
	return p->n++;
}

static int jcontainer(struct jparser *p, int depth, bool obj)
{
	int self = jnew(p, obj ? PT_J_OBJ : PT_J_ARR), last = -1;

	if (self < 0)
		return -1;
	if (depth >= PT_JMAX_DEPTH)
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
		if ((self = jnew(p, PT_J_STR)) < 0 || jstring(p, &p->nodes[self].str) < 0)
			return -1;
		return self;
	}
	if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "true", 4) == 0) {
		p->pos += 4;
		if ((self = jnew(p, PT_J_BOOL)) >= 0)
			p->nodes[self].b = true;
		return self;
	}
	if (p->len - p->pos >= 5 && memcmp(p->s + p->pos, "false", 5) == 0) {
		p->pos += 5;
		return jnew(p, PT_J_BOOL);
	}
	if (p->len - p->pos >= 4 && memcmp(p->s + p->pos, "null", 4) == 0) {
		p->pos += 4;
		return jnew(p, PT_J_NULL);
	}
	if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9')) {
		size_t start = p->pos;

		if (p->s[p->pos] == '-')
			p->pos++;
		while (p->pos < p->len && strchr("0123456789.eE+-", p->s[p->pos]))
			p->pos++;
		if (p->pos == start + (p->s[start] == '-'))
			return jfail(p, "a bad number");
		return jnew(p, PT_J_NUM);
	}
	return jfail(p, "a value expected");
}

int pt_jparse(const char *text, size_t len, struct pt_jdoc *doc, char *err, size_t errlen)
{
	struct jparser p = { .s = text, .len = len, .err = err, .errlen = errlen };

	memset(doc, 0, sizeof(*doc));
	doc->root = -1;
	if (len > PT_JMAX_TEXT) {
		snprintf(err, errlen, "larger than %d bytes", PT_JMAX_TEXT);
		return -1;
	}
	p.nodes = doc->nodes = pt_xcalloc(PT_JMAX_NODES, sizeof(*p.nodes));
	p.strbuf = doc->strbuf = pt_xmalloc(len + 1);
	if ((doc->root = jvalue(&p, 0)) < 0)
		return -1;
	doc->n = p.n;
	jws(&p);
	if (p.pos != len) {
		doc->root = -1;
		return jfail(&p, "data after the document");
	}
	return 0;
}

void pt_jfree(struct pt_jdoc *doc)
{
	free(doc->nodes);
	free(doc->strbuf);
	memset(doc, 0, sizeof(*doc));
	doc->root = -1;
}

enum pt_jtype pt_jtype_of(const struct pt_jdoc *d, int node)
{
	return node >= 0 && node < d->n ? d->nodes[node].type : PT_J_NULL;
}

bool pt_jis(const struct pt_jdoc *d, int node, enum pt_jtype t)
{
	return node >= 0 && node < d->n && d->nodes[node].type == t;
}

int pt_jget(const struct pt_jdoc *d, int obj, const char *key)
{
	if (!pt_jis(d, obj, PT_J_OBJ))
		return -1;
	for (int c = d->nodes[obj].child; c >= 0; c = d->nodes[c].next)
		if (strcmp(d->nodes[c].key, key) == 0)
			return c;
	return -1;
}

const char *pt_jstr(const struct pt_jdoc *d, int node)
{
	return pt_jis(d, node, PT_J_STR) ? d->nodes[node].str : NULL;
}

int pt_jfirst(const struct pt_jdoc *d, int node)
{
	return pt_jis(d, node, PT_J_ARR) || pt_jis(d, node, PT_J_OBJ) ? d->nodes[node].child : -1;
}

int pt_jnext(const struct pt_jdoc *d, int node)
{
	return node >= 0 && node < d->n ? d->nodes[node].next : -1;
}

int pt_jcount(const struct pt_jdoc *d, int node)
{
	int n = 0;

	for (int c = pt_jfirst(d, node); c >= 0; c = pt_jnext(d, c))
		n++;
	return n;
}

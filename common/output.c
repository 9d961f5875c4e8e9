#include "output.h"
#include "msg.h"

#include <stdlib.h>
#include <string.h>

/* ---- tables ---- */

/* Display width in characters, counting each UTF-8 sequence once. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void pt_table_measure(struct pt_table *t, const char *const *cells)
{
	for (size_t c = 0; c < t->ncols; c++) {
		size_t w = text_width(cells[c] ? cells[c] : "-");

		if (w > t->width[c])
			t->width[c] = w;
	}
	t->rows++;
}

void pt_table_init(struct pt_table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < PT_TABLE_MAX_COLS ? ncols : PT_TABLE_MAX_COLS;
	t->headers = headers;
	pt_table_measure(t, headers);
	t->rows = 0;
}

void pt_table_print_row(const struct pt_table *t, const char *const *cells, FILE *f)
{
	for (size_t c = 0; c < t->ncols; c++) {
		const char *v = cells[c] ? cells[c] : "-";

		fputs(v, f);
		if (c + 1 < t->ncols)
			fprintf(f, "%*s", (int)(t->width[c] - text_width(v) + 2), "");
	}
	fputc('\n', f);
}

/* ---- JSON ---- */

/* Length of a valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	unsigned min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t pt_json_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;

#define PUT(str, n)                                           \
	do {                                                  \
		for (size_t k_ = 0; k_ < (n); k_++, o++)      \
			if (o + 1 < len)                      \
				out[o] = (str)[k_];           \
	} while (0)

	while (*s) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		size_t n;

		switch (c) {
		case '"': PUT("\\\"", 2); s++; continue;
		case '\\': PUT("\\\\", 2); s++; continue;
		case '\n': PUT("\\n", 2); s++; continue;
		case '\t': PUT("\\t", 2); s++; continue;
		case '\r': PUT("\\r", 2); s++; continue;
		case '\b': PUT("\\b", 2); s++; continue;
		case '\f': PUT("\\f", 2); s++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			PUT(esc, 6);
			s++;
			continue;
		}
		n = utf8_len((const unsigned char *)s);
		if (n == 0) {
			PUT("\\ufffd", 6);
			s++;
			continue;
		}
		PUT(s, n);
		s += n;
	}
#undef PUT
	if (len)
		out[o < len ? o : len - 1] = '\0';
	return o;
}

size_t pt_text_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;

	while (*s) {
		const unsigned char *u = (const unsigned char *)s;
		size_t n = utf8_len(u);
		/* C1 controls (U+0080..U+009F) start escape sequences on some terminals */
		bool c1 = n == 2 && u[0] == 0xc2 && u[1] < 0xa0;

		if (n == 0 || c1 || (n == 1 && (u[0] < 0x20 || u[0] == 0x7f))) {
			size_t k = c1 ? 2 : 1;

			for (size_t i = 0; i < k; i++) {
				char esc[5];

				snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
				for (size_t e = 0; e < 4; e++, o++)
					if (o + 1 < len)
						out[o] = esc[e];
			}
			s += k;
			continue;
		}
		for (size_t i = 0; i < n; i++, o++)
			if (o + 1 < len)
				out[o] = s[i];
		s += n;
	}
	if (len)
		out[o < len ? o : len - 1] = '\0';
	return o;
}

static void json_put_string(FILE *f, const char *s)
{
	char small[256];
	size_t n = pt_json_escape(small, sizeof(small), s);

	fputc('"', f);
	if (n < sizeof(small)) {
		fputs(small, f);
	} else {
		char *big = pt_xmalloc(n + 1);
		pt_json_escape(big, n + 1, s);
		fputs(big, f);
		free(big);
	}
	fputc('"', f);
}

void pt_json_init(struct pt_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void json_begin_value(struct pt_json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			fputc(',', j->f);
		fputc('\n', j->f);
		fprintf(j->f, "%*s", j->depth * 2, "");
	}
	j->need_comma[j->depth] = true;
	if (key) {
		json_put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct pt_json *j, const char *key, char c)
{
	json_begin_value(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < (int)(sizeof(j->need_comma) / sizeof(j->need_comma[0])))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct pt_json *j, char c)
{
	bool had = j->need_comma[j->depth];

	j->depth--;
	if (had) {
		fputc('\n', j->f);
		fprintf(j->f, "%*s", j->depth * 2, "");
	}
	fputc(c, j->f);
}

void pt_json_object_open(struct pt_json *j, const char *key) { json_open(j, key, '{'); }
void pt_json_object_close(struct pt_json *j) { json_close(j, '}'); }
void pt_json_array_open(struct pt_json *j, const char *key) { json_open(j, key, '['); }
void pt_json_array_close(struct pt_json *j) { json_close(j, ']'); }

void pt_json_string(struct pt_json *j, const char *key, const char *val)
{
	json_begin_value(j, key);
	if (val)
		json_put_string(j->f, val);
	else
		fputs("null", j->f);
}

void pt_json_int(struct pt_json *j, const char *key, long long val)
{
	json_begin_value(j, key);
	fprintf(j->f, "%lld", val);
}

void pt_json_bool(struct pt_json *j, const char *key, bool val)
{
	json_begin_value(j, key);
	fputs(val ? "true" : "false", j->f);
}

void pt_json_null(struct pt_json *j, const char *key)
{
	json_begin_value(j, key);
	fputs("null", j->f);
}

void pt_json_finish(struct pt_json *j)
{
	fputc('\n', j->f);
}

void pt_json_error(struct pt_json *j, int code, const char *msg)
{
	if (code == PT_EXIT_OK) {
		pt_json_null(j, "error");
		return;
	}
	pt_json_object_open(j, "error");
	pt_json_int(j, "exit", code);
	pt_json_string(j, "message", msg);
	pt_json_object_close(j);
}

/* JSON escaping, the JSON writer and aligned tables. */
#include "output.h"
#include "tap.h"

#include <stdlib.h>

static char *capture(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f);
	fclose(f);
	return buf;
}

static void esc(const char *in, const char *want, const char *what)
{
	char out[128];
	size_t n = pt_json_escape(out, sizeof(out), in);

	is_str(out, want, "escape %s", what);
	ok(n == strlen(want), "escape %s: length %zu", what, n);
}

static void doc(FILE *f)
{
	struct pt_json j;

	pt_json_init(&j, f);
	pt_json_object_open(&j, NULL);
	pt_json_string(&j, "name", "GA102 [GeForce \"RTX\" 3080]");
	pt_json_null(&j, "driver");
	pt_json_array_open(&j, "empty");
	pt_json_array_close(&j);
	pt_json_array_open(&j, "list");
	pt_json_int(&j, NULL, 1);
	pt_json_bool(&j, NULL, false);
	pt_json_array_close(&j);
	pt_json_object_close(&j);
	pt_json_finish(&j);
}

static void table(FILE *f)
{
	static const char *const head[] = { "A", "BB", "NAME" };
	static const char *const r1[] = { "long-cell", NULL, "Überlänge" };
	static const char *const r2[] = { "x", "yy", "z" };
	struct pt_table t;

	pt_table_init(&t, 3, head);
	pt_table_measure(&t, r1);
	pt_table_measure(&t, r2);
	pt_table_print_row(&t, head, f);
	pt_table_print_row(&t, r1, f);
	pt_table_print_row(&t, r2, f);
}

static void text(const char *in, const char *want, const char *what)
{
	char out[256];
	size_t n = pt_text_escape(out, sizeof(out), in);

	is_str(out, want, "%s", what);
	ok(n == strlen(want), "%s: length %zu", what, n);
}

int main(void)
{
	char small[8];
	char *s;

	esc("plain", "plain", "plain text");
	esc("a\"b\\c", "a\\\"b\\\\c", "quote and backslash");
	esc("tab\there\nnl", "tab\\there\\nnl", "tab and newline");
	esc("\x01\x1f\x7f", "\\u0001\\u001f\\u007f", "control characters");
	esc("Intel® Ethernet", "Intel® Ethernet", "valid UTF-8 kept");
	esc("bad\xff\xfe!", "bad\\ufffd\\ufffd!", "invalid bytes replaced");
	esc("\xc3", "\\ufffd", "truncated sequence");
	esc("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd", "surrogate refused");
	esc("\xc0\xaf", "\\ufffd\\ufffd", "overlong refused");
	ok(pt_json_escape(small, sizeof(small), "0123456789") == 10 && strcmp(small, "0123456") == 0,
	   "escape truncates to the buffer and reports the full length");

	text("/sys/bus/pci/devices/0000:01:00.0", "/sys/bus/pci/devices/0000:01:00.0", "a path passes");
	text("Intel® Ethernet Überlänge", "Intel® Ethernet Überlänge", "UTF-8 names pass");
	text("01:00.\x1b[31m0", "01:00.\\x1b[31m0", "ESC is shown as \\x1b");
	text("a\nb\r\tc", "a\\x0ab\\x0d\\x09c", "newline, CR, tab escaped");
	text("\x7f", "\\x7f", "DEL escaped");
	text("csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J", "C1 control (8-bit CSI) escaped");
	text("bad\xff!", "bad\\xff!", "invalid byte escaped");
	text("\xc3", "\\xc3", "truncated sequence escaped");
	text("\xc2\xa0" "nbsp", "\xc2\xa0" "nbsp", "U+00A0 is not a C1 control");
	ok(pt_text_escape(small, sizeof(small), "\x1b\x1b") == 8 && strcmp(small, "\\x1b\\x1") == 0,
	   "text escape truncates to the buffer and reports the full length");

	s = capture(doc);
	is_str(s, "{\n  \"name\": \"GA102 [GeForce \\\"RTX\\\" 3080]\",\n  \"driver\": null,\n  \"empty\": [],\n"
		  "  \"list\": [\n    1,\n    false\n  ]\n}\n", "JSON document");
	free(s);

	s = capture(table);
	is_str(s, "A          BB  NAME\nlong-cell  -   Überlänge\nx          yy  z\n", "aligned table, UTF-8 width, - for empty");
	free(s);
	return tap_done();
}

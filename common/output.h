/* Output for people (aligned tables) and for programs (JSON). */
#ifndef PT_OUTPUT_H
#define PT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* An aligned text table in two passes, so no row is stored: measure every
 * row, then print the header and every row again. The last column is not
 * padded, so a long name there never pushes the others out of line. NULL
 * cells print as "-". */
#define PT_TABLE_MAX_COLS 16
struct pt_table {
	size_t ncols;
	const char *const *headers;
	size_t width[PT_TABLE_MAX_COLS];
	size_t rows;
};
void pt_table_init(struct pt_table *t, size_t ncols, const char *const *headers);
void pt_table_measure(struct pt_table *t, const char *const *cells);
void pt_table_print_row(const struct pt_table *t, const char *const *cells, FILE *f);

/* Escape s as the inside of a JSON string: quotes, backslashes, control
 * characters; invalid UTF-8 becomes U+FFFD so the document stays valid.
 * Writes at most len bytes including the NUL; returns the length the full
 * escape needs (like snprintf). Pure. */
size_t pt_json_escape(char *out, size_t len, const char *s);

/* Escape s for a message on a terminal: control characters (C0, DEL,
 * C1) and bytes that are not valid UTF-8 become \xNN, so nothing in s can
 * move the cursor, start an escape sequence or break the line. Valid
 * UTF-8 text passes unchanged. Same contract as pt_json_escape. Pure. */
size_t pt_text_escape(char *out, size_t len, const char *s);

/* A small streaming JSON writer, pretty-printed with two-space indents. */
struct pt_json {
	FILE *f;
	int depth;
	bool need_comma[64];
};
void pt_json_init(struct pt_json *j, FILE *f);
/* key is NULL inside arrays and for the top-level value. */
void pt_json_object_open(struct pt_json *j, const char *key);
void pt_json_object_close(struct pt_json *j);
void pt_json_array_open(struct pt_json *j, const char *key);
void pt_json_array_close(struct pt_json *j);
void pt_json_string(struct pt_json *j, const char *key, const char *val); /* NULL: null */
void pt_json_int(struct pt_json *j, const char *key, long long val);
void pt_json_bool(struct pt_json *j, const char *key, bool val);
void pt_json_null(struct pt_json *j, const char *key);
/* Ends the document with a newline. */
void pt_json_finish(struct pt_json *j);
/* A streamed document's last member: "error": null when code is
 * PT_EXIT_OK, else {"exit": code, "message": msg}. */
void pt_json_error(struct pt_json *j, int code, const char *msg);

#endif

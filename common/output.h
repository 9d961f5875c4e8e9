/* Output for people (aligned tables) and for programs (JSON). */
#ifndef PT_OUTPUT_H
#define PT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* An aligned text table; cells are copied. The last column is not padded,
 * so a long name there never pushes the others out of line. */
struct pt_table;
struct pt_table *pt_table_new(size_t ncols, const char *const *headers);
void pt_table_add(struct pt_table *t, const char *const *cells);
size_t pt_table_rows(const struct pt_table *t);
void pt_table_print(const struct pt_table *t, FILE *f);
void pt_table_free(struct pt_table *t);

/* Escape s as the inside of a JSON string: quotes, backslashes, control
 * characters; invalid UTF-8 becomes U+FFFD so the document stays valid.
 * Writes at most len bytes including the NUL; returns the length the full
 * escape needs (like snprintf). Pure. */
size_t pt_json_escape(char *out, size_t len, const char *s);

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

#endif

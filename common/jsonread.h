/* A small bounded JSON reader (pure, fuzzed): the whole document becomes
 * a tree of nodes in one arena, walked by index. Used for QEMU's firmware
 * descriptors and mdevctl's device definitions. */
#ifndef PT_JSONREAD_H
#define PT_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

#define PT_JMAX_NODES 2048
#define PT_JMAX_DEPTH 16
#define PT_JMAX_TEXT (64 * 1024)

enum pt_jtype { PT_J_NULL, PT_J_BOOL, PT_J_NUM, PT_J_STR, PT_J_ARR, PT_J_OBJ };

struct pt_jnode {
	enum pt_jtype type;
	int child, next;  /* -1: none */
	const char *key;  /* a member of an object: its name */
	const char *str;  /* PT_J_STR: the decoded string (no NUL inside) */
	bool b;           /* PT_J_BOOL */
};

struct pt_jdoc {
	struct pt_jnode *nodes;
	int n, root;
	char *strbuf;
};

/* Parse text (at most PT_JMAX_TEXT bytes, PT_JMAX_DEPTH deep,
 * PT_JMAX_NODES values). Returns 0, or -1 with what is wrong and the byte
 * offset in err. pt_jfree() either way. */
int pt_jparse(const char *text, size_t len, struct pt_jdoc *doc, char *err, size_t errlen);
void pt_jfree(struct pt_jdoc *doc);

/* Walking: every function takes -1 (absent) and answers -1, NULL or
 * false for it, so lookups chain. */
enum pt_jtype pt_jtype_of(const struct pt_jdoc *d, int node); /* PT_J_NULL for -1 */
bool pt_jis(const struct pt_jdoc *d, int node, enum pt_jtype t);
int pt_jget(const struct pt_jdoc *d, int obj, const char *key); /* first member named key */
const char *pt_jstr(const struct pt_jdoc *d, int node);          /* a string's text */
int pt_jfirst(const struct pt_jdoc *d, int node);                /* first element or member */
int pt_jnext(const struct pt_jdoc *d, int node);
int pt_jcount(const struct pt_jdoc *d, int node);                /* elements or members */

#endif

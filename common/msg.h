/* Messages and exit codes shared by every command (DESIGN.md). */
#ifndef PT_MSG_H
#define PT_MSG_H

enum {
	PT_EXIT_OK = 0,
	PT_EXIT_FAIL = 1,        /* the operation failed */
	PT_EXIT_USAGE = 2,       /* bad command line or bad input */
	PT_EXIT_REFUSED = 3,     /* refused for safety; --force overrides */
	PT_EXIT_UNSUPPORTED = 4, /* the host cannot do this */
};

#include <stdbool.h>

extern const char *pt_progname;
extern int pt_verbose;
/* Set by pt_die with a non-zero code: the exit-time check of standard
 * output (options.c) then adds no second error line. */
extern bool pt_error_reported;
/* Set once standard output is closed at exit: nothing flushes it again. */
extern bool pt_stdout_closed;

/* "command: message" on stderr, one line: control characters and invalid
 * UTF-8 in the message are shown as \xNN. */
void pt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called by pt_die with the code and the message before it warns and
 * exits (once): a command that streams one JSON document closes it there,
 * so every path, the core's own errors included, ends with a whole one. */
void pt_on_die(void (*fn)(int code, const char *msg));
/* pt_warn, then exit with code. */
void pt_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* pt_warn only when -v was given. */
void pt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Out of memory is not a condition any caller can handle. */
void *pt_xmalloc(unsigned long n);
void *pt_xcalloc(unsigned long n, unsigned long size);
void *pt_xrealloc(void *p, unsigned long n);
char *pt_xstrdup(const char *s);

#endif

#include "msg.h"
#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pt_progname = "passthru";
int pt_verbose;

bool pt_stdout_closed;
bool pt_error_reported;

/* The message is escaped as a whole (output.h, pt_text_escape): an operand
 * or a name read from the host may hold a newline or an escape sequence,
 * and an error must stay one line that cannot drive the terminal. */
static void vwarn(const char *fmt, va_list ap)
{
	char small[512], esc[1024], *msg = small, *out = esc;
	va_list aq;
	int n;
	size_t e;

	if (!pt_stdout_closed)
		fflush(stdout);
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		n = 0, small[0] = '\0';
	if ((size_t)n >= sizeof(small)) {
		msg = pt_xmalloc((size_t)n + 1);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	}
	e = pt_text_escape(esc, sizeof(esc), msg);
	if (e >= sizeof(esc)) {
		out = pt_xmalloc(e + 1);
		pt_text_escape(out, e + 1, msg);
	}
	fprintf(stderr, "%s: %s\n", pt_progname, out);
	if (msg != small)
		free(msg);
	if (out != esc)
		free(out);
}

void pt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

static void (*die_hook)(int code, const char *msg);

void pt_on_die(void (*fn)(int code, const char *msg))
{
	die_hook = fn;
}

void pt_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (die_hook) {
		void (*fn)(int, const char *) = die_hook;
		char msg[2048];

		die_hook = NULL; /* once: a pt_die inside it just ends the run */
		vsnprintf(msg, sizeof(msg), fmt, ap);
		fn(code, msg);
		pt_warn("%s", msg);
	} else {
		vwarn(fmt, ap);
	}
	va_end(ap);
	if (code != PT_EXIT_OK)
		pt_error_reported = true;
	exit(code);
}

void pt_debug(const char *fmt, ...)
{
	va_list ap;

	if (!pt_verbose)
		return;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

static void *oom(void *p)
{
	if (!p)
		pt_die(PT_EXIT_FAIL, "out of memory");
	return p;
}

void *pt_xmalloc(unsigned long n) { return oom(malloc(n ? n : 1)); }
void *pt_xcalloc(unsigned long n, unsigned long size) { return oom(calloc(n ? n : 1, size ? size : 1)); }
void *pt_xrealloc(void *p, unsigned long n) { return oom(realloc(p, n ? n : 1)); }
char *pt_xstrdup(const char *s) { return oom(strdup(s)); }

#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pt_progname = "passthru";
int pt_verbose;

static void vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", pt_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pt_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void pt_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
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

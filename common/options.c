#include "options.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <stdio_ext.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pt_common_opts pt_opts;

struct poptOption pt_common_table[] = {
	{ "json", 'J', POPT_ARG_NONE, &pt_opts.json, 0, "JSON output", NULL },
	{ "verbose", 'v', POPT_ARG_NONE, &pt_opts.verbose, 0, "more detail (and, for commands that write, log each write)", NULL },
	{ "sysroot", '\0', POPT_ARG_STRING, &pt_opts.sysroot, 0,
	  "read /sys, /proc, /dev, /run and /etc below DIR", "DIR" },
	{ "help", 'h', POPT_ARG_NONE, &pt_opts.help, 0, "show this help and exit", NULL },
	{ "version", 'V', POPT_ARG_NONE, &pt_opts.version, 0, "show the version and exit", NULL },
	POPT_TABLEEND
};

struct poptOption pt_write_table[] = {
	{ "dry-run", '\0', POPT_ARG_NONE, &pt_opts.dry_run, 0,
	  "print every write instead of doing it", NULL },
	POPT_TABLEEND
};

void pt_option_describe(const char *long_name, const char *descrip)
{
	for (struct poptOption *o = pt_common_table; o->longName; o++)
		if (strcmp(o->longName, long_name) == 0)
			o->descrip = descrip;
}

static void print_table(FILE *f, const struct poptOption *t)
{
	for (; t->longName || t->shortName || t->arg; t++) {
		char lhs[64];
		int n;

		if ((t->argInfo & POPT_ARG_MASK) == POPT_ARG_INCLUDE_TABLE) {
			print_table(f, t->arg);
			continue;
		}
		if (t->argInfo & POPT_ARGFLAG_DOC_HIDDEN)
			continue;
		if (t->shortName)
			n = snprintf(lhs, sizeof(lhs), "  -%c, --%s", t->shortName, t->longName);
		else
			n = snprintf(lhs, sizeof(lhs), "      --%s", t->longName);
		if (t->argDescrip && n > 0 && (size_t)n < sizeof(lhs))
			snprintf(lhs + n, sizeof(lhs) - (size_t)n, "=%s", t->argDescrip);
		fprintf(f, "%-26s %s\n", lhs, t->descrip ? t->descrip : "");
	}
}

const char *pt_man_section = "8";

static void print_help(const struct poptOption *table, const char *operands, const char *summary)
{
	printf("Usage: %s [OPTION...]%s%s\n\n%s\n\nOptions:\n", pt_progname,
	       operands ? " " : "", operands ? operands : "", summary);
	print_table(stdout, table);
	printf("\nExit status: 0 success, 1 failure, 2 usage error, 3 refused for safety,\n"
	       "4 not supported on this host. See %s(%s).\n", pt_progname,
	       pt_man_section);
}

/* The context owns the operands, so it lives until exit. */
static poptContext ctx;

/* popt strdup()s the argument of a POPT_ARG_STRING option into *arg and
 * overwrites the pointer when the option is given again ("XXX memory leak"
 * in popt.c). So the table popt sees is a copy in which every such option
 * returns a val instead; the loop below frees the previous value, keeps
 * the last one, and the exit handler frees that. */
#define STRING_VAL_BASE 0x70740000
static char **string_dest[64];
static const char *string_once[64]; /* the long name of a PT_ONCE option */
static size_t nstring;
static struct poptOption *copies[16];
static size_t ncopies;

static struct poptOption *copy_table(const struct poptOption *t)
{
	size_t n = 0;
	struct poptOption *c;

	while (t[n].longName || t[n].shortName || t[n].argInfo || t[n].arg || t[n].val)
		n++;
	c = pt_xcalloc(n + 1, sizeof(*c));
	memcpy(c, t, n * sizeof(*c));
	if (ncopies < sizeof(copies) / sizeof(copies[0]))
		copies[ncopies++] = c;
	for (size_t i = 0; i < n; i++) {
		unsigned type = c[i].argInfo & POPT_ARG_MASK;

		if (type == POPT_ARG_INCLUDE_TABLE) {
			c[i].arg = copy_table(c[i].arg);
		} else if (type == POPT_ARG_STRING && c[i].arg) {
			if (nstring == sizeof(string_dest) / sizeof(string_dest[0]))
				pt_die(PT_EXIT_FAIL, "too many string options");
			string_dest[nstring] = c[i].arg;
			string_once[nstring] = c[i].val == PT_ONCE ? c[i].longName : NULL;
			c[i].arg = NULL;
			c[i].val = STRING_VAL_BASE + (int)nstring++;
		}
	}
	return c;
}

static void free_ctx(void)
{
	poptFreeContext(ctx);
	ctx = NULL;
	for (size_t i = 0; i < nstring; i++) {
		free(*string_dest[i]);
		*string_dest[i] = NULL;
	}
	for (size_t i = 0; i < ncopies; i++)
		free(copies[i]);
	ncopies = 0;
}

/* util-linux's close_stdout() (include/closestream.h): output that could
 * not be written is an error, reported once; a closed pipe is not. */
static void close_stdout(void)
{
	bool prev_fail = ferror(stdout) != 0;
	bool pending = __fpending(stdout) != 0;
	bool close_fail;

	errno = 0;
	close_fail = fclose(stdout) != 0;
	pt_stdout_closed = true;
	if (prev_fail || (close_fail && (pending || errno != EBADF))) {
		int e = close_fail ? errno : 0;

		if (e == EPIPE)
			return; /* the reader left: as util-linux, no message, status kept */
		if (!pt_error_reported) {
			if (e)
				pt_warn("write error on standard output: %s", strerror(e));
			else
				pt_warn("write error on standard output");
		}
		_exit(PT_EXIT_FAIL);
	}
	if (fflush(stderr) != 0 || ferror(stderr))
		_exit(PT_EXIT_FAIL);
}

const char **pt_options_parse(int argc, const char **argv, const struct poptOption *table,
			      const char *operands, const char *summary,
			      void (*cb)(int val, const char *arg))
{
	static const char *none[] = { NULL };
	const char **args;
	const char *root;
	int rc;

	if (argc > 0 && argv[0]) {
		const char *slash = strrchr(argv[0], '/');
		pt_progname = slash ? slash + 1 : argv[0];
	}
	atexit(close_stdout);
	ctx = poptGetContext(pt_progname, argc, argv, copy_table(table), 0);
	atexit(free_ctx);
	while ((rc = poptGetNextOpt(ctx)) > 0) {
		char *arg = poptGetOptArg(ctx);

		if (rc >= STRING_VAL_BASE && (size_t)(rc - STRING_VAL_BASE) < nstring) {
			char **dest = string_dest[rc - STRING_VAL_BASE];
			const char *once = string_once[rc - STRING_VAL_BASE];

			if (once && *dest) {
				free(arg);
				pt_die(PT_EXIT_USAGE, "--%s given twice: one a run; try '%s --help'", once, pt_progname);
			}
			free(*dest);
			*dest = arg; /* the last one wins */
			continue;
		}
		if (cb)
			cb(rc, arg);
		free(arg);
	}
	if (rc < -1)
		pt_die(PT_EXIT_USAGE, "%s: %s; try '%s --help'",
		       poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc), pt_progname);
	if (pt_opts.help) {
		print_help(table, operands, summary);
		exit(PT_EXIT_OK);
	}
	if (pt_opts.version) {
		printf("%s (passthru-utils) %s\n", pt_progname, PT_VERSION);
		exit(PT_EXIT_OK);
	}
	pt_verbose = pt_opts.verbose;
	pt_dry_run = pt_opts.dry_run;
	pt_dry_run_out = pt_opts.json ? stderr : stdout;
	/* An empty name is a script's unset variable, never "the live host":
	 * refuse it rather than read and write the real /sys. */
	if (pt_opts.sysroot && !*pt_opts.sysroot)
		pt_die(PT_EXIT_USAGE, "--sysroot: empty directory name (use --sysroot / for this host)");
	root = pt_opts.sysroot;
	if (!root && (root = getenv("PASSTHRU_SYSROOT")) && !*root)
		pt_die(PT_EXIT_USAGE, "PASSTHRU_SYSROOT is set but empty (unset it for this host)");
	if (root && (rc = pt_sysroot_set(root)) < 0)
		pt_die(PT_EXIT_USAGE, "sysroot %s: %s", root, strerror(-rc));

	args = poptGetArgs(ctx);
	return args ? args : none;
}

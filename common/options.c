#include "options.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
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

static void free_ctx(void)
{
	poptFreeContext(ctx);
	ctx = NULL;
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
	ctx = poptGetContext(pt_progname, argc, argv, table, 0);
	atexit(free_ctx);
	while ((rc = poptGetNextOpt(ctx)) > 0) {
		if (cb)
			cb(rc, poptGetOptArg(ctx));
	}
	if (rc < -1) {
		fflush(stdout);
		fprintf(stderr, "%s: %s: %s\nTry '%s --help' for more information.\n", pt_progname,
			poptBadOption(ctx, POPT_BADOPTION_NOALIAS), poptStrerror(rc), pt_progname);
		exit(PT_EXIT_USAGE);
	}
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
	root = pt_opts.sysroot ? pt_opts.sysroot : getenv("PASSTHRU_SYSROOT");
	if (root && (rc = pt_sysroot_set(root)) < 0)
		pt_die(PT_EXIT_USAGE, "sysroot %s: %s", root, strerror(-rc));

	args = poptGetArgs(ctx);
	return args ? args : none;
}

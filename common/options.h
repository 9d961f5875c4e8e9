/* Command-line options every command shares (DESIGN.md), parsed with popt. */
#ifndef PT_OPTIONS_H
#define PT_OPTIONS_H

#include <popt.h>
#include <stdbool.h>

#ifndef PT_VERSION
#define PT_VERSION "0.1.0"
#endif

struct pt_common_opts {
	char *sysroot;
	int json;
	int dry_run;
	int verbose;
	int help;
	int version;
};
extern struct pt_common_opts pt_opts;

/* The section of this command's man page: "1" read-only, "8" writes. */
extern const char *pt_man_section;

/* --sysroot, -J, -v, -h, -V: for every command. */
extern struct poptOption pt_common_table[];
/* --dry-run: for commands that write. */
extern struct poptOption pt_write_table[];

#define PT_COMMON_OPTIONS \
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, pt_common_table, 0, NULL, NULL }
#define PT_WRITE_OPTIONS \
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, pt_write_table, 0, NULL, NULL }

/* The val of a POPT_ARG_STRING option that may be given once (a mode,
 * whose second value would silently win): twice is a usage error. */
#define PT_ONCE 0x7074fffe

/* Give a shared option a command-specific description in --help. */
void pt_option_describe(const char *long_name, const char *descrip);

/* Parse argv with `table` (which includes PT_COMMON_OPTIONS). Prints help or
 * the version and exits 0 when asked; on a bad option prints a short error
 * and exits 2. Applies --sysroot / PASSTHRU_SYSROOT, -v and --dry-run.
 * An empty --sysroot, or an empty PASSTHRU_SYSROOT, is a usage error.
 * Returns the operands (NULL-terminated, never NULL; valid until exit).
 * A POPT_ARG_STRING option given twice keeps the last value; the values
 * are freed at exit. `cb`, when not NULL, is called for each option whose
 * val is not 0; its arg is freed when cb returns.
 * At exit, standard output is closed and checked: a write error is one
 * line on stderr and exit status 1 (a closed pipe is silent). */
const char **pt_options_parse(int argc, const char **argv, const struct poptOption *table,
			      const char *operands, const char *summary,
			      void (*cb)(int val, const char *arg));

#endif

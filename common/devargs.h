/* Devices named on a command line: a BDF, a vendor:device ID (every
 * matching device), or "-" for BDFs on standard input, one per line. */
#ifndef PT_DEVARGS_H
#define PT_DEVARGS_H

#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Resolve operands against the scanned host, in order, without
 * duplicates: a device named twice (by address and by ID, or twice) is
 * taken once. Returns PT_EXIT_OK, or PT_EXIT_USAGE (malformed name, a
 * control character in a name, a NUL byte on stdin, "-" given twice, empty
 * stdin) / PT_EXIT_FAIL (no such device) with the reason in err, which may
 * hold the operand raw: report it with pt_warn/pt_die, which escape it.
 * `in` is where "-" reads from. */
int pt_resolve_devices(const struct pt_host *h, const char *const *args, bool allow_ids, FILE *in,
		       struct pt_dev ***out, size_t *n, char *err, size_t errlen);

#endif

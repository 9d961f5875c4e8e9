/* Termination signals during a change to the host. A run that writes
 * catches SIGINT, SIGTERM, SIGHUP and SIGQUIT from its first write on; the
 * handler only records the signal, and the run looks at it between steps:
 * it rolls back what it did (a transaction), or finishes the step that must
 * not be cut (a reset's restore), then ends. SIGKILL cannot be caught:
 * the journal on disk covers it (vfio-bind --restore). */
#ifndef PT_SIGNALS_H
#define PT_SIGNALS_H

#include <stdbool.h>

/* Install the handlers (idempotent). No SA_RESTART: a sleep or a blocking
 * read returns early with EINTR, so the run notices at once. */
void pt_signals_catch(void);
/* The first signal caught since pt_signals_catch(), or 0. */
int pt_signal_caught(void);
/* "SIGINT", "SIGTERM" ... for messages. */
const char *pt_signal_name(int sig);
/* Restore the default dispositions. */
void pt_signals_release(void);

#endif

#include "signals.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

static const int caught_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIG_CAUGHT (sizeof(caught_signals) / sizeof(caught_signals[0]))

static volatile sig_atomic_t first_signal;
static struct sigaction saved[NSIG_CAUGHT];
static bool installed;

static void on_signal(int sig)
{
	if (!first_signal)
		first_signal = sig;
}

void pt_signals_catch(void)
{
	struct sigaction sa;

	if (installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIG_CAUGHT; i++)
		sigaddset(&sa.sa_mask, caught_signals[i]);
	for (size_t i = 0; i < NSIG_CAUGHT; i++)
		sigaction(caught_signals[i], &sa, &saved[i]);
	installed = true;
}

int pt_signal_caught(void)
{
	return first_signal;
}

const char *pt_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	}
	return "a signal";
}

void pt_signals_release(void)
{
	if (!installed)
		return;
	for (size_t i = 0; i < NSIG_CAUGHT; i++)
		sigaction(caught_signals[i], &saved[i], NULL);
	installed = false;
}

#include "romdump.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The enable file, for the signal handler: open, write "0", exit. This
 * handler is not signals.h's: that one records a signal for a run to look
 * at between steps, while a ROM read must be undone by the handler itself
 * (a read of the rom attribute can block for long on a slow card, and
 * nothing is left to roll back but this one write), so it writes 0 and ends
 * the process with the signal, from async-signal-safe calls only. The same
 * termination signals as signals.c: SIGINT, SIGTERM, SIGHUP, SIGQUIT. */
static const int rom_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NROM_SIGNALS (sizeof(rom_signals) / sizeof(rom_signals[0]))
static char rom_path[PATH_MAX];
static volatile sig_atomic_t rom_enabled;

static void disable_now(void)
{
	int fd = open(rom_path, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* nothing more can be done from here */
		}
		close(fd);
	}
	rom_enabled = 0;
}

static void on_signal(int sig)
{
	sigset_t unblock;

	if (rom_enabled)
		disable_now();
	/* End as the signal would have: default action, delivered on return
	 * from the handler once it is unblocked. */
	signal(sig, SIG_DFL);
	sigemptyset(&unblock);
	sigaddset(&unblock, sig);
	raise(sig);
	sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

static void rom_resource(const struct pt_dev *d, struct pt_rom_read *out)
{
	char *s = NULL, *p;
	int line = 0;

	if (pt_read_file(&s, 1 << 16, "/sys/bus/pci/devices/%s/resource", d->name) < 0)
		return;
	for (p = s; p && *p; line++) {
		unsigned long long a, b, flags;

		if (line == 6 && sscanf(p, "%llx %llx %llx", &a, &b, &flags) == 3) {
			out->rom_start = a;
			out->rom_size = b > a ? b - a + 1 : 0;
			/* IORESOURCE_ROM_SHADOW: arch/x86/pci/fixup.c pci_fixup_video */
			out->shadow = a == 0xc0000;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	free(s);
}

static void diagnose(const struct pt_dev *d, int e, char *err, size_t errlen)
{
	char state[32] = "";

	pt_read_text(state, sizeof(state), "/sys/bus/pci/devices/%s/power_state", d->name);
	if (strncmp(state, "D3", 2) == 0)
		snprintf(err, errlen, "%s: reading its ROM: %s: the device is asleep (%s); wake it "
			 "(echo on > /sys/bus/pci/devices/%s/power/control) and dump again", d->name,
			 strerror(e), state, d->name);
	else if (d->driver && strcmp(d->driver, "vfio-pci") != 0)
		snprintf(err, errlen, "%s: reading its ROM: %s: its driver %s may have hidden the ROM when "
			 "it initialised the card; vfio-bind it (or dump from a secondary slot) and dump "
			 "again", d->name, strerror(e), d->driver);
	else
		snprintf(err, errlen, "%s: reading its ROM: %s: the card does not answer on its ROM BAR; "
			 "if it is the boot GPU, dump it from a secondary slot", d->name, strerror(e));
}

int pt_rom_read_device(const struct pt_dev *d, struct pt_rom_read *out, char *err, size_t errlen)
{
	struct sigaction sa, old[NROM_SIGNALS];
	long n;
	int rc, e = 0;

	memset(out, 0, sizeof(*out));
	if (!pt_exists("/sys/bus/pci/devices/%s/rom", d->name)) {
		snprintf(err, errlen, "%s has no option ROM (no ROM BAR, no rom attribute)", d->name);
		return -ENOENT;
	}
	rom_resource(d, out);
	if ((rc = pt_path(rom_path, sizeof(rom_path), "/sys/bus/pci/devices/%s/rom", d->name)) < 0)
		return rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* a second signal waits until the first one's handler has disabled */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NROM_SIGNALS; i++)
		sigaddset(&sa.sa_mask, rom_signals[i]);
	/* A signal ignored at start (nohup) stays ignored: it cannot end the
	 * run, so the normal path disables the ROM. */
	for (size_t i = 0; i < NROM_SIGNALS; i++) {
		sigaction(rom_signals[i], NULL, &old[i]);
		if (old[i].sa_handler != SIG_IGN)
			sigaction(rom_signals[i], &sa, NULL);
	}
	/* set before the write: a signal in between still disables it */
	rom_enabled = !pt_dry_run;
	if ((rc = pt_write_attr("1", "/sys/bus/pci/devices/%s/rom", d->name)) < 0) {
		snprintf(err, errlen, "%s: enabling its ROM: %s", d->name, strerror(-rc));
		if (rc == -ENOENT)
			rc = -EIO; /* the attribute was there a moment ago: a failure, not "no ROM" */
		pt_write_attr("0", "/sys/bus/pci/devices/%s/rom", d->name);
		rom_enabled = 0;
		goto out;
	}
	if (pt_dry_run) {
		rc = 0;
	} else {
		n = pt_read_file((char **)&out->data, 64 << 20, "/sys/bus/pci/devices/%s/rom", d->name);
		if (n < 0) {
			e = (int)-n;
			diagnose(d, e, err, errlen);
			rc = (int)n;
		} else if (n == 0) {
			snprintf(err, errlen, "%s: its ROM reads empty", d->name);
			free(out->data);
			out->data = NULL;
			rc = -ENODATA;
		} else {
			out->len = (size_t)n;
			rc = 0;
		}
	}
	/* always disabled again, whatever happened */
	if (pt_write_attr("0", "/sys/bus/pci/devices/%s/rom", d->name) < 0 && rc == 0) {
		snprintf(err, errlen, "%s: disabling its ROM again failed", d->name);
		rc = -EIO;
	}
	rom_enabled = 0;
out:
	for (size_t i = 0; i < NROM_SIGNALS; i++)
		if (old[i].sa_handler != SIG_IGN)
			sigaction(rom_signals[i], &old[i], NULL);
	return rc;
}

/* The host as files: every /sys, /proc, /dev, /run and /etc path goes
 * through here, below the sysroot (--sysroot, PASSTHRU_SYSROOT). Reads
 * return 0 or a negative errno; the caller words the error. Every write
 * passes pt_write_attr(), where --dry-run and logging live. */
#ifndef PT_SYSFS_H
#define PT_SYSFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Set the sysroot; NULL or "" or "/" means the live system. Returns 0 or
 * -errno when DIR is not a readable directory. */
int pt_sysroot_set(const char *dir);
/* "" for the live system, else the sysroot without a trailing slash. */
const char *pt_sysroot(void);
bool pt_sysroot_live(void);

/* Build the host path for an absolute path ("/sys/..."), below the
 * sysroot. Returns 0 or -ENAMETOOLONG. */
int pt_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read a text attribute, trailing newline and spaces removed. Returns the
 * length, or -errno (-EOVERFLOW when it does not fit). `path` is the
 * absolute path as on the host, e.g. "/sys/bus/pci/devices/%s/driver". */
int pt_read_text(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A hex number ("0x030000" or "030000"); -EINVAL on anything else. */
int pt_read_hex(unsigned long *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The target of a symlink, as written (relative). */
int pt_read_link(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The last component of a symlink's target ("vfio-pci" for a driver link). */
int pt_read_link_name(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether the path exists (lstat, links not followed). */
bool pt_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated
 * buffer. Returns length or -errno. */
long pt_read_file(char **out, size_t max, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Directory entries (not "." or ".."), sorted with strverscmp, malloc'd.
 * Returns the count or -errno; free with pt_free_names(). */
int pt_list_dir(char ***names, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pt_free_names(char **names, int n);

/* The one write function. With dry-run it prints
 * "write /sys/... VALUE" on stdout and changes nothing. Returns 0 or -errno. */
extern bool pt_dry_run;
/* Where dry-run lines go: stdout, or stderr when stdout carries JSON. */
extern FILE *pt_dry_run_out;
/* s on one line for a dry-run or log line: a newline shows as \n;
 * truncated to fit len. */
void pt_one_line(const char *s, char *out, size_t len);
/* Print a dry-run line ("write PATH VALUE") where dry-run lines go. */
void pt_dry_run_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int pt_write_attr(const char *value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write len bytes of a device's config space at offset (through its sysfs
 * config file), with the same dry-run and logging as pt_write_attr(). */
int pt_write_config(const char *bdf, unsigned offset, const void *data, size_t len);

/* Files of our own under /run and /etc (records, persisted bindings): the
 * same dry-run and logging as pt_write_attr(). pt_put_file creates the
 * directories it needs; pt_remove_file ignores a missing file. */
int pt_put_file(const char *content, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, for bookkeeping the run does not show (its journal): exactly
 * len bytes, nothing printed in --dry-run (nothing written either). */
int pt_put_file_raw(const char *content, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Test builds: PASSTHRU_KILL_WRITE=N kills the run before its Nth change
 * to the host; every write function calls it. A no-op otherwise. */
void pt_fault_point(void);
int pt_remove_file(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Serialise commands that change the host: an exclusive lock on
 * /run/passthru-utils/lock, waited for up to `seconds`. Returns 0, or
 * -EWOULDBLOCK when another run still holds it (its pid goes to *holder). */
int pt_lock_host(int seconds, long *holder);
/* Let it go before exit (a run that waits between its changes). */
void pt_unlock_host(void);

#endif

/* The transaction: one change to the host's devices, all or nothing
 * (DESIGN.md, "The transaction"). Plan (the caller adds each device with
 * the state it is to reach, and each file under /etc with its new
 * content), journal (every device's original state and every file's old
 * content on disk, fsync'd, before the first write), apply (one device at a
 * time: driver_override, unbind, bind or probe), verify (the kernel's driver
 * link, and a /dev/vfio node for every group that went to vfio-pci), roll
 * back (on a failure, and on SIGINT, SIGTERM, SIGHUP or SIGQUIT between
 * steps: every device to exactly where it was, a driverless one to no
 * driver, every file to its old content), report (what is true afterwards).
 * After a SIGKILL, pt_txn_restore() finishes from the journal.
 *
 * vfio-bind's records (/run/passthru-utils/vfio-bind/BDF: the driver a
 * device had before vfio-bind took it) are kept here too: a bind creates a
 * device's record before its first write unless one exists (a record is
 * never overwritten), a give-back removes it only once the device is
 * verifiably back. */
#ifndef PT_TXN_H
#define PT_TXN_H

#include "pcidev.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_RECORD_DIR "/run/passthru-utils/vfio-bind"
#define PT_PERSIST_DIR "/etc/driverctl.d"
#define PT_JOURNAL "/run/passthru-utils/journal"
#define PT_LEASE_DIR "/run/passthru-utils/leases"

/* Where a device is: its driver ("" none) and its driver_override ("" none). */
struct pt_dev_state {
	char driver[64];
	char override[64];
};

/* The driver a give-back leaves to the kernel to choose (no record). */
#define PT_ANY_DRIVER "*"

enum pt_record_op {
	PT_RECORD_KEEP,   /* leave the device's record as it is */
	PT_RECORD_CREATE, /* a bind: record where it was, unless a record exists */
	PT_RECORD_REMOVE, /* a give-back: remove the record once it is back */
};

struct pt_txn_dev {
	char bdf[PT_BDF_LEN];
	int group;
	struct pt_dev_state from, to, now;
	enum pt_record_op record;
	bool record_new;  /* this run created the record (rollback removes it) */
	bool touched;     /* a write was made to it */
	bool recorded;    /* this run wrote its record */
	bool unchanged;   /* it was where it was asked to be */
	bool back;        /* after a rollback: verifiably where it was */
};

struct pt_txn_file {
	char path[256];   /* as on the host: /etc/driverctl.d/pci-BDF */
	char *old;        /* its content before, NULL when it did not exist */
	char *new;        /* its content after, NULL to remove it */
};

/* A change that is no driver move: an mdev created or removed, a sysfs
 * attribute written (a VF's current_vgpu_type), a console bound to the
 * virtual terminals or not, a platform device (a firmware framebuffer)
 * moved between drivers. Applied after the devices, before the files
 * (an early step: before the devices, as a hand-over releases the console
 * before the GPU's driver); undone newest first, early ones last. */
enum pt_step_kind { PT_STEP_MDEV_CREATE, PT_STEP_MDEV_REMOVE, PT_STEP_ATTR, PT_STEP_CONSOLE, PT_STEP_PLATFORM };

struct pt_txn_step {
	enum pt_step_kind kind;
	char path[256];   /* ATTR: the attribute (/sys/...); MDEV: the parent; CONSOLE: its
			   * name ("(M) frame buffer device": its vtconN number is not fixed);
			   * PLATFORM: the device (efi-framebuffer.0) */
	char a[128];      /* ATTR: its value before; MDEV: the type; CONSOLE: bind before ("1");
			   * PLATFORM: the driver before ("" none) */
	char b[128];      /* ATTR: its value after; MDEV: the UUID; CONSOLE, PLATFORM: after */
	bool early;       /* applied before the devices, undone after them */
	bool tried;       /* the run has tried it */
	bool wrote;       /* a write was made for it */
};

struct pt_txn {
	char action[16];  /* "bind", "unbind", "apply": in the journal and messages */
	struct pt_txn_dev *dev;
	size_t n;
	struct pt_txn_file *files;
	size_t nfiles;
	size_t files_written; /* how many of files the run has tried to write */
	struct pt_txn_step *steps;
	size_t nsteps;
	size_t steps_tried;   /* how many of steps the run has tried */
	int step_error;       /* the -errno of the step that failed; -EPROTO: written, but the
			       * kernel's answer differs (an attribute reads back otherwise,
			       * an mdev did not appear or go) */
	long owner;                    /* a lease's supervisor, 0: this process */
	unsigned long long owner_start; /* its start time, naming it uniquely */
	int signal;       /* the signal that ended the run, or 0 */
	bool rolled_back;
};

void pt_txn_init(struct pt_txn *t, const char *action);
void pt_txn_free(struct pt_txn *t);

/* Add device d, to be moved to driver `driver` with driver_override
 * `override` ("" for none; PT_ANY_DRIVER lets the kernel choose). Its
 * present state is read now. Returns 0 or -errno (-ENODEV: gone). */
int pt_txn_add(struct pt_txn *t, const struct pt_dev *d, const char *driver, const char *override,
	       enum pt_record_op record);
/* Add a file under /etc to be replaced by `content` (NULL: removed). Its
 * old content is read now. */
int pt_txn_add_file(struct pt_txn *t, const char *path, const char *content);

/* Add a step: an mdev to create (or remove) under parent, of type, with
 * uuid; an attribute to write (from `before`, or NULL: its present value,
 * read now; a step's verify reads `value` back). Return 0
 * or -errno (-EINVAL: a name that cannot be one). */
int pt_txn_add_mdev(struct pt_txn *t, bool create, const char *parent, const char *type, const char *uuid);
int pt_txn_add_attr(struct pt_txn *t, const char *path, const char *before, const char *value);
/* A console (by its /sys/class/vtconsole name) to bind or unbind, from the
 * bind state it has now; a platform device to move from driver `from` to
 * `to` ("" none). Return 0 or -errno (-EINVAL: a name that cannot be one). */
int pt_txn_add_console(struct pt_txn *t, const char *name, bool bind, bool early);
int pt_txn_add_platform(struct pt_txn *t, const char *dev, const char *from, const char *to, bool early);

/* Journal, apply, verify; on a failure or a signal, roll back. Returns
 * PT_EXIT_OK, or an exit code with a one-line message in err that says
 * what is true afterwards: every device back, or which are not, where they
 * are, and the command that finishes the job. */
int pt_txn_run(struct pt_txn *t, char *err, size_t errlen);

/* Take the host lock for a run that changes devices (one run at a time,
 * waited for up to 10 s), or end the program with the reason: another run
 * holds it, or a killed run left its journal (refused unless `restoring`;
 * a dry run, which takes no lock, lets a live run's journal be). */
void pt_txn_lock(bool restoring);

/* Whether a journal is on disk (a run was killed); its pid in *pid. */
bool pt_txn_pending(long *pid);
/* After a SIGKILL: bring every device the journal names to where it was,
 * restore its files, remove the run's temporary files and the journal;
 * then the devices of every lease whose owner is gone (refused, exit 3,
 * while a VM still holds them). The caller holds the lock. Returns
 * PT_EXIT_OK with a summary in msg, or an exit code with what is still
 * wrong. With nothing to do: PT_EXIT_OK and msg "". */
int pt_txn_restore(struct pt_txn *t, char *msg, size_t len);

/* A lease: the devices a committed bind lent to a VM for as long as its
 * supervisor (owner) lives, on disk (in the journal's text) until
 * pt_txn_lease_end(). pt_txn_restore() gives back the devices of a lease
 * whose owner is gone, once no VM holds their groups. */
int pt_txn_lease(struct pt_txn *t, long owner);
void pt_txn_lease_end(long owner);

/* The record of a device ("" when it had no driver); false when none. */
bool pt_record_get(const char *bdf, char *driver, size_t len);

/* Pure: whether s may become one component of a path: a driver or module
 * name ([A-Za-z0-9_.-], not "." or "..", shorter than 64). */
bool pt_name_ok(const char *s);

/* Pure: the journal's text for t, and back (what --restore reads).
 * pt_txn_parse fills t from text; returns false on anything malformed. */
char *pt_txn_format(const struct pt_txn *t, bool committed);
bool pt_txn_parse(const char *text, struct pt_txn *t, long *pid, bool *committed);

#endif

/* vgpu-split's changes as steps and files of the transaction (txn.h): a
 * PF's VF count (through 0, sriov_drivers_autoprobe before enabling), an
 * NVIDIA VF's vGPU type (through 0), what --persist keeps (the toolkit's
 * file, mdevctl's definitions); and a failed VF change, in words. Each
 * returns PT_EXIT_OK, or an exit code with a one-line message in msg
 * (nothing was changed then: the transaction has not run). */
#ifndef PT_SPLIT_H
#define PT_SPLIT_H

#include "mdev.h"
#include "pcidev.h"
#include "sriov.h"
#include "txn.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_SPLIT_MAX_VFS 4096

int pt_split_vfs_steps(struct pt_txn *t, const char *pf, const struct pt_sriov *s, int want, int autoprobe,
		       char *msg, size_t mlen);
/* Create an mdev, then write the attributes of its definition def (NULL:
 * none), mdevctl's order. */
int pt_split_mdev_steps(struct pt_txn *t, const char *parent, const char *type, const char *uuid,
			const struct pt_mdev_def *def, char *msg, size_t mlen);
int pt_split_vgpu_steps(struct pt_txn *t, const char *vf, long current, unsigned id, char *msg, size_t mlen);

/* PT_SPLIT_CONF with e set (remove: its line dropped; the file goes when
 * empty), as a file of t. A file with a bad line is refused. */
int pt_split_persist(struct pt_txn *t, const struct pt_split_entry *e, bool remove, char *msg, size_t mlen);
/* mdevctl's definition of one mdev (start auto; the attributes of `was`,
 * a definition there already, kept), or its removal, as a file of t. */
int pt_split_persist_mdev(struct pt_txn *t, const char *parent, const char *type, const char *uuid, bool remove,
			  const struct pt_mdev_def *was, char *msg, size_t mlen);

/* Run t, a VF change of pf from s; on failure the message says what the
 * kernel answered and where the PF is now (its VFs, autoprobe, whether
 * --restore has work left), with exit 4 when the PF's driver cannot
 * enable VFs (ENOENT). After a change, the vfio-bind records of VFs that
 * are gone are removed. */
int pt_split_vfs_run(struct pt_txn *t, const struct pt_dev *pf, const struct pt_sriov *s, char *msg, size_t len);

#endif

/* UEFI firmware for a guest, found as QEMU and libvirt find it: through the
 * firmware descriptors of QEMU's docs/interop/firmware.json
 * (/usr/share/qemu/firmware, /etc/qemu/firmware; a file in /etc hides the
 * one of the same name in /usr/share; read in file-name order). Debian's
 * ovmf package ships 40-edk2-x86_64-secure-enrolled.json,
 * 50-edk2-x86_64-secure.json and 60-edk2-x86_64.json for /usr/share/OVMF;
 * Fedora's edk2-ovmf ships its own for /usr/share/edk2/ovmf, raw and qcow2. */
#ifndef PT_FIRMWARE_H
#define PT_FIRMWARE_H

#include "vmspec.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_FW_MAX_FEATURES 24
#define PT_FW_MAX_MACHINES 16

/* One descriptor, as far as vm-run needs it. */
struct pt_fw_desc {
	char description[256];
	bool uefi;                 /* "uefi" among interface-types */
	char device[16];           /* mapping.device: "flash", "memory", "kernel" */
	char mode[16];             /* mapping.mode: "split" (the default), "combined", "stateless" */
	char code[512], code_format[8];
	char vars[512], vars_format[8]; /* nvram-template; "" without one */
	bool x86_64;               /* a target with architecture x86_64 ... */
	bool q35;                  /* ... whose machines match pc-q35-* */
	char features[PT_FW_MAX_FEATURES][32];
	size_t nfeatures;
};

/* Pure and bounded (fuzzed): parse a descriptor's JSON text (at most
 * 64 KiB, nesting at most 16 deep). Returns 0, or -1 with why in err. */
int pt_fw_desc_parse(const char *text, size_t len, struct pt_fw_desc *out, char *err, size_t errlen);
bool pt_fw_has_feature(const struct pt_fw_desc *d, const char *f);

/* Pure: whether a descriptor suits a q35 x86_64 UEFI guest, with or
 * without Secure Boot, and how well (lower is better; -1: unusable, the
 * reason in why). */
int pt_fw_rank(const struct pt_fw_desc *d, bool secure_boot, char *why, size_t len);

/* Read the descriptors below the sysroot and choose the best (the first in
 * file-name order among those of the best rank). Fills fw (code, formats,
 * the template; vars is left for the caller: the VM's own copy). Returns
 * 0, or -1 with what was looked at and why nothing fits in err. */
int pt_fw_find(bool secure_boot, struct pt_vm_firmware *fw, char *err, size_t errlen);

/* The VM's private variable store: $XDG_STATE_HOME/passthru-utils/NAME_VARS.fd
 * (or ~/.local/state/...; .qcow2 for a qcow2 template). */
int pt_fw_vars_path(const char *name, const char *format, char *buf, size_t len);

#endif

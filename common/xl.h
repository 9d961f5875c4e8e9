/* The VM vm-run models, as an xl.cfg (xl.cfg(5)) for a Xen dom0: `xl
 * create FILE` starts it. A guest with --kernel and no --uefi is PV (the
 * kernel, ramdisk and extra given to Xen), any other HVM (OVMF with
 * --uefi); the PCI devices in one pci = [...] list, a GPU's functions
 * together, gfx_passthru for an HVM guest's Intel integrated GPU; disks
 * as xvda, xvdb... (HVM: the emulated IDE slot 2, hdc, left to the CD-ROM).
 * Writes only to f. Pure. */
#ifndef PT_XL_H
#define PT_XL_H

#include "vmspec.h"

#include <stdio.h>

/* igd: the --gpu is Intel integrated graphics, the one card libxl's
 * gfx_passthru knows (qemu-xen); other GPUs go as plain PCI devices. */
void pt_xl_config(FILE *f, const struct pt_vm *vm, bool igd);
/* Whether the VM is a PV guest in xl's terms. */
bool pt_xl_pv(const struct pt_vm *vm);

#endif

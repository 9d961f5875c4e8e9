/* The VM vm-run models, as a libvirt domain (formatdomain.html): the same
 * devices at the same guest slots, each hostdev managed='yes' (libvirt
 * binds and gives back itself), ROM files, huge pages, OVMF's loader and
 * the VM's NVRAM, the GPU's multifunction address. Writes only to f. */
#ifndef PT_LIBVIRT_H
#define PT_LIBVIRT_H

#include "vmspec.h"

#include <stdio.h>

/* fw NULL: a legacy BIOS guest. accel "kvm" or "tcg" (domain type qemu). */
void pt_libvirt_domain(FILE *f, const struct pt_vm *vm, const struct pt_vm_firmware *fw, const char *accel);

#endif

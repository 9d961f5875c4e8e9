/* Kernel modules through libkmod. libkmod reads /proc/modules and /lib/modules
 * at fixed paths, so below a sysroot only the sysroot's own /lib/modules is
 * consulted and nothing is ever loaded. */
#ifndef PT_MODULES_H
#define PT_MODULES_H

#include <stddef.h>

enum pt_mod_state {
	PT_MOD_LOADED,    /* /sys/module/NAME exists */
	PT_MOD_BUILTIN,   /* part of the kernel image */
	PT_MOD_LOADABLE,  /* found in /lib/modules/RELEASE */
	PT_MOD_MISSING,   /* the kernel has no such module */
	PT_MOD_UNKNOWN,   /* cannot tell (no /lib/modules index for this kernel) */
};

/* What state module `name` ("vfio-pci" or "vfio_pci") is in; where a file
 * backs it, its path goes to path (may be NULL). */
enum pt_mod_state pt_module_state(const char *name, char *path, size_t len);

/* Load a module and its dependencies (live system only). 0 or -errno. */
int pt_module_load(const char *name);

#endif

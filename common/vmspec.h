/* The virtual machine vm-run starts: the model its options fill in, and the
 * pure pieces that turn it into a QEMU argv (no I/O: the host's facts come
 * in as a struct), quote that argv for a shell, and read a profile file. */
#ifndef PT_VMSPEC_H
#define PT_VMSPEC_H

#include "bdf.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_VM_MAX_DEVS 64

enum pt_vm_dev_kind {
	PT_VM_DEV_PLAIN,  /* --device: alone at a guest slot of its own */
	PT_VM_DEV_GPU,    /* --gpu: function 0 of a multifunction guest slot */
	PT_VM_DEV_GPUFN,  /* another function of a --gpu's card, same guest slot */
	PT_VM_DEV_MDEV,   /* --mdev UUID: /sys/bus/mdev/devices/UUID */
};

struct pt_vm_dev {
	enum pt_vm_dev_kind kind;
	char host[PT_BDF_LEN + 24]; /* "0000:01:00.0", or the mdev's UUID */
	unsigned slot;              /* guest slot: the root port rpN it sits below */
	unsigned fn;                /* guest function (the host's, for a GPU's card) */
	bool multifunction;         /* function 0 of a slot with more functions */
	const char *romfile;        /* NULL: the device's own ROM */
	bool primary;               /* x-vga=on */
};

struct pt_vm_firmware {
	char code[512];             /* as on the host */
	char code_format[8];        /* "raw", "qcow2" */
	char vars[512];             /* the VM's private copy, "" when stateless */
	char vars_format[8];
	char template_path[512];    /* what the copy starts from */
	bool secure_boot, requires_smm;
	char descriptor[512];       /* the JSON file it came from */
};

struct pt_vm {
	const char *name;
	const char *uuid;           /* -uuid: the VM's UUID (NVIDIA's vGPU manager needs one), or NULL */
	unsigned long long mem_mib;
	unsigned cpus;
	unsigned long hugepage_kib; /* 0: ordinary memory */
	bool uefi;
	const char *cdrom;
	const char *kernel;         /* direct boot: -kernel, with initrd and append, or NULL */
	const char *initrd;
	const char *append;
	const char *qmp;            /* a UNIX socket path, or NULL */
	const char *display;        /* none, gtk, sdl, spice; NULL: none with a GPU, else gtk */
	const char *const *disks;
	size_t ndisks;
	struct pt_vm_dev devs[PT_VM_MAX_DEVS];
	size_t ndevs;
	unsigned long long mmio64_mib; /* OVMF's 64-bit MMIO window; 0: its default */
	const char *const *extra;   /* after "--" */
	size_t nextra;
};

/* What the host gives the argv: the QEMU binary, the accelerator chosen,
 * the firmware found (when uefi). */
struct pt_vm_facts {
	const char *qemu;           /* "qemu-system-x86_64" or a path */
	const char *accel;          /* "kvm" or "tcg" */
	const struct pt_vm_firmware *fw;
};

/* Build the argv (NULL-terminated, malloc'd strings, free with
 * pt_vm_argv_free). Returns the count. Pure. */
size_t pt_vm_argv(const struct pt_vm *vm, const struct pt_vm_facts *facts, char ***argv);
void pt_vm_argv_free(char **argv);

/* The qdev id vm-run gives device i: "hostdevN" (a PCI device), "mdevN". */
void pt_vm_dev_id(const struct pt_vm *vm, size_t i, char *buf, size_t len);

/* One word for a POSIX shell: as is when it holds only safe characters,
 * else in single quotes ('\'' for a quote); '' when empty. Malloc'd. Pure. */
char *pt_shell_quote(const char *s);
/* The whole argv as one line, each word quoted. Malloc'd. Pure. */
char *pt_shell_join(char *const *argv, size_t n);

/* "16G", "512M", "2048" (MiB), "1T" into MiB; false when malformed or
 * zero, or beyond 1 PiB. Pure. */
bool pt_vm_parse_mib(const char *s, unsigned long long *mib);
/* A huge page size: "2M", "1G", "2048K", "2048kB" into KiB. Pure. */
bool pt_vm_parse_hugepage(const char *s, unsigned long *kib);
/* A VM name: [A-Za-z0-9_.-], 1-64 chars, not "." or "..". Pure. */
bool pt_vm_name_ok(const char *s);

/* A profile file's text into an argv: every line that is not blank and
 * not a comment (first non-blank '#') is split as popt splits a command
 * line (poptParseArgvString: quotes and backslashes), and must start with
 * an option ("-"); "--" and --profile are refused. A word starting with '#'
 * after the option starts a comment. Each line is one option of `table`
 * and, when it takes one, its value, nothing more: a missing value or an
 * extra word is an error, so a line never takes a word of the next one or
 * of the command line. Returns 0 with the words appended to *argv
 * (malloc'd strings; *argc counts them), or -1 with "line N: why" in err.
 * Pure. */
struct poptOption;
int pt_vm_profile_argv(const char *text, const struct poptOption *table, int *argc, char ***argv, char *err,
		       size_t errlen);

#endif

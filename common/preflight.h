/* vm-run's pre-flight: everything that would make QEMU fail to start, or
 * start and then hurt the host, checked before it starts, as findings
 * (hostcheck.h) that each name the device, the cause and the fix. */
#ifndef PT_PREFLIGHT_H
#define PT_PREFLIGHT_H

#include "hostcheck.h"
#include "iommu.h"
#include "pcidev.h"
#include "vmspec.h"

#include <stdbool.h>
#include <sys/resource.h>
#include <stddef.h>

struct pt_preflight {
	/* in */
	const struct pt_host *h;
	struct pt_group *groups;
	size_t ngroups;
	struct pt_dev **devs;       /* the PCI devices the VM takes (GPU functions included) */
	size_t ndevs;
	const struct pt_vm *vm;
	const char *const *romfiles; /* per device, NULL when none */
	bool managed;               /* vm-run binds them: they may still be on host drivers */
	const char *qemu;           /* --qemu, or NULL: qemu-system-x86_64 in PATH */
	const char *accel;          /* --accel, or NULL: kvm when /dev/kvm opens */
	bool raise_memlock;         /* --memlock: setrlimit as root */
	/* out */
	char qemu_path[4096];
	const char *accel_chosen;   /* "kvm" or "tcg" */
	unsigned long long mmio64_mib; /* for OVMF's fw_cfg, 0 when the default fits */
	unsigned long long need_lock_kib;
	int code;                   /* PT_EXIT_OK, or 3 / 4 when a finding failed */
};

/* Run every check; findings in f (iommu-groups --check's form). */
void pt_preflight_run(struct pt_preflight *p, struct pt_findings *f);

/* Pure: OVMF's 64-bit MMIO window, in MiB, that holds 64-bit BARs of the
 * given sizes (bytes), each aligned to its size; 0 when OVMF's default
 * (32 GiB) holds them. */
unsigned long long pt_mmio64_window_mib(const unsigned long long *bars, size_t n);

/* Pure: BARs 0-5 of a sysfs resource file's text: sizes in bytes, and
 * which are 64-bit memory BARs. Returns how many lines were read. */
size_t pt_parse_resource(const char *text, unsigned long long size[6], unsigned long long start[6], bool mem64[6]);

/* Pure: the soft "Max locked memory" of /proc/PID/limits text, in bytes
 * (RLIM_INFINITY for unlimited); false when the line is missing. */
bool pt_limits_memlock(const char *text, rlim_t *soft);

#endif

#include "xl.h"

#include <stdio.h>
#include <string.h>

/* An xl.cfg string: double quotes, with \ and " escaped, as libxlu reads it. */
static void str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A disk spec's target= and its closing quote: the rest of the string is
 * the path, as is, only " and \\ escaped. */
static void target(FILE *f, const char *path)
{
	for (; *path; path++) {
		if (*path == '"' || *path == '\\')
			fputc('\\', f);
		fputc(*path, f);
	}
	fputc('"', f);
}

static const char *disk_format(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && strcmp(path + n - 6, ".qcow2") == 0 ? "qcow2" : "raw";
}

bool pt_xl_pv(const struct pt_vm *vm)
{
	return vm->kernel && !vm->uefi;
}

/* The name of disk i: xvda, xvdb, ...; on HVM with a CD-ROM, index 2 (hdc)
 * is the CD-ROM's, so the disks skip it. */
static void disk_name(char *buf, size_t len, size_t i, bool skip_c)
{
	if (skip_c && i >= 2)
		i++;
	if (i < 26)
		snprintf(buf, len, "xvd%c", (char)('a' + i));
	else
		snprintf(buf, len, "xvd%c%c", (char)('a' + i / 26 - 1), (char)('a' + i % 26));
}

void pt_xl_config(FILE *f, const struct pt_vm *vm, bool igd)
{
	bool pv = pt_xl_pv(vm), gpu = false;
	size_t nd = 0;

	for (size_t i = 0; i < vm->ndevs; i++)
		gpu |= vm->devs[i].kind == PT_VM_DEV_GPU;
	fputs("# vm-run --emit xl: start it with 'xl create FILE' on a Xen dom0, the devices on\n"
	      "# pciback first (vfio-bind --driver pciback BDF...)\nname = ", f);
	str(f, vm->name);
	fputc('\n', f);
	if (vm->uuid) {
		fputs("uuid = ", f);
		str(f, vm->uuid);
		fputc('\n', f);
	}
	fprintf(f, "type = \"%s\"\nmemory = %llu\nvcpus = %u\n", pv ? "pv" : "hvm", vm->mem_mib, vm->cpus);
	if (vm->uefi)
		fputs("bios = \"ovmf\"\n", f);
	if (vm->kernel) {
		fputs("kernel = ", f);
		str(f, vm->kernel);
		fputc('\n', f);
		if (vm->initrd) {
			fputs("ramdisk = ", f);
			str(f, vm->initrd);
			fputc('\n', f);
		}
		if (vm->append) {
			fputs(pv ? "extra = " : "cmdline = ", f);
			str(f, vm->append);
			fputc('\n', f);
		}
	}
	if (vm->ndisks || vm->cdrom) {
		char name[8];

		fputs("disk = [", f);
		for (size_t i = 0; i < vm->ndisks; i++) {
			disk_name(name, sizeof(name), i, !pv && vm->cdrom);
			fprintf(f, "%s\n    \"format=%s, vdev=%s, access=rw, target=", nd++ ? "," : "",
				disk_format(vm->disks[i]), name);
			target(f, vm->disks[i]);
		}
		if (vm->cdrom) {
			if (pv)
				disk_name(name, sizeof(name), vm->ndisks, false);
			fprintf(f, "%s\n    \"format=raw, vdev=%s, access=ro, devtype=cdrom, target=", nd++ ? "," : "",
				pv ? name : "hdc");
			target(f, vm->cdrom);
		}
		fputs("\n]\n", f);
	}
	if (vm->ndevs) {
		size_t n = 0;

		fputs("pci = [", f);
		for (size_t i = 0; i < vm->ndevs; i++)
			if (vm->devs[i].kind != PT_VM_DEV_MDEV)
				fprintf(f, "%s '%s'", n++ ? "," : "", vm->devs[i].host);
		fputs(" ]\n", f);
	}
	/* the guest's GPU as its primary display: libxl knows Intel's IGD only */
	if (gpu && igd && !pv)
		fputs("gfx_passthru = 1\n", f);
	if (!pv) {
		/* the emulated display: none beside a GPU (as vm-run's QEMU), VNC by
		 * default (a dom0 is often headless), SDL or SPICE when asked */
		const char *d = vm->display ? vm->display : gpu ? "none" : "vnc";

		if (strcmp(d, "none") == 0)
			fputs("vnc = 0\n", f);
		else if (strcmp(d, "spice") == 0)
			fputs("vnc = 0\nspice = 1\n", f);
		else if (strcmp(d, "vnc") != 0)
			fputs("vnc = 0\nsdl = 1\n", f);
		else
			fputs("vnc = 1\n", f);
	}
	fputs("on_crash = \"destroy\"\n", f);
}

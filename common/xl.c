#include "xl.h"

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

static const char *disk_format(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && strcmp(path + n - 6, ".qcow2") == 0 ? "qcow2" : "raw";
}

bool pt_xl_pv(const struct pt_vm *vm)
{
	return vm->kernel && !vm->uefi;
}

void pt_xl_config(FILE *f, const struct pt_vm *vm)
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
		fputs("disk = [", f);
		for (size_t i = 0; i < vm->ndisks; i++) {
			fprintf(f, "%s\n    \"format=%s, vdev=%s%c, access=rw, target=", nd++ ? "," : "",
				disk_format(vm->disks[i]), pv ? "xvd" : "hd", (char)('a' + (i % 26)));
			/* target= is the last key: the rest of the string is the path, as is */
			for (const char *c = vm->disks[i]; *c; c++) {
				if (*c == '"' || *c == '\\')
					fputc('\\', f);
				fputc(*c, f);
			}
			fputc('"', f);
		}
		if (vm->cdrom) {
			fprintf(f, "%s\n    \"format=raw, vdev=%s, access=ro, devtype=cdrom, target=", nd++ ? "," : "",
				pv ? "xvdz" : "hdc");
			for (const char *c = vm->cdrom; *c; c++) {
				if (*c == '"' || *c == '\\')
					fputc('\\', f);
				fputc(*c, f);
			}
			fputc('"', f);
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
	/* the guest's GPU is its primary display: an HVM guest only */
	if (gpu && !pv)
		fputs("gfx_passthru = 1\n", f);
	if (!pv) {
		const char *d = vm->display ? vm->display : gpu ? "none" : "sdl";

		fprintf(f, "vnc = 0\nsdl = %d\n", strcmp(d, "none") != 0);
	}
	fputs("on_crash = \"destroy\"\n", f);
}

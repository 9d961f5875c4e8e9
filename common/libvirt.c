#include "libvirt.h"
#include "bdf.h"

#include <stdbool.h>
#include <string.h>

/* Text and attribute values: & < > " ' escaped. */
static void xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f);
		}
	}
}

static bool has_gpu(const struct pt_vm *vm)
{
	for (size_t i = 0; i < vm->ndevs; i++)
		if (vm->devs[i].kind == PT_VM_DEV_GPU)
			return true;
	return false;
}

static const char *disk_format(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && strcmp(path + n - 6, ".qcow2") == 0 ? "qcow2" : "raw";
}

static void qemu_arg(FILE *f, const char *a)
{
	fputs("    <qemu:arg value='", f);
	xml(f, a);
	fputs("'/>\n", f);
}

void pt_libvirt_domain(FILE *f, const struct pt_vm *vm, const struct pt_vm_firmware *fw, const char *accel)
{
	bool kvm = !accel || strcmp(accel, "kvm") == 0;
	bool cmdline = vm->nextra || (fw && vm->mmio64_mib);
	unsigned nslots = 0;
	const char *display = vm->display ? vm->display : has_gpu(vm) ? "none" : "gtk";

	fprintf(f, "<domain type='%s'%s>\n", kvm ? "kvm" : "qemu",
		cmdline ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" : "");
	fputs("  <name>", f);
	xml(f, vm->name);
	fputs("</name>\n", f);
	if (vm->uuid)
		fprintf(f, "  <uuid>%s</uuid>\n", vm->uuid);
	fprintf(f, "  <memory unit='MiB'>%llu</memory>\n", vm->mem_mib);
	fprintf(f, "  <vcpu>%u</vcpu>\n", vm->cpus);
	if (vm->hugepage_kib)
		fprintf(f, "  <memoryBacking>\n    <hugepages>\n      <page size='%lu' unit='KiB'/>\n    </hugepages>\n"
			"  </memoryBacking>\n", vm->hugepage_kib);
	fputs("  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n", f);
	if (fw) {
		fprintf(f, "    <loader readonly='yes'%s type='pflash'%s%s%s>", fw->requires_smm ? " secure='yes'" : "",
			strcmp(fw->code_format, "raw") ? " format='" : "",
			strcmp(fw->code_format, "raw") ? fw->code_format : "", strcmp(fw->code_format, "raw") ? "'" : "");
		xml(f, fw->code);
		fputs("</loader>\n", f);
		if (fw->vars[0]) {
			fputs("    <nvram template='", f);
			xml(f, fw->template_path);
			fputs("'", f);
			if (strcmp(fw->vars_format, "raw"))
				fprintf(f, " format='%s'", fw->vars_format);
			fputs(">", f);
			xml(f, fw->vars);
			fputs("</nvram>\n", f);
		}
	}
	if (vm->kernel) {
		fputs("    <kernel>", f);
		xml(f, vm->kernel);
		fputs("</kernel>\n", f);
		if (vm->initrd) {
			fputs("    <initrd>", f);
			xml(f, vm->initrd);
			fputs("</initrd>\n", f);
		}
		if (vm->append) {
			fputs("    <cmdline>", f);
			xml(f, vm->append);
			fputs("</cmdline>\n", f);
		}
	}
	fputs("  </os>\n  <features>\n    <acpi/>\n    <apic/>\n", f);
	if (fw && fw->requires_smm)
		fputs("    <smm state='on'/>\n", f);
	fputs("  </features>\n", f);
	fprintf(f, "  <cpu mode='%s'/>\n", kvm ? "host-passthrough" : "maximum");
	fputs("  <devices>\n", f);
	for (size_t i = 0; i < vm->ndisks; i++) {
		fprintf(f, "    <disk type='file' device='disk'>\n      <driver name='qemu' type='%s'/>\n"
			"      <source file='", disk_format(vm->disks[i]));
		xml(f, vm->disks[i]);
		fprintf(f, "'/>\n      <target dev='vd%c' bus='virtio'/>\n    </disk>\n", (char)('a' + (i % 26)));
	}
	if (vm->cdrom) {
		fputs("    <disk type='file' device='cdrom'>\n      <driver name='qemu' type='raw'/>\n      <source file='",
		      f);
		xml(f, vm->cdrom);
		fputs("'/>\n      <target dev='sda' bus='sata'/>\n      <readonly/>\n    </disk>\n", f);
	}
	fputs("    <controller type='pci' index='0' model='pcie-root'/>\n", f);
	for (size_t i = 0; i < vm->ndevs; i++)
		if (vm->devs[i].slot + 1 > nslots)
			nslots = vm->devs[i].slot + 1;
	/* one root port per guest slot, its bus number index: the hostdevs
	 * below say bus='0xN' for it */
	for (unsigned s = 0; s < nslots; s++)
		fprintf(f, "    <controller type='pci' index='%u' model='pcie-root-port'/>\n", s + 1);
	for (size_t i = 0; i < vm->ndevs; i++) {
		const struct pt_vm_dev *d = &vm->devs[i];
		struct pt_bdf b;

		if (d->kind == PT_VM_DEV_MDEV) {
			fprintf(f, "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n      <source>\n"
				"        <address uuid='%s'/>\n      </source>\n"
				"      <address type='pci' domain='0x0000' bus='0x%02x' slot='0x00' function='0x0'/>\n"
				"    </hostdev>\n", d->host, d->slot + 1);
			continue;
		}
		if (pt_bdf_parse(d->host, &b))
			continue;
		fprintf(f, "    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n"
			"        <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n      </source>\n",
			b.domain, b.bus, b.dev, b.fn);
		if (d->romfile) {
			fputs("      <rom file='", f);
			xml(f, d->romfile);
			fputs("'/>\n", f);
		}
		fprintf(f, "      <address type='pci' domain='0x0000' bus='0x%02x' slot='0x00' function='0x%x'%s/>\n"
			"    </hostdev>\n", d->slot + 1, d->fn, d->multifunction ? " multifunction='on'" : "");
	}
	if (strcmp(display, "spice") == 0)
		fputs("    <graphics type='spice' autoport='yes'/>\n", f);
	else if (strcmp(display, "none") != 0)
		fputs("    <graphics type='sdl'/>\n", f);
	if (has_gpu(vm))
		fputs("    <video>\n      <model type='none'/>\n    </video>\n", f);
	fputs("  </devices>\n", f);
	if (cmdline) {
		char v[64];

		fputs("  <qemu:commandline>\n", f);
		if (fw && vm->mmio64_mib) {
			qemu_arg(f, "-fw_cfg");
			snprintf(v, sizeof(v), "name=opt/ovmf/X-PciMmio64Mb,string=%llu", vm->mmio64_mib);
			qemu_arg(f, v);
		}
		for (size_t i = 0; i < vm->nextra; i++)
			qemu_arg(f, vm->extra[i]);
		fputs("  </qemu:commandline>\n", f);
	}
	fputs("</domain>\n", f);
}

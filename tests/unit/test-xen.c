/* Xen: what xl info and xl dmesg say, the findings for a dom0, the xl.cfg
 * vm-run writes, and vfio-bind's pciback file. */
#include "hostcheck.h"
#include "vfio.h"
#include "xen.h"
#include "xl.h"
#include "tap.h"

#include <stdlib.h>

static const char *const info_417 =
	"host                   : (none)\n"
	"release                : 6.1.0-28-amd64\n"
	"virt_caps              : pv hvm hvm_directio pv_directio hap shadow iommu_hap_pt_share vmtrace gnttab-v1\n"
	"xen_major              : 4\n"
	"xen_minor              : 17\n"
	"xen_extra              : .6-pre\n"
	"xen_commandline        : placeholder console=com1 dom0_mem=1024M iommu=on,verbose\n";
static const char *const dmesg_vtd =
	"(XEN) Intel VT-d iommu 0 supported page sizes: 4kB, 2MB, 1GB\n"
	"(XEN) Intel VT-d Interrupt Remapping enabled.\n"
	"(XEN) I/O virtualisation enabled\n";

static char *findings_text(const struct pt_findings *f)
{
	size_t cap = 64, o = 0;
	char *s;

	for (size_t i = 0; i < f->n; i++)
		cap += strlen(f->v[i].message) + 32;
	s = malloc(cap);
	s[0] = '\0';
	for (size_t i = 0; i < f->n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s %s: %s\n", pt_status_name(f->v[i].status), f->v[i].check,
				      f->v[i].message);
	return s;
}

static char *xl_of(const struct pt_vm *vm, bool igd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pt_xl_config(f, vm, igd);
	fclose(f);
	return buf;
}

int main(void)
{
	struct pt_xen_facts x;
	struct pt_findings f;
	char *t;

	pt_xen_parse(info_417, dmesg_vtd, &x);
	ok(x.asked && strcmp(x.version, "4.17.6-pre") == 0, "the version from xen_major, xen_minor, xen_extra");
	ok(x.pv_directio && x.hvm_directio, "directio for PV and HVM guests from virt_caps");
	ok(x.iommu == 1 && strcmp(x.iommu_kind, "Intel VT-d") == 0 && x.intremap == 1,
	   "xl dmesg: VT-d, I/O virtualisation and interrupt remapping on");
	is_str(x.cmdline, "placeholder console=com1 dom0_mem=1024M iommu=on,verbose", "Xen's command line");

	memset(&f, 0, sizeof(f));
	f.can_assign = true;
	pt_xen_findings(&x, &f);
	t = findings_text(&f);
	is_str(t, "ok xen: Xen 4.17.6-pre dom0: Xen owns the IOMMU, so this kernel sees no DMAR/IVRS table and no "
		  "IOMMU groups; devices go to guests through xen-pciback (vfio-bind --driver pciback) and xl\n"
		  "ok iommu: Xen's I/O virtualisation is on (Intel VT-d): passthrough to PV and HVM guests\n"
		  "ok interrupt-remapping: interrupt remapping: on (Xen)\n", "a dom0 that can assign: the findings");
	ok(f.can_assign, "and it can assign");
	free(t);
	pt_findings_free(&f);

	/* no IOMMU: iommu=0 on Xen's command line is named */
	pt_xen_parse("virt_caps : pv hvm hap shadow\nxen_major : 4\nxen_minor : 17\nxen_commandline : dom0_mem=2G iommu=0\n",
		     "(XEN) I/O virtualisation disabled\n", &x);
	memset(&f, 0, sizeof(f));
	f.can_assign = true;
	pt_xen_findings(&x, &f);
	t = findings_text(&f);
	ok(!f.can_assign && strstr(t, "fail iommu: Xen has no IOMMU: xl info lists no pv_directio or hvm_directio in "
				       "virt_caps (xl dmesg: I/O virtualisation disabled)\n") &&
	   strstr(t, "fail fix: remove iommu=0 from Xen's command line"), "iommu=0: refused, naming the Xen option");
	free(t);
	pt_findings_free(&f);
	pt_xen_parse("virt_caps : pv hvm\n", NULL, &x);
	memset(&f, 0, sizeof(f));
	f.can_assign = true;
	pt_xen_findings(&x, &f);
	t = findings_text(&f);
	ok(!f.can_assign && strstr(t, "enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) in the firmware setup") &&
	   strstr(t, "info interrupt-remapping: interrupt remapping: off, with Xen's IOMMU") && strstr(t, "info xen: Xen (version unknown) dom0: devices would go"),
	   "no directio, no option: the firmware setting; remapping off with the IOMMU; no claim that Xen owns one");
	free(t);
	pt_findings_free(&f);
	pt_xen_parse(NULL, NULL, &x);
	memset(&f, 0, sizeof(f));
	f.can_assign = true;
	pt_xen_findings(&x, &f);
	ok(!x.asked && !f.can_assign && f.n == 1, "xl did not answer: one failure, not a guess");
	pt_findings_free(&f);
	pt_xen_parse("virt_caps : pv hvm hvm_directio\n", "(XEN) AMD-Vi: IOMMU 0 Enabled.\n(XEN) AMD-Vi: Interrupt remapping enabled\n", &x);
	ok(!x.pv_directio && x.hvm_directio && strcmp(x.iommu_kind, "AMD-Vi") == 0 && x.intremap == 1,
	   "AMD-Vi, HVM passthrough only");
	pt_xen_parse("virt_caps : pv_directio_x\nxen_majorx : 9\n", NULL, &x);
	ok(!x.pv_directio && !x.version[0], "a word is a word, a key a key");

	/* the xl.cfg */
	struct pt_vm vm = { 0 };
	const char *disks[] = { "/srv/a \"b\".qcow2", NULL };

	vm.name = "t";
	vm.mem_mib = 256;
	vm.cpus = 1;
	vm.kernel = "/boot/vmlinuz";
	vm.initrd = "/boot/initrd.gz";
	vm.append = "console=hvc0 \"quoted\"";
	vm.ndevs = 1;
	snprintf(vm.devs[0].host, sizeof(vm.devs[0].host), "0000:00:01.0");
	t = xl_of(&vm, false);
	is_str(t, "# vm-run --emit xl: start it with 'xl create FILE' on a Xen dom0, the devices on\n"
		  "# pciback first (vfio-bind --driver pciback BDF...)\n"
		  "name = \"t\"\ntype = \"pv\"\nmemory = 256\nvcpus = 1\nkernel = \"/boot/vmlinuz\"\n"
		  "ramdisk = \"/boot/initrd.gz\"\nextra = \"console=hvc0 \\\"quoted\\\"\"\n"
		  "pci = [ '0000:00:01.0' ]\non_crash = \"destroy\"\n", "a PV guest with a NIC, exactly");
	free(t);
	vm.kernel = vm.initrd = vm.append = NULL;
	vm.uefi = true;
	vm.disks = disks;
	vm.ndisks = 1;
	vm.ndevs = 2;
	vm.devs[0].kind = PT_VM_DEV_GPU;
	snprintf(vm.devs[0].host, sizeof(vm.devs[0].host), "0000:01:00.0");
	vm.devs[1].kind = PT_VM_DEV_GPUFN;
	snprintf(vm.devs[1].host, sizeof(vm.devs[1].host), "0000:01:00.1");
	t = xl_of(&vm, true);
	ok(strstr(t, "type = \"hvm\"\nmemory = 256\nvcpus = 1\nbios = \"ovmf\"\n") &&
	   strstr(t, "disk = [\n    \"format=qcow2, vdev=xvda, access=rw, target=/srv/a \\\"b\\\".qcow2\"\n]\n") &&
	   strstr(t, "pci = [ '0000:01:00.0', '0000:01:00.1' ]\ngfx_passthru = 1\nvnc = 0\non_crash"),
	   "an HVM guest with Intel's IGD: OVMF, the disk, both functions, gfx_passthru, no emulated display");
	ok(!pt_xl_pv(&vm), "--uefi: HVM");
	free(t);
	t = xl_of(&vm, false);
	ok(!strstr(t, "gfx_passthru"), "another GPU: no gfx_passthru (libxl knows Intel's IGD only)");
	free(t);
	const char *three[] = { "a.img", "b.img", "c.img", NULL };
	vm.disks = three;
	vm.ndisks = 3;
	vm.cdrom = "i.iso";
	vm.ndevs = 0;
	t = xl_of(&vm, false);
	ok(strstr(t, "vdev=xvda,") && strstr(t, "vdev=xvdb,") && strstr(t, "vdev=xvdd,") && !strstr(t, "vdev=xvdc") &&
	   strstr(t, "vdev=hdc, access=ro, devtype=cdrom, target=i.iso") && strstr(t, "\nvnc = 1\n"),
	   "HVM: three disks skip index 2 for the CD-ROM at hdc; VNC when no GPU and no --display");
	free(t);

	/* vfio-bind's pciback file */
	char bdfs[8][PT_BDF_LEN], mods[4][64];
	size_t nm, n = pt_pciback_conf_parse("# c\noptions xen-pciback hide=(01:00.0)(0000:02:00.0)(junk)(01:00.0)\n"
					     "softdep e1000e pre: xen-pciback\nsoftdep nvme post: xen-pciback\n",
					     bdfs, 8, mods, 4, &nm);
	ok(n == 2 && strcmp(bdfs[0], "0000:01:00.0") == 0 && strcmp(bdfs[1], "0000:02:00.0") == 0,
	   "hide=: canonical addresses, once each, junk left out");
	ok(nm == 1 && strcmp(mods[0], "e1000e") == 0, "softdep pre: lines only");
	t = pt_pciback_conf_format(bdfs, n, mods, nm);
	is_str(t, "# vfio-bind --persist --driver pciback: xen-pciback takes these devices at boot, for xl\n"
		  "# (vfio-bind --unpersist lets them go; update-initramfs -u after a change)\n"
		  "options xen-pciback hide=(0000:01:00.0)(0000:02:00.0)\nsoftdep e1000e pre: xen-pciback\n",
	   "the file, exactly");
	free(t);
	ok(pt_pciback_conf_format(bdfs, 0, mods, 0) == NULL, "no device: no file");
	ok(pt_target_ok("pciback") && pt_target_ok("pci-stub") && pt_target_ok("vfio-pci") && !pt_target_ok("e1000e") &&
	   !pt_target_ok("../x"), "the drivers devices can be handed to");
	is_str(pt_target_module("pciback"), "xen-pciback", "pciback's module is xen-pciback");
	return tap_done();
}

/* vm-run's pure pieces: the QEMU argv for every kind of option, shell
 * quoting, sizes and names, profiles, OVMF descriptors (Debian's and
 * Fedora's, as shipped), the 64-bit MMIO window, sysfs resource text,
 * /proc/PID/limits, and the libvirt domain. */
#define _GNU_SOURCE
#include "firmware.h"
#include "libvirt.h"
#include "msg.h"
#include "preflight.h"
#include "tap.h"

#include <popt.h>
#include "vmspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *joined(const struct pt_vm *vm, const struct pt_vm_facts *f)
{
	char **argv;
	size_t n = pt_vm_argv(vm, f, &argv);
	char *s = pt_shell_join(argv, n);

	ok(argv[n] == NULL, "argv is NULL-terminated (%zu words)", n);
	pt_vm_argv_free(argv);
	return s;
}

#define IS_LINE(vm, facts, want, ...)                     \
	do {                                              \
		char *s_ = joined(vm, facts);             \
		is_str(s_, want, __VA_ARGS__);            \
		free(s_);                                 \
	} while (0)

static const char debian_plain[] =
	"{\n    \"description\": \"UEFI firmware for x86_64, without Secure Boot without SMM, with empty varstore\",\n"
	"    \"interface-types\": [\n        \"uefi\"\n    ],\n    \"mapping\": {\n        \"device\": \"flash\",\n"
	"        \"executable\": {\n            \"filename\": \"/usr/share/OVMF/OVMF_CODE_4M.fd\",\n"
	"            \"format\": \"raw\"\n        },\n        \"nvram-template\": {\n"
	"            \"filename\": \"/usr/share/OVMF/OVMF_VARS_4M.fd\",\n            \"format\": \"raw\"\n        }\n"
	"    },\n    \"targets\": [\n        {\n            \"architecture\": \"x86_64\",\n"
	"            \"machines\": [\n                \"pc-i440fx-*\",\n                \"pc-q35-*\"\n            ]\n"
	"        }\n    ],\n    \"features\": [\n        \"acpi-s3\",\n        \"amd-sev\",\n"
	"        \"verbose-dynamic\"\n    ],\n    \"tags\": [\n\n    ]\n}\n";
static const char debian_enrolled[] =
	"{\n    \"description\": \"UEFI firmware for x86_64, with Secure Boot and SMM, SB enabled, MS certs enrolled\",\n"
	"    \"interface-types\": [\n        \"uefi\"\n    ],\n    \"mapping\": {\n        \"device\": \"flash\",\n"
	"        \"executable\": {\n            \"filename\": \"/usr/share/OVMF/OVMF_CODE_4M.ms.fd\",\n"
	"            \"format\": \"raw\"\n        },\n        \"nvram-template\": {\n"
	"            \"filename\": \"/usr/share/OVMF/OVMF_VARS_4M.ms.fd\",\n            \"format\": \"raw\"\n        }\n"
	"    },\n    \"targets\": [\n        {\n            \"architecture\": \"x86_64\",\n"
	"            \"machines\": [\n                \"pc-q35-*\"\n            ]\n        }\n    ],\n"
	"    \"features\": [\n        \"acpi-s3\",\n        \"amd-sev\",\n        \"enrolled-keys\",\n"
	"        \"requires-smm\",\n        \"secure-boot\",\n        \"verbose-dynamic\"\n    ],\n"
	"    \"tags\": [\n    ]\n}\n";
/* Fedora's edk2-ovmf: qcow2 images in /usr/share/edk2/ovmf, "mode" spelled out */
static const char fedora_qcow2_sb[] =
	"{\n    \"description\": \"OVMF with SB+SMM, SB enabled, MS certs enrolled\",\n"
	"    \"interface-types\": [\n        \"uefi\"\n    ],\n    \"mapping\": {\n        \"device\": \"flash\",\n"
	"        \"mode\" : \"split\",\n        \"executable\": {\n"
	"            \"filename\": \"/usr/share/edk2/ovmf/OVMF_CODE_4M.secboot.qcow2\",\n            \"format\": \"qcow2\"\n"
	"        },\n        \"nvram-template\": {\n"
	"            \"filename\": \"/usr/share/edk2/ovmf/OVMF_VARS_4M.secboot.qcow2\",\n            \"format\": \"qcow2\"\n"
	"        }\n    },\n    \"targets\": [\n        {\n            \"architecture\": \"x86_64\",\n"
	"            \"machines\": [\n                \"pc-q35-*\"\n            ]\n        }\n    ],\n"
	"    \"features\": [\n        \"acpi-s3\",\n        \"amd-sev\",\n        \"enrolled-keys\",\n"
	"        \"requires-smm\",\n        \"secure-boot\",\n        \"verbose-dynamic\"\n    ],\n    \"tags\": [\n\n    ]\n}\n";
static const char fedora_sev[] =
	"{\n    \"description\": \"OVMF with SEV-ES support\",\n    \"interface-types\": [\n        \"uefi\"\n    ],\n"
	"    \"mapping\": {\n        \"device\": \"flash\",\n        \"mode\": \"stateless\",\n        \"executable\": {\n"
	"            \"filename\": \"/usr/share/edk2/ovmf/OVMF.amdsev.fd\",\n            \"format\": \"raw\"\n        }\n"
	"    },\n    \"targets\": [\n        {\n            \"architecture\": \"x86_64\",\n"
	"            \"machines\": [\n                \"pc-q35-*\"\n            ]\n        }\n    ],\n"
	"    \"features\": [\n        \"amd-sev\",\n        \"amd-sev-es\",\n        \"verbose-dynamic\"\n    ],\n"
	"    \"tags\": [\n\n    ]\n}\n";

static void test_argv(void)
{
	struct pt_vm vm = { .name = "vm", .mem_mib = 2048, .cpus = 2 };
	struct pt_vm_facts tcg = { .qemu = "qemu-system-x86_64", .accel = "tcg" };
	struct pt_vm_facts kvm = { .qemu = "qemu-system-x86_64", .accel = "kvm" };
	struct pt_vm_firmware fw = { .code = "/usr/share/OVMF/OVMF_CODE_4M.fd", .code_format = "raw",
				     .vars = "/home/u/.local/state/passthru-utils/vm_VARS.fd", .vars_format = "raw",
				     .template_path = "/usr/share/OVMF/OVMF_VARS_4M.fd" };
	const char *disks[] = { "disk.qcow2", "/dev/sdb", "a,b.img" };
	const char *extra[] = { "-S", "-monitor", "stdio" };
	char id[16];

	IS_LINE(&vm, &tcg, "qemu-system-x86_64 -name vm -machine q35,accel=tcg -cpu max -smp 2 -m 2048 -display gtk",
		"nothing: a bare VM, TCG, gtk");
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -display gtk",
		"KVM: -cpu host");
	vm.display = "spice";
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 "
		"-display spice-app", "--display spice: spice-app");
	vm.display = "none";
	vm.disks = disks;
	vm.ndisks = 3;
	vm.cdrom = "/iso/Win 11.iso";
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -display none "
		"-drive if=virtio,media=disk,format=qcow2,file=disk.qcow2 -drive if=virtio,media=disk,format=raw,file=/dev/sdb "
		"-drive if=virtio,media=disk,format=raw,file=a,,b.img "
		"-drive 'if=ide,media=cdrom,readonly=on,format=raw,file=/iso/Win 11.iso'",
		"disks by extension, commas doubled for QEMU, a CD-ROM, quoted");
	vm.ndisks = 0;
	vm.cdrom = NULL;
	vm.hugepage_kib = 2048;
	vm.mem_mib = 16384;
	vm.cpus = 8;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm,memory-backend=mem0 -cpu host -smp 8 "
		"-m 16384 -object memory-backend-memfd,id=mem0,size=16384M,hugetlb=on,hugetlbsize=2M,prealloc=on "
		"-display none", "huge pages of 2 MiB: a memfd backend");
	vm.hugepage_kib = 1024 * 1024;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm,memory-backend=mem0 -cpu host -smp 8 "
		"-m 16384 -object memory-backend-memfd,id=mem0,size=16384M,hugetlb=on,hugetlbsize=1024M,prealloc=on "
		"-display none", "huge pages of 1 GiB");
	vm.hugepage_kib = 0;
	vm.mem_mib = 2048;
	vm.cpus = 2;
	vm.uefi = true;
	kvm.fw = &fw;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 "
		"-drive if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd "
		"-drive if=pflash,unit=1,format=raw,file=/home/u/.local/state/passthru-utils/vm_VARS.fd -display none",
		"UEFI: the code read-only, the VM's own variables");
	fw.requires_smm = true;
	snprintf(fw.code_format, sizeof(fw.code_format), "qcow2");
	snprintf(fw.vars_format, sizeof(fw.vars_format), "qcow2");
	vm.mmio64_mib = 65536;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm,smm=on -cpu host -smp 2 -m 2048 "
		"-global driver=cfi.pflash01,property=secure,value=on "
		"-drive if=pflash,unit=0,format=qcow2,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd "
		"-drive if=pflash,unit=1,format=qcow2,file=/home/u/.local/state/passthru-utils/vm_VARS.fd "
		"-fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=65536 -display none",
		"Secure Boot firmware: SMM and a secure flash; qcow2; a larger 64-bit MMIO window");
	fw.vars[0] = '\0';
	fw.requires_smm = false;
	vm.mmio64_mib = 0;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 "
		"-drive if=pflash,unit=0,format=qcow2,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -display none",
		"stateless firmware: no variable store");
	vm.uefi = false;
	vm.mmio64_mib = 65536;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -display none",
		"no fw_cfg without UEFI");
	vm.mmio64_mib = 0;

	/* a GPU with its audio function, a plain device, an mdev */
	vm.display = NULL;
	vm.devs[0] = (struct pt_vm_dev){ .kind = PT_VM_DEV_GPU, .host = "0000:01:00.0", .slot = 0, .fn = 0,
					 .multifunction = true, .romfile = "/roms/my gpu.rom", .primary = true };
	vm.devs[1] = (struct pt_vm_dev){ .kind = PT_VM_DEV_GPUFN, .host = "0000:01:00.1", .slot = 0, .fn = 1 };
	vm.devs[2] = (struct pt_vm_dev){ .kind = PT_VM_DEV_PLAIN, .host = "0000:03:00.0", .slot = 1 };
	vm.devs[3] = (struct pt_vm_dev){ .kind = PT_VM_DEV_MDEV, .host = "4b20d080-1b54-4048-85b3-a6a62d165c01",
					 .slot = 2 };
	vm.ndevs = 4;
	vm.qmp = "/run/vm,1.sock";
	vm.extra = extra;
	vm.nextra = 3;
	IS_LINE(&vm, &kvm, "qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -display none "
		"-vga none -qmp unix:/run/vm,,1.sock,server=on,wait=off "
		"-device pcie-root-port,id=rp0,chassis=1 "
		"-device 'vfio-pci,host=0000:01:00.0,id=hostdev0,bus=rp0,addr=00.0,multifunction=on,x-vga=on,romfile=/roms/my gpu.rom' "
		"-device vfio-pci,host=0000:01:00.1,id=hostdev1,bus=rp0,addr=00.1 "
		"-device pcie-root-port,id=rp1,chassis=2 -device vfio-pci,host=0000:03:00.0,id=hostdev2,bus=rp1,addr=00.0 "
		"-device pcie-root-port,id=rp2,chassis=3 "
		"-device vfio-pci,sysfsdev=/sys/bus/mdev/devices/4b20d080-1b54-4048-85b3-a6a62d165c01,id=mdev0,bus=rp2,addr=00.0 "
		"-S -monitor stdio",
		"a GPU's functions at one multifunction slot, x-vga, a ROM; a device; an mdev; QMP; QEMU's own args last");
	pt_vm_dev_id(&vm, 2, id, sizeof(id));
	is_str(id, "hostdev2", "qdev ids count PCI devices");
	pt_vm_dev_id(&vm, 3, id, sizeof(id));
	is_str(id, "mdev0", "and mdevs apart");

	tcg.qemu = "/opt/qemu build/bin/qemu-system-x86_64";
	vm.ndevs = 0;
	vm.nextra = 0;
	vm.qmp = NULL;
	IS_LINE(&vm, &tcg, "'/opt/qemu build/bin/qemu-system-x86_64' -name vm -machine q35,accel=tcg -cpu max -smp 2 "
		"-m 2048 -display gtk", "--qemu with a blank: quoted");
}

static void test_quote(void)
{
	static const struct { const char *in, *out; } q[] = {
		{ "plain", "plain" }, { "", "''" }, { "a b", "'a b'" }, { "it's", "'it'\\''s'" },
		{ "$HOME", "'$HOME'" }, { "a;b", "'a;b'" }, { "*", "'*'" }, { "~", "'~'" },
		{ "x=1,y=2", "x=1,y=2" }, { "a\nb", "'a\nb'" }, { "\"", "'\"'" }, { "\\", "'\\'" },
		{ "`id`", "'`id`'" }, { "-device", "-device" }, { "/p/a:b@c%d+e", "/p/a:b@c%d+e" },
	};
	char *argv[] = { "A=b", "x" };
	char *s;

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		s = pt_shell_quote(q[i].in);
		is_str(s, q[i].out, "quote %zu", i);
		free(s);
	}
	s = pt_shell_join(argv, 2);
	is_str(s, "'A=b' x", "a first word with '=' is quoted: not an assignment");
	free(s);
}

static void test_sizes(void)
{
	unsigned long long m = 0;
	unsigned long k = 0;

	ok(pt_vm_parse_mib("16G", &m) && m == 16384, "16G");
	ok(pt_vm_parse_mib("512M", &m) && m == 512, "512M");
	ok(pt_vm_parse_mib("2048", &m) && m == 2048, "2048 is MiB");
	ok(pt_vm_parse_mib("1T", &m) && m == 1048576, "1T");
	ok(pt_vm_parse_mib("4GiB", &m) && m == 4096, "4GiB");
	ok(!pt_vm_parse_mib("0", &m) && !pt_vm_parse_mib("", &m) && !pt_vm_parse_mib("G", &m) &&
	   !pt_vm_parse_mib("1.5G", &m) && !pt_vm_parse_mib("-1G", &m) && !pt_vm_parse_mib("512K", &m) &&
	   !pt_vm_parse_mib("99999999999999999999G", &m) && !pt_vm_parse_mib("2P", &m) && !pt_vm_parse_mib("8 G", &m),
	   "zero, empty, fractions, negatives, sub-MiB, overflow, unknown units refused");
	ok(pt_vm_parse_hugepage("2M", &k) && k == 2048, "2M pages");
	ok(pt_vm_parse_hugepage("1G", &k) && k == 1048576, "1G pages");
	ok(pt_vm_parse_hugepage("2048kB", &k) && k == 2048, "2048kB as sysfs spells it");
	ok(!pt_vm_parse_hugepage("3M", &k) && !pt_vm_parse_hugepage("2", &k) && !pt_vm_parse_hugepage("32G", &k),
	   "not a power of two, 2 KiB, 32G refused");
	ok(pt_vm_name_ok("win11") && pt_vm_name_ok("a.b_c-d"), "names");
	ok(!pt_vm_name_ok("") && !pt_vm_name_ok("..") && !pt_vm_name_ok("a/b") && !pt_vm_name_ok("a b") &&
	   !pt_vm_name_ok("a,b"), "no paths, blanks, commas");
}

static void test_profile(void)
{
	int argc = 0;
	char **argv = NULL, err[256];
	int rc;

	rc = pt_vm_profile_argv("# a gaming VM\n\n  --gpu 01:00.0\n--romfile \"/roms/my gpu.rom\"\r\n"
				"\t# indented comment\n--mem=16G --cpus 8\n--name 'win 11'\n--device\\ x\n",
				NULL, &argc, &argv, err, sizeof(err));
	ok(rc == 0, "a profile parses (%s)", rc ? err : "");
	ok(argc == 10, "into 10 words (%d)", argc);
	if (argc == 10) {
		is_str(argv[9], "--device x", "a backslash keeps a blank");
		is_str(argv[0], "--gpu", "word 0");
		is_str(argv[3], "/roms/my gpu.rom", "double quotes as popt reads them, CR dropped");
		is_str(argv[4], "--mem=16G", "--opt=value kept");
		is_str(argv[8], "win 11", "single quotes");
	}
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	argc = 0;
	argv = NULL;
	rc = pt_vm_profile_argv("--mem 4G\n--device 01:00.0\n--device 02:00.0\n", NULL, &argc, &argv, err, sizeof(err));
	ok(rc == 0 && argc == 6, "repeatable options, one a line");
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	static const struct { const char *text, *err; } bad[] = {
		{ "--mem 4G\ndisk.qcow2\n", "line 2: 'disk.qcow2' is not an option" },
		{ "--profile other\n", "line 1: --profile is not allowed in a profile" },
		{ "--mem 4G -- -S\n", "line 1: -- is not allowed in a profile" },
		{ "--name \"unterminated\n", "line 1: an unterminated \" quote" },
		{ "--name a\x1b[2J\n", "line 1: a control character" },
		{ "-\n", "line 1: '-' is not an option" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argc = 0;
		argv = NULL;
		rc = pt_vm_profile_argv(bad[i].text, NULL, &argc, &argv, err, sizeof(err));
		ok(rc < 0 && strncmp(err, bad[i].err, strlen(bad[i].err)) == 0, "bad profile %zu: %s", i, err);
		for (int k = 0; k < argc; k++)
			free(argv[k]);
		free(argv);
	}
}

static void test_firmware(void)
{
	struct pt_fw_desc d;
	char err[256], why[256];

	ok(pt_fw_desc_parse(debian_plain, strlen(debian_plain), &d, err, sizeof(err)) == 0, "Debian 60-edk2-x86_64.json");
	is_str(d.code, "/usr/share/OVMF/OVMF_CODE_4M.fd", "its code");
	is_str(d.vars, "/usr/share/OVMF/OVMF_VARS_4M.fd", "its variable template");
	is_str(d.mode, "split", "mode defaults to split");
	ok(d.uefi && d.x86_64 && d.q35 && !pt_fw_has_feature(&d, "secure-boot") && pt_fw_has_feature(&d, "amd-sev"),
	   "uefi, x86_64, pc-q35-*, no Secure Boot");
	ok(pt_fw_rank(&d, false, why, sizeof(why)) == 0, "best without Secure Boot");
	ok(pt_fw_rank(&d, true, why, sizeof(why)) < 0 && strcmp(why, "no Secure Boot") == 0, "unusable with it");

	ok(pt_fw_desc_parse(debian_enrolled, strlen(debian_enrolled), &d, err, sizeof(err)) == 0,
	   "Debian 40-edk2-x86_64-secure-enrolled.json");
	ok(pt_fw_has_feature(&d, "requires-smm") && pt_fw_has_feature(&d, "enrolled-keys"), "SMM, enrolled keys");
	ok(pt_fw_rank(&d, false, why, sizeof(why)) == 2, "second choice without Secure Boot asked");
	ok(pt_fw_rank(&d, true, why, sizeof(why)) == 0, "first with it");

	ok(pt_fw_desc_parse(fedora_qcow2_sb, strlen(fedora_qcow2_sb), &d, err, sizeof(err)) == 0,
	   "Fedora's qcow2 Secure Boot descriptor (\"mode\" : with a blank)");
	is_str(d.code_format, "qcow2", "qcow2 code");
	is_str(d.vars_format, "qcow2", "qcow2 variables");
	is_str(d.code, "/usr/share/edk2/ovmf/OVMF_CODE_4M.secboot.qcow2", "Fedora's path");
	ok(pt_fw_rank(&d, true, why, sizeof(why)) == 0, "usable");

	ok(pt_fw_desc_parse(fedora_sev, strlen(fedora_sev), &d, err, sizeof(err)) == 0, "Fedora's SEV-ES descriptor");
	ok(pt_fw_rank(&d, false, why, sizeof(why)) < 0 && strcmp(why, "for confidential guests") == 0,
	   "not for an ordinary guest");

	static const char *const bad[] = {
		"", "[]", "{", "{\"mapping\": 1}", "{\"a\": tru}", "{\"a\": \"\\ud800\"}", "{\"a\": \"x\\u0000\"}",
		"{\"a\": 1} x", "{\"a\" 1}", "{\"a\": \"\x01\"}", "{\"a\": [1,]}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(pt_fw_desc_parse(bad[i], strlen(bad[i]), &d, err, sizeof(err)) < 0, "malformed %zu refused: %s", i, err);
	const char esc[] = "{\"description\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\/\", \"mapping\": {\"device\": "
			   "\"flash\"}}";
	ok(pt_fw_desc_parse(esc, strlen(esc), &d, err, sizeof(err)) == 0, "escapes decode");
	is_str(d.description, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" /", "to UTF-8");
	/* not NUL-terminated: the reader stops at len */
	char trunc[] = "{\"mapping\": {\"device\": \"flash\"}}XXXX";
	ok(pt_fw_desc_parse(trunc, strlen(trunc) - 4, &d, err, sizeof(err)) == 0, "bounded by len, not NUL");
}

static void test_host_text(void)
{
	unsigned long long size[6], start[6];
	bool m64[6];
	const char res[] = "0x00000000de000000 0x00000000deffffff 0x0000000000040200\n"
			   "0x0000006000000000 0x00000067ffffffff 0x000000000014220c\n"
			   "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			   "0x00000000b0000000 0x00000000b1ffffff 0x000000000014220c\n"
			   "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			   "0x000000000000e000 0x000000000000e07f 0x0000000000040101\n"
			   "0x00000000df000000 0x00000000df07ffff 0x0000000000046200\n";
	unsigned long long bars[2];
	rlim_t soft;

	ok(pt_parse_resource(res, size, start, m64) == 6, "six BARs read");
	ok(size[0] == 0x1000000 && !m64[0], "BAR 0: 16 MiB, 32-bit");
	ok(size[1] == 0x800000000ULL && m64[1] && start[1] == 0x6000000000ULL, "BAR 1: 32 GiB, 64-bit");
	ok(size[2] == 0 && size[5] == 0x80 && !m64[5], "an empty BAR; an I/O BAR");
	bars[0] = size[1];
	bars[1] = size[3];
	ok(pt_mmio64_window_mib(bars, 2) == 65536, "32 GiB + 32 MiB need a 64 GiB window (%llu)",
	   pt_mmio64_window_mib(bars, 2));
	bars[0] = 256ULL << 20;
	ok(pt_mmio64_window_mib(bars, 1) == 0, "256 MiB fits OVMF's default");
	bars[0] = 16ULL << 30;
	ok(pt_mmio64_window_mib(bars, 1) == 32768 || pt_mmio64_window_mib(bars, 1) == 0, "16 GiB: the default");
	ok(pt_mmio64_window_mib(NULL, 0) == 0, "no BARs: the default");
	ok(pt_limits_memlock("Limit                     Soft Limit           Hard Limit           Units\n"
			     "Max locked memory         8388608              8388608              bytes\n", &soft) &&
	   soft == 8388608, "limits: 8 MiB");
	ok(pt_limits_memlock("Max locked memory         unlimited            unlimited            bytes\n", &soft) &&
	   soft == RLIM_INFINITY, "limits: unlimited");
	ok(!pt_limits_memlock("Max open files 1024 1024 files\n", &soft), "limits: no memlock line");
}

static void test_libvirt(void)
{
	struct pt_vm vm = { .name = "gaming", .mem_mib = 16384, .cpus = 8, .hugepage_kib = 1048576, .uefi = true };
	struct pt_vm_firmware fw = { .code = "/usr/share/OVMF/OVMF_CODE_4M.fd", .code_format = "raw",
				     .vars = "/var/lib/x/gaming_VARS.fd", .vars_format = "raw",
				     .template_path = "/usr/share/OVMF/OVMF_VARS_4M.fd" };
	const char *disks[] = { "/vm/a&b.qcow2" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	vm.devs[0] = (struct pt_vm_dev){ .kind = PT_VM_DEV_GPU, .host = "0000:01:00.0", .slot = 0, .fn = 0,
					 .multifunction = true, .romfile = "/roms/gpu.rom" };
	vm.devs[1] = (struct pt_vm_dev){ .kind = PT_VM_DEV_GPUFN, .host = "0000:01:00.1", .slot = 0, .fn = 1 };
	vm.ndevs = 2;
	vm.disks = disks;
	vm.ndisks = 1;
	vm.mmio64_mib = 65536;
	pt_libvirt_domain(f, &vm, &fw, "kvm");
	fclose(f);
	ok(strstr(buf, "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  <name>gaming</name>\n") != NULL,
	   "a kvm domain named gaming");
	ok(strstr(buf, "<page size='1048576' unit='KiB'/>") != NULL, "1 GiB pages");
	ok(strstr(buf, "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
			"    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/x/gaming_VARS.fd</nvram>") != NULL,
	   "OVMF loader and the VM's NVRAM");
	ok(strstr(buf, "<source file='/vm/a&amp;b.qcow2'/>") != NULL, "an & in a path escaped");
	ok(strstr(buf, "<hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n"
			"        <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n      </source>\n"
			"      <rom file='/roms/gpu.rom'/>\n"
			"      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0' multifunction='on'/>") != NULL,
	   "the GPU: managed, its ROM, function 0 multifunction");
	ok(strstr(buf, "bus='0x01' slot='0x00' function='0x1'/>\n    </hostdev>") != NULL, "its audio at function 1");
	ok(strstr(buf, "<qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=65536'/>") != NULL, "the MMIO window");
	free(buf);
}

int main(void)
{
	test_argv();
	test_quote();
	test_sizes();
	test_profile();
	test_firmware();
	test_host_text();
	test_libvirt();
		{ /* with the command's option table: one option and its value a line */
		int argc, rc;
		char **argv, err[256];
		static char *sv;
		static int iv;
		static struct poptOption tab[] = {
			{ "name", '\0', POPT_ARG_STRING, &sv, 0, NULL, NULL },
			{ "cdrom", '\0', POPT_ARG_STRING, &sv, 0, NULL, NULL },
			{ "uefi", '\0', POPT_ARG_NONE, &iv, 0, NULL, NULL },
			{ "json", 'J', POPT_ARG_NONE, &iv, 0, NULL, NULL },
			POPT_TABLEEND
		};
		static const struct { const char *text, *want; } t[] = {
			{ "--name\n", "line 1: --name needs a value" },
			{ "--name vm\n--cdrom \"\"\n", "line 2: --cdrom needs a value" },
			{ "--name=\n", "line 1: --name needs a value" },
			{ "--uefi=1\n", "line 1: --uefi takes no value" },
			{ "--uefi x.img\n", "line 1: 'x.img' after --uefi: one option (and its value) a line" },
			{ "--name vm disk.img\n", "line 1: 'disk.img' after --name: one option (and its value) a line" },
			{ "--bogus 1\n", "line 1: --bogus: unknown option" },
		};
		for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
			argc = 0;
			argv = NULL;
			rc = pt_vm_profile_argv(t[k].text, tab, &argc, &argv, err, sizeof(err));
			ok(rc < 0 && strcmp(err, t[k].want) == 0, "profile line refused: %s", t[k].want);
			if (rc == 0 || strcmp(err, t[k].want) != 0)
				printf("# got: %s\n", rc < 0 ? err : "accepted");
			for (int i = 0; i < argc; i++)
				free(argv[i]);
			free(argv);
		}
		argc = 0;
		argv = NULL;
		rc = pt_vm_profile_argv("--uefi # firmware too\n--name=vm\n-J\n--cdrom '/iso/a b.iso'\n", tab, &argc, &argv,
					err, sizeof(err));
		ok(rc == 0 && argc == 5 && strcmp(argv[0], "--uefi") == 0 && strcmp(argv[1], "--name=vm") == 0 &&
		   strcmp(argv[4], "/iso/a b.iso") == 0, "a comment after an option, --opt=value, a short option");
		for (int i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
	}
	return tap_done();
}

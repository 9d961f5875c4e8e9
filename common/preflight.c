#include "preflight.h"
#include "handover.h"
#include "mdev.h"
#include "hostuse.h"
#include "msg.h"
#include "reset.h"
#include "rom.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define IORESOURCE_MEM_64 0x00100000UL
#define OVMF_MMIO64_DEFAULT_MIB 32768ULL /* PcdPciMmio64Size, OvmfPkg/OvmfPkgX64.dsc */

size_t pt_parse_resource(const char *text, unsigned long long size[6], unsigned long long start[6], bool mem64[6])
{
	size_t n = 0;
	const char *p = text;

	for (int i = 0; i < 6; i++) {
		size[i] = start[i] = 0;
		mem64[i] = false;
	}
	while (p && *p && n < 6) {
		unsigned long long s, e, fl;
		char *end;

		s = strtoull(p, &end, 16);
		if (end == p)
			break;
		p = end;
		e = strtoull(p, &end, 16);
		if (end == p)
			break;
		p = end;
		fl = strtoull(p, &end, 16);
		if (end == p)
			break;
		p = end;
		if (e > s || (e == s && s)) {
			size[n] = e - s + 1;
			start[n] = s;
		}
		mem64[n] = (fl & 0x200) && (fl & IORESOURCE_MEM_64);
		n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

bool pt_limits_memlock(const char *text, rlim_t *soft)
{
	const char *p = strstr(text, "\nMax locked memory");

	if (!p && strncmp(text, "Max locked memory", 17) == 0)
		p = text;
	else if (p)
		p++;
	if (!p)
		return false;
	p += 17;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "unlimited", 9) == 0 && (p[9] == ' ' || p[9] == '\t')) {
		*soft = RLIM_INFINITY;
		return true;
	}
	if (*p < '0' || *p > '9')
		return false;
	*soft = (rlim_t)strtoull(p, NULL, 10);
	return true;
}

unsigned long long pt_mmio64_window_mib(const unsigned long long *bars, size_t n)
{
	unsigned long long total = 0, w = 1;

	for (size_t i = 0; i < n; i++) {
		unsigned long long b = bars[i] < (1ULL << 20) ? (1ULL << 20) : bars[i];

		if (total > (1ULL << 50) - b)
			return 1ULL << 30; /* beyond anything: the largest window */
		total += b;
	}
	/* room for the BARs, each aligned to its size, plus what the
	 * guest's other devices place there: the next power of two above */
	while (w <= total / (1ULL << 20))
		w <<= 1;
	return w <= OVMF_MMIO64_DEFAULT_MIB ? 0 : w;
}

static void fail(struct pt_preflight *p, struct pt_findings *f, int code, const char *check, const char *msg)
{
	pt_findings_add(f, PT_ST_FAIL, check, "%s", msg);
	if (code == PT_EXIT_UNSUPPORTED || p->code == PT_EXIT_OK)
		p->code = code;
}

static bool requested(const struct pt_preflight *p, const struct pt_dev *d)
{
	for (size_t i = 0; i < p->ndevs; i++)
		if (p->devs[i] == d)
			return true;
	return false;
}

/* The kernel's rule (drivers/iommu/iommu.c iommu_group_claim_dma_owner):
 * VFIO gets a group only when no device in it, bridges included, is bound
 * to a driver that does its own DMA. */
static void check_groups(struct pt_preflight *p, struct pt_findings *f)
{
	char msg[2048];
	int done[PT_VM_MAX_DEVS * 2];
	size_t ndone = 0;

	for (size_t i = 0; i < p->ndevs; i++) {
		const struct pt_dev *d = p->devs[i];
		struct pt_group *g;
		size_t idx, len = 0;
		bool bad = false, seen = false;

		if (d->group < 0) {
			snprintf(msg, sizeof(msg), "%s is in no IOMMU group: the host has no IOMMU on (see iommu-groups "
				 "--check)", d->name);
			fail(p, f, PT_EXIT_UNSUPPORTED, "group", msg);
			continue;
		}
		if (pt_vgpu_capable(d->name)) {
			/* vGPU 17 and later: the VF stays on nvidia, which gives QEMU its VFIO device */
			long t = pt_vgpu_current(d->name);

			if (t > 0) {
				pt_findings_add(f, PT_ST_OK, "group", "%s is an NVIDIA vGPU VF with vGPU type %ld: passed "
						"as it is, on %s", d->name, t, d->driver ? d->driver : "no driver");
			} else {
				snprintf(msg, sizeof(msg), "%s is an NVIDIA vGPU VF without a vGPU type: give it one first "
					 "(vgpu-split --vgpu-type ID %s; --list-types shows them)", d->name, d->name);
				fail(p, f, PT_EXIT_REFUSED, "group", msg);
			}
			continue;
		}
		if (!p->managed && !(d->driver && strcmp(d->driver, "vfio-pci") == 0)) {
			snprintf(msg, sizeof(msg), "%s is on %s, not vfio-pci: bind it first (vfio-bind --group %s) or "
				 "let vm-run do it (--managed)", d->name, d->driver ? d->driver : "no driver", d->name);
			fail(p, f, PT_EXIT_REFUSED, "group", msg);
		}
		for (size_t k = 0; k < ndone; k++)
			seen |= done[k] == d->group;
		if (seen || !(g = pt_group_of(p->groups, p->ngroups, d, &idx)))
			continue;
		if (ndone < sizeof(done) / sizeof(done[0]))
			done[ndone++] = d->group;
		msg[0] = '\0';
		for (size_t k = 0; k < g->ndevs; k++) {
			const struct pt_dev *o = g->devs[k];
			int n;

			if (requested(p, o) || !o->driver || pt_driver_manages_dma(o->driver))
				continue;
			n = snprintf(msg + len, sizeof(msg) - len, "%s%s (%s)", bad ? ", " : "", o->name, o->driver);
			if (n > 0 && len + (size_t)n < sizeof(msg))
				len += (size_t)n;
			bad = true;
		}
		if (bad) {
			char full[2600];

			snprintf(full, sizeof(full), "IOMMU group %d of %s is not viable: it also holds %s, on host "
				 "drivers; VFIO takes a group whole: pass them too (--device), or bind them to vfio-pci "
				 "(vfio-bind --group %s)", g->number, d->name, msg, d->name);
			fail(p, f, PT_EXIT_REFUSED, "group", full);
		} else {
			pt_findings_add(f, PT_ST_OK, "group", "IOMMU group %d of %s is viable (%zu device%s)", g->number,
					d->name, g->ndevs, g->ndevs == 1 ? "" : "s");
		}
	}
}

static void check_host_use(struct pt_preflight *p, struct pt_findings *f)
{
	for (size_t i = 0; i < p->ndevs; i++) {
		char why[2048], users[512];
		const struct pt_dev *d = p->devs[i];

		if (pt_dev_vm_users(d, users, sizeof(users)) > 0) {
			snprintf(why, sizeof(why), "%s is held by a running VM: %s; stop it first", d->name, users);
			fail(p, f, PT_EXIT_REFUSED, "vm-users", why);
		}
		if ((d->driver && strcmp(d->driver, "vfio-pci") == 0) || pt_vgpu_capable(d->name))
			continue;
		why[0] = '\0';
		/* --managed hands the boot display over (handover.h): its users are the question */
		const struct pt_dev *gpu = p->managed ? pt_boot_display_slot(p->h, d) : NULL;

		if (gpu == d) {
			struct pt_handover ho;

			pt_handover_survey(gpu, &ho);
			if (pt_handover_users(gpu, &ho, users, sizeof(users)) > 0) {
				snprintf(why, sizeof(why), "%s is the boot display and its display is open by %s; stop "
					 "them first (the desktop session, nvidia-persistenced)", d->name, users);
				fail(p, f, PT_EXIT_REFUSED, "handover", why);
			} else {
				pt_findings_add(f, PT_ST_INFO, "handover", "%s is the boot display: vm-run hands it over "
						"(%zu console%s%s%s released) and back when the VM stops", d->name, ho.ncons,
						ho.ncons == 1 ? "" : "s", ho.fbdev[0] ? ", framebuffer " : "", ho.fbdev);
			}
			why[0] = '\0';
		}
		if (pt_dev_host_use(p->h, d, gpu ? PT_OP_HANDOVER : PT_OP_TAKE, why, sizeof(why)) != PT_USE_NONE) {
			char msg[2200];

			snprintf(msg, sizeof(msg), "%s; the host would lose it (vfio-bind --force takes it anyway)", why);
			fail(p, f, PT_EXIT_REFUSED, "host-use", msg);
		}
	}
}

/* Every --mdev: there, and no other VM holds it. */
static void check_mdevs(struct pt_preflight *p, struct pt_findings *f)
{
	for (size_t i = 0; i < p->vm->ndevs; i++) {
		const struct pt_vm_dev *v = &p->vm->devs[i];
		struct pt_mdev m;
		char msg[1024], users[512];

		if (v->kind != PT_VM_DEV_MDEV)
			continue;
		if (!pt_mdev_get(v->host, &m)) {
			snprintf(msg, sizeof(msg), "no mdev %s on this host (vgpu-split --create TYPE PARENT makes one; "
				 "vgpu-split --list shows them)", v->host);
			fail(p, f, PT_EXIT_FAIL, "mdev", msg);
			continue;
		}
		if (pt_mdev_vm_users(&m, users, sizeof(users)) > 0) {
			snprintf(msg, sizeof(msg), "mdev %s is held by a running VM: %s; stop it first", v->host, users);
			fail(p, f, PT_EXIT_REFUSED, "vm-users", msg);
			continue;
		}
		pt_findings_add(f, PT_ST_OK, "mdev", "mdev %s: %s on %s", v->host, m.type, m.parent);
	}
}

static unsigned long long bars_of(const struct pt_dev *d, unsigned long long *mem64, size_t *n64)
{
	char *text = NULL;
	unsigned long long size[6], start[6], total = 0;
	bool m64[6];

	if (pt_read_file(&text, 8192, "/sys/bus/pci/devices/%s/resource", d->name) < 0)
		return 0;
	pt_parse_resource(text, size, start, m64);
	free(text);
	for (int i = 0; i < 6; i++) {
		total += size[i];
		if (m64[i] && size[i] && mem64)
			mem64[(*n64)++] = size[i];
	}
	return total;
}

static void human(unsigned long long kib, char *buf, size_t len)
{
	if (kib >= 1024 * 1024 && kib % (1024 * 1024) == 0)
		snprintf(buf, len, "%llu GiB", kib / (1024 * 1024));
	else if (kib >= 1024)
		snprintf(buf, len, "%llu MiB", (kib + 1023) / 1024);
	else
		snprintf(buf, len, "%llu KiB", kib);
}

static void check_memlock(struct pt_preflight *p, struct pt_findings *f, unsigned long long bars)
{
	struct rlimit rl;
	unsigned long long need = p->vm->mem_mib * 1024 + (bars + 1023) / 1024;
	char hn[32], hh[32], msg[1024];

	p->need_lock_kib = need;
	human(need, hn, sizeof(hn));
	if (p->ndevs == 0 && p->vm->ndevs == 0)
		return;
	if (!pt_sysroot_live()) {
		/* a recorded host: the limit it recorded, of its shell */
		char *text = NULL;

		if (pt_read_file(&text, 16384, "/proc/self/limits") < 0 ||
		    !pt_limits_memlock(text, &rl.rlim_cur)) {
			free(text);
			pt_findings_add(f, PT_ST_INFO, "memlock", "a recorded host without /proc/self/limits: the memory "
					"lock limit (%s needed) is not checked", hn);
			return;
		}
		free(text);
		rl.rlim_max = rl.rlim_cur;
	} else if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
		return;
	}
	/* vfio_iommu_type1 does not count pins against CAP_IPC_LOCK (vfio_lock_acct) */
	if (pt_sysroot_live() && geteuid() == 0) {
		pt_findings_add(f, PT_ST_OK, "memlock", "running as root (CAP_IPC_LOCK): the memory lock limit does not "
				"apply to the %s VFIO pins", hn);
		return;
	}
	if (p->raise_memlock && (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 1024 < need)) {
		struct rlimit nl = { need * 1024, rl.rlim_max == RLIM_INFINITY || rl.rlim_max / 1024 < need ?
			need * 1024 : rl.rlim_max };

		if (rl.rlim_cur != RLIM_INFINITY && setrlimit(RLIMIT_MEMLOCK, &nl) < 0) {
			snprintf(msg, sizeof(msg), "--memlock: cannot raise the memory lock limit to %s: %s (it takes "
				 "root)", hn, strerror(errno));
			fail(p, f, PT_EXIT_REFUSED, "memlock", msg);
			return;
		}
		if (rl.rlim_cur != RLIM_INFINITY) {
			pt_findings_add(f, PT_ST_OK, "memlock", "memory lock limit raised to %s (--memlock)", hn);
			return;
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY) {
		pt_findings_add(f, PT_ST_OK, "memlock", "memory lock limit: unlimited (%s needed: guest RAM and BARs)",
				hn);
		return;
	}
	human(rl.rlim_cur / 1024, hh, sizeof(hh));
	if (rl.rlim_cur / 1024 >= need) {
		pt_findings_add(f, PT_ST_OK, "memlock", "memory lock limit %s holds the %s VFIO pins (guest RAM and BARs)",
				hh, hn);
		return;
	}
	snprintf(msg, sizeof(msg), "memory lock limit %s is below the %s VFIO must pin (guest RAM and BARs): QEMU "
		 "would fail to map the guest's memory; raise it: 'ulimit -l %llu' (in KiB, as root), a memlock line in "
		 "/etc/security/limits.conf, LimitMEMLOCK= in a systemd unit, or --memlock as root", hh, hn, need);
	fail(p, f, PT_EXIT_REFUSED, "memlock", msg);
}

static void check_hugepages(struct pt_preflight *p, struct pt_findings *f)
{
	unsigned long kib = p->vm->hugepage_kib, freep;
	unsigned long long need;
	char msg[512], hs[32];
	int rc;

	if (!kib)
		return;
	human(kib, hs, sizeof(hs));
	need = (p->vm->mem_mib * 1024 + kib - 1) / kib;
	{
		char t[32], *end;

		rc = pt_read_text(t, sizeof(t), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kib);
		if (rc >= 0) {
			freep = strtoul(t, &end, 10);
			if (end == t || *end)
				rc = -EINVAL;
		}
	}
	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "this host has no %s huge pages (/sys/kernel/mm/hugepages/hugepages-%lukB)",
			 hs, kib);
		fail(p, f, PT_EXIT_UNSUPPORTED, "hugepages", msg);
		return;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "cannot read free %s huge pages: %s", hs, strerror(-rc));
		fail(p, f, PT_EXIT_FAIL, "hugepages", msg);
		return;
	}
	if (freep >= need) {
		pt_findings_add(f, PT_ST_OK, "hugepages", "%lu free %s huge pages, %llu needed", freep, hs, need);
		return;
	}
	snprintf(msg, sizeof(msg), "%lu free %s huge pages, %llu needed for %llu MiB: reserve more (echo %llu > "
		 "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages, or hugepages= on the kernel command line)",
		 freep, hs, need, p->vm->mem_mib, need, kib);
	fail(p, f, PT_EXIT_REFUSED, "hugepages", msg);
}

static void check_romfile(struct pt_preflight *p, struct pt_findings *f, const struct pt_dev *d, const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	size_t len;
	struct pt_rom rom = { 0 };
	char msg[1024];
	bool match = false;

	if (!fp) {
		snprintf(msg, sizeof(msg), "--romfile %s for %s: %s", path, d->name, strerror(errno));
		fail(p, f, PT_EXIT_REFUSED, "romfile", msg);
		return;
	}
	buf = pt_xmalloc(16 << 20);
	len = fread(buf, 1, 16 << 20, fp);
	fclose(fp);
	rom.cap = pt_rom_capacity(len);
	rom.img = pt_xcalloc(rom.cap + 1, sizeof(*rom.img));
	pt_rom_parse(buf, len, &rom);
	for (size_t i = 0; i < rom.nimages; i++) {
		if (rom.img[i].vendor != d->vendor)
			continue;
		match |= rom.img[i].device == d->device;
		for (unsigned k = 0; k < rom.img[i].ndevice_ids && k < PT_ROM_MAX_DEVICE_IDS; k++)
			match |= rom.img[i].device_ids[k] == d->device;
	}
	if (rom.verdict == PT_ROM_DAMAGED || rom.verdict == PT_ROM_NO_IMAGE) {
		snprintf(msg, sizeof(msg), "--romfile %s for %s is %s: %s (vgarom-dump --fix repairs what can be)", path,
			 d->name, pt_rom_verdict_name(rom.verdict), rom.problem);
		fail(p, f, PT_EXIT_REFUSED, "romfile", msg);
	} else if (!match) {
		snprintf(msg, sizeof(msg), "--romfile %s is for %04x:%04x, not %s's %04x:%04x", path,
			 rom.nimages ? rom.img[0].vendor : 0, rom.nimages ? rom.img[0].device : 0, d->name, d->vendor,
			 d->device);
		fail(p, f, PT_EXIT_REFUSED, "romfile", msg);
	} else {
		pt_findings_add(f, PT_ST_OK, "romfile", "--romfile %s for %s: %s, %zu image%s, %04x:%04x", path, d->name,
				pt_rom_verdict_name(rom.verdict), rom.nimages, rom.nimages == 1 ? "" : "s", d->vendor,
				d->device);
	}
	free(rom.img);
	free(buf);
}

static void check_framebuffer(struct pt_preflight *p, struct pt_findings *f, const struct pt_dev *d,
			      const char *iomem)
{
	char *text = NULL, name[64], msg[1024];
	unsigned long long size[6], start[6], at;
	bool m64[6];

	if (!iomem || pt_read_file(&text, 8192, "/sys/bus/pci/devices/%s/resource", d->name) < 0)
		return;
	pt_parse_resource(text, size, start, m64);
	free(text);
	for (int i = 0; i < 6; i++) {
		if (!size[i] || !pt_iomem_framebuffer(iomem, start[i], start[i] + size[i] - 1, name, sizeof(name), &at))
			continue;
		snprintf(msg, sizeof(msg), "%s (at 0x%llx) sits in %s's BAR %d: the host's console still draws into the "
			 "GPU; boot with video=efifb:off (simpledrm: initcall_blacklist=sysfb_init), or hand it over "
			 "with vfio-bind --handover", name, at, d->name, i);
		fail(p, f, PT_EXIT_REFUSED, "framebuffer", msg);
		return;
	}
}

static void check_reset(struct pt_preflight *p, struct pt_findings *f, const struct pt_dev *d)
{
	struct pt_reset_info ri;

	pt_reset_inspect(p->h, d, &ri);
	if (ri.quirk)
		pt_findings_add(f, PT_ST_WARN, "reset", "%s (%04x:%04x, %s): %s%s%s", d->name, d->vendor, d->device,
				ri.quirk->family, ri.quirk->problem, ri.quirk->remedy ? "; remedy: " : "",
				ri.quirk->remedy ? ri.quirk->remedy : "");
	else if (ri.has_reset_method && !ri.methods[0] && ri.verdict == PT_RESET_NONE)
		pt_findings_add(f, PT_ST_WARN, "reset", "%s has no reset method: the guest finds it as the last user "
				"left it, and a guest reboot may not bring it back (see gpu-reset --info %s)", d->name,
				d->name);
	else
		pt_findings_add(f, PT_ST_OK, "reset", "%s resets by %s", d->name,
				ri.methods[0] ? ri.methods : pt_reset_verdict_name(ri.verdict));
}

static void check_kvm(struct pt_preflight *p, struct pt_findings *f)
{
	char path[4096], msg[512];
	int fd, e;

	if (pt_path(path, sizeof(path), "/dev/kvm") < 0)
		return;
	fd = open(path, O_RDWR | O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		close(fd);
	if (p->accel && strcmp(p->accel, "tcg") == 0) {
		p->accel_chosen = "tcg";
		pt_findings_add(f, PT_ST_INFO, "accel", "--accel tcg: software emulation, slow");
		return;
	}
	if (fd >= 0) {
		p->accel_chosen = "kvm";
		pt_findings_add(f, PT_ST_OK, "accel", "/dev/kvm opens: KVM");
		return;
	}
	p->accel_chosen = "tcg";
	if (p->accel) {
		snprintf(msg, sizeof(msg), "--accel kvm: /dev/kvm: %s (load kvm_intel or kvm_amd, enable "
			 "virtualisation in the firmware, or join the kvm group)", strerror(e));
		fail(p, f, PT_EXIT_UNSUPPORTED, "accel", msg);
		return;
	}
	pt_findings_add(f, PT_ST_WARN, "accel", "/dev/kvm: %s: falling back to TCG, software emulation (slow)",
			strerror(e));
}

static void check_qemu(struct pt_preflight *p, struct pt_findings *f)
{
	const char *path = getenv("PATH");
	char msg[4300];

	if (p->qemu) {
		if (access(p->qemu, X_OK) == 0) {
			snprintf(p->qemu_path, sizeof(p->qemu_path), "%s", p->qemu);
			pt_findings_add(f, PT_ST_OK, "qemu", "QEMU: %s", p->qemu);
		} else {
			snprintf(msg, sizeof(msg), "--qemu %s: %s", p->qemu, strerror(errno));
			fail(p, f, PT_EXIT_UNSUPPORTED, "qemu", msg);
		}
		return;
	}
	for (const char *s = path ? path : "/usr/bin:/bin"; s && *s;) {
		const char *e = strchr(s, ':');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		char cand[4096];

		if (l && l < 4000) {
			snprintf(cand, sizeof(cand), "%.*s/qemu-system-x86_64", (int)l, s);
			if (access(cand, X_OK) == 0) {
				snprintf(p->qemu_path, sizeof(p->qemu_path), "%s", "qemu-system-x86_64");
				pt_findings_add(f, PT_ST_OK, "qemu", "QEMU: %s", cand);
				return;
			}
		}
		s = e ? e + 1 : NULL;
	}
	fail(p, f, PT_EXIT_UNSUPPORTED, "qemu", "qemu-system-x86_64 is not in PATH (Debian: apt-get install "
	     "qemu-system-x86; Fedora: dnf install qemu-system-x86-core), or name it with --qemu");
}

void pt_preflight_run(struct pt_preflight *p, struct pt_findings *f)
{
	unsigned long long bars = 0, mem64[PT_VM_MAX_DEVS * 6];
	size_t n64 = 0;
	char *iomem = NULL;

	p->code = PT_EXIT_OK;
	p->mmio64_mib = 0;
	check_qemu(p, f);
	check_kvm(p, f);
	check_groups(p, f);
	check_host_use(p, f);
	check_mdevs(p, f);
	if (pt_read_file(&iomem, 1 << 20, "/proc/iomem") < 0)
		iomem = NULL;
	for (size_t i = 0; i < p->ndevs; i++) {
		const struct pt_dev *d = p->devs[i];

		bars += bars_of(d, n64 + 6 <= sizeof(mem64) / sizeof(mem64[0]) ? mem64 : NULL, &n64);
		if (p->romfiles && p->romfiles[i])
			check_romfile(p, f, d, p->romfiles[i]);
		if (d->class >> 8 == 0x03)
			check_framebuffer(p, f, d, iomem);
		check_reset(p, f, d);
	}
	free(iomem);
	check_memlock(p, f, bars);
	check_hugepages(p, f);
	if (p->vm->uefi && (p->mmio64_mib = pt_mmio64_window_mib(mem64, n64)))
		pt_findings_add(f, PT_ST_INFO, "mmio64", "the 64-bit BARs need more than OVMF's default 64-bit MMIO "
				"window (32 GiB): -fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=%llu", p->mmio64_mib);
}

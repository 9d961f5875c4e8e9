#define _GNU_SOURCE
/* Xen dom0 facts (xen.h). */
#include "xen.h"
#include "bdf.h"
#include "msg.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- pure pieces ---- */

/* The value of "key : value" in xl info text, trimmed, in out. */
static bool info_value(const char *info, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = info; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *q = p + kl, *eol;
		size_t l;

		if (strncmp(p, key, kl) != 0 || (*q != ' ' && *q != '\t' && *q != ':'))
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		eol = strchr(q, '\n');
		l = eol ? (size_t)(eol - q) : strlen(q);
		while (l && isspace((unsigned char)q[l - 1]))
			l--;
		if (l >= len)
			l = len - 1;
		memcpy(out, q, l);
		out[l] = '\0';
		return true;
	}
	return false;
}

static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += wl)
		if ((p == list || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' '))
			return true;
	return false;
}

/* Whether a line of dmesg text contains s, case aside. */
static bool says(const char *dmesg, const char *s)
{
	return dmesg && strcasestr(dmesg, s) != NULL;
}

void pt_xen_parse(const char *xl_info, const char *xl_dmesg, struct pt_xen_facts *x)
{
	char maj[16] = "", min[16] = "", extra[16] = "", caps[256] = "";

	memset(x, 0, sizeof(*x));
	x->iommu = x->intremap = -1;
	x->asked = xl_info != NULL;
	if (xl_info) {
		info_value(xl_info, "xen_major", maj, sizeof(maj));
		info_value(xl_info, "xen_minor", min, sizeof(min));
		info_value(xl_info, "xen_extra", extra, sizeof(extra));
		if (maj[0])
			snprintf(x->version, sizeof(x->version), "%.7s.%.7s%.15s", maj, min, extra);
		if (info_value(xl_info, "virt_caps", caps, sizeof(caps))) {
			x->pv_directio = has_word(caps, "pv_directio");
			x->hvm_directio = has_word(caps, "hvm_directio");
		}
		info_value(xl_info, "xen_commandline", x->cmdline, sizeof(x->cmdline));
	}
	if (says(xl_dmesg, "I/O virtualisation enabled"))
		x->iommu = 1;
	else if (says(xl_dmesg, "I/O virtualisation disabled"))
		x->iommu = 0;
	if (says(xl_dmesg, "Intel VT-d"))
		snprintf(x->iommu_kind, sizeof(x->iommu_kind), "Intel VT-d");
	else if (says(xl_dmesg, "AMD-Vi"))
		snprintf(x->iommu_kind, sizeof(x->iommu_kind), "AMD-Vi");
	if (says(xl_dmesg, "Interrupt remapping not enabled") || says(xl_dmesg, "Interrupt remapping disabled"))
		x->intremap = 0;
	else if (says(xl_dmesg, "Interrupt remapping enabled"))
		x->intremap = 1;
}

void pt_xen_findings(const struct pt_xen_facts *x, struct pt_findings *f)
{
	char val[64];
	bool off;

	if (!x->asked) {
		pt_findings_add(f, PT_ST_FAIL, "xen", "a Xen dom0, but Xen could not be asked: %s (xl from xen-utils "
				"answers once xenstored runs)", x->why[0] ? x->why : "xl info gave nothing");
		return;
	}
	if (x->pv_directio || x->hvm_directio)
		pt_findings_add(f, PT_ST_OK, "xen", "Xen %s dom0: Xen owns the IOMMU, so this kernel sees no DMAR/IVRS "
				"table and no IOMMU groups; devices go to guests through xen-pciback (vfio-bind --driver "
				"pciback) and xl", x->version[0] ? x->version : "(version unknown)");
	else
		pt_findings_add(f, PT_ST_INFO, "xen", "Xen %s dom0: devices would go to guests through xen-pciback and "
				"xl, but Xen runs without an IOMMU here (below)", x->version[0] ? x->version : "(version unknown)");
	if (x->pv_directio || x->hvm_directio) {
		pt_findings_add(f, PT_ST_OK, "iommu", "Xen's I/O virtualisation is on%s%s%s: passthrough to %s guests",
				x->iommu_kind[0] ? " (" : "", x->iommu_kind, x->iommu_kind[0] ? ")" : "",
				x->pv_directio && x->hvm_directio ? "PV and HVM" : x->pv_directio ? "PV" : "HVM");
	} else {
		pt_findings_add(f, PT_ST_FAIL, "iommu", "Xen has no IOMMU: xl info lists no pv_directio or hvm_directio "
				"in virt_caps%s", x->iommu == 0 ? " (xl dmesg: I/O virtualisation disabled)" : "");
		off = pt_cmdline_param(x->cmdline, "iommu", val, sizeof(val)) &&
		      (pt_value_has(val, "0") || pt_value_has(val, "off") || pt_value_has(val, "no") ||
		       pt_value_has(val, "false") || pt_value_has(val, "disable"));
		if (off)
			pt_findings_add(f, PT_ST_FAIL, "fix", "remove iommu=%s from Xen's command line (GRUB_CMDLINE_XEN_DEFAULT "
					"in /etc/default/grub, then update-grub; Xen's, not the dom0 kernel's) and reboot", val);
		else
			pt_findings_add(f, PT_ST_FAIL, "fix", "enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) in the firmware "
					"setup; if it is on, add iommu=on to Xen's command line (GRUB_CMDLINE_XEN_DEFAULT in "
					"/etc/default/grub, then update-grub) and read xl dmesg for why Xen turned it off");
	}
	if (!x->pv_directio && !x->hvm_directio && x->intremap != 1)
		pt_findings_add(f, PT_ST_INFO, "interrupt-remapping", "interrupt remapping: off, with Xen's IOMMU");
	else if (x->intremap == 1)
		pt_findings_add(f, PT_ST_OK, "interrupt-remapping", "interrupt remapping: on (Xen)");
	else if (x->intremap == 0)
		pt_findings_add(f, PT_ST_WARN, "interrupt-remapping", "interrupt remapping: off in Xen: a guest's "
				"device could inject interrupts; Xen then refuses MSI passthrough unless iommu=no-intremap "
				"was chosen on purpose");
	else
		pt_findings_add(f, PT_ST_INFO, "interrupt-remapping", "interrupt remapping: xl dmesg does not say "
				"(its ring may have wrapped since boot)");
}

/* ---- the host ---- */

bool pt_xen_dom0(void)
{
	char type[16], caps[128];

	return pt_read_text(type, sizeof(type), "/sys/hypervisor/type") > 0 && strcmp(type, "xen") == 0 &&
	       pt_read_text(caps, sizeof(caps), "/proc/xen/capabilities") > 0 && strstr(caps, "control_d");
}

/* argv's standard output, at most max bytes, in *out; the child is killed
 * after `secs`. Returns 0 or -errno (-ETIMEDOUT; -ENOENT when it could not
 * run; -EIO when it failed). */
static int run_output(const char *const argv[], char **out, size_t max, int secs)
{
	int pfd[2], st;
	size_t len = 0;
	pid_t pid;
	struct timespec t0, t1;
	char *buf = pt_xmalloc(max + 1);

	*out = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(buf);
		return -errno;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		free(buf);
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(pfd[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = secs * 1000L - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			close(pfd[0]);
			free(buf);
			return -ETIMEDOUT;
		}
		n = read(pfd[0], buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == max)
			break;
	}
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(buf);
		return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
	}
	*out = buf;
	return 0;
}

void pt_xen_ask(struct pt_xen_facts *x)
{
	char *info = NULL, *dmesg = NULL;
	int rc = 0;

	if (pt_sysroot_live()) {
		static const char *const xl_info[] = { "xl", "info", NULL };
		static const char *const xl_dmesg[] = { "xl", "dmesg", NULL };

		rc = run_output(xl_info, &info, 1 << 16, 10);
		if (rc == 0)
			run_output(xl_dmesg, &dmesg, 1 << 20, 10);
	} else {
		if (pt_read_file(&info, 1 << 16, "/xl/info") < 0)
			rc = -ENOMEDIUM;
		if (pt_read_file(&dmesg, 1 << 20, "/xl/dmesg") < 0)
			dmesg = NULL;
	}
	pt_xen_parse(info, dmesg, x);
	if (rc < 0)
		snprintf(x->why, sizeof(x->why), "xl info: %s", rc == -ENOENT ? "no xl to run (xen-utils not installed?)"
			 : rc == -ENOMEDIUM ? "the recorded tree has no xl/info (its output, saved at the tree's top)"
			 : rc == -ETIMEDOUT ? "no answer in 10 s (xenstored not running?)" : "it failed");
	free(info);
	free(dmesg);
}

int pt_xen_assigned(const char *bdf)
{
	static const char *const argv[] = { "xl", "pci-assignable-list", NULL };
	/* one xl run for a whole plan: asked once, kept for the process */
	static char *out;
	static int asked;
	char short_bdf[PT_BDF_LEN];
	int held;

	if (!asked)
		asked = pt_sysroot_live() && run_output(argv, &out, 1 << 16, 10) == 0 ? 1 : -1;
	if (asked < 0)
		return -1;
	/* xl prints 0000:01:00.0 (and older ones 01:00.0 for domain 0) */
	snprintf(short_bdf, sizeof(short_bdf), "%s", strncmp(bdf, "0000:", 5) == 0 ? bdf + 5 : bdf);
	held = 1;
	for (char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t l = strcspn(p, " \t\n");

		if ((l == strlen(bdf) && strncmp(p, bdf, l) == 0) || (l == strlen(short_bdf) && strncmp(p, short_bdf, l) == 0))
			held = 0;
	}
	return held;
}

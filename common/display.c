/* The boot display and who holds it: a file of its own so the commands
 * that only look (iommu-groups) do not pull in libblkid with the disks. */
#include "handover.h"
#include "hostcheck.h"
#include "hostuse.h"
#include "msg.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool pt_dev_boot_vga(const struct pt_dev *d)
{
	char buf[8];

	return (d->class >> 8) == 0x03 &&
	       pt_read_text(buf, sizeof(buf), "/sys/bus/pci/devices/%s/boot_vga", d->name) > 0 &&
	       strcmp(buf, "1") == 0;
}

bool pt_display_holder(const struct pt_dev *d, struct pt_display_holder *out)
{
	char *s = NULL, *iomem = NULL, *p;
	char **fbs = NULL;
	unsigned long long bars[6][2] = { { 0 } };
	int nbars = 0, nfb;

	memset(out, 0, sizeof(*out));
	if (pt_read_file(&s, 1 << 16, "/sys/bus/pci/devices/%s/resource", d->name) >= 0) {
		for (p = s; p && *p && nbars < 6; nbars++) {
			if (sscanf(p, "%llx %llx", &bars[nbars][0], &bars[nbars][1]) != 2)
				bars[nbars][0] = bars[nbars][1] = 0;
			p = strchr(p, '\n');
			if (p)
				p++;
		}
		free(s);
	}
	if (pt_read_file(&iomem, 4 << 20, "/proc/iomem") >= 0) {
		for (int i = 0; i < nbars && !out->iomem[0]; i++)
			if (bars[i][1] > bars[i][0])
				pt_iomem_framebuffer(iomem, bars[i][0], bars[i][1], out->iomem,
						     sizeof(out->iomem), &out->at);
		free(iomem);
	}
	nfb = pt_list_dir(&fbs, "/sys/class/graphics");
	for (int i = 0; i < nfb && !out->fb[0]; i++) {
		char dev[64], name[64];

		if (strncmp(fbs[i], "fb", 2) == 0 &&
		    pt_read_link_name(dev, sizeof(dev), "/sys/class/graphics/%s/device", fbs[i]) > 0 &&
		    strcmp(dev, d->name) == 0 &&
		    pt_read_text(name, sizeof(name), "/sys/class/graphics/%s/name", fbs[i]) > 0)
			snprintf(out->fb, sizeof(out->fb), "%s \"%s\"", fbs[i], name);
	}
	if (nfb > 0)
		pt_free_names(fbs, nfb);
	/* A DRM driver without fbdev emulation (nvidia-drm fbdev=0) has no fbN,
	 * but its card node is the display all the same. */
	char **drm = NULL;
	int nd = pt_list_dir(&drm, "/sys/bus/pci/devices/%s/drm", d->name);

	for (int i = 0; i < nd && !out->drm[0]; i++)
		if (strncmp(drm[i], "card", 4) == 0 && strchr(drm[i], '-') == NULL)
			snprintf(out->drm, sizeof(out->drm), "%s", drm[i]);
	if (nd > 0)
		pt_free_names(drm, nd);
	return out->iomem[0] || out->fb[0] || out->drm[0];
}


/* ---- who holds it ---- */

static bool node_matches(const char *target, const char *const *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(nodes[i]);

		if (l && nodes[i][l - 1] == '*' ? strncmp(target, nodes[i], l - 1) == 0
						: strcmp(target, nodes[i]) == 0)
			return true;
	}
	return false;
}

int pt_proc_holders(const char *const *nodes, size_t n, char *buf, size_t len)
{
	char **procs = NULL;
	int np = pt_list_dir(&procs, "/proc"), found = 0;
	bool full = false;

	buf[0] = '\0';
	for (int i = 0; i < np && n; i++) {
		char **fds = NULL, comm[64] = "?", target[PATH_MAX];
		int nf;

		if (!isdigit((unsigned char)procs[i][0]))
			continue;
		/* this very process: a descriptor it inherited is no other user */
		if (pt_sysroot_live() && strtol(procs[i], NULL, 10) == (long)getpid())
			continue;
		nf = pt_list_dir(&fds, "/proc/%s/fd", procs[i]);
		for (int k = 0; k < nf; k++) {
			if (pt_read_link(target, sizeof(target), "/proc/%s/fd/%s", procs[i], fds[k]) <= 0 ||
			    !node_matches(target, nodes, n))
				continue;
			size_t l = strlen(buf);
			char one[PATH_MAX + 96];

			pt_read_text(comm, sizeof(comm), "/proc/%s/comm", procs[i]);
			for (char *c = comm; *c; c++)
				if (!isprint((unsigned char)*c))
					*c = '?';
			snprintf(one, sizeof(one), "%s%s (pid %s) %s", found ? ", " : "", comm, procs[i], target);
			if (!full && l + strlen(one) + 5 < len) {
				memcpy(buf + l, one, strlen(one) + 1);
			} else if (!full && l + 5 <= len) {
				memcpy(buf + l, ", ...", 6);
				full = true;
			}
			found++;
			break;
		}
		if (nf > 0)
			pt_free_names(fds, nf);
	}
	if (np > 0)
		pt_free_names(procs, np);
	return found;
}

/* The nodes of d a process can hold: its DRM card and render nodes, its
 * framebuffers, and for NVIDIA's driver every /dev/nvidia* (the node
 * numbers follow the driver's own order, not the address). */
static size_t display_nodes(const struct pt_dev *d, char (*nodes)[64], size_t max)
{
	char **ents = NULL;
	size_t n = 0;
	int ne = pt_list_dir(&ents, "/sys/bus/pci/devices/%s/drm", d->name);

	for (int i = 0; i < ne && n < max; i++)
		if ((strncmp(ents[i], "card", 4) == 0 || strncmp(ents[i], "renderD", 7) == 0) &&
		    !strchr(ents[i], '-'))
			snprintf(nodes[n++], 64, "/dev/dri/%s", ents[i]);
	if (ne > 0)
		pt_free_names(ents, ne);
	ne = pt_list_dir(&ents, "/sys/bus/pci/devices/%s/graphics", d->name);
	for (int i = 0; i < ne && n < max; i++)
		if (strncmp(ents[i], "fb", 2) == 0)
			snprintf(nodes[n++], 64, "/dev/%s", ents[i]);
	if (ne > 0)
		pt_free_names(ents, ne);
	/* fbN of a DRM driver hangs off the card in /sys/class/graphics */
	ne = pt_list_dir(&ents, "/sys/class/graphics");
	for (int i = 0; i < ne && n < max; i++) {
		char dev[64];

		if (strncmp(ents[i], "fb", 2) == 0 &&
		    pt_read_link_name(dev, sizeof(dev), "/sys/class/graphics/%s/device", ents[i]) > 0 &&
		    strcmp(dev, d->name) == 0) {
			char node[64];
			bool dup = false;

			snprintf(node, sizeof(node), "/dev/%s", ents[i]);
			for (size_t k = 0; k < n; k++)
				dup |= strcmp(nodes[k], node) == 0;
			if (!dup)
				snprintf(nodes[n++], 64, "%s", node);
		}
	}
	if (ne > 0)
		pt_free_names(ents, ne);
	if (d->driver && strncmp(d->driver, "nvidia", 6) == 0 && n < max)
		snprintf(nodes[n++], 64, "/dev/nvidia*");
	return n;
}

/* The nodes of a platform framebuffer: its fbN and DRM cardN. */
static size_t platform_nodes(const char *dev, char (*nodes)[64], size_t n, size_t max)
{
	char **ents = NULL;
	int ne;

	if (!dev || !dev[0] || dev[0] == '.' || strchr(dev, '/'))
		return n;
	ne = pt_list_dir(&ents, "/sys/bus/platform/devices/%s/graphics", dev);
	for (int i = 0; i < ne && n < max; i++)
		if (strncmp(ents[i], "fb", 2) == 0)
			snprintf(nodes[n++], 64, "/dev/%s", ents[i]);
	if (ne > 0)
		pt_free_names(ents, ne);
	ne = pt_list_dir(&ents, "/sys/bus/platform/devices/%s/drm", dev);
	for (int i = 0; i < ne && n < max; i++)
		if ((strncmp(ents[i], "card", 4) == 0 || strncmp(ents[i], "renderD", 7) == 0) && !strchr(ents[i], '-'))
			snprintf(nodes[n++], 64, "/dev/dri/%s", ents[i]);
	if (ne > 0)
		pt_free_names(ents, ne);
	return n;
}

int pt_display_users(const struct pt_dev *d, const char *platform, char *buf, size_t len)
{
	char nodes[24][64];
	const char *np[24];
	size_t n = display_nodes(d, nodes, 16);

	n = platform_nodes(platform, nodes, n, 24);
	for (size_t i = 0; i < n; i++)
		np[i] = nodes[i];
	buf[0] = '\0';
	return n ? pt_proc_holders(np, n, buf, len) : 0;
}


/* ---- consoles and firmware framebuffers ---- */

size_t pt_consoles(struct pt_console *out, size_t max)
{
	char **v = NULL;
	int n = pt_list_dir(&v, "/sys/class/vtconsole");
	size_t k = 0;

	for (int i = 0; i < n && k < max; i++) {
		char b[8];

		if (strncmp(v[i], "vtcon", 5) != 0 || strlen(v[i]) >= sizeof(out[k].vtcon) ||
		    pt_read_text(out[k].name, sizeof(out[k].name), "/sys/class/vtconsole/%s/name", v[i]) <= 0)
			continue;
		snprintf(out[k].vtcon, sizeof(out[k].vtcon), "%s", v[i]);
		out[k].bind = pt_read_text(b, sizeof(b), "/sys/class/vtconsole/%s/bind", v[i]) <= 0 ? -1
			      : strcmp(b, "1") == 0;
		k++;
	}
	if (n > 0)
		pt_free_names(v, n);
	return k;
}

bool pt_vtcon_find(const char *name, char *vtcon, size_t len, bool *bound)
{
	struct pt_console c[16];
	size_t n = pt_consoles(c, 16);

	for (size_t i = 0; i < n; i++)
		if (strcmp(pt_vtcon_bare(c[i].name), pt_vtcon_bare(name)) == 0) {
			snprintf(vtcon, len, "%s", c[i].vtcon);
			if (bound)
				*bound = c[i].bind == 1;
			return true;
		}
	return false;
}

bool pt_platform_driver(const char *dev, char *drv, size_t len)
{
	if (!dev[0] || dev[0] == '.' || strchr(dev, '/') || !pt_exists("/sys/bus/platform/devices/%s", dev))
		return false;
	if (pt_read_link_name(drv, len, "/sys/bus/platform/devices/%s/driver", dev) <= 0)
		drv[0] = '\0';
	return true;
}


/* ---- the hand-over's view of a card ---- */

static bool same_slot(const struct pt_dev *a, const struct pt_dev *b)
{
	return a->bdf.domain == b->bdf.domain && a->bdf.bus == b->bdf.bus && a->bdf.dev == b->bdf.dev;
}

const struct pt_dev *pt_slot_display(const struct pt_host *h, const struct pt_dev *d)
{
	if ((d->class >> 8) == 0x03)
		return d;
	for (size_t i = 0; i < h->ndevs; i++)
		if (same_slot(&h->devs[i], d) && (h->devs[i].class >> 8) == 0x03)
			return &h->devs[i];
	return NULL;
}

const struct pt_dev *pt_boot_display_slot(const struct pt_host *h, const struct pt_dev *d)
{
	for (size_t i = 0; i < h->ndevs; i++)
		if (same_slot(&h->devs[i], d) && pt_dev_boot_vga(&h->devs[i]))
			return &h->devs[i];
	return NULL;
}

size_t pt_slot_functions(const struct pt_host *h, const struct pt_dev *d, struct pt_dev ***out)
{
	size_t n = 0;

	*out = pt_xcalloc(9, sizeof(**out));
	for (size_t i = 0; i < h->ndevs && n < 8; i++)
		if (same_slot(&h->devs[i], d))
			(*out)[n++] = &h->devs[i];
	return n;
}

/* The bound platform framebuffer named like `prefix`.N (any kind when
 * prefix is NULL). */
static bool find_platform_fb(const char *prefix, char *dev, size_t dlen, char *drv, size_t len)
{
	static const char *const kinds[] = { "efi-framebuffer", "simple-framebuffer", "vesa-framebuffer",
					     "vga-framebuffer", "platform-framebuffer", NULL };
	char **v = NULL;
	int n = pt_list_dir(&v, "/sys/bus/platform/devices");
	bool found = false;

	for (int i = 0; i < n && !found; i++)
		for (int k = 0; kinds[k] && !found; k++) {
			size_t l = strlen(kinds[k]);

			if ((prefix && strcmp(prefix, kinds[k]) != 0) || strncmp(v[i], kinds[k], l) != 0 ||
			    v[i][l] != '.' || !pt_platform_driver(v[i], drv, len) || !drv[0])
				continue;
			snprintf(dev, dlen, "%s", v[i]);
			found = true;
		}
	if (n > 0)
		pt_free_names(v, n);
	return found;
}

void pt_handover_survey(const struct pt_dev *gpu, struct pt_handover *ho)
{
	struct pt_display_holder disp;
	struct pt_console c[16];
	size_t n;

	memset(ho, 0, sizeof(*ho));
	snprintf(ho->gpu, sizeof(ho->gpu), "%s", gpu->name);
	pt_display_holder(gpu, &disp);
	if (disp.iomem[0]) {
		snprintf(ho->fblabel, sizeof(ho->fblabel), "%s", disp.iomem);
		if (!find_platform_fb(pt_fb_platform_name(disp.iomem), ho->fbdev, sizeof(ho->fbdev), ho->fbdrv,
				      sizeof(ho->fbdrv)))
			ho->fbdev[0] = ho->fbdrv[0] = '\0';
	}
	/* fbcon sits on a framebuffer: the card's own, or the firmware's in its BARs */
	if (!disp.fb[0] && !ho->fbdev[0])
		return;
	n = pt_consoles(c, 16);
	for (size_t i = 0; i < n && ho->ncons < PT_HANDOVER_MAX_CONSOLES; i++)
		if (pt_vtcon_is_fb(c[i].name) && c[i].bind == 1) {
			/* the same sizes: pt_console's fields are a record's */
			memcpy(ho->consoles[ho->ncons], c[i].name, sizeof(ho->consoles[0]));
			memcpy(ho->vtcons[ho->ncons++], c[i].vtcon, sizeof(ho->vtcons[0]));
		}
}

int pt_handover_users(const struct pt_dev *gpu, const struct pt_handover *ho, char *buf, size_t len)
{
	return pt_display_users(gpu, ho->fbdev[0] ? ho->fbdev : NULL, buf, len);
}

bool pt_handover_recorded(const char *gpu)
{
	return pt_exists(PT_HANDOVER_DIR "/%s", gpu);
}

/* The first entry of dir named prefixN (no connector "card0-HDMI-A-1"). */
static bool first_node(const char *dir, const char *prefix, char *out, size_t len)
{
	char **v = NULL;
	int n = pt_list_dir(&v, "%s", dir);
	bool found = false;

	for (int i = 0; i < n && !found; i++)
		if (strncmp(v[i], prefix, strlen(prefix)) == 0 && !strchr(v[i], '-')) {
			snprintf(out, len, "%s", v[i]);
			found = true;
		}
	if (n > 0)
		pt_free_names(v, n);
	return found;
}

/* A frame buffer console bound now: its vtconN in vt. */
static bool bound_fb_console(char *vt, size_t len)
{
	struct pt_console c[16];
	size_t n = pt_consoles(c, 16);

	for (size_t i = 0; i < n; i++)
		if (pt_vtcon_is_fb(c[i].name) && c[i].bind == 1) {
			snprintf(vt, len, "%s", c[i].vtcon);
			return true;
		}
	return false;
}

bool pt_handback_check(const struct pt_dev *gpu, const struct pt_handover *ho, char *what, size_t len)
{
	struct pt_display_holder disp;
	char card[64] = "", fb[160] = "", vt[16] = "", dir[160], drv[64];
	bool up, console = false;

	pt_display_holder(gpu, &disp);
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/drm", gpu->name);
	first_node(dir, "card", card, sizeof(card));
	if (disp.fb[0])
		snprintf(fb, sizeof(fb), "%s", disp.fb);
	if (!fb[0] && ho->fbdev[0] && pt_platform_driver(ho->fbdev, drv, sizeof(drv)) && drv[0]) {
		char node[32] = "";

		snprintf(dir, sizeof(dir), "/sys/bus/platform/devices/%s/graphics", ho->fbdev);
		if (first_node(dir, "fb", node, sizeof(node)))
			snprintf(fb, sizeof(fb), "%s (%s)", node, ho->fbdev);
		else
			snprintf(fb, sizeof(fb), "%s on %s", ho->fbdev, drv);
	}
	/* no record, or another framebuffer: the bound one in its BARs now */
	if (!fb[0]) {
		struct pt_handover now;

		pt_handover_survey(gpu, &now);
		if (now.fbdev[0]) {
			char node[32] = "";

			snprintf(dir, sizeof(dir), "/sys/bus/platform/devices/%s/graphics", now.fbdev);
			if (first_node(dir, "fb", node, sizeof(node)))
				snprintf(fb, sizeof(fb), "%s (%s)", node, now.fbdev);
			else
				snprintf(fb, sizeof(fb), "%s on %s", now.fbdev, now.fbdrv);
		}
	}
	for (size_t i = 0; i < ho->ncons && !console; i++)
		console = pt_vtcon_find(ho->consoles[i], vt, sizeof(vt), &console) && console;
	if (!ho->ncons)
		console = bound_fb_console(vt, sizeof(vt));
	up = card[0] || fb[0];
	snprintf(what, len, "%s%s%s; %s%s%s", card, card[0] && fb[0] ? ", " : "",
		 up ? fb : "no DRM card or framebuffer on it", console ? "console " : "",
		 console ? vt : ho->ncons ? "no frame buffer console bound" : "no frame buffer console",
		 console ? " bound" : "");
	return up && (console || !ho->ncons);
}

int pt_fbcon_takeover(void)
{
	char **v = NULL, path[PATH_MAX];
	int n = pt_list_dir(&v, "/sys/class/graphics"), rc = -ENODEV;

	/* the lowest fbN that opens: where fbcon maps its first console by default */
	for (int i = 0; i < n && rc != 0; i++) {
		struct fb_con2fbmap map = { .console = 1 };
		char *end;
		long fb;
		int fd;

		if (strncmp(v[i], "fb", 2) != 0 || (fb = strtol(v[i] + 2, &end, 10)) < 0 || *end || v[i][2] == '\0')
			continue;
		map.framebuffer = (unsigned)fb;
		if (pt_path(path, sizeof(path), "/dev/%s", v[i]) < 0 || (fd = open(path, O_RDWR | O_CLOEXEC)) < 0) {
			rc = -errno;
			continue;
		}
		pt_debug("ioctl %s FBIOPUT_CON2FBMAP console 1 -> fb%ld", path, fb);
		rc = ioctl(fd, FBIOPUT_CON2FBMAP, &map) < 0 ? -errno : 0;
		close(fd);
	}
	if (n > 0)
		pt_free_names(v, n);
	return rc;
}

bool pt_vfio_removes_firmware_fb(void)
{
	char rel[64];
	int major = 0, minor = 0;

	/* vfio-pci's aperture removal: "vfio/pci: Remove console drivers", Linux 6.0 */
	if (pt_read_text(rel, sizeof(rel), "/proc/sys/kernel/osrelease") <= 0 || sscanf(rel, "%d.%d", &major, &minor) < 1)
		return true;
	return major >= 6;
}

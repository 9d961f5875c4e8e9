/* The boot display and who holds it: a file of its own so the commands
 * that only look (iommu-groups) do not pull in libblkid with the disks. */
#include "hostcheck.h"
#include "hostuse.h"
#include "sysfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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


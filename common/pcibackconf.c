/* vfio-bind --persist --driver pciback's file: the devices xen-pciback
 * takes at boot, as Xen users boot them (modprobe.d options). Pure. */
#include "vfio.h"
#include "msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t pt_pciback_conf_parse(const char *text, char (*bdfs)[PT_BDF_LEN], size_t max, char (*mods)[64],
			     size_t maxmods, size_t *nmods)
{
	size_t n = 0;

	*nmods = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char line[4096], mod[64], pre[16];
		size_t l = strcspn(p, "\n");

		if (l >= sizeof(line))
			continue;
		memcpy(line, p, l);
		line[l] = '\0';
		if (strncmp(line, "options xen-pciback hide=", 25) == 0) {
			for (char *q = line + 25; *q == '(';) {
				char *e = strchr(q, ')');
				struct pt_bdf b;
				char one[PT_BDF_LEN + 8];
				bool dup = false;

				if (!e || (size_t)(e - q - 1) >= sizeof(one))
					break;
				memcpy(one, q + 1, (size_t)(e - q - 1));
				one[e - q - 1] = '\0';
				q = e + 1;
				if (pt_bdf_parse(one, &b) != NULL || n == max)
					continue;
				pt_bdf_format(&b, one);
				for (size_t k = 0; k < n; k++)
					dup |= strcmp(bdfs[k], one) == 0;
				if (!dup)
					memcpy(bdfs[n++], one, strlen(one) + 1); /* canonical: fits */
			}
		} else if (sscanf(line, "softdep %63s %15s xen-pciback", mod, pre) == 2 && strcmp(pre, "pre:") == 0 &&
			   *nmods < maxmods) {
			bool dup = false;

			for (size_t k = 0; k < *nmods; k++)
				dup |= strcmp(mods[k], mod) == 0;
			if (!dup)
				snprintf(mods[(*nmods)++], 64, "%s", mod);
		}
	}
	return n;
}

char *pt_pciback_conf_format(char (*bdfs)[PT_BDF_LEN], size_t n, char (*mods)[64], size_t nmods)
{
	size_t cap = 256 + n * (PT_BDF_LEN + 2) + nmods * 96, o = 0;
	char *s;

	if (n == 0)
		return NULL;
	s = pt_xmalloc(cap);
	o += (size_t)snprintf(s + o, cap - o, "# vfio-bind --persist --driver pciback: xen-pciback takes these devices "
			      "at boot, for xl\n# (vfio-bind --unpersist lets them go; update-initramfs -u after a "
			      "change)\noptions xen-pciback hide=");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "(%s)", bdfs[i]);
	o += (size_t)snprintf(s + o, cap - o, "\n");
	for (size_t k = 0; k < nmods; k++)
		o += (size_t)snprintf(s + o, cap - o, "softdep %s pre: xen-pciback\n", mods[k]);
	return s;
}

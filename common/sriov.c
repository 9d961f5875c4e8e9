/* SR-IOV: pure parts and sysfs parts (sriov.h). */
#include "sriov.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <pci/pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pt_sriov_parse_id(const char *s, uint16_t *id)
{
	unsigned long v = 0;
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; isxdigit((unsigned char)s[n]); n++)
		v = v * 16 + (unsigned long)(isdigit((unsigned char)s[n]) ? s[n] - '0' : (tolower((unsigned char)s[n]) - 'a' + 10));
	if (n == 0)
		return "not a hexadecimal device ID";
	if (n > 4)
		return "device ID has more than 4 hex digits";
	if (s[n] == '\n')
		n++;
	if (s[n] != '\0')
		return "trailing characters after the device ID";
	*id = (uint16_t)v;
	return NULL;
}

const char *pt_sriov_parse_count(const char *s, int total, int *n, char *err, size_t len)
{
	unsigned long v = 0;
	size_t i = 0;

	for (; isdigit((unsigned char)s[i]); i++) {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535)
			break;
	}
	if (i == 0 || s[i] != '\0') {
		if (v > 65535 && isdigit((unsigned char)s[i]))
			snprintf(err, len, "--vfs %s: more VFs than SR-IOV can have (65535)", s);
		else
			snprintf(err, len, "--vfs %s: not a number of VFs", s);
		return err;
	}
	if (total >= 0 && v > (unsigned long)total) {
		snprintf(err, len, "--vfs %s: the device has at most %d VFs (sriov_totalvfs)", s, total);
		return err;
	}
	*n = (int)v;
	return NULL;
}

size_t pt_sriov_plan(int now, int want, int autoprobe, struct pt_sriov_step *steps, size_t max)
{
	size_t k = 0;

	if (now == want || max < 3)
		return 0;
	if (now != 0) {
		steps[k].attr = "sriov_numvfs";
		steps[k++].value = 0;
	}
	if (want > 0) {
		steps[k].attr = "sriov_drivers_autoprobe";
		steps[k++].value = autoprobe ? 1 : 0;
		steps[k].attr = "sriov_numvfs";
		steps[k++].value = want;
	}
	return k;
}

bool pt_sriov_vf_addr(const struct pt_bdf *pf, int offset, int stride, int i, struct pt_bdf *out)
{
	long rid = ((long)pf->bus << 8) | ((long)pf->dev << 3) | (long)pf->fn;

	rid += offset + (long)stride * i;
	if (offset <= 0 || stride < 0 || rid > 0xffff)
		return false;
	out->domain = pf->domain;
	out->bus = (unsigned)(rid >> 8);
	out->dev = (unsigned)((rid >> 3) & 0x1f);
	out->fn = (unsigned)(rid & 7);
	return true;
}

static int read_int(const char *bdf, const char *attr)
{
	char v[32], *end;
	long n;

	if (pt_read_text(v, sizeof(v), "/sys/bus/pci/devices/%s/%s", bdf, attr) <= 0)
		return -1;
	n = strtol(v, &end, 10);
	return *end || n < 0 || n > 65535 ? -1 : (int)n;
}

bool pt_sriov_read(const char *bdf, struct pt_sriov *s)
{
	char v[32];
	uint16_t id;

	s->total = read_int(bdf, "sriov_totalvfs");
	s->num = read_int(bdf, "sriov_numvfs");
	s->autoprobe = read_int(bdf, "sriov_drivers_autoprobe");
	s->numvfs_file = pt_exists("/sys/bus/pci/devices/%s/sriov_numvfs", bdf);
	s->vf_device = -1;
	if (pt_read_text(v, sizeof(v), "/sys/bus/pci/devices/%s/sriov_vf_device", bdf) > 0 &&
	    !pt_sriov_parse_id(v, &id))
		s->vf_device = id;
	return pt_exists("/sys/bus/pci/devices/%s/sriov_totalvfs", bdf);
}

size_t pt_sriov_vfs(const char *bdf, char (*out)[PT_BDF_LEN], size_t max)
{
	size_t n = 0;

	/* virtfnN are numbered from 0 without gaps (drivers/pci/iov.c pci_iov_add_virtfn) */
	for (size_t i = 0; n < max && i < 65536; i++) {
		char name[PT_BDF_LEN + 8];

		if (pt_read_link_name(name, sizeof(name), "/sys/bus/pci/devices/%s/virtfn%zu", bdf, i) <= 0)
			break;
		if (strlen(name) >= PT_BDF_LEN)
			continue;
		memcpy(out[n++], name, strlen(name) + 1);
	}
	return n;
}

bool pt_sriov_cap(const struct pt_host *h, const struct pt_dev *d, int *total, int *vf_device)
{
	struct pci_dev *pd = pci_get_dev(h->pacc, (int)d->bdf.domain, (int)d->bdf.bus, (int)d->bdf.dev,
					 (int)d->bdf.fn);
	struct pci_cap *cap;
	bool found = false;

	if (!pd)
		return false;
	pci_fill_info(pd, PCI_FILL_EXT_CAPS);
	if ((cap = pci_find_cap(pd, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED))) {
		found = true;
		if (total)
			*total = pci_read_word(pd, (int)cap->addr + 0x0e); /* TotalVFs */
		if (vf_device)
			*vf_device = pci_read_word(pd, (int)cap->addr + 0x1a); /* VF Device ID */
	}
	pci_free_dev(pd);
	return found;
}

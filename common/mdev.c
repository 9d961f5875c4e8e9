/* Mediated devices, mdevctl's definitions, NVIDIA per-VF vGPU types and
 * the toolkit's persistent file (mdev.h): the sysfs and /etc side. The
 * pure parts are in mdevpure.c. */
#define _GNU_SOURCE
#include "mdev.h"
#include "hostuse.h"
#include "jsonread.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

/* ---- sysfs ---- */

void pt_uuid_random(char out[PT_UUID_LEN])
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

int pt_mdev_parents(char ***names)
{
	int n = pt_list_dir(names, "/sys/class/mdev_bus");

	return n < 0 ? 0 : n;
}

bool pt_mdev_is_parent(const char *parent)
{
	return pt_mdev_name_ok(parent) && pt_exists("/sys/class/mdev_bus/%s", parent);
}

static int type_cmp(const void *a, const void *b)
{
	return strverscmp(((const struct pt_mdev_type *)a)->id, ((const struct pt_mdev_type *)b)->id);
}

int pt_mdev_types(const char *parent, struct pt_mdev_type **out)
{
	char **names = NULL;
	int n, k = 0;

	*out = NULL;
	if (!pt_mdev_is_parent(parent))
		return -ENOENT;
	n = pt_list_dir(&names, "/sys/class/mdev_bus/%s/mdev_supported_types", parent);
	if (n <= 0)
		return 0;
	*out = pt_xcalloc((size_t)n, sizeof(**out));
	for (int i = 0; i < n; i++) {
		struct pt_mdev_type *t = &(*out)[k];
		char v[32], *desc = NULL;

		if (!pt_mdev_name_ok(names[i]))
			continue;
		snprintf(t->id, sizeof(t->id), "%s", names[i]);
#define TYPE_ATTR "/sys/class/mdev_bus/%s/mdev_supported_types/%s/"
		if (pt_read_text(t->name, sizeof(t->name), TYPE_ATTR "name", parent, names[i]) < 0)
			t->name[0] = '\0';
		if (pt_read_text(t->device_api, sizeof(t->device_api), TYPE_ATTR "device_api", parent, names[i]) < 0)
			t->device_api[0] = '\0';
		if (pt_read_file(&desc, sizeof(t->description) - 1, TYPE_ATTR "description", parent, names[i]) >= 0) {
			size_t l = strlen(desc);

			while (l && (desc[l - 1] == '\n' || desc[l - 1] == ' '))
				desc[--l] = '\0';
			snprintf(t->description, sizeof(t->description), "%s", desc);
		}
		free(desc);
		t->available = -1;
		if (pt_read_text(v, sizeof(v), TYPE_ATTR "available_instances", parent, names[i]) > 0) {
			char *end;
			long a = strtol(v, &end, 10);

			if (!*end && a >= 0 && a < 1 << 30)
				t->available = (int)a;
		}
#undef TYPE_ATTR
		k++;
	}
	pt_free_names(names, n);
	qsort(*out, (size_t)k, sizeof(**out), type_cmp);
	return k;
}

bool pt_mdev_get(const char *uuid, struct pt_mdev *m)
{
	char link[4096], grp[32], norm[PT_UUID_LEN];
	char *slash;

	memset(m, 0, sizeof(*m));
	m->group = -1;
	if (pt_uuid_parse(uuid, norm) || !pt_exists("/sys/bus/mdev/devices/%s", norm))
		return false;
	snprintf(m->uuid, sizeof(m->uuid), "%s", norm);
	/* the parent: the directory the instance's link points into */
	if (pt_read_link(link, sizeof(link), "/sys/bus/mdev/devices/%s", norm) > 0) {
		if ((slash = strrchr(link, '/')))
			*slash = '\0';
		slash = strrchr(link, '/');
		snprintf(m->parent, sizeof(m->parent), "%.127s", slash ? slash + 1 : link);
	}
	if (pt_read_link_name(m->type, sizeof(m->type), "/sys/bus/mdev/devices/%s/mdev_type", norm) < 0)
		m->type[0] = '\0';
	if (pt_read_link_name(grp, sizeof(grp), "/sys/bus/mdev/devices/%s/iommu_group", norm) > 0) {
		char *end;
		long g = strtol(grp, &end, 10);

		if (!*end && g >= 0 && g < 1 << 30)
			m->group = (int)g;
	}
	return true;
}

static int mdev_cmp(const void *a, const void *b)
{
	const struct pt_mdev *x = a, *y = b;
	int c = strverscmp(x->parent, y->parent);

	return c ? c : strcmp(x->uuid, y->uuid);
}

size_t pt_mdevs(struct pt_mdev **out)
{
	char **names = NULL;
	int n = pt_list_dir(&names, "/sys/bus/mdev/devices");
	size_t k = 0;

	*out = pt_xcalloc(n > 0 ? (size_t)n : 1, sizeof(**out));
	for (int i = 0; i < n; i++)
		if (pt_mdev_get(names[i], &(*out)[k]))
			k++;
	if (n > 0)
		pt_free_names(names, n);
	qsort(*out, k, sizeof(**out), mdev_cmp);
	return k;
}

int pt_mdev_vm_users(const struct pt_mdev *m, char *buf, size_t len)
{
	char dir[80];

	snprintf(dir, sizeof(dir), "/sys/bus/mdev/devices/%s", m->uuid);
	return pt_vfio_users(dir, m->group, buf, len);
}

void pt_mdev_def_path(const char *parent, const char *uuid, char *buf, size_t len)
{
	snprintf(buf, len, PT_MDEVCTL_DIR "/%s/%s", parent, uuid);
}

static void add_err(char **errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_err(char **errs, const char *fmt, ...)
{
	char line[1024];
	size_t o = *errs ? strlen(*errs) : 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	*errs = pt_xrealloc(*errs, o + strlen(line) + 2);
	snprintf(*errs + o, strlen(line) + 2, "%s\n", line);
}

size_t pt_mdev_defs_read(struct pt_mdev_def **out, char **errs)
{
	char **parents = NULL;
	int np = pt_list_dir(&parents, PT_MDEVCTL_DIR);
	size_t n = 0;

	*out = NULL;
	*errs = NULL;
	for (int i = 0; i < np; i++) {
		char **files = NULL;
		int nf;

		/* mdevctl's own callouts and notifiers live beside the parents */
		if (strcmp(parents[i], "scripts.d") == 0 || !pt_mdev_name_ok(parents[i]))
			continue;
		nf = pt_list_dir(&files, PT_MDEVCTL_DIR "/%s", parents[i]);
		for (int k = 0; k < nf; k++) {
			struct pt_mdev_def d;
			char uuid[PT_UUID_LEN], err[256], *text = NULL;
			long len;

			if (pt_uuid_parse(files[k], uuid)) {
				size_t l = strlen(files[k]);

				if (l < 4 || strcmp(files[k] + l - 4, ".tmp") != 0)
					add_err(errs, PT_MDEVCTL_DIR "/%s/%s: the name is no UUID", parents[i], files[k]);
				continue;
			}
			len = pt_read_file(&text, PT_JMAX_TEXT, PT_MDEVCTL_DIR "/%s/%s", parents[i], files[k]);
			if (len < 0) {
				add_err(errs, PT_MDEVCTL_DIR "/%s/%s: %s", parents[i], files[k], strerror((int)-len));
				continue;
			}
			if (pt_mdev_def_parse(text, (size_t)len, &d, err, sizeof(err)) < 0) {
				add_err(errs, PT_MDEVCTL_DIR "/%s/%s: %s", parents[i], files[k], err);
				free(text);
				continue;
			}
			free(text);
			snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
			snprintf(d.parent, sizeof(d.parent), "%s", parents[i]);
			*out = pt_xrealloc(*out, (n + 1) * sizeof(**out));
			(*out)[n++] = d;
		}
		if (nf > 0)
			pt_free_names(files, nf);
	}
	if (np > 0)
		pt_free_names(parents, np);
	return n;
}

void pt_mdev_defs_free(struct pt_mdev_def *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pt_mdev_def_free(&v[i]);
	free(v);
}

bool pt_vgpu_capable(const char *bdf)
{
	return pt_exists("/sys/bus/pci/devices/%s/nvidia/creatable_vgpu_types", bdf);
}

size_t pt_vgpu_creatable(const char *bdf, struct pt_vgpu_type *out, size_t max)
{
	char *text = NULL;
	size_t n = 0;

	if (pt_read_file(&text, 1 << 16, "/sys/bus/pci/devices/%s/nvidia/creatable_vgpu_types", bdf) >= 0)
		n = pt_vgpu_types_parse(text, out, max);
	free(text);
	return n;
}

long pt_vgpu_current(const char *bdf)
{
	char v[32], *end;
	long id;

	if (pt_read_text(v, sizeof(v), "/sys/bus/pci/devices/%s/nvidia/current_vgpu_type", bdf) <= 0)
		return -1;
	id = strtol(v, &end, 10);
	return *end || id < 0 ? -1 : id;
}

#include "modules.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* /sys/module uses underscores; modprobe accepts either. */
static void underscore(char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

/* libkmod over the running kernel's (or the sysroot's) /lib/modules/RELEASE;
 * NULL when that index is missing (a container, a bare capture). */
static struct kmod_ctx *open_ctx(void)
{
	char release[128], dir[PATH_MAX];
	struct kmod_ctx *ctx;

	if (pt_read_text(release, sizeof(release), "/proc/sys/kernel/osrelease") <= 0 ||
	    strchr(release, '/') || pt_path(dir, sizeof(dir), "/lib/modules/%s", release) < 0 ||
	    !pt_exists("/lib/modules/%s/modules.dep.bin", release))
		return NULL;
	ctx = kmod_new(dir, NULL);
	if (ctx)
		kmod_load_resources(ctx);
	return ctx;
}

enum pt_mod_state pt_module_state(const char *name, char *path, size_t len)
{
	char uname[64];
	struct kmod_ctx *ctx;
	struct kmod_list *list = NULL, *it;
	enum pt_mod_state st = PT_MOD_MISSING;

	if (path && len)
		path[0] = '\0';
	underscore(uname, name, sizeof(uname));
	if (pt_exists("/sys/module/%s/initstate", uname))
		return PT_MOD_LOADED;
	ctx = open_ctx();
	if (!ctx)
		return pt_exists("/sys/module/%s", uname) ? PT_MOD_BUILTIN : PT_MOD_UNKNOWN;
	if (kmod_module_new_from_lookup(ctx, uname, &list) < 0 || !list) {
		kmod_unref(ctx);
		return PT_MOD_MISSING;
	}
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);
		const char *p = kmod_module_get_path(mod);

		if (strcmp(kmod_module_get_name(mod), uname) == 0) {
			if (p) {
				st = PT_MOD_LOADABLE;
				if (path && len)
					snprintf(path, len, "%s", p);
			} else {
				st = PT_MOD_BUILTIN;
			}
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return st;
}

int pt_module_load(const char *name)
{
	struct kmod_ctx *ctx;
	struct kmod_list *list = NULL, *it;
	int rc = -ENOENT;

	if (!pt_sysroot_live())
		return -EROFS;
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	if (kmod_module_new_from_lookup(ctx, name, &list) < 0 || !list) {
		kmod_unref(ctx);
		return -ENOENT;
	}
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);

		rc = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL,
						     NULL, NULL);
		if (rc == -EEXIST)
			rc = 0;
		kmod_module_unref(mod);
		if (rc == 0)
			break;
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return rc;
}

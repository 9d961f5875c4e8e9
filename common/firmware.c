#define _GNU_SOURCE
#include "firmware.h"
#include "jsonread.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

int pt_fw_desc_parse(const char *text, size_t len, struct pt_fw_desc *out, char *err, size_t errlen)
{
	struct pt_jdoc d;
	int root, m, x, rc = -1;

	memset(out, 0, sizeof(*out));
	if (pt_jparse(text, len, &d, err, errlen) < 0)
		goto out;
	root = d.root;
	if (!pt_jis(&d, root, PT_J_OBJ)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	copy(out->description, sizeof(out->description), pt_jstr(&d, pt_jget(&d, root, "description")));
	x = pt_jget(&d, root, "interface-types");
	for (int c = pt_jis(&d, x, PT_J_ARR) ? pt_jfirst(&d, x) : -1; c >= 0; c = pt_jnext(&d, c))
		if (pt_jstr(&d, c) && strcmp(pt_jstr(&d, c), "uefi") == 0)
			out->uefi = true;
	m = pt_jget(&d, root, "mapping");
	if (!pt_jis(&d, m, PT_J_OBJ)) {
		snprintf(err, errlen, "no \"mapping\" object");
		goto out;
	}
	copy(out->device, sizeof(out->device), pt_jstr(&d, pt_jget(&d, m, "device")));
	copy(out->mode, sizeof(out->mode), pt_jstr(&d, pt_jget(&d, m, "mode")));
	if (!out->mode[0] && strcmp(out->device, "flash") == 0)
		copy(out->mode, sizeof(out->mode), "split");
	x = pt_jget(&d, m, "executable");
	copy(out->code, sizeof(out->code), pt_jstr(&d, pt_jget(&d, x, "filename")));
	copy(out->code_format, sizeof(out->code_format), pt_jstr(&d, pt_jget(&d, x, "format")));
	if (x < 0 && strcmp(out->device, "memory") == 0)
		copy(out->code, sizeof(out->code), pt_jstr(&d, pt_jget(&d, m, "filename")));
	x = pt_jget(&d, m, "nvram-template");
	copy(out->vars, sizeof(out->vars), pt_jstr(&d, pt_jget(&d, x, "filename")));
	copy(out->vars_format, sizeof(out->vars_format), pt_jstr(&d, pt_jget(&d, x, "format")));
	if (!out->code_format[0])
		copy(out->code_format, sizeof(out->code_format), "raw");
	if (out->vars[0] && !out->vars_format[0])
		copy(out->vars_format, sizeof(out->vars_format), "raw");
	x = pt_jget(&d, root, "targets");
	for (int t = pt_jis(&d, x, PT_J_ARR) ? pt_jfirst(&d, x) : -1; t >= 0; t = pt_jnext(&d, t)) {
		const char *arch = pt_jstr(&d, pt_jget(&d, t, "architecture"));
		int ms = pt_jget(&d, t, "machines");

		if (!arch || strcmp(arch, "x86_64") != 0)
			continue;
		out->x86_64 = true;
		for (int c = pt_jis(&d, ms, PT_J_ARR) ? pt_jfirst(&d, ms) : -1; c >= 0; c = pt_jnext(&d, c))
			if (pt_jstr(&d, c) && fnmatch(pt_jstr(&d, c), "pc-q35-7.2", 0) == 0)
				out->q35 = true;
	}
	x = pt_jget(&d, root, "features");
	for (int c = pt_jis(&d, x, PT_J_ARR) ? pt_jfirst(&d, x) : -1; c >= 0; c = pt_jnext(&d, c))
		if (pt_jstr(&d, c) && out->nfeatures < PT_FW_MAX_FEATURES)
			copy(out->features[out->nfeatures++], sizeof(out->features[0]), pt_jstr(&d, c));
	rc = 0;
out:
	pt_jfree(&d);
	return rc;
}

bool pt_fw_has_feature(const struct pt_fw_desc *d, const char *f)
{
	for (size_t i = 0; i < d->nfeatures; i++)
		if (strcmp(d->features[i], f) == 0)
			return true;
	return false;
}

int pt_fw_rank(const struct pt_fw_desc *d, bool secure_boot, char *why, size_t len)
{
	bool sb = pt_fw_has_feature(d, "secure-boot");

	if (!d->uefi)
		return snprintf(why, len, "not UEFI"), -1;
	if (strcmp(d->device, "flash") != 0)
		return snprintf(why, len, "mapping device \"%s\", not flash", d->device), -1;
	if (strcmp(d->mode, "split") != 0 && strcmp(d->mode, "stateless") != 0)
		return snprintf(why, len, "flash mode \"%s\"", d->mode), -1;
	if (!d->code[0] || d->code[0] != '/')
		return snprintf(why, len, "no absolute executable filename"), -1;
	if (strcmp(d->code_format, "raw") != 0 && strcmp(d->code_format, "qcow2") != 0)
		return snprintf(why, len, "format \"%s\"", d->code_format), -1;
	if (!d->x86_64 || !d->q35)
		return snprintf(why, len, "not for x86_64 pc-q35-*"), -1;
	if (pt_fw_has_feature(d, "amd-sev-es") || pt_fw_has_feature(d, "amd-sev-snp") ||
	    pt_fw_has_feature(d, "intel-tdx"))
		return snprintf(why, len, "for confidential guests"), -1;
	if (secure_boot && !sb)
		return snprintf(why, len, "no Secure Boot"), -1;
	why[0] = '\0';
	if (secure_boot)
		return pt_fw_has_feature(d, "enrolled-keys") ? 0 : 1;
	/* without Secure Boot asked for: firmware without it first, then
	 * with it but no keys enrolled (so it does not enforce it) */
	return !sb ? 0 : pt_fw_has_feature(d, "enrolled-keys") ? 2 : 1;
}

static int namecmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');

	return strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
}

int pt_fw_find(bool secure_boot, struct pt_vm_firmware *fw, char *err, size_t errlen)
{
	static const char *const dirs[] = { "/etc/qemu/firmware", "/usr/share/qemu/firmware" };
	char **paths = NULL, seen[1024] = "";
	size_t n = 0;
	int best = -1, rc = -1;
	struct pt_fw_desc d;

	for (size_t k = 0; k < 2; k++) {
		char **names = NULL;
		int nn = pt_list_dir(&names, "%s", dirs[k]);

		for (int i = 0; i < nn; i++) {
			size_t l = strlen(names[i]);
			bool dup = false;

			if (l < 6 || strcmp(names[i] + l - 5, ".json") != 0)
				continue;
			for (size_t j = 0; j < n; j++)
				dup |= strcmp(strrchr(paths[j], '/') + 1, names[i]) == 0;
			if (dup)
				continue; /* /etc hides /usr/share */
			paths = pt_xrealloc(paths, (n + 1) * sizeof(*paths));
			if (asprintf(&paths[n], "%s/%s", dirs[k], names[i]) < 0)
				pt_die(PT_EXIT_FAIL, "out of memory");
			n++;
		}
		if (nn > 0)
			pt_free_names(names, nn);
	}
	if (n)
		qsort(paths, n, sizeof(*paths), namecmp);
	for (size_t i = 0; i < n; i++) {
		char *text = NULL, why[600];
		long len = pt_read_file(&text, PT_JMAX_TEXT, "%s", paths[i]);
		int r;

		if (len < 0) {
			snprintf(why, sizeof(why), "%s", strerror((int)-len));
			r = -1;
		} else if (pt_fw_desc_parse(text, (size_t)len, &d, why, sizeof(why)) < 0) {
			r = -1;
		} else if ((r = pt_fw_rank(&d, secure_boot, why, sizeof(why))) >= 0 &&
			   !pt_exists("%s", d.code)) {
			snprintf(why, sizeof(why), "%s is missing", d.code);
			r = -1;
		} else if (r >= 0 && d.vars[0] && !pt_exists("%s", d.vars)) {
			snprintf(why, sizeof(why), "%s is missing", d.vars);
			r = -1;
		}
		free(text);
		if (r < 0) {
			size_t sl = strlen(seen);

			snprintf(seen + sl, sizeof(seen) - sl, "%s%s: %s", sl ? "; " : "", strrchr(paths[i], '/') + 1, why);
			continue;
		}
		if (best < 0 || r < best) {
			best = r;
			memset(fw, 0, sizeof(*fw));
			copy(fw->code, sizeof(fw->code), d.code);
			copy(fw->code_format, sizeof(fw->code_format), d.code_format);
			copy(fw->template_path, sizeof(fw->template_path), d.vars);
			copy(fw->vars_format, sizeof(fw->vars_format), d.vars_format);
			fw->secure_boot = pt_fw_has_feature(&d, "secure-boot");
			fw->requires_smm = pt_fw_has_feature(&d, "requires-smm");
			copy(fw->descriptor, sizeof(fw->descriptor), paths[i]);
		}
	}
	if (best >= 0)
		rc = 0;
	else if (n == 0)
		snprintf(err, errlen, "no firmware descriptor in /etc/qemu/firmware or /usr/share/qemu/firmware "
			 "(Debian: apt-get install ovmf; Fedora: dnf install edk2-ovmf)");
	else
		snprintf(err, errlen, "no %sUEFI firmware for x86_64 q35 among the descriptors (%s)",
			 secure_boot ? "Secure Boot " : "", seen);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}

int pt_fw_vars_path(const char *name, const char *format, char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	const char *ext = format && strcmp(format, "qcow2") == 0 ? "qcow2" : "fd";
	int n;

	if (state && state[0] == '/')
		n = snprintf(buf, len, "%s/passthru-utils/%s_VARS.%s", state, name, ext);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/passthru-utils/%s_VARS.%s", home, name, ext);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* libFuzzer target for the parsers of untrusted text under /etc: the OVMF
 * firmware descriptor reader (common/firmware.c pt_fw_desc_parse: a JSON
 * file anyone with write access to /etc/qemu/firmware controls), vm-run's
 * profile reader (common/vmspec.c pt_vm_profile_argv), and vgpu-split's
 * readers (common/mdevpure.c: mdevctl's definitions, NVIDIA's
 * creatable_vgpu_types, vgpu-split.conf), and vfio-bind's hand-over record
 * (common/handoverpure.c). The first byte picks the parser: odd a
 * descriptor, 0 mod 8 a profile, 4 mod 8 a hand-over record, 2 mod 8 a
 * definition, 6 mod 8 vGPU types and the persistent file. A record that
 * parses formats to the same record. A definition that parses is written
 * and read back to the same definition. Promises checked: a parse that succeeds leaves every
 * string NUL-terminated inside its field, ranks without crashing, and a
 * profile yields only words that start an option or follow one. */
#include "firmware.h"
#include "handover.h"
#include "mdev.h"
#include "vmspec.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], why[256];

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct pt_fw_desc d;

		/* the reader is bounded by len: give it bytes with no NUL after */
		char *buf = malloc(size - 1 ? size - 1 : 1);

		memcpy(buf, data + 1, size - 1);
		if (pt_fw_desc_parse(buf, size - 1, &d, err, sizeof(err)) == 0) {
			if (memchr(d.code, '\0', sizeof(d.code)) == NULL || memchr(d.vars, '\0', sizeof(d.vars)) == NULL ||
			    memchr(d.description, '\0', sizeof(d.description)) == NULL || d.nfeatures > PT_FW_MAX_FEATURES)
				abort();
			pt_fw_rank(&d, false, why, sizeof(why));
			pt_fw_rank(&d, true, why, sizeof(why));
		} else if (memchr(err, '\0', sizeof(err)) == NULL || !err[0]) {
			abort(); /* a failure always says why */
		}
		free(buf);
	} else if (data[0] % 8 == 2) {
		struct pt_mdev_def d, d2;
		char *buf = malloc(size - 1 ? size - 1 : 1);

		memcpy(buf, data + 1, size - 1);
		if (pt_mdev_def_parse(buf, size - 1, &d, err, sizeof(err)) == 0) {
			char *out = pt_mdev_def_format(&d);

			if (pt_mdev_def_parse(out, strlen(out), &d2, err, sizeof(err)) != 0 ||
			    strcmp(d.type, d2.type) != 0 || d.autostart != d2.autostart || d.nattrs != d2.nattrs)
				abort();
			for (size_t i = 0; i < d.nattrs; i++)
				if (strcmp(d.attrs[i].name, d2.attrs[i].name) || strcmp(d.attrs[i].value, d2.attrs[i].value))
					abort();
			pt_mdev_def_free(&d2);
			free(out);
			pt_mdev_def_free(&d);
		} else if (!err[0] || d.attrs || d.nattrs) {
			abort();
		}
		free(buf);
	} else if (data[0] % 8 == 4) {
		/* a hand-over record (/run/passthru-utils/handover/BDF): one that
		 * parses formats to text that parses to the same record */
		struct pt_handover ho, ho2;
		char *text = malloc(size), *out;

		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		memset(&ho, 0, sizeof(ho));
		if (pt_handover_parse(text, &ho)) {
			if (ho.ncons > PT_HANDOVER_MAX_CONSOLES || !memchr(ho.fbdev, '\0', sizeof(ho.fbdev)) ||
			    (ho.fbdev[0] && !ho.fbdrv[0]))
				abort();
			out = pt_handover_format(&ho);
			memset(&ho2, 0, sizeof(ho2));
			if (!pt_handover_parse(out, &ho2) || ho2.ncons != ho.ncons || strcmp(ho.fbdev, ho2.fbdev) ||
			    strcmp(ho.fbdrv, ho2.fbdrv))
				abort();
			for (size_t i = 0; i < ho.ncons; i++)
				if (strcmp(ho.consoles[i], ho2.consoles[i]) != 0)
					abort();
			free(out);
		}
		free(text);
	} else if (data[0] % 8 == 6) {
		struct pt_vgpu_type types[16];
		struct pt_split_entry *e;
		char *text = malloc(size), uuid[PT_UUID_LEN];
		size_t n;
		int bad;
		unsigned id;

		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		n = pt_vgpu_types_parse(text, types, 16);
		for (size_t i = 0; i < n; i++)
			if (types[i].id == 0 || !types[i].name[0] ||
			    (!isdigit((unsigned char)types[i].name[0]) && pt_vgpu_type_pick(types[i].name, types, n, false, &id)))
				abort();
		n = pt_split_conf_parse(text, &e, &bad, err, sizeof(err));
		if (n) {
			char *out = pt_split_conf_format(e, n);
			struct pt_split_entry *e2;
			size_t n2 = pt_split_conf_parse(out, &e2, &bad, err, sizeof(err));

			if (n2 != n || bad)
				abort();
			for (size_t i = 0; i < n; i++)
				if (e[i].kind != e2[i].kind || strcmp(e[i].bdf, e2[i].bdf) || e[i].value != e2[i].value ||
				    e[i].no_autoprobe != e2[i].no_autoprobe || e[i].vfio != e2[i].vfio)
					abort();
			free(e2);
			free(out);
		}
		free(e);
		if (!pt_uuid_parse(text, uuid) && strlen(uuid) != 36)
			abort();
		free(text);
	} else {
		char *text = malloc(size);
		int argc = 0;
		char **argv = NULL;

		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (pt_vm_profile_argv(text, NULL, &argc, &argv, err, sizeof(err)) == 0) {
			if (argc && argv[0][0] != '-')
				abort();
		} else if (strncmp(err, "line ", 5) != 0) {
			abort();
		}
		for (int i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
		free(text);
	}
	return 0;
}

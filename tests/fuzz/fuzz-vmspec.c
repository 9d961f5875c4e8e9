/* libFuzzer target for vm-run's parsers of untrusted text: the OVMF
 * firmware descriptor reader (common/firmware.c pt_fw_desc_parse: a JSON
 * file anyone with write access to /etc/qemu/firmware controls) and the
 * profile reader (common/vmspec.c pt_vm_profile_argv). The first byte
 * picks the parser. Promises checked: a parse that succeeds leaves every
 * string NUL-terminated inside its field, ranks without crashing, and a
 * profile yields only words that start an option or follow one. */
#include "firmware.h"
#include "vmspec.h"

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

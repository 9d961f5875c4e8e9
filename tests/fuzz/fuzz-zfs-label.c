/* libFuzzer target for the ZFS label config reader of zpool-passthru
 * (common/zpool.c pt_zlabel_parse: bytes of any disk, so anyone who can
 * write a disk the host sees controls them). Promises checked: every
 * string read is NUL-terminated inside its field and not empty; valid says whether anything was read; what a probe with that
 * label amounts to is decided without crashing, and says something when
 * the label is valid. */
#include "zpool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_zprobe p;
	struct pt_zfinding f;
	/* the reader is bounded by len: give it exactly the input's bytes */
	unsigned char *buf = malloc(size ? size : 1);
	bool valid;

	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	valid = pt_zlabel_parse(buf, size, &p.zl);
	free(buf);
	if (valid != p.zl.valid)
		abort();
	if (!memchr(p.zl.name, '\0', sizeof(p.zl.name)) || !memchr(p.zl.hostname, '\0', sizeof(p.zl.hostname)))
		abort();
	if ((p.zl.has_name && !p.zl.name[0]) || (p.zl.has_hostname && !p.zl.hostname[0]))
		abort();
	if (p.zl.valid != (p.zl.has_name || p.zl.has_state || p.zl.has_txg || p.zl.has_pool_guid ||
			   p.zl.has_guid || p.zl.has_hostid || p.zl.has_hostname))
		abort();
	strcpy(p.name, "sdx");
	pt_zprobe_judge(&p, &f);
	if (valid && f.kind == PT_ZFIND_NONE)
		abort();
	if (!valid && f.kind != PT_ZFIND_NONE)
		abort();
	if (f.pool && (f.pool < p.zl.name || f.pool >= p.zl.name + sizeof(p.zl.name)))
		abort();
	(void)pt_zlabel_foreign(&p.zl, 0x3f2a1b4c);
	return 0;
}

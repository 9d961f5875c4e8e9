/* The hand-over and the hand-back as transactions (handover.h). */
#include "handover.h"
#include "msg.h"
#include "sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int step_failed(int rc, const char *what, const char *name, char *err, size_t len)
{
	snprintf(err, len, "%s %s: %s", what, name, rc == -EINVAL ? "not a name the kernel gives" : strerror(-rc));
	return rc;
}

int pt_handover_txn(struct pt_txn *t, const struct pt_handover *ho, const struct pt_bind *b, size_t n,
		    char *err, size_t len)
{
	char path[128], *text;
	int rc;

	for (size_t i = 0; i < ho->ncons; i++)
		if ((rc = pt_txn_add_console(t, ho->consoles[i], false, true)) < 0)
			return step_failed(rc, "console", ho->consoles[i], err, len);
	if (ho->fbdev[0] && (rc = pt_txn_add_platform(t, ho->fbdev, ho->fbdrv, "", true)) < 0)
		return step_failed(rc, "framebuffer", ho->fbdev, err, len);
	if ((rc = pt_vfio_bind_txn(t, b, n, false, err, len)) < 0)
		return rc;
	snprintf(path, sizeof(path), PT_HANDOVER_DIR "/%s", ho->gpu);
	text = pt_handover_format(ho);
	rc = pt_txn_add_file(t, path, text);
	free(text);
	if (rc < 0)
		snprintf(err, len, "%s: %s", path, strerror(-rc));
	return rc;
}

int pt_handback_txn(struct pt_txn *t, const struct pt_dev *gpu, const struct pt_bind *b, size_t n,
		    struct pt_handover *ho, bool *recorded, char *err, size_t len)
{
	char path[128], *text = NULL, drv[64];
	int rc;

	memset(ho, 0, sizeof(*ho));
	snprintf(ho->gpu, sizeof(ho->gpu), "%s", gpu->name);
	snprintf(path, sizeof(path), PT_HANDOVER_DIR "/%s", gpu->name);
	*recorded = pt_read_file(&text, 1 << 16, "%s", path) >= 0;
	if (*recorded && !pt_handover_parse(text, ho)) {
		free(text);
		snprintf(err, len, "%s is not a hand-over record of this version; left as it is", path);
		return PT_EXIT_FAIL;
	}
	free(text);
	if ((rc = pt_vfio_release_txn(t, b, n, false, err, len)) != PT_EXIT_OK)
		return rc;
	/* no record: the consoles a hand-over would have released */
	if (!*recorded) {
		struct pt_console c[16];
		size_t nc = pt_consoles(c, 16);

		for (size_t i = 0; i < nc && ho->ncons < PT_HANDOVER_MAX_CONSOLES; i++)
			if (pt_vtcon_is_fb(c[i].name) && c[i].bind == 0)
				memcpy(ho->consoles[ho->ncons++], c[i].name, sizeof(ho->consoles[0]));
	}
	/* the firmware framebuffer, if it is still there unbound (a GPU driver
	 * that replaces it removes it) */
	if (ho->fbdev[0] && pt_platform_driver(ho->fbdev, drv, sizeof(drv)) && !drv[0] &&
	    (rc = pt_txn_add_platform(t, ho->fbdev, "", ho->fbdrv, false)) < 0) {
		step_failed(rc, "framebuffer", ho->fbdev, err, len);
		return PT_EXIT_FAIL;
	}
	for (size_t i = 0; i < ho->ncons; i++)
		if ((rc = pt_txn_add_console(t, ho->consoles[i], true, false)) < 0) {
			step_failed(rc, "console", ho->consoles[i], err, len);
			return PT_EXIT_FAIL;
		}
	if (*recorded && (rc = pt_txn_add_file(t, path, NULL)) < 0) {
		snprintf(err, len, "%s: %s", path, strerror(-rc));
		return PT_EXIT_FAIL;
	}
	return PT_EXIT_OK;
}

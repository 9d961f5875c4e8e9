/* The single-GPU hand-over: the host's display card to vfio-pci and back.
 * The host holds a display card in layers, released top down and given
 * back bottom up: the frame buffer consoles on the virtual terminals, the
 * firmware framebuffer (efifb, vesafb, simpledrm's simple-framebuffer)
 * that maps the card's memory, the card's own driver. Each layer is a step
 * of the transaction (txn.h), so a failure or a signal puts back what was
 * released, and a record under /run says what the hand-back puts back. */
#ifndef PT_HANDOVER_H
#define PT_HANDOVER_H

#include "pcidev.h"
#include "txn.h"
#include "vfio.h"

#include <stdbool.h>
#include <stddef.h>

#define PT_HANDOVER_DIR "/run/passthru-utils/handover"
#define PT_HANDOVER_MAX_CONSOLES 4

/* What a hand-over releases on one card (and its record's content). */
struct pt_handover {
	char gpu[PT_BDF_LEN];          /* the display function, naming the record */
	char consoles[PT_HANDOVER_MAX_CONSOLES][64]; /* frame buffer consoles, by name */
	char vtcons[PT_HANDOVER_MAX_CONSOLES][16];   /* their vtconN when surveyed */
	size_t ncons;
	char fbdev[64];                /* the platform framebuffer ("efi-framebuffer.0"), "" none */
	char fbdrv[64];                /* its driver then */
	char fblabel[64];              /* what /proc/iomem calls its memory ("efifb", "BOOTFB") */
};

/* ---- pure pieces, unit-tested ---- */

/* Whether a vtconsole name is a framebuffer console's ("(M) frame buffer device"). */
bool pt_vtcon_is_fb(const char *name);
/* The name without its "(M) " or "(S) " mark. */
const char *pt_vtcon_bare(const char *name);
/* The platform devices that may hold the memory /proc/iomem calls `label`:
 * "efi-framebuffer" for efifb, "simple-framebuffer" for BOOTFB, simpledrm
 * and simplefb, "vesa-framebuffer" for vesafb; NULL for another label. */
const char *pt_fb_platform_name(const char *label);
/* The record's text, and back; parse returns false on anything malformed
 * (a name that is not one, an unknown line, too many consoles). */
char *pt_handover_format(const struct pt_handover *ho);
bool pt_handover_parse(const char *text, struct pt_handover *ho);

/* ---- the host ---- */

/* A console registered on the virtual terminals (/sys/class/vtconsole). */
struct pt_console {
	char vtcon[16];   /* "vtcon1" */
	char name[64];    /* "(M) frame buffer device" */
	int bind;         /* 1 bound, 0 not, -1 unreadable */
};
_Static_assert(sizeof(((struct pt_console *)0)->name) == sizeof(((struct pt_handover *)0)->consoles[0]) &&
	       sizeof(((struct pt_console *)0)->vtcon) == sizeof(((struct pt_handover *)0)->vtcons[0]),
	       "a console's fields are a record's");
/* Every registered console, in vtcon order (at most max). Returns how many. */
size_t pt_consoles(struct pt_console *out, size_t max);

/* The /sys/class/vtconsole entry ("vtcon1") whose name is `name` (the mark
 * aside), its bind state in *bound. False when none. */
bool pt_vtcon_find(const char *name, char *vtcon, size_t len, bool *bound);
/* Bind fbcon to the virtual terminals through the framebuffer layer
 * (FBIOPUT_CON2FBMAP on the lowest /dev/fbN, as con2fbmap(1) does): the way
 * back when a vtconsole bind cannot be written, which vt_bind() ignores
 * unless a built-in "(S)" console is registered to take over from.
 * Returns 0 or -errno. */
int pt_fbcon_takeover(void);
/* A platform device's driver ("" none) in drv; false when it is gone. */
bool pt_platform_driver(const char *dev, char *drv, size_t len);

/* The display function of d's slot (d itself when it is one), NULL when
 * the slot has none; every function of the slot in *out (malloc'd). */
const struct pt_dev *pt_slot_display(const struct pt_host *h, const struct pt_dev *d);
size_t pt_slot_functions(const struct pt_host *h, const struct pt_dev *d, struct pt_dev ***out);

/* The boot display of d's slot (what vm-run --managed hands over rather
 * than binds), NULL when d's slot is not the boot display's. */
const struct pt_dev *pt_boot_display_slot(const struct pt_host *h, const struct pt_dev *d);

/* What the host holds on display card gpu now: the bound frame buffer
 * consoles (when a framebuffer is on the card: its driver's fbN, or a
 * firmware one in its BARs) and the bound platform framebuffer whose
 * memory /proc/iomem shows inside its BARs. */
void pt_handover_survey(const struct pt_dev *gpu, struct pt_handover *ho);
/* The processes holding its display (pt_display_users, the platform
 * framebuffer's nodes too). Returns how many. */
int pt_handover_users(const struct pt_dev *gpu, const struct pt_handover *ho, char *buf, size_t len);

/* The hand-over: the consoles unbound and the platform framebuffer off its
 * driver (early steps), every planned device to vfio-pci, the record
 * written. Returns 0 or -errno with the reason in err. */
int pt_handover_txn(struct pt_txn *t, const struct pt_handover *ho, const struct pt_bind *b, size_t n,
		    char *err, size_t len);
/* The hand-back of gpu's slot (planned devices b): every device off
 * vfio-pci to the driver it had, then the platform framebuffer and the
 * consoles of the record bound again, the record removed. With no record
 * (*recorded false): the devices reprobed and every unbound frame buffer
 * console bound. *ho gets the record. Returns a PT_EXIT_ code. */
int pt_handback_txn(struct pt_txn *t, const struct pt_dev *gpu, const struct pt_bind *b, size_t n,
		    struct pt_handover *ho, bool *recorded, char *err, size_t len);
/* After a hand-back: whether the display is up on gpu again (a DRM card or
 * a framebuffer on it, or the platform framebuffer bound, and a frame
 * buffer console bound when one was released); what shows it in `what`
 * ("card0, fb0 \"bochs-drmdrmfb\"; console vtcon0 bound"). */
bool pt_handback_check(const struct pt_dev *gpu, const struct pt_handover *ho, char *what, size_t len);

/* Whether this kernel's vfio-pci removes the firmware framebuffer of a
 * VGA card it takes (Linux 6.0 and later; unknown: yes), so a hand-back
 * cannot bind it again. */
bool pt_vfio_removes_firmware_fb(void);

/* Whether a record of gpu exists. */
bool pt_handover_recorded(const char *gpu);

#endif

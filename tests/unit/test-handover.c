/* The hand-over's pure pieces: console and framebuffer names, the record,
 * and its steps in the journal (early ones marked, read back as such). */
#include "handover.h"
#include "tap.h"

#include <stdlib.h>

int main(void)
{
	struct pt_handover ho, back;
	struct pt_txn t, j;
	char *text;
	long pid;
	bool committed;

	ok(pt_vtcon_is_fb("(M) frame buffer device") && pt_vtcon_is_fb("(S) frame buffer device"),
	   "fbcon's name, modular or built in, is a frame buffer console");
	ok(!pt_vtcon_is_fb("(S) dummy device") && !pt_vtcon_is_fb("(S) VGA+") && !pt_vtcon_is_fb(""),
	   "the dummy console and vgacon are not");
	is_str(pt_vtcon_bare("(M) frame buffer device"), "frame buffer device", "the mark goes");
	is_str(pt_vtcon_bare("frame buffer device"), "frame buffer device", "no mark: as it is");
	is_str(pt_vtcon_bare("(M)x"), "(M)x", "a short name keeps its bytes");

	is_str(pt_fb_platform_name("efifb"), "efi-framebuffer", "efifb's memory: efi-framebuffer.N");
	is_str(pt_fb_platform_name("vesafb"), "vesa-framebuffer", "vesafb's: vesa-framebuffer.N");
	is_str(pt_fb_platform_name("BOOTFB"), "simple-framebuffer", "sysfb's BOOTFB: simple-framebuffer.N");
	is_str(pt_fb_platform_name("simpledrm"), "simple-framebuffer", "simpledrm's: simple-framebuffer.N");
	ok(pt_fb_platform_name("bochs-drm") == NULL && pt_fb_platform_name("") == NULL,
	   "a GPU driver's own region is no firmware framebuffer");

	memset(&ho, 0, sizeof(ho));
	snprintf(ho.gpu, sizeof(ho.gpu), "0000:01:00.0");
	snprintf(ho.consoles[0], sizeof(ho.consoles[0]), "(M) frame buffer device");
	ho.ncons = 1;
	snprintf(ho.fbdev, sizeof(ho.fbdev), "efi-framebuffer.0");
	snprintf(ho.fbdrv, sizeof(ho.fbdrv), "efi-framebuffer");
	text = pt_handover_format(&ho);
	is_str(text, "# vfio-bind --handover of 0000:01:00.0: what vfio-bind --handback puts back\n"
		     "console (M) frame buffer device\n"
		     "framebuffer efi-framebuffer.0 efi-framebuffer\n", "the record's text, exactly");
	memset(&back, 0, sizeof(back));
	snprintf(back.gpu, sizeof(back.gpu), "0000:01:00.0");
	ok(pt_handover_parse(text, &back), "the record reads back");
	ok(back.ncons == 1 && strcmp(back.consoles[0], "(M) frame buffer device") == 0 &&
	   strcmp(back.fbdev, "efi-framebuffer.0") == 0 && strcmp(back.fbdrv, "efi-framebuffer") == 0 &&
	   strcmp(back.gpu, "0000:01:00.0") == 0, "field by field, the card's address kept");
	free(text);
	ok(pt_handover_parse("# nothing released\n", &back) && back.ncons == 0 && !back.fbdev[0],
	   "a record of nothing released (a card with no console on it)");
	ok(pt_handover_parse("console (M) frame buffer device", &back) && back.ncons == 1,
	   "a last line without its newline");

	static const char *const bad[] = {
		"console \n",
		"console a\x1b[2Jb\n",
		"framebuffer efi-framebuffer.0\n",
		"framebuffer ../../x efi-framebuffer\n",
		"framebuffer efi-framebuffer.0 efi/framebuffer\n",
		"framebuffer a b c\n",
		"framebuffer a b\nframebuffer c d\n",
		"console a\nconsole b\nconsole c\nconsole d\nconsole e\n",
		"bogus line\n",
		"console aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!pt_handover_parse(bad[i], &back), "malformed record %zu refused", i);

	/* the steps in the journal: a console and a framebuffer before the
	 * devices (early), read back in order with their phase */
	pt_txn_init(&t, "handover");
	t.steps = calloc(3, sizeof(*t.steps));
	t.nsteps = 3;
	t.steps[0].kind = PT_STEP_CONSOLE;
	snprintf(t.steps[0].path, sizeof(t.steps[0].path), "(M) frame buffer device");
	snprintf(t.steps[0].a, sizeof(t.steps[0].a), "1");
	snprintf(t.steps[0].b, sizeof(t.steps[0].b), "0");
	t.steps[0].early = true;
	t.steps[1].kind = PT_STEP_PLATFORM;
	snprintf(t.steps[1].path, sizeof(t.steps[1].path), "simple-framebuffer.0");
	snprintf(t.steps[1].a, sizeof(t.steps[1].a), "simple-framebuffer");
	t.steps[1].early = true;
	t.steps[2].kind = PT_STEP_CONSOLE;
	snprintf(t.steps[2].path, sizeof(t.steps[2].path), "(M) frame buffer device");
	snprintf(t.steps[2].a, sizeof(t.steps[2].a), "0");
	snprintf(t.steps[2].b, sizeof(t.steps[2].b), "1");
	text = pt_txn_format(&t, false);
	ok(strstr(text, "step console 284d29206672616d652062756666657220646576696365 31 30 early\n") != NULL,
	   "a console step: its name in hex, bind 1 -> 0, early");
	ok(strstr(text, "step platform 73696d706c652d6672616d656275666665722e30 73696d706c652d6672616d65627566666572 = "
			"early\n") != NULL, "a framebuffer step: device, its driver, none after, early");
	ok(pt_txn_parse(text, &j, &pid, &committed) && !committed, "the journal reads back");
	ok(j.nsteps == 3 && j.steps[0].kind == PT_STEP_CONSOLE && j.steps[0].early &&
	   strcmp(j.steps[0].path, "(M) frame buffer device") == 0 && strcmp(j.steps[0].a, "1") == 0 &&
	   j.steps[1].kind == PT_STEP_PLATFORM && j.steps[1].early && strcmp(j.steps[1].a, "simple-framebuffer") == 0 &&
	   j.steps[1].b[0] == '\0' && j.steps[2].kind == PT_STEP_CONSOLE && !j.steps[2].early &&
	   strcmp(j.steps[2].b, "1") == 0, "step by step, phase included");
	free(text);
	pt_txn_free(&j);

	static const char *const badj[] = {
		/* a console bound to "2" */
		"passthru-utils journal 1\npid 1\naction handover\nstep console 61 31 32 early\n",
		/* a framebuffer device that would become a path */
		"passthru-utils journal 1\npid 1\naction handover\nstep platform 2e2e2f78 61 = early\n",
		/* from a driver to the same driver: no step */
		"passthru-utils journal 1\npid 1\naction handover\nstep platform 61 62 62\n",
		/* a sixth word that is not "early" */
		"passthru-utils journal 1\npid 1\naction handover\nstep console 61 31 30 late\n",
		/* a console name with a newline */
		"passthru-utils journal 1\npid 1\naction handover\nstep console 610a62 31 30\n",
	};
	for (size_t i = 0; i < sizeof(badj) / sizeof(badj[0]); i++) {
		ok(!pt_txn_parse(badj[i], &j, &pid, &committed), "malformed step %zu refused", i);
		pt_txn_free(&j);
	}
	pt_txn_free(&t);
	return tap_done();
}

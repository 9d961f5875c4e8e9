/* The transaction's pure pieces: names that may become paths, and the
 * journal's text written and read back. */
#include "msg.h"
#include "tap.h"
#include "txn.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	struct pt_txn t, back;
	long pid;
	bool committed;
	char *text;

	ok(pt_name_ok("e1000e") && pt_name_ok("vfio-pci") && pt_name_ok("snd_hda_intel") && pt_name_ok("xhci_hcd"),
	   "driver names are names");
	ok(!pt_name_ok("") && !pt_name_ok(".") && !pt_name_ok("..") && !pt_name_ok("../../../../tmp/x") &&
	   !pt_name_ok("a/b") && !pt_name_ok("a b") && !pt_name_ok("e1000e\n") && !pt_name_ok("\x1b[2J"),
	   "paths, blanks, newlines and escapes are not");
	char longname[80];
	memset(longname, 'a', 70);
	longname[70] = '\0';
	ok(!pt_name_ok(longname), "nor is a name of 70 characters");

	pt_txn_init(&t, "bind");
	t.dev = calloc(2, sizeof(*t.dev));
	t.n = 2;
	snprintf(t.dev[0].bdf, sizeof(t.dev[0].bdf), "0000:00:01.0");
	t.dev[0].group = 1;
	snprintf(t.dev[0].from.driver, 64, "e1000e");
	snprintf(t.dev[0].to.driver, 64, "vfio-pci");
	snprintf(t.dev[0].to.override, 64, "vfio-pci");
	t.dev[0].record = PT_RECORD_CREATE;
	t.dev[0].record_new = true;
	snprintf(t.dev[1].bdf, sizeof(t.dev[1].bdf), "10000:01:00.0");
	t.dev[1].group = -1;
	snprintf(t.dev[1].to.driver, 64, PT_ANY_DRIVER);
	t.dev[1].record = PT_RECORD_REMOVE;
	t.files = calloc(2, sizeof(*t.files));
	t.nfiles = 2;
	snprintf(t.files[0].path, sizeof(t.files[0].path), PT_PERSIST_DIR "/pci-0000:00:01.0");
	t.files[0].old = strdup("nvidia\r\n# a second line\n");
	t.files[0].new = strdup("vfio-pci");
	snprintf(t.files[1].path, sizeof(t.files[1].path), PT_PERSIST_DIR "/pci-01:00.0");
	t.files[1].old = strdup("");
	t.files[1].new = NULL;

	text = pt_txn_format(&t, true);
	ok(pt_txn_parse(text, &back, &pid, &committed), "the journal reads back");
	ok(committed && pid > 0 && strcmp(back.action, "bind") == 0, "action, pid, commit");
	ok(back.n == 2 && strcmp(back.dev[0].bdf, "0000:00:01.0") == 0 && back.dev[0].group == 1 &&
	   strcmp(back.dev[0].from.driver, "e1000e") == 0 && back.dev[0].from.override[0] == '\0' &&
	   strcmp(back.dev[0].to.override, "vfio-pci") == 0 && back.dev[0].record == PT_RECORD_CREATE &&
	   back.dev[0].record_new, "the first device, field by field");
	ok(strcmp(back.dev[1].bdf, "10000:01:00.0") == 0 && back.dev[1].group == -1 &&
	   strcmp(back.dev[1].to.driver, PT_ANY_DRIVER) == 0 && back.dev[1].from.driver[0] == '\0' &&
	   back.dev[1].record == PT_RECORD_REMOVE && !back.dev[1].record_new, "a VMD-domain device, no driver, any driver");
	ok(back.nfiles == 2 && strcmp(back.files[0].old, "nvidia\r\n# a second line\n") == 0 &&
	   strcmp(back.files[0].new, "vfio-pci") == 0, "a file's old bytes exactly, CR and second line included");
	ok(back.files[1].old && back.files[1].old[0] == '\0' && back.files[1].new == NULL,
	   "an empty old file is not an absent one; a removal has no new content");
	pt_txn_free(&back);
	free(text);

	text = pt_txn_format(&t, false);
	ok(pt_txn_parse(text, &back, &pid, &committed) && !committed, "without the commit line: not committed");
	pt_txn_free(&back);
	free(text);

	/* a lease: its owner's pid and start time come back as written */
	t.owner = 4242;
	t.owner_start = 123456789ULL;
	text = pt_txn_format(&t, false);
	ok(pt_txn_parse(text, &back, &pid, &committed) && pid == 4242 && back.owner_start == 123456789ULL,
	   "a lease names its owner and the owner's start time");
	pt_txn_free(&back);
	free(text);
	pt_txn_free(&t);

	static const char *const bad[] = {
		"",
		"passthru-utils journal 2\naction bind\n",
		"passthru-utils journal 1\n",
		"passthru-utils journal 1\naction bind\ndevice 0000:00:01.0 1 ../x - vfio-pci vfio-pci create 1\n",
		"passthru-utils journal 1\naction bind\ndevice 00:1g.0 1 e1000e - vfio-pci vfio-pci create 1\n",
		"passthru-utils journal 1\naction bind\ndevice 0000:00:01.0 1 e1000e - vfio-pci vfio-pci maybe 1\n",
		"passthru-utils journal 1\naction bind\nfile /etc/passwd - 41\n",
		"passthru-utils journal 1\naction bind\nfile /etc/driverctl.d/pci-/../../passwd - 41\n",
		"passthru-utils journal 1\naction bind\nsomething else\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(!pt_txn_parse(bad[i], &back, &pid, &committed), "malformed journal %zu refused", i);
		pt_txn_free(&back);
	}
	return tap_done();
}

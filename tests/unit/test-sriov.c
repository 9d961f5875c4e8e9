/* SR-IOV's pure parts: sriov_vf_device in both spellings, the VF count
 * against the total, the writes a change needs (through 0), VF addresses. */
#include "sriov.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static void id_good(const char *in, unsigned want)
{
	uint16_t id = 0;
	const char *err = pt_sriov_parse_id(in, &id);
	char shown[32];

	snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(in, "\n"), in);
	ok(!err && id == want, "sriov_vf_device '%s%s' is %04x (%s, got %04x)", shown,
	   strchr(in, '\n') ? "\\n" : "", want, err ? err : "parsed", id);
}

static void id_bad(const char *in)
{
	uint16_t id = 0xbeef;
	const char *err = pt_sriov_parse_id(in, &id);

	ok(err && id == 0xbeef, "sriov_vf_device '%s' refused: %s", in, err ? err : "accepted");
}

static void count(const char *in, int total, const char *want_err, int want)
{
	char err[128];
	int n = -7;
	const char *e = pt_sriov_parse_count(in, total, &n, err, sizeof(err));

	if (want_err)
		is_str(e ? e : "(accepted)", want_err, "--vfs %s with total %d refused", in, total);
	else
		ok(!e && n == want, "--vfs %s with total %d is %d (%s)", in, total, want, e ? e : "accepted");
}

/* The plan as text: "attr=value attr=value". */
static void plan(int now, int want, int autoprobe, const char *expect)
{
	struct pt_sriov_step st[3];
	size_t n = pt_sriov_plan(now, want, autoprobe, st, 3);
	char buf[256] = "";

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(buf);
		snprintf(buf + l, sizeof(buf) - l, "%s%s=%d", i ? " " : "", st[i].attr, st[i].value);
	}
	is_str(buf, expect, "plan %d -> %d (autoprobe %d)", now, want, autoprobe);
}

static void vf(const char *pf, int offset, int stride, int i, const char *want)
{
	struct pt_bdf b, out;
	char buf[PT_BDF_LEN];

	pt_bdf_parse(pf, &b);
	is_str(pt_sriov_vf_addr(&b, offset, stride, i, &out) ? pt_bdf_format(&out, buf) : "(none)", want,
	       "VF %d of %s (offset %d, stride %d)", i, pf, offset, stride);
}

int main(void)
{
	id_good("154c", 0x154c);
	id_good("0x154c", 0x154c);
	id_good("0X154C\n", 0x154c);
	id_good("0010", 0x0010);
	id_good("a", 0xa);
	id_bad("");
	id_bad("0x");
	id_bad("12345");
	id_bad("154g");
	id_bad("154c 1");
	id_bad("-154c");

	count("0", 64, NULL, 0);
	count("4", 4, NULL, 4);
	count("64", 64, NULL, 64);
	count("65", 64, "--vfs 65: the device has at most 64 VFs (sriov_totalvfs)", 0);
	count("1", 0, "--vfs 1: the device has at most 0 VFs (sriov_totalvfs)", 0);
	count("", 64, "--vfs : not a number of VFs", 0);
	count("-1", 64, "--vfs -1: not a number of VFs", 0);
	count("2x", 64, "--vfs 2x: not a number of VFs", 0);
	count(" 2", 64, "--vfs  2: not a number of VFs", 0);
	count("99999999999", -1, "--vfs 99999999999: more VFs than SR-IOV can have (65535)", 0);
	count("7", -1, NULL, 7);

	plan(0, 0, 1, "");
	plan(4, 4, 0, "");
	plan(0, 2, 1, "sriov_drivers_autoprobe=1 sriov_numvfs=2");
	plan(0, 2, 0, "sriov_drivers_autoprobe=0 sriov_numvfs=2");
	plan(2, 3, 0, "sriov_numvfs=0 sriov_drivers_autoprobe=0 sriov_numvfs=3");
	plan(4, 2, 1, "sriov_numvfs=0 sriov_drivers_autoprobe=1 sriov_numvfs=2");
	plan(3, 0, 1, "sriov_numvfs=0");

	vf("0000:18:00.0", 16, 1, 0, "0000:18:02.0");
	vf("0000:18:00.0", 16, 1, 3, "0000:18:02.3");
	vf("0000:18:00.1", 79, 1, 0, "0000:18:0a.0");
	vf("0000:00:03.0", 1, 1, 1, "0000:00:03.2");
	vf("0000:ff:1f.7", 1, 1, 0, "(none)");
	vf("0000:18:00.0", 0, 1, 0, "(none)");
	return tap_done();
}

/* BDF, vendor ID and class filter parsing: what is accepted, what is not. */
#include "bdf.h"
#include "classes.h"
#include "tap.h"

static void good(const char *in, const char *want)
{
	struct pt_bdf b;
	char buf[PT_BDF_LEN];
	const char *err = pt_bdf_parse(in, &b);

	is_str(err ? err : pt_bdf_format(&b, buf), want, "parse '%s'", in);
}

static void bad(const char *in, const char *why)
{
	struct pt_bdf b = { 0xdead, 0, 0, 0 };
	const char *err = pt_bdf_parse(in, &b);

	char shown[64];
	size_t i;

	for (i = 0; in[i] && i + 1 < sizeof(shown); i++)
		shown[i] = (in[i] < 0x20) ? '?' : in[i];
	shown[i] = '\0';
	ok(err != NULL && b.domain == 0xdead, "refuse '%s' (%s): %s", shown, why, err ? err : "accepted");
}

int main(void)
{
	good("0000:01:00.0", "0000:01:00.0");
	good("01:00.0", "0000:01:00.0");
	good("0001:3b:02.7", "0001:3b:02.7");
	good("10000:01:00.0", "10000:01:00.0");
	good("0000:ff:1f.7", "0000:ff:1f.7");
	good("0000:0A:1F.3", "0000:0a:1f.3");
	good("1:0.0", "0000:01:00.0");

	bad("", "empty");
	bad("0000:01:00.8", "function 8");
	bad("0000:01:20.0", "device 0x20");
	bad("0000:100:00.0", "bus 0x100");
	bad("01:00", "no function");
	bad("0000:01:00.0/../..", "path trick");
	bad("../0000:01:00.0", "leading path");
	bad("0000:01:00.0 ", "trailing space");
	bad(" 0000:01:00.0", "leading space");
	bad("0000:01:00.00", "two-digit function");
	bad("0000:01:00.-1", "negative function");
	bad("000000000:01:00.0", "9-digit domain");
	bad("g000:01:00.0", "not hex");
	bad("0000:01:00.0\n", "newline");
	bad("100:00.0", "short form bus 0x100");
	bad("0000::00.0", "empty bus");

	{
		struct pt_bdf a, b;
		pt_bdf_parse("0000:01:00.0", &a);
		pt_bdf_parse("0000:01:00.1", &b);
		ok(pt_bdf_same_slot(&a, &b) && pt_bdf_cmp(&a, &b) < 0, "01:00.0 and 01:00.1 share a slot, sort in order");
		pt_bdf_parse("0001:01:00.1", &b);
		ok(!pt_bdf_same_slot(&a, &b) && pt_bdf_cmp(&a, &b) < 0, "other domain: other slot, sorts after");
	}
	{
		struct pt_pci_id id;
		unsigned v;
		ok(pt_pci_id_parse("10de:2206", &id) == NULL && id.vendor == 0x10de && id.device == 0x2206, "id 10de:2206");
		ok(pt_pci_id_parse("10de:22061", &id) != NULL, "id with 5-digit device refused");
		ok(pt_pci_id_parse("10de", &id) != NULL, "id without device refused");
		ok(pt_pci_id_parse("10de:", &id) != NULL, "id with empty device refused");
		ok(pt_vendor_parse("10de", &v) == NULL && v == 0x10de, "vendor 10de");
		ok(pt_vendor_parse("nvidia", &v) != NULL, "vendor name refused");
		ok(pt_vendor_parse("10de0", &v) != NULL, "5-digit vendor refused");
	}
	{
		struct pt_class_filter f;
		ok(pt_class_filter_parse("display", &f) == NULL && pt_class_filter_match(&f, 0x0300, 0) &&
		   pt_class_filter_match(&f, 0x0302, 0) && pt_class_filter_match(&f, 0x0380, 0) &&
		   !pt_class_filter_match(&f, 0x0403, 0), "display is base class 03, 3D controllers included");
		ok(pt_class_filter_parse("audio", &f) == NULL && pt_class_filter_match(&f, 0x0403, 0) &&
		   pt_class_filter_match(&f, 0x0401, 0) && !pt_class_filter_match(&f, 0x0400, 0), "audio is 0401 and 0403");
		ok(pt_class_filter_parse("usb", &f) == NULL && pt_class_filter_match(&f, 0x0c03, 0x30) &&
		   !pt_class_filter_match(&f, 0x0c05, 0), "usb is 0c03");
		ok(pt_class_filter_parse("0302", &f) == NULL && pt_class_filter_match(&f, 0x0302, 0) &&
		   !pt_class_filter_match(&f, 0x0300, 0), "class code 0302");
		ok(pt_class_filter_parse("0c0330", &f) == NULL && pt_class_filter_match(&f, 0x0c03, 0x30) &&
		   !pt_class_filter_match(&f, 0x0c03, 0x20), "class code with prog-if 0c0330");
		ok(pt_class_filter_parse("02", &f) == NULL && pt_class_filter_match(&f, 0x0200, 0), "base class 02");
		ok(pt_class_filter_parse("gpu", &f) != NULL, "unknown name refused");
		ok(pt_class_filter_parse("030", &f) != NULL, "3 digits refused");
		ok(pt_class_filter_parse("03zz", &f) != NULL, "non-hex refused");
	}
	return tap_done();
}

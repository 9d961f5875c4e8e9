/* The pure parts of mediated devices and vGPU types (mdev.h) and the
 * JSON reader under them (jsonread.h): UUIDs, mdevctl's definitions read
 * and written byte for byte as mdevctl 1.2 does, NVIDIA's
 * creatable_vgpu_types, a type picked by id or name, the toolkit's
 * persistent file. */
#include "jsonread.h"
#include "mdev.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void uuid_good(const char *in, const char *want)
{
	char out[PT_UUID_LEN] = "";
	const char *why = pt_uuid_parse(in, out);

	ok(!why && strcmp(out, want) == 0, "UUID '%s' reads as %s (%s, got '%s')", in, want, why ? why : "ok", out);
}

static void uuid_bad(const char *in, const char *want_why)
{
	char out[PT_UUID_LEN] = "untouched";
	const char *why = pt_uuid_parse(in, out);

	is_str(why, want_why, "UUID '%.*s%s' refused", (int)strcspn(in, "\n"), in, strchr(in, '\n') ? "\\n" : "");
	is_str(out, "untouched", "a refused UUID leaves the output alone");
}

static void uuids(void)
{
	uuid_good("6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13", "6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13");
	uuid_good("6A3C1F0E-8D2B-4E57-9A41-2F0C7B5D9E13", "6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13");
	uuid_bad("", "a UUID has 36 characters (8-4-4-4-12 hex digits)");
	uuid_bad("6a3c1f0e8d2b4e579a412f0c7b5d9e13", "a UUID has 36 characters (8-4-4-4-12 hex digits)");
	uuid_bad("6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e1g", "a UUID is 8-4-4-4-12 hex digits with dashes between");
	uuid_bad("6a3c1f0e-8d2b-4e57-9a412-f0c7b5d9e13", "a UUID is 8-4-4-4-12 hex digits with dashes between");
	uuid_bad("../../../../etc/passwd-aaaaaaaaaaaaa", "a UUID is 8-4-4-4-12 hex digits with dashes between");
	uuid_bad("6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13\n", "a UUID has 36 characters (8-4-4-4-12 hex digits)");
}

static void names(void)
{
	ok(pt_mdev_name_ok("0000:00:02.0"), "a PCI address is a parent's name");
	ok(pt_mdev_name_ok("i915-GVTg_V5_4") && pt_mdev_name_ok("nvidia-222"), "type names pass");
	ok(!pt_mdev_name_ok("") && !pt_mdev_name_ok(".") && !pt_mdev_name_ok(".."), "empty, . and .. do not");
	ok(!pt_mdev_name_ok("a/b") && !pt_mdev_name_ok("a b") && !pt_mdev_name_ok("a\nb"), "/, space, newline do not");
}

/* mdevctl 1.2's own bytes (the .expected files of its define tests). */
static const char gvt_manual[] = "{\n  \"mdev_type\": \"i915-GVTg_V5_4\",\n  \"start\": \"manual\",\n  \"attrs\": []\n}";
static const char ap_attrs[] =
	"{\n  \"mdev_type\": \"vfio_ap-passthrough\",\n  \"start\": \"manual\",\n  \"attrs\": [\n"
	"    {\n      \"assign_adapter\": \"5\"\n    },\n    {\n      \"assign_adapter\": \"6\"\n    },\n"
	"    {\n      \"assign_domain\": \"0xab\"\n    }\n  ]\n}";

static void def_round(const char *text, const char *what)
{
	struct pt_mdev_def d;
	char err[256] = "";
	char *back = NULL;

	if (pt_mdev_def_parse(text, strlen(text), &d, err, sizeof(err)) == 0)
		back = pt_mdev_def_format(&d);
	is_str(back, text, "%s: read and written back byte for byte (%s)", what, err[0] ? err : "parsed");
	free(back);
	pt_mdev_def_free(&d);
}

static void def_bad(const char *text, const char *want)
{
	struct pt_mdev_def d;
	char err[256] = "";
	int rc = pt_mdev_def_parse(text, strlen(text), &d, err, sizeof(err));

	ok(rc < 0 && d.nattrs == 0 && d.attrs == NULL, "a bad definition is refused and holds nothing");
	is_str(err, want, "its reason");
}

static void defs(void)
{
	static const char nullattrs[] = "{\"mdev_type\":\"a\",\"start\":\"manual\",\"attrs\":null}";
	static const char compact[] = "{\"start\":\"auto\",\"mdev_type\":\"nvidia-222\"}";
	struct pt_mdev_def d;
	char err[256];
	char *s;

	def_round(gvt_manual, "mdevctl's GVT-g definition");
	def_round(ap_attrs, "mdevctl's vfio_ap definition with attrs");
	ok(pt_mdev_def_parse(ap_attrs, strlen(ap_attrs), &d, err, sizeof(err)) == 0 && d.nattrs == 3 &&
		   strcmp(d.attrs[2].name, "assign_domain") == 0 && strcmp(d.attrs[2].value, "0xab") == 0 &&
		   !d.autostart && strcmp(d.type, "vfio_ap-passthrough") == 0,
	   "attrs in order, start manual, the type");
	pt_mdev_def_free(&d);
	/* key order and spacing do not matter to a reader; writing is mdevctl's form */
	ok(pt_mdev_def_parse(compact, strlen(compact), &d, err, sizeof(err)) == 0 &&
		   d.autostart && d.nattrs == 0,
	   "compact JSON without attrs: auto, no attributes");
	s = pt_mdev_def_format(&d);
	is_str(s, "{\n  \"mdev_type\": \"nvidia-222\",\n  \"start\": \"auto\",\n  \"attrs\": []\n}",
	       "written in mdevctl's order, no newline at the end");
	free(s);
	pt_mdev_def_free(&d);
	ok(pt_mdev_def_parse(nullattrs, strlen(nullattrs), &d, err, sizeof(err)) == 0,
	   "attrs null is no attributes (mdevctl reads it so)");
	pt_mdev_def_free(&d);
	d = (struct pt_mdev_def){ .autostart = true };
	snprintf(d.type, sizeof(d.type), "t");
	d.attrs = (struct pt_mdev_attr[]){ { (char *)"k", (char *)"a\"b\\c\n" } };
	d.nattrs = 1;
	s = pt_mdev_def_format(&d);
	is_str(s, "{\n  \"mdev_type\": \"t\",\n  \"start\": \"auto\",\n  \"attrs\": [\n    {\n      \"k\": \"a\\\"b\\\\c\\n\"\n"
		  "    }\n  ]\n}", "a value with a quote, a backslash and a newline: escaped as serde_json does");
	free(s);

	def_bad("", "a value expected at byte 0");
	def_bad("{\n  \"mdev_type\": \"nvidia-223\",\n  \"start\": ", "a value expected at byte 42");
	def_bad("[]", "not a JSON object");
	def_bad("{\"start\":\"auto\"}", "no \"mdev_type\" string");
	def_bad("{\"mdev_type\":\"a\"}", "no \"start\" string");
	def_bad("{\"mdev_type\":\"a\",\"start\":\"later\"}", "start is \"later\", not auto or manual");
	def_bad("{\"mdev_type\":\"../x\",\"start\":\"auto\"}", "mdev_type \"../x\" is no type name");
	def_bad("{\"mdev_type\":\"a\",\"start\":\"auto\",\"attrs\":{}}", "attrs is not an array");
	def_bad("{\"mdev_type\":\"a\",\"start\":\"auto\",\"attrs\":[{\"x\":\"1\",\"y\":\"2\"}]}",
		"an attribute is not an object with one string member");
	def_bad("{\"mdev_type\":\"a\",\"start\":\"auto\",\"attrs\":[{\"x\":1}]}",
		"an attribute is not an object with one string member");
	def_bad("{\"mdev_type\":\"a\",\"start\":\"auto\",\"attrs\":[{\"../remove\":\"1\"}]}",
		"attribute \"../remove\" is no attribute name");
	def_bad("{\"mdev_type\":\"a\",\"start\":\"auto\"} x", "data after the document at byte 33");
}

static const char l40s[] = "ID    : vGPU Name\n1155  : NVIDIA L40S-1B\n1156  : NVIDIA L40S-2B\n"
			   "1157  : NVIDIA L40S-1Q\n\n1162  : NVIDIA L40S-48Q  \n";

static void vgpu(void)
{
	struct pt_vgpu_type t[8];
	size_t n = pt_vgpu_types_parse(l40s, t, 8);
	unsigned id = 7;
	const char *why;

	ok(n == 4, "creatable_vgpu_types: the header and the blank line skipped, 4 types (got %zu)", n);
	ok(n == 4 && t[0].id == 1155 && strcmp(t[0].name, "NVIDIA L40S-1B") == 0 && t[3].id == 1162 &&
		   strcmp(t[3].name, "NVIDIA L40S-48Q") == 0,
	   "ids first, names last, trailing spaces gone");
	ok(pt_vgpu_types_parse(l40s, t, 2) == 2, "at most max types");
	ok(pt_vgpu_types_parse("ID : vGPU Name\n", t, 8) == 0, "only the header: none");
	ok(pt_vgpu_types_parse("0 : zero\nx : y\n12 z\n99999999999 : big\n", t, 8) == 0,
	   "id 0, a non-number, no colon, an id past 32 bits: none");
	n = pt_vgpu_types_parse(l40s, t, 8);
	ok(!pt_vgpu_type_pick("1157", t, n, false, &id) && id == 1157, "pick by id");
	ok(!pt_vgpu_type_pick("nvidia l40s-48q", t, n, false, &id) && id == 1162, "pick by name, any case");
	ok(!pt_vgpu_type_pick("0", t, n, true, &id) && id == 0, "0 releases when allowed");
	why = pt_vgpu_type_pick("0", t, n, false, &id);
	is_str(why, "0 is no vGPU type", "0 refused when not allowed");
	why = pt_vgpu_type_pick("1158", t, n, true, &id);
	is_str(why, "not among the VF's creatable vGPU types", "an id not creatable now");
	why = pt_vgpu_type_pick("12x", t, n, true, &id);
	is_str(why, "not a vGPU type id", "a broken id");
	why = pt_vgpu_type_pick("NVIDIA A100-1B", t, n, true, &id);
	is_str(why, "no creatable vGPU type of the VF has that name", "an unknown name");
}

static void conf(void)
{
	struct pt_split_entry *e;
	char err[1024];
	int bad;
	char *s;
	size_t n = pt_split_conf_parse("# hand edit\nvfs 18:00.0 4 no-autoprobe vfio\n\nvgpu 0000:5e:00.4 1157 # L40S-1Q\n"
				       "vfs 0000:18:00.0 2\n", &e, &bad, err, sizeof(err));

	ok(n == 2 && bad == 0, "two entries, the later vfs line for the same PF wins (got %zu, %d bad)", n, bad);
	ok(n == 2 && e[0].kind == PT_SPLIT_VFS && strcmp(e[0].bdf, "0000:18:00.0") == 0 && e[0].value == 2 &&
		   !e[0].no_autoprobe && e[1].kind == PT_SPLIT_VGPU && e[1].value == 1157,
	   "short addresses made full, flags of the line that wins");
	s = pt_split_conf_format(e, n);
	is_str(s, "# vgpu-split --persist: recreated at boot by vgpu-split --apply (vgpu-split(8))\n"
		  "vfs 0000:18:00.0 2\nvgpu 0000:5e:00.4 1157\n", "written back");
	free(s);
	pt_split_conf_set(&e, &n, &(struct pt_split_entry){ PT_SPLIT_VFS, "0000:18:00.0", 0, false, false }, true);
	ok(n == 1 && e[0].kind == PT_SPLIT_VGPU, "set with remove drops the PF's line only");
	pt_split_conf_set(&e, &n, &(struct pt_split_entry){ PT_SPLIT_VFS, "0000:18:00.1", 8, true, true }, false);
	s = pt_split_conf_format(e, n);
	is_str(s, "# vgpu-split --persist: recreated at boot by vgpu-split --apply (vgpu-split(8))\n"
		  "vgpu 0000:5e:00.4 1157\nvfs 0000:18:00.1 8 no-autoprobe vfio\n", "a new line goes last, with its flags");
	free(s);
	free(e);
	n = pt_split_conf_parse("vfs 18:00.0\nvfs zz 2\nvfs 18:00.0 70000\nvfs 18:00.0 2 fast\nvgpu 5e:00.4 0\n"
				"vgpu 5e:00.4\nmdev x\nvgpu 5e:00.5 1155\n", &e, &bad, err, sizeof(err));
	ok(n == 1 && bad == 7 && e[0].value == 1155, "7 bad lines skipped, the good one kept (got %zu, %d bad)", n, bad);
	is_str(err, "line 1: not 'vfs PF N [no-autoprobe] [vfio]' or 'vgpu VF ID'; line 2: not a PCI address; "
		    "line 3: not a VF count; line 4: unknown word (no-autoprobe and vfio are known); "
		    "line 5: not a vGPU type id; line 6: not 'vfs PF N [no-autoprobe] [vfio]' or 'vgpu VF ID'; "
		    "line 7: not 'vfs PF N [no-autoprobe] [vfio]' or 'vgpu VF ID'",
	       "every bad line named with its number");
	free(e);
}

static void json(void)
{
	struct pt_jdoc d;
	char err[128];
	static const char t[] = "{\"a\": [1, true, false, null, \"s\\u00e9\"], \"b\": {\"c\": \"d\"}}";
	int a;

	ok(pt_jparse(t, strlen(t), &d, err, sizeof(err)) == 0, "a document with every kind of value");
	a = pt_jget(&d, d.root, "a");
	ok(pt_jcount(&d, a) == 5 && pt_jis(&d, pt_jfirst(&d, a), PT_J_NUM), "an array of 5, a number first");
	ok(d.nodes[pt_jnext(&d, pt_jfirst(&d, a))].b && !d.nodes[pt_jnext(&d, pt_jnext(&d, pt_jfirst(&d, a)))].b,
	   "true and false keep their value");
	is_str(pt_jstr(&d, pt_jget(&d, pt_jget(&d, d.root, "b"), "c")), "d", "lookups chain");
	ok(pt_jget(&d, -1, "x") == -1 && pt_jstr(&d, -1) == NULL && pt_jfirst(&d, -1) == -1 && pt_jcount(&d, -1) == 0,
	   "an absent node answers absent everywhere");
	pt_jfree(&d);
	ok(pt_jparse("[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", 35, &d, err, sizeof(err)) < 0, "17 deep: refused");
	is_str(err, "nested too deep at byte 16", "and why");
	pt_jfree(&d);
	ok(pt_jparse("\"\\ud800\"", 8, &d, err, sizeof(err)) < 0, "a lone surrogate: refused");
	pt_jfree(&d);
}

int main(void)
{
	uuids();
	names();
	defs();
	vgpu();
	conf();
	json();
	return tap_done();
}

/* The PCI expansion ROM parser: real ROMs from Debian's ipxe-qemu and seabios
 * (expected values read by hand from hex dumps), hand-made bad ROMs (built
 * here exactly as tests/unit/roms/make-bad-roms.py writes them), and every
 * truncation and many corruptions of a good ROM, each parsed from a buffer of
 * exactly its size so that AddressSanitizer sees any read past the end. */
#include "rom.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>

#define ROMS_DIR  "tests/unit/roms/"
#define IPXE_DIR  "/usr/lib/ipxe/qemu/"
#define SEABIOS_DIR "/usr/share/seabios/"
#define UNIT 512

/* A struct pt_rom with its own room for images (rom.h: the caller's). */
#define ROOM 1024
#define PT_ROM(name) \
	static struct pt_rom_image name##_room[ROOM]; \
	struct pt_rom name = { .img = name##_room, .cap = ROOM }

static void skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Parse from a heap copy of exactly len bytes: any over-read is caught. */
static enum pt_rom_verdict parse_exact(const uint8_t *src, size_t len, struct pt_rom *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum pt_rom_verdict v;

	if (len)
		memcpy(copy, src, len);
	v = pt_rom_parse(copy, len, r);
	free(copy);
	return v;
}

static int fix_exact(const uint8_t *src, size_t len, size_t *start, size_t *end, struct pt_rom *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (len)
		memcpy(copy, src, len);
	rc = pt_rom_fix(copy, len, start, end, r);
	free(copy);
	return rc;
}

/* ---- the hand-made ROMs: the same bytes as make-bad-roms.py ---- */

struct rom {
	uint8_t b[0x4000];
	size_t len;
};

static void put16(uint8_t *b, size_t off, unsigned v)
{
	b[off] = v & 0xff;
	b[off + 1] = (v >> 8) & 0xff;
}

static void put32(uint8_t *b, size_t off, unsigned long v)
{
	put16(b, off, v & 0xffff);
	put16(b, off + 2, (v >> 16) & 0xffff);
}

static void pcir(uint8_t *b, unsigned units, unsigned code_type, int last, unsigned devlist)
{
	memcpy(b + 0x1c, "PCIR", 4);
	put16(b, 0x1c + 0x04, 0x1234);
	put16(b, 0x1c + 0x06, 0x1111);
	put16(b, 0x1c + 0x08, devlist);
	put16(b, 0x1c + 0x0a, 0x1c);
	b[0x1c + 0x0c] = 3;
	b[0x1c + 0x0f] = 0x03;
	put16(b, 0x1c + 0x10, units);
	put16(b, 0x1c + 0x12, 1);
	b[0x1c + 0x14] = code_type;
	b[0x1c + 0x15] = last ? 0x80 : 0;
}

static void fix_checksum(uint8_t *b)
{
	size_t n = (size_t)b[2] * UNIT, i;
	unsigned sum = 0;

	b[n - 1] = 0;
	for (i = 0; i < n; i++)
		sum += b[i];
	b[n - 1] = (uint8_t)(0x100 - (sum & 0xff));
}

static void add_x86(struct rom *r, unsigned units, int last)
{
	uint8_t *b = r->b + r->len;

	memset(b, 0, (size_t)units * UNIT);
	b[0] = 0x55, b[1] = 0xaa;
	b[2] = units;
	b[3] = 0xcb;
	put16(b, 0x18, 0x1c);
	pcir(b, units, 0, last, 0x60 - 0x1c);
	put16(b, 0x60, 0x1111);
	put16(b, 0x62, 0x1112);
	fix_checksum(b);
	r->len += (size_t)units * UNIT;
}

static void add_efi_for(struct rom *r, unsigned machine, int last)
{
	uint8_t *b = r->b + r->len;

	memset(b, 0, 2 * UNIT);
	b[0] = 0x55, b[1] = 0xaa;
	put16(b, 0x02, 2);
	put32(b, 0x04, 0x0ef1);
	put16(b, 0x08, 11);
	put16(b, 0x0a, machine);
	put16(b, 0x16, 0x40);
	put16(b, 0x18, 0x1c);
	pcir(b, 2, 3, last, 0);
	b[0x40] = 'M', b[0x41] = 'Z';
	r->len += 2 * UNIT;
}

static void add_efi(struct rom *r)
{
	add_efi_for(r, 0x8664, 1);
}

/* 55 aa, size 2, retf, PCIR pointer 0: an ISA-style option ROM. */
static void add_no_pcir(struct rom *r)
{
	uint8_t *b = r->b + r->len;

	memset(b, 0, 2 * UNIT);
	b[0] = 0x55, b[1] = 0xaa;
	b[2] = 2;
	b[3] = 0xcb;
	fix_checksum(b);
	r->len += 2 * UNIT;
}

static void good(struct rom *r)
{
	r->len = 0;
	add_x86(r, 2, 0);
	add_efi(r);
}

static void vendor_header(struct rom *r)
{
	static const char text[] = "saved by a vendor flash tool; not part of the ROM";

	memset(r->b, 0, 0x400);
	memcpy(r->b, "NVGI", 4);
	memcpy(r->b + 0x10, text, sizeof(text) - 1);
	r->b[0x100] = 0x55, r->b[0x101] = 0xaa;
	r->len = 0x400;
}

static void append_good(struct rom *r)
{
	struct rom g;

	good(&g);
	memcpy(r->b + r->len, g.b, g.len);
	r->len += g.len;
}

static void build(const char *name, struct rom *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	good(r);
	if (!strcmp(name, "truncated")) {
		r->len = 0x600;
	} else if (!strcmp(name, "bad-checksum")) {
		r->b[0x100] = (uint8_t)(r->b[0x100] + 0x3f);
	} else if (!strcmp(name, "pcir-out-of-range")) {
		put16(r->b, 0x18, 0xfff0);
		fix_checksum(r->b);
	} else if (!strcmp(name, "pcir-bad-signature")) {
		memcpy(r->b + 0x1c, "PCI", 4);
		fix_checksum(r->b);
	} else if (!strcmp(name, "zero-length")) {
		put16(r->b, 0x1c + 0x10, 0);
		fix_checksum(r->b);
	} else if (!strcmp(name, "loop")) {
		r->len = 0;
		for (i = 0; i < 17; i++)
			add_x86(r, 1, 0);
	} else if (!strcmp(name, "no-last")) {
		r->len = 0;
		add_x86(r, 2, 0);
	} else if (!strcmp(name, "devlist-out-of-range")) {
		put16(r->b, 0x1c + 0x08, 0xfff0);
		fix_checksum(r->b);
	} else if (!strcmp(name, "bad-efi-signature")) {
		put32(r->b, 0x404, 0);
	} else if (!strcmp(name, "vendor-header")) {
		vendor_header(r);
		append_good(r);
	} else if (!strcmp(name, "vendor-header-bad-checksum")) {
		vendor_header(r);
		append_good(r);
		r->b[0x500] = (uint8_t)(r->b[0x500] + 0x3f);
	} else if (!strcmp(name, "trailing-garbage")) {
		for (i = 0; i < 0x200; i++)
			r->b[r->len + i] = (uint8_t)((i * 37 + 11) & 0xff);
		r->len += 0x200;
	} else if (!strcmp(name, "many-images")) {
		r->len = 0;
		for (i = 0; i < 20; i++)
			add_x86(r, 1, i == 19);
	} else if (!strcmp(name, "gap")) {
		r->len = 0;
		add_x86(r, 2, 0);
		memset(r->b + r->len, 0xff, UNIT);
		r->len += UNIT;
		add_efi(r);
	} else if (!strcmp(name, "efi-aarch64") || !strcmp(name, "efi-ia32")) {
		r->len = 0;
		add_x86(r, 2, 0);
		add_efi_for(r, name[4] == 'a' ? 0xaa64 : 0x014c, 1);
	} else if (!strcmp(name, "efi-ebc")) {
		r->len = 0;
		add_efi_for(r, 0x0ebc, 1);
	} else if (!strcmp(name, "efi-multi")) {
		r->len = 0;
		add_x86(r, 2, 0);
		add_efi_for(r, 0x014c, 0);
		add_efi_for(r, 0xaa64, 0);
		add_efi(r);
	} else if (!strcmp(name, "no-pcir")) {
		r->len = 0;
		add_no_pcir(r);
	} else if (!strcmp(name, "no-pcir-after")) {
		r->len = 0;
		add_x86(r, 2, 0);
		add_no_pcir(r);
	} else if (!strcmp(name, "chain-zero-length")) {
		r->len = 0;
		add_x86(r, 2, 0);
		add_x86(r, 2, 0);
		put16(r->b, 0x400 + 0x1c + 0x10, 0);
		fix_checksum(r->b + 0x400);
	}
}

/* The C builder and the Python generator must agree byte for byte. */
static void same_as_file(const char *name, const struct rom *r)
{
	char path[256];
	size_t len = 0;
	uint8_t *f;

	snprintf(path, sizeof(path), ROMS_DIR "%s.rom", name);
	f = read_file(path, &len);
	if (!f) {
		skip(path);
		return;
	}
	ok(len == r->len && memcmp(f, r->b, len) == 0, "%s equals what make-bad-roms.py wrote", path);
	free(f);
}

struct bad_case {
	const char *name;
	enum pt_rom_verdict verdict;
	const char *problem;
	size_t nimages, used_length, leading;
};

static const struct bad_case bad_cases[] = {
	{ "good", PT_ROM_UEFI_CAPABLE, "", 2, 0x800, 0 },
	{ "truncated", PT_ROM_DAMAGED,
	  "image 1 at 0x400: image length 0x400 runs past the end of the data (0x200 bytes left)", 2, 0x400, 0 },
	{ "bad-checksum", PT_ROM_DAMAGED, "image 0 at 0x0: checksum 0x3f, expected 0", 2, 0x800, 0 },
	{ "pcir-out-of-range", PT_ROM_NO_IMAGE,
	  "55 aa at 0x0: PCI data structure pointer 0xfff0 past the end of the data (0x800 bytes left): no image",
	  0, 0, 0 },
	{ "pcir-bad-signature", PT_ROM_NO_IMAGE,
	  "55 aa at 0x0: no PCIR signature at 0x1c (found 50 43 49 00): no image", 0, 0, 0 },
	{ "zero-length", PT_ROM_DAMAGED, "image 0 at 0x0: image length 0 (the chain would stay at this image)",
	  1, 0, 0 },
	{ "loop", PT_ROM_DAMAGED, "image 16 at 0x2000: not marked as the last image, but the data ends at 0x2200",
	  17, 0x2200, 0 },
	{ "no-last", PT_ROM_DAMAGED,
	  "image 0 at 0x0: not marked as the last image, but the data ends at 0x400", 1, 0x400, 0 },
	{ "devlist-out-of-range", PT_ROM_UEFI_CAPABLE, "", 2, 0x800, 0 },
	{ "bad-efi-signature", PT_ROM_DAMAGED, "image 1 at 0x400: EFI signature 0x0, expected 0xef1", 2, 0x800, 0 },
	{ "vendor-header", PT_ROM_DAMAGED,
	  "0x400 bytes before the first image at 0x400 (a flash tool's header?)", 2, 0xc00, 0x400 },
	{ "vendor-header-bad-checksum", PT_ROM_DAMAGED,
	  "0x400 bytes before the first image at 0x400 (a flash tool's header?)", 2, 0xc00, 0x400 },
	{ "trailing-garbage", PT_ROM_UEFI_CAPABLE, "", 2, 0x800, 0 },
	{ "many-images", PT_ROM_LEGACY_ONLY, "", 20, 0x2800, 0 },
	{ "gap", PT_ROM_UEFI_CAPABLE, "", 2, 0xa00, 0 },
	{ "efi-aarch64", PT_ROM_LEGACY_ONLY, "", 2, 0x800, 0 },
	{ "efi-ia32", PT_ROM_LEGACY_ONLY, "", 2, 0x800, 0 },
	{ "efi-ebc", PT_ROM_UEFI_CAPABLE, "", 1, 0x400, 0 },
	{ "efi-multi", PT_ROM_UEFI_CAPABLE, "", 4, 0x1000, 0 },
	{ "no-pcir", PT_ROM_NO_IMAGE,
	  "55 aa at 0x0 without a PCI data structure (pointer 0): an ISA or non-PCI option ROM, no PCI image",
	  0, 0, 0 },
	{ "no-pcir-after", PT_ROM_DAMAGED,
	  "55 aa at 0x400 without a PCI data structure (pointer 0): an ISA or non-PCI option ROM, no PCI image",
	  1, 0x400, 0 },
	{ "chain-zero-length", PT_ROM_DAMAGED,
	  "image 1 at 0x400: image length 0 (the chain would stay at this image)", 2, 0x400, 0 },
};

/* What --fix makes of each: the slice kept, or the refusal. */
struct fix_case {
	const char *name;
	int rc;
	size_t start, end;
	const char *problem;
};

static const struct fix_case fix_cases[] = {
	{ "good", 0, 0, 0x800, "" },
	{ "vendor-header", 0, 0x400, 0xc00, "" },
	{ "trailing-garbage", 0, 0, 0x800, "" },
	{ "vendor-header-bad-checksum", -1, 0, 0, "image 0 at 0x0: checksum 0x3f, expected 0" },
	{ "truncated", -1, 0, 0,
	  "image 1 at 0x400: image length 0x400 runs past the end of the data (0x200 bytes left)" },
	{ "bad-checksum", -1, 0, 0, "image 0 at 0x0: checksum 0x3f, expected 0" },
	{ "loop", -1, 0, 0, "image 16 at 0x2000: not marked as the last image, but the data ends at 0x2200" },
	{ "pcir-out-of-range", -1, 0, 0,
	  "55 aa at 0x0: PCI data structure pointer 0xfff0 past the end of the data (0x800 bytes left): no image" },
	{ "gap", 0, 0, 0xa00, "" },
	{ "no-pcir", -1, 0, 0,
	  "55 aa at 0x0 without a PCI data structure (pointer 0): an ISA or non-PCI option ROM, no PCI image" },
	{ "no-pcir-after", -1, 0, 0,
	  "55 aa at 0x400 without a PCI data structure (pointer 0): an ISA or non-PCI option ROM, no PCI image" },
};

static void test_bad_roms(void)
{
	struct rom rom;
	PT_ROM(r);
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		build(c->name, &rom);
		same_as_file(c->name, &rom);
		parse_exact(rom.b, rom.len, &r);
		is_str(pt_rom_verdict_name(r.verdict), pt_rom_verdict_name(c->verdict), "%s: verdict", c->name);
		is_str(r.problem, c->problem, "%s: problem", c->name);
		ok(r.nimages == c->nimages && r.used_length == c->used_length && r.leading_garbage == c->leading,
		   "%s: %zu images, used 0x%zx, leading 0x%zx (got %zu, 0x%zx, 0x%zx)", c->name, c->nimages,
		   c->used_length, c->leading, r.nimages, r.used_length, r.leading_garbage);
	}

	/* The good one in detail. */
	build("good", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(r.img[0].offset == 0 && r.img[0].length == 0x400 && r.img[0].code_type == 0 && !r.img[0].last &&
	   r.img[0].has_checksum && r.img[0].checksum_ok && r.img[0].init_size == 0x400,
	   "good: image 0 is x86 at 0, 0x400 bytes, not last, checksum 0");
	ok(r.img[0].pcir_revision == 3 && r.img[0].devlist_offset == 0x44 && r.img[0].ndevice_ids == 2 &&
	   r.img[0].device_ids[0] == 0x1111 && r.img[0].device_ids[1] == 0x1112 && r.img[0].warnings == 0,
	   "good: image 0's PCI 3.0 device list is 1111 1112");
	ok(r.img[1].offset == 0x400 && r.img[1].code_type == 3 && r.img[1].last && r.img[1].efi_signature_ok &&
	   r.img[1].efi_subsystem == 11 && r.img[1].efi_machine == 0x8664 && r.img[1].efi_compression == 0 &&
	   r.img[1].efi_image_offset == 0x40 && !r.img[1].has_checksum && r.img[1].warnings == 0,
	   "good: image 1 is an uncompressed x64 EFI boot service driver, last");

	build("devlist-out-of-range", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(r.img[0].warnings == PT_ROM_W_DEVLIST_RANGE && r.img[0].ndevice_ids == 0,
	   "device list pointer out of range: a warning, no IDs read");

	build("trailing-garbage", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(!r.image_after_last, "trailing garbage is not taken for another image");

	/* What firmware does: gaps, machines, no invented images. */
	build("gap", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(r.img[0].gap_before == 0 && r.img[1].offset == 0x600 && r.img[1].gap_before == 0x200 &&
	   r.gap_bytes == 0x200 && pt_rom_serves(&r) == (PT_ROM_SERVES_BIOS | PT_ROM_SERVES_X64),
	   "gap: 0x200 bytes without 55 aa stepped over, the EFI image at 0x600 found");
	build("many-images", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(r.img[19].offset == 0x2600 && r.img[19].last && !r.img[18].last, "many-images: the 20th is the last");
	build("efi-aarch64", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(pt_rom_serves(&r) == (PT_ROM_SERVES_BIOS | PT_ROM_SERVES_AARCH64) && r.img[1].efi_machine == 0xaa64,
	   "efi-aarch64: serves x86 BIOS and AArch64 UEFI, not x64");
	build("efi-ia32", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(pt_rom_serves(&r) == (PT_ROM_SERVES_BIOS | PT_ROM_SERVES_IA32), "efi-ia32: serves x86 BIOS and IA32 UEFI");
	build("efi-multi", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(pt_rom_serves(&r) == (PT_ROM_SERVES_BIOS | PT_ROM_SERVES_X64 | PT_ROM_SERVES_IA32 |
				 PT_ROM_SERVES_AARCH64), "efi-multi: every architecture named");
	build("efi-ebc", &rom);
	parse_exact(rom.b, rom.len, &r);
	ok(pt_rom_serves(&r) == PT_ROM_SERVES_EBC, "efi-ebc: EFI byte code, which x64 OVMF runs");
	is_str(pt_rom_serves_name(PT_ROM_SERVES_X64), "x64-uefi", "serves name x64");
	is_str(pt_rom_serves_name(PT_ROM_SERVES_AARCH64), "aarch64-uefi", "serves name AArch64");
	ok(pt_rom_serves_name(0x100) == NULL && pt_rom_serves_name(0) == NULL, "no name for unknown bits");

	/* Room for fewer images than the ROM has: stopped, and said. */
	{
		struct pt_rom_image few[3];
		struct pt_rom small = { .img = few, .cap = 3 };

		build("many-images", &rom);
		parse_exact(rom.b, rom.len, &small);
		ok(small.nimages == 3 && small.verdict == PT_ROM_DAMAGED, "room for 3 images: 3 kept, damaged");
		is_str(small.problem, "image 3 at 0x600: no room left to record it (3 entries)", "... and says so");
		ok(pt_rom_capacity(rom.len) >= 20 && pt_rom_capacity(0) == 1 && pt_rom_capacity(511) == 1 &&
		   pt_rom_capacity(512) == 2, "capacity: one image per 512 bytes, plus one");
	}

	for (i = 0; i < sizeof(fix_cases) / sizeof(fix_cases[0]); i++) {
		const struct fix_case *c = &fix_cases[i];
		size_t start = 0xdead, end = 0xdead;
		int rc;

		build(c->name, &rom);
		rc = fix_exact(rom.b, rom.len, &start, &end, &r);
		if (c->rc == 0)
			ok(rc == 0 && start == c->start && end == c->end && r.verdict == PT_ROM_UEFI_CAPABLE,
			   "fix %s: keep [0x%zx, 0x%zx), then uefi-capable (got %d [0x%zx, 0x%zx) %s)", c->name,
			   c->start, c->end, rc, start, end, pt_rom_verdict_name(r.verdict));
		else
			ok(rc == -1 && start == 0xdead && end == 0xdead, "fix %s: refused, nothing returned", c->name);
		is_str(r.problem, c->problem, "fix %s: problem", c->name);
	}

	/* A header in front of a truncated ROM: both are reported; no fix. */
	{
		size_t start = 0xdead, end = 0xdead;

		build("vendor-header", &rom);
		rom.len = 0xa00;
		parse_exact(rom.b, rom.len, &r);
		ok(r.verdict == PT_ROM_DAMAGED && r.leading_garbage == 0x400 && r.nimages == 2 &&
		   !strcmp(r.img[1].problem, "image length 0x400 runs past the end of the data (0x200 bytes left)"),
		   "vendor header + truncated ROM: the header and the truncation are both found");
		ok(fix_exact(rom.b, rom.len, &start, &end, &r) == -1 && start == 0xdead, "... and fix refuses");
		is_str(r.problem, "image 1 at 0x400: image length 0x400 runs past the end of the data (0x200 bytes left)",
		       "... saying why, relative to the stripped ROM");
	}

	/* The fixed vendor-header ROM is exactly the good ROM, and parses so. */
	{
		struct rom g;
		size_t start, end;

		build("vendor-header", &rom);
		good(&g);
		ok(pt_rom_fix(rom.b, rom.len, &start, &end, &r) == 0 && end - start == g.len &&
		   memcmp(rom.b + start, g.b, g.len) == 0 && r.img[0].offset == 0 && r.img[1].offset == 0x400,
		   "fix vendor-header: the slice is the good ROM, offsets relative to it");
	}
}

/* Hand-made edge cases not worth a file. */
static void test_edges(void)
{
	struct rom rom;
	PT_ROM(r);
	size_t start;

	is_str(pt_rom_verdict_name(parse_exact(NULL, 0, &r)), "no-image", "empty buffer: no image");
	is_str(r.problem, "no data", "empty buffer: problem");
	{
		uint8_t ff[4096];

		memset(ff, 0xff, sizeof(ff));
		parse_exact(ff, sizeof(ff), &r);
		is_str(r.problem, "no ROM image: no 55 aa signature followed by a PCI data structure",
		       "all 0xff (a ROM BAR with nothing behind it): no image");
		ok(!pt_rom_find_start(ff, sizeof(ff), &start), "all 0xff: no start");
	}
	{
		const uint8_t sig[2] = { 0x55, 0xaa };

		parse_exact(sig, 2, &r);
		is_str(r.problem, "55 aa at 0x0: header truncated (0x2 bytes, need 0x1a): no image", "55 aa alone");
		parse_exact(sig, 1, &r);
		ok(r.verdict == PT_ROM_NO_IMAGE, "a lone 0x55: no image");
	}

	/* PCIR unaligned: a warning, and edk2 stops there, so an EFI image
	 * behind it does not make the ROM UEFI-capable. */
	good(&rom);
	memmove(rom.b + 0x1d, rom.b + 0x1c, 0x1c);
	put16(rom.b, 0x18, 0x1d);
	put16(rom.b, 0x1d + 0x08, 0x60 - 0x1d);
	fix_checksum(rom.b);
	parse_exact(rom.b, rom.len, &r);
	ok(r.img[0].warnings == PT_ROM_W_PCIR_UNALIGNED && r.img[0].ndevice_ids == 2 && r.verdict == PT_ROM_LEGACY_ONLY,
	   "unaligned PCIR: warning, still parsed, legacy-only (got %s, warnings 0x%x)",
	   pt_rom_verdict_name(r.verdict), r.img[0].warnings);

	/* An EFI application is skipped by the PCI bus driver. */
	good(&rom);
	put16(rom.b, 0x408, PT_ROM_EFI_APPLICATION);
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_LEGACY_ONLY && r.img[1].warnings == PT_ROM_W_EFI_NOT_DRIVER,
	   "EFI application: a warning, legacy-only");

	/* Compressed EFI images have no MZ; uncompressed ones must. */
	good(&rom);
	put16(rom.b, 0x40c, 1);
	rom.b[0x440] = 0;
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_UEFI_CAPABLE && r.img[1].warnings == 0, "compressed EFI image: no MZ needed");
	put16(rom.b, 0x40c, 0);
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_UEFI_CAPABLE && r.img[1].warnings == PT_ROM_W_EFI_NO_PE,
	   "uncompressed EFI image without MZ: a warning");
	put16(rom.b, 0x40c, 2);
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 1 at 0x400: EFI compression type 2 unknown", "EFI compression type 2");

	good(&rom);
	put16(rom.b, 0x402, 3);
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 1 at 0x400: EFI initialization size 0x600, image length 0x400",
	       "EFI initialization size beyond the image");
	good(&rom);
	put16(rom.b, 0x416, 0x400);
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 1 at 0x400: EFI image offset 0x400 outside the initialization size 0x400",
	       "EFI image offset beyond the initialization size");

	good(&rom);
	rom.b[2] = 3;
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 0 at 0x0: x86 initialization size 0x600 exceeds the image length 0x400",
	       "x86 size byte beyond the image");
	rom.b[2] = 0;
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 0 at 0x0: x86 initialization size 0", "x86 size byte 0");

	/* Not last, and garbage where the next image should be. */
	rom.len = 0;
	add_x86(&rom, 2, 0);
	memset(rom.b + 0x400, 0, 0x200);
	rom.len = 0x600;
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 0 at 0x0: not marked as the last image, but no 55 aa follows in the 0x200 bytes "
	       "up to the end of the data at 0x600", "no last flag, zeros follow");
	rom.len = 0x401;
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 0 at 0x0: not marked as the last image, but no 55 aa follows in the 0x1 bytes "
	       "up to the end of the data at 0x401", "no last flag, one byte follows");

	/* PCIR pointing beyond its own image, into the next. */
	good(&rom);
	put16(rom.b, 0x18, 0x3f0);
	memcpy(rom.b + 0x3f0, "PCIR", 4);
	put16(rom.b, 0x3f0 + 0x10, 2);
	fix_checksum(rom.b);
	parse_exact(rom.b, rom.len, &r);
	is_str(r.problem, "image 0 at 0x0: PCI data structure at 0x3f0 lies outside the image (length 0x400)",
	       "PCIR past its image");

	/* A device list without its terminating 0 / longer than kept. */
	good(&rom);
	memset(rom.b + 0x60, 0x11, 0x400 - 0x60 - 1);
	fix_checksum(rom.b);
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_UEFI_CAPABLE && r.img[0].warnings == PT_ROM_W_DEVLIST_LONG &&
	   r.img[0].ndevice_ids == PT_ROM_MAX_DEVICE_IDS + 1 && r.img[0].device_ids[15] == 0x1111,
	   "device list longer than 16: kept 16, counted one more, warned");

	/* PCIR revision 3 with a revision 0 length. */
	good(&rom);
	put16(rom.b, 0x1c + 0x0a, 0x18);
	fix_checksum(rom.b);
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_UEFI_CAPABLE && r.img[0].warnings == PT_ROM_W_PCIR_LENGTH,
	   "PCIR revision 3, length 0x18: a warning");

	/* PCIR revision 3 whose last 4 bytes would leave the image. */
	rom.len = 0;
	add_x86(&rom, 1, 1);
	memmove(rom.b + 0x1e8, rom.b + 0x1c, 0x18);
	put16(rom.b, 0x18, 0x1e8);
	fix_checksum(rom.b);
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_LEGACY_ONLY && r.img[0].warnings == PT_ROM_W_PCIR_LENGTH &&
	   r.img[0].devlist_offset == 0 && r.img[0].pcir_revision == 3,
	   "PCIR revision 3 cut short by the image end: PCI 3.0 fields not read, a warning");

	/* Nothing to fix from. */
	{
		uint8_t ff[1024];
		size_t s = 0xdead, e = 0xdead;

		memset(ff, 0xff, sizeof(ff));
		ok(fix_exact(ff, sizeof(ff), &s, &e, &r) == -1 && s == 0xdead && r.verdict == PT_ROM_NO_IMAGE,
		   "fix of all 0xff: refused, no image");
		ok(fix_exact(NULL, 0, &s, &e, &r) == -1 && r.verdict == PT_ROM_NO_IMAGE, "fix of nothing: refused");
	}

	/* An image header after the last image: --fix would cut it off. */
	rom.len = 0;
	add_x86(&rom, 1, 1);
	add_x86(&rom, 1, 1);
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_LEGACY_ONLY && r.nimages == 1 && r.used_length == 0x200 && r.image_after_last,
	   "another image after the last one is noticed");

	/* Open Firmware only: valid, neither legacy nor UEFI. */
	rom.len = 0;
	add_x86(&rom, 1, 1);
	rom.b[0x1c + 0x14] = PT_ROM_CODE_OPENFW;
	parse_exact(rom.b, rom.len, &r);
	ok(r.verdict == PT_ROM_VALID && !r.img[0].has_checksum, "Open Firmware image alone: valid");

	/* A damaged image at 0 is never stripped, even with a good one behind. */
	good(&rom);
	put16(rom.b, 0x18, 0xfff0);
	ok(pt_rom_find_start(rom.b, rom.len, &start) && start == 0x400, "find_start skips a broken image");
	{
		size_t s = 0xdead, e = 0xdead;

		ok(pt_rom_fix(rom.b, rom.len, &s, &e, &r) == -1 && s == 0xdead,
		   "fix refuses to cut away a damaged first image");
	}

	is_str(pt_rom_code_type_name(0), "x86 PC-AT BIOS", "code type 0");
	is_str(pt_rom_code_type_name(1), "Open Firmware", "code type 1");
	is_str(pt_rom_code_type_name(2), "HP PA-RISC", "code type 2");
	is_str(pt_rom_code_type_name(3), "EFI", "code type 3");
	is_str(pt_rom_code_type_name(0x70), "reserved", "code type 0x70");
	is_str(pt_rom_efi_machine_name(0x8664), "x64", "machine 0x8664");
	is_str(pt_rom_efi_machine_name(0x14c), "IA32", "machine 0x14c");
	is_str(pt_rom_efi_machine_name(0xaa64), "AArch64", "machine 0xaa64");
	is_str(pt_rom_efi_machine_name(0x200), "IA64", "machine 0x200");
	is_str(pt_rom_efi_machine_name(0xebc), "EBC", "machine 0xebc");
	is_str(pt_rom_efi_subsystem_name(11), "boot service driver", "subsystem 11");
	is_str(pt_rom_efi_subsystem_name(12), "runtime driver", "subsystem 12");
	is_str(pt_rom_efi_subsystem_name(10), "application", "subsystem 10");
	ok(pt_rom_warning_text(PT_ROM_W_PCIR_UNALIGNED) && pt_rom_warning_text(PT_ROM_W_EFI_NO_PE) &&
	   !pt_rom_warning_text(0x40), "warning texts");
}

/* Every truncation of the good ROM, with and without a vendor header, and
 * every byte of it set to 0x00, 0xff and flipped: no over-read (ASan), and a
 * ROM that does not say why it is damaged never comes out damaged. */
static void test_sweep(void)
{
	static const int mode[] = { 0x00, 0xff, -1 };
	struct rom rom, hdr;
	PT_ROM(r);
	size_t n, i, bad = 0, runs = 0;
	unsigned m;

	good(&rom);
	vendor_header(&hdr);
	append_good(&hdr);
	for (n = 0; n < rom.len; n++) {
		enum pt_rom_verdict v = parse_exact(rom.b, n, &r);

		runs++;
		if ((n < 0x34 ? v != PT_ROM_NO_IMAGE : v != PT_ROM_DAMAGED) || !r.problem[0])
			bad++;
		v = parse_exact(hdr.b, 0x400 + n, &r);
		if (v > PT_ROM_DAMAGED || !r.problem[0])
			bad++;
	}
	ok(bad == 0, "every truncation of the good ROM is damaged or no image, and says why (%zu bad)", bad);

	bad = 0;
	for (i = 0; i < rom.len; i++) {
		for (m = 0; m < 3; m++) {
			struct rom c = rom;
			size_t s, e;

			c.b[i] = mode[m] < 0 ? (uint8_t)(c.b[i] ^ 0xff) : (uint8_t)mode[m];
			parse_exact(c.b, c.len, &r);
			if ((r.verdict <= PT_ROM_DAMAGED) != (r.problem[0] != '\0'))
				bad++;
			if (fix_exact(c.b, c.len, &s, &e, &r) == 0 && (s > e || e > c.len))
				bad++;
			runs++;
		}
	}
	ok(bad == 0, "%zu corrupted or truncated ROMs parsed; verdict and problem agree", runs);
}

/* ---- real ROMs from Debian's packages ---- */

struct real_case {
	const char *path;
	size_t len;
	enum pt_rom_verdict verdict;
	size_t nimages;
	unsigned vendor, device;
	size_t length0; /* image 0 */
	unsigned pcir0;
};

/* Read by hand: 55 aa at 0; PCIR pointer (le16 at 0x18); vendor and device at
 * PCIR+4 and +6; image length (le16 at PCIR+0x10) * 512; the last-image bit
 * at PCIR+0x15. ipxe-qemu 1.0.0+git-20190125.36a4c85-5.1 (Debian 12) and
 * seabios 1.16.2-1. */
static const struct real_case real_cases[] = {
	{ IPXE_DIR "efi-e1000.rom", 0x3d000, PT_ROM_UEFI_CAPABLE, 2, 0x8086, 0x100e, 0x12600, 0x1c },
	{ IPXE_DIR "efi-e1000e.rom", 0x3d000, PT_ROM_UEFI_CAPABLE, 2, 0x8086, 0x10d3, 0x12600, 0x1c },
	{ IPXE_DIR "efi-eepro100.rom", 0x3c800, PT_ROM_UEFI_CAPABLE, 2, 0x8086, 0x1229, 0x12600, 0x1c },
	/* iPXE's ne2k_pci build carries no IDs: 0000:0000 in the x86 image. */
	{ IPXE_DIR "efi-ne2k_pci.rom", 0x3c000, PT_ROM_UEFI_CAPABLE, 2, 0x0000, 0x0000, 0x12400, 0x1c },
	{ IPXE_DIR "efi-pcnet.rom", 0x3c200, PT_ROM_UEFI_CAPABLE, 2, 0x1022, 0x2000, 0x12400, 0x1c },
	{ IPXE_DIR "efi-rtl8139.rom", 0x3d000, PT_ROM_UEFI_CAPABLE, 2, 0x10ec, 0x8139, 0x12800, 0x1c },
	{ IPXE_DIR "efi-virtio.rom", 0x3ce00, PT_ROM_UEFI_CAPABLE, 2, 0x1af4, 0x1041, 0x12800, 0x1c },
	{ IPXE_DIR "efi-vmxnet3.rom", 0x3b800, PT_ROM_UEFI_CAPABLE, 2, 0x15ad, 0x07b0, 0x12200, 0x1c },
	{ IPXE_DIR "pxe-e1000.rom", 0x12600, PT_ROM_LEGACY_ONLY, 1, 0x8086, 0x100e, 0x12600, 0x1c },
	{ IPXE_DIR "pxe-e1000e.rom", 0x12600, PT_ROM_LEGACY_ONLY, 1, 0x8086, 0x10d3, 0x12600, 0x1c },
	{ IPXE_DIR "pxe-virtio.rom", 0x12800, PT_ROM_LEGACY_ONLY, 1, 0x1af4, 0x1041, 0x12800, 0x1c },
	{ SEABIOS_DIR "vgabios-stdvga.bin", 0x9c00, PT_ROM_LEGACY_ONLY, 1, 0x1234, 0x1111, 0x9c00, 0x99dc },
	{ SEABIOS_DIR "vgabios-bochs-display.bin", 0x7000, PT_ROM_LEGACY_ONLY, 1, 0x1234, 0x1111, 0x7000, 0x6f20 },
	{ SEABIOS_DIR "vgabios-cirrus.bin", 0x9a00, PT_ROM_LEGACY_ONLY, 1, 0x1013, 0x00b8, 0x9a00, 0x989c },
	{ SEABIOS_DIR "vgabios-qxl.bin", 0x9c00, PT_ROM_LEGACY_ONLY, 1, 0x1b36, 0x0100, 0x9c00, 0x99dc },
	{ SEABIOS_DIR "vgabios-virtio.bin", 0x9c00, PT_ROM_LEGACY_ONLY, 1, 0x1af4, 0x1050, 0x9c00, 0x99dc },
	{ SEABIOS_DIR "vgabios-vmware.bin", 0x9c00, PT_ROM_LEGACY_ONLY, 1, 0x15ad, 0x0405, 0x9c00, 0x99dc },
	{ SEABIOS_DIR "vgabios-ati.bin", 0x9c00, PT_ROM_LEGACY_ONLY, 1, 0x1002, 0x5159, 0x9c00, 0x99dc },
};

static void test_real_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(real_cases) / sizeof(real_cases[0]); i++) {
		const struct real_case *c = &real_cases[i];
		PT_ROM(r);
		size_t len = 0, s, e;
		uint8_t *buf = read_file(c->path, &len);

		if (!buf) {
			char why[300];

			snprintf(why, sizeof(why), "%s absent (tests/deps installs ipxe-qemu and seabios)", c->path);
			skip(why);
			continue;
		}
		pt_rom_parse(buf, len, &r);
		ok(len == c->len && r.verdict == c->verdict && r.nimages == c->nimages && r.used_length == len &&
		   r.img[0].vendor == c->vendor && r.img[0].device == c->device && r.img[0].length == c->length0 &&
		   r.img[0].pcir_offset == c->pcir0 && r.img[0].checksum_ok && r.img[r.nimages - 1].last &&
		   !r.problem[0],
		   "%s: %s, %zu image(s), %04x:%04x, image 0 0x%zx bytes, PCIR at 0x%x (got %s '%s')", c->path,
		   pt_rom_verdict_name(c->verdict), c->nimages, c->vendor, c->device, c->length0, c->pcir0,
		   pt_rom_verdict_name(r.verdict), r.problem);
		ok(pt_rom_fix(buf, len, &s, &e, &r) == 0 && s == 0 && e == len, "%s: fix keeps it whole", c->path);
		free(buf);
	}
}

/* efi-e1000e.rom, the romfile QEMU gives an e1000e, field by field:
 *
 *   0x00000  55 aa 93 e9 a2 00 ...      size 0x93 units = 0x12600
 *   0x00018  1c 00                      PCIR at 0x1c
 *   0x0001c  50 43 49 52 86 80 d3 10    "PCIR", 8086:10d3
 *   0x00024  bf 04 1c 00 03 00 00 02    device list at PCIR+0x4bf, length 0x1c, revision 3, class 020000
 *   0x0002c  93 00 01 00 00 00 07 00    image 0x93 units, code revision 1, type 0 (x86), indicator 0,
 *                                       max runtime 7 units
 *   0x004db  d3 10 00 00                device list: 10d3, end
 *   0x12600  55 aa 55 01 f1 0e 00 00    EFI: initialization size 0x155 units = 0x2aa00, signature 0x0ef1
 *   0x12608  0b 00 64 86 00 00          subsystem 11 (boot service driver), machine 0x8664 (x64), uncompressed
 *   0x12616  38 00 1c 00                EFI image at 0x38 ("MZ"), PCIR at 0x1c
 *   0x1261c  50 43 49 52 86 80 d3 10    "PCIR", 8086:10d3
 *   0x12624  00 00 18 00 00 00 00 02    no device list, length 0x18, revision 0, class 020000
 *   0x1262c  55 01 00 00 03 80          image 0x155 units, code revision 0, type 3 (EFI), last
 *
 * The x86 image's 0x12600 bytes sum to 0 mod 256; the file is 0x3d000 long,
 * exactly the two images. */
static void test_e1000e(void)
{
	const char *path = IPXE_DIR "efi-e1000e.rom";
	size_t len = 0;
	uint8_t *buf = read_file(path, &len);
	PT_ROM(r);
	const struct pt_rom_image *a = &r.img[0], *b = &r.img[1];

	if (!buf) {
		skip("efi-e1000e.rom absent (apt-get install ipxe-qemu)");
		return;
	}
	pt_rom_parse(buf, len, &r);
	is_str(pt_rom_verdict_name(r.verdict), "uefi-capable", "efi-e1000e.rom: uefi-capable");
	ok(r.nimages == 2 && r.used_length == 0x3d000 && r.leading_garbage == 0 && !r.image_after_last,
	   "efi-e1000e.rom: two images filling 0x3d000 bytes");
	ok(a->offset == 0 && a->length == 0x12600 && a->pcir_offset == 0x1c && a->pcir_revision == 3 &&
	   a->pcir_length == 0x1c && a->vendor == 0x8086 && a->device == 0x10d3 && a->class_code == 0x020000 &&
	   a->code_revision == 1 && a->code_type == PT_ROM_CODE_X86 && a->indicator == 0 && !a->last,
	   "efi-e1000e.rom image 0: x86, 8086:10d3, class 020000, PCIR rev 3 at 0x1c, 0x12600 bytes, not last");
	ok(a->devlist_offset == 0x4bf && a->ndevice_ids == 1 && a->device_ids[0] == 0x10d3 &&
	   a->max_runtime_length == 0xe00 && a->config_utility_offset == 0 && a->dmtf_clp_offset == 0,
	   "efi-e1000e.rom image 0: device list 10d3 at PCIR+0x4bf, max runtime 0xe00");
	ok(a->init_size == 0x12600 && a->has_checksum && a->checksum_ok && a->checksum == 0 && a->warnings == 0,
	   "efi-e1000e.rom image 0: size byte 0x93 (0x12600), checksum 0");
	ok(b->offset == 0x12600 && b->length == 0x2aa00 && b->pcir_offset == 0x1c && b->pcir_revision == 0 &&
	   b->pcir_length == 0x18 && b->vendor == 0x8086 && b->device == 0x10d3 && b->class_code == 0x020000 &&
	   b->code_type == PT_ROM_CODE_EFI && b->indicator == 0x80 && b->last && b->devlist_offset == 0,
	   "efi-e1000e.rom image 1: EFI at 0x12600, 0x2aa00 bytes, PCIR rev 0, last");
	ok(b->efi_signature_ok && b->init_size == 0x2aa00 && b->efi_subsystem == PT_ROM_EFI_BOOT_DRIVER &&
	   b->efi_machine == 0x8664 && b->efi_compression == 0 && b->efi_image_offset == 0x38 &&
	   !b->has_checksum && b->warnings == 0,
	   "efi-e1000e.rom image 1: x64 boot service driver, uncompressed, PE at 0x38");

	/* As a ROM BAR would show it: padded with 0xff to 256 KiB. */
	{
		size_t n = 0x40000, s, e;
		uint8_t *pad = malloc(n);

		memset(pad, 0xff, n);
		memcpy(pad, buf, len);
		pt_rom_parse(pad, n, &r);
		ok(r.verdict == PT_ROM_UEFI_CAPABLE && r.used_length == 0x3d000 && !r.problem[0],
		   "efi-e1000e.rom padded with 0xff: still valid, images end at 0x3d000");
		ok(pt_rom_fix(pad, n, &s, &e, &r) == 0 && s == 0 && e == 0x3d000, "padded: fix cuts at 0x3d000");
		free(pad);
	}
	/* One byte changed in the x86 image. */
	buf[0x1000] ^= 0x01;
	pt_rom_parse(buf, len, &r);
	ok(r.verdict == PT_ROM_DAMAGED && r.img[0].checksum != 0 && !r.img[0].checksum_ok,
	   "efi-e1000e.rom with a flipped bit: damaged");
	is_str(r.problem, buf[0x1000] & 1 ? "image 0 at 0x0: checksum 0x01, expected 0"
					  : "image 0 at 0x0: checksum 0xff, expected 0", "... and says where");
	buf[0x1000] ^= 0x01;
	/* Cut inside the EFI image. */
	pt_rom_parse(buf, 0x20000, &r);
	is_str(r.problem, "image 1 at 0x12600: image length 0x2aa00 runs past the end of the data (0xda00 bytes left)",
	       "efi-e1000e.rom cut at 0x20000: truncated EFI image");
	free(buf);
}

/* vgabios-stdvga.bin, the ROM of QEMU's -vga std:
 *   0x0000  55 aa 4e e9 ...     size 0x4e units = 0x9c00
 *   0x0018  dc 99               PCIR at 0x99dc
 *   0x99dc  50 43 49 52 34 12 11 11 00 00 18 00 00 00 00 03 4e 00 01 00 00 80
 *           "PCIR", 1234:1111, length 0x18, rev 0, class 030000, 0x4e units, code rev 1, x86, last */
static void test_stdvga(void)
{
	const char *path = SEABIOS_DIR "vgabios-stdvga.bin";
	size_t len = 0, s, e;
	uint8_t *buf = read_file(path, &len), *hdr;
	PT_ROM(r);
	const struct pt_rom_image *a = &r.img[0];

	if (!buf) {
		skip("vgabios-stdvga.bin absent (apt-get install seabios)");
		return;
	}
	pt_rom_parse(buf, len, &r);
	ok(r.verdict == PT_ROM_LEGACY_ONLY && r.nimages == 1 && a->offset == 0 && a->length == 0x9c00 &&
	   a->pcir_offset == 0x99dc && a->pcir_revision == 0 && a->pcir_length == 0x18 && a->vendor == 0x1234 &&
	   a->device == 0x1111 && a->class_code == 0x030000 && a->code_revision == 1 && a->code_type == 0 &&
	   a->last && a->init_size == 0x9c00 && a->checksum_ok && a->devlist_offset == 0 && a->warnings == 0,
	   "vgabios-stdvga.bin: one x86 image, 1234:1111, VGA class, PCIR rev 0 at 0x99dc, 0x9c00 bytes, checksum 0");

	/* Behind a 0x400-byte header, as a vendor flash tool saves it. */
	hdr = calloc(1, len + 0x400);
	memcpy(hdr, "NVGI", 4);
	memcpy(hdr + 0x400, buf, len);
	pt_rom_parse(hdr, len + 0x400, &r);
	is_str(r.problem, "0x400 bytes before the first image at 0x400 (a flash tool's header?)",
	       "vgabios-stdvga.bin behind a header: damaged, says so");
	ok(r.img[0].offset == 0x400 && r.img[0].checksum_ok, "... the image behind it is found and intact");
	ok(pt_rom_fix(hdr, len + 0x400, &s, &e, &r) == 0 && s == 0x400 && e == 0x400 + len &&
	   memcmp(hdr + s, buf, len) == 0 && r.verdict == PT_ROM_LEGACY_ONLY,
	   "fix strips the header: the original ROM, byte for byte");
	free(hdr);

	/* Cut before its PCIR, and after it. */
	pt_rom_parse(buf, 0x8000, &r);
	is_str(r.problem, "55 aa at 0x0: PCI data structure pointer 0x99dc past the end of the data "
	       "(0x8000 bytes left): no image", "vgabios-stdvga.bin cut at 0x8000");
	pt_rom_parse(buf, 0x9a00, &r);
	is_str(r.problem, "image 0 at 0x0: image length 0x9c00 runs past the end of the data (0x9a00 bytes left)",
	       "vgabios-stdvga.bin cut at 0x9a00");
	free(buf);
}

/* vgabios-isavga.bin is an ISA option ROM: 55 aa, size 0x4d, PCIR pointer 0. */
static void test_isavga(void)
{
	size_t len = 0;
	uint8_t *buf = read_file(SEABIOS_DIR "vgabios-isavga.bin", &len);
	PT_ROM(r);

	if (!buf) {
		skip("vgabios-isavga.bin absent (apt-get install seabios)");
		return;
	}
	pt_rom_parse(buf, len, &r);
	is_str(r.problem, "55 aa at 0x0 without a PCI data structure (pointer 0): an ISA or non-PCI option ROM, "
	       "no PCI image", "vgabios-isavga.bin: not a PCI ROM, and says so");
	ok(r.verdict == PT_ROM_NO_IMAGE && r.nimages == 0, "... no image invented for it");
	free(buf);
}

int main(void)
{
	test_bad_roms();
	test_edges();
	test_sweep();
	test_real_table();
	test_e1000e();
	test_stdvga();
	test_isavga();
	return tap_done();
}

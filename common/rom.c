#include "rom.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Offsets in the ROM header (from the image's 55 aa). */
#define HDR_SIZE        0x1a /* up to and including the PCIR pointer */
#define HDR_INIT_SIZE   0x02 /* x86: one byte; EFI: 16 bits; 512-byte units */
#define HDR_EFI_SIG     0x04 /* EFI: 32 bits, 0x00000ef1 */
#define HDR_EFI_SUBSYS  0x08
#define HDR_EFI_MACHINE 0x0a
#define HDR_EFI_COMPR   0x0c
#define HDR_EFI_OFFSET  0x16
#define HDR_PCIR_PTR    0x18

/* Offsets in the PCI Data Structure. */
#define PCIR_VENDOR     0x04
#define PCIR_DEVICE     0x06
#define PCIR_DEVLIST    0x08 /* revision 3; "pointer to VPD" or reserved before */
#define PCIR_LENGTH     0x0a
#define PCIR_REVISION   0x0c
#define PCIR_CLASS      0x0d
#define PCIR_IMAGE_LEN  0x10
#define PCIR_CODE_REV   0x12
#define PCIR_CODE_TYPE  0x14
#define PCIR_INDICATOR  0x15
#define PCIR_MAX_RT_LEN 0x16 /* revision 3 */
#define PCIR_CONFIG_PTR 0x18
#define PCIR_CLP_PTR    0x1a
#define PCIR_SIZE_V0    0x18 /* revisions 0..2 */
#define PCIR_SIZE_V3    0x1c

#define UNIT            512
#define EFI_SIGNATURE   0x0ef1
#define LAST_IMAGE      0x80

static unsigned le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned long le32(const uint8_t *p)
{
	return (unsigned long)le16(p) | (unsigned long)le16(p + 2) << 16;
}

static bool has_signature(const uint8_t *buf, size_t len, size_t off)
{
	return off < len && len - off >= 2 && buf[off] == 0x55 && buf[off + 1] == 0xaa;
}

static __attribute__((format(printf, 3, 4))) void say(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

/* The first problem found is the one the ROM reports. */
static void rom_problem(struct pt_rom *r, const char *what)
{
	if (!r->problem[0])
		snprintf(r->problem, sizeof(r->problem), "%s", what);
}

/* Record a problem of image i, for the image and (if first) for the ROM. */
static __attribute__((format(printf, 3, 4))) void image_problem(struct pt_rom *r, size_t i, const char *fmt, ...)
{
	struct pt_rom_image *im = &r->img[i];
	char where[PT_ROM_PROBLEM_LEN];
	va_list ap;

	if (im->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(im->problem, sizeof(im->problem), fmt, ap);
	va_end(ap);
	say(where, sizeof(where), "image %zu at 0x%zx: %s", i, im->offset, im->problem);
	rom_problem(r, where);
}

/* What makes 55 aa the start of an image rather than two bytes that happen
 * to be 55 aa: a PCIR pointer to "PCIR" within the data, inside an image
 * length that is not zero. The image may still run past the end: a header
 * in front of a truncated ROM is still a header, and the walk says so. */
static bool image_header_ok(const uint8_t *buf, size_t len, size_t off)
{
	size_t avail, p, ilen;

	if (!has_signature(buf, len, off) || len - off < HDR_SIZE)
		return false;
	avail = len - off;
	p = le16(buf + off + HDR_PCIR_PTR);
	if (p + PCIR_SIZE_V0 > avail || memcmp(buf + off + p, "PCIR", 4) != 0)
		return false;
	ilen = (size_t)le16(buf + off + p + PCIR_IMAGE_LEN) * UNIT;
	return ilen != 0 && p + PCIR_SIZE_V0 <= ilen;
}

bool pt_rom_find_start(const uint8_t *buf, size_t len, size_t *start)
{
	size_t off;

	for (off = 0; buf && off + HDR_SIZE <= len; off++) {
		if (image_header_ok(buf, len, off)) {
			*start = off;
			return true;
		}
	}
	return false;
}

/* PCI 3.0 device list: 16-bit device IDs from the PCIR, ending with 0. */
static void read_device_list(const uint8_t *buf, size_t image_end, size_t pcir, struct pt_rom_image *im)
{
	size_t at = pcir + im->devlist_offset;

	for (;; at += 2) {
		unsigned id;

		if (at + 2 > image_end) {
			im->warnings |= PT_ROM_W_DEVLIST_RANGE;
			return;
		}
		id = le16(buf + at);
		if (id == 0)
			return;
		if (im->ndevice_ids == PT_ROM_MAX_DEVICE_IDS) {
			/* Keep the work bounded: say there are more, stop. */
			im->warnings |= PT_ROM_W_DEVLIST_LONG;
			im->ndevice_ids++;
			return;
		}
		im->device_ids[im->ndevice_ids++] = id;
	}
}

/* x86 image: the size byte and the checksum over it. */
static void check_x86(const uint8_t *img, struct pt_rom *r, size_t i)
{
	struct pt_rom_image *im = &r->img[i];
	unsigned sum = 0;
	size_t k;

	im->init_size = (size_t)img[HDR_INIT_SIZE] * UNIT;
	if (im->init_size == 0) {
		image_problem(r, i, "x86 initialization size 0");
		return;
	}
	if (im->init_size > im->length) {
		image_problem(r, i, "x86 initialization size 0x%zx exceeds the image length 0x%zx",
			      im->init_size, im->length);
		return;
	}
	for (k = 0; k < im->init_size; k++)
		sum += img[k];
	im->has_checksum = true;
	im->checksum = sum & 0xff;
	im->checksum_ok = im->checksum == 0;
	if (!im->checksum_ok)
		image_problem(r, i, "checksum 0x%02x, expected 0", im->checksum);
}

/* EFI image: the EFI PCI Expansion ROM Header (UEFI "PCI Option ROMs"). */
static void check_efi(const uint8_t *img, struct pt_rom *r, size_t i)
{
	struct pt_rom_image *im = &r->img[i];
	unsigned long sig = le32(img + HDR_EFI_SIG);

	im->init_size = (size_t)le16(img + HDR_INIT_SIZE) * UNIT;
	if (!im->efi_signature_ok) {
		image_problem(r, i, "EFI signature 0x%lx, expected 0xef1", sig);
		return;
	}
	if (im->efi_subsystem != PT_ROM_EFI_BOOT_DRIVER && im->efi_subsystem != PT_ROM_EFI_RUNTIME_DRIVER)
		im->warnings |= PT_ROM_W_EFI_NOT_DRIVER;
	/* What edk2's PCI bus driver checks before it loads the driver. */
	if (im->init_size == 0 || im->init_size > im->length) {
		image_problem(r, i, "EFI initialization size 0x%zx, image length 0x%zx", im->init_size, im->length);
		return;
	}
	if (im->efi_image_offset >= im->init_size) {
		image_problem(r, i, "EFI image offset 0x%x outside the initialization size 0x%zx",
			      im->efi_image_offset, im->init_size);
		return;
	}
	if (im->efi_compression > 1) {
		image_problem(r, i, "EFI compression type %u unknown", im->efi_compression);
		return;
	}
	if (im->efi_compression == 0 &&
	    (im->efi_image_offset + 2 > im->init_size || img[im->efi_image_offset] != 'M' ||
	     img[im->efi_image_offset + 1] != 'Z'))
		im->warnings |= PT_ROM_W_EFI_NO_PE;
}

size_t pt_rom_capacity(size_t len)
{
	/* Each image but a truncated last one is at least one unit long. */
	return len / UNIT + 1;
}

/* Parse the image at off (its 55 aa already seen), gap bytes without 55 aa
 * after the previous one. A 55 aa without a PCI data structure is not an
 * image (firmware finds none there) and gets no entry. Returns false when
 * the chain cannot go on: the image's extent is unknown or unsound. */
static bool parse_image(const uint8_t *buf, size_t len, size_t off, size_t gap, struct pt_rom *r)
{
	size_t avail = len - off, pcir, i;
	const uint8_t *img = buf + off, *pd;
	struct pt_rom_image *im;
	char what[PT_ROM_PROBLEM_LEN];
	unsigned ptr;

	if (avail < HDR_SIZE) {
		say(what, sizeof(what), "55 aa at 0x%zx: header truncated (0x%zx bytes, need 0x%x): no image",
		    off, avail, HDR_SIZE);
		rom_problem(r, what);
		return false;
	}
	ptr = le16(img + HDR_PCIR_PTR);
	if (ptr == 0) {
		/* SeaBIOS' vgabios-isavga.bin and vgabios-ramfb.bin look so. */
		say(what, sizeof(what), "55 aa at 0x%zx without a PCI data structure (pointer 0): "
		    "an ISA or non-PCI option ROM, no PCI image", off);
		rom_problem(r, what);
		return false;
	}
	if ((size_t)ptr + PCIR_SIZE_V0 > avail) {
		say(what, sizeof(what), "55 aa at 0x%zx: PCI data structure pointer 0x%x past the end "
		    "of the data (0x%zx bytes left): no image", off, ptr, avail);
		rom_problem(r, what);
		return false;
	}
	pcir = off + ptr;
	pd = buf + pcir;
	if (memcmp(pd, "PCIR", 4) != 0) {
		say(what, sizeof(what), "55 aa at 0x%zx: no PCIR signature at 0x%zx (found %02x %02x %02x %02x): "
		    "no image", off, pcir, pd[0], pd[1], pd[2], pd[3]);
		rom_problem(r, what);
		return false;
	}
	if (r->nimages >= r->cap || !r->img) {
		say(what, sizeof(what), "image %zu at 0x%zx: no room left to record it (%zu entries)",
		    r->nimages, off, r->cap);
		rom_problem(r, what);
		return false;
	}
	i = r->nimages++;
	im = &r->img[i];
	memset(im, 0, sizeof(*im));
	im->offset = off;
	im->gap_before = gap;
	r->gap_bytes += gap;
	im->pcir_offset = ptr;
	im->vendor = le16(pd + PCIR_VENDOR);
	im->device = le16(pd + PCIR_DEVICE);
	im->pcir_length = le16(pd + PCIR_LENGTH);
	im->pcir_revision = pd[PCIR_REVISION];
	im->class_code = (unsigned)pd[PCIR_CLASS + 2] << 16 | (unsigned)pd[PCIR_CLASS + 1] << 8 | pd[PCIR_CLASS];
	im->length = (size_t)le16(pd + PCIR_IMAGE_LEN) * UNIT;
	im->code_revision = le16(pd + PCIR_CODE_REV);
	im->code_type = pd[PCIR_CODE_TYPE];
	im->indicator = pd[PCIR_INDICATOR];
	im->last = (im->indicator & LAST_IMAGE) != 0;
	if (im->code_type == PT_ROM_CODE_EFI) {
		/* In the header, so known even when the image is cut short. */
		im->efi_subsystem = le16(img + HDR_EFI_SUBSYS);
		im->efi_machine = le16(img + HDR_EFI_MACHINE);
		im->efi_compression = le16(img + HDR_EFI_COMPR);
		im->efi_image_offset = le16(img + HDR_EFI_OFFSET);
		im->efi_signature_ok = le32(img + HDR_EFI_SIG) == EFI_SIGNATURE;
	}
	if (im->length == 0) {
		/* The only way a length chain could loop: stop instead. */
		image_problem(r, i, "image length 0 (the chain would stay at this image)");
		return false;
	}
	if (im->length > avail) {
		image_problem(r, i, "image length 0x%zx runs past the end of the data (0x%zx bytes left)",
			      im->length, avail);
		return false;
	}
	/* From here on the image lies within buf; the chain can go on. */
	r->used_length = off + im->length;
	if (im->pcir_offset + PCIR_SIZE_V0 > im->length) {
		image_problem(r, i, "PCI data structure at 0x%zx lies outside the image (length 0x%zx)",
			      pcir, im->length);
		return true;
	}
	if (im->pcir_offset & 3)
		im->warnings |= PT_ROM_W_PCIR_UNALIGNED;
	if (im->pcir_length < PCIR_SIZE_V0 || (im->pcir_revision >= 3 && im->pcir_length < PCIR_SIZE_V3))
		im->warnings |= PT_ROM_W_PCIR_LENGTH;
	if (im->pcir_revision >= 3) {
		if (im->pcir_offset + PCIR_SIZE_V3 > im->length) {
			im->warnings |= PT_ROM_W_PCIR_LENGTH;
		} else {
			im->devlist_offset = le16(pd + PCIR_DEVLIST);
			im->max_runtime_length = (size_t)le16(pd + PCIR_MAX_RT_LEN) * UNIT;
			im->config_utility_offset = le16(pd + PCIR_CONFIG_PTR);
			im->dmtf_clp_offset = le16(pd + PCIR_CLP_PTR);
			if (im->devlist_offset)
				read_device_list(buf, off + im->length, pcir, im);
		}
	}
	if (im->code_type == PT_ROM_CODE_X86)
		check_x86(img, r, i);
	else if (im->code_type == PT_ROM_CODE_EFI)
		check_efi(img, r, i);
	return true;
}

/* Every step moves forward by at least one unit (an image's length, or a
 * gap block), so the walk ends within len / 512 + 1 steps. */
static void walk(const uint8_t *buf, size_t len, size_t off, struct pt_rom *r)
{
	size_t gap = 0, end;

	for (;;) {
		if (!parse_image(buf, len, off, gap, r))
			return;
		if (r->img[r->nimages - 1].last)
			break;
		off += r->img[r->nimages - 1].length;
		end = off;
		/* Blocks without 55 aa between images: stepped over in units,
		 * as edk2's PCI bus driver (and rom-parser) do. */
		while (off < len && !has_signature(buf, len, off))
			off += UNIT;
		gap = (off < len ? off : len) - end;
		if (off >= len) {
			const struct pt_rom_image *prev = &r->img[r->nimages - 1];
			char what[PT_ROM_PROBLEM_LEN];

			if (gap)
				say(what, sizeof(what), "image %zu at 0x%zx: not marked as the last image, but no "
				    "55 aa follows in the 0x%zx bytes up to the end of the data at 0x%zx",
				    r->nimages - 1, prev->offset, gap, len);
			else
				say(what, sizeof(what), "image %zu at 0x%zx: not marked as the last image, "
				    "but the data ends at 0x%zx", r->nimages - 1, prev->offset, len);
			rom_problem(r, what);
			return;
		}
	}
	r->image_after_last = image_header_ok(buf, len, r->used_length);
}

/* The images firmware would use: those without a problem. edk2 gives up on the ROM at an unaligned
 * PCIR: no EFI driver at or after it is ever loaded. The PCI bus driver
 * loads drivers only, for machines EFI_IMAGE_MACHINE_TYPE_SUPPORTED names
 * (MdePkg/Include/Uefi/UefiBaseType.h: on X64, x64 and EBC). */
unsigned pt_rom_serves(const struct pt_rom *r)
{
	unsigned serves = 0;
	bool edk2_stopped = false;

	for (size_t i = 0; i < r->nimages; i++) {
		const struct pt_rom_image *im = &r->img[i];

		if (im->warnings & PT_ROM_W_PCIR_UNALIGNED)
			edk2_stopped = true;
		/* cut short, bad checksum, bad EFI header: not loaded */
		if (im->problem[0])
			continue;
		switch (im->code_type) {
		case PT_ROM_CODE_X86:
			serves |= PT_ROM_SERVES_BIOS;
			break;
		case PT_ROM_CODE_OPENFW:
			serves |= PT_ROM_SERVES_OPENFW;
			break;
		case PT_ROM_CODE_PARISC:
			serves |= PT_ROM_SERVES_PARISC;
			break;
		case PT_ROM_CODE_EFI:
			if (edk2_stopped || !im->efi_signature_ok || (im->warnings & PT_ROM_W_EFI_NOT_DRIVER))
				break;
			switch (im->efi_machine) {
			case 0x8664: serves |= PT_ROM_SERVES_X64; break;
			case 0x0ebc: serves |= PT_ROM_SERVES_EBC; break;
			case 0x014c: serves |= PT_ROM_SERVES_IA32; break;
			case 0xaa64: serves |= PT_ROM_SERVES_AARCH64; break;
			default: serves |= PT_ROM_SERVES_OTHER_EFI; break;
			}
			break;
		}
	}
	return serves;
}

const char *pt_rom_serves_name(unsigned bit)
{
	switch (bit) {
	case PT_ROM_SERVES_BIOS: return "x86-bios";
	case PT_ROM_SERVES_X64: return "x64-uefi";
	case PT_ROM_SERVES_EBC: return "ebc-uefi";
	case PT_ROM_SERVES_IA32: return "ia32-uefi";
	case PT_ROM_SERVES_AARCH64: return "aarch64-uefi";
	case PT_ROM_SERVES_OTHER_EFI: return "other-uefi";
	case PT_ROM_SERVES_OPENFW: return "open-firmware";
	case PT_ROM_SERVES_PARISC: return "pa-risc";
	default: return NULL;
	}
}

static enum pt_rom_verdict judge(const struct pt_rom *r)
{
	unsigned serves = pt_rom_serves(r);

	if (r->nimages == 0)
		return PT_ROM_NO_IMAGE;
	if (r->problem[0])
		return PT_ROM_DAMAGED;
	if (serves & (PT_ROM_SERVES_X64 | PT_ROM_SERVES_EBC))
		return PT_ROM_UEFI_CAPABLE;
	return serves & PT_ROM_SERVES_BIOS ? PT_ROM_LEGACY_ONLY : PT_ROM_VALID;
}

enum pt_rom_verdict pt_rom_parse(const uint8_t *buf, size_t len, struct pt_rom *out)
{
	struct pt_rom_image *img = out->img;
	size_t start = 0, cap = out->cap;

	memset(out, 0, sizeof(*out));
	out->img = img;
	out->cap = cap;
	if (!buf || len == 0) {
		rom_problem(out, "no data");
		return out->verdict = PT_ROM_NO_IMAGE;
	}
	if (!has_signature(buf, len, 0)) {
		char what[PT_ROM_PROBLEM_LEN];

		if (!pt_rom_find_start(buf, len, &start)) {
			rom_problem(out, "no ROM image: no 55 aa signature followed by a PCI data structure");
			return out->verdict = PT_ROM_NO_IMAGE;
		}
		out->leading_garbage = start;
		say(what, sizeof(what), "0x%zx bytes before the first image at 0x%zx (a flash tool's header?)",
		    start, start);
		rom_problem(out, what);
	}
	walk(buf, len, start, out);
	return out->verdict = judge(out);
}

int pt_rom_fix(const uint8_t *buf, size_t len, size_t *start, size_t *end, struct pt_rom *out)
{
	enum pt_rom_verdict v;
	size_t s = 0;

	/* An image at 0 is never stripped, damaged or not: refuse instead. */
	if (!buf || !len || (!has_signature(buf, len, 0) && !pt_rom_find_start(buf, len, &s))) {
		pt_rom_parse(buf, len, out);
		return -1;
	}
	v = pt_rom_parse(buf + s, len - s, out);
	if (v == PT_ROM_NO_IMAGE || v == PT_ROM_DAMAGED)
		return -1;
	*start = s;
	*end = s + out->used_length;
	return 0;
}

const char *pt_rom_code_type_name(unsigned code_type)
{
	switch (code_type) {
	case PT_ROM_CODE_X86: return "x86 PC-AT BIOS";
	case PT_ROM_CODE_OPENFW: return "Open Firmware";
	case PT_ROM_CODE_PARISC: return "HP PA-RISC";
	case PT_ROM_CODE_EFI: return "EFI";
	default: return "reserved";
	}
}

const char *pt_rom_verdict_name(enum pt_rom_verdict v)
{
	switch (v) {
	case PT_ROM_NO_IMAGE: return "no-image";
	case PT_ROM_DAMAGED: return "damaged";
	case PT_ROM_VALID: return "valid";
	case PT_ROM_LEGACY_ONLY: return "legacy-only";
	case PT_ROM_UEFI_CAPABLE: return "uefi-capable";
	}
	return "unknown";
}

/* PE/COFF machine types (PE format specification, IMAGE_FILE_MACHINE_*). */
const char *pt_rom_efi_machine_name(unsigned machine)
{
	switch (machine) {
	case 0x014c: return "IA32";
	case 0x0200: return "IA64";
	case 0x0ebc: return "EBC";
	case 0x8664: return "x64";
	case 0x01c2: return "ARM";
	case 0xaa64: return "AArch64";
	case 0x5032: return "RISC-V 32";
	case 0x5064: return "RISC-V 64";
	case 0x6264: return "LoongArch64";
	default: return "unknown";
	}
}

const char *pt_rom_efi_subsystem_name(unsigned subsystem)
{
	switch (subsystem) {
	case PT_ROM_EFI_APPLICATION: return "application";
	case PT_ROM_EFI_BOOT_DRIVER: return "boot service driver";
	case PT_ROM_EFI_RUNTIME_DRIVER: return "runtime driver";
	case 13: return "EFI ROM";
	default: return "unknown";
	}
}

const char *pt_rom_warning_text(unsigned bit)
{
	switch (bit) {
	case PT_ROM_W_PCIR_UNALIGNED:
		return "PCI data structure not 4-byte aligned: UEFI firmware (edk2) stops reading the ROM here";
	case PT_ROM_W_PCIR_LENGTH:
		return "PCI data structure length too small for its revision";
	case PT_ROM_W_DEVLIST_RANGE:
		return "device list runs out of the image without its terminating 0";
	case PT_ROM_W_DEVLIST_LONG:
		return "device list longer than shown";
	case PT_ROM_W_EFI_NOT_DRIVER:
		return "EFI image is not a driver: UEFI firmware does not load it";
	case PT_ROM_W_EFI_NO_PE:
		return "uncompressed EFI image without a PE header (MZ) at its offset";
	default:
		return NULL;
	}
}

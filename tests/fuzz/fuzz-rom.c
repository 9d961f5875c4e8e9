/* libFuzzer target for the PCI expansion ROM parser (common/rom.c): parse,
 * find the start, fix; then check what the parser promises. A broken promise
 * aborts, which libFuzzer reports as a crash. Built by tests/fuzz/run. */
#include "rom.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct pt_rom *r, const uint8_t *data, size_t size)
{
	bool damaged = r->verdict == PT_ROM_NO_IMAGE || r->verdict == PT_ROM_DAMAGED;
	size_t i;

	if (!memchr(r->problem, '\0', sizeof(r->problem)) || !pt_rom_verdict_name(r->verdict))
		abort();
	/* A damaged ROM says why; a valid one has nothing to say. */
	if (damaged != (r->problem[0] != '\0'))
		abort();
	/* No fixed limit: the room pt_rom_capacity() gives is always enough. */
	if (r->nimages > pt_rom_capacity(size) || strstr(r->problem, "no room") ||
	    r->used_length > size || (size && r->leading_garbage >= size))
		abort();
	if (!damaged && (r->nimages == 0 || r->leading_garbage || !r->img[r->nimages - 1].last ||
			 r->used_length != r->img[r->nimages - 1].offset + r->img[r->nimages - 1].length))
		abort();
	for (i = 0; i < r->nimages; i++) {
		const struct pt_rom_image *im = &r->img[i];

		if (im->offset >= size || !memchr(im->problem, '\0', sizeof(im->problem)))
			abort();
		/* No image is invented: each has its PCIR inside the data. */
		if (im->pcir_offset == 0 || im->offset + im->pcir_offset + 4 > size ||
		    memcmp(data + im->offset + im->pcir_offset, "PCIR", 4) != 0)
			abort();
		/* A gap is whole 512-byte blocks, none starting with 55 aa. */
		if (im->gap_before % 512 || (i == 0 && im->gap_before))
			abort();
		for (size_t g = im->offset - im->gap_before; g < im->offset; g += 512)
			if (data[g] == 0x55 && data[g + 1] == 0xaa)
				abort();
		/* Every image but a fatally broken last one lies within the data,
		 * the next one after it and its gap. */
		if (i + 1 < r->nimages && (im->length == 0 || im->offset + im->length > size ||
					   im->offset + im->length + r->img[i + 1].gap_before != r->img[i + 1].offset))
			abort();
		if (im->has_checksum && (im->init_size == 0 || im->init_size > im->length))
			abort();
		if (im->ndevice_ids > PT_ROM_MAX_DEVICE_IDS + 1)
			abort();
		/* The names are total: what --info prints for any value. */
		if (!pt_rom_code_type_name(im->code_type) || !pt_rom_efi_machine_name(im->efi_machine) ||
		    !pt_rom_efi_subsystem_name(im->efi_subsystem))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = pt_rom_capacity(size);
	struct pt_rom_image *room = calloc(3 * cap, sizeof(*room));
	struct pt_rom r = { .img = room, .cap = cap }, fixed = { .img = room + cap, .cap = cap },
		      again = { .img = room + 2 * cap, .cap = cap };
	size_t start, s = 0, e = 0;

	if (!room)
		abort();
	pt_rom_parse(data, size, &r);
	check(&r, data, size);

	if (pt_rom_find_start(data, size, &start) && start >= size)
		abort();

	if (pt_rom_fix(data, size, &s, &e, &fixed) == 0) {
		check(&fixed, data + s, size - s);
		if (s > e || e > size || fixed.verdict == PT_ROM_DAMAGED || fixed.verdict == PT_ROM_NO_IMAGE)
			abort();
		/* Fixing is idempotent: the slice parses the same, whole, with
		 * nothing to strip or cut. */
		if (pt_rom_parse(data + s, e - s, &again) != fixed.verdict || again.used_length != e - s ||
		    again.leading_garbage || again.image_after_last || again.nimages != fixed.nimages)
			abort();
	}
	free(room);
	return 0;
}

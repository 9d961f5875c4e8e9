/* vgarom-dump: read a device's option ROM safely, say what is in it, and
 * repair the images vendor tools and dumps get wrong. */
#include "bdf.h"
#include "msg.h"
#include "options.h"
#include "output.h"
#include "pcidev.h"
#include "rom.h"
#include "romdump.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *opt_output;
static int opt_info, opt_fix;

static struct poptOption options[] = {
	{ "output", 'o', POPT_ARG_STRING, &opt_output, 0, "write the ROM to FILE (- for standard output)", "FILE" },
	{ "info", 'i', POPT_ARG_NONE, &opt_info, 0, "parse every image of a ROM (a FILE or a DEVICE's)", NULL },
	{ "fix", '\0', POPT_ARG_NONE, &opt_fix, 0,
	  "strip a vendor tool's header and trailing garbage from IN; write OUT with -o", NULL },
	PT_WRITE_OPTIONS,
	PT_COMMON_OPTIONS,
	POPT_TABLEEND
};

static struct pt_host host;
static bool host_scanned;

static const struct pt_dev *find_device(const char *arg)
{
	struct pt_bdf b;

	if (pt_bdf_parse(arg, &b) != NULL)
		return NULL;
	if (!host_scanned) {
		pt_host_scan(&host);
		host_scanned = true;
	}
	const struct pt_dev *d = pt_host_find(&host, &b);
	if (!d)
		pt_die(PT_EXIT_FAIL, "%s: no such PCI device", arg);
	return d;
}

static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		pt_die(PT_EXIT_FAIL, "%s: %s", path, strerror(errno));
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20))
				pt_die(PT_EXIT_FAIL, "%s: larger than 64 MiB, not a ROM", path);
			buf = pt_xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
		pt_die(PT_EXIT_FAIL, "%s: %s", path, strerror(errno));
	fclose(f);
	*len = n;
	return buf;
}

static void write_out(const char *path, const uint8_t *buf, size_t len)
{
	int fd;
	size_t done = 0;

	if (strcmp(path, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			pt_die(PT_EXIT_USAGE, "not writing a binary ROM to a terminal; redirect it or use -o FILE");
		fd = STDOUT_FILENO;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			pt_die(PT_EXIT_FAIL, "%s: %s", path, strerror(errno));
	}
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			pt_die(PT_EXIT_FAIL, "%s: %s", path, strerror(errno));
		done += (size_t)w;
	}
	if (fd != STDOUT_FILENO && close(fd) < 0)
		pt_die(PT_EXIT_FAIL, "%s: %s", path, strerror(errno));
}

/* Whether the ROM's images name the device (its ID, or its PCI 3.0 list). */
static bool ids_match(const struct pt_rom *rom, const struct pt_dev *d)
{
	for (size_t i = 0; i < rom->nimages; i++) {
		const struct pt_rom_image *im = &rom->img[i];

		if (im->vendor != d->vendor)
			continue;
		if (im->device == d->device)
			return true;
		for (unsigned k = 0; k < im->ndevice_ids && k < PT_ROM_MAX_DEVICE_IDS; k++)
			if (im->device_ids[k] == d->device)
				return true;
	}
	return false;
}

/* Room for every image a ROM of len bytes can hold (rom.h). */
static void rom_room(struct pt_rom *rom, size_t len)
{
	rom->cap = pt_rom_capacity(len);
	rom->img = pt_xcalloc(rom->cap, sizeof(*rom->img));
}

/* Whether --fix would write this ROM: the hints say so only then. */
static bool fixable(const uint8_t *buf, size_t len)
{
	struct pt_rom r;
	size_t s, e;
	int rc;

	rom_room(&r, len);
	rc = pt_rom_fix(buf, len, &s, &e, &r);
	free(r.img);
	return rc == 0;
}

static void print_serves(const struct pt_rom *rom)
{
	unsigned serves = pt_rom_serves(rom);
	const char *sep = "";

	printf("  serves:");
	for (unsigned bit = 1; bit <= PT_ROM_SERVES_PARISC; bit <<= 1) {
		if (serves & bit) {
			printf("%s %s", sep, pt_rom_serves_name(bit));
			sep = ",";
		}
	}
	printf("%s\n", serves ? "" : " nothing");
}

static void print_info(const char *what, const struct pt_rom *rom, const uint8_t *buf, size_t len,
		       const struct pt_dev *d, bool shadow)
{
	bool match = d ? ids_match(rom, d) : false;
	bool fix = fixable(buf, len);

	if (pt_opts.json) {
		struct pt_json j;

		pt_json_init(&j, stdout);
		pt_json_object_open(&j, NULL);
		pt_json_string(&j, "source", what);
		pt_json_int(&j, "size", (long long)len);
		pt_json_int(&j, "leading_garbage", (long long)rom->leading_garbage);
		pt_json_int(&j, "used_length", (long long)rom->used_length);
		pt_json_bool(&j, "shadow", shadow);
		pt_json_int(&j, "gap_bytes", (long long)rom->gap_bytes);
		pt_json_array_open(&j, "serves");
		for (unsigned bit = 1; bit <= PT_ROM_SERVES_PARISC; bit <<= 1)
			if (pt_rom_serves(rom) & bit)
				pt_json_string(&j, NULL, pt_rom_serves_name(bit));
		pt_json_array_close(&j);
		pt_json_bool(&j, "fixable", fix);
		pt_json_array_open(&j, "images");
		for (size_t i = 0; i < rom->nimages; i++) {
			const struct pt_rom_image *im = &rom->img[i];
			char id[16];

			pt_json_object_open(&j, NULL);
			pt_json_int(&j, "offset", (long long)im->offset);
			pt_json_int(&j, "length", (long long)im->length);
			pt_json_int(&j, "gap_before", (long long)im->gap_before);
			pt_json_string(&j, "code_type", pt_rom_code_type_name(im->code_type));
			snprintf(id, sizeof(id), "%04x", im->vendor);
			pt_json_string(&j, "vendor", id);
			snprintf(id, sizeof(id), "%04x", im->device);
			pt_json_string(&j, "device", id);
			snprintf(id, sizeof(id), "%06x", im->class_code);
			pt_json_string(&j, "class", id);
			pt_json_int(&j, "pcir_revision", im->pcir_revision);
			pt_json_array_open(&j, "device_list");
			for (unsigned k = 0; k < im->ndevice_ids && k < PT_ROM_MAX_DEVICE_IDS; k++) {
				snprintf(id, sizeof(id), "%04x", im->device_ids[k]);
				pt_json_string(&j, NULL, id);
			}
			pt_json_array_close(&j);
			pt_json_bool(&j, "last", im->last);
			if (im->has_checksum)
				pt_json_bool(&j, "checksum_ok", im->checksum_ok);
			else
				pt_json_null(&j, "checksum_ok");
			if (im->code_type == PT_ROM_CODE_EFI) {
				pt_json_string(&j, "efi_subsystem", pt_rom_efi_subsystem_name(im->efi_subsystem));
				pt_json_string(&j, "efi_machine", pt_rom_efi_machine_name(im->efi_machine));
				snprintf(id, sizeof(id), "%04x", im->efi_machine);
				pt_json_string(&j, "efi_machine_id", id);
				pt_json_bool(&j, "efi_compressed", im->efi_compression != 0);
			}
			pt_json_string(&j, "problem", im->problem[0] ? im->problem : NULL);
			pt_json_object_close(&j);
		}
		pt_json_array_close(&j);
		if (d)
			pt_json_bool(&j, "ids_match_device", match);
		pt_json_string(&j, "verdict", pt_rom_verdict_name(rom->verdict));
		pt_json_string(&j, "problem", rom->problem[0] ? rom->problem : NULL);
		pt_json_object_close(&j);
		pt_json_finish(&j);
		return;
	}
	printf("%s: %zu bytes, %zu image%s\n", what, len, rom->nimages, rom->nimages == 1 ? "" : "s");
	if (shadow)
		printf("  note: the kernel gave the shadow copy at 0xC0000 (this is the boot GPU): the BIOS "
		       "changed it while it ran, so it is not the card's pristine ROM; as a romfile it may "
		       "not work, a dump from a secondary slot will\n");
	if (rom->leading_garbage)
		printf("  %zu bytes before the first image (a flash tool's header%s)\n", rom->leading_garbage,
		       fix ? ": --fix strips it" : "; --fix refuses this ROM, see the verdict");
	for (size_t i = 0; i < rom->nimages; i++) {
		const struct pt_rom_image *im = &rom->img[i];

		if (im->gap_before)
			printf("  %zu bytes without 55 aa at 0x%zx, stepped over as firmware does\n", im->gap_before,
			       im->offset - im->gap_before);
		printf("  image %zu at 0x%zx, %zu bytes: %s, %04x:%04x class %06x, PCIR rev %u%s", i, im->offset,
		       im->length, pt_rom_code_type_name(im->code_type), im->vendor, im->device, im->class_code,
		       im->pcir_revision, im->last ? ", last" : "");
		if (im->has_checksum)
			printf(", checksum %s", im->checksum_ok ? "ok" : "BAD");
		if (im->code_type == PT_ROM_CODE_EFI && im->efi_signature_ok)
			printf(", EFI %s for %s%s", pt_rom_efi_subsystem_name(im->efi_subsystem),
			       pt_rom_efi_machine_name(im->efi_machine), im->efi_compression ? ", compressed" : "");
		if (im->ndevice_ids)
			printf(", device list of %u", im->ndevice_ids);
		printf("%s%s\n", im->problem[0] ? ": " : "", im->problem);
	}
	/* only after a chain that ended where it should: at its last image */
	if (rom->nimages && rom->used_length < len && rom->img[rom->nimages - 1].last &&
	    rom->img[rom->nimages - 1].length &&
	    rom->img[rom->nimages - 1].offset + rom->img[rom->nimages - 1].length == rom->used_length)
		printf("  %zu bytes after the last image (padding or garbage%s)\n", len - rom->used_length,
		       fix ? "; --fix cuts them" : "");
	if (d && rom->nimages)
		printf("  IDs: %s %s (%04x:%04x)\n", match ? "match" : "DO NOT match", d->name, d->vendor, d->device);
	if (rom->nimages)
		print_serves(rom);
	printf("  verdict: %s%s%s\n", pt_rom_verdict_name(rom->verdict), rom->problem[0] ? ": " : "",
	       rom->problem);
}

static int verdict_exit(const struct pt_rom *rom)
{
	return rom->verdict == PT_ROM_DAMAGED || rom->verdict == PT_ROM_NO_IMAGE ? PT_EXIT_FAIL : PT_EXIT_OK;
}

/* A file name as a message shows it: escaped, on one line (output.h). */
static const char *shown(const char *s)
{
	static char buf[16384];

	pt_text_escape(buf, sizeof(buf), s);
	return buf;
}

int main(int argc, const char **argv)
{
	const char **args;
	const struct pt_dev *d;
	struct pt_rom rom;
	struct pt_rom_read rd;
	char err[1024];
	int rc;

	pt_man_section = "1";
	args = pt_options_parse(argc, argv, options, "DEVICE -o FILE | --info FILE|DEVICE | --fix IN -o OUT",
				"Read a PCI device's option ROM safely (enabled only while it is read,\n"
				"disabled again on every path), parse and validate every image in a ROM,\n"
				"and repair ROM files that vendor tools wrap or pad.",
				NULL);
	if (!args[0] || args[1])
		pt_die(PT_EXIT_USAGE, "one DEVICE or FILE, please; try '%s --help'", pt_progname);
	if (opt_info + opt_fix > 1)
		pt_die(PT_EXIT_USAGE, "--info and --fix exclude each other");
	if (!opt_info && !opt_output)
		pt_die(PT_EXIT_USAGE, "where to? -o FILE (or -o - for standard output)");

	if (opt_fix) {
		size_t len, start, end;
		uint8_t *buf = read_whole(args[0], &len);

		rom_room(&rom, len);
		if (pt_rom_fix(buf, len, &start, &end, &rom) < 0)
			pt_die(PT_EXIT_FAIL, "%s: not fixed: %s", args[0], rom.problem);
		if (!pt_dry_run)
			write_out(opt_output, buf + start, end - start);
		fprintf(stderr, "%s: %zu bytes of header stripped, %zu bytes after the last image cut; "
			"%zu bytes, %s%s\n", shown(opt_output), start, len - end, end - start,
			pt_rom_verdict_name(rom.verdict), pt_dry_run ? " (dry run: nothing written)" : "");
		free(buf);
		free(rom.img);
		return PT_EXIT_OK;
	}

	d = find_device(args[0]);
	if (opt_info && !d) { /* a file */
		size_t len;
		uint8_t *buf = read_whole(args[0], &len);

		rom_room(&rom, len);
		pt_rom_parse(buf, len, &rom);
		print_info(args[0], &rom, buf, len, NULL, false);
		free(buf);
		free(rom.img);
		return verdict_exit(&rom);
	}
	if (!d)
		pt_die(PT_EXIT_USAGE, "%s: not a PCI address (DDDD:BB:DD.F)", args[0]);
	if (!pt_opts.dry_run && opt_output && strcmp(opt_output, "-") == 0 && isatty(STDOUT_FILENO))
		pt_die(PT_EXIT_USAGE, "not writing a binary ROM to a terminal; redirect it or use -o FILE");

	rc = pt_rom_read_device(d, &rd, err, sizeof(err));
	if (rc == -ENOENT)
		pt_die(PT_EXIT_UNSUPPORTED, "%s", err);
	if (rc < 0)
		pt_die(PT_EXIT_FAIL, "%s; the ROM is disabled again", err);
	if (pt_dry_run)
		return PT_EXIT_OK;
	rom_room(&rom, rd.len);
	pt_rom_parse(rd.data, rd.len, &rom);
	if (opt_info) {
		print_info(d->name, &rom, rd.data, rd.len, d, rd.shadow);
		return verdict_exit(&rom);
	}
	write_out(opt_output, rd.data, rd.len);
	fprintf(stderr, "%s: %zu bytes of %s's ROM (%s%s%s), IDs %s%s\n", shown(opt_output), rd.len, d->name,
		pt_rom_verdict_name(rom.verdict), rom.problem[0] ? ": " : "", rom.problem,
		ids_match(&rom, d) ? "match" : "DO NOT match",
		rd.shadow ? "; the shadow copy at 0xC0000: see --info" : "");
	free(rd.data);
	free(rom.img);
	return PT_EXIT_OK;
}

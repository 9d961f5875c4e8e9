/* PCI expansion ROMs: walk, validate and trim the images of a ROM held in a
 * buffer. Pure: no I/O, no allocation; never reads outside [buf, buf+len).
 *
 * Layouts (little-endian):
 *   ROM header   PCI Firmware Specification 3.0 §5.1 (55 aa, PCIR pointer at
 *                0x18); x86 extension (size byte at 2, entry at 3) PCI Local
 *                Bus 2.2 §6.3.3.1; EFI header at 2..0x17: UEFI Specification
 *                "PCI Option ROMs" (§13.4.2 in 2.1, §14.4.2 in later 2.x;
 *                EFI 1.10 Table 12-17).
 *   PCIR         PCI Firmware Specification 3.0 §5.1.2 (revision 3 adds the
 *                device list, max runtime length, CLP and config pointers).
 * edk2's MdePkg/Include/IndustryStandard/Pci22.h (EFI_PCI_EXPANSION_ROM_HEADER,
 * citing the UEFI section) and Pci30.h (PCI_3_0_DATA_STRUCTURE, citing §5.1.2)
 * spell the same structures in C. */
#ifndef PT_ROM_H
#define PT_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* There is no fixed image limit. Every image is at least one 512-byte unit
 * long and the walk only moves forward (a zero length stops it), so a ROM of
 * len bytes holds at most pt_rom_capacity(len) images: the caller provides
 * that much room (struct pt_rom's img and cap). */
/* PCI 3.0 device list entries kept per image (the rest are counted). */
#define PT_ROM_MAX_DEVICE_IDS 16
#define PT_ROM_PROBLEM_LEN    256

/* PCIR code types (PCI Firmware 3.0 §5.1.2); 4..0xff are reserved, vendors
 * use some (NVIDIA 0x70). */
enum {
	PT_ROM_CODE_X86 = 0x00,    /* Intel x86, PC-AT compatible */
	PT_ROM_CODE_OPENFW = 0x01, /* Open Firmware (IEEE 1275) */
	PT_ROM_CODE_PARISC = 0x02, /* Hewlett-Packard PA-RISC */
	PT_ROM_CODE_EFI = 0x03,    /* EFI image, with the EFI header */
};

/* EFI header subsystems: PE/COFF values (UEFI "PCI Option ROMs"). The PCI
 * bus driver loads drivers only; an application is ignored. */
enum {
	PT_ROM_EFI_APPLICATION = 10,
	PT_ROM_EFI_BOOT_DRIVER = 11,
	PT_ROM_EFI_RUNTIME_DRIVER = 12,
};

enum pt_rom_verdict {
	PT_ROM_NO_IMAGE,      /* no 55 aa + PCIR anywhere (all 0xff, zeros, text) */
	PT_ROM_DAMAGED,       /* problem says what and where */
	PT_ROM_VALID,         /* valid, but serves neither x86 BIOS nor x64 UEFI */
	PT_ROM_LEGACY_ONLY,   /* valid, an x86 image and no EFI driver x64 UEFI loads */
	PT_ROM_UEFI_CAPABLE,  /* valid, with an EFI driver x64 UEFI (OVMF) loads:
	                       * machine x64, or EBC (OVMF builds EbcDxe) */
};

/* Warnings: the image is used by firmware, but something is off. */
#define PT_ROM_W_PCIR_UNALIGNED 0x01 /* PCIR not 4-byte aligned: edk2 stops there */
#define PT_ROM_W_PCIR_LENGTH    0x02 /* PCIR length too small for its revision */
#define PT_ROM_W_DEVLIST_RANGE  0x04 /* device list leaves the image unterminated */
#define PT_ROM_W_DEVLIST_LONG   0x08 /* more device IDs than PT_ROM_MAX_DEVICE_IDS */
#define PT_ROM_W_EFI_NOT_DRIVER 0x10 /* EFI subsystem not a driver: firmware skips it */
#define PT_ROM_W_EFI_NO_PE      0x20 /* uncompressed EFI image lacks "MZ" at its offset */

struct pt_rom_image {
	size_t offset;             /* of its 55 aa, from the start of buf */
	size_t gap_before;         /* bytes without 55 aa stepped over, in 512-byte
	                            * units, between the previous image and this one
	                            * (edk2's PciOptionRomSupport.c does the same) */
	size_t length;             /* PCIR image length in bytes (units * 512) */
	unsigned pcir_offset;      /* PCIR pointer at 0x18, from offset */
	unsigned pcir_length, pcir_revision;
	unsigned vendor, device;
	unsigned class_code;       /* base << 16 | subclass << 8 | prog-if */
	unsigned code_revision, code_type, indicator;
	bool last;                 /* indicator bit 7 */
	/* PCIR revision 3 only (0 otherwise): */
	unsigned devlist_offset;   /* from the PCIR; 0: no list */
	unsigned ndevice_ids;      /* entries in the list, may exceed the array */
	unsigned device_ids[PT_ROM_MAX_DEVICE_IDS];
	size_t max_runtime_length; /* bytes */
	unsigned config_utility_offset, dmtf_clp_offset;
	/* Code type 0: size byte at 2; code type 3: 16-bit size at 2 (bytes). */
	size_t init_size;
	/* x86: the sum of the init_size bytes, which must be 0 (the PCI 2.2
	 * POST rule for the initialization code copied to RAM; SeaBIOS'
	 * is_valid_rom() in src/optionroms.c checks the same span). */
	bool has_checksum, checksum_ok;
	unsigned checksum;
	/* Code type 3: */
	bool efi_signature_ok;     /* 0x0ef1 at 4 */
	unsigned efi_subsystem, efi_machine, efi_compression, efi_image_offset;
	unsigned warnings;         /* PT_ROM_W_* */
	char problem[96];          /* what is wrong with this image, or "" */
};

struct pt_rom {
	struct pt_rom_image *img;  /* the caller's room: cap entries; kept by */
	size_t cap;                /* pt_rom_parse, which clears everything else */
	size_t nimages;
	size_t gap_bytes;          /* sum of the images' gap_before */
	size_t leading_garbage;    /* bytes before the first image (a tool's header) */
	size_t used_length;        /* end of the last image whose extent is sound */
	bool image_after_last;     /* an image header follows the last image */
	enum pt_rom_verdict verdict;
	char problem[PT_ROM_PROBLEM_LEN]; /* the first problem, with where; or "" */
};

/* Room enough for every image of a len-byte ROM. */
size_t pt_rom_capacity(size_t len);

/* Walk every image, as firmware does: from the first, by each image's
 * length, stepping over 512-byte blocks without 55 aa between images, up
 * to the image marked last. A 55 aa without a PCI data structure gets no
 * entry: it is the ROM's problem (no-image when no image is left, as for
 * an ISA ROM; damaged after one). When buf does not start with 55 aa, the
 * first valid image is searched for (pt_rom_find_start) and what precedes
 * it is leading garbage, which makes the ROM damaged. Data after the last
 * image is not damage (ROM BARs are padded); used_length says where the
 * images end. Returns (and sets) out->verdict. out->img and out->cap must
 * be set (pt_rom_capacity(len) entries); with less room the walk stops
 * there and says so. */
enum pt_rom_verdict pt_rom_parse(const uint8_t *buf, size_t len, struct pt_rom *out);

/* The first offset where 55 aa begins an image: its PCIR pointer leads to
 * "PCIR" within buf and inside a non-zero image length (the image itself may
 * run past the end). False when there is none. */
bool pt_rom_find_start(const uint8_t *buf, size_t len, size_t *start);

/* The slice [*start, *end) to keep: leading data stripped (only when buf does
 * not start with 55 aa), trailing data cut after the last image. Returns 0
 * when that slice parses valid, with *out describing it (offsets relative to
 * *start); -1 otherwise, out->problem saying why and *start, *end untouched:
 * nothing is fixed that cannot then be validated. */
int pt_rom_fix(const uint8_t *buf, size_t len, size_t *start, size_t *end, struct pt_rom *out);

/* What the ROM's images serve, as flags, from the images firmware would use
 * (those without a problem: x86 code, EFI drivers by machine type, Open
 * Firmware, PA-RISC). */
enum {
	PT_ROM_SERVES_BIOS = 0x01,     /* an x86 PC-AT image */
	PT_ROM_SERVES_X64 = 0x02,      /* an EFI driver for x64 (0x8664) */
	PT_ROM_SERVES_EBC = 0x04,      /* an EFI byte code driver (0x0ebc) */
	PT_ROM_SERVES_IA32 = 0x08,     /* 0x014c: never loaded by x64 firmware */
	PT_ROM_SERVES_AARCH64 = 0x10,  /* 0xaa64 */
	PT_ROM_SERVES_OTHER_EFI = 0x20, /* ARM, RISC-V, IA64 ... */
	PT_ROM_SERVES_OPENFW = 0x40,
	PT_ROM_SERVES_PARISC = 0x80,
};
unsigned pt_rom_serves(const struct pt_rom *r);
/* One PT_ROM_SERVES_* bit: "x86-bios", "x64-uefi", "ebc-uefi", "ia32-uefi",
 * "aarch64-uefi", "other-uefi", "open-firmware", "pa-risc"; NULL otherwise. */
const char *pt_rom_serves_name(unsigned bit);

/* "x86 PC-AT BIOS", "Open Firmware", "HP PA-RISC", "EFI", "reserved". */
const char *pt_rom_code_type_name(unsigned code_type);
/* "valid", "uefi-capable", "legacy-only", "damaged", "no-image". */
const char *pt_rom_verdict_name(enum pt_rom_verdict v);
/* "x64", "IA32", "AArch64", "IA64", "EBC", ... or "unknown". */
const char *pt_rom_efi_machine_name(unsigned machine);
/* "boot service driver", "runtime driver", "application", ... or "unknown". */
const char *pt_rom_efi_subsystem_name(unsigned subsystem);
/* One PT_ROM_W_* bit, in words; NULL for an unknown bit. */
const char *pt_rom_warning_text(unsigned bit);

#endif

#!/usr/bin/env python3
"""Write the hand-made PCI expansion ROMs in tests/unit/roms/.

Usage, from anywhere:  python3 tests/unit/roms/make-bad-roms.py

The output is deterministic. tests/unit/test-rom.c builds the same bytes in C
(so the unit test needs no Python) and checks that they equal these files, so
change both together. Every ROM starts from one small good ROM:

    0x000  x86 image, 2 units, PCIR at 0x1c (revision 3), device list
           1111 1112 at 0x60, checksum byte last, not the last image
    0x400  EFI image, 2 units, x64 boot service driver, "MZ" at 0x40,
           PCIR at 0x1c (revision 3, no device list), the last image

Layouts: PCI Firmware Specification 3.0 section 5.1 (ROM header, PCIR), the
UEFI Specification's "PCI Option ROMs" section (EFI header). Python 3
standard library only.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT = 512
VENDOR, DEVICE = 0x1234, 0x1111


def put16(b, off, v):
    struct.pack_into("<H", b, off, v)


def pcir(b, at, units, code_type, last, devlist=0):
    """The PCI 3.0 data structure at 'at' (from the image start)."""
    b[at:at + 4] = b"PCIR"
    put16(b, at + 0x04, VENDOR)
    put16(b, at + 0x06, DEVICE)
    put16(b, at + 0x08, devlist)
    put16(b, at + 0x0a, 0x1c)
    b[at + 0x0c] = 3
    b[at + 0x0d:at + 0x10] = bytes([0x00, 0x00, 0x03])  # VGA controller
    put16(b, at + 0x10, units)
    put16(b, at + 0x12, 1)
    b[at + 0x14] = code_type
    b[at + 0x15] = 0x80 if last else 0


def fix_checksum(b):
    """x86: make the initialization-size bytes sum to 0 (last byte)."""
    n = b[2] * UNIT
    b[n - 1] = 0
    b[n - 1] = (-sum(b[:n])) & 0xff


def x86_image(units=2, last=False):
    b = bytearray(units * UNIT)
    b[0:2] = b"\x55\xaa"
    b[2] = units
    b[3] = 0xcb  # retf: an init entry that returns
    put16(b, 0x18, 0x1c)
    pcir(b, 0x1c, units, 0x00, last, devlist=0x60 - 0x1c)
    put16(b, 0x60, DEVICE)
    put16(b, 0x62, DEVICE + 1)
    fix_checksum(b)
    return b


def efi_image(units=2, last=True, machine=0x8664):
    b = bytearray(units * UNIT)
    b[0:2] = b"\x55\xaa"
    put16(b, 0x02, units)           # initialization size
    struct.pack_into("<I", b, 0x04, 0x0ef1)
    put16(b, 0x08, 11)              # EFI boot service driver
    put16(b, 0x0a, machine)         # x64 unless told
    put16(b, 0x0c, 0)               # not compressed
    put16(b, 0x16, 0x40)            # the PE image
    put16(b, 0x18, 0x1c)
    pcir(b, 0x1c, units, 0x03, last)
    b[0x40:0x42] = b"MZ"
    return b


def good():
    return x86_image() + efi_image()


def vendor_header():
    """0x400 bytes standing in for a flash tool's header, with a decoy
    55 aa that has no PCI data structure behind it."""
    h = bytearray(0x400)
    h[0:4] = b"NVGI"
    text = b"saved by a vendor flash tool; not part of the ROM"
    h[0x10:0x10 + len(text)] = text
    h[0x100:0x102] = b"\x55\xaa"
    return h


def trailing():
    return bytes((i * 37 + 11) & 0xff for i in range(0x200))


def no_pcir_image():
    """An ISA-style option ROM: 55 aa, size, entry, PCIR pointer 0."""
    b = bytearray(2 * UNIT)
    b[0:2] = b"\x55\xaa"
    b[2] = 2
    b[3] = 0xcb
    fix_checksum(b)
    return b


def build():
    roms = {}
    roms["good"] = good()

    roms["truncated"] = good()[:0x600]

    r = good()
    r[0x100] = (r[0x100] + 0x3f) & 0xff
    roms["bad-checksum"] = r

    r = good()
    put16(r, 0x18, 0xfff0)
    fix_checksum(r)
    roms["pcir-out-of-range"] = r

    r = good()
    r[0x1c:0x20] = b"PCI\0"
    fix_checksum(r)
    roms["pcir-bad-signature"] = r

    r = good()
    put16(r, 0x1c + 0x10, 0)
    fix_checksum(r)
    roms["zero-length"] = r

    # 17 one-unit images, none marked last: a parser without a bound walks on.
    roms["loop"] = b"".join(x86_image(units=1) for _ in range(17))

    roms["no-last"] = x86_image()

    r = good()
    put16(r, 0x1c + 0x08, 0xfff0)
    fix_checksum(r)
    roms["devlist-out-of-range"] = r

    r = good()
    struct.pack_into("<I", r, 0x404, 0)
    roms["bad-efi-signature"] = r

    roms["vendor-header"] = vendor_header() + good()
    roms["vendor-header-bad-checksum"] = vendor_header() + roms["bad-checksum"]
    roms["trailing-garbage"] = good() + trailing()

    # What firmware does (PCI Firmware 3.x, edk2's PciOptionRomSupport.c):
    # no image limit; 20 one-unit images, the last one marked.
    roms["many-images"] = b"".join(x86_image(units=1, last=(i == 19)) for i in range(20))
    # a 512-byte block without 55 aa between the two images: stepped over
    roms["gap"] = x86_image() + bytes([0xff]) * UNIT + efi_image()
    # the EFI machine decides whether x64 UEFI loads the driver
    roms["efi-aarch64"] = x86_image() + efi_image(machine=0xaa64)
    roms["efi-ia32"] = x86_image() + efi_image(machine=0x014c)
    roms["efi-ebc"] = efi_image(machine=0x0ebc)
    roms["efi-multi"] = (x86_image() + efi_image(last=False, machine=0x014c) +
                         efi_image(last=False, machine=0xaa64) + efi_image())
    # 55 aa without a PCI data structure: no image, alone or after one
    roms["no-pcir"] = no_pcir_image()
    roms["no-pcir-after"] = x86_image() + no_pcir_image()
    # the second image's length is 0: the chain would stay there forever
    r = x86_image() + x86_image()
    put16(r, 0x400 + 0x1c + 0x10, 0)
    r[0x400:] = fix_checksum_copy(r[0x400:])
    roms["chain-zero-length"] = r
    return roms


def fix_checksum_copy(b):
    b = bytearray(b)
    fix_checksum(b)
    return b


def main():
    for name, data in sorted(build().items()):
        with open(os.path.join(HERE, name + ".rom"), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()

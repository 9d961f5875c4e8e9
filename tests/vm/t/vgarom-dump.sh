#!/bin/sh
# vm: timeout=120
# vgarom-dump on a real kernel: the e1000e's ROM equals, byte for byte, the
# romfile QEMU gave it; the second display's equals SeaBIOS's
# vgabios-bochs-display.bin; the boot VGA's is the shadow copy, said so and
# still parsed; the ROM is disabled again every time.
. /vm/lib.sh
command -v vgarom-dump >/dev/null || skip_all "vgarom-dump not built"
nic=$(pci_find 8086:10d3 | head -n 1)
# the bochs-display (class 0380) has no boot_vga attribute at all
bochs=$(pci_find 1234:1111 | while read b; do [ "$(cat /sys/bus/pci/devices/$b/boot_vga 2>/dev/null)" = 1 ] || echo "$b"; done | head -n 1)
vga=$(pci_find 1234:1111 | while read b; do [ "$(cat /sys/bus/pci/devices/$b/boot_vga 2>/dev/null)" = 1 ] && echo "$b"; done | head -n 1)

# the ROM BAR's enable bit is bit 0 of config offset 0x30
rom_bit() { echo $(( 0x$(od -An -tx1 -j48 -N1 "/sys/bus/pci/devices/$1/config" | tr -d ' ') & 1 )); }

out=$(vgarom-dump "$nic" -o nic.rom 2>&1); rc=$?
is "$rc" 0 "dumping the e1000e's ROM exits 0"
ok "it equals /usr/lib/ipxe/qemu/efi-e1000e.rom byte for byte" cmp nic.rom /usr/lib/ipxe/qemu/efi-e1000e.rom
is "$(rom_bit "$nic")" 0 "the ROM is disabled again"
is "$(vgarom-dump --info -J nic.rom | jq -r '.verdict')" uefi-capable "the dump parses: x86 and EFI, uefi-capable"
is "$(vgarom-dump --info -J "$nic" | jq -r '.ids_match_device')" true "--info DEVICE: the IDs match the device"
is "$(vgarom-dump --info -J nic.rom | jq -r '.serves | join(",")')" x86-bios,x64-uefi "the dump serves x86 BIOS and x64 UEFI"

if [ -n "$bochs" ]; then
	out=$(vgarom-dump "$bochs" -o bochs.rom 2>&1); rc=$?
	is "$rc" 0 "dumping the second display ($bochs) exits 0"
	ok "it equals vgabios-bochs-display.bin byte for byte" cmp bochs.rom /usr/share/seabios/vgabios-bochs-display.bin
	is "$(rom_bit "$bochs")" 0 "its ROM is disabled again"
else
	fail "a second (non-boot) display"
fi

out=$(vgarom-dump --info "$vga" 2>&1); rc=$?
is "$rc" 0 "the boot VGA's ROM parses"
case "$out" in *"shadow copy at 0xC0000"*) pass "--info says it read the shadow copy" ;; *) fail "shadow note"; diag "$out" ;; esac
case "$out" in *"verdict: legacy-only"*) pass "and still parses it (legacy-only)" ;; *) fail "shadow parse"; diag "$out" ;; esac
is "$(rom_bit "$vga")" 0 "its ROM is disabled again"

err=$(vgarom-dump 0000:00:1f.3 -o x.rom 2>&1); rc=$?
is "$rc" 4 "a device without a ROM: exit 4"
done_testing

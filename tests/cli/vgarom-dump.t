#!/bin/bash
# vgarom-dump --info -J on ROMs as firmware reads them: the hand-made ROMs of
# tests/unit/roms (one per case: many images, a gap, EFI machines, no PCIR,
# a PCIR pointer past the end, truncation, a zero-length chain) and every
# option ROM Debian ships (ipxe-qemu, seabios, qemu-system-data, vgabios),
# read from the installed packages. The expected JSON lives in
# tests/cli/roms/; each Debian ROM is listed in tests/cli/roms/debian.list
# with the sha256 of the bytes its JSON was recorded from, so a different
# build of a package is skipped, not misjudged. These expectations were
# checked against awilliam/rom-parser's image list (see man vgarom-dump,
# STANDARDS); the test itself needs no rom-parser. UPDATE=1 rewrites the
# expected files (read the diff before committing it).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
command -v jq >/dev/null || { echo "1..0 # SKIP jq missing"; exit 0; }
VD=$BUILDDIR/vgarom-dump
ROMS=tests/cli/roms

# check_json NAME FILE EXPECTED: the JSON document equals the expected one
# (compared by jq, key order included), and the exit status follows the
# verdict (1 for damaged and no-image, 0 otherwise).
check_json() {
	local name=$1 file=$2 exp=$3 got rc want
	got=$("$VD" --info -J "$file" 2>/dev/null); rc=$?
	if [ -n "${UPDATE:-}" ]; then
		printf '%s\n' "$got" >"$exp"
	fi
	if [ -f "$exp" ] && [ "$(jq -c . <<<"$got" 2>&1)" = "$(jq -c . "$exp" 2>&1)" ]; then
		ok 0 "$name: --info -J as recorded in $exp"
	else
		ok 1 "$name: --info -J as recorded in $exp"
		diff -u "$exp" <(printf '%s\n' "$got") | sed 's/^/# /' | head -30
	fi
	case $(jq -r .verdict <<<"$got" 2>/dev/null) in
	damaged|no-image) want=1 ;;
	*) want=0 ;;
	esac
	[ "$rc" = "$want" ]; ok $? "$name: exit $want for its verdict (got $rc)"
}

for exp in "$ROMS"/hand/*.json; do
	name=$(basename "$exp" .json)
	check_json "$name" tests/unit/roms/$name.rom "$exp"
done

# One expected file for each hand-made case the issue names.
for name in many-images gap efi-aarch64 efi-ia32 efi-multi efi-ebc no-pcir no-pcir-after \
	pcir-out-of-range truncated chain-zero-length; do
	[ -f "$ROMS/hand/$name.json" ]; ok $? "$name has its expected JSON"
done

# What the JSON says of the cases, in words (jq on the recorded files).
q() { jq -r "$2" "$ROMS/hand/$1.json"; }
is() { [ "$1" = "$2" ]; ok $? "$3 (got '$1')"; }
is "$(q many-images '[(.images | length), .verdict] | join(" ")')" "20 legacy-only" \
	"many-images: 20 images, no limit, legacy-only"
is "$(q gap '[.gap_bytes, .images[1].offset, .images[1].gap_before, .verdict] | join(" ")')" \
	"512 1536 512 uefi-capable" "gap: 512 bytes stepped over, the EFI image at 0x600, uefi-capable"
is "$(q efi-aarch64 '[.verdict, (.serves | join(","))] | join(" ")')" "legacy-only x86-bios,aarch64-uefi" \
	"efi-aarch64: legacy-only, serves x86 BIOS and AArch64 UEFI"
is "$(q efi-ia32 '[.verdict, (.serves | join(","))] | join(" ")')" "legacy-only x86-bios,ia32-uefi" \
	"efi-ia32: legacy-only, serves x86 BIOS and IA32 UEFI"
is "$(q efi-multi '.images | map(.efi_machine_id // "-") | join(" ")')" "- 014c aa64 8664" \
	"efi-multi: the machine of every EFI image"
is "$(q no-pcir '[(.images | length), .verdict] | join(" ")')" "0 no-image" "no-pcir: no image invented"
is "$(q pcir-out-of-range '[(.images | length), .verdict] | join(" ")')" "0 no-image" \
	"pcir-out-of-range: no image, no crash"
is "$(q truncated '.verdict')" damaged "truncated: damaged"
is "$(q chain-zero-length '.verdict')" damaged "chain-zero-length: damaged, the walk stopped"

# The hints and --fix agree: "--fix strips/cuts" is printed exactly when
# --fix --dry-run succeeds.
for rom in tests/unit/roms/*.rom; do
	text=$("$VD" --info "$rom" 2>&1)
	"$VD" --fix --dry-run "$rom" -o /dev/null >/dev/null 2>&1; fixrc=$?
	case $text in
	*"--fix strips"*|*"--fix cuts"*)
		[ "$fixrc" = 0 ]; ok $? "$(basename "$rom"): a --fix hint, and --fix does it" ;;
	*"--fix refuses"*)
		[ "$fixrc" != 0 ]; ok $? "$(basename "$rom"): --fix refuses, as the text says" ;;
	*"--fix"*)
		ok 1 "$(basename "$rom"): a --fix hint that is neither a promise nor a refusal" ;;
	esac
	[ "$(jq -r .fixable < <("$VD" --info -J "$rom" 2>/dev/null))" = "$([ "$fixrc" = 0 ] && echo true || echo false)" ]
	ok $? "$(basename "$rom"): JSON fixable agrees with --fix"
done

# Debian's ROMs, from the installed packages.
while read -r sum path pkg; do
	case $sum in ''|'#'*) continue ;; esac
	name=$(echo "${path#/}" | tr / _)
	if [ ! -f "$path" ]; then
		echo "ok $((tap_n += 1)) # SKIP $path absent (apt-get install $pkg)"
		echo "ok $((tap_n += 1)) # SKIP $path absent"
		continue
	fi
	if [ "$(sha256sum <"$path" | cut -d' ' -f1)" != "$sum" ] && [ -z "${UPDATE:-}" ]; then
		echo "ok $((tap_n += 1)) # SKIP $path is another build of $pkg than the one recorded"
		echo "ok $((tap_n += 1)) # SKIP $path is another build"
		continue
	fi
	check_json "$path" "$path" "$ROMS/debian/$name.json"
done <"$ROMS/debian.list"
# A termination signal while the ROM is enabled: the handler writes 0 to the
# rom attribute and the signal ends the run. The fixture's rom attribute is
# a FIFO: the test reads the "1" vgarom-dump writes to enable it, then
# vgarom-dump blocks opening it to read the ROM (enabled), the signal comes,
# and the test reads what the handler writes. env --default-signal undoes
# the SIGINT/SIGQUIT that bash ignores in background jobs.
sigroot=$(mktemp -d)
cp -a tests/fixtures/qemu-q35 "$sigroot/q35"
romattr="$sigroot/q35/sys/devices/pci0000:00/0000:00:01.0/rom"
for sig in INT TERM HUP QUIT; do
	rm -f "$romattr" && mkfifo "$romattr"
	cat "$romattr" >"$sigroot/enable" &
	reader=$!
	env --default-signal=INT,QUIT "$VD" --sysroot "$sigroot/q35" 00:01.0 -o "$sigroot/out.rom" \
		>/dev/null 2>&1 &
	pid=$!
	wait "$reader"
	kill -s "$sig" "$pid"
	timeout 5 cat "$romattr" >"$sigroot/disable"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; echo "# vgarom-dump still running after SIG$sig"; }
	{ wait "$pid"; } 2>/dev/null; rc=$?
	[ "$(cat "$sigroot/enable")" = 1 ] && [ "$(cat "$sigroot/disable")" = 0 ]
	ok $? "SIG$sig while the ROM is enabled: the handler writes 0 (enable '$(cat "$sigroot/enable")', then '$(cat "$sigroot/disable")')"
	[ "$rc" = $((128 + $(kill -l "$sig"))) ]
	ok $? "SIG$sig: the run ends by the signal (exit $rc)"
done
rm -rf "$sigroot"
done_testing

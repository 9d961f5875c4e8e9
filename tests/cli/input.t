#!/bin/bash
# input.t: what every command does with input it must not trust and output
# it cannot write: a full disk, an empty --sysroot, a device named twice,
# control characters in operands and on stdin, a broken pci.ids, and
# string options given twice (the ASan build's LeakSanitizer checks those).
# Exact messages and exit codes; JSON is checked with jq.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

T=$(mktemp -d "${TMPDIR:-/tmp}/passthru-input.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
NV=$FIX/desktop-nvidia
MIXED=$FIX/chipset-mixed
ROM=tests/unit/roms/$(cd tests/unit/roms && ls | head -n 1)

# r CMD ARG...: run a built command; $out, $err, $rc, and $nl (stderr lines).
r() {
	local cmd=$1
	shift
	"$BUILDDIR/$cmd" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	nl=$(grep -c '' "$T/err")
}
# one_line RC EXPECTED-STDERR DESCRIPTION: the last run exited RC with
# exactly that one line on stderr.
one_line() {
	local good=0
	[ "$rc" -eq "$1" ] && [ "$nl" -eq 1 ] && [ "$err" = "$2" ] || good=1
	ok $good "$3"
	[ $good -eq 0 ] || printf '#   exit %s, stderr (%s lines):\n%s\n#   expected exit %s: %s\n' \
		"$rc" "$nl" "$(printf '%s\n' "$err" | sed 's/^/#   /')" "$1" "$2"
}

# ---- 1. output that cannot be written ----
full() { # full DESCRIPTION CMD ARG...
	local what=$1 cmd=$2
	shift 2
	"$BUILDDIR/$cmd" "$@" >/dev/full 2>"$T/err"
	rc=$?
	err=$(cat "$T/err")
	nl=$(grep -c '' "$T/err")
	one_line 1 "$cmd: write error on standard output: No space left on device" "$what >/dev/full: exit 1, one line"
}
full "iommu-groups" iommu-groups --sysroot "$NV"
full "iommu-groups -J" iommu-groups --sysroot "$NV" -J
full "iommu-groups --check" iommu-groups --sysroot "$NV" --check
full "vfio-bind --list" vfio-bind --sysroot "$MIXED" --list
full "vfio-bind --list -J" vfio-bind --sysroot "$MIXED" --list -J
full "gpu-reset --info" gpu-reset --sysroot "$NV" --info 01:00.0
full "vgarom-dump --info FILE" vgarom-dump --info "$ROM"
full "iommu-groups --help" iommu-groups --help
# A reader that leaves early is not an error worth a message (util-linux).
( trap '' PIPE; "$BUILDDIR/iommu-groups" --sysroot "$NV" 2>"$T/err" | head -c 1 >/dev/null )
[ ! -s "$T/err" ]
ok $? "iommu-groups into a closed pipe (SIGPIPE ignored) says nothing"

# ---- 2. an empty sysroot is never the live host ----
declare -A dev_args=([iommu-groups]="01:00.0" [vfio-bind]="--dry-run 01:00.0"
	[gpu-reset]="--info 01:00.0" [vgarom-dump]="--info 01:00.0")
for cmd in iommu-groups vfio-bind gpu-reset vgarom-dump; do
	[ -x "$BUILDDIR/$cmd" ] || continue
	read -r -a a <<<"${dev_args[$cmd]}"
	r "$cmd" --sysroot "" "${a[@]}"
	one_line 2 "$cmd: --sysroot: empty directory name (use --sysroot / for this host)" "$cmd --sysroot '': usage error"
	r "$cmd" --sysroot= "${a[@]}"
	one_line 2 "$cmd: --sysroot: empty directory name (use --sysroot / for this host)" "$cmd --sysroot=: usage error"
	PASSTHRU_SYSROOT= r "$cmd" "${a[@]}"
	one_line 2 "$cmd: PASSTHRU_SYSROOT is set but empty (unset it for this host)" "$cmd with PASSTHRU_SYSROOT='': usage error"
done
PASSTHRU_SYSROOT= r iommu-groups --sysroot "$NV" --bdf
[ "$rc" -eq 0 ] && [ -z "$err" ]
ok $? "an explicit --sysroot wins over an empty PASSTHRU_SYSROOT"
PASSTHRU_SYSROOT=$NV r iommu-groups --bdf
[ "$rc" -eq 0 ] && [ -n "$out" ]
ok $? "PASSTHRU_SYSROOT=DIR still works"

# ---- 4. a device named twice ----
r gpu-reset --sysroot "$NV" --info 01:00.0 10de:2206 01:00.0
[ "$rc" -eq 0 ] && [ "$(grep -c '^0000:01:00.0$' "$T/out")" -eq 1 ]
ok $? "gpu-reset --info 01:00.0 10de:2206 01:00.0: one device, once"
r vfio-bind --sysroot "$NV" --dry-run --group 01:00.0
single=$out
r vfio-bind --sysroot "$NV" --dry-run --group 01:00.0 10de:2206 0000:01:00.0
[ "$rc" -eq 0 ] && [ "$out" = "$single" ]
ok $? "vfio-bind 01:00.0 10de:2206 0000:01:00.0 is vfio-bind 01:00.0" "exit $rc: $err"
echo 01:00.0 >"$T/in"
r vfio-bind --sysroot "$NV" --dry-run --group 01:00.0 - <"$T/in"
[ "$rc" -eq 0 ] && [ "$out" = "$single" ]
ok $? "a BDF on the command line and on stdin is taken once"
r vfio-bind --sysroot "$NV" --dry-run - - </dev/null
one_line 2 "vfio-bind: -: standard input named more than once" "vfio-bind - -: usage error"
r gpu-reset --sysroot "$NV" --info - 01:00.0 - </dev/null
one_line 2 "gpu-reset: -: standard input named more than once" "gpu-reset - X -: usage error"

# ---- 5. control characters: refused, and never echoed raw ----
r vfio-bind --sysroot "$NV" --dry-run $'01:00.0\n'
one_line 2 'vfio-bind: 01:00.0\x0a: control character in a device name' "a newline in an operand: one line, exit 2"
r gpu-reset --sysroot "$NV" --info $'\e[2J01:00.0'
one_line 2 'gpu-reset: \x1b[2J01:00.0: control character in a device name' "an escape sequence in an operand is shown as \\x1b"
printf '01:00.0\0\n' >"$T/in"
r vfio-bind --sysroot "$NV" --dry-run - <"$T/in"
one_line 2 'vfio-bind: -: line 1: NUL byte on standard input' "a NUL byte on stdin: one line, exit 2"
printf '# list\n01:00.\e]0;pwned\a0\n' >"$T/in"
r vfio-bind --sysroot "$NV" --dry-run - <"$T/in"
one_line 2 'vfio-bind: 01:00.\x1b]0;pwned\x070: control character in a device name' "an OSC sequence on stdin is shown escaped"
r iommu-groups --sysroot "$NV" $'01:00.\e[31m9'
[ "$rc" -eq 2 ] && [ "$nl" -eq 1 ] && [[ $err == *'\x1b[31m9'* ]] && [[ $err != *$'\e'* ]]
ok $? "iommu-groups: a bad operand is echoed escaped, on one line" "$err"
r iommu-groups --sysroot "$NV" --class $'dis\nplay'
[ "$rc" -eq 2 ] && [ "$nl" -eq 1 ] && [[ $err == *'dis\x0aplay'* ]]
ok $? "iommu-groups --class with a newline: one escaped line" "$err"
r iommu-groups --sysroot "$T/no/such/dïr"
one_line 2 "iommu-groups: sysroot $T/no/such/dïr: No such file or directory" "a UTF-8 path in a message is not mangled"
r vfio-bind --sysroot "$NV" --bogus$'\e[1m'
one_line 2 "vfio-bind: --bogus\\x1b[1m: unknown option; try 'vfio-bind --help'" "a bad option is echoed escaped"

# ---- 6. a broken pci.ids ----
# The fixture's own list with a bad line at its end, at its start, or
# names holding bytes no terminal or JSON document should get: the names
# read before a bad line stay, the rest fall back to numbers.
good_ids=$FIX/pci.ids
r iommu-groups --sysroot "$NV"
good_table=$out
nrows=$(printf '%s\n' "$good_table" | grep -c '')
long=$(head -c 3000 /dev/zero | tr '\0' x)
printf '%s\n' "$(cat "$good_ids")" "ffff  $long" >"$T/long.ids"
{ cat "$good_ids"; printf 'fffe  Bad\0Vendor\n'; } >"$T/nul.ids"
{ head -n 6 "$good_ids"; printf '10de  NV\xff\xfeIDIA \e[31mCorporation\n\t2206  GA102 \xc2\x9b2J\n'; tail -n +7 "$good_ids" | grep -v '^10de '; } >"$T/bytes.ids"
{ printf '10de  %s\n' "$long"; cat "$good_ids"; } >"$T/first.ids"
for ids in long nul bytes first; do
	PASSTHRU_PCI_IDS=$T/$ids.ids r iommu-groups --sysroot "$NV" -J
	jq -e '.groups | length > 0' "$T/out" >/dev/null 2>&1 && [ "$rc" -eq 0 ]
	ok $? "pci.ids with $ids: iommu-groups -J is a whole JSON document, exit 0" "exit $rc: $err"
	[ "$nl" -le 1 ] && [[ $err != *$'\e'* ]]
	ok $? "pci.ids with $ids: at most one warning line, escaped" "$err"
	PASSTHRU_PCI_IDS=$T/$ids.ids r iommu-groups --sysroot "$NV"
	[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '')" -eq "$nrows" ] && [[ $out != *$'\e'* ]]
	ok $? "pci.ids with $ids: the whole table, no escape bytes" "exit $rc: $err"
	PASSTHRU_PCI_IDS=$T/$ids.ids r vfio-bind --sysroot "$MIXED" --list -J
	jq -e '.devices | length == 2' "$T/out" >/dev/null 2>&1 && [ "$rc" -eq 0 ]
	ok $? "pci.ids with $ids: vfio-bind --list -J is a whole JSON document, exit 0" "exit $rc: $err"
done
PASSTHRU_PCI_IDS=$T/first.ids r iommu-groups --sysroot "$NV" -J
[ "$(jq -r '.groups[].devices[] | select(.bdf == "0000:01:00.0") | .vendor_name' "$T/out")" = null ]
ok $? "a list that breaks at its first line: vendor_name is null"
[ "$err" = "iommu-groups: pci.ids: Line too long at $T/first.ids, line 1; names it does not give are shown as numbers" ]
ok $? "... and one warning names the file and line" "$err"
PASSTHRU_PCI_IDS=$T/first.ids r iommu-groups --sysroot "$NV"
grep -q '^2 .*0000:01:00.0 .*Class 0300: Vendor 10de Device 2206$' "$T/out"
ok $? "... and the table reads 'Vendor 10de Device 2206'" "$(grep 01:00.0 "$T/out")"
PASSTHRU_PCI_IDS=$T/bytes.ids r iommu-groups --sysroot "$NV" -J
jq -e '.groups[].devices[] | select(.bdf == "0000:01:00.0") | [.vendor_name, .device_name] == [null, null]' "$T/out" >/dev/null
ok $? "names with an escape, C1 control or invalid bytes are not used" "$(jq -c '.groups[].devices[] | select(.bdf == "0000:01:00.0")' "$T/out")"
r iommu-groups --sysroot "$NV" -J
[ "$(jq -r '.groups[].devices[] | select(.bdf == "0000:01:00.0") | .vendor_name' "$T/out")" = "NVIDIA Corporation" ]
ok $? "the good list still names NVIDIA Corporation"
printf '1af4  Ünïcödé Vendör ®\n\t1041  Virtio 1.0 network device\n' >"$T/utf8.ids"
PASSTHRU_PCI_IDS=$T/utf8.ids r iommu-groups --sysroot "$FIX/qemu-q35" -J
jq -e '[.groups[].devices[] | select(.vendor == "1af4") | .vendor_name] | all(. == "Ünïcödé Vendör ®")' "$T/out" >/dev/null 2>&1
ok $? "UTF-8 names from pci.ids pass unchanged" "$err"

# ---- 7. string options given twice: the last wins, nothing leaks ----
r iommu-groups --sysroot /nonexistent --sysroot "$NV" --bdf --class display --class network
[ "$rc" -eq 0 ] && [ -z "$err" ] && [ "$out" = "$("$BUILDDIR/iommu-groups" --sysroot "$NV" --bdf --class network)" ]
ok $? "iommu-groups --sysroot A --sysroot B --class X --class Y: B and Y win, no leak" "exit $rc: $err"
r gpu-reset --sysroot "$NV" --method flr --method pm --method bogus --slot 01:00.0
one_line 2 "gpu-reset: --method bogus: not a reset method (flr, af_flr, pm, bus, acpi, device_specific, cxl_bus)" \
	"gpu-reset --method flr --method pm --method bogus: the last wins, no leak"
r gpu-reset --sysroot "$NV" --method flr --method pm --info 01:00.0
one_line 2 "gpu-reset: --info changes nothing; it takes no --method, --slot or --raw-sbr" "gpu-reset --method twice then a usage error: no leak"
r vgarom-dump --sysroot "$NV" -o "$T/a.rom" -o "$T/b.rom" --info "$ROM"
[ "$rc" -ne 0 ] || [ "$rc" -eq 0 ]
[ "$nl" -le 1 ]
ok $? "vgarom-dump -o A -o B: one line at most, no leak" "$err"

done_testing

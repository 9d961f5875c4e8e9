#!/bin/bash
# txn.t: vfio-bind's transaction on fixture trees, where no kernel answers
# (so every bind fails and must roll back): a driverless device stays
# driverless, a record is never overwritten, names that would become paths
# are checked, a give-back to a driver that is not there changes nothing,
# /etc files are restored exactly, driverctl's files in any spelling, a
# killed run's journal refuses new runs and --restore finishes it, and every
# message says what is true. Each case: exact message, exit code, tree.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VB=$BUILDDIR/vfio-bind
[ -x "$VB" ] || { echo "1..0 # SKIP $VB not built"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fresh() {
	rm -rf "$T/host"; cp -a "$FIX/$1" "$T/host"; S=$T/host
	for m in vfio_pci vfio_iommu_type1; do mkdir -p "$S/sys/module/$m"; echo live >"$S/sys/module/$m/initstate"; done
	mkdir -p "$S/sys/bus/pci/drivers/vfio-pci" "$S/run/passthru-utils"
	: >"$S/run/passthru-utils/lock"
}
# the tree but the lock file, which every writing run creates
snap() { (cd "$S" && find . ! -path ./run/passthru-utils/lock -printf '%p %s %l\n' | sort | md5sum); }
# run ARGS...: stdout in $out, stderr in $err, exit in $rc
run() { out=$("$VB" --sysroot "$S" "$@" 2>"$T/err" </dev/null); rc=$?; err=$(cat "$T/err"); }
is() { [ "$1" = "$2" ]; ok $? "$3"; [ "$1" = "$2" ] || { echo "#   got:  $1"; echo "#   want: $2"; }; }
D=sys/bus/pci/devices

# --- a device with no driver goes back to no driver ---
fresh desktop-nvidia
rm "$S/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/driver"
run -v 02:00.0
is "$rc|$(echo "$err" | tail -n 1)" \
	"1|vfio-bind: 0000:02:00.0: vfio-pci did not take it (driver now: none); every device is back where it was" \
	"a failed bind of a driverless device: exit 1, and it says it is back"
is "$(echo "$err" | grep -E '^vfio-bind: (write|create|remove) ' | sed "s|$S||; s/^vfio-bind: //")" \
"create /run/passthru-utils/vfio-bind/0000:02:00.0 
write /sys/bus/pci/devices/0000:02:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers_probe 0000:02:00.0
write /sys/bus/pci/devices/0000:02:00.0/driver_override \\n
remove /run/passthru-utils/vfio-bind/0000:02:00.0" \
	"  the rollback clears the override and probes nothing"
is "$(cat "$S/$D/0000:02:00.0/driver_override")|$(ls "$S/$D/0000:02:00.0/driver" 2>&1 >/dev/null | wc -l)|$(ls "$S/run/passthru-utils" | tr '\n' ' ')" \
	"|1|lock vfio-bind " "  no driver, no override, no journal"

# --- a record is never overwritten by a later run ---
printf 'nvme\n' >"$S/run/passthru-utils/vfio-bind/0000:02:00.0"
run 02:00.0
is "$rc|$(cat "$S/run/passthru-utils/vfio-bind/0000:02:00.0")" "1|nvme" \
	"a run on a device that has a record keeps it (nvme, though the device is driverless now)"

# --- module not there: nothing written, and it says so ---
fresh desktop-nvidia
rm -rf "$S/sys/module/vfio_pci" "$S/sys/bus/pci/drivers/vfio-pci"
before=$(snap)
run 02:00.0
is "$rc|$err|$(snap)" "1|vfio-bind: module vfio-pci is not loaded in the sysroot; nothing was changed|$before" \
	"vfio-pci absent: exit 1, 'nothing was changed', and nothing was"

# --- giving back ---
fresh chipset-mixed
R=$S/run/passthru-utils/vfio-bind; mkdir -p "$R"
printf '../../../../tmp/x\n' >"$R/0000:06:00.1"
before=$(snap)
run --unbind 06:00.1
is "$rc|$err|$(snap)" \
	"1|vfio-bind: 0000:06:00.1: its record under /run/passthru-utils/vfio-bind holds no valid driver name; left as it is|$before" \
	"a record holding a path is refused, nothing written"
printf 'snd_hda_intel\n' >"$R/0000:06:00.1"
before=$(snap)
run --unbind 06:00.1
is "$rc|$err|$(snap)" \
	"1|vfio-bind: 0000:06:00.1: driver snd_hda_intel is not loaded in the sysroot; nothing was changed|$before" \
	"a give-back to a driver that is not there changes nothing and keeps the record"
printf 'igb\n' >"$R/0000:04:00.0"
run --unbind 04:00.0
is "$rc|$out|$(ls "$R")" "0|0000:04:00.0 already off vfio-pci: igb (group 5)|0000:06:00.1" \
	"a give-back that finds the device back already removes its stale record"
run --unbind 02:00.2
is "$rc|$err" \
	"3|vfio-bind: 0000:02:00.2 is a bridge: bridges never go to vfio-pci, so there is nothing to give back" \
	"--unbind of a bridge is refused"

# --- a device in no IOMMU group can still be given back ---
fresh iommu-off-intel
echo vfio-pci >"$S/$D/0000:01:00.0/driver_override"
run --dry-run --unbind 01:00.0
is "$rc|$out" "0|write /sys/bus/pci/devices/0000:01:00.0/driver_override \\n
0000:01:00.0 nvidia -> nvidia" "a leftover override is cleared without an IOMMU group"

# --- driverctl's files in any spelling, and files restored exactly ---
fresh desktop-nvidia
P=$S/etc/driverctl.d; mkdir -p "$P"
printf 'vfio-pci\r\n' >"$P/pci-0000:00:1F.3"
printf 'vfio-pci\nsecond line\n' >"$P/pci-01:00.1"
run --list
is "$rc|$(printf '%s' "$out" | grep -c $'\r')|$(echo "$out" | grep -c '^0000:00:1f.3 .* vfio-pci ')|$(echo "$out" | grep -c '^0000:01:00.1 .* vfio-pci ')" \
	"0|0|1|1" "--list shows both spellings, one row each, no CR in the table"
run --unpersist --group 01:00.0
is "$rc|$(ls "$P")" "0|pci-0000:00:1F.3" "--unpersist --group takes the whole group, a short spelling too"
run --unpersist 00:1f.3
is "$rc|$(ls "$P")|$out" "0||0000:00:1f.3: no longer bound to vfio-pci at boot" "--unpersist finds an upper-case spelling"

fresh chipset-mixed
P=$S/etc/driverctl.d; mkdir -p "$P" "$P/pci-0000:06:00.1.tmp" "$S/dev/vfio"; : >"$S/dev/vfio/6"
printf 'nvidia\n# kept\n' >"$P/pci-0000:06:00.0"
run --force --persist 06:00.0 06:00.1
is "$rc|$(echo "$err" | tail -n 1)" \
	"1|vfio-bind: /etc/driverctl.d/pci-0000:06:00.1: Is a directory; every file is back as it was" \
	"a --persist that fails on its second file: exit 1"
is "$(cat "$P/pci-0000:06:00.0")|$(ls "$P" | tr '\n' ' ')|$(ls "$S/run/passthru-utils" | tr '\n' ' ')" \
	"nvidia
# kept|pci-0000:06:00.0 pci-0000:06:00.1.tmp |lock " "  the first file is back byte for byte, no new file, no journal"

# --- a killed run's journal ---
fresh desktop-nvidia
J=$S/run/passthru-utils/journal; mkdir -p "$S/run/passthru-utils/vfio-bind"
cat >"$J" <<EOF
passthru-utils journal 1
pid 4711
action bind
device 0000:02:00.0 7 nvme - vfio-pci vfio-pci create 1
EOF
echo vfio-pci >"$S/$D/0000:02:00.0/driver_override"
echo nvme >"$S/run/passthru-utils/vfio-bind/0000:02:00.0"
: >"$S/run/passthru-utils/vfio-bind/0000:02:00.0.tmp"
run --dry-run 00:14.0
is "$rc|$err" "3|vfio-bind: a run (pid 4711) was killed in the middle of a change and left its journal /run/passthru-utils/journal; 'vfio-bind --restore' puts its devices back first" \
	"a new run refuses to start on a killed run's journal"
run --restore
is "$rc|$out" "0|the bind run of pid 4711 was interrupted; 1 device put back, every device is where it was before it" \
	"--restore finishes it"
is "$(cat "$S/$D/0000:02:00.0/driver_override")|$(ls -A "$S/run/passthru-utils/vfio-bind")|$(ls "$S/run/passthru-utils" | tr '\n' ' ')" \
	"||lock vfio-bind " "  the override cleared, the record and the temporary file gone, the journal too"
run --restore
is "$rc|$out" "0|no interrupted run: nothing to restore" "--restore again: nothing to do"
# a device unplugged since the run was killed: nothing to put back, and no lock-out
printf '%s\n' "passthru-utils journal 1" "pid 4712" "action bind" \
	"device 0000:00:14.0 3 xhci_hcd - vfio-pci vfio-pci create 1" \
	"device 0000:09:00.0 9 nvme - vfio-pci vfio-pci create 1" >"$J"
echo vfio-pci >"$S/$D/0000:00:14.0/driver_override"
run --restore
is "$rc|$out|$(ls "$S/run/passthru-utils" | tr '\n' ' ')" \
	"0|the bind run of pid 4712 was interrupted; 1 device put back, every device is where it was before it; gone from the host since: 0000:09:00.0|lock vfio-bind " \
	"--restore with a device gone since: the others put back, the journal removed"
# a driverctl file longer than any line: the journal keeps every byte
mkdir -p "$S/etc/driverctl.d" "$S/dev/vfio"; : >"$S/dev/vfio/7"
F=$S/etc/driverctl.d/pci-0000:02:00.0
{ echo nvme; for i in $(seq 1 60); do echo "# a comment line to make the file long, number $i"; done; } >"$F"
cp "$F" "$T/orig"
ln -sfn ../../../../bus/pci/drivers/vfio-pci "$S/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/driver"
if [ -x "$BUILDDIR/faults/vfio-bind" ]; then
	( PASSTHRU_KILL_WRITE=2 "$BUILDDIR/faults/vfio-bind" --sysroot "$S" --persist 02:00.0 >/dev/null 2>&1 ) 2>/dev/null
	killed=$?
	run --restore
	cmp -s "$F" "$T/orig"
	ok $? "a run killed after its journal (exit $killed): --restore leaves a $(wc -c <"$T/orig")-byte driverctl file byte for byte"
	( PASSTHRU_KILL_WRITE=3 "$BUILDDIR/faults/vfio-bind" --sysroot "$S" --persist 02:00.0 >/dev/null 2>&1 ) 2>/dev/null
	[ "$(cat "$F")" = vfio-pci ]
	ok $? "  killed after the file was replaced, it holds vfio-pci"
	run --restore
	cmp -s "$F" "$T/orig"
	ok $? "  and --restore brings every byte of the old one back"
else
	for i in 1 2 3; do ok 0 "# SKIP no fault build in $BUILDDIR/faults"; done
fi
printf 'passthru-utils journal 1\naction bind\ndevice 0000:02:00.0 7 ../x - vfio-pci vfio-pci create 1\n' >"$J"
before=$(snap)
run --restore
is "$rc|$err|$(snap)" "1|vfio-bind: /run/passthru-utils/journal is not a journal of this version; left as it is|$before" \
	"a journal naming a path as a driver is not followed"
printf 'passthru-utils journal 1\naction bind\nfile /etc/driverctl.d/pci-../../shadow - 41\n' >"$J"
run --restore
is "$rc" 1 "nor one naming a file outside driverctl's directory"
done_testing

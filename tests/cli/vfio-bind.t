#!/bin/bash
# vfio-bind on fixture sysroots: the exact writes of --dry-run, every
# refusal with its exit code, bad input, and on a fake tree (where no
# kernel answers) that a failed bind rolls every write back.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VB=$BUILDDIR/vfio-bind
[ -x "$VB" ] || { echo "1..0 # SKIP $VB not built"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fresh() { rm -rf "$T/host"; cp -a "$FIX/${1:-desktop-nvidia}" "$T/host"; S=$T/host; }

# expect NAME EXIT STDOUT-FILE-OR-- STDERR-SUBSTRING -- ARGS...
expect() {
	local name=$1 want_rc=$2 want_err=$3
	shift 3
	local out err rc
	out=$("$VB" --sysroot "$S" "$@" 2>"$T/err" </dev/null)
	rc=$?
	err=$(cat "$T/err")
	[ "$rc" -eq "$want_rc" ] && [[ "$err" == *"$want_err"* ]] && [ "$(echo "$err" | grep -c .)" -le 1 ]
	ok $? "$name (exit $rc, want $want_rc)"
	[ "$rc" -eq "$want_rc" ] || echo "#   stderr: $err"
	[[ "$err" == *"$want_err"* ]] || echo "#   stderr: $err"
	LAST_OUT=$out
}

# --- dry-run prints every write, in order, and changes nothing ---
fresh
before=$(cd "$S" && find . -printf '%p %s %l\n' | sort | md5sum)
expect "dry-run --group of the GPU" 0 "" --dry-run --group 01:00.0
want='load module vfio-pci
load module vfio_iommu_type1
create /run/passthru-utils/vfio-bind/0000:01:00.0 nvidia
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/nvidia/unbind 0000:01:00.0
write /sys/bus/pci/drivers_probe 0000:01:00.0
create /run/passthru-utils/vfio-bind/0000:01:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:01:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1
write /sys/bus/pci/drivers_probe 0000:01:00.1
0000:01:00.0 nvidia -> vfio-pci (group 2)
0000:01:00.1 snd_hda_intel -> vfio-pci (group 2)'
[ "$LAST_OUT" = "$want" ]
ok $? "dry-run: exactly the writes, in order"
[ "$LAST_OUT" = "$want" ] || diff <(echo "$want") <(echo "$LAST_OUT") | sed 's/^/#   /'
after=$(cd "$S" && find . -printf '%p %s %l\n' | sort | md5sum)
[ "$before" = "$after" ]
ok $? "dry-run: the tree is unchanged"

expect "dry-run by ID takes every device with it" 0 "" --dry-run 10de:2206 10de:1aef
[ "$(echo "$LAST_OUT" | grep -c -- '-> vfio-pci')" -eq 2 ]
ok $? "by ID: both functions"
out=$(echo "0000:01:00.0
01:00.1" | "$VB" --sysroot "$S" --dry-run - 2>&1)
[ "$(echo "$out" | grep -c -- '-> vfio-pci')" -eq 2 ]
ok $? "BDFs on stdin"
LAST_OUT=$("$VB" --sysroot "$S" --dry-run -J --group 01:00.1 2>"$T/err")
ok $? "JSON with --dry-run: exit 0"
[ "$(grep -c '^write ' "$T/err")" -eq 6 ]
ok $? "JSON with --dry-run: the writes go to stderr"
echo "$LAST_OUT" | jq -e '.action == "bind" and ([.devices[].bdf] == ["0000:01:00.0","0000:01:00.1"]) and ([.devices[].after] == ["vfio-pci","vfio-pci"]) and .devices[0].before == "nvidia"' >/dev/null
ok $? "JSON has both devices, before and after"

# --- refusals (exit 3), and what --force does ---
expect "a group sibling on a host driver" 3 "IOMMU group 2 also holds 0000:01:00.1 (snd_hda_intel)" --dry-run 01:00.0
expect "the chipset group names every sibling" 3 "0000:00:1f.3 (snd_hda_intel), 0000:00:1f.4 (i801_smbus)" --dry-run 00:1f.6
expect "the boot display with a console" 3 "0000:00:02.0 is the boot display and fb0" --dry-run 00:02.0
expect "--force takes the boot display" 0 "--force given" --dry-run --force 00:02.0
expect "a root port, always" 3 "0000:00:01.0 is a bridge" --dry-run 00:01.0
expect "a root port, even with --force" 3 "is a bridge" --dry-run --force 00:01.0
expect "the host bridge" 3 "0000:00:00.0 is a bridge" --dry-run --force 00:00.0

# the SATA controller 00:17.0 gets a disk sda with a partition sda2
add_disk() {
	local dev=$S/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda
	mkdir -p "$dev/sda2/holders" "$dev/holders" "$S/sys/block" "$S/sys/class/block" "$S/proc/self"
	echo 8:0 >"$dev/dev"; echo 8:2 >"$dev/sda2/dev"; echo 2 >"$dev/sda2/partition"
	ln -sfn ../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda "$S/sys/block/sda"
	ln -sfn ../../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda "$S/sys/class/block/sda"
	ln -sfn ../../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2 "$S/sys/class/block/sda2"
	: >"$S/proc/self/mountinfo"; : >"$S/proc/swaps"
}
fresh; add_disk
expect "an idle disk controller may go" 0 "" --dry-run 00:17.0
echo "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw" >"$S/proc/self/mountinfo"
expect "the controller of the root filesystem" 3 "0000:00:17.0 holds disks the host uses: sda2 (ext4) is mounted on / (the root filesystem)" --dry-run 00:17.0
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/sda2 partition 1000 0 -2\n' >"$S/proc/swaps"; : >"$S/proc/self/mountinfo"
expect "the controller of active swap" 3 "sda2 is active swap" --dry-run 00:17.0
: >"$S/proc/swaps"
mkdir -p "$S/sys/devices/virtual/block/dm-0/holders" && echo 254:0 >"$S/sys/devices/virtual/block/dm-0/dev"
ln -sfn ../../devices/virtual/block/dm-0 "$S/sys/class/block/dm-0"
ln -sfn ../../../../../../../../../virtual/block/dm-0 "$S/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2/holders/dm-0"
expect "a disk under LVM/dm" 3 "sda2 is held by dm-0 (md, dm, LVM or bcache)" --dry-run 00:17.0
echo "30 1 254:0 / /home rw - ext4 /dev/mapper/vg-home rw" >"$S/proc/self/mountinfo"
expect "and says what the holder is" 3 "held by dm-0 (md, dm, LVM or bcache): dm-0 (ext4) is mounted on /home" --dry-run 00:17.0
expect "--force takes a used disk controller" 0 "" --dry-run --force 00:17.0

# the I219 (in the chipset group) carries the default route as eno1
fresh
mkdir -p "$S/sys/devices/pci0000:00/0000:00:1f.6/net/eno1" "$S/proc/net"
printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neno1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\neno1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n' >"$S/proc/net/route"
: >"$S/proc/net/ipv6_route"
expect "the NIC with the default route" 3 "0000:00:1f.6 is the host's network: its interface eno1 carries the default route" --dry-run --group 00:1f.6
printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neno1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n' >"$S/proc/net/route"
expect "a NIC with only a local route is not the host's network" 3 "--force takes them anyway" --dry-run --group 00:1f.6
[ "$(cat "$T/err")" = "vfio-bind: 0000:00:1f.0 (ISA bridge) is a platform function of the chipset: the host's RTC, TPM, super I/O and firmware flash hang off it; 0000:00:1f.4 (SMBus, i801_smbus) is a platform function of the chipset: the host's temperature sensors and memory SPD hang off it; --force takes them anyway" ]
ok $? "--group on the chipset group names its platform functions, and only them"
"$VB" --sysroot "$S" --dry-run --force --group 00:1f.6 >/dev/null 2>"$T/err"
[ $? -eq 0 ] && [ "$(grep -c 'is a platform function.*(--force given)$' "$T/err")" -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 2 ]
ok $? "with --force the group goes, a warning for each platform function"
echo "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eno1" >"$S/proc/net/ipv6_route"
expect "an IPv6 default route counts too" 3 "eno1 carries the default route" --dry-run --group 00:1f.6

# --- bad input: one line, exit 2 or 1, nothing written ---
fresh
expect "malformed BDF" 2 "01:00.8: function number out of range" --dry-run 01:00.8
expect "malformed ID" 2 "10de:22g6: not a vendor:device ID" --dry-run 10de:22g6
expect "unknown device" 1 "0000:09:00.0: no such PCI device" --dry-run 09:00.0
expect "unknown ID" 1 "1234:5678: no device has this ID" --dry-run 1234:5678
expect "empty stdin" 2 "-: no devices on standard input" --dry-run -
expect "no device at all" 2 "no DEVICE given" --dry-run
expect "two modes" 2 "exclude each other" --list --unbind
S=$FIX/iommu-off-intel
expect "no IOMMU" 4 "is in no IOMMU group" --dry-run 01:00.0

# --- a fake tree has no kernel: vfio-pci never takes the device, so the
# bind must fail and roll every write back ---
fresh
for m in vfio_pci vfio_iommu_type1; do mkdir -p "$S/sys/module/$m"; echo live >"$S/sys/module/$m/initstate"; done
mkdir -p "$S/sys/bus/pci/drivers/vfio-pci"
log=$("$VB" --sysroot "$S" -v 02:00.0 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$log" | tail -n 1)" = "vfio-bind: 0000:02:00.0: vfio-pci did not take it (driver now: nvme); every device is back where it was" ]
ok $? "bind on a tree with no kernel fails with one line"
want="create $S/run/passthru-utils/vfio-bind/0000:02:00.0 nvme
write $S/sys/bus/pci/devices/0000:02:00.0/driver_override vfio-pci
write $S/sys/bus/pci/drivers/nvme/unbind 0000:02:00.0
write $S/sys/bus/pci/drivers_probe 0000:02:00.0
write $S/sys/bus/pci/devices/0000:02:00.0/driver_override \\n
remove $S/run/passthru-utils/vfio-bind/0000:02:00.0"
[ "$(echo "$log" | grep -E '^vfio-bind: (write|create|remove) ' | sed 's/^vfio-bind: //')" = "$want" ]
ok $? "rollback: the override cleared and the record removed, after the writes"
[ "$(cat "$S/sys/bus/pci/devices/0000:02:00.0/driver_override")" = "" ] && [ ! -e "$S/run/passthru-utils/vfio-bind/0000:02:00.0" ]
ok $? "rollback: nothing left behind"

# a device that vanished between the listing and the bind
fresh
rm -rf "$S/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0"
expect "a device that is gone" 1 "0000:02:00.0: the device is gone" 02:00.0

# --- persistence in driverctl's format ---
fresh
mkdir -p "$S/etc/driverctl.d"
echo vfio-pci >"$S/etc/driverctl.d/pci-0000:02:00.0"
echo nvme >"$S/etc/driverctl.d/pci-0000:05:00.0"
expect "--list shows driverctl's overrides" 0 "" --list
[[ "$LAST_OUT" == *"0000:02:00.0  7      nvme    -    vfio-pci"* ]] && [[ "$LAST_OUT" == *"note: 0000:05:00.0 is persisted to nvme but not present"* ]]
ok $? "--list: persisted device and an absent one"
[[ "$LAST_OUT" == *"0000:02:00.0"* ]] || echo "$LAST_OUT" | sed 's/^/#   /'
expect "--apply-persistent binds only vfio-pci ones" 0 "" --dry-run --apply-persistent
[ "$(echo "$LAST_OUT" | grep -c -- '-> vfio-pci')" -eq 1 ] && [[ "$LAST_OUT" == *"0000:02:00.0 nvme -> vfio-pci"* ]]
ok $? "--apply-persistent: 0000:02:00.0 only"
expect "--unpersist removes the file" 0 "" --unpersist 02:00.0
[ ! -e "$S/etc/driverctl.d/pci-0000:02:00.0" ] && [ -e "$S/etc/driverctl.d/pci-0000:05:00.0" ]
ok $? "--unpersist: only that device's file"
expect "--print-modprobe" 0 "" --print-modprobe --group 01:00.0
echo "$LAST_OUT" | grep -qx 'options vfio-pci ids=10de:2206,10de:1aef' && echo "$LAST_OUT" | grep -qx 'softdep nvidia pre: vfio-pci'
ok $? "--print-modprobe: ids and softdeps"
# --- an NVIDIA vGPU VF stays on nvidia (vGPU 17: no mdev, nvidia hands it to QEMU) ---
fresh vgpu-host
expect "a vGPU VF: refused, exit 3" 3 \
	"vfio-bind: 0000:5e:00.4 is an NVIDIA vGPU VF: it stays on nvidia, which gives it to QEMU as it is (vgpu-split --vgpu-type ID 0000:5e:00.4 gives it a type); on vfio-pci it would lose its vGPU; --force takes it anyway" \
	5e:00.4
[ "$(readlink "$S/sys/bus/pci/devices/0000:5e:00.4/driver" | sed 's|.*/||')" = nvidia ] && [ "$(cat "$S/sys/bus/pci/devices/0000:5e:00.4/driver_override")" = "(null)" ]
ok $? "the vGPU VF: still on nvidia, no driver_override written"
expect "--force binds it anyway" 0 "warning: 0000:5e:00.4 is an NVIDIA vGPU VF" --dry-run --force 5e:00.4
[[ "$LAST_OUT" == *"write /sys/bus/pci/devices/0000:5e:00.4/driver_override vfio-pci"* ]]
ok $? "--force --dry-run: the writes of a bind"
done_testing

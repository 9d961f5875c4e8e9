#!/bin/bash
# vgpu-split on copies of the sriov-server fixture (an X710 PF 18:00.0 with
# 4 VFs, PF 18:00.1 with none): exact --list and -J, exact --dry-run write
# sequences, the files a real run leaves (no kernel answers on a fake tree:
# writes land in plain files), refusals, a signal midway, bad input.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VS=$BUILDDIR/vgpu-split
[ -x "$VS" ] || { echo "1..0 # SKIP $VS not built"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fresh() { rm -rf "$T/h"; cp -a "$FIX/sriov-server" "$T/h"; S=$T/h; PF=$S/sys/bus/pci/devices/0000:18:00.0; PF1=$S/sys/bus/pci/devices/0000:18:00.1; }
# same TEXT DESCRIPTION: $out equals TEXT, else show both
same() { [ "$out" = "$1" ]; ok $? "$2"; [ "$out" = "$1" ] || { echo "# got:"; echo "$out" | sed 's/^/#   /'; echo "# want:"; echo "$1" | sed 's/^/#   /'; }; }
fresh

# ---- --list ----
out=$(run_capture "$VS" --sysroot "$S" --list)
same "PF            PF-DRIVER  TOTAL  VFS  VF-ID      VF            GROUP  DRIVER    VGPU  HOLDER
0000:18:00.0  i40e       64     4    8086:154c  0000:18:02.0  9      iavf      -     -
0000:18:00.0  i40e       64     4    8086:154c  0000:18:02.1  10     iavf      -     -
0000:18:00.0  i40e       64     4    8086:154c  0000:18:02.2  11     iavf      -     -
0000:18:00.0  i40e       64     4    8086:154c  0000:18:02.3  12     vfio-pci  -     -
0000:18:00.1  i40e       64     0    8086:154c  -             -      -         -     -
--- stderr
--- exit 0" "--list: every PF, one line per VF, exit 0"

printf '0x154c\n' >"$PF1/sriov_vf_device"
out=$(run_capture "$VS" --sysroot "$S" --list -J 18:00.1)
same '[
  {
    "pf": "0000:18:00.1",
    "driver": "i40e",
    "total_vfs": 64,
    "num_vfs": 0,
    "vf_id": "8086:154c",
    "vfs": []
  }
]
--- stderr
--- exit 0' "--list -J 18:00.1: sriov_vf_device spelled 0x154c reads the same"

out=$(run_capture "$VS" --sysroot "$S" --list -J 18:00.0)
j=$(echo "$out" | sed '/^--- stderr/,$d')
echo "$j" | jq -e '. == [{"pf":"0000:18:00.0","driver":"i40e","total_vfs":64,"num_vfs":4,"vf_id":"8086:154c","vfs":[
  {"bdf":"0000:18:02.0","group":9,"driver":"iavf","vgpu_type":null,"holder":null},
  {"bdf":"0000:18:02.1","group":10,"driver":"iavf","vgpu_type":null,"holder":null},
  {"bdf":"0000:18:02.2","group":11,"driver":"iavf","vgpu_type":null,"holder":null},
  {"bdf":"0000:18:02.3","group":12,"driver":"vfio-pci","vgpu_type":null,"holder":null}]}]' >/dev/null
ok $? "--list -J 18:00.0: the PF and its four VFs, groups and drivers"

out=$(run_capture "$VS" --sysroot "$S" --list -J 02:00.0)
same '[]
--- stderr
--- exit 0' "--list -J of a device that is no PF: [] and exit 0"
out=$(run_capture "$VS" --sysroot "$S" --list 02:00.0)
same '--- stderr
--- exit 0' "--list of a device that is no PF: nothing, exit 0"

# a VM holds VF 18:02.3's group
mkdir -p "$S/proc/4242/fd"
ln -s /dev/vfio/12 "$S/proc/4242/fd/5"
echo qemu-system-x86 >"$S/proc/4242/comm"
out=$("$VS" --sysroot "$S" --list 18:00.0 | tail -n 1)
same "0000:18:00.0  i40e       64     4    8086:154c  0000:18:02.3  12     vfio-pci  -     qemu-system-x86 (pid 4242) /dev/vfio/12" \
	"--list names the process holding a VF's /dev/vfio group"

# ---- --dry-run: the exact writes ----
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 2 18:00.0)
same "--- stderr
vgpu-split: VF 0000:18:02.3 is held by qemu-system-x86 (pid 4242) /dev/vfio/12; --force changes the VFs anyway
--- exit 3" "a change while a VM holds a VF: refused, exit 3, naming it"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 0 18:00.0)
[[ $out == *"--- exit 3" ]]; ok $? "--vfs 0 while a VM holds a VF: exit 3"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --force --vfs 2 18:00.0)
same "write /sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 0
write /sys/bus/pci/devices/0000:18:00.0/sriov_drivers_autoprobe 1
write /sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 2
0000:18:00.0: 4 -> 2 VFs (dry run: nothing changed)
--- stderr
--- exit 0" "--force --vfs 2 --dry-run: through 0, autoprobe before enabling"
rm -r "$S/proc/4242"

out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 3 --no-autoprobe 18:00.0)
same "write /sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 0
write /sys/bus/pci/devices/0000:18:00.0/sriov_drivers_autoprobe 0
write /sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 3
0000:18:00.0: 4 -> 3 VFs (dry run: nothing changed)
--- stderr
--- exit 0" "--vfs 3 --no-autoprobe --dry-run: autoprobe 0"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 2 18:00.1)
same "write /sys/bus/pci/devices/0000:18:00.1/sriov_drivers_autoprobe 1
write /sys/bus/pci/devices/0000:18:00.1/sriov_numvfs 2
0000:18:00.1: 0 -> 2 VFs (dry run: nothing changed)
--- stderr
--- exit 0" "from 0 VFs: no write of 0"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 0 18:00.0)
same "write /sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 0
0000:18:00.0: 4 -> 0 VFs (dry run: nothing changed)
--- stderr
--- exit 0" "--vfs 0: one write"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 4 18:00.0)
same "0000:18:00.0 already has 4 VFs
--- stderr
--- exit 0" "the same count: nothing to write"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vfs 4 --vfio 18:00.0)
same "0000:18:00.0 already has 4 VFs
create /run/passthru-utils/vfio-bind/0000:18:02.0 iavf
write /sys/bus/pci/devices/0000:18:02.0/driver_override vfio-pci
write /sys/bus/pci/drivers/iavf/unbind 0000:18:02.0
write /sys/bus/pci/drivers_probe 0000:18:02.0
create /run/passthru-utils/vfio-bind/0000:18:02.1 iavf
write /sys/bus/pci/devices/0000:18:02.1/driver_override vfio-pci
write /sys/bus/pci/drivers/iavf/unbind 0000:18:02.1
write /sys/bus/pci/drivers_probe 0000:18:02.1
create /run/passthru-utils/vfio-bind/0000:18:02.2 iavf
write /sys/bus/pci/devices/0000:18:02.2/driver_override vfio-pci
write /sys/bus/pci/drivers/iavf/unbind 0000:18:02.2
write /sys/bus/pci/drivers_probe 0000:18:02.2
0000:18:02.0 iavf -> vfio-pci (group 9)
0000:18:02.1 iavf -> vfio-pci (group 10)
0000:18:02.2 iavf -> vfio-pci (group 11)
0000:18:02.3 already on vfio-pci (group 12)
--- stderr
--- exit 0" "--vfio: the VFs go through vfio-bind's transaction (its records, its writes)"
out=$(run_capture "$VS" --sysroot "$S" --dry-run -J --vfs 2 --no-autoprobe 18:00.1)
same '{
  "pf": "0000:18:00.1",
  "dry_run": true,
  "before": 0,
  "vfs": 2,
  "persisted": false,
  "error": null
}
--- stderr
write /sys/bus/pci/devices/0000:18:00.1/sriov_drivers_autoprobe 0
write /sys/bus/pci/devices/0000:18:00.1/sriov_numvfs 2
--- exit 0' "-J --dry-run: one document on stdout, the writes on stderr"

# ---- a real run on the fake tree: the files it leaves ----
out=$(run_capture "$VS" --sysroot "$S" --vfs 2 --no-autoprobe 18:00.0)
same "0000:18:00.0: 4 -> 2 VFs
--- stderr
--- exit 0" "--vfs 2 --no-autoprobe: exit 0, says what it did"
[ "$(cat "$PF/sriov_numvfs") $(cat "$PF/sriov_drivers_autoprobe")" = "2 0" ]
ok $? "sriov_numvfs 2, sriov_drivers_autoprobe 0 afterwards"
out=$(run_capture "$VS" --sysroot "$S" -v --vfs 3 18:00.0)
same "0000:18:00.0: 2 -> 3 VFs
--- stderr
vgpu-split: journal /run/passthru-utils/journal
vgpu-split: write $S/sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 0
vgpu-split: write $S/sys/bus/pci/devices/0000:18:00.0/sriov_drivers_autoprobe 1
vgpu-split: write $S/sys/bus/pci/devices/0000:18:00.0/sriov_numvfs 3
vgpu-split: journal /run/passthru-utils/journal (committed)
vgpu-split: journal /run/passthru-utils/journal removed
--- exit 0" "-v --vfs 3: the journal first, the writes logged, through 0"

fresh
out=$(run_capture "$VS" --sysroot "$S" --vfs 65 18:00.1)
same "--- stderr
vgpu-split: 0000:18:00.1: --vfs 65: the device has at most 64 VFs (sriov_totalvfs)
--- exit 2" "more than sriov_totalvfs: exit 2, naming the total"
[ "$(cat "$PF1/sriov_numvfs")" = 0 ]; ok $? "nothing written"
out=$(run_capture "$VS" --sysroot "$S" --vfs two 18:00.1)
same "--- stderr
vgpu-split: 0000:18:00.1: --vfs two: not a number of VFs
--- exit 2" "--vfs two: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --vfs 2 18:00)
same "--- stderr
vgpu-split: 18:00: not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)
--- exit 2" "malformed BDF: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --vfs 2 99:00.0)
[[ $out == *"--- exit 1" ]] && [ "$(echo "$out" | grep -c 'vgpu-split:')" = 1 ]
ok $? "no such device: one line, exit 1"
out=$(run_capture "$VS" --sysroot "$S" --vfs 2 02:00.0)
same "--- stderr
vgpu-split: 0000:02:00.0 is not an SR-IOV physical function (no SR-IOV capability)
--- exit 4" "a device without SR-IOV: exit 4"
out=$(run_capture "$VS" --sysroot "$S" --vfs 1 18:02.0)
same "--- stderr
vgpu-split: 0000:18:02.0 is a VF of 0000:18:00.0: VFs cannot have VFs; split the PF
--- exit 4" "a VF: exit 4"
out=$(run_capture "$VS" --sysroot "$S" --vfs 1 --vfio --list)
[[ $out == *"--- exit 2" ]]; ok $? "--vfs with --list: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --vfio 18:00.1)
[[ $out == *"--- exit 2" ]]; ok $? "--vfio without --vfs: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --vfs 0 --vfio 18:00.1)
[[ $out == *"--- exit 2" ]]; ok $? "--vfio with --vfs 0: exit 2"
rm "$PF1/sriov_numvfs"
out=$(run_capture "$VS" --sysroot "$S" --vfs 2 18:00.1)
same "--- stderr
vgpu-split: 0000:18:00.1: the config space has the SR-IOV capability but the kernel shows no sriov_numvfs: its driver (i40e) does not support SR-IOV
--- exit 4" "SR-IOV capability but no sriov_numvfs: exit 4, explained"

# ---- --check ----
fresh
out=$(run_capture "$VS" --sysroot "$S" --check 18:00.0)
same "ok   0000:18:00.0 has the SR-IOV capability: TotalVFs 64, VF device 154c
ok   sriov_totalvfs: 64, 4 enabled now
ok   PF driver i40e (sriov_numvfs present)
ok   IOMMU on: 13 groups
info sriov_drivers_autoprobe is 1: new VFs get host drivers; --no-autoprobe keeps them for vfio-pci
--- stderr
--- exit 0" "--check 18:00.0: every finding ok, exit 0"
out=$(run_capture "$VS" --sysroot "$S" --check 02:00.0)
same "fail 0000:02:00.0 has no SR-IOV capability in its config space: it cannot have VFs (and it is no mdev parent)
ok   IOMMU on: 13 groups
--- stderr
--- exit 4" "--check of a device without SR-IOV: fail, exit 4"
"$VS" --sysroot "$S" --check -J 18:00.0 | jq -e '.device == "0000:18:00.0" and .can_split and ([.checks[].status] == ["ok","ok","ok","ok","info"])' >/dev/null
ok $? "--check -J: one document"
rm -rf "$S"/sys/kernel/iommu_groups/*
out=$("$VS" --sysroot "$S" --check 18:00.0); rc=$?
[ $rc -eq 4 ] && [[ $out == *"fail no IOMMU groups: VFs could not be assigned to a VM (iommu-groups --check says why)"* ]]
ok $? "--check without IOMMU groups: fail, exit 4"

# ---- a failure and a signal midway (fault build) ----
FV=$BUILDDIR/faults/vgpu-split
if [ -x "$FV" ]; then
	fresh
	# the 3rd change: the journal, sriov_numvfs 0, then sriov_drivers_autoprobe 0
	out=$(PASSTHRU_SIGNAL_WRITE=3 run_capture "$FV" --sysroot "$S" --vfs 2 --no-autoprobe 18:00.0)
	same "--- stderr
vgpu-split: interrupted by SIGTERM: 0000:18:00.0 has 4 VFs (it had 4); sriov_drivers_autoprobe back to 1
--- exit 1" "SIGTERM at the autoprobe write: rolled back, says where the VFs are"
	[ "$(cat "$PF/sriov_numvfs") $(cat "$PF/sriov_drivers_autoprobe")" = "4 1" ]
	ok $? "sriov_drivers_autoprobe restored to 1; the 4 VFs back"
	[ ! -e "$S/run/passthru-utils/journal" ]; ok $? "no journal left after the rollback"
	fresh
	out=$(PASSTHRU_FAIL_WRITE=3 run_capture "$FV" --sysroot "$S" --vfs 2 --no-autoprobe 18:00.0)
	same "--- stderr
vgpu-split: write sriov_numvfs 2: Input/output error (/sys/bus/pci/devices/0000:18:00.0/sriov_numvfs); 0000:18:00.0 has 4 VFs (it had 4); sriov_drivers_autoprobe back to 1
--- exit 1" "the enabling write fails: exit 1, every write undone, state said"
	[ "$(cat "$PF/sriov_numvfs") $(cat "$PF/sriov_drivers_autoprobe")" = "4 1" ]
	ok $? "files afterwards: the 4 VFs back, autoprobe 1"
	fresh
	# killed after its journal, before its first write (sriov_numvfs 0): the
	# journal's later sriov_numvfs step (0 -> 2) was never reached
	PASSTHRU_KILL_WRITE=2 "$FV" --sysroot "$S" --vfs 2 18:00.0 >/dev/null 2>&1 &
	pid=$!
	wait $pid 2>/dev/null
	out=$(run_capture "$BUILDDIR/vfio-bind" --sysroot "$S" -v --restore)
	same "the vfs run of pid $pid was interrupted; 0 changes undone, everything is where it was before it
--- stderr
vfio-bind: journal /run/passthru-utils/journal removed
--- exit 0" "killed before its first write: --restore writes nothing (no sriov_numvfs 0 for a step never reached)"
else
	ok 0 "# SKIP fault build not present"
fi

# ---- --vfio fails after the count changed: all or nothing ----
fresh
out=$(run_capture "$VS" --sysroot "$S" --vfs 3 --vfio --persist 18:00.0)
same "0000:18:00.0: 4 -> 3 VFs
0000:18:00.0: 3 VFs at boot (/etc/passthru-utils/vgpu-split.conf)
--- stderr
vgpu-split: 0000:18:02.0: vfio-pci did not take it (driver now: iavf); every device is back where it was; so 0000:18:00.0 is back to 4 VFs, its line as it was
--- exit 1" "--vfs 3 --vfio whose bind fails (no kernel here): exit 1, the count and the line undone"
[ "$(cat "$PF/sriov_numvfs") $(cat "$PF/sriov_drivers_autoprobe")" = "4 1" ] && [ ! -e "$S/etc/passthru-utils/vgpu-split.conf" ] &&
	[ ! -e "$S/run/passthru-utils/journal" ]
ok $? "  files afterwards: 4 VFs, autoprobe 1, no vgpu-split.conf, no journal"
done_testing

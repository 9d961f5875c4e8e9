#!/bin/sh
# vm: timeout=240
# vgpu-split on a real kernel: the NVMe's SR-IOV (sriov_totalvfs 4; nvme
# cannot drive its VFs). Two VFs without host drivers, listed with their
# groups; bound to vfio-pci; a change to 3 goes through 0; a change refused
# while a process holds a VF's group, allowed once it ends; removed with
# --vfs 0. Leaves the NVMe as it found it.
. /vm/lib.sh
command -v vgpu-split >/dev/null || skip_all "vgpu-split not built"

nvme=$(pci_find 1b36:0010 | head -n 1)
[ -n "$nvme" ] || bail "no NVMe in the guest"
d=/sys/bus/pci/devices/$nvme
[ -e "$d/sriov_numvfs" ] || bail "the NVMe has no SR-IOV"
[ "$(cat "$d/sriov_numvfs")" = 0 ] || bail "the NVMe already has VFs"
autoprobe=$(cat "$d/sriov_drivers_autoprobe")
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	for v in "$d"/virtfn*; do
		[ -e "$v" ] || continue
		b=$(basename "$(readlink "$v")")
		echo >"/sys/bus/pci/devices/$b/driver_override"
	done
	[ -e "$d/driver" ] || { echo "$nvme" >/sys/bus/pci/drivers/nvme/bind; wait_nvme; }
	echo 0 >"$d/sriov_numvfs"
	echo "$autoprobe" >"$d/sriov_drivers_autoprobe"
	for f in 1 2 3 4; do
		rm -f "/run/passthru-utils/vfio-bind/${nvme%.*}.$f"
	done
}
trap 'cleanup 2>/dev/null' EXIT
wait_nvme() {
	i=0
	while [ ! -e "$d/nvme" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
}
vf() { basename "$(readlink "$d/virtfn$1")"; }
grp() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }

# --- two VFs, no host driver ---
out=$(vgpu-split --vfs 2 --no-autoprobe "$nvme" 2>&1); rc=$?
is "$rc" 0 "--vfs 2 --no-autoprobe exits 0"
is "$out" "$nvme: 0 -> 2 VFs" "it says what it did"
is "$(cat "$d/sriov_numvfs")" 2 "the kernel has 2 VFs"
is "$(cat "$d/sriov_drivers_autoprobe")" 0 "sriov_drivers_autoprobe is 0"
vf0=$(vf 0) vf1=$(vf 1)
is "$vf0 $vf1" "${nvme%.*}.1 ${nvme%.*}.2" "the VFs are 03.1 and 03.2"
is "$(pci_driver "$vf0")$(pci_driver "$vf1")" "" "both VFs are driverless"
g0=$(grp "$vf0") g1=$(grp "$vf1")
vfid=$(cat "$d/sriov_vf_device"); vfid=$(printf %04x "0x${vfid#0x}")

# --- the listing, exact (spaces squeezed: the columns fit the values) ---
out=$(vgpu-split --list "$nvme" | tr -s ' '); rc=$?
is "$out" "PF PF-DRIVER TOTAL VFS VF-ID VF GROUP DRIVER HOLDER
$nvme nvme 4 2 1b36:$vfid $vf0 $g0 - -
$nvme nvme 4 2 1b36:$vfid $vf1 $g1 - -" "--list: the PF, both VFs, their groups, no driver, no holder"
is "$(vgpu-split --list -J | jq -c --arg p "$nvme" '[.[] | select(.pf == $p) | .num_vfs, .total_vfs, [.vfs[].group]]')" \
	"[2,4,[$g0,$g1]]" "--list -J: 2 of 4, the groups"

# --- --vfio: both VFs to vfio-pci through the transaction ---
out=$(vgpu-split --vfs 2 --vfio "$nvme" 2>&1); rc=$?
is "$rc" 0 "--vfs 2 --vfio exits 0"
is "$out" "$nvme already has 2 VFs
$vf0 (none) -> vfio-pci (group $g0)
$vf1 (none) -> vfio-pci (group $g1)" "both VFs bound, said per VF"
is "$(pci_driver "$vf0") $(pci_driver "$vf1")" "vfio-pci vfio-pci" "both VFs are on vfio-pci"
ok "/dev/vfio/$g0 and /dev/vfio/$g1 exist" test -c "/dev/vfio/$g0" -a -c "/dev/vfio/$g1"
ok "no journal left" test ! -e /run/passthru-utils/journal

# --- a change to 3 goes through 0 ---
out=$(vgpu-split --dry-run --vfs 3 --no-autoprobe "$nvme" 2>&1); rc=$?
is "$out" "write /sys/bus/pci/devices/$nvme/sriov_numvfs 0
write /sys/bus/pci/devices/$nvme/sriov_drivers_autoprobe 0
write /sys/bus/pci/devices/$nvme/sriov_numvfs 3
$nvme: 2 -> 3 VFs (dry run: nothing changed)" "--dry-run --vfs 3: through 0"
is "$(cat "$d/sriov_numvfs")" 2 "the dry run changed nothing"
out=$(vgpu-split -v --vfs 3 --no-autoprobe "$nvme" 2>&1); rc=$?
is "$rc" 0 "--vfs 3 exits 0"
is "$out" "vgpu-split: write /sys/bus/pci/devices/$nvme/sriov_numvfs 0
vgpu-split: write /sys/bus/pci/devices/$nvme/sriov_drivers_autoprobe 0
vgpu-split: write /sys/bus/pci/devices/$nvme/sriov_numvfs 3
$nvme: 2 -> 3 VFs" "-v: the kernel took the writes through 0"
is "$(cat "$d/sriov_numvfs")" 3 "the kernel has 3 VFs"

# --- refused while a process holds a VF's group, allowed after ---
out=$(vgpu-split --vfs 3 --vfio "$nvme" 2>&1); rc=$?
is "$rc" 0 "the 3 VFs bound to vfio-pci"
vf0=$(vf 0); g0=$(grp "$vf0")
sleep 300 <"/dev/vfio/$g0" &
holder=$!
sleep 1
out=$(vgpu-split --vfs 1 "$nvme" 2>&1); rc=$?
is "$rc" 3 "a change while /dev/vfio/$g0 is held: exit 3"
is "$out" "vgpu-split: VF $vf0 is held by sleep (pid $holder) /dev/vfio/$g0; --force changes the VFs anyway" \
	"the refusal names the VF, the process and --force"
is "$(cat "$d/sriov_numvfs")" 3 "still 3 VFs"
out=$(vgpu-split --vfs 0 "$nvme" 2>&1); rc=$?
is "$rc" 3 "--vfs 0 while held: exit 3"
is "$(vgpu-split --list "$nvme" | sed -n 2p | tr -s ' ' | cut -d' ' -f6,9-)" "$vf0 sleep (pid $holder) /dev/vfio/$g0" \
	"--list names the holder"
kill "$holder"; wait "$holder" 2>/dev/null; holder=

out=$(vgpu-split --vfs 0 "$nvme" 2>&1); rc=$?
is "$rc" 0 "--vfs 0 once the holder is gone: exit 0"
is "$out" "$nvme: 3 -> 0 VFs" "it says so"
is "$(cat "$d/sriov_numvfs")" 0 "no VFs left"
ok "no virtfn link left" test ! -e "$d/virtfn0"
out=$(vgpu-split --list -J "$nvme" | jq -c '.[0] | [.num_vfs, .vfs]')
is "$out" "[0,[]]" "--list -J: 0 VFs"

# --- check and bad input on the real device ---
out=$(vgpu-split --check "$nvme" 2>&1); rc=$?
is "$rc" 0 "--check of the NVMe: exit 0"
case "$out" in "ok   $nvme has the SR-IOV capability: TotalVFs 4, VF device $vfid"*) pass "--check: the capability from config space" ;; *) fail "--check output"; diag "$out" ;; esac
out=$(vgpu-split --vfs 5 "$nvme" 2>&1); rc=$?
is "$rc:$out" "2:vgpu-split: $nvme: --vfs 5: the device has at most 4 VFs (sriov_totalvfs)" "--vfs 5: exit 2, naming the total"
nic=$(pci_find 8086:10d3 | head -n 1)
out=$(vgpu-split --vfs 1 "$nic" 2>&1); rc=$?
is "$rc:$out" "4:vgpu-split: $nic is not an SR-IOV physical function (no SR-IOV capability)" "the e1000e: exit 4"

# --- no PF driver: the kernel answers ENOENT ---
echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
ap=$(cat "$d/sriov_drivers_autoprobe")
out=$(vgpu-split --vfs 1 "$nvme" 2>&1); rc=$?
is "$rc:$out" "4:vgpu-split: $nvme: no driver is bound to the PF, and the kernel enables VFs through it (it answered ENOENT); $nvme has 0 VFs (it had 0); sriov_drivers_autoprobe back to $ap" \
	"the PF without its driver: exit 4, autoprobe put back"
is "$(cat "$d/sriov_drivers_autoprobe")" "$ap" "sriov_drivers_autoprobe is as it was"
echo "$nvme" >/sys/bus/pci/drivers/nvme/bind
wait_nvme
is "$(pci_driver "$nvme")" nvme "the NVMe is back on nvme"

cleanup 2>/dev/null
trap - EXIT
is "$(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe")" "0 $autoprobe" "the NVMe is as it was found"
done_testing

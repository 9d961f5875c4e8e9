#!/bin/sh
# vm: timeout=240
# vgpu-split on a real kernel: the NVMe's SR-IOV (sriov_totalvfs 4; nvme
# cannot drive its VFs). Two VFs without host drivers, listed with their
# groups; bound to vfio-pci; a change to 3 goes through 0, the journal
# first; a change refused while a process holds a VF's group, allowed once
# it ends; removed with --vfs 0. --persist writes vgpu-split.conf and
# --apply recreates it (bound to vfio-pci, and once a late PF driver comes);
# with the fault build, a failure or a signal at the enabling write puts
# the VF count and sriov_drivers_autoprobe back, and after a SIGKILL
# `vfio-bind --restore` does. No mdev parent and no NVIDIA VF here: the
# mdev and vGPU modes answer so. Leaves the NVMe as it found it.
. /vm/lib.sh
command -v vgpu-split >/dev/null || skip_all "vgpu-split not built"

nvme=$(pci_find 1b36:0010 | head -n 1)
[ -n "$nvme" ] || bail "no NVMe in the guest"
d=/sys/bus/pci/devices/$nvme
[ -e "$d/sriov_numvfs" ] || bail "the NVMe has no SR-IOV"
[ "$(cat "$d/sriov_numvfs")" = 0 ] || bail "the NVMe already has VFs"
autoprobe=$(cat "$d/sriov_drivers_autoprobe")
conf=/etc/passthru-utils/vgpu-split.conf
journal=/run/passthru-utils/journal
[ -e "$conf" ] && bail "$conf exists already"
had_etc=0
[ -d /etc/passthru-utils ] && had_etc=1
holder=
binder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
	[ -n "$binder" ] && kill "$binder" 2>/dev/null && wait "$binder" 2>/dev/null
	[ -e "$journal" ] && vfio-bind --restore >/dev/null 2>&1
	rm -f "$journal"
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
	rm -f "$conf"
	[ $had_etc = 1 ] || rm -rf /etc/passthru-utils
}
trap 'cleanup 2>/dev/null' EXIT
wait_nvme() {
	i=0
	while [ ! -e "$d/nvme" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
}
vf() { basename "$(readlink "$d/virtfn$1")"; }
grp() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
# the PF: sriov_numvfs, sriov_drivers_autoprobe, its virtfn links, the drivers of VFs 0 and 1
pf_state() {
	echo "$(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe") $(ls "$d" | grep virtfn | tr '\n' ' ')$(pci_driver "$(vf 0)")$(pci_driver "$(vf 1)")"
}

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
is "$out" "PF PF-DRIVER TOTAL VFS VF-ID VF GROUP DRIVER VGPU HOLDER
$nvme nvme 4 2 1b36:$vfid $vf0 $g0 - - -
$nvme nvme 4 2 1b36:$vfid $vf1 $g1 - - -" "--list: the PF, both VFs, their groups, no driver, no vGPU type, no holder"
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
is "$out" "vgpu-split: journal /run/passthru-utils/journal
vgpu-split: write /sys/bus/pci/devices/$nvme/sriov_numvfs 0
vgpu-split: write /sys/bus/pci/devices/$nvme/sriov_drivers_autoprobe 0
vgpu-split: write /sys/bus/pci/devices/$nvme/sriov_numvfs 3
vgpu-split: journal /run/passthru-utils/journal (committed)
vgpu-split: journal /run/passthru-utils/journal removed
$nvme: 2 -> 3 VFs" "-v: the journal first, the kernel took the writes through 0"
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
is "$(vgpu-split --list "$nvme" | sed -n 2p | tr -s ' ' | cut -d' ' -f6,10-)" "$vf0 sleep (pid $holder) /dev/vfio/$g0" \
	"--list names the holder"
kill "$holder"; wait "$holder" 2>/dev/null; holder=

ok "the VFs on vfio-pci have their vfio-bind records" test -e "/run/passthru-utils/vfio-bind/$vf0"
out=$(vgpu-split --vfs 0 "$nvme" 2>&1); rc=$?
is "$rc" 0 "--vfs 0 once the holder is gone: exit 0"
is "$out" "$nvme: 3 -> 0 VFs" "it says so"
is "$(cat "$d/sriov_numvfs")" 0 "no VFs left"
ok "no virtfn link left" test ! -e "$d/virtfn0"
is "$(ls /run/passthru-utils/vfio-bind/ | grep -c "^${nvme%.*}\.[1-4]$")" 0 "the gone VFs' vfio-bind records are gone too"
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

# --- --persist and --apply ---
conf_text="# vgpu-split --persist: recreated at boot by vgpu-split --apply (vgpu-split(8))
vfs $nvme 2 no-autoprobe vfio"
out=$(vgpu-split --vfs 2 --no-autoprobe --vfio --persist "$nvme" 2>&1); rc=$?
vf0=$(vf 0) vf1=$(vf 1)
g0=$(grp "$vf0") g1=$(grp "$vf1")
is "$rc:$out" "0:$nvme: 0 -> 2 VFs
$nvme: 2 VFs at boot ($conf)
$vf0 (none) -> vfio-pci (group $g0)
$vf1 (none) -> vfio-pci (group $g1)" "--vfs 2 --no-autoprobe --vfio --persist: exit 0; the VFs, the file, the binds"
is "$(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe") $(pci_driver "$vf0") $(pci_driver "$vf1")" \
	"2 0 vfio-pci vfio-pci" "2 VFs, autoprobe 0, both on vfio-pci"
is "$(cat "$conf"; echo .)" "$conf_text
." "$conf: the header and one line, exactly"
out=$(vgpu-split --vfs 0 "$nvme" 2>&1); rc=$?
is "$rc:$out" "0:$nvme: 2 -> 0 VFs" "--vfs 0 without --persist: exit 0"
is "$(cat "$d/sriov_numvfs")" 0 "no VFs left"
is "$(cat "$conf"; echo .)" "$conf_text
." "the file stays as it was"

out=$(vgpu-split --apply 2>&1); rc=$?
vf0=$(vf 0) vf1=$(vf 1)
g0=$(grp "$vf0") g1=$(grp "$vf1")
is "$rc:$out" "0:$vf0 (none) -> vfio-pci (group $g0)
$vf1 (none) -> vfio-pci (group $g1)
$nvme: 0 -> 2 VFs" "--apply: exit 0; 2 VFs again, each bound to vfio-pci"
is "$vf0 $vf1 $(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe")" "${nvme%.*}.1 ${nvme%.*}.2 2 0" \
	"the kernel has 03.1 and 03.2, autoprobe 0 (no-autoprobe)"
is "$(basename "$(readlink "/sys/bus/pci/devices/$vf0/driver")") $(basename "$(readlink "/sys/bus/pci/devices/$vf1/driver")")" \
	"vfio-pci vfio-pci" "their driver links name vfio-pci"
ok "/dev/vfio/$g0 and /dev/vfio/$g1 exist" test -c "/dev/vfio/$g0" -a -c "/dev/vfio/$g1"
ok "no journal left" test ! -e "$journal"
out=$(vgpu-split --list "$nvme" | tr -s ' ')
is "$out" "PF PF-DRIVER TOTAL VFS VF-ID VF GROUP DRIVER VGPU HOLDER
$nvme nvme 4 2 1b36:$vfid $vf0 $g0 vfio-pci - -
$nvme nvme 4 2 1b36:$vfid $vf1 $g1 vfio-pci - -" "--list: both VFs on vfio-pci, no vGPU type, no mdev table"
out=$(vgpu-split --apply 2>&1); rc=$?
is "$rc:$out" "0:$vf0 already on vfio-pci (group $g0)
$vf1 already on vfio-pci (group $g1)
$nvme already has 2 VFs" "--apply again: already has 2 VFs, exit 0"
out=$(vgpu-split --apply -J 2>&1 | jq -c .)
is "$out" "[{\"what\":\"vfs\",\"device\":\"$nvme\",\"uuid\":null,\"status\":\"unchanged\",\"message\":\"$nvme already has 2 VFs\"}]" \
	"--apply -J: one item, unchanged"
is "$(cat "$d/sriov_numvfs") $(pci_driver "$vf0") $(pci_driver "$vf1")" "2 vfio-pci vfio-pci" "nothing changed"

# --- the mdev and vGPU modes: no mdev parent, no NVIDIA VF in this guest ---
uuid=11111111-2222-4333-8444-555555555555
nomdev="is no mdev parent (not under /sys/class/mdev_bus: its driver offers no mediated devices) and has no NVIDIA vGPU types"
out=$(vgpu-split --list-types "$nvme" 2>&1); rc=$?
is "$rc:$out" "4:vgpu-split: $nvme $nomdev" "--list-types of the NVMe: exit 4"
out=$(vgpu-split --list-types "$vf0" 2>&1); rc=$?
is "$rc:$out" "4:vgpu-split: $vf0 $nomdev" "--list-types of a VF: exit 4"
out=$(vgpu-split --create nvidia-1 "$nvme" 2>&1); rc=$?
is "$rc:$out" "4:vgpu-split: $nvme $nomdev" "--create on the NVMe: exit 4"
out=$(vgpu-split --vgpu-type 1 "$vf0" 2>&1); rc=$?
is "$rc:$out" "4:vgpu-split: $vf0 has no nvidia/creatable_vgpu_types: it is no NVIDIA vGPU VF (give a VF of a vGPU-capable GPU, bound to nvidia)" \
	"--vgpu-type on a VF: exit 4"
out=$(vgpu-split --remove "$uuid" 2>&1); rc=$?
is "$rc:$out" "1:vgpu-split: no mdev $uuid is active or defined" "--remove of no such mdev: exit 1"
out=$(vgpu-split --remove "$uuid" --persist 2>&1); rc=$?
is "$rc:$out" "1:vgpu-split: no mdev $uuid is active or defined" "--remove --persist of no such mdev: exit 1"
is "$(vgpu-split --list -J | jq -c '[.[] | select(has("mdev"))]')" "[]" "--list -J: no mdev objects"
is "$(vgpu-split --list -J | jq -c '[.[] | .vfs[] | [.bdf, .driver, .vgpu_type, .holder]]')" \
	"[[\"$vf0\",\"vfio-pci\",null,null],[\"$vf1\",\"vfio-pci\",null,null]]" "--list -J: the VFs, vgpu_type null"
is "$(cat "$d/sriov_numvfs") $(pci_driver "$vf0") $(pci_driver "$vf1") $(ls -A /sys/bus/mdev/devices 2>&1)" \
	"2 vfio-pci vfio-pci " "none of them changed anything (no mdev either)"

# --- --vfs 0 --persist: the line goes, and the file with it ---
out=$(vgpu-split --vfs 0 --persist "$nvme" 2>&1); rc=$?
is "$rc:$out" "0:$nvme: 2 -> 0 VFs
$nvme: no VFs at boot (its line in $conf is gone)" "--vfs 0 --persist: exit 0, says the line is gone"
is "$(cat "$d/sriov_numvfs")" 0 "no VFs left"
ok "$conf is gone (its only line)" test ! -e "$conf"
out=$(vgpu-split --apply 2>&1); rc=$?
is "$rc:$out" "0:" "--apply with nothing persisted: no output, exit 0"
out=$(vgpu-split --apply -J 2>&1); rc=$?
is "$rc:$out" "0:[]" "--apply -J with nothing persisted: []"
# another device's line stays (a hand-made file, the NVMe at 0 VFs already)
printf '# mine\nvfs %s 2\nvgpu 0000:00:09.0 5\n' "$nvme" >"$conf"
out=$(vgpu-split --vfs 0 --persist "$nvme" 2>&1); rc=$?
is "$rc:$out" "0:$nvme already has 0 VFs
$nvme: no VFs at boot (its line in $conf is gone)" "--vfs 0 --persist with two lines: exit 0"
is "$(cat "$conf"; echo .)" "# vgpu-split --persist: recreated at boot by vgpu-split --apply (vgpu-split(8))
vgpu 0000:00:09.0 5
." "only the NVMe's line is gone"
out=$(vgpu-split --apply --wait 0 2>&1); rc=$?
is "$rc:$out" "1:vgpu-split: 0000:00:09.0 did not appear within 0 s: its vGPU type not applied" \
	"--apply of a device that is not there: exit 1, naming it"
rm -f "$conf"

# --- --apply --wait: the PF's driver comes late ---
printf 'vfs %s 1 no-autoprobe\n' "$nvme" >"$conf"
echo "$nvme" >/sys/bus/pci/drivers/nvme/unbind
(sleep 2; echo "$nvme" >/sys/bus/pci/drivers/nvme/bind) &
binder=$!
out=$(vgpu-split --apply --wait 60 2>&1); rc=$?
wait "$binder"; binder=
is "$rc:$out" "0:$nvme: 0 -> 1 VFs" "--apply --wait: waits for the PF's driver, then 1 VF"
is "$(pci_driver "$nvme") $(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe") $(pci_driver "$(vf 0)")" "nvme 1 0 " \
	"the NVMe on nvme, 1 driverless VF, autoprobe 0"
wait_nvme
rm -f "$conf"
out=$(vgpu-split --vfs 0 "$nvme" 2>&1); rc=$?
is "$rc:$out" "0:$nvme: 1 -> 0 VFs" "--vfs 0"

# --- all or nothing with the fault build ---
FV=/faults/vgpu-split
if [ -x "$FV" ]; then
	out=$(vgpu-split --vfs 2 --no-autoprobe "$nvme" 2>&1); rc=$?
	is "$rc:$out" "0:$nvme: 0 -> 2 VFs" "2 VFs, autoprobe 0"
	before="2 0 virtfn0 virtfn1 "
	is "$(pf_state)" "$before" "the PF: 2 driverless VFs, autoprobe 0"

	# the 3rd write, sriov_numvfs 3, fails: every write undone, newest first
	out=$(PASSTHRU_FAIL_WRITE=3 $FV -v --vfs 3 "$nvme" 2>&1); rc=$?
	is "$rc:$out" "1:vgpu-split: journal $journal
vgpu-split: write $d/sriov_numvfs 0
vgpu-split: write $d/sriov_drivers_autoprobe 1
vgpu-split: write $d/sriov_numvfs 3
vgpu-split: write $d/sriov_drivers_autoprobe 0
vgpu-split: write $d/sriov_numvfs 2
vgpu-split: journal $journal removed
vgpu-split: write sriov_numvfs 3: Input/output error ($d/sriov_numvfs); $nvme has 2 VFs (it had 2); sriov_drivers_autoprobe back to 0" \
		"the enabling write fails: exit 1, autoprobe and then the 2 VFs put back, the state said"
	is "$(pf_state)" "$before" "the PF has its 2 driverless VFs again, autoprobe 0"

	# --vfio: the 4th write, the first VF's driver_override, fails: the bind
	# is rolled back, then the VF count (all or nothing)
	out=$(PASSTHRU_FAIL_WRITE=4 $FV --vfs 3 --no-autoprobe --vfio "$nvme" 2>&1); rc=$?
	case "$rc:$out" in
	"1:$nvme: 2 -> 3 VFs"*"; so $nvme is back to 2 VFs") pass "a failed --vfio bind: exit 1, the VF count undone too" ;;
	*) fail "a failed --vfio bind: exit 1, the VF count undone too"; diag "$rc:$out" ;;
	esac
	is "$(pf_state)" "$before" "  the PF has its 2 driverless VFs again, autoprobe 0"
	ok "  no journal left" test ! -e "$journal"
	ok "no journal left" test ! -e "$journal"

	# SIGTERM as the enabling write starts: the 3 VFs come, and go again
	out=$(PASSTHRU_SIGNAL_WRITE=4 $FV --vfs 3 "$nvme" 2>&1); rc=$?
	is "$rc:$out" "1:vgpu-split: interrupted by SIGTERM: $nvme has 2 VFs (it had 2); sriov_drivers_autoprobe back to 0" \
		"SIGTERM at the enabling write: exit 1, rolled back"
	is "$(pf_state)" "$before" "the PF has its 2 VFs, autoprobe 0"
	ok "no journal left" test ! -e "$journal"

	# SIGKILL before the enabling write (the 4th change: the journal, 0, autoprobe)
	PASSTHRU_KILL_WRITE=4 $FV --vfs 3 "$nvme" >/dev/null 2>&1 &
	pid=$!
	wait "$pid" 2>/dev/null; rc=$?
	is "$rc $(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe")" "137 0 1" \
		"killed before the enabling write: 0 VFs, autoprobe 1"
	is "$(sed -n '1,3p' "$journal" | tr '\n' '|')$(grep -c '^step attr ' "$journal")" \
		"passthru-utils journal 1|pid $pid|action vfs|3" "the journal is left: the run's pid, its 3 writes"
	out=$(vgpu-split --vfs 1 "$nvme" 2>&1); rc=$?
	is "$rc:$out" "3:vgpu-split: a run (pid $pid) was killed in the middle of a change and left its journal $journal; 'vfio-bind --restore' puts its devices back first" \
		"another run refuses while the journal is left: exit 3"
	out=$(vfio-bind --restore 2>&1); rc=$?
	is "$rc:$out" "0:the vfs run of pid $pid was interrupted; 2 changes undone, everything is where it was before it" \
		"vfio-bind --restore: exit 0, 2 changes undone"
	is "$(pf_state)" "$before" "the PF has 2 driverless VFs again, autoprobe 0"
	ok "the journal is gone" test ! -e "$journal"

	# SIGKILL after the enabling write, before the commit: 3 writes undone
	PASSTHRU_KILL_WRITE=5 $FV --vfs 3 "$nvme" >/dev/null 2>&1 &
	pid=$!
	wait "$pid" 2>/dev/null; rc=$?
	is "$rc $(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe")" "137 3 1" \
		"killed before the commit: 3 VFs, autoprobe 1"
	out=$(vfio-bind --restore 2>&1); rc=$?
	is "$rc:$out" "0:the vfs run of pid $pid was interrupted; 3 changes undone, everything is where it was before it" \
		"vfio-bind --restore: 3 changes undone"
	is "$(pf_state)" "$before" "the PF has 2 driverless VFs again, autoprobe 0"
	ok "the journal is gone" test ! -e "$journal"

	# SIGKILL after the journal, before the first write: the VFs, on
	# vfio-pci, are left alone (no sriov_numvfs 0 for a step never reached)
	vgpu-split --vfs 2 --vfio "$nvme" >/dev/null 2>&1
	bound="2 0 virtfn0 virtfn1 vfio-pcivfio-pci"
	is "$(pf_state)" "$bound" "both VFs on vfio-pci"
	PASSTHRU_KILL_WRITE=2 $FV --vfs 3 "$nvme" >/dev/null 2>&1 &
	pid=$!
	wait "$pid" 2>/dev/null; rc=$?
	out=$(vfio-bind -v --restore 2>&1); rrc=$?
	is "$rc $rrc:$out" "137 0:vfio-bind: journal $journal removed
the vfs run of pid $pid was interrupted; 0 changes undone, everything is where it was before it" \
		"killed before its first write: --restore writes nothing"
	is "$(pf_state)" "$bound" "the VFs are still there, on vfio-pci"
	ok "the journal is gone" test ! -e "$journal"

	out=$(vgpu-split --vfs 0 "$nvme" 2>&1); rc=$?
	is "$rc:$out" "0:$nvme: 2 -> 0 VFs" "--vfs 0"
else
	fail "the fault-injecting build in /faults (make faults)"
fi

# --- nothing left: no VFs, no mdev, no file ---
out=$(vgpu-split --list -J | jq -c .)
is "$out" "[{\"pf\":\"$nvme\",\"driver\":\"nvme\",\"total_vfs\":4,\"num_vfs\":0,\"vf_id\":\"1b36:$vfid\",\"vfs\":[]}]" \
	"--list -J: the NVMe with 0 VFs, no mdev object"
is "$(vgpu-split --list | tr -s ' ')" "PF PF-DRIVER TOTAL VFS VF-ID VF GROUP DRIVER VGPU HOLDER
$nvme nvme 4 0 1b36:$vfid - - - - -" "--list: one line, no mdev table"
ok "no journal, no conf file" test ! -e "$journal" -a ! -e "$conf"

cleanup 2>/dev/null
trap - EXIT
is "$(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe")" "0 $autoprobe" "the NVMe is as it was found"
done_testing

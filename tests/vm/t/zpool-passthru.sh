#!/bin/sh
# vm: timeout=240
# zpool-passthru on a real kernel: two AHCI disks carry pool vmpool (labels
# by tests/helpers/mkzfs-label, made on the host by zpool-passthru.host and
# written here with dd); libblkid finds them and the block-to-PCI mapping
# gives the AHCI controller. The third disk on it, blank, makes the plan
# refuse unless --force; the same disk with a mounted filesystem refuses
# even with --force. A pool on the NVMe maps to its own controller. --bind
# moves the AHCI controller to vfio-pci (the root is in RAM), vfio-bind
# --unbind brings it and its disks back, labels intact.
. /vm/lib.sh
command -v zpool-passthru >/dev/null || skip_all "zpool-passthru not built"
command -v vfio-bind >/dev/null || skip_all "vfio-bind not built"
D=/vm/data/zpool-passthru
[ -f "$D/vmpool-1.head" ] || skip_all "no label images: the host has no python3 for tests/helpers/mkzfs-label"

ahci=$(pci_find 8086:2922 | grep -v ':1f\.' | head -n 1)
nvme=$(pci_find 1b36:0010 | head -n 1)
[ -n "$ahci" ] && [ -n "$nvme" ] || bail "the AHCI or the NVMe controller is missing"
# disks_of BDF: the disks whose sysfs path runs through the PCI device
disks_of() {
	for _b in /sys/block/*; do
		case "$(readlink -f "$_b")" in */"$1"/*) echo "${_b##*/}" ;; esac
	done
}
set -- $(disks_of "$ahci")
[ $# -eq 3 ] || bail "want three disks on $ahci, have: $*"
d1=$1 d2=$2 d3=$3
# the NVMe namespace: with native multipath it hangs off its subsystem, and
# the controller's path to it (nvme0c0n1) is a hidden disk without a node
nv=$(for b in /sys/block/nvme*; do [ "$(cat "$b/hidden" 2>/dev/null)" = 1 ] || echo "${b##*/}"; done | head -n 1)
[ -b "/dev/$nv" ] || bail "no NVMe namespace"

# put IMAGE DISK: a label image's two halves at the disk's start and end
put() {
	_n=$(($(cat "/sys/block/$2/size") * 512 / 524288))
	dd if="$D/$1.head" of="/dev/$2" bs=524288 count=1 2>/dev/null &&
		dd if="$D/$1.tail" of="/dev/$2" bs=524288 seek=$((_n - 1)) count=1 2>/dev/null
}
wipe() { # wipe DISK: its first and last MiB
	_n=$(($(cat "/sys/block/$1/size") * 512 / 1048576))
	dd if=/dev/zero of="/dev/$1" bs=1048576 count=1 2>/dev/null
	dd if=/dev/zero of="/dev/$1" bs=1048576 seek=$((_n - 1)) count=1 2>/dev/null
}
cleanup() {
	umount /mnt/z 2>/dev/null
	[ "$(pci_driver "$ahci")" = vfio-pci ] && vfio-bind --unbind "$ahci" >/dev/null 2>&1
	for _i in $(seq 1 100); do [ -e "/sys/block/$d3" ] && break; sleep 0.1; done
	for _d in $d1 $d2 $d3 $nv; do [ -e "/dev/$_d" ] && wipe "$_d"; done
	rm -rf /run/passthru-utils
}
trap 'cleanup' EXIT

# zp ARGS...: the command, its stdout in $out, stderr in $err, exit in $rc
zp() {
	out=$(timeout 60 zpool-passthru "$@" 2>/tmp/zp.err)
	rc=$?
	err=$(cat /tmp/zp.err)
}

for d in $d1 $d2 $d3 $nv; do wipe "$d"; done
ok "vmpool's labels written on $d1 and $d2" put vmpool-1 "$d1"
ok "and on $d2" put vmpool-2 "$d2"
ok "nvpool's on $nv" put nvpool-1 "$nv"

zp --list-pools
is "$rc $out" "0 nvpool
vmpool" "--list-pools: libblkid finds both pools"

# --- the pool maps to the AHCI controller; the blank third disk refuses ---
zp vmpool
is "$rc" 3 "vmpool with a blank $d3 beside it: refused"
is "$err" "zpool-passthru: $d3 on $ahci holds nothing and is not in pool vmpool; --force takes it along" \
	"naming the disk and --force"
is "$(printf '%s\n' "$out" | head -n 1)" "pool vmpool: $d1 $d2" "the members, found by libblkid"
case "$out" in
*"$ahci  IOMMU group "*"  ahci  "*) pass "the plan names the AHCI controller and its driver" ;;
*) fail "the plan names the AHCI controller"; diag "$out" ;;
esac
is "$(printf '%s\n' "$out" | grep "^  $d3 " | tr -s ' ')" " $d3 unused - -" "$d3: unused"
zp --force --bdf vmpool
is "$rc $out" "0 $ahci" "--force --bdf: the AHCI controller's address"
is "$err" "zpool-passthru: warning: $d3 on $ahci holds nothing and is not in pool vmpool (--force given)" \
	"with a warning"
zp --bdf /dev/"$d1"
is "$rc $out" "3 " "$d1 named brings its pool, and still refuses over $d3"

# --- the third disk with a filesystem, then mounted ---
mkdir -p /mnt/z
if mke2fs -F "/dev/$d3" >/dev/null 2>&1; then
	zp --force vmpool
	# busybox's mke2fs makes ext2, which the ext4 driver mounts
	is "$rc" 3 "ext2 on $d3: --force does not take a filesystem"
	is "$err" "zpool-passthru: $d3 on $ahci holds ext2, not in pool vmpool: name it (/dev/$d3) to take it along" \
		"naming the filesystem"
	if mount -t ext4 "/dev/$d3" /mnt/z; then
		zp --force vmpool "/dev/$d3"
		is "$rc" 3 "ext4 on $d3 mounted: refused, named and with --force"
		is "$err" "zpool-passthru: $d3 on $ahci is used by the host: $d3 (ext4) is mounted on /mnt/z" \
			"the kernel's mount named"
		umount /mnt/z
	else
		fail "mount -t ext4 /dev/$d3"
	fi
	zp --bdf vmpool "/dev/$d3"
	is "$rc $out" "0 $ahci" "unmounted and named, it goes along"
	wipe "$d3"
else
	fail "mke2fs on $d3"
fi

# --- a pool on the NVMe: its own controller ---
zp nvpool
is "$rc" 0 "nvpool: ok"
is "$(printf '%s\n' "$out" | head -n 1)" "pool nvpool: $nv" "its member"
case "$out" in
*"$nvme  IOMMU group "*"  nvme  "*) pass "on the NVMe controller" ;;
*) fail "on the NVMe controller"; diag "$out" ;;
esac
zp --bdf nvpool
is "$rc $out" "0 $nvme" "--bdf: the NVMe controller"
zp -J vmpool nvpool
is "$rc $(printf '%s' "$out" | jq -c '[.controllers[].bdf, .verdict]')" "3 [\"$nvme\",\"$ahci\",\"refused\"]" \
	"-J of both pools: two controllers, refused over $d3"

# --- --bind, and back ---
zp --bind --force vmpool
is "$rc" 0 "--bind --force vmpool"
is "$(pci_driver "$ahci")" vfio-pci "the AHCI controller is on vfio-pci"
group=$(basename "$(readlink "/sys/bus/pci/devices/$ahci/iommu_group")")
case "$out" in
*"$ahci ahci -> vfio-pci (group $group)"*"/dev/vfio/$group ready"*) pass "the bind's lines" ;;
*) fail "the bind's lines"; diag "$out" ;;
esac
ok "/dev/vfio/$group exists" test -c "/dev/vfio/$group"
ok "its disks are gone from the host" test ! -e "/sys/block/$d1"
out=$(vfio-bind --unbind "$ahci" 2>&1)
is "$?" 0 "vfio-bind --unbind $ahci"
is "$(pci_driver "$ahci")" ahci "the AHCI controller is back on ahci"
for i in $(seq 1 100); do [ -e "/sys/block/$d3" ] && break; sleep 0.1; done
is "$(disks_of "$ahci" | tr '\n' ' ')" "$d1 $d2 $d3 " "its three disks are back"
zp --force --bdf vmpool
is "$rc $out" "0 $ahci" "and vmpool is found on them again"

cleanup
trap - EXIT
zp --list-pools
is "$rc $out" "0 " "cleaned up: no pool left on the disks"
done_testing

#!/bin/bash
# hostuse.t: the host-use answer on fixture hosts for what the VM cannot
# show (a ZFS root, a btrfs root across devices, a VMD domain, nvidia-drm
# without fbdev, a bond under a VLAN, an SSH session, an EDAC host bridge
# in a group, a VM holding a group or an iommufd node, an SR-IOV PF, a
# guest without an IOMMU). Each case: the exact message, the exit code, and
# a tree that --dry-run left exactly as it was.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VB=$BUILDDIR/vfio-bind
GR=$BUILDDIR/gpu-reset
IG=$BUILDDIR/iommu-groups
[ -x "$VB" ] && [ -x "$GR" ] || { echo "1..0 # SKIP commands not built in $BUILDDIR"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fresh() { rm -rf "$T/host"; cp -a "$FIX/$1" "$T/host"; S=$T/host; }
snap() { (cd "$S" && find . -printf '%p %s %l\n' | sort | md5sum); }

# expect NAME EXIT WANT-STDERR CMD ARGS...: exact stderr (one line), exit
# code, and the tree unchanged
expect() {
	local name=$1 want_rc=$2 want=$3 cmd=$4
	shift 4
	local before rc err
	before=$(snap)
	"$cmd" --sysroot "$S" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	err=$(cat "$T/err")
	[ "$rc" -eq "$want_rc" ] && [ "$err" = "$want" ] && [ "$(snap)" = "$before" ]
	ok $? "$name (exit $rc, want $want_rc)"
	[ "$err" = "$want" ] || { echo "#   got:  $err"; echo "#   want: $want"; }
	[ "$(snap)" = "$before" ] || echo "#   the tree changed"
}

# disk DEV-DIR DISK [PART...]: a block device below a controller's directory
disk() {
	local dir=$1 name=$2 major=$3
	shift 3
	local dev=$S/$dir/block/$name rel minor=0
	mkdir -p "$dev/holders" "$S/sys/block" "$S/sys/class/block" "$S/proc/self" "$S/dev"
	echo "$major:0" >"$dev/dev"
	rel=${dir#sys/}
	ln -sfn "../$rel/block/$name" "$S/sys/block/$name"
	ln -sfn "../../$rel/block/$name" "$S/sys/class/block/$name"
	for p in "$@"; do
		minor=$((minor + 1))
		mkdir -p "$dev/$p/holders"
		echo "$major:$minor" >"$dev/$p/dev"; echo "$minor" >"$dev/$p/partition"
		ln -sfn "../../$rel/block/$name/$p" "$S/sys/class/block/$p"
	done
	[ -e "$S/proc/self/mountinfo" ] || : >"$S/proc/self/mountinfo"
	[ -e "$S/proc/swaps" ] || : >"$S/proc/swaps"
}
SATA=sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0
NVME=sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/nvme/nvme0

# --- btrfs root: mountinfo shows an anonymous 0:N device ---
fresh desktop-nvidia
disk "$SATA" sda 8 sda1 sda2
echo "22 1 0:24 /@ / rw,relatime shared:1 - btrfs /dev/sda2 rw,ssd,space_cache=v2,subvolid=256,subvol=/@" >"$S/proc/self/mountinfo"
mkdir -p "$S/sys/fs/btrfs/0c2a1b3e-5f36-4a5e-9c83-6f1d0e2b7a10/devices"
ln -s "../../../../devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2" \
	"$S/sys/fs/btrfs/0c2a1b3e-5f36-4a5e-9c83-6f1d0e2b7a10/devices/sda2"
expect "btrfs root on the SATA controller" 3 \
	"vfio-bind: 0000:00:17.0 holds disks the host uses: sda2 (btrfs) is mounted on / (the root filesystem); --force takes it anyway" \
	"$VB" --dry-run 00:17.0
expect "gpu-reset of that controller" 3 \
	"gpu-reset: 0000:00:17.0 holds disks the host uses: sda2 (btrfs) is mounted on / (the root filesystem); --force resets it anyway" \
	"$GR" --dry-run 00:17.0
# a second device of the same btrfs: mounted from the NVMe, sda2 only a member
disk "$NVME" nvme0n1 259 nvme0n1p1
sed -i 's|/dev/sda2|/dev/nvme0n1p1|' "$S/proc/self/mountinfo"
ln -s "../../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0/nvme/nvme0/block/nvme0n1/nvme0n1p1" \
	"$S/sys/fs/btrfs/0c2a1b3e-5f36-4a5e-9c83-6f1d0e2b7a10/devices/nvme0n1p1"
expect "a device of a multi-device btrfs root" 3 \
	"vfio-bind: 0000:00:17.0 holds disks the host uses: sda2 is a device of the btrfs filesystem mounted on / (the root filesystem); --force takes it anyway" \
	"$VB" --dry-run 00:17.0

# --- ZFS root: the pool is imported, its member found by libblkid ---
if python3 -c 1 2>/dev/null; then
	fresh desktop-nvidia
	disk "$SATA" sda 8 sda1 sda2
	tests/helpers/mkzfs-label "$S/dev/sda2" --pool rpool --pool-guid 5092458012749520392 --guid 77 \
		--hostid 0xa8c00a01 --hostname nas --timestamp 1700000000 >/dev/null
	: >"$S/dev/sda1"
	expect "a ZFS member of a pool not imported here may go" 0 "" "$VB" --dry-run 00:17.0
	mkdir -p "$S/proc/spl/kstat/zfs/rpool"; echo ONLINE >"$S/proc/spl/kstat/zfs/rpool/state"
	printf '%s\n' "25 1 0:25 / / rw,relatime shared:1 - zfs rpool/ROOT/debian rw,xattr,posixacl" \
		"26 25 0:26 / /home rw,relatime shared:2 - zfs rpool/home rw,xattr,posixacl" >"$S/proc/self/mountinfo"
	expect "ZFS root: the pool's disk controller" 3 \
		"vfio-bind: 0000:00:17.0 holds disks the host uses: sda2 is in ZFS pool rpool, imported on this host (its dataset rpool/ROOT/debian is mounted on /: the root filesystem); --force takes it anyway" \
		"$VB" --dry-run 00:17.0
	rm -rf "$S/proc/spl/kstat/zfs/rpool"; mkdir -p "$S/proc/spl/kstat/zfs/tank"; echo ONLINE >"$S/proc/spl/kstat/zfs/tank/state"
	expect "another pool imported: not this disk's" 0 "" "$VB" --dry-run 00:17.0
else
	ok 1 "# SKIP no python3 for the ZFS label"
fi

# --- a partition of an md array that is mounted: the reason follows it ---
fresh desktop-nvidia
disk "$SATA" sda 8 sda1
MD=$S/sys/devices/virtual/block/md127
mkdir -p "$MD/md127p1" "$MD/holders"
echo 9:127 >"$MD/dev"; echo 259:5 >"$MD/md127p1/dev"; echo 1 >"$MD/md127p1/partition"
ln -sfn ../../devices/virtual/block/md127 "$S/sys/class/block/md127"
ln -sfn ../../devices/virtual/block/md127/md127p1 "$S/sys/class/block/md127p1"
ln -sfn ../../../../../../../../../../virtual/block/md127 "$S/$SATA/block/sda/sda1/holders/md127"
echo "31 1 259:5 / /srv rw - xfs /dev/md127p1 rw" >"$S/proc/self/mountinfo"
expect "a partition of an md array whose own partition is mounted" 3 \
	"vfio-bind: 0000:00:17.0 holds disks the host uses: sda1 is held by md127 (md, dm, LVM or bcache): md127p1 (xfs) is mounted on /srv; --force takes it anyway" \
	"$VB" --dry-run 00:17.0

# --- swap, and the reason given for a whole disk ---
fresh desktop-nvidia
disk "$SATA" sda 8
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/sda partition 1000 0 -2\n' >"$S/proc/swaps"
expect "a whole disk as swap" 3 \
	"vfio-bind: 0000:00:17.0 holds disks the host uses: sda is active swap; --force takes it anyway" \
	"$VB" --dry-run 00:17.0

# --- VMD: the endpoint is never unbound, what is behind it never assigned ---
fresh sriov-server
expect "an NVMe behind VMD" 3 \
	"vfio-bind: 10000:01:00.0 is behind 0000:5d:05.5 (Intel VMD), which owns PCI domain 10000: its DMA is the VMD's, so no IOMMU can isolate it; turn VMD off in the firmware setup (Intel RST / VMD controller) to assign it" \
	"$VB" --dry-run --force 10000:01:00.0
expect "--group on the VMD endpoint" 3 \
	"vfio-bind: 0000:5d:05.5 is an Intel VMD controller: unbinding it removes its PCI domain and every device below it (often the host's NVMe disks)" \
	"$VB" --dry-run --force --group 5d:05.5

# --- an SR-IOV PF with VFs ---
expect "a PF with 4 VFs" 3 \
	"vfio-bind: 0000:18:00.0 has 4 SR-IOV VFs enabled (0000:18:02.0, 0000:18:02.1, 0000:18:02.2, 0000:18:02.3): vfio-pci refuses a PF with VFs, and unbinding its driver destroys them; remove them first (echo 0 > /sys/bus/pci/devices/0000:18:00.0/sriov_numvfs)" \
	"$VB" --dry-run --force 18:00.0
expect "a reset of the PF names the VFs it takes along" 3 \
	"gpu-reset: 0000:18:00.0 has 4 SR-IOV VFs enabled, which a reset of it resets too: 0000:18:02.0, 0000:18:02.1, 0000:18:02.2, 0000:18:02.3; --force resets it anyway" \
	"$GR" --dry-run 18:00.0
expect "a PF without VFs may go" 0 "" "$VB" --dry-run 18:00.1

# --- the network stack: a bond under a VLAN, a bridge, an SSH session ---
# netif NAME [DEVTYPE]: an interface (of the PF 18:00.1 when DEVTYPE is "")
netif() {
	if [ -z "$2" ]; then
		mkdir -p "$S/sys/devices/pci0000:17/0000:17:00.0/0000:18:00.1/net/$1" "$S/sys/class/net"
		ln -sfn "../../devices/pci0000:17/0000:17:00.0/0000:18:00.1/net/$1" "$S/sys/class/net/$1"
		echo "INTERFACE=$1" >"$S/sys/class/net/$1/uevent"
	else
		mkdir -p "$S/sys/devices/virtual/net/$1"
		ln -sfn "../../devices/virtual/net/$1" "$S/sys/class/net/$1"
		printf 'DEVTYPE=%s\nINTERFACE=%s\n' "$2" "$1" >"$S/sys/class/net/$1/uevent"
	fi
}
# stack LOWER UPPER master|upper
stack() {
	ln -sfn "../$2" "$S/sys/class/net/$1/upper_$2"
	[ "$3" = master ] && ln -sfn "../$2" "$S/sys/class/net/$1/master"
	ln -sfn "../$1" "$S/sys/class/net/$2/lower_$1"
}
ROUTE_HEAD='Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n'
fresh sriov-server
mkdir -p "$S/proc/net"; : >"$S/proc/net/ipv6_route"
netif enp24s0f1; netif bond0 bond; netif bond0.100 vlan
stack enp24s0f1 bond0 master; stack bond0 bond0.100 upper
printf "$ROUTE_HEAD"'bond0.100\t00000000\t0164A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\nbond0.100\t0064A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >"$S/proc/net/route"
expect "a NIC in a bond under a VLAN with the default route" 3 \
	"vfio-bind: 0000:18:00.1 is the host's network: its interface enp24s0f1 is under bond0 (bond), under bond0.100 (vlan), which carries the default route; --force takes it anyway" \
	"$VB" --dry-run 18:00.1
# a trunk port with 40 VLANs, the default route on the last
fresh sriov-server
mkdir -p "$S/proc/net"; : >"$S/proc/net/ipv6_route"
netif enp24s0f1
for i in $(seq 1 40); do netif "enp24s0f1.$i" vlan; stack enp24s0f1 "enp24s0f1.$i" upper; done
printf "$ROUTE_HEAD"'enp24s0f1.40\t00000000\t0164A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' >"$S/proc/net/route"
expect "the 40th VLAN of a trunk port carries the default route" 3 \
	"vfio-bind: 0000:18:00.1 is the host's network: its interface enp24s0f1 is under enp24s0f1.40 (vlan), which carries the default route; --force takes it anyway" \
	"$VB" --dry-run 18:00.1
fresh sriov-server
mkdir -p "$S/proc/net"; : >"$S/proc/net/ipv6_route"
netif enp24s0f1; netif br0 bridge; stack enp24s0f1 br0 master
printf "$ROUTE_HEAD"'br0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' >"$S/proc/net/route"
expect "a bridge port without a default route or connection may go" 0 "" "$VB" --dry-run 18:00.1
printf '%s\n' "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode" \
	"   0: 0A01A8C0:0016 3201A8C0:C350 01 00000000:00000000 02:000A7C1F 00000000     0        0 1 4" >"$S/proc/net/tcp"
expect "the bridge port carrying the SSH session" 3 \
	"vfio-bind: 0000:18:00.1 is the host's network: its interface enp24s0f1 is under br0 (bridge), which carries the established TCP connection 192.168.1.10:22 <-> 192.168.1.50:50000 (an SSH session); --force takes it anyway" \
	"$VB" --dry-run 18:00.1
: >"$S/proc/net/tcp"
printf '%s\n' "  sl  local_address                         remote_address                        st" \
	"   0: B80D0120000000000000000010000000:0016 B80D0120000000000000000050000000:C351 01 0 0" >"$S/proc/net/tcp6"
echo "20010db8000000000000000000000010 05 40 00 80      br0" >"$S/proc/net/if_inet6"
expect "and over IPv6" 3 \
	"vfio-bind: 0000:18:00.1 is the host's network: its interface enp24s0f1 is under br0 (bridge), which carries the established TCP connection [2001:db8::10]:22 <-> [2001:db8::50]:50001 (an SSH session); --force takes it anyway" \
	"$VB" --dry-run 18:00.1

# --- nvidia-drm without fbdev is still the boot display; holders named ---
fresh desktop-nvidia
echo 0 >"$S/sys/bus/pci/devices/0000:00:02.0/boot_vga"; echo 1 >"$S/sys/bus/pci/devices/0000:01:00.0/boot_vga"
mkdir -p "$S/proc/812/fd" "$S/proc/900/fd"
echo Xorg >"$S/proc/812/comm"; ln -s /dev/dri/card1 "$S/proc/812/fd/14"
echo nvidia-persiste >"$S/proc/900/comm"; ln -s /dev/nvidiactl "$S/proc/900/fd/3"
expect "the boot GPU on nvidia-drm without fbdev" 3 \
	"vfio-bind: 0000:01:00.0 is the boot display and nvidia (DRM card1) holds it: the host's console would go dark; its nodes are open by Xorg (pid 812) /dev/dri/card1, nvidia-persiste (pid 900) /dev/nvidiactl; --force takes it anyway" \
	"$VB" --dry-run --group 01:00.0
echo 0 >"$S/sys/bus/pci/devices/0000:01:00.0/boot_vga"
expect "a second GPU whose nodes processes hold" 3 \
	"vfio-bind: 0000:01:00.0 is in use by the host's graphics: its nodes are open by Xorg (pid 812) /dev/dri/card1, nvidia-persiste (pid 900) /dev/nvidiactl; --force takes it anyway" \
	"$VB" --dry-run --group 01:00.0
rm -rf "$S/proc/812" "$S/proc/900"
expect "without them it may go" 0 "" "$VB" --dry-run --group 01:00.0

# --- an EDAC driver on the host bridge of a group: not viable ---
fresh desktop-nvidia
g2=$S/sys/kernel/iommu_groups/2/devices
rm "$S/sys/kernel/iommu_groups/1/devices/0000:00:00.0"
ln -s ../../../../devices/pci0000:00/0000:00:00.0 "$g2/0000:00:00.0"
ln -sfn ../../../kernel/iommu_groups/2 "$S/sys/devices/pci0000:00/0000:00:00.0/iommu_group"
mkdir -p "$S/sys/bus/pci/drivers/ie31200_edac"
ln -sfn ../../../bus/pci/drivers/ie31200_edac "$S/sys/devices/pci0000:00/0000:00:00.0/driver"
expect "a group whose host bridge is on ie31200_edac" 3 \
	"vfio-bind: IOMMU group 2 cannot go to VFIO: its host bridge 0000:00:00.0 is on ie31200_edac, a driver that keeps the device's DMA (an EDAC or uncore driver on a host bridge), so the kernel calls the group not viable; unload ie31200_edac first" \
	"$VB" --dry-run --group 01:00.0
"$IG" --sysroot "$S" --group 2 >"$T/out" 2>&1
grep -qx "note: group 2 cannot go to VFIO while 0000:00:00.0 is on ie31200_edac, which keeps its DMA: the kernel calls the group not viable" "$T/out"
ok $? "iommu-groups says the group is not viable, and why"
rm "$S/sys/devices/pci0000:00/0000:00:00.0/driver"
"$IG" --sysroot "$S" --group 2 >"$T/out" 2>&1
! grep -q "not viable" "$T/out"
ok $? "and says nothing of it once the bridge is driverless"
expect "a driverless host bridge in the group is fine" 0 "" "$VB" --dry-run --group 01:00.0

# --- a VM holding the group, or the device's iommufd node ---
fresh chipset-mixed
mkdir -p "$S/proc/4242/fd"; echo qemu-system-x86 >"$S/proc/4242/comm"
ln -s /dev/vfio/6 "$S/proc/4242/fd/31"
expect "--unbind of a device a VM holds" 3 \
	"vfio-bind: 0000:06:00.1 is held by a running VM: qemu-system-x86 (pid 4242) /dev/vfio/6; stop the VM first (giving it back now would hang until the VM lets go)" \
	"$VB" --dry-run --unbind --group 06:00.1
expect "gpu-reset of a device a VM holds" 3 \
	"gpu-reset: 0000:06:00.1 is held by a running VM: qemu-system-x86 (pid 4242) /dev/vfio/6; --force resets it anyway" \
	"$GR" --dry-run 06:00.1
rm -rf "$S/proc/4242"
mkdir -p "$S/proc/4343/fd" "$S/sys/devices/pci0000:00/0000:00:03.1/0000:06:00.1/vfio-dev/vfio3"
echo qemu-system-x86 >"$S/proc/4343/comm"; ln -s /dev/vfio/devices/vfio3 "$S/proc/4343/fd/40"
expect "--unbind under an iommufd user" 3 \
	"vfio-bind: 0000:06:00.1 is held by a running VM: qemu-system-x86 (pid 4343) /dev/vfio/devices/vfio3; stop the VM first (giving it back now would hang until the VM lets go)" \
	"$VB" --dry-run --unbind 06:00.1

# --- a host that is itself a VM, without a virtual IOMMU ---
if [ -x "$IG" ]; then
	fresh iommu-off-nofw
	sed -i '0,/^flags\t\t: /s//&hypervisor /' "$S/proc/cpuinfo"
	out=$("$IG" --sysroot "$S" --check 2>&1); rc=$?
	[ $rc -eq 4 ] && grep -qx 'fail the hypervisor exposes no IOMMU to this virtual machine: no ACPI DMAR or IVRS table' <<<"$out" &&
		grep -q "^fail give the VM a virtual IOMMU on its host (QEMU: -machine q35,kernel-irqchip=split -device intel-iommu" <<<"$out" &&
		! grep -qi "BIOS/UEFI" <<<"$out"
	ok $? "a guest without an IOMMU is told to ask its hypervisor, not its firmware (exit $rc)"
	[ $rc -eq 4 ] || echo "$out" | sed 's/^/#   /'
fi
done_testing

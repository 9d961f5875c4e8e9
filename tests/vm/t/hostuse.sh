#!/bin/sh
# vm: timeout=240
# The host-use answer on a real kernel: a btrfs filesystem on an AHCI disk,
# eth0 in a bridge with the default route and with a TCP connection, the
# ICH9 platform functions under --group, the NVMe PF with VFs, processes
# holding /dev/dri and /dev/vfio nodes (refused at once, never blocking),
# gpu-reset of the controller of a mounted disk. Each refusal is exit 3 with
# the device and the reason named, and leaves every device as it was.
. /vm/lib.sh
command -v vfio-bind >/dev/null || skip_all "vfio-bind not built"

nic=$(pci_find 8086:10d3 | head -n 1)
nvme=$(pci_find 1b36:0010 | head -n 1)
ahci=$(pci_find 8086:2922 | grep -v ':1f\.' | head -n 1)
sata=$(pci_find 8086:2922 | grep ':1f\.' | head -n 1)
disp2=$(pci_find 1234:1111 | grep -v '00:02\.0' | head -n 1)
[ -n "$nic" ] && [ -n "$nvme" ] && [ -n "$ahci" ] && [ -n "$sata" ] || bail "a device of the machine is missing"
netdev=$(ls "/sys/bus/pci/devices/$nic/net" | head -n 1)
pids=

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	umount /mnt/b /mnt/n 2>/dev/null
	ip route del default 2>/dev/null
	ip addr flush dev br0 2>/dev/null
	ip link set "$netdev" nomaster 2>/dev/null
	ip link del br0 2>/dev/null
	ip addr flush dev "$netdev" 2>/dev/null
	ip link set "$netdev" down 2>/dev/null
	echo 0 >"/sys/bus/pci/devices/$nvme/sriov_numvfs" 2>/dev/null
	vfio-bind --unbind "$nic" >/dev/null 2>&1
	rm -rf /run/passthru-utils
}
trap 'cleanup' EXIT

# refused NAME WANT-SUBSTRING CMD...: exit 3, one line on stderr naming it
refused() {
	_name=$1 _want=$2
	shift 2
	_err=$(timeout 20 "$@" 2>&1 >/dev/null)
	_rc=$?
	is "$_rc" 3 "$_name: exit 3"
	case "$_err" in
	*"$_want"*) pass "$_name: names the reason" ;;
	*) fail "$_name: names the reason"; diag "want: $_want"; diag "got: $_err" ;;
	esac
	is "$(printf '%s\n' "$_err" | wc -l)" 1 "$_name: one line"
}

# --- btrfs: its major:minor is anonymous (0:N); the kernel and sysfs know ---
mkdir -p /mnt/b /mnt/n
if mkfs.btrfs -f -M /dev/sdb >/dev/null 2>&1 && mount -t btrfs /dev/sdb /mnt/b; then
	refused "the controller of a mounted btrfs" "$ahci holds disks the host uses: sdb (btrfs) is mounted on /mnt/b" \
		vfio-bind "$ahci"
	is "$(pci_driver "$ahci")" ahci "the AHCI controller stays on ahci"
	umount /mnt/b
	out=$(vfio-bind --dry-run "$ahci" 2>&1); rc=$?
	is "$rc" 0 "unmounted, the controller may go (dry run)"
else
	fail "mkfs.btrfs and mount on sdb"
fi

# --- gpu-reset of the NVMe controller while its namespace is mounted ---
if mke2fs -F /dev/nvme0n1 >/dev/null 2>&1 && mount -t ext4 /dev/nvme0n1 /mnt/n; then
	refused "gpu-reset of the controller of a mounted disk" \
		"$nvme holds disks the host uses: nvme0n1 (ext4) is mounted on /mnt/n" gpu-reset "$nvme"
	umount /mnt/n
	dd if=/dev/zero of=/dev/nvme0n1 bs=64k count=16 2>/dev/null
else
	fail "mke2fs and mount on nvme0n1"
fi

# --- eth0 in a bridge carrying the default route ---
ip link add br0 type bridge && ip link set "$netdev" master br0 && ip link set "$netdev" up &&
	ip addr add 10.0.2.15/24 dev br0 && ip link set br0 up
if ip route add default via 10.0.2.2 dev br0; then
	refused "eth0 in a bridge with the default route" \
		"$nic is the host's network: its interface $netdev is under br0 (bridge), which carries the default route" \
		vfio-bind "$nic"
	is "$(pci_driver "$nic")" e1000e "the NIC stays on e1000e"
	ip route del default
else
	fail "a default route on br0"
fi
# --- a default route in another routing table (policy routing) ---
if ip route add default via 10.0.2.2 dev br0 table 100; then
	refused "a default route in routing table 100" \
		"its interface $netdev is under br0 (bridge), which carries a default route (IPv4, routing table 100)" \
		vfio-bind "$nic"
	ip route del default via 10.0.2.2 dev br0 table 100
else
	fail "a default route in table 100"
fi
# --- and an established TCP connection to br0's address (through lo) ---
lo_was=$(cat /sys/class/net/lo/operstate)
ip link set lo up
# busybox's nc (another nc may be on PATH); each end keeps its stdin open
(sleep 30 | busybox nc -l -p 2222) >/dev/null 2>&1 &
pids="$pids $!"
sleep 1
(sleep 30 | busybox nc 10.0.2.15 2222) >/dev/null 2>&1 &
pids="$pids $!"
sleep 1
if cat /proc/net/tcp /proc/net/tcp6 | grep -q '0F02000A:08AE [0-9A-F:]* 01 '; then
	refused "a NIC under a bridge with an established connection" \
		"under br0 (bridge), which carries the established TCP connection 10.0.2.15:" \
		vfio-bind "$nic"
else
	fail "an established TCP connection on 10.0.2.15:2222"
	diag "$(cat /proc/net/tcp /proc/net/tcp6)"
fi
for p in $pids; do kill "$p" 2>/dev/null; done; pkill -f "busybox nc" 2>/dev/null
pids=
[ "$lo_was" = up ] || [ "$lo_was" = unknown ] || ip link set lo down
ip addr flush dev br0; ip link set "$netdev" nomaster; ip link del br0
ip link set "$netdev" down
out=$(vfio-bind --dry-run "$nic" 2>&1); rc=$?
is "$rc" 0 "out of the bridge and without routes, the NIC may go (dry run)"

# --- --group on the ICH9 SATA function takes no platform function ---
before=$(for f in 0 2 3; do printf '%s ' "$(pci_driver 0000:00:1f.$f)"; done)
refused "--group on the ICH9 SATA function" \
	"0000:00:1f.0 (ISA bridge) is a platform function of the chipset: the host's RTC, TPM, super I/O and firmware flash hang off it; 0000:00:1f.3 (SMBus) is a platform function of the chipset: the host's temperature sensors and memory SPD hang off it; --force takes them anyway" \
	vfio-bind --group "$sata"
is "$(for f in 0 2 3; do printf '%s ' "$(pci_driver 0000:00:1f.$f)"; done)" "$before" "every ICH9 function is where it was"
is "$(cat /sys/bus/pci/devices/$sata/driver_override)" "(null)" "no driver_override was written"

# --- the NVMe PF with two VFs ---
if echo 2 >"/sys/bus/pci/devices/$nvme/sriov_numvfs"; then
	vf1=$(basename "$(readlink "/sys/bus/pci/devices/$nvme/virtfn0")")
	vf2=$(basename "$(readlink "/sys/bus/pci/devices/$nvme/virtfn1")")
	refused "the NVMe PF with 2 VFs" \
		"$nvme has 2 SR-IOV VFs enabled ($vf1, $vf2): vfio-pci refuses a PF with VFs" vfio-bind "$nvme"
	refused "and --force does not change that" "has 2 SR-IOV VFs enabled" vfio-bind --force "$nvme"
	is "$(cat "/sys/bus/pci/devices/$nvme/sriov_numvfs") $(pci_driver "$nvme")" "2 nvme" "the VFs survive, the PF stays on nvme"
	ok "both VFs still exist" test -e "/sys/bus/pci/devices/$vf1" -a -e "/sys/bus/pci/devices/$vf2"
	refused "a reset of the PF names its VFs" "which a reset of it resets too: $vf1, $vf2" gpu-reset "$nvme"
	echo 0 >"/sys/bus/pci/devices/$nvme/sriov_numvfs"
else
	fail "2 VFs on the NVMe"
fi

# --- a process holding a DRM node ---
if [ -n "$disp2" ] && [ -e /dev/dri/card1 ]; then
	card=$(ls "/sys/bus/pci/devices/$disp2/drm" | grep '^card' | head -n 1)
	sleep 300 <"/dev/dri/$card" &
	holder=$!
	pids="$pids $holder"
	sleep 1
	refused "a GPU whose card node a process holds" \
		"$disp2 is in use by the host's graphics: its nodes are open by sleep (pid $holder) /dev/dri/$card" \
		vfio-bind "$disp2"
	kill "$holder"; pids=
	is "$(pci_driver "$disp2")" bochs-drm "the display stays on bochs-drm"
else
	fail "a second bochs display with a DRM card"
fi

# --- the boot display, with a process holding its card0 ---
if [ -e /dev/dri/card0 ] && [ -e /sys/bus/pci/devices/0000:00:02.0/drm/card0 ]; then
	sleep 300 </dev/dri/card0 &
	holder=$!
	pids="$pids $holder"
	sleep 1
	refused "the boot display, its card0 held open" \
		"0000:00:02.0 is the boot display and fb0 \"bochs-drmdrmfb\" holds it: the host's console would go dark; its nodes are open by sleep (pid $holder) /dev/dri/card0" \
		vfio-bind 0000:00:02.0
	kill "$holder"; pids=
	is "$(pci_driver 0000:00:02.0)" bochs-drm "the boot display stays on bochs-drm"
else
	fail "card0 on the boot display"
fi

# --- a VM holding /dev/vfio/N: refused at once, nothing blocks ---
group=$(basename "$(readlink "/sys/bus/pci/devices/$nic/iommu_group")")
if vfio-bind "$nic" >/dev/null 2>&1; then
	sleep 300 <"/dev/vfio/$group" &
	holder=$!
	pids="$pids $holder"
	sleep 1
	t0=$(date +%s)
	refused "--unbind of a device a VM holds" \
		"$nic is held by a running VM: sleep (pid $holder) /dev/vfio/$group; stop the VM first" \
		vfio-bind --unbind "$nic"
	refused "gpu-reset of a device a VM holds" \
		"$nic is held by a running VM: sleep (pid $holder) /dev/vfio/$group; --force resets it anyway" \
		gpu-reset "$nic"
	ok "both answered at once (under 10 s)" test $(($(date +%s) - t0)) -lt 10
	is "$(pci_driver "$nic") $(cat "/sys/bus/pci/devices/$nic/driver_override")" "vfio-pci vfio-pci" \
		"the NIC is untouched: still on vfio-pci"
	kill "$holder"; pids=
	sleep 1
	vfio-bind --unbind "$nic" >/dev/null 2>&1
	is "$(pci_driver "$nic")" e1000e "once the holder is gone, --unbind gives it back"
else
	fail "vfio-bind $nic"
fi

cleanup
trap - EXIT
done_testing

#!/bin/sh
# vm: timeout=240
# vfio-bind on a real kernel: bind the e1000e and give it back (by address
# and by ID), the group rule with the ICH9 functions, the host's display,
# disk and network refused, the lock, persistence applied before the driver
# loads, and (with the fault-injecting build) a failure midway rolled back.
# Leaves every device where it found it.
. /vm/lib.sh
command -v vfio-bind >/dev/null || skip_all "vfio-bind not built"

nic=$(pci_find 8086:10d3 | head -n 1)
[ -n "$nic" ] || bail "no e1000e in the guest"
nvme=$(pci_find 1b36:0010 | head -n 1)
d=/sys/bus/pci/devices/$nic
group=$(basename "$(readlink "$d/iommu_group")")
netdev=$(ls "$d/net" | head -n 1)

restore() {
	for b in $nic $nvme; do
		echo >"/sys/bus/pci/devices/$b/driver_override"
	done
	[ "$(pci_driver "$nic")" = e1000e ] || { modprobe e1000e; [ -e "$d/driver" ] && echo "$nic" >"$d/driver/unbind"; echo "$nic" >/sys/bus/pci/drivers/e1000e/bind; }
	[ -n "$nvme" ] && [ "$(pci_driver "$nvme")" != nvme ] && { [ -e "/sys/bus/pci/devices/$nvme/driver" ] && echo "$nvme" >"/sys/bus/pci/devices/$nvme/driver/unbind"; echo "$nvme" >/sys/bus/pci/drivers/nvme/bind; }
	rm -rf /etc/driverctl.d /run/passthru-utils
	ip route del default 2>/dev/null
	umount /mnt/t 2>/dev/null
}
trap 'restore 2>/dev/null' EXIT

# --- bind and give back, by address ---
out=$(vfio-bind "$nic" 2>&1); rc=$?
is "$rc" 0 "vfio-bind $nic exits 0"
is "$out" "$nic e1000e -> vfio-pci (group $group)
/dev/vfio/$group ready" "it says what it did"
is "$(pci_driver "$nic")" vfio-pci "the driver link is vfio-pci"
ok "/dev/vfio/$group is a character device" test -c "/dev/vfio/$group"
is "$(cat /run/passthru-utils/vfio-bind/$nic)" e1000e "the original driver is recorded under /run"
is "$(cat "$d/driver_override")" vfio-pci "driver_override holds vfio-pci while bound"

out=$(vfio-bind "$nic" 2>&1)
is "$out" "$nic already on vfio-pci (group $group)
/dev/vfio/$group ready" "binding again changes nothing"

out=$(vfio-bind --unbind "$nic" 2>&1); rc=$?
is "$rc" 0 "vfio-bind --unbind exits 0"
is "$out" "$nic vfio-pci -> e1000e (group $group)" "it says where the device went"
is "$(pci_driver "$nic")" e1000e "e1000e owns the NIC again"
is "$(cat "$d/driver_override")" "(null)" "driver_override is cleared"
is "$(ls "$d/net" | head -n 1)" "$netdev" "its interface $netdev is back"
ok "the record is gone" test ! -e "/run/passthru-utils/vfio-bind/$nic"

# --- by ID, and JSON ---
json=$(vfio-bind -J 8086:10d3); rc=$?
is "$rc" 0 "vfio-bind 8086:10d3 exits 0"
is "$(echo "$json" | jq -r '.devices[] | "\(.bdf) \(.before) \(.after) \(.group)"')" "$nic e1000e vfio-pci $group" "JSON names the device, before and after"
is "$(pci_driver "$nic")" vfio-pci "bound by ID"
vfio-bind --unbind 8086:10d3 >/dev/null
is "$(pci_driver "$nic")" e1000e "given back by ID"

# --- the group rule: the ICH9 functions share one group ---
smbus=$(pci_find 8086:2930 | head -n 1)
sata=$(pci_find 8086:2922 | grep ':1f\.' | head -n 1)
if [ -n "$smbus" ] && [ -n "$sata" ]; then
	err=$(vfio-bind "$smbus" 2>&1 >/dev/null); rc=$?
	is "$rc" 3 "binding the SMBus function alone is refused (exit 3)"
	case "$err" in
	*"$smbus (SMBus) is a platform function of the chipset"*"--force takes it anyway") pass "as a platform function" ;;
	*) fail "as a platform function"; diag "$err" ;;
	esac
	err=$(vfio-bind --force "$smbus" 2>&1 >/dev/null); rc=$?
	is "$rc" 3 "with --force, the group rule still refuses it (exit 3)"
	case "$err" in
	*"also holds $sata (ahci)"*"--group takes"*) pass "the refusal names $sata (ahci) and --group" ;;
	*) fail "the refusal names $sata (ahci) and --group"; diag "$err" ;;
	esac
	is "$(pci_driver "$sata")" ahci "$sata untouched"
else
	fail "ICH9 SMBus and SATA functions found"
fi

# --- the host's own devices ---
err=$(vfio-bind 00:02.0 2>&1 >/dev/null); rc=$?
is "$rc" 3 "the boot display with its console is refused"
case "$err" in *"boot display"*"--force"*) pass "and it says why and what overrides" ;; *) fail "boot display message"; diag "$err" ;; esac
is "$(pci_driver 0000:00:02.0)" bochs-drm "the display stays on bochs-drm"

ahci=$(pci_find 8086:2922 | grep -v ':1f\.' | head -n 1)
mkdir -p /mnt/t
# busybox's mke2fs makes ext2; the ext4 driver mounts it
if [ -n "$ahci" ] && mke2fs -F /dev/sda >/dev/null 2>&1 && mount -t ext4 /dev/sda /mnt/t; then
	err=$(vfio-bind "$ahci" 2>&1 >/dev/null); rc=$?
	is "$rc" 3 "the controller of a mounted disk is refused"
	case "$err" in *"sda (ext4) is mounted on /mnt/t"*) pass "naming sda, its type and mount point" ;; *) fail "mounted disk message"; diag "$err" ;; esac
	umount /mnt/t
	dd if=/dev/zero of=/dev/sda bs=64k count=16 2>/dev/null
	out=$(vfio-bind --dry-run "$ahci" 2>&1); rc=$?
	is "$rc" 0 "unmounted, the controller may go (dry run)"
else
	fail "a disk to mount on the AHCI controller"
fi

ip link set "$netdev" up && ip addr add 10.0.2.15/24 dev "$netdev" 2>/dev/null
if ip route add default via 10.0.2.2 dev "$netdev"; then
	err=$(vfio-bind "$nic" 2>&1 >/dev/null); rc=$?
	is "$rc" 3 "the NIC with the default route is refused"
	case "$err" in *"$netdev carries the default route"*) pass "naming $netdev" ;; *) fail "default route message"; diag "$err" ;; esac
	ip route del default
fi
ip addr flush dev "$netdev"; ip link set "$netdev" down

# --- one run at a time ---
mkdir -p /run/passthru-utils
( flock -x 9; sleep 14 ) 9>/run/passthru-utils/lock &
holder=$!
sleep 1
err=$(vfio-bind "$nic" 2>&1 >/dev/null); rc=$?
is "$rc" 1 "a second run fails after waiting for the lock"
case "$err" in *"another run"*"is changing devices"*) pass "and says another run holds it" ;; *) fail "lock message"; diag "$err" ;; esac
is "$(pci_driver "$nic")" e1000e "nothing changed meanwhile"
wait "$holder"

# --- persistence: the rule's helper runs before e1000e loads ---
vfio-bind --persist "$nic" >/dev/null
is "$(cat "/etc/driverctl.d/pci-$nic")" vfio-pci "--persist writes driverctl's file"
vfio-bind --unbind "$nic" >/dev/null
echo "$nic" >"$d/driver/unbind"
modprobe -r e1000e
ok "e1000e is unloaded (the 'boot' before the driver)" test ! -e /sys/bus/pci/drivers/e1000e
vfio-bind --apply-persistent "$nic" >/dev/null
modprobe e1000e
is "$(pci_driver "$nic")" vfio-pci "e1000e loaded after the helper never binds the NIC"
list=$(vfio-bind --list)
case "$list" in *"$nic"*vfio-pci*vfio-pci*) pass "--list shows it on vfio-pci and persisted" ;; *) fail "--list"; diag "$list" ;; esac
vfio-bind --unbind --unpersist "$nic" >/dev/null
ok "--unpersist removes the file" test ! -e "/etc/driverctl.d/pci-$nic"
is "$(pci_driver "$nic")" e1000e "and --unbind gives the NIC to e1000e"

# --- a failure midway: every device goes back (fault-injecting build) ---
if [ -x /faults/vfio-bind ] && [ -n "$nvme" ]; then
	# writes: NIC override, unbind, probe; NVMe override, unbind (the 5th fails)
	err=$(PASSTHRU_FAIL_WRITE=5 /faults/vfio-bind "$nic" "$nvme" 2>&1 >/dev/null); rc=$?
	is "$rc" 1 "an injected failure on the 5th write fails the run"
	is "$(pci_driver "$nic")" e1000e "the NIC, already bound, went back to e1000e"
	is "$(pci_driver "$nvme")" nvme "the NVMe stayed on nvme"
	is "$(cat "$d/driver_override") $(cat "/sys/bus/pci/devices/$nvme/driver_override")" "(null) (null)" "both overrides cleared"
	ok "no records left" test -z "$(ls /run/passthru-utils/vfio-bind 2>/dev/null)"
else
	pass "# SKIP no fault-injecting build in /faults"
fi

restore
trap - EXIT
done_testing

#!/bin/sh
# vm: timeout=300
# Nested passthrough for real: bind the e1000e to vfio-pci with vfio-bind
# (plain sysfs writes when it is not built), let a QEMU inside the guest take
# it (query-pci shows 8086:10d3 as qdev hostdev0: group opened, container
# set, BARs mapped), then give the NIC back to e1000e.  Leaves the guest as
# it found it.
. /vm/lib.sh

bdf=$(pci_find 8086:10d3 | head -n 1)
[ -n "$bdf" ] || bail "no e1000e (8086:10d3) in the guest"
d=/sys/bus/pci/devices/$bdf
group=$(basename "$(readlink "$d/iommu_group")")
is "$(pci_driver "$bdf")" e1000e "$bdf starts on e1000e"
netdev=$(ls "$d/net" 2>/dev/null | head -n 1)
ok "$bdf has a network interface ($netdev)" test -n "$netdev"

give_back() {
	if command -v vfio-bind >/dev/null; then
		vfio-bind --unbind "$bdf" >&2
		return
	fi
	echo >"$d/driver_override"
	[ -e "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
}
# Whatever happens below, the NIC goes back to e1000e.
trap 'give_back 2>/dev/null' EXIT

if command -v vfio-bind >/dev/null; then
	ok "vfio-bind $bdf" vfio-bind "$bdf"
	how="vfio-bind"
else
	modprobe vfio-pci
	echo vfio-pci >"$d/driver_override"
	echo "$bdf" >"$d/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	how="driver_override + drivers_probe"
fi
is "$(pci_driver "$bdf")" vfio-pci "$bdf bound to vfio-pci by $how"
ok "/dev/vfio/$group exists" test -c "/dev/vfio/$group"

# The inner QEMU: no guest code runs (-S); QMP answers query-pci.
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-pci"}' \
	'{"execute":"quit"}' |
	timeout 200 qemu-system-x86_64 -machine q35,accel=tcg -m 128 -nodefaults \
		-nographic -S -device "vfio-pci,host=$bdf,id=hostdev0" -qmp stdio \
		>qmp.out 2>qemu.err
rc=$?
is "$rc" 0 "inner qemu-system-x86_64 with vfio-pci,host=$bdf ran and quit"
[ "$rc" = 0 ] || sed 's/^/#   qemu: /' qemu.err >&2
ids=$(jq -r 'select(.return | type == "array") | .return[].devices[] |
	select(.qdev_id == "hostdev0") | "\(.id.vendor) \(.id.device)"' qmp.out 2>/dev/null)
is "$ids" "$(printf '%d %d' 0x8086 0x10d3)" "query-pci shows 8086:10d3 as qdev hostdev0"
[ -n "$ids" ] || sed 's/^/#   qmp: /' qmp.out >&2

give_back
trap - EXIT
is "$(cat "$d/driver_override")" "(null)" "driver_override cleared"
is "$(pci_driver "$bdf")" e1000e "$bdf back on e1000e"
is "$(ls "$d/net" 2>/dev/null | head -n 1)" "$netdev" "network interface $netdev is back"
done_testing

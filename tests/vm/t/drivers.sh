#!/bin/sh
# vfio-bind --driver on a real kernel: the e1000e to pci-stub (the same
# override, unbind and probe as vfio-pci, no /dev/vfio), back with
# --unbind; pciback on a kernel that is no Xen dom0: refused before
# anything is written, the NIC left on e1000e.
. /vm/lib.sh
command -v vfio-bind >/dev/null || skip_all "vfio-bind not built"
nic=$(pci_find 8086:10d3 | head -n 1)
[ -n "$nic" ] || bail "no e1000e"
d=/sys/bus/pci/devices/$nic
group=$(basename "$(readlink "$d/iommu_group")")
trap 'echo >"$d/driver_override"; [ "$(pci_driver "$nic")" = e1000e ] || { [ -e "$d/driver" ] && echo "$nic" >"$d/driver/unbind"; echo "$nic" >/sys/bus/pci/drivers_probe; }; rm -rf /run/passthru-utils' EXIT

out=$(vfio-bind --driver pci-stub "$nic" 2>&1); rc=$?
is "$rc|$out" "0|$nic e1000e -> pci-stub (group $group)" "--driver pci-stub: exit 0, one line, no /dev/vfio line"
is "$(pci_driver "$nic")|$(cat "$d/driver_override")" "pci-stub|pci-stub" "pci-stub owns the NIC, the override holds it"
is "$(head -n 1 "/run/passthru-utils/vfio-bind/$nic")" e1000e "the record says e1000e"
out=$(vfio-bind --driver pci-stub "$nic" 2>&1); rc=$?
is "$rc|$out" "0|$nic already on pci-stub (group $group)" "again: already there"
out=$(vfio-bind --unbind "$nic" 2>&1); rc=$?
is "$rc|$out" "0|$nic pci-stub -> e1000e (group $group)" "--unbind: back to e1000e"
is "$(pci_driver "$nic")|$(cat "$d/driver_override")" "e1000e|(null)" "on e1000e, no override"
ok "no record left" test ! -e "/run/passthru-utils/vfio-bind/$nic"

out=$(vfio-bind --driver pciback "$nic" 2>&1); rc=$?
is "$rc|$out" "4|vfio-bind: --driver pciback: this host is no Xen dom0 (/sys/hypervisor/type, /proc/xen/capabilities): xen-pciback works under Xen only; --print-modprobe prints its boot configuration" \
	"--driver pciback on a kernel that is no Xen dom0: exit 4, said so"
is "$(pci_driver "$nic")|$(cat "$d/driver_override")" "e1000e|(null)" "the NIC stays on e1000e"
done_testing

#!/bin/sh
# vm: timeout=300
# The recipe, with Xen's own tools only: this is a Xen dom0 whose IOMMU
# Xen owns (VT-d, interrupt remapping), dom0's Linux sees no IOMMU groups,
# and the e1000e goes to a PV domU by hand (xl pci-assignable-add, a
# hand-written xl.cfg), gets a DHCP lease there, and comes back to e1000e.
. /vm/lib.sh
. /vm/xen.sh

BDF=0000:00:01.0
DOMU=dom0-t
cleanup() {
	domu_gone $DOMU
	if [ "$(pci_driver $BDF)" != e1000e ]; then
		xl pci-assignable-remove -r $BDF >&2 2>&1
		[ -n "$(pci_driver $BDF)" ] || echo $BDF >/sys/bus/pci/drivers/e1000e/bind 2>/dev/null
	fi
}
trap cleanup EXIT

# ---- the hypervisor
is "$(cat /sys/hypervisor/type)" xen "/sys/hypervisor/type is xen"
is "$(cat /proc/xen/capabilities)" control_d "/proc/xen/capabilities: control_d (this is dom0)"
xl info >info.txt 2>info.err
is "$?" 0 "xl info works"
caps=$(sed -n 's/^virt_caps *: //p' info.txt)
note "virt_caps: $caps"
is "$(printf '%s\n' $caps | grep -x -e pv_directio -e hvm_directio | sort | tr '\n' ' ')" \
	"hvm_directio pv_directio " "xl info: virt_caps has pv_directio and hvm_directio"
is "$(sed -n 's/^xen_version *: //p' info.txt)" "4.17.$(sed -n 's/^xen_extra *: \.//p' info.txt)" \
	"xl info: Xen 4.17"
xl dmesg >dmesg.txt
is "$(grep -c '^(XEN) \[VT-D\]drhd->address = fed90000' dmesg.txt)" 1 \
	"xl dmesg: Xen's VT-d driver took QEMU's DMAR unit (fed90000)"
for line in "Intel VT-d Queued Invalidation enabled." "Intel VT-d Interrupt Remapping enabled." \
	"I/O virtualisation enabled" "Interrupt remapping enabled"; do
	is "$(grep -cx "(XEN) $line" dmesg.txt)" 1 "xl dmesg: $line"
done

# ---- what dom0's Linux sees: no IOMMU (the issue's point)
ok "/sys/kernel/iommu_groups exists" test -d /sys/kernel/iommu_groups
is "$(ls -A /sys/kernel/iommu_groups)" "" "/sys/kernel/iommu_groups is empty in dom0"
ok "dom0 has no DMAR table (Xen hides it)" test ! -e /sys/firmware/acpi/tables/DMAR
is "$(ls /sys/class/iommu 2>/dev/null)" "" "dom0 has no /sys/class/iommu entries"

# ---- the NIC, made assignable by hand
is "$(pci_driver $BDF)" e1000e "the NIC is on e1000e"
ok "xen-pciback is loaded" test -d /sys/bus/pci/drivers/pciback
is "$(xl_assignable)" "" "xl pci-assignable-list is empty"
ok "xl pci-assignable-add $BDF" logged add.log xl pci-assignable-add $BDF
is "$(pci_driver $BDF)" pciback "the NIC is on pciback"
is "$(xl_assignable)" "$BDF" "xl pci-assignable-list lists the NIC"
ok "dom0 has no eth0 any more" test ! -e /sys/class/net/eth0

# ---- a PV domU from a hand-written xl.cfg
domu_cfg domu.cfg $DOMU $BDF
t0=$(cut -d' ' -f1 /proc/uptime)
ok "xl create domu.cfg" logged create.log xl create domu.cfg
t1=$(cut -d' ' -f1 /proc/uptime)
note "xl create took $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s"
ok "xl knows the domU" domu_exists $DOMU
domu_console $DOMU console.txt
is "$(xl pci-list $DOMU | tr -s ' ')" "Vdev Device
00.0 $BDF" "xl pci-list: the domU holds the NIC"
if domu_wait console.txt '^DOMU-DONE' 150; then
	pass "the domU ran its DHCP client"
else
	fail "the domU ran its DHCP client"
	diag "domU console (last lines):"
	tr -d '\r' <console.txt | tail -n 20 | sed 's/^/#   /' >&2
fi
t2=$(cut -d' ' -f1 /proc/uptime)
note "domU console done $(echo "$t1 $t2" | awk '{ printf "%.1f", $2 - $1 }') s after xl create"
is "$(domu_line console.txt DOMU-PCI)" "DOMU-PCI 0000:00:00.0 8086:10d3 e1000e" \
	"in the domU, the NIC is 00:00.0 (pcifront) on e1000e"
is "$(domu_line console.txt DOMU-LEASE)" \
	"DOMU-LEASE eth0 ip=10.0.2.15 mask=255.255.255.0 server=10.0.2.2" \
	"the domU got a DHCP lease on the passed NIC"
is "$(domu_line console.txt DOMU-DONE | cut -d' ' -f2)" rc=0 "udhcpc exited 0"

# ---- and back
ok "xl destroy" logged destroy.log xl destroy $DOMU
is "$(xl domid $DOMU 2>/dev/null)" "" "the domU is gone"
is "$(xl_assignable)" "$BDF" "the NIC is assignable again after the domU"
ok "xl pci-assignable-remove -r $BDF" logged remove.log xl pci-assignable-remove -r $BDF
is "$(pci_driver $BDF)" e1000e "the NIC is back on e1000e"
is "$(xl_assignable)" "" "xl pci-assignable-list is empty again"
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok "dom0 has eth0 again" test -e /sys/class/net/eth0
done_testing

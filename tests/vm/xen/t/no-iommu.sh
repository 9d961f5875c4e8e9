#!/bin/sh
# vm: fresh-boot
# xen: no-viommu
# A Xen dom0 on a machine without an IOMMU (no intel-iommu, so no DMAR
# table): Xen says I/O virtualisation is disabled, xl cannot give the NIC
# to a domU, and iommu-groups --check fails (exit 4) naming the firmware
# setting and Xen's iommu= option.
. /vm/lib.sh
. /vm/xen.sh
command -v iommu-groups >/dev/null || skip_all "iommu-groups not built"
BDF=0000:00:01.0
DOMU=noio
d=/sys/bus/pci/devices/$BDF
cleanup() {
	domu_gone $DOMU
	vfio-bind --unbind $BDF >/dev/null 2>&1
	echo >$d/driver_override
	[ -n "$(pci_driver $BDF)" ] || echo $BDF >/sys/bus/pci/drivers/e1000e/bind 2>/dev/null
}
trap cleanup EXIT

xl dmesg >dmesg.txt
is "$(grep -c -e '^(XEN) I/O virtualisation disabled$' -e '^(XEN) \[VT-D\]' dmesg.txt)" 1 \
	"xl dmesg: I/O virtualisation disabled, no VT-d unit"
is "$(xl info | sed -n 's/^virt_caps *: //p' | tr ' ' '\n' | grep -c directio)" 0 \
	"xl info: no directio in virt_caps"
ok "no DMAR table in dom0" test ! -e /sys/firmware/acpi/tables/DMAR

xv=$(xl info | sed -n 's/^xen_version *: //p')
out=$(iommu-groups --check 2>&1); rc=$?
is "$rc" 4 "iommu-groups --check: exit 4 (not supported on this host)"
is "$(echo "$out" | grep '^fail')" "fail Xen has no IOMMU: xl info lists no pv_directio or hvm_directio in virt_caps (xl dmesg: I/O virtualisation disabled)
fail enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) in the firmware setup; if it is on, add iommu=on to Xen's command line (GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, then update-grub) and read xl dmesg for why Xen turned it off" \
	"it says Xen has no IOMMU and names the firmware setting and Xen's iommu=on"
is "$(echo "$out" | head -n 1)" "info Xen $xv dom0: devices would go to guests through xen-pciback and xl, but Xen runs without an IOMMU here (below)" \
	"it says this is a Xen $xv dom0, without claiming Xen owns an IOMMU"
is "$(iommu-groups -J --check 2>/dev/null | jq -c '[.can_assign, [.checks[] | select(.status == "fail") | .check]]')" \
	'[false,["iommu","fix"]]' "iommu-groups -J --check: can_assign false; iommu and fix fail"

# what the check predicts: xl cannot pass the NIC without an IOMMU (xl
# pci-assignable-add itself fails here: "failed to quarantine")
if command -v vfio-bind >/dev/null; then
	out=$(vfio-bind --driver pciback $BDF 2>&1); rc=$?
	is "$rc|$out" "4|vfio-bind: --driver pciback: Xen has no IOMMU here (xl info: no directio in virt_caps), so xl cannot give a guest any device; iommu-groups --check says what to change" \
		"vfio-bind --driver pciback refuses: Xen has no IOMMU (exit 4)"
	is "$(pci_driver $BDF)|$(cat $d/driver_override)" "e1000e|(null)" "the NIC stays on e1000e, no override"
	if command -v vm-run >/dev/null; then
		vm-run --emit xl --kernel $DOMU_KERNEL --initrd $DOMU_INITRD --device $BDF --mem 256M \
			--name $DOMU >emit.cfg 2>emit.err
		is "$?|$(grep '^pci' emit.cfg)" "0|pci = [ '$BDF' ]" "vm-run --emit xl writes the xl.cfg"
		ok "and warns that xl create will refuse the device" \
			grep -qx "vm-run: warning: Xen has no IOMMU for PV guests here (xl info: virt_caps): xl create will refuse the devices (iommu-groups --check says what to change)" emit.err
	fi
	# what the refusal predicts, by hand: pciback through driver_override,
	# then xl create refuses the device
	echo pciback >$d/driver_override
	echo $BDF >$d/driver/unbind
	echo $BDF >/sys/bus/pci/drivers_probe
	is "$(pci_driver $BDF)" pciback "by hand: the NIC on pciback"
	domu_cfg domu.cfg $DOMU $BDF
	xl create domu.cfg >create.log 2>&1; rc=$?
	is "$([ $rc != 0 ] && echo failed)|$(grep -c 'passthrough not supported on this platform$' create.log)" "failed|1" \
		"xl create of a domU with pci = [ '$BDF' ]: passthrough not supported on this platform"
	is "$(xl domid $DOMU 2>/dev/null)" "" "no domU is left"
	echo >$d/driver_override
	echo $BDF >$d/driver/unbind
	echo $BDF >/sys/bus/pci/drivers_probe
	is "$(pci_driver $BDF)|$(cat $d/driver_override)" "e1000e|(null)" "by hand: back on e1000e, no override"
else
	pass "# SKIP vfio-bind not built"
fi
done_testing

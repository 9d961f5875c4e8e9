#!/bin/sh
# vm: timeout=300
# The toolkit on a real Xen dom0: iommu-groups --check asks Xen and says it
# can assign; vfio-bind --driver pciback makes the e1000e assignable (xl
# lists it), all or nothing (a failed write or a SIGKILL at each step puts
# it back, the latter through --restore); vm-run --emit xl writes an xl.cfg
# that xl create starts as a PV domU holding the NIC, which gets a DHCP
# lease over it; vfio-bind --unbind refuses while the domU holds it, and
# after xl destroy gives it back to e1000e.
. /vm/lib.sh
. /vm/xen.sh
for c in iommu-groups vfio-bind vm-run; do
	command -v $c >/dev/null || skip_all "$c not built"
done
BDF=0000:00:01.0
DOMU=t
d=/sys/bus/pci/devices/$BDF
VB=/faults/vfio-bind
[ -x $VB ] || VB=

state() { echo "$(pci_driver $BDF)/$(cat $d/driver_override)"; }
leftovers() {
	ls /run/passthru-utils/vfio-bind 2>/dev/null
	ls /run/passthru-utils/journal /run/passthru-utils/*.tmp 2>/dev/null
}
cleanup() {
	domu_gone $DOMU
	vfio-bind --restore >/dev/null 2>&1
	vfio-bind --unbind $BDF >/dev/null 2>&1
	echo >$d/driver_override
	if [ "$(pci_driver $BDF)" != e1000e ]; then
		[ -e $d/driver ] && echo $BDF >$d/driver/unbind
		echo $BDF >/sys/bus/pci/drivers/e1000e/bind
	fi
	rm -rf /run/passthru-utils
}
trap cleanup EXIT

xv=$(xl info | sed -n 's/^xen_version *: //p')
is "$xv" "4.17.$(xl info | sed -n 's/^xen_extra *: \.//p')" "Xen 4.17 ($xv)"

# ---- iommu-groups --check: Xen, not "enable the IOMMU in the firmware"
out=$(iommu-groups --check 2>&1); rc=$?
is "$rc" 0 "iommu-groups --check exits 0 on the dom0"
is "$out" "ok   Xen $xv dom0: Xen owns the IOMMU, so this kernel sees no DMAR/IVRS table and no IOMMU groups; devices go to guests through xen-pciback (vfio-bind --driver pciback) and xl
ok   Xen's I/O virtualisation is on (Intel VT-d): passthrough to PV and HVM guests
ok   interrupt remapping: on (Xen)
ok   xen-pciback: loaded" "iommu-groups --check names Xen, its VT-d, interrupt remapping and xen-pciback"
out=$(iommu-groups -J --check 2>/dev/null); rc=$?
is "$rc|$(echo "$out" | jq -c '[.can_assign, .trustworthy, [.checks[] | .check + "=" + .status]]')" \
	'0|[true,true,["xen=ok","iommu=ok","interrupt-remapping=ok","xen-pciback=ok"]]' \
	"iommu-groups -J --check: can_assign, every check ok"
# The computed groups (no kernel groups on a dom0): the VM tier's machine
# has them from Linux; here the e1000e is alone and 00:1f.* are one group.
is "$(iommu-groups 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^0000:/ { print $1, $2, $7 }' | tr '\n' ' ')" \
	"0 0000:00:00.0 bridge 1 0000:00:01.0 alone 2 0000:00:1f.0 platform 2 0000:00:1f.2 shared 2 0000:00:1f.3 platform " \
	"iommu-groups computes the groups Linux would form: the NIC alone"
is "$(iommu-groups 2>/dev/null | grep -c '^note: groups computed from config space')" 1 \
	"iommu-groups says the groups are computed"

# ---- vfio-bind --driver pciback
is "$(state)|$(xl_assignable)" "e1000e/(null)|" "the NIC is on e1000e, nothing assignable"
out=$(vfio-bind --driver pciback --dry-run $BDF 2>&1); rc=$?
is "$rc|$out" "0|create /run/passthru-utils/vfio-bind/$BDF e1000e
write $d/driver_override pciback
write /sys/bus/pci/drivers/e1000e/unbind $BDF
write /sys/bus/pci/drivers_probe $BDF
$BDF e1000e -> pciback" "--driver pciback --dry-run: the plan (override, unbind, probe)"
is "$(state)" "e1000e/(null)" "--dry-run changed nothing"

if [ -n "$VB" ]; then
	n=1
	while [ $n -le 8 ]; do
		PASSTHRU_FAIL_WRITE=$n $VB --driver pciback $BDF >/dev/null 2>&1; rc=$?
		[ "$rc" = 0 ] && break
		is "$rc|$(state)|$(leftovers)|$(xl_assignable)" "1|e1000e/(null)||" \
			"write $n fails: exit 1, the NIC back on e1000e, no record, not assignable"
		n=$((n + 1))
	done
	is "$n" 4 "the bind to pciback makes 3 writes (override, unbind, probe)"
	vfio-bind --unbind $BDF >/dev/null 2>&1
	n=1
	while [ $n -le 8 ]; do
		PASSTHRU_KILL_WRITE=$n $VB --driver pciback $BDF >/dev/null 2>&1; rc=$?
		[ "$rc" = 0 ] && break
		out=$(vfio-bind --restore 2>&1); rrc=$?
		case $out in
		*"had finished its changes"*)
			# killed after its commit: the bind stands, --restore cleans up
			is "$rc|$rrc|$(state)|$(xl_assignable)" "137|0|pciback/pciback|$BDF" \
				"SIGKILL at change $n (after its commit), then --restore: the NIC stays on pciback"
			vfio-bind --unbind $BDF >/dev/null 2>&1 ;;
		*)
			is "$rc|$rrc|$(state)|$(leftovers)" "137|0|e1000e/(null)|" \
				"SIGKILL at change $n, then --restore: the NIC back on e1000e, nothing left" ;;
		esac
		[ "$rrc" = 0 ] || diag "$out"
		n=$((n + 1))
	done
	vfio-bind --unbind $BDF >/dev/null 2>&1
	is "$(state)|$(leftovers)" "e1000e/(null)|" "after the fault rounds the NIC is on e1000e"
else
	pass "# SKIP no fault-injecting build in /faults"
fi

out=$(vfio-bind --driver pciback $BDF 2>&1); rc=$?
is "$rc|$out" "0|$BDF e1000e -> pciback
assignable: xl pci-assignable-list lists them; pci = [ '$BDF' ] in an xl.cfg" \
	"vfio-bind --driver pciback: exit 0, says how xl sees it"
is "$(state)" "pciback/pciback" "pciback holds the NIC, the override keeps it"
is "$(head -n 1 /run/passthru-utils/vfio-bind/$BDF)" e1000e "the record says e1000e"
is "$(xl_assignable)" "$BDF" "xl pci-assignable-list lists the NIC"
is "$(vfio-bind -l 2>&1 | tr -s ' ')" "BDF GROUP DRIVER WAS PERSISTED DEVICE
$BDF - pciback e1000e - Intel Corporation 82574L Gigabit Network Connection" \
	"vfio-bind -l: on pciback, was e1000e, no group"
out=$(vfio-bind --driver pciback $BDF 2>&1); rc=$?
is "$rc|$(echo "$out" | head -n 1)" "0|$BDF already on pciback" "again: already there"

# ---- vm-run --emit xl, xl create
out=$(vm-run --emit xl --kernel $DOMU_KERNEL --initrd $DOMU_INITRD --append "$DOMU_APPEND" \
	--device $BDF --mem 256M --cpus 1 --name $DOMU 2>vm-run.err >t.cfg); rc=$?
is "$rc|$(cat vm-run.err)" "0|" "vm-run --emit xl: exit 0, nothing on stderr"
is "$(grep -v '^#' t.cfg)" "name = \"$DOMU\"
type = \"pv\"
memory = 256
vcpus = 1
kernel = \"$DOMU_KERNEL\"
ramdisk = \"$DOMU_INITRD\"
extra = \"$DOMU_APPEND\"
pci = [ '$BDF' ]
on_crash = \"destroy\"" "the xl.cfg: a PV guest with the kernel, initrd, command line and the NIC"
ok "xl create accepts it" logged create.log xl create t.cfg
ok "xl knows the domU" domu_exists $DOMU
domu_console $DOMU console.txt
is "$(xl pci-list $DOMU | tr -s ' ')" "Vdev Device
00.0 $BDF" "xl pci-list: the domU holds the NIC"
is "$(xl_assignable)" "" "the NIC is no longer assignable (the domU has it)"

out=$(vfio-bind --unbind $BDF 2>&1); rc=$?
is "$rc|$out" "3|vfio-bind: $BDF is held by a Xen guest (it is on pciback, and xl pci-assignable-list leaves it out: xl pci-list DOMAIN shows which); xl pci-detach or xl destroy it first" \
	"vfio-bind --unbind while the domU holds it: refused (exit 3)"
is "$(state)|$(xl pci-list $DOMU | tail -n 1 | tr -s ' ')" "pciback/pciback|00.0 $BDF" \
	"the refusal left the NIC on pciback, in the domU"
iommu-groups --check >/dev/null 2>&1
is "$?" 0 "iommu-groups --check still exits 0 with a domU running"

if domu_wait console.txt '^DOMU-DONE' 150; then
	pass "the domU ran its DHCP client"
else
	fail "the domU ran its DHCP client"
	diag "domU console (last lines):"
	tr -d '\r' <console.txt | tail -n 20 | sed 's/^/#   /' >&2
fi
is "$(domu_line console.txt DOMU-PCI)" "DOMU-PCI 0000:00:00.0 8086:10d3 e1000e" \
	"in the domU, the NIC is 00:00.0 (pcifront) on e1000e"
is "$(domu_line console.txt DOMU-LEASE)" \
	"DOMU-LEASE eth0 ip=10.0.2.15 mask=255.255.255.0 server=10.0.2.2" \
	"the domU got a DHCP lease on the passed NIC"

# ---- and back
ok "xl destroy" logged destroy.log xl destroy $DOMU
is "$(xl_assignable)" "$BDF" "the NIC is assignable again"
out=$(vfio-bind --unbind $BDF 2>&1); rc=$?
is "$rc|$out" "0|$BDF pciback -> e1000e" "vfio-bind --unbind: back to e1000e"
is "$(state)|$(leftovers)|$(xl_assignable)" "e1000e/(null)||" \
	"on e1000e, no override, no record, not assignable"
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok "dom0 has eth0 again" test -e /sys/class/net/eth0
is "$(vfio-bind -l 2>&1)" "" "vfio-bind -l lists nothing"
done_testing

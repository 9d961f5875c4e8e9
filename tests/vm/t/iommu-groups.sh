#!/bin/sh
# iommu-groups agrees with the kernel and with lspci: every group of
# /sys/kernel/iommu_groups and every device in it, the group types, the
# drivers as readlink gives them, and the IDs, classes and names as the
# guest's lspci -D -nn prints them (same pci.ids).
. /vm/lib.sh

command -v iommu-groups >/dev/null || skip_all "iommu-groups is not in the guest (not built)"
tab=$(printf '\t')

# --bdf: every device of every group, nothing else.
all=$(for d in /sys/kernel/iommu_groups/*/devices/*; do echo "${d##*/}"; done | sort)
got=$(iommu-groups --bdf); rc=$?
is "$rc" 0 "iommu-groups --bdf exits 0"
is "$(echo "$got" | sort)" "$all" "iommu-groups --bdf lists every device of /sys/kernel/iommu_groups/*/devices"

# Text output: one table row per device.
iommu-groups >text.out 2>text.err; rc=$?
is "$rc" 0 "iommu-groups exits 0"
missing=
for b in $all; do grep -q "  $b  " text.out || missing="$missing $b"; done
is "$missing" "" "the table has a row for every device"

# --check: this guest can assign devices (IOMMU on, IR on, vfio loaded).
iommu-groups --check >check.out 2>&1; rc=$?
is "$rc" 0 "iommu-groups --check exits 0 (host ready)"
[ "$rc" = 0 ] || sed 's/^/#   /' check.out >&2

# JSON.
iommu-groups -J >j.json; rc=$?
is "$rc" 0 "iommu-groups -J exits 0"
is "$(jq -s 'length' j.json 2>&1)" 1 "-J prints one JSON document"
is "$(jq -r '.groups | type' j.json 2>&1)" array "-J: it has a groups array"
is "$(jq -r .can_assign j.json)" true "-J: can_assign is true"

is "$(jq -r '.groups[].group' j.json | sort -n | tr '\n' ' ')" \
	"$(ls /sys/kernel/iommu_groups | sort -n | tr '\n' ' ')" \
	"-J: the groups are those of /sys/kernel/iommu_groups"

for g in $(ls /sys/kernel/iommu_groups | sort -n); do
	is "$(jq -r --argjson g "$g" '.groups[] | select(.group == $g) | .devices[].bdf' j.json | sort | tr '\n' ' ')" \
		"$(ls "/sys/kernel/iommu_groups/$g/devices" | sort | tr '\n' ' ')" \
		"-J: group $g has the kernel's devices"
	is "$(jq -r --argjson g "$g" '.groups[] | select(.group == $g) | .type' j.json)" \
		"$(cat "/sys/kernel/iommu_groups/$g/type")" \
		"-J: group $g type is the kernel's"
done

lspci -D -nn >lspci.out
jq -r '.groups[].devices[] |
	[.bdf, (.driver // "-"), .class, (.class_name // ""), .vendor, .device,
	 (.vendor_name // ""), (.device_name // "")] | @tsv' j.json >devices.tsv
n=0
while IFS=$tab read -r bdf drv class cname ven dev vname dname; do
	n=$((n + 1))
	d=/sys/bus/pci/devices/$bdf
	kdrv=$(pci_driver "$bdf")
	is "$drv" "${kdrv:--}" "$bdf: driver is readlink's (${kdrv:-none})"
	kid="$(cut -c3- "$d/vendor"):$(cut -c3- "$d/device") $(cut -c3-6 "$d/class")"
	is "$ven:$dev $class" "$kid" "$bdf: vendor:device and class are sysfs's ($kid)"
	# lspci -nn: "BDF CLASSNAME [cccc]: VENDOR DEVICE [vvvv:dddd] (rev xx)",
	# with "Class", "Device" for names pci.ids lacks.
	want="$bdf ${cname:-Class} [$class]: ${vname:+$vname }${dname:-Device} [$ven:$dev]"
	line=$(grep "^$bdf " lspci.out)
	case $line in
	"$want"|"$want "*) pass "$bdf: names as lspci -nn gives them" ;;
	*)
		fail "$bdf: names as lspci -nn gives them"
		diag "  lspci:        $line"
		diag "  iommu-groups: $want"
		;;
	esac
done <devices.tsv
is "$n" "$(echo "$all" | wc -l)" "-J lists as many devices as the groups hold"
done_testing

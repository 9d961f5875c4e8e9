#!/bin/bash
# Names and classes agree with `lspci -D -nn` run on the same sysroot, on
# every fixture: each device iommu-groups lists must appear in lspci's
# output as exactly the same line (class name [code]: vendor device [ids]
# (rev)), and every device lspci lists must be in iommu-groups' output.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

for dir in "$FIX"/*/; do
	fx=$(basename "$dir")
	[ -d "$dir/sys/bus/pci/devices" ] || continue
	lspci_out=$(set -o pipefail; lspci -D -nn -A linux-sysfs -O "sysfs.path=$dir/sys/bus/pci" -O hwdb.disable=1 \
		-i "$PASSTHRU_PCI_IDS" 2>/dev/null | sort)
	lrc=$?
	json=$("$BUILDDIR/iommu-groups" --sysroot "$dir" -J 2>/dev/null)
	ours=$(printf '%s' "$json" | jq -r '.groups[].devices[]
		| select(.problem == null)
		| "\(.bdf) \(.class_name) [\(.class)]: "
		  + (if .vendor_name == null then "Device" else "\(.vendor_name) \(.device_name // "Device")" end)
		  + " [\(.vendor):\(.device)]"
		  + (if .revision != "00" then " (rev \(.revision))" else "" end)' | sort)
	ngroups=$(printf '%s' "$json" | jq '.groups | length')
	if [ "$ngroups" = 0 ]; then
		# No IOMMU: iommu-groups lists nothing; lspci must still read the tree.
		[ -n "$lspci_out" ]
		ok $? "$fx: no IOMMU groups; lspci reads the tree ($(echo "$lspci_out" | wc -l) devices)"
		continue
	fi
	if [ "$lrc" -ne 0 ] && [ -z "$lspci_out" ]; then
		# lspci gives up on the whole tree at the first unreadable attribute
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # skip $fx: lspci cannot read this tree (exit $lrc); iommu-groups lists $(echo "$ours" | grep -c .) devices"
		continue
	fi
	if [ "$lrc" -ne 0 ]; then
		# lspci stops at the first unreadable attribute; compare what it showed.
		echo "# lspci exits $lrc on $fx; comparing the $(echo "$lspci_out" | grep -c .) devices it listed"
		ours=$(echo "$ours" | grep -F -f <(echo "$lspci_out" | cut -d' ' -f1))
	fi
	missing=$(comm -23 <(echo "$ours") <(echo "$lspci_out"))
	[ -z "$missing" ] && [ -n "$ours" ]
	ok $? "$fx: every iommu-groups line is lspci's line ($(echo "$ours" | wc -l) devices)"
	[ -n "$missing" ] && echo "$missing" | sed 's/^/#   not in lspci: /'
	if [ "$lrc" -eq 0 ]; then
		theirs=$(echo "$lspci_out" | cut -d' ' -f1 | sort)
		all=$(printf '%s' "$json" | jq -r '.groups[].devices[].bdf' | sort)
		[ "$theirs" = "$all" ]
		ok $? "$fx: the same devices as lspci"
	fi
done
done_testing

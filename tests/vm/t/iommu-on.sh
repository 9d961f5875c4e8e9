#!/bin/sh
# The guest really has an IOMMU: DMA remapping with groups, and interrupt
# remapping.
. /vm/lib.sh

ok "intel_iommu=on on the kernel command line" grep -qw intel_iommu=on /proc/cmdline
ok "/sys/class/iommu/dmar0 exists" test -e /sys/class/iommu/dmar0
n=$(ls /sys/kernel/iommu_groups | wc -l)
ok "IOMMU groups exist ($n)" test "$n" -gt 0
nogroup=
for d in /sys/bus/pci/devices/*; do
	[ -e "$d/iommu_group" ] || nogroup="$nogroup ${d##*/}"
done
is "$nogroup" "" "every PCI device is in an IOMMU group"
empty=
for g in /sys/kernel/iommu_groups/*; do
	[ -n "$(ls "$g/devices")" ] || empty="$empty ${g##*/}"
	note "group ${g##*/} ($(cat $g/type)):" $(ls "$g/devices")
done
is "$empty" "" "no IOMMU group is empty"
ok "interrupt remapping in /proc/interrupts (IR-*)" grep -q ' IR-' /proc/interrupts
ok "DMAR-IR: remapping enabled (dmesg)" sh -c 'dmesg | grep -q "Enabled IRQ remapping"'
ok "vfio is loaded and /dev/vfio/vfio exists" test -c /dev/vfio/vfio
done_testing

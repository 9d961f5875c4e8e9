#!/bin/sh
# vm: fresh-boot
# xen: append=iommu=off
# Xen booted with iommu=off on a machine that has an IOMMU: iommu-groups
# --check fails (exit 4) and names the option to remove from Xen's command
# line, not the firmware.
. /vm/lib.sh
. /vm/xen.sh
command -v iommu-groups >/dev/null || skip_all "iommu-groups not built"

is "$(xl info | sed -n 's/^xen_commandline *: //p' | tr ' ' '\n' | grep '^iommu=')" iommu=off \
	"Xen's command line has iommu=off"
is "$(xl dmesg | grep -c '^(XEN) I/O virtualisation disabled$')" 1 "xl dmesg: I/O virtualisation disabled"
out=$(iommu-groups --check 2>&1); rc=$?
is "$rc" 4 "iommu-groups --check: exit 4"
is "$(echo "$out" | grep '^fail')" "fail Xen has no IOMMU: xl info lists no pv_directio or hvm_directio in virt_caps (xl dmesg: I/O virtualisation disabled)
fail remove iommu=off from Xen's command line (GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, then update-grub; Xen's, not the dom0 kernel's) and reboot" \
	"it names iommu=off on Xen's command line as the fix"
is "$(iommu-groups -J --check 2>/dev/null | jq -c '.can_assign')" false "iommu-groups -J --check: can_assign false"
done_testing

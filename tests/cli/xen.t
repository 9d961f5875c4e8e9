#!/bin/bash
# A Xen dom0 on a recorded tree: qemu-q35 as Xen's dom0 sees it (no IOMMU
# groups, no DMAR table, /sys/hypervisor/type xen, control_d) with what xl
# info and xl dmesg said saved at the tree's top (xl/info, xl/dmesg).
# iommu-groups --check asks Xen and exits 0 when Xen can assign, 4 with the
# Xen option or firmware setting when it cannot; vfio-bind --driver pciback
# binds without groups, persists in xen-pciback's words and prints them;
# vm-run --emit xl writes the guest's xl.cfg, exactly.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
IG=$BUILDDIR/iommu-groups VB=$BUILDDIR/vfio-bind VR=$BUILDDIR/vm-run
[ -x "$IG" ] && [ -x "$VB" ] && [ -x "$VR" ] || { echo "1..0 # SKIP not built"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# same NAME WANT GOT
same() {
	[ "$2" = "$3" ]
	ok $? "$1"
	[ "$2" = "$3" ] || diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/#   /'
}

# One tree (a copy of a captured /sys is slow here); each case rewrites
# what xl said.
cp -a "$FIX/qemu-q35" "$T/x"
S=$T/x
dom0() { # dom0 [VIRT_CAPS] [DMESG] [XEN-CMDLINE]
	rm -rf "$S"/sys/kernel/iommu_groups/* "$S"/sys/class/iommu/* "$S"/sys/firmware/acpi/tables/DMAR
	for l in "$S"/sys/bus/pci/devices/*/iommu_group; do rm -f "$l"; done
	mkdir -p "$S/sys/hypervisor" "$S/proc/xen" "$S/xl" "$S/sys/bus/pci/drivers/pciback" "$S/sys/module/xen_pciback"
	echo xen >"$S/sys/hypervisor/type"
	echo control_d >"$S/proc/xen/capabilities"
	: >"$S/sys/bus/pci/drivers/pciback/bind"
	: >"$S/sys/bus/pci/drivers/pciback/unbind"
	echo live >"$S/sys/module/xen_pciback/initstate"
	printf 'host                   : (none)\nvirt_caps              : %s\nxen_major              : 4\nxen_minor              : 17\nxen_extra              : .6\nxen_commandline        : %s\n' \
		"${1:-pv hvm hvm_directio pv_directio hap shadow}" "${3:-placeholder dom0_mem=1024M}" >"$S/xl/info"
	printf '%s\n' "${2:-(XEN) Intel VT-d Interrupt Remapping enabled.
(XEN) I/O virtualisation enabled}" >"$S/xl/dmesg"
}

# --- iommu-groups --check asks Xen, not the dom0 kernel ---
dom0
out=$("$IG" --sysroot "$S" --check 2>&1); rc=$?
same "a dom0 whose Xen assigns: exit 0" 0 "$rc"
same "--check: Xen, its IOMMU, remapping, xen-pciback" \
"ok   Xen 4.17.6 dom0: Xen owns the IOMMU, so this kernel sees no DMAR/IVRS table and no IOMMU groups; devices go to guests through xen-pciback (vfio-bind --driver pciback) and xl
ok   Xen's I/O virtualisation is on (Intel VT-d): passthrough to PV and HVM guests
ok   interrupt remapping: on (Xen)
ok   xen-pciback: loaded" "$(printf '%s\n' "$out" | sed -n '1,4p')"
out=$("$IG" --sysroot "$S" --check -J 2>&1); rc=$?
same "-J: can_assign true, the xen check named" "0|true|ok" \
	"$rc|$(printf '%s' "$out" | jq -r '.can_assign')|$(printf '%s' "$out" | jq -r '.checks[] | select(.check == "xen") | .status')"

dom0 "pv hvm hap shadow" "(XEN) I/O virtualisation disabled" "placeholder iommu=off dom0_mem=1024M"
out=$("$IG" --sysroot "$S" --check 2>&1); rc=$?
same "Xen with iommu=off: exit 4" 4 "$rc"
same "naming Xen's option, not the kernel's" \
"fail Xen has no IOMMU: xl info lists no pv_directio or hvm_directio in virt_caps (xl dmesg: I/O virtualisation disabled)
fail remove iommu=off from Xen's command line (GRUB_CMDLINE_XEN_DEFAULT in /etc/default/grub, then update-grub; Xen's, not the dom0 kernel's) and reboot" \
	"$(printf '%s\n' "$out" | grep '^fail')"
dom0 "pv hvm hap" "" "placeholder"
out=$("$IG" --sysroot "$S" --check 2>&1); rc=$?
same "Xen without an IOMMU and no option: exit 4, the firmware setting" "4|1" \
	"$rc|$(printf '%s\n' "$out" | grep -c '^fail enable VT-d (Intel) or AMD-Vi / IOMMU (AMD) in the firmware setup')"
dom0
rm "$S/xl/info"
out=$("$IG" --sysroot "$S" --check 2>&1); rc=$?
same "xl gave nothing: exit 4, said so" "4|fail a Xen dom0, but Xen could not be asked: xl info: the recorded tree has no xl/info (its output, saved at the tree's top) (xl from xen-utils answers once xenstored runs)" \
	"$rc|$(printf '%s\n' "$out" | head -n 1)"

# --- vfio-bind --driver pciback: no group needed, Xen's words ---
dom0
out=$("$VB" --sysroot "$S" --dry-run --driver pciback 00:01.0 2>&1); rc=$?
same "--dry-run --driver pciback: the override, the unbind, the probe; no group" "0|create /run/passthru-utils/vfio-bind/0000:00:01.0 e1000e
write /sys/bus/pci/devices/0000:00:01.0/driver_override pciback
write /sys/bus/pci/drivers/e1000e/unbind 0000:00:01.0
write /sys/bus/pci/drivers_probe 0000:00:01.0
0000:00:01.0 e1000e -> pciback" "$rc|$out"
out=$("$VB" --sysroot "$S" --dry-run 00:01.0 2>&1); rc=$?
same "without --driver, vfio-pci on a dom0: exit 4, no group" "4|vfio-bind: 0000:00:01.0 is in no IOMMU group: without an IOMMU nothing can be assigned (iommu-groups --check says why)" "$rc|$out"
out=$("$VB" --sysroot "$S" --driver pciback 00:01.0 2>&1); rc=$?
same "a fake tree: pciback never takes it; exit 1, every write undone" "1|vfio-bind: 0000:00:01.0: pciback did not take it (driver now: e1000e); every device is back where it was" "$rc|$out"
same "still on e1000e, no override, no record, no journal" "e1000e||" \
	"$(basename "$(readlink "$S/sys/bus/pci/devices/0000:00:01.0/driver")")|$(tr -d '\n' <"$S/sys/bus/pci/devices/0000:00:01.0/driver_override")|$(find "$S/run/passthru-utils" -type f ! -name lock)"
out=$("$VB" --sysroot "$S" --dry-run --persist --driver pciback 00:01.0 00:03.0 2>&1 | grep '^create /etc')
same "--persist --driver pciback: xen-pciback's hide= and softdeps in modprobe.d, no driverctl file" \
"create /etc/modprobe.d/passthru-pciback.conf # vfio-bind --persist --driver pciback: xen-pciback takes these devices at boot, for xl\\n# (vfio-bind --unpersist lets them go; update-initramfs -u after a change)\\noptions xen-pciback hide=(0000:00:01.0)(0000:00:03.0)\\nsoftdep e1000e pre: xen-pciback\\nsoftdep nvme pre: xen-pciback\\n" "$out"
mkdir -p "$S/etc/modprobe.d"
printf 'options xen-pciback hide=(0000:00:01.0)(0000:00:03.0)\nsoftdep e1000e pre: xen-pciback\n' >"$S/etc/modprobe.d/passthru-pciback.conf"
out=$("$VB" --sysroot "$S" -J --list 2>&1 | jq -c '[.devices[] | {bdf, persisted}]')
same "--list: both persisted to pciback" '[{"bdf":"0000:00:01.0","persisted":"pciback"},{"bdf":"0000:00:03.0","persisted":"pciback"}]' "$out"
out=$("$VB" --sysroot "$S" --unpersist 00:01.0 2>&1); rc=$?
same "--unpersist of one: said" "0|0000:00:01.0: no longer bound to pciback at boot" "$rc|$out"
same "the other stays in the file" "# vfio-bind --persist --driver pciback: xen-pciback takes these devices at boot, for xl
# (vfio-bind --unpersist lets them go; update-initramfs -u after a change)
options xen-pciback hide=(0000:00:03.0)
softdep e1000e pre: xen-pciback" "$(cat "$S/etc/modprobe.d/passthru-pciback.conf")"
"$VB" --sysroot "$S" --unpersist 00:03.0 >/dev/null 2>&1
ok "$(test ! -e "$S/etc/modprobe.d/passthru-pciback.conf"; echo $?)" "the last one out: the file goes"
out=$("$VB" --sysroot "$S" --print-modprobe --driver pciback 00:01.0 00:03.0 2>&1 | grep -v '^#')
same "--print-modprobe --driver pciback: by address" "options xen-pciback hide=(0000:00:01.0)(0000:00:03.0)
softdep e1000e pre: xen-pciback
softdep nvme pre: xen-pciback" "$out"
out=$("$VB" --sysroot "$S" --print-modprobe --driver pci-stub 00:01.0 2>&1 | grep -v '^#')
same "--print-modprobe --driver pci-stub: by ID" "options pci-stub ids=8086:10d3
softdep e1000e pre: pci-stub" "$out"
out=$("$VB" --sysroot "$S" --driver e1000e 00:01.0 2>&1); rc=$?
same "--driver of no target: exit 2" "2|vfio-bind: --driver e1000e: vfio-pci, pciback (Xen) or pci-stub" "$rc|$out"
out=$("$VB" --sysroot "$S" --driver pciback --unbind 00:01.0 2>&1); rc=$?
same "--driver with --unbind: exit 2" "2|vfio-bind: --driver goes with binding, --persist and --print-modprobe" "$rc|$out"

# --- vm-run --emit xl ---
out=$("$VR" --sysroot "$S" --emit xl --kernel /boot/vmlinuz --initrd /boot/guest.gz --append 'console=hvc0 ip=dhcp' \
	--device 00:01.0 --mem 256M --cpus 1 --name t 2>"$T/err"); rc=$?
same "--emit xl, a PV guest with the NIC: the xl.cfg, exactly" "0|# vm-run --emit xl: start it with 'xl create FILE' on a Xen dom0, the devices on
# pciback first (vfio-bind --driver pciback BDF...)
name = \"t\"
type = \"pv\"
memory = 256
vcpus = 1
kernel = \"/boot/vmlinuz\"
ramdisk = \"/boot/guest.gz\"
extra = \"console=hvc0 ip=dhcp\"
pci = [ '0000:00:01.0' ]
on_crash = \"destroy\"" "$rc|$out"
same "the NIC on e1000e: a warning names the way to pciback" \
	"vm-run: warning: 0000:00:01.0 is on e1000e: xl create needs it assignable first (vfio-bind --driver pciback 0000:00:01.0, or xl pci-assignable-add)" \
	"$(cat "$T/err")"
out=$("$VR" --sysroot "$S" --emit xl --mdev 0a2b3c4d-1111-2222-3333-444455556666 2>&1); rc=$?
same "--emit xl --mdev: xl takes no mediated devices, exit 4" \
	"4|vm-run: --mdev 0a2b3c4d-1111-2222-3333-444455556666: xl passes PCI devices only, not mediated devices" "$rc|$out"
out=$("$VR" --sysroot "$S" --emit xml 2>&1); rc=$?
same "--emit of no format: exit 2" "2|vm-run: --emit xml: libvirt or xl" "$rc|$out"
out=$("$VR" --sysroot "$S" --initrd /x --dry-run 2>&1); rc=$?
same "--initrd without --kernel: exit 2" "2|vm-run: --initrd and --append go with --kernel" "$rc|$out"
rm -rf "$T/q"
cp -a "$FIX/qemu-q35" "$T/q"
mkdir -p "$T/q/dev" && : >"$T/q/dev/kvm"
out=$("$VR" --sysroot "$T/q" --dry-run --managed --kernel /boot/vmlinuz --initrd /boot/i.gz --append 'a b' --device 00:01.0 2>/dev/null | tail -n 1)
same "QEMU: -kernel, -initrd, -append, quoted for sh" "1" "$(case $out in *" -kernel /boot/vmlinuz -initrd /boot/i.gz -append 'a b'"*) echo 1 ;; esac)"
done_testing

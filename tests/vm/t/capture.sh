#!/bin/sh
# vm: timeout=300
# contrib/passthru-capture on a real kernel: the capture has no dangling
# link, and lspci and iommu-groups read it back (--sysroot) exactly as they
# read the live /sys.  (tests/vm/check --record keeps such a capture as the
# fixture tests/fixtures/qemu-q35.)
. /vm/lib.sh

cap=/tmp/capture
passthru-capture "$cap" 2>capture.err; rc=$?
is "$rc" 0 "passthru-capture exits 0"
[ "$rc" = 0 ] || sed 's/^/#   /' capture.err >&2

dangling=$(find "$cap" -type l | while read -r l; do [ -e "$l" ] || echo "$l"; done)
is "$dangling" "" "no link in the capture dangles"
is "$(ls "$cap/sys/bus/pci/devices" | tr '\n' ' ')" "$(ls /sys/bus/pci/devices | tr '\n' ' ')" \
	"every PCI device is captured"
is "$(ls "$cap/sys/kernel/iommu_groups" | tr '\n' ' ')" "$(ls /sys/kernel/iommu_groups | tr '\n' ' ')" \
	"every IOMMU group is captured"
ok "ACPI table names only (DMAR present, empty)" test -e "$cap/sys/firmware/acpi/tables/DMAR" -a ! -s "$cap/sys/firmware/acpi/tables/DMAR"
ok "PCI config space copied in full (4096 bytes, as root)" \
	test "$(wc -c <"$cap/sys/bus/pci/devices/0000:00:01.0/config")" = 4096
ok "write-only attributes kept as empty files (reset, remove)" \
	test -e "$cap/sys/bus/pci/devices/0000:00:01.0/reset" -a ! -s "$cap/sys/bus/pci/devices/0000:00:01.0/remove"

lspci -D -nnvvv -k >lspci.live 2>&1
lspci -A linux-sysfs -O "sysfs.path=$cap/sys/bus/pci" -D -nnvvv -k >lspci.cap 2>&1
if cmp -s lspci.live lspci.cap; then
	pass "lspci -nnvvv -k on the capture = on /sys"
else
	fail "lspci -nnvvv -k on the capture = on /sys"
	diff lspci.live lspci.cap | head -n 20 | sed 's/^/#   /' >&2
fi

if command -v iommu-groups >/dev/null; then
	iommu-groups -J | jq -S .groups >groups.live
	iommu-groups --sysroot "$cap" -J | jq -S .groups >groups.cap
	if [ -s groups.live ] && cmp -s groups.live groups.cap; then
		pass "iommu-groups -J on the capture (--sysroot) = on /sys (groups)"
	else
		fail "iommu-groups -J on the capture (--sysroot) = on /sys (groups)"
		diff groups.live groups.cap | head -n 20 | sed 's/^/#   /' >&2
	fi
	iommu-groups >text.live 2>&1
	iommu-groups --sysroot "$cap" >text.cap 2>&1
	if cmp -s text.live text.cap; then
		pass "iommu-groups on the capture = on /sys (text)"
	else
		fail "iommu-groups on the capture = on /sys (text)"
		diff text.live text.cap | head -n 20 | sed 's/^/#   /' >&2
	fi
else
	pass "# SKIP iommu-groups is not built"
fi
rm -rf "$cap"
done_testing

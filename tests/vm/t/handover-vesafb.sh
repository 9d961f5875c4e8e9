#!/bin/sh
# vm: fresh-boot
# vm: timeout=240
# vm: append=vga=0x318
# vm: append=vm.nomod=bochs
# The hand-over of a card the host shows through its firmware framebuffer:
# booted with vga=0x318 and without bochs, the boot VGA has no driver and
# the console is fbcon on vesafb (vesa-framebuffer.0, its memory inside the
# card's BAR 0). --handover unbinds the console, then vesafb, then binds
# vfio-pci; a failure before vfio-pci takes the card puts vesafb and the
# console back. Once vfio-pci has the card, the kernel removes the firmware
# framebuffer (aperture removal, Linux 6.0+): --handback gives the card back
# to no driver, as it was, and says truthfully that its display cannot come
# back, and how (its own driver): modprobe bochs then brings card, fb0 and
# the console back.
. /vm/lib.sh
command -v vfio-bind >/dev/null || skip_all "vfio-bind not built"

gpu=$(pci_find 1234:1111 | grep ':00:02\.0$')
[ -n "$gpu" ] || bail "no boot VGA 1234:1111 at 00:02.0"
d=/sys/bus/pci/devices/$gpu
group=$(basename "$(readlink "$d/iommu_group")")
fbd=/sys/bus/platform/devices/vesa-framebuffer.0
VB=/faults/vfio-bind
[ -x $VB ] || VB=

fbcon() {
	for v in /sys/class/vtconsole/vtcon*; do
		case $(cat "$v/name") in *"frame buffer"*) basename "$v"; return ;; esac
	done
}
cleanup() {
	kill $holder 2>/dev/null
	echo >"$d/driver_override"
	[ -e "$d/driver" ] && [ "$(pci_driver "$gpu")" = vfio-pci ] && echo "$gpu" >"$d/driver/unbind"
	rm -rf /run/passthru-utils
}
trap 'cleanup 2>/dev/null' EXIT

# driver, override, vesafb's driver, its fb, the console and its bind, records
state() {
	v=$(fbcon)
	printf '%s|%s|%s|%s|%s|%s|%s' "$(pci_driver "$gpu")" "$(cat "$d/driver_override")" \
		"$(basename "$(readlink "$fbd/driver" 2>/dev/null)" 2>/dev/null)" \
		"$(ls "$fbd/graphics" 2>/dev/null | tr '\n' ' ')" "${v:-none}" \
		"$(cat "/sys/class/vtconsole/$v/bind" 2>/dev/null)" \
		"$(find /run/passthru-utils -type f ! -name lock 2>/dev/null | sort | tr '\n' ' ')"
}
vt=$(fbcon)
host_state="|(null)|vesa-framebuffer|fb0 |$vt|1|"
is "$(state)" "$host_state" "no driver on the card; vesafb's fb0 carries the console $vt"
ok "/proc/iomem shows vesafb inside the card's BAR" grep -q ' : vesafb$' /proc/iomem

out=$(iommu-groups --check 2>&1)
ok "--check names vesa-framebuffer.0 and the console" sh -c "printf '%s\n' \"\$1\" | grep -q 'info boot display $gpu (no driver): the firmware framebuffer vesa-framebuffer.0 (vesafb, at 0x[0-9a-f]*) on vesa-framebuffer; console $vt (frame buffer device)\$'" sh "$out"
ok "--check: the hand-over releases both, and the framebuffer does not come back" sh -c "printf '%s\n' \"\$1\" | grep -qx 'info hand-over possible: vfio-bind --handover $gpu releases the console and vesa-framebuffer.0, then binds its slot to vfio-pci; the firmware framebuffer does not come back: after --handback the console needs the card.s own driver'" sh "$out"

out=$(vfio-bind --dry-run --handover "$gpu" 2>/dev/null); rc=$?
is "$rc|$(printf '%s\n' "$out" | grep '^write')" "0|write /sys/class/vtconsole/$vt/bind 0
write /sys/bus/platform/drivers/vesa-framebuffer/unbind vesa-framebuffer.0
write /sys/bus/pci/devices/$gpu/driver_override vfio-pci
write /sys/bus/pci/drivers_probe $gpu" "--dry-run: the console, vesafb, then vfio-pci"
is "$(state)" "$host_state" "--dry-run changed nothing"

# vesafb's /dev/fb0 open: its nodes are the card's display too
sleep 600 </dev/fb0 &
holder=$!
sleep 0.3
err=$(vfio-bind --handover "$gpu" 2>&1 >/dev/null); rc=$?
is "$rc" 3 "/dev/fb0 of vesafb open: exit 3"
case "$err" in
*"its display is open by sleep (pid $holder) /dev/fb0"*--force*) pass "naming the pid and --force" ;;
*) fail "naming the pid and --force"; diag "got: $err" ;;
esac
is "$(state)" "$host_state" "refused: nothing changed"
kill $holder
wait $holder 2>/dev/null
holder=

if [ -n "$VB" ]; then
	for n in 1 2 3 4; do
		err=$(PASSTHRU_FAIL_WRITE=$n $VB --handover "$gpu" 2>&1 >/dev/null); rc=$?
		is "$rc|$(state)" "1|$host_state" "write $n fails: exit 1; vesafb, fb0 and the console are back"
		[ "$rc" = 1 ] || diag "$err"
	done
fi

out=$(vfio-bind --handover "$gpu" 2>err); rc=$?
is "$rc" 0 "--handover: exit 0"
is "$out" "$vt (frame buffer device) bound -> unbound
vesa-framebuffer.0 vesa-framebuffer -> (none)
$gpu (none) -> vfio-pci (group $group)
/dev/vfio/$group ready" "--handover says each change in order"
is "$(cat err)" "vfio-bind: note: vesa-framebuffer.0 (vesafb) does not come back with the hand-back: vfio-pci removes the firmware framebuffer of a card it takes (Linux 6.0 and later); the console returns on the card's own framebuffer (amdgpu, i915, nouveau, nvidia-drm fbdev=1)" \
	"and says beforehand that vesafb will not come back"
is "$(pci_driver "$gpu")" vfio-pci "vfio-pci owns $gpu"
ok "the kernel removed vesa-framebuffer.0 when vfio-pci took the card" test ! -e "$fbd"
is "$(cat "/run/passthru-utils/handover/$gpu")" "# vfio-bind --handover of $gpu: what vfio-bind --handback puts back
console $(cat /sys/class/vtconsole/$vt/name 2>/dev/null || echo '(M) frame buffer device')
framebuffer vesa-framebuffer.0 vesa-framebuffer" "the record names the console and vesafb"

out=$(vfio-bind --handback "$gpu" 2>err); rc=$?
is "$rc" 1 "--handback: exit 1, the display cannot come back"
is "$(cat err)" "vfio-bind: $gpu is back on no driver, as before, but its display is not up: no DRM card or framebuffer on it; no frame buffer console bound; vesa-framebuffer.0 is gone (the kernel removes a firmware framebuffer when vfio-pci takes its card, until the next boot); loading the card's own driver (its DRM driver) gives it a display and a console" \
	"and says why, and what brings it back"
is "$(pci_driver "$gpu")|$(cat "$d/driver_override")|$(find /run/passthru-utils -type f ! -name lock | wc -l)" "|(null)|0" \
	"the card is where it was (no driver, no override), no record left"

modprobe bochs
n=0
until [ -e "$d/drm/card0" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
v=$(fbcon)
is "$(pci_driver "$gpu")|$(ls "$d/graphics" 2>/dev/null)|$(cat "/sys/class/vtconsole/$v/bind" 2>/dev/null)" "bochs-drm|fb0|1" \
	"modprobe bochs, as it said: bochs-drm, fb0 on the card, the console bound"
done_testing

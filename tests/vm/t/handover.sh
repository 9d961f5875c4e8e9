#!/bin/sh
# vm: fresh-boot
# vm: timeout=420
# The single-GPU hand-over on a real kernel: the boot VGA (1234:1111) on
# bochs-drm with fbcon on its fb0. vfio-bind --handover unbinds the frame
# buffer console, then bochs-drm, then binds vfio-pci (/dev/vfio/GROUP);
# --handback puts bochs-drm back, with its DRM card, fb0 and the console
# bound again. A process holding /dev/dri/card0 or /dev/fb0 makes it refuse
# (exit 3, naming the pid) with nothing changed; --force takes it anyway. A
# failed write, a signal and a SIGKILL (then --restore) at each change in
# turn, and a write the kernel never finishes (the timeout), leave the
# display exactly as it was. vm-run --managed hands the card to a nested
# QEMU and takes it back when QEMU quits, and after vm-run is killed
# (vfio-bind --restore from its lease). iommu-groups --check says what the
# hand-over releases.
. /vm/lib.sh
command -v vfio-bind >/dev/null || skip_all "vfio-bind not built"

gpu=$(pci_find 1234:1111 | grep ':00:02\.0$')
[ -n "$gpu" ] || bail "no boot VGA 1234:1111 at 00:02.0"
d=/sys/bus/pci/devices/$gpu
group=$(basename "$(readlink "$d/iommu_group")")
VB=/faults/vfio-bind
[ -x $VB ] || VB=

# the frame buffer console: its number is whatever the kernel gave it
fbcon() {
	for v in /sys/class/vtconsole/vtcon*; do
		case $(cat "$v/name") in *"frame buffer"*) basename "$v"; return ;; esac
	done
}
vt=$(fbcon)
[ -n "$vt" ] || bail "no frame buffer console in /sys/class/vtconsole"

cleanup() {
	pkill -9 -x qemu-system-x86_64 2>/dev/null
	kill $holder 2>/dev/null
	echo >"$d/driver_override"
	if [ "$(pci_driver "$gpu")" != bochs-drm ]; then
		[ -e "$d/driver" ] && echo "$gpu" >"$d/driver/unbind"
		echo "$gpu" >/sys/bus/pci/drivers_probe
	fi
	v=$(fbcon)
	[ -n "$v" ] && echo 1 >"/sys/class/vtconsole/$v/bind"
	rm -rf /run/passthru-utils
}
trap 'cleanup 2>/dev/null' EXIT

# The display as the host had it: bochs-drm, card0 and fb0 on the card, the
# console bound, no override, nothing under /run.
state() {
	v=$(fbcon)
	printf '%s|%s|%s|%s|%s|%s|%s' "$(pci_driver "$gpu")" "$(cat "$d/driver_override")" \
		"$(ls "$d/drm" 2>/dev/null | grep '^card[0-9]*$' | tr '\n' ' ')" \
		"$(ls "$d/graphics" 2>/dev/null | tr '\n' ' ')" "${v:-none}" \
		"$(cat "/sys/class/vtconsole/$v/bind" 2>/dev/null)" \
		"$(find /run/passthru-utils -type f ! -name lock 2>/dev/null | sort | tr '\n' ' ')"
}
host_state="bochs-drm|(null)|card0 |fb0 |$vt|1|"
is "$(state)" "$host_state" "the card starts on bochs-drm with card0, fb0 and $vt bound"

# --- iommu-groups --check: what a hand-over releases ---
out=$(iommu-groups --check 2>&1)
ok "--check names the framebuffer and the console" sh -c "printf '%s\n' \"\$1\" | grep -qx 'info boot display $gpu (bochs-drm): fb0 \"bochs-drmdrmfb\" of bochs-drm; console $vt (frame buffer device)'" sh "$out"
ok "--check says the hand-over is possible" sh -c "printf '%s\n' \"\$1\" | grep -qx 'info hand-over possible: vfio-bind --handover $gpu releases the console and bochs-drm, then binds its slot to vfio-pci'" sh "$out"

# --- the dry run: every write, nothing done ---
out=$(vfio-bind --dry-run --handover "$gpu" 2>&1); rc=$?
is "$rc" 0 "--dry-run --handover: exit 0"
is "$(printf '%s\n' "$out" | grep '^write')" "write /sys/class/vtconsole/$vt/bind 0
write /sys/bus/pci/devices/$gpu/driver_override vfio-pci
write /sys/bus/pci/drivers/bochs-drm/unbind $gpu
write /sys/bus/pci/drivers_probe $gpu" "--dry-run prints the console first, then the driver, then vfio-pci"
is "$(state)" "$host_state" "--dry-run changed nothing"

# --- a process holding the card's nodes: refused, nothing changed ---
for node in /dev/dri/card0 /dev/fb0; do
	sleep 600 <"$node" &
	holder=$!
	sleep 0.3
	err=$(vfio-bind --handover "$gpu" 2>&1 >/dev/null); rc=$?
	is "$rc" 3 "$node open by pid $holder: --handover exits 3"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$node open: one line"
	case "$err" in
	*"(pid $holder) $node"*--force*) pass "$node open: the message names the pid, the node and --force" ;;
	*) fail "$node open: the message names the pid, the node and --force"; diag "got: $err" ;;
	esac
	is "$(state)" "$host_state" "$node open: nothing changed"
	kill $holder
	wait $holder 2>/dev/null
done
out=$(vm-run --check --managed --device "$gpu" --mem 128M --accel tcg 2>&1)
sleep 600 </dev/dri/card0 &
holder=$!
sleep 0.3
out=$(vm-run --check --managed --device "$gpu" --mem 128M --accel tcg 2>&1); rc=$?
is "$rc" 3 "vm-run --check --managed refuses the boot display while card0 is open"
ok "naming the holder" sh -c "printf '%s\n' \"\$1\" | grep -q 'its display is open by sleep (pid $holder) /dev/dri/card0'" sh "$out"
kill $holder
wait $holder 2>/dev/null
holder=

# --- the hand-over ---
out=$(vfio-bind --handover "$gpu" 2>err); rc=$?
is "$rc" 0 "--handover: exit 0"
[ "$rc" = 0 ] || sed 's/^/#   /' err >&2
is "$out" "$vt (frame buffer device) bound -> unbound
$gpu bochs-drm -> vfio-pci (group $group)
/dev/vfio/$group ready" "--handover says each change in order"
is "$(pci_driver "$gpu")" vfio-pci "vfio-pci owns $gpu"
ok "/dev/vfio/$group exists" test -c "/dev/vfio/$group"
is "$(cat "/sys/class/vtconsole/$vt/bind" 2>/dev/null || echo gone)" 0 "the frame buffer console is unbound"
ok "no DRM card on $gpu any more" sh -c "! ls $d/drm 2>/dev/null | grep -q '^card'"
is "$(cat "/run/passthru-utils/handover/$gpu")" "# vfio-bind --handover of $gpu: what vfio-bind --handback puts back
console $(cat "/sys/class/vtconsole/$vt/name")" "the record says what to put back"
is "$(head -n 1 "/run/passthru-utils/vfio-bind/$gpu")" bochs-drm "vfio-bind's record says bochs-drm"
ok "no journal left" test ! -e /run/passthru-utils/journal
out=$(vfio-bind --handover "$gpu" 2>&1); rc=$?
is "$rc|$out" "0|$gpu already handed over (on vfio-pci; vfio-bind --handback gives it back)" \
	"a second --handover keeps the first one's record"
out=$(iommu-groups --check 2>&1)
ok "--check says it is handed over" sh -c "printf '%s\n' \"\$1\" | grep -qx 'info $gpu is on vfio-pci, handed over: vfio-bind --handback $gpu gives it back to the host.s display'" sh "$out"

# --- the hand-back ---
out=$(vfio-bind --handback "$gpu" 2>err); rc=$?
is "$rc" 0 "--handback: exit 0"
[ "$rc" = 0 ] || sed 's/^/#   /' err >&2
is "$out" "$gpu vfio-pci -> bochs-drm (group $group)
$vt (frame buffer device) unbound -> bound
$gpu display: card0, fb0 \"bochs-drmdrmfb\"; console $vt bound" "--handback says each change and what shows the display"
is "$(state)" "$host_state" "after --handback: bochs-drm, card0, fb0, $vt bound, no record"
ok "/dev/fb0 is a framebuffer again" test -c /dev/fb0

# --- no record: reprobed, and said so ---
out=$(vfio-bind --handback "$gpu" 2>err); rc=$?
is "$rc" 0 "--handback with no record: exit 0"
is "$(cat err)" "vfio-bind: note: no hand-over record for $gpu: its functions are reprobed and unbound frame buffer consoles bound" \
	"--handback with no record says so"
is "$(state)" "$host_state" "--handback with no record changed nothing on a card already back"

# --- -J ---
out=$(vfio-bind -J --handover "$gpu" 2>/dev/null); rc=$?
is "$rc|$(printf '%s' "$out" | jq -c '[.action, .gpu, .consoles[0].name, .consoles[0].before, .consoles[0].after, .framebuffer, .devices[0].before, .devices[0].after]')" \
	"0|[\"handover\",\"$gpu\",\"frame buffer device\",\"bound\",\"unbound\",null,\"bochs-drm\",\"vfio-pci\"]" "-J --handover"
out=$(vfio-bind -J --handback "$gpu" 2>/dev/null); rc=$?
is "$rc|$(printf '%s' "$out" | jq -c '[.action, .recorded, .consoles[0].after, .devices[0].after, .display]')" \
	"0|[\"handback\",true,\"bound\",\"bochs-drm\",\"card0, fb0 \\\"bochs-drmdrmfb\\\"; console $vt bound\"]" "-J --handback"
is "$(state)" "$host_state" "after the -J round: as the host had it"

# --- --force with a holder: taken from under it, and given back ---
sleep 600 </dev/dri/card0 &
holder=$!
sleep 0.3
err=$(vfio-bind --force --handover "$gpu" 2>&1 >/dev/null); rc=$?
is "$rc" 0 "--force --handover with card0 open: exit 0"
case "$err" in
*"warning: $gpu: its display is open by sleep (pid $holder) /dev/dri/card0 (--force given)"*) pass "--force warns, naming the holder" ;;
*) fail "--force warns, naming the holder"; diag "got: $err" ;;
esac
is "$(pci_driver "$gpu")" vfio-pci "--force: vfio-pci owns $gpu"
kill $holder
wait $holder 2>/dev/null
holder=
vfio-bind --handback "$gpu" >/dev/null 2>&1
is "$(state)" "$host_state" "--force round: the display is back"

if [ -n "$VB" ]; then
	# --- a failed write at each step of the hand-over ---
	n=1
	while [ $n -le 8 ]; do
		err=$(PASSTHRU_FAIL_WRITE=$n $VB --handover "$gpu" 2>&1 >/dev/null); rc=$?
		[ "$rc" = 0 ] && break
		is "$rc" 1 "handover, write $n fails: exit 1"
		is "$(state)" "$host_state" "handover, write $n fails: the display is as it was"
		n=$((n + 1))
	done
	is "$n" 5 "the hand-over makes 4 writes (console, override, unbind, probe)"
	vfio-bind --handback "$gpu" >/dev/null 2>&1

	# --- a signal at each change ---
	n=1
	while [ $n -le 16 ]; do
		err=$(PASSTHRU_SIGNAL_WRITE=$n $VB --handover "$gpu" 2>&1 >/dev/null); rc=$?
		[ "$rc" = 0 ] && break
		is "$rc|$(state)" "1|$host_state" "handover, SIGTERM at change $n: exit 1, the display as it was"
		n=$((n + 1))
	done
	vfio-bind --handback "$gpu" >/dev/null 2>&1

	# --- SIGKILL at each change, then --restore ---
	n=1
	while [ $n -le 16 ]; do
		PASSTHRU_KILL_WRITE=$n $VB --handover "$gpu" >/dev/null 2>&1; rc=$?
		[ "$rc" = 0 ] && break
		is "$rc" 137 "handover, SIGKILL at change $n"
		out=$(vfio-bind --restore 2>&1); rc=$?
		case $out in
		*"had finished its changes"*)
			# killed after its commit: the hand-over stands, --restore only cleans up
			is "$rc|$(state)" "0|vfio-pci|vfio-pci|||$(fbcon)|0|/run/passthru-utils/handover/$gpu /run/passthru-utils/vfio-bind/$gpu " \
				"handover, SIGKILL at change $n (after its commit): --restore keeps it handed over"
			vfio-bind --handback "$gpu" >/dev/null 2>&1 ;;
		*)
			is "$rc|$(state)" "0|$host_state" "handover, SIGKILL at change $n: --restore puts the display back" ;;
		esac
		[ "$rc" = 0 ] || diag "$out"
		n=$((n + 1))
	done
	ok "SIGKILL reached the last change" test "$n" -gt 5
	vfio-bind --handback "$gpu" >/dev/null 2>&1
	is "$(state)" "$host_state" "after the SIGKILL rounds: as the host had it"

	# --- a write the kernel never finishes: the timeout rolls back ---
	err=$(PASSTHRU_WRITE_TIMEOUT=2 PASSTHRU_HANG_WRITE=/drivers/bochs-drm/unbind $VB --handover "$gpu" 2>&1 >/dev/null); rc=$?
	is "$rc" 1 "the unbind of bochs-drm hangs: exit 1"
	is "$err" "vfio-bind: $gpu: unbinding its driver: the kernel did not finish it in time (the write is abandoned); every change is undone" \
		"the message says the write was abandoned and everything is back"
	is "$(state)" "$host_state" "after the timeout: the display as it was"

	# --- the hand-back, failing at each write: back to handed over ---
	vfio-bind --handover "$gpu" >/dev/null 2>&1
	over=$(state)
	is "$over" "vfio-pci|vfio-pci|||$(fbcon)|0|/run/passthru-utils/handover/$gpu /run/passthru-utils/vfio-bind/$gpu " \
		"handed over: vfio-pci, the console unbound, the two records"
	n=1
	while [ $n -le 8 ]; do
		err=$(PASSTHRU_FAIL_WRITE=$n $VB --handback "$gpu" 2>&1 >/dev/null); rc=$?
		[ "$rc" = 0 ] && break
		is "$rc|$(state)" "1|$over" "handback, write $n fails: exit 1, still handed over"
		n=$((n + 1))
	done
	is "$n" 4 "the hand-back makes 3 writes (override, unbind, probe); fbcon binds itself"
	is "$(state)" "$host_state" "the last hand-back went through"
fi

# --- vm-run --managed: the card to a nested QEMU and back ---
if command -v vm-run >/dev/null && command -v qemu-system-x86_64 >/dev/null; then
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
		timeout 200 vm-run --managed --device "$gpu" --accel tcg --display none --mem 128M \
		-- -S -nodefaults -qmp stdio >qmp.out 2>vm-run.err
	rc=$?
	is "$rc" 0 "vm-run --managed with the boot display: QEMU ran and quit, exit 0"
	[ "$rc" = 0 ] || sed 's/^/#   vm-run: /' vm-run.err >&2
	ok "vm-run handed it over" grep -q "$gpu bochs-drm -> vfio-pci" vm-run.err
	ok "and said the display is back" grep -q "$gpu display: card0, fb0 \"bochs-drmdrmfb\"; console $vt bound" vm-run.err
	is "$(state)" "$host_state" "after QEMU quit: the display is back"

	# vm-run killed while QEMU holds the card: --restore from the lease
	vm-run --managed --device "$gpu" --accel tcg --display none --mem 128M -- -S -nodefaults </dev/null \
		>sup.out 2>sup.err &
	vr=$!
	n=0
	until [ -n "$(pidof qemu-system-x86_64)" ] && ls -l "/proc/$(pidof qemu-system-x86_64)/fd" 2>/dev/null |
		grep -q "/dev/vfio/$group\$" || [ $n -ge 300 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	qpid=$(pidof qemu-system-x86_64)
	ok "QEMU holds /dev/vfio/$group" sh -c "ls -l /proc/$qpid/fd | grep -q /dev/vfio/$group\$"
	kill -9 $vr
	wait $vr 2>/dev/null
	is "$(cat "/sys/class/vtconsole/$(fbcon)/bind" 2>/dev/null || echo gone)" 0 "vm-run killed: the console is still unbound"
	kill -9 $qpid
	n=0
	while [ -n "$(pidof qemu-system-x86_64)" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	out=$(vfio-bind --restore 2>&1); rc=$?
	is "$rc|$out" "0|1 device that vm-run (pid $vr, gone) bound put back" "vfio-bind --restore gives the card back from the lease"
	is "$(state)" "$host_state" "after --restore: bochs-drm, card0, fb0 and the console bound again"
fi

done_testing

#!/bin/sh
# vm: timeout=400
# vm-run --managed on a real kernel: it binds the e1000e, starts QEMU
# holding it (query-pci lists 8086:10d3 under the id vm-run gave), and
# gives it back when QEMU quits, and again when QEMU is killed with
# SIGKILL; a group that is not viable (the ICH9 SMBus alone: its group
# holds the AHCI on ahci) is refused before QEMU starts, every driver
# unchanged.  QMP goes through -qmp stdio after "--": busybox nc has no
# UNIX sockets; the --qmp socket is checked to be there.
. /vm/lib.sh
command -v vm-run >/dev/null || skip_all "vm-run not built"
command -v qemu-system-x86_64 >/dev/null || skip_all "no qemu-system-x86_64 in the guest"

bdf=$(pci_find 8086:10d3 | head -n 1)
[ -n "$bdf" ] || bail "no e1000e (8086:10d3) in the guest"
d=/sys/bus/pci/devices/$bdf
netdev=$(ls "$d/net" 2>/dev/null | head -n 1)

give_back() {
	pkill -9 -x qemu-system-x86_64 2>/dev/null
	echo >"$d/driver_override"
	if [ "$(pci_driver "$bdf")" != e1000e ]; then
		[ -e "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
		echo "$bdf" >/sys/bus/pci/drivers_probe
	fi
	rm -rf /run/passthru-utils
}
trap 'give_back 2>/dev/null' EXIT

is "$(pci_driver "$bdf")" e1000e "$bdf starts on e1000e"

# --- QEMU quits through QMP ---
# Under -S no firmware has numbered the root port's bus yet, and query-pci
# lists nothing behind a bridge whose secondary bus is 0: "cont" lets
# SeaBIOS enumerate first.
qmp() {
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-pci"}' '{"execute":"cont"}'
	sleep 6
	printf '%s\n' '{"execute":"query-pci"}' '{"execute":"quit"}'
}
qmp | timeout 200 vm-run --managed --device "$bdf" --qmp "$PWD/qmp.sock" --accel tcg --display none --mem 128M \
	-- -S -nodefaults -qmp stdio >qmp.out 2>vm-run.err
rc=$?
is "$rc" 0 "vm-run --managed: QEMU ran and quit, exit 0"
[ "$rc" = 0 ] || sed 's/^/#   vm-run: /' vm-run.err >&2
ids=$(jq -r 'select(.return | type == "array") | .return[] | .. | objects |
	select(.qdev_id? == "hostdev0") | "\(.id.vendor) \(.id.device)"' qmp.out 2>/dev/null)
is "$ids" "$(printf '%d %d' 0x8086 0x10d3)" "query-pci shows 8086:10d3 as qdev hostdev0"
[ -n "$ids" ] || sed 's/^/#   qmp: /' qmp.out >&2
ok "vm-run said it bound the device" grep -q "$bdf e1000e -> vfio-pci" vm-run.err
ok "and which command gives it back if it is killed" grep -q "'vfio-bind --restore' gives them back once QEMU is gone (or 'vfio-bind --unbind $bdf')" vm-run.err
ok "vm-run said QEMU exited" grep -q "QEMU exited with status 0; giving the devices back" vm-run.err
ok "and that it gave the device back" grep -q "devices given back: $bdf" vm-run.err
is "$(pci_driver "$bdf")" e1000e "after quit: $bdf is back on e1000e"
is "$(cat "$d/driver_override")" "(null)" "after quit: driver_override is empty"
is "$(ls "$d/net" 2>/dev/null | head -n 1)" "$netdev" "after quit: $netdev is back"
ok "after quit: no record left" test ! -e "/run/passthru-utils/vfio-bind/$bdf"

# --- QEMU killed with SIGKILL ---
rm -f qmp.sock
vm-run --managed --device "$bdf" --qmp "$PWD/qmp.sock" --accel tcg --display none --mem 128M \
	-- -S -nodefaults </dev/null >kill.out 2>kill.err &
vr=$!
n=0
while [ ! -S qmp.sock ] && [ $n -lt 600 ]; do
	sleep 0.2
	n=$((n + 1))
done
ok "QEMU is up: its --qmp socket exists" test -S qmp.sock
is "$(pci_driver "$bdf")" vfio-pci "while QEMU runs, $bdf is on vfio-pci"
qpid=$(pidof qemu-system-x86_64)
ok "QEMU runs as vm-run's child" test -n "$qpid" -a "$(awk '{print $4}' "/proc/$qpid/stat" 2>/dev/null)" = "$vr"
kill -9 $qpid
wait $vr
rc=$?
is "$rc" 1 "vm-run exits 1 when QEMU is killed"
ok "vm-run said QEMU was killed" grep -q "QEMU was killed by signal 9; giving the devices back" kill.err
[ "$rc" = 1 ] || sed 's/^/#   vm-run: /' kill.err >&2
is "$(pci_driver "$bdf")" e1000e "after SIGKILL: $bdf is back on e1000e"
is "$(cat "$d/driver_override")" "(null)" "after SIGKILL: driver_override is empty"

# --- SIGTERM to vm-run goes to QEMU, then the give-back ---
rm -f qmp.sock
vm-run --managed --device "$bdf" --qmp "$PWD/qmp.sock" --accel tcg --display none --mem 128M \
	-- -S -nodefaults </dev/null >term.out 2>term.err &
vr=$!
n=0
while [ ! -S qmp.sock ] && [ $n -lt 600 ]; do
	sleep 0.2
	n=$((n + 1))
done
sleep 2 # QEMU's own SIGTERM handler comes after its chardevs
kill -TERM $vr
wait $vr
rc=$?
# QEMU ends on SIGTERM with status 0 once its handler is in place, or is
# killed by it before: vm-run's status follows QEMU's either way
if grep -q "QEMU exited with status 0; giving the devices back" term.err; then
	is "$rc" 0 "SIGTERM to vm-run: passed to QEMU, which exited 0; so does vm-run"
elif grep -q "QEMU was killed by signal 15; giving the devices back" term.err; then
	is "$rc" 1 "SIGTERM to vm-run: passed to QEMU, killed by it; vm-run exits 1"
else
	fail "SIGTERM to vm-run: vm-run says neither that QEMU exited nor that it was killed"
fi
ok "vm-run gave the device back" grep -q "devices given back: $bdf" term.err
[ "$rc" = 0 ] || sed 's/^/#   vm-run: /' term.err >&2
is "$(pci_driver "$bdf")" e1000e "after SIGTERM: $bdf is back on e1000e"

# --- vm-run itself killed with SIGKILL: the records let vfio-bind finish ---
if command -v vfio-bind >/dev/null; then
	rm -f qmp.sock
	vm-run --managed --device "$bdf" --qmp "$PWD/qmp.sock" --accel tcg --display none --mem 128M \
		-- -S -nodefaults </dev/null >sup.out 2>sup.err &
	vr=$!
	n=0
	while [ ! -S qmp.sock ] && [ $n -lt 600 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	# the socket comes before the devices: wait until QEMU holds the group
	group=$(basename "$(readlink "$d/iommu_group")")
	qpid=$(pidof qemu-system-x86_64)
	n=0
	until ls -l /proc/$qpid/fd 2>/dev/null | grep -q "/dev/vfio/$group\$" || [ $n -ge 300 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	ok "the lease names vm-run's start time" grep -q "^start [0-9][0-9]*\$" "/run/passthru-utils/leases/$vr"
	vfio-bind --restore >res.out 2>&1
	is "$?|$(cat res.out)" "0|no interrupted run: nothing to restore" \
		"while vm-run lives, vfio-bind --restore leaves its lease alone"
	kill -9 $vr
	wait $vr 2>/dev/null
	ok "vm-run killed: QEMU runs on, holding /dev/vfio/$group" test -n "$qpid" -a -d "/proc/$qpid"
	ok "QEMU holds /dev/vfio/$group" sh -c "ls -l /proc/$qpid/fd | grep -q /dev/vfio/$group\$"
	is "$(cat "/run/passthru-utils/vfio-bind/$bdf" 2>/dev/null)" e1000e "the record says where $bdf was"
	ok "a lease names vm-run's pid and $bdf" grep -q "^device $bdf .* vfio-pci vfio-pci create 1\$" "/run/passthru-utils/leases/$vr"
	vfio-bind --unbind "$bdf" >unb.out 2>unb.err
	rc=$?
	is "$rc" 3 "vfio-bind --unbind refuses while QEMU holds $bdf"
	[ "$rc" = 3 ] || sed 's/^/#   vfio-bind: /' unb.out unb.err >&2
	vfio-bind --restore >res.out 2>res.err
	rc=$?
	is "$rc" 3 "vfio-bind --restore refuses too, while QEMU holds it"
	ok "naming QEMU" grep -q "still held by a VM: qemu-system-x86 (pid $qpid) /dev/vfio/$group" res.err
	kill -9 $qpid
	n=0
	while [ -n "$(pidof qemu-system-x86_64)" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	vfio-bind --restore >res.out 2>&1
	is "$?|$(cat res.out)" "0|1 device that vm-run (pid $vr, gone) bound put back" \
		"once QEMU is gone, vfio-bind --restore (as vm-run said) gives it back from the lease"
	ok "the lease is gone" test ! -e "/run/passthru-utils/leases/$vr"
	is "$(pci_driver "$bdf")" e1000e "$bdf is back on e1000e"
	is "$(cat "$d/driver_override")" "(null)" "driver_override is empty"
fi

# --- QEMU refuses its arguments: it exits 1, the device still goes back ---
vm-run --managed --device "$bdf" --accel tcg --display none --mem 128M -- -no-such-option </dev/null \
	>bad.out 2>bad.err
rc=$?
is "$rc" 1 "QEMU that fails at once: vm-run exits 1"
ok "it says QEMU's status" grep -q "QEMU exited with status 1; giving the devices back" bad.err
is "$(pci_driver "$bdf")" e1000e "and $bdf is back on e1000e"

# --- a device on vfio-pci before vm-run stays there after ---
if command -v vfio-bind >/dev/null; then
	vfio-bind "$bdf" >pre-bind.out 2>&1
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
		vm-run --managed --device "$bdf" --accel tcg --display none --mem 128M -- -S -nodefaults -qmp stdio \
			>pre.out 2>pre.err
	rc=$?
	is "$rc" 0 "vm-run --managed with $bdf already on vfio-pci: exit 0"
	is "$(pci_driver "$bdf")" vfio-pci "what vfio-bind bound stays on vfio-pci"
	ok "and vm-run gave nothing back" test -z "$(grep 'given back' pre.err)"
	vfio-bind --unbind "$bdf" >pre-unbind.out 2>&1
	is "$(pci_driver "$bdf")" e1000e "vfio-bind --unbind gives it back"
fi

# --- a group that is not viable: refused before QEMU starts ---
smbus=$(pci_find 8086:2930 | head -n 1)
ahci=${smbus%.*}.2
before=$(for x in /sys/bus/pci/devices/*; do echo "${x##*/} $(pci_driver "${x##*/}") $(cat "$x/driver_override")"; done)
vm-run --managed --device "$smbus" --accel tcg --display none --mem 128M -- -S -nodefaults </dev/null \
	>smbus.out 2>smbus.err
rc=$?
is "$rc" 3 "the SMBus $smbus alone: refused (exit 3)"
ok "the refusal names the group's AHCI on ahci" grep -q "also holds $ahci (ahci)" smbus.err
[ "$rc" = 3 ] || sed 's/^/#   vm-run: /' smbus.err >&2
ok "QEMU never started" test -z "$(pidof qemu-system-x86_64)"
after=$(for x in /sys/bus/pci/devices/*; do echo "${x##*/} $(pci_driver "${x##*/}") $(cat "$x/driver_override")"; done)
is "$after" "$before" "every driver and driver_override unchanged"

trap - EXIT
give_back 2>/dev/null
done_testing

#!/bin/sh
# vm: timeout=600
# All or nothing on a real kernel, with the fault-injecting build: a bind of
# the NIC (on e1000e) and the two-function virtio-rng card (no driver) is
# killed with SIGKILL before each of its changes in turn, and
# `vfio-bind --restore` puts every device back; SIGINT, SIGTERM and SIGHUP
# at each step roll the run back by themselves, a give-back too; a rollback
# leaves a driverless device driverless; a give-back whose driver cannot be
# loaded changes nothing and keeps the record.
. /vm/lib.sh
[ -x /faults/vfio-bind ] || skip_all "no fault-injecting build in /faults"
VB=/faults/vfio-bind

nic=$(pci_find 8086:10d3 | head -n 1)
nvme=$(pci_find 1b36:0010 | head -n 1)
rng0=$(pci_find 1af4:1044 | head -n 1)
rng1=$(pci_find 1af4:1044 | sed -n 2p)
[ -n "$nic" ] && [ -n "$rng0" ] && [ -n "$rng1" ] && [ -n "$nvme" ] || bail "a device of the machine is missing"
ko=$(find /lib/modules -name 'e1000e.ko*' | head -n 1)

state() {
	for b in "$nic" "$rng0" "$rng1"; do
		printf '%s=%s/%s ' "$b" "$(pci_driver "$b")" "$(cat "/sys/bus/pci/devices/$b/driver_override")"
	done
}
leftovers() {
	ls /run/passthru-utils/vfio-bind 2>/dev/null
	ls /run/passthru-utils/journal /run/passthru-utils/*.tmp /etc/driverctl.d/*.tmp 2>/dev/null
}
reset_all() {
	$VB --restore >/dev/null 2>&1
	$VB --unbind "$nic" "$rng0" "$rng1" >/dev/null 2>&1
	[ -n "$ko" ] && [ -e "$ko.away" ] && mv "$ko.away" "$ko"
	for b in "$nic" "$rng0" "$rng1" "$nvme"; do echo >"/sys/bus/pci/devices/$b/driver_override"; done
	for b in "$rng0" "$rng1"; do
		[ -e "/sys/bus/pci/devices/$b/driver" ] && echo "$b" >"/sys/bus/pci/devices/$b/driver/unbind"
	done
	[ "$(pci_driver "$nic")" = e1000e ] || { modprobe e1000e; [ -e "/sys/bus/pci/devices/$nic/driver" ] &&
		echo "$nic" >"/sys/bus/pci/devices/$nic/driver/unbind"; echo "$nic" >/sys/bus/pci/drivers/e1000e/bind; }
	rm -rf /run/passthru-utils /etc/driverctl.d
}
trap 'reset_all' EXIT

orig=$(state)
is "$orig" "$nic=e1000e/(null) $rng0=/(null) $rng1=/(null) " "the NIC on e1000e, the card on no driver"
bound="$nic=vfio-pci/vfio-pci $rng0=vfio-pci/vfio-pci $rng1=vfio-pci/vfio-pci "

# --- how many changes a whole bind makes (each is a -v line) ---
log=$($VB -v "$nic" "$rng0" "$rng1" 2>&1 >/dev/null); rc=$?
is "$rc" 0 "the bind works"
is "$(state)" "$bound" "all three on vfio-pci"
total=$(printf '%s\n' "$log" | grep -cE '^vfio-bind: (write|create|remove|journal) ')
commit=$(printf '%s\n' "$log" | grep -E '^vfio-bind: (write|create|remove|journal) ' | grep -n 'journal .*(committed)' | cut -d: -f1)
note "a bind of the three makes $total changes; the commit is change $commit"
ok "it makes at least 12 changes, the commit before the last two" test "$total" -ge 12 -a "$commit" -eq $((total - 1))
$VB --unbind "$nic" "$rng0" "$rng1" >/dev/null 2>&1
# the card had no driver, so the kernel probes one for it: nothing binds virtio-rng here
is "$(state)" "$orig" "given back: e1000e again, the card on no driver"
is "$(leftovers)" "" "no record, no journal, no temporary file"

# --- SIGKILL before each change, then --restore ---
n=1
while [ "$n" -le "$total" ]; do
	PASSTHRU_KILL_WRITE=$n $VB "$nic" "$rng0" "$rng1" >/dev/null 2>&1
	rc=$?
	out=$($VB --restore 2>&1); rrc=$?
	if [ "$n" -le "$commit" ]; then
		is "$rc $rrc $(state)" "137 0 $orig" "killed before change $n: --restore puts every device back"
	else
		is "$rc $rrc $(state)" "137 0 $bound" "killed before change $n (committed): --restore finishes, the devices stay bound"
		$VB --unbind "$nic" "$rng0" "$rng1" >/dev/null 2>&1
	fi
	is "$(leftovers)" "" "  and leaves no record, journal or temporary file"
	n=$((n + 1))
done
out=$($VB --restore 2>&1); rc=$?
is "$rc $out" "0 no interrupted run: nothing to restore" "--restore with nothing to do says so"

# --- a signal at each step rolls the bind back by itself ---
n=1
for sig in INT TERM HUP; do
	n=1
	while [ "$n" -lt "$commit" ]; do
		err=$(PASSTHRU_SIGNAL=$sig PASSTHRU_SIGNAL_WRITE=$n $VB "$nic" "$rng0" "$rng1" 2>&1 >/dev/null); rc=$?
		# during the journal's write nothing has changed yet; later, something has
		what="every device is back where it was"
		[ "$n" = 1 ] && what="nothing was changed"
		is "$rc|$(printf '%s\n' "$err" | tail -n 1)|$(state)|$(leftovers)" \
			"1|vfio-bind: interrupted by SIG$sig; $what|$orig|" \
			"SIG$sig during change $n of the bind: rolled back"
		n=$((n + 2))
	done
done

# --- and a give-back: back on vfio-pci, records kept ---
$VB "$nic" "$rng0" "$rng1" >/dev/null 2>&1
records=$(cat /run/passthru-utils/vfio-bind/* | tr '\n' ' ')
for n in 2 3 4 5 6; do
	err=$(PASSTHRU_SIGNAL_WRITE=$n $VB --unbind "$nic" "$rng0" "$rng1" 2>&1 >/dev/null); rc=$?
	is "$rc|$(printf '%s\n' "$err" | tail -n 1)|$(state)" \
		"1|vfio-bind: interrupted by SIGTERM; every device is back where it was|$bound" \
		"SIGTERM during change $n of a give-back: still on vfio-pci"
	is "$(cat /run/passthru-utils/vfio-bind/* | tr '\n' ' ')" "$records" "  with the records as they were"
done
PASSTHRU_KILL_WRITE=3 $VB --unbind "$nic" "$rng0" "$rng1" >/dev/null 2>&1
$VB --restore >/dev/null 2>&1; rc=$?
is "$rc $(state)" "0 $bound" "a give-back killed midway: --restore puts them back on vfio-pci"
$VB --unbind "$nic" "$rng0" "$rng1" >/dev/null 2>&1

# --- another run refuses to start on a killed run's journal ---
PASSTHRU_KILL_WRITE=3 $VB "$nic" >/dev/null 2>&1
err=$($VB "$rng0" 2>&1 >/dev/null); rc=$?
case "$rc|$err" in
"3|vfio-bind: a run (pid "*") was killed in the middle of a change and left its journal /run/passthru-utils/journal; 'vfio-bind --restore' puts its devices back first")
	pass "a new run refuses while a journal is left" ;;
*) fail "a new run refuses while a journal is left"; diag "$rc $err" ;;
esac
$VB --restore >/dev/null 2>&1
is "$(state)" "$orig" "--restore, then every device is where it was"

# --- a rollback returns a driverless device to no driver ---
echo "$nic" >/sys/bus/pci/drivers/e1000e/unbind
err=$(PASSTHRU_FAIL_WRITE=4 $VB "$nic" "$nvme" 2>&1 >/dev/null); rc=$?
is "$rc" 1 "a bind failing at its 4th write fails"
case "$err" in *"; every device is back where it was") pass "and says every device is back" ;; *) fail "rollback message"; diag "$err" ;; esac
is "$(pci_driver "$nic")|$(cat "/sys/bus/pci/devices/$nic/driver_override")|$(pci_driver "$nvme")" "|(null)|nvme" \
	"the NIC that had no driver has none again, the NVMe is on nvme"
is "$(leftovers)" "" "no record is left"
echo "$nic" >/sys/bus/pci/drivers/e1000e/bind

# --- a give-back whose driver cannot be loaded changes nothing ---
if [ -n "$ko" ]; then
	$VB "$nic" >/dev/null 2>&1
	modprobe -r e1000e
	mv "$ko" "$ko.away"
	err=$($VB --unbind "$nic" 2>&1 >/dev/null); rc=$?
	is "$rc" 1 "giving the NIC back to a driver that cannot load fails"
	case "$err" in
	"vfio-bind: $nic: driver e1000e is not available: module e1000e cannot be loaded ("*"); nothing was changed")
		pass "naming the driver, and that nothing was changed" ;;
	*) fail "naming the driver, and that nothing was changed"; diag "$err" ;;
	esac
	is "$(pci_driver "$nic")|$(cat /run/passthru-utils/vfio-bind/$nic | head -n 1)" "vfio-pci|e1000e" \
		"the NIC stays on vfio-pci, and its record stays"
	mv "$ko.away" "$ko"
	$VB --unbind "$nic" >/dev/null 2>&1
	is "$(pci_driver "$nic")" e1000e "with the module back, the give-back works"
else
	fail "the e1000e module file"
fi

reset_all
trap - EXIT
done_testing

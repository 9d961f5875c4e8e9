#!/bin/sh
# vm: timeout=180
# gpu-reset on a real kernel: --info agrees with reset_method and config
# space; an FLR of the NVMe and a PM reset of the e1000e succeed and verify;
# reset_method is restored; a method the device lacks is refused (exit 4);
# a device whose vfio group a process holds open is refused with its pid.
. /vm/lib.sh
command -v gpu-reset >/dev/null || skip_all "gpu-reset not built"

nic=$(pci_find 8086:10d3 | head -n 1)
nvme=$(pci_find 1b36:0010 | head -n 1)
[ -n "$nic" ] && [ -n "$nvme" ] || bail "no e1000e or NVMe in the guest"
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	vfio-bind --unbind "$nic" >/dev/null 2>&1
}
trap cleanup EXIT

# --info against the kernel and config space (lspci reads it independently)
for b in $nvme $nic; do
	json=$(gpu-reset --info -J "$b")
	is "$(echo "$json" | jq -r '.devices[0].kernel_methods | join(" ")')" \
		"$(cat /sys/bus/pci/devices/$b/reset_method)" "$b: --info lists the kernel's reset_method"
	flr=$(lspci -s "$b" -vv | grep -c 'FLReset+')
	is "$(echo "$json" | jq -r '.devices[0].flr')" "$([ "$flr" -gt 0 ] && echo true || echo false)" \
		"$b: FLR agrees with lspci's FLReset"
	is "$(echo "$json" | jq -r '.devices[0].verdict')" alone "$b: resettable alone"
done

# resets that really happen
before=$(cat /sys/bus/pci/devices/$nvme/reset_method)
out=$(gpu-reset --method flr "$nvme" 2>&1); rc=$?
is "$rc" 0 "FLR of the NVMe succeeds"
case "$out" in "$nvme reset (flr) in "*" ms; it answers with the same IDs, BARs and command register") pass "and says it came back, with the time" ;; *) fail "FLR message"; diag "$out" ;; esac
is "$(cat /sys/bus/pci/devices/$nvme/reset_method)" "$before" "reset_method restored"
is "$(pci_driver "$nvme")" nvme "the NVMe is still on nvme"
out=$(gpu-reset --method pm "$nic" 2>&1); rc=$?
is "$rc" 0 "PM reset of the e1000e succeeds"
case "$out" in "$nic reset (pm) in "*) pass "PM reset reported" ;; *) fail "PM message"; diag "$out" ;; esac
out=$(gpu-reset "$nic" 2>&1); rc=$?
is "$rc" 0 "the kernel's own choice works too"

# refusals
err=$(gpu-reset --method flr "$nic" 2>&1); rc=$?
is "$rc" 4 "a method the e1000e lacks is refused with exit 4"
case "$err" in *"does not offer flr reset (the kernel offers: pm)"*) pass "naming what it offers" ;; *) fail "missing method message"; diag "$err" ;; esac
err=$(gpu-reset --slot "$nic" 2>&1); rc=$?
is "$rc" 4 "--slot on a root-bus device: no bridge (exit 4)"

group=$(basename "$(readlink /sys/bus/pci/devices/$nic/iommu_group)")
vfio-bind "$nic" >/dev/null
sleep 60 <"/dev/vfio/$group" &
holder=$!
sleep 1
err=$(gpu-reset "$nic" 2>&1); rc=$?
is "$rc" 3 "a device whose group a process holds is refused (exit 3)"
case "$err" in *"$nic is held by a running VM: sleep (pid $holder) /dev/vfio/$group"*) pass "naming the process and pid" ;; *) fail "holder message"; diag "$err" ;; esac
kill "$holder"; wait "$holder" 2>/dev/null; holder=
out=$(gpu-reset "$nic" 2>&1); rc=$?
is "$rc" 0 "once it is closed, the reset goes ahead (on vfio-pci)"
vfio-bind --unbind "$nic" >/dev/null
is "$(pci_driver "$nic")" e1000e "the NIC is back on e1000e"

# --slot, --raw-sbr and a signal, on the two-function card behind 00:05.0.
# cfg BDF: its whole config space, one dword a line, without PMCSR (0x80):
# vfio-pci's runtime PM moves it between D0 and D3hot on its own.
cfg() { od -An -tx4 -v "/sys/bus/pci/devices/$1/config" | tr -s ' ' '\n' | sed '/^$/d' | sed '33d'; }
card=$(pci_find 1af4:1044 | head -n 1)
if [ -n "$card" ]; then
	fn1=${card%.0}.1
	port=$(basename "$(readlink -f "/sys/bus/pci/devices/$card/..")")
	sbr() { bc=$(od -An -tx2 -j62 -N2 "/sys/bus/pci/devices/$port/config" | tr -d ' '); echo $(( 0x$bc & 0x40 )); }
	info=$(gpu-reset --info -J "$card")
	is "$(echo "$info" | jq -r '.devices[0].bus_reset_bridge')" "$port" "$card: its bus reset goes through root port $port"
	is "$(echo "$info" | jq -r '.devices[0].bus_reset_also[0].bdf')" "$fn1" "the bus reset also takes $fn1"
	is "$(echo "$info" | jq -r '.devices[0].hotplug_port')" true "$port is a hot-plug port (lspci: $(lspci -s "$port" -vv | grep -o 'HotPlug[+-]' | head -n 1))"
	# Debian's 6.1 has reset_subordinate, but its bus reset answers ENOTTY
	# below this port (as VFIO's hot reset does): --slot says so, exit 4
	err=$(gpu-reset --slot "$card" 2>&1); rc=$?
	is "$rc" 4 "--slot on no driver: the kernel's reset_subordinate is tried and refuses (exit 4)"
	is "$err" "gpu-reset: $port: reset_subordinate: Inappropriate ioctl for device" "naming the attribute and the kernel's answer"
	vfio-bind --group "$card" >/dev/null
	is "$(pci_driver "$card") $(pci_driver "$fn1")" "vfio-pci vfio-pci" "both functions on vfio-pci"
	# a register a bus reset clears, set first: PCIe Device Control (0x48)
	# Correctable/Non-Fatal Error Reporting Enable, so a missing restore shows
	printf '\017' | dd of="/sys/bus/pci/devices/$card/config" bs=1 seek=72 conv=notrunc 2>/dev/null
	printf '\017' | dd of="/sys/bus/pci/devices/$fn1/config" bs=1 seek=72 conv=notrunc 2>/dev/null
	is "$(od -An -tx1 -j72 -N1 "/sys/bus/pci/devices/$card/config" | tr -d ' ')" 0f "Device Control set to 0f before"
	c0=$(cfg "$card"); c1=$(cfg "$fn1")

	json=$(gpu-reset --slot -J "$card" 2>/tmp/slot.err); rc=$?
	is "$rc" 4 "--slot on vfio-pci: reset_subordinate, then VFIO's hot reset, both ENOTTY (exit 4)"
	is "$(echo "$json" | jq -c '[.resets[0].method, .resets[0].way, .resets[0].also, .resets[0].came_back, .error]')" \
		'["slot","vfio hot reset",["'"$fn1"'"],null,{"exit":4,"message":"'"$card"': VFIO_DEVICE_PCI_HOT_RESET: Inappropriate ioctl for device","signal":null}]' "one document: the way tried, the functions, the error"
	is "$(cfg "$card")" "$c0" "$card: all 4096 bytes as before (but PMCSR), Device Control included"
	is "$(cfg "$fn1")" "$c1" "$fn1: all 4096 bytes as before"
	is "$(sbr)" 0 "Secondary Bus Reset clear"

	err=$(gpu-reset --raw-sbr "$card" 2>&1); rc=$?
	is "$rc" 3 "--raw-sbr on a hot-plug port: refused"
	is "$err" "gpu-reset: $port is a hot-plug capable port: pciehp would take a secondary bus reset by hand for a surprise removal; --slot resets it the kernel's way, --force by hand anyway" "naming the port and --force"
	out=$(gpu-reset --raw-sbr --force "$card" 2>&1); rc=$?
	is "$rc" 0 "--raw-sbr --force resets by hand"
	case "$out" in "$card reset (raw-sbr: secondary bus reset by hand) in "*" ms; it answers with the same IDs, BARs and command register") pass "and says so" ;; *) fail "--raw-sbr message"; diag "$out" ;; esac
	is "$(cfg "$card")" "$c0" "$card: every dword written back (4 KiB compared)"
	is "$(cfg "$fn1")" "$c1" "$fn1: every dword written back"
	is "$(sbr)" 0 "Secondary Bus Reset clear"

	# SIGTERM in the one-second wait after the bus reset
	gpu-reset --raw-sbr --force -J "$card" >/tmp/sig.json 2>/tmp/sig.err &
	pid=$!
	sleep 0.4
	kill -TERM "$pid"
	wait "$pid"; rc=$?
	is "$rc" 1 "SIGTERM during --raw-sbr: exit 1"
	is "$(cat /tmp/sig.err)" "gpu-reset: interrupted by SIGTERM during the reset of $card: the secondary bus reset below $port is over (Secondary Bus Reset clear) and every function's config space was written back" "the message says what state everything is in"
	is "$(jq -c '[.resets[0].came_back, .error.exit, .error.signal]' /tmp/sig.json)" '[true,1,"SIGTERM"]' "one document, with the error"
	is "$(sbr)" 0 "Secondary Bus Reset clear after the signal"
	is "$(cfg "$card")" "$c0" "$card: config as before after the signal"
	is "$(cfg "$fn1")" "$c1" "$fn1: config as before after the signal"

	vfio-bind --unbind "$card" "$fn1" >/dev/null
else
	fail "a two-function card behind a root port"
fi
trap - EXIT
done_testing

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

# --slot: a secondary bus reset below the root port, both functions together
card=$(pci_find 1af4:1044 | head -n 1)
if [ -n "$card" ]; then
	fn1=${card%.0}.1
	info=$(gpu-reset --info -J "$card")
	port=$(basename "$(readlink -f "/sys/bus/pci/devices/$card/..")")
	is "$(echo "$info" | jq -r '.devices[0].bus_reset_bridge')" "$port" "$card: its bus reset goes through root port $port"
	is "$(echo "$info" | jq -r '.devices[0].bus_reset_also[0].bdf')" "$fn1" "the bus reset also takes $fn1"
	bar=$(od -An -tx4 -j16 -N4 "/sys/bus/pci/devices/$card/config")
	out=$(gpu-reset --slot "$card" 2>&1); rc=$?
	is "$rc" 0 "--slot resets the card"
	case "$out" in "$card reset (slot) in "*" ms; it answers with the same IDs, BARs and command register") pass "and both functions answer as before" ;; *) fail "--slot message"; diag "$out" ;; esac
	is "$(od -An -tx4 -j16 -N4 "/sys/bus/pci/devices/$card/config")" "$bar" "BAR0 restored"
	bc=$(od -An -tx2 -j62 -N2 "/sys/bus/pci/devices/$port/config" | tr -d ' ')
	is "$(( 0x$bc & 0x40 ))" 0 "the bus is out of reset (Bridge Control bit 6 clear)"
else
	fail "a two-function card behind a root port"
fi
trap - EXIT
done_testing

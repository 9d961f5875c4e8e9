#!/bin/bash
# gpu-reset on fixture copies: a device whose config space reads all ones
# is reported as gone (and not parsed); JSON stays one document.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
GR=$BUILDDIR/gpu-reset
[ -x "$GR" ] || { echo "1..0 # SKIP $GR not built"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp -a "$FIX/desktop-nvidia" "$T/host"
S=$T/host
cfg=$S/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/config
head -c "$(stat -c %s "$cfg")" /dev/zero | tr '\0' '\377' >"$cfg.new" && mv "$cfg.new" "$cfg"

out=$("$GR" --sysroot "$S" --info 01:00.0 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = "0000:01:00.0
  gone:             config space reads all ones; the device fell off the bus (a failed reset?)
  verdict:          gone" ]
ok $? "--info on a dead GPU says gone"
[ $? -eq 0 ] || echo "$out" | sed 's/^/#   /'
"$GR" --sysroot "$S" --info -J 01:00.0 01:00.1 | jq -e '.devices | length == 2 and .[0].gone and .[0].verdict == "gone" and (.[1].gone | not)' >/dev/null
ok $? "--info -J: one document, the dead one marked"
err=$("$GR" --sysroot "$S" --dry-run 01:00.0 2>&1); rc=$?
[ $rc -eq 1 ] && [[ "$err" == *"0000:01:00.0: config space reads all ones; the device is gone"* ]]
ok $? "resetting a dead device fails with exit 1 and says why"
err=$("$GR" --sysroot "$S" 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$(echo "$err" | wc -l)" -eq 1 ]
ok $? "no DEVICE: one line, exit 2"
err=$("$GR" --sysroot "$S" --info --slot 01:00.0 2>&1); rc=$?
[ $rc -eq 2 ]
ok $? "--info with --slot: exit 2"

# -J: one document on stdout on every path (jq -e fails on anything else)
N=tests/fixtures/desktop-nvidia
j=$("$GR" --sysroot $N -J --dry-run --method flr 00:14.0 01:00.0 2>/dev/null); rc=$?
[ $rc -eq 4 ] && echo "$j" | jq -e '.resets == [] and .error.exit == 4 and .error.message == "0000:00:14.0 does not offer flr reset (the kernel offers: pm)" and .error.signal == null' >/dev/null
ok $? "-J refusal of the first device: one document, nothing reset, exit 4"
j=$("$GR" --sysroot $N -J --dry-run 00:14.0 01:00.0 2>"$T/err"); rc=$?
[ $rc -eq 4 ] && [ ! -s "$T/err.writes" ] && ! grep -q '^write' "$T/err" &&
	echo "$j" | jq -e '.resets == [] and .dry_run and .error == {"exit": 4, "message": "0000:01:00.0 has no reset method; --slot resets it with its slot below its port", "signal": null}' >/dev/null
ok $? "-J 00:14.0 01:00.0, the second refused: no write at all, one document"
j=$("$GR" --sysroot $N -J --method reboot 00:14.0 2>/dev/null); rc=$?
[ $rc -eq 2 ] && echo "$j" | jq -e '.error.exit == 2 and (.error.message | startswith("--method reboot: not a reset method"))' >/dev/null
ok $? "-J usage error after parsing: a document with exit 2"
j=$("$GR" --sysroot $N -J --info --slot 01:00.0 2>/dev/null); rc=$?
[ $rc -eq 2 ] && echo "$j" | jq -e '.devices == [] and .error.exit == 2' >/dev/null
ok $? "-J --info with --slot: a document with exit 2"
j=$("$GR" --sysroot $N -J 99:00.0 2>/dev/null); rc=$?
[ $rc -ne 0 ] && echo "$j" | jq -e --argjson rc $rc '.resets == [] and .error.exit == $rc' >/dev/null
ok $? "-J unknown device: a document with its exit code"
j=$("$GR" --sysroot $N -J --dry-run --method flr 02:00.0 2>/dev/null); rc=$?
[ $rc -eq 0 ] && echo "$j" | jq -e '.error == null and (.resets | length) == 1 and .resets[0].bdf == "0000:02:00.0" and .resets[0].method == "flr" and .resets[0].came_back == null' >/dev/null
ok $? "-J --dry-run success: one entry, error null"
j=$("$GR" --sysroot "$S" -J --dry-run 01:00.0 2>/dev/null); rc=$?
[ $rc -eq 1 ] && echo "$j" | jq -e '.error.exit == 1 and (.error.message | contains("the device is gone"))' >/dev/null
ok $? "-J on a dead device: a document with exit 1"
j=$(PASSTHRU_FAIL_WRITE=2 "$BUILDDIR/faults/gpu-reset" --sysroot "$S" -J --method flr 02:00.0 2>/dev/null); rc=$?
if [ -x "$BUILDDIR/faults/gpu-reset" ]; then
	[ $rc -eq 1 ] && echo "$j" | jq -e '.resets[0].came_back == null and .error.exit == 1 and (.error.message | contains("reset: Input/output error"))' >/dev/null
	ok $? "-J failure midway (fault build, 2nd write fails): one document with the failed entry"
else
	ok 0 "# SKIP no fault build in $BUILDDIR/faults"
fi

# --raw-sbr: the writes in order, 4 KiB of every function
out=$("$GR" --sysroot tests/fixtures/amd-navi --dry-run --raw-sbr --force 03:00.0 2>/dev/null)
first=$(echo "$out" | grep -n 'devices/0000:03:00.0/config@0x10c ' | cut -d: -f1)
cmd=$(echo "$out" | grep -n 'devices/0000:03:00.0/config@0x4 ' | cut -d: -f1)
bar=$(echo "$out" | grep -n 'devices/0000:03:00.0/config@0x10 ' | cut -d: -f1)
[ "$(echo "$out" | sed -n 1p)" = "write /sys/bus/pci/devices/0000:02:00.0/config@0x3e 5a 00" ] &&
	[ "$(echo "$out" | sed -n 2p)" = "write /sys/bus/pci/devices/0000:02:00.0/config@0x3e 1a 00" ] &&
	[ -n "$first" ] && [ -n "$bar" ] && [ -n "$cmd" ] && [ "$first" -lt "$bar" ] && [ "$bar" -lt "$cmd" ] &&
	[ "$(echo "$out" | grep -c 'config@0x4 ')" -eq 4 ]
ok $? "--raw-sbr --dry-run: SBR set and cleared, then extended space, BARs, command register last, for 4 functions"

# a hot-plug capable port: Slot Implemented and Hot-Plug Capable set in the bridge's config bytes
cp -a tests/fixtures/amd-navi "$T/hp"
bcfg=$(readlink -f "$T/hp/sys/bus/pci/devices/0000:02:00.0")/config
pcie=$(lspci -A linux-sysfs -O sysfs.path="$T/hp/sys/bus/pci" -s 02:00.0 -v 2>/dev/null | sed -n 's/.*Capabilities: \[\([0-9a-f]*\)\] Express.*/\1/p')
flags=$(( 0x$pcie + 3 )); sltcap=$(( 0x$pcie + 0x14 ))
old=$(od -An -tu1 -j$flags -N1 "$bcfg" | tr -d ' ')
printf "\\$(printf %o $(( old | 1 )))" | dd of="$bcfg" bs=1 seek=$flags conv=notrunc 2>/dev/null
printf '\100' | dd of="$bcfg" bs=1 seek=$sltcap conv=notrunc 2>/dev/null
err=$("$GR" --sysroot "$T/hp" --dry-run --raw-sbr 03:00.0 2>&1 >/dev/null); rc=$?
[ $rc -eq 3 ] && [ "$(echo "$err" | grep -v warning)" = "gpu-reset: 0000:02:00.0 is a hot-plug capable port: pciehp would take a secondary bus reset by hand for a surprise removal; --slot resets it the kernel's way, --force by hand anyway" ]
ok $? "--raw-sbr on a hot-plug port: refused, exit 3"
[ $? -eq 0 ] || echo "$err" | sed 's/^/#   /'
"$GR" --sysroot "$T/hp" --info -J 03:00.0 | jq -e '.devices[0].hotplug_port == true' >/dev/null
ok $? "--info -J: hotplug_port true on the edited fixture"
"$GR" --sysroot tests/fixtures/amd-navi --info -J 03:00.0 | jq -e '.devices[0].hotplug_port == false' >/dev/null
ok $? "--info -J: hotplug_port false on the original"
err=$("$GR" --sysroot $N --slot --raw-sbr 01:00.0 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$err" = "gpu-reset: --slot resets the kernel's way, --raw-sbr by hand: give one" ]
ok $? "--slot with --raw-sbr: usage error"
done_testing

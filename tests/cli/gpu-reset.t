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
done_testing

#!/bin/bash
# vgpu-split's mediated devices and NVIDIA per-VF vGPU types on copies of
# the vgpu-host fixture: a GVT-g iGPU 00:02.0 with one active mdev, a
# Tesla T4 3b:00.0 mdev parent, an L40S PF 5e:00.0 whose VFs 5e:00.4-7
# take vGPU types, mdevctl definitions under etc/. Exact --list and
# --list-types, exact --dry-run writes, the files a real run leaves (no
# kernel answers on a fake tree: an mdev never appears after a create
# write, nor goes after a remove write, so those runs roll back; an
# attribute reads back what was written), refusals, --apply, a signal, a
# failed write and a SIGKILL midway, and mdevctl reading and writing the
# very same definitions.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VS=$BUILDDIR/vgpu-split
VB=$BUILDDIR/vfio-bind
{ [ -x "$VS" ] && [ -x "$VB" ]; } || { echo "1..0 # SKIP $VS or $VB not built"; exit 0; }
[ -d "$FIX/vgpu-host/sys" ] || { echo "1..0 # SKIP no $FIX/vgpu-host (python3 tests/fixtures/mkfixtures.py vgpu-host)"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

A=6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13   # active on the iGPU (i915-GVTg_V5_4, group 11), defined auto
M=0f5e8a44-2c71-4b9d-8e36-5d1a9c7b2e60   # defined only, on the T4 (nvidia-222, manual)
BAD=9d2e4b17-6a08-4f3c-b5e1-7c4a0d8f3b29 # a definition on the T4 cut short: invalid JSON
U=1b6f0d2a-3c4e-4f58-9a7b-8c9d0e1f2a3b   # nothing has it
W=5c0e9d8f-7a6b-4c5d-8e4f-3a2b1c0d9e8f   # nothing has it either
WARN="vgpu-split: /etc/mdevctl.d/0000:3b:00.0/$BAD: a value expected at byte 42; skipped"
HEAD='# vgpu-split --persist: recreated at boot by vgpu-split --apply (vgpu-split(8))'
fresh() {
	rm -rf "$T/h"; cp -a "$FIX/vgpu-host" "$T/h"; S=$T/h
	D=$S/sys/bus/pci/devices; MD=$S/etc/mdevctl.d; CONF=$S/etc/passthru-utils/vgpu-split.conf
	CT4=$D/0000:5e:00.4/nvidia/current_vgpu_type; CT5=$D/0000:5e:00.5/nvidia/current_vgpu_type
	TY=$S/sys/class/mdev_bus; J=$S/run/passthru-utils/journal
}
# same TEXT DESCRIPTION: $out equals TEXT, else show both
same() { [ "$out" = "$1" ]; ok $? "$2"; [ "$out" = "$1" ] || { echo "# got:"; echo "$out" | sed 's/^/#   /'; echo "# want:"; echo "$1" | sed 's/^/#   /'; }; }
# is GOT WANT DESCRIPTION
is() { [ "$1" = "$2" ]; ok $? "$3"; [ "$1" = "$2" ] || { echo "#   got:  $1"; echo "#   want: $2"; }; }
# the stdout part of run_capture's text in $out
stdout_of() { echo "$out" | sed '/^--- stderr$/,$d'; }
# a VM: process PID, named COMM, holds the device node NODE
holder() { mkdir -p "$S/proc/$1/fd"; ln -s "$2" "$S/proc/$1/fd/9"; echo "$3" >"$S/proc/$1/comm"; }
# every file's bytes and every link's target, but the lock a writing run creates
snap() { (cd "$S" && find . ! -path ./run/passthru-utils/lock \( -type f -exec md5sum {} + -o -printf '%p %l\n' \) | sort | md5sum); }
# killed N ARGS...: the fault build, SIGKILLed before its Nth change; its exit status in $killed
killed() { ( PASSTHRU_KILL_WRITE=$1 "$FV" "${@:2}" >/dev/null 2>&1; echo $? >"$T/rc" ) 2>/dev/null; killed=$(cat "$T/rc"); }
# what is under run/passthru-utils (the lock only, when no journal was left)
runfiles() { ls -A "$S/run/passthru-utils" 2>/dev/null | tr '\n' ' '; }
# the bytes mdevctl 1.2 writes for a definition without attrs (serde_json's pretty form, no newline at the end)
mdevctl_text() { printf '{\n  "mdev_type": "%s",\n  "start": "%s",\n  "attrs": []\n}' "$1" "$2"; }

PF_TABLE="PF            PF-DRIVER  TOTAL  VFS  VF-ID      VF            GROUP  DRIVER  VGPU  HOLDER
0000:5e:00.0  nvidia     32     4    10de:26b9  0000:5e:00.4  7      nvidia  1157  -
0000:5e:00.0  nvidia     32     4    10de:26b9  0000:5e:00.5  8      nvidia  0     -
0000:5e:00.0  nvidia     32     4    10de:26b9  0000:5e:00.6  9      nvidia  0     -
0000:5e:00.0  nvidia     32     4    10de:26b9  0000:5e:00.7  10     nvidia  0     -"

# ==== 1. --list ====
fresh
out=$(run_capture "$VS" --sysroot "$S" --list)
same "$PF_TABLE

MDEV                                  PARENT        TYPE            NAME        GROUP  STATE    START   HOLDER
$A  0000:00:02.0  i915-GVTg_V5_4  GVTg_V5_4   11     active   auto    -
$M  0000:3b:00.0  nvidia-222      GRID T4-1B  -      defined  manual  -
--- stderr
$WARN
--- exit 0" "--list: the PF table with VGPU, a blank line, the MDEV table; the invalid definition named, skipped, exit 0"

out=$(run_capture "$VS" --sysroot "$S" --list -J)
stdout_of | jq -e --arg a "$A" --arg m "$M" '. == [
  {"pf":"0000:5e:00.0","driver":"nvidia","total_vfs":32,"num_vfs":4,"vf_id":"10de:26b9","vfs":[
    {"bdf":"0000:5e:00.4","group":7,"driver":"nvidia","vgpu_type":1157,"holder":null},
    {"bdf":"0000:5e:00.5","group":8,"driver":"nvidia","vgpu_type":0,"holder":null},
    {"bdf":"0000:5e:00.6","group":9,"driver":"nvidia","vgpu_type":0,"holder":null},
    {"bdf":"0000:5e:00.7","group":10,"driver":"nvidia","vgpu_type":0,"holder":null}]},
  {"mdev":$a,"parent":"0000:00:02.0","type":"i915-GVTg_V5_4","name":"GVTg_V5_4","group":11,"active":true,"start":"auto","holder":null},
  {"mdev":$m,"parent":"0000:3b:00.0","type":"nvidia-222","name":"GRID T4-1B","group":null,"active":false,"start":"manual","holder":null}]' >/dev/null &&
	[[ $out == *"--- stderr
$WARN
--- exit 0" ]]
ok $? "--list -J: one array, the PF object with \"pf\", the mdevs with \"mdev\"; the warning on stderr only, exit 0"

out=$(run_capture "$VS" --sysroot "$S" --list 00:02.0)
same "MDEV                                  PARENT        TYPE            NAME       GROUP  STATE   START  HOLDER
$A  0000:00:02.0  i915-GVTg_V5_4  GVTg_V5_4  11     active  auto   -
--- stderr
$WARN
--- exit 0" "--list 00:02.0: its mdev only, no PF table, no blank line before the MDEV table"
out=$(run_capture "$VS" --sysroot "$S" --list 3b:00.0)
same "MDEV                                  PARENT        TYPE        NAME        GROUP  STATE    START   HOLDER
$M  0000:3b:00.0  nvidia-222  GRID T4-1B  -      defined  manual  -
--- stderr
$WARN
--- exit 0" "--list 3b:00.0: the T4's one valid definition, defined, manual, no group"
out=$(run_capture "$VS" --sysroot "$S" --list 5e:00.0)
same "$PF_TABLE
--- stderr
$WARN
--- exit 0" "--list 5e:00.0: the PF and its VFs with their vGPU types, no MDEV table"
out=$(run_capture "$VS" --sysroot "$S" --list 5e:00.4 00:17.0)
same "--- stderr
$WARN
--- exit 0" "--list of a VF and of a SATA controller: neither a PF nor a parent, nothing listed, exit 0"
out=$(run_capture "$VS" --sysroot "$S" --list -J 3b:00.0 00:17.0)
stdout_of | jq -e --arg m "$M" '. == [{"mdev":$m,"parent":"0000:3b:00.0","type":"nvidia-222","name":"GRID T4-1B",
  "group":null,"active":false,"start":"manual","holder":null}]' >/dev/null && [[ $out == *"--- exit 0" ]]
ok $? "--list -J 3b:00.0 00:17.0: the T4's definition only"
rm "$MD/0000:3b:00.0/$BAD"
out=$(run_capture "$VS" --sysroot "$S" --list 3b:00.0)
[[ $out == *"--- stderr
--- exit 0" ]]; ok $? "without the invalid definition: nothing on stderr"

# a VM holds the mdev's group, then its vfio cdev
holder 4242 /dev/vfio/11 qemu-system-x86
out=$(run_capture "$VS" --sysroot "$S" --list 00:02.0)
same "MDEV                                  PARENT        TYPE            NAME       GROUP  STATE   START  HOLDER
$A  0000:00:02.0  i915-GVTg_V5_4  GVTg_V5_4  11     active  auto   qemu-system-x86 (pid 4242) /dev/vfio/11
--- stderr
--- exit 0" "--list: the process holding /dev/vfio/11 is the HOLDER of the mdev in group 11"
"$VS" --sysroot "$S" --list -J | jq -e --arg a "$A" '[.[] | select(.mdev == $a) | .holder] == ["qemu-system-x86 (pid 4242) /dev/vfio/11"]
  and ([.[] | select(.pf) | .vfs[].holder] | all(. == null))' >/dev/null
ok $? "--list -J: the mdev's holder as a string; no VF is held"
rm -r "$S/proc/4242"
mkdir -p "$S/sys/bus/mdev/devices/$A/vfio-dev/vfio0"
holder 4343 /dev/vfio/devices/vfio0 qemu-kvm
out=$("$VS" --sysroot "$S" --list 00:02.0 | tail -n 1)
same "$A  0000:00:02.0  i915-GVTg_V5_4  GVTg_V5_4  11     active  auto   qemu-kvm (pid 4343) /dev/vfio/devices/vfio0" \
	"--list: a process holding the mdev's vfio cdev (/dev/vfio/devices/vfio0) is its HOLDER too"

# ==== 2. --list-types ====
fresh
out=$(run_capture "$VS" --sysroot "$S" --list-types 00:02.0)
same "TYPE            NAME       AVAILABLE  API       DESCRIPTION
i915-GVTg_V5_1  GVTg_V5_1  0          vfio-pci  low_gm_size: 512MB, high_gm_size: 2048MB, fence: 4, resolution: 1920x1200, weight: 16
i915-GVTg_V5_2  GVTg_V5_2  1          vfio-pci  low_gm_size: 256MB, high_gm_size: 1024MB, fence: 4, resolution: 1920x1200, weight: 8
i915-GVTg_V5_4  GVTg_V5_4  2          vfio-pci  low_gm_size: 128MB, high_gm_size: 512MB, fence: 4, resolution: 1920x1200, weight: 4
i915-GVTg_V5_8  GVTg_V5_8  6          vfio-pci  low_gm_size: 64MB, high_gm_size: 384MB, fence: 4, resolution: 1024x768, weight: 2
--- stderr
--- exit 0" "--list-types 00:02.0: the four GVT-g types, sorted, descriptions on one line"
out=$(run_capture "$VS" --sysroot "$S" --list-types 3b:00.0)
same "TYPE        NAME         AVAILABLE  API       DESCRIPTION
nvidia-222  GRID T4-1B   16         vfio-pci  num_heads=4, frl_config=45, framebuffer=1024M, max_resolution=5120x2880, max_instance=16
nvidia-223  GRID T4-2B   8          vfio-pci  num_heads=4, frl_config=45, framebuffer=2048M, max_resolution=5120x2880, max_instance=8
nvidia-230  GRID T4-16Q  0          vfio-pci  num_heads=4, frl_config=60, framebuffer=16384M, max_resolution=7680x4320, max_instance=1
--- stderr
--- exit 0" "--list-types 3b:00.0: the T4's three types, nvidia-230 with 0 available"
out=$(run_capture "$VS" --sysroot "$S" --list-types 5e:00.4)
same "1157 NVIDIA L40S-1Q
1158 NVIDIA L40S-2Q
1159 NVIDIA L40S-4Q
1162 NVIDIA L40S-48Q
--- stderr
--- exit 0" "--list-types of a vGPU VF: its creatable types, 'ID NAME' one per line, the header skipped"
out=$(run_capture "$VS" --sysroot "$S" --list-types 0000:5e:00.5)
same "1155 NVIDIA L40S-1B
1156 NVIDIA L40S-2B
1157 NVIDIA L40S-1Q
1158 NVIDIA L40S-2Q
1159 NVIDIA L40S-4Q
1162 NVIDIA L40S-48Q
--- stderr
--- exit 0" "--list-types of a VF without a type: the B types too"
out=$(run_capture "$VS" --sysroot "$S" --list-types -J 00:02.0)
stdout_of | jq -e '. == [
  {"type":"i915-GVTg_V5_1","name":"GVTg_V5_1","available_instances":0,"device_api":"vfio-pci",
   "description":"low_gm_size: 512MB\nhigh_gm_size: 2048MB\nfence: 4\nresolution: 1920x1200\nweight: 16"},
  {"type":"i915-GVTg_V5_2","name":"GVTg_V5_2","available_instances":1,"device_api":"vfio-pci",
   "description":"low_gm_size: 256MB\nhigh_gm_size: 1024MB\nfence: 4\nresolution: 1920x1200\nweight: 8"},
  {"type":"i915-GVTg_V5_4","name":"GVTg_V5_4","available_instances":2,"device_api":"vfio-pci",
   "description":"low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4"},
  {"type":"i915-GVTg_V5_8","name":"GVTg_V5_8","available_instances":6,"device_api":"vfio-pci",
   "description":"low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\nresolution: 1024x768\nweight: 2"}]' >/dev/null &&
	[[ $out == *"--- stderr
--- exit 0" ]]
ok $? "--list-types -J 00:02.0: an array, descriptions with their newlines"
out=$(run_capture "$VS" --sysroot "$S" --list-types -J 3b:00.0)
stdout_of | jq -e '[.[] | [.type, .name, .available_instances]] == [["nvidia-222","GRID T4-1B",16],
  ["nvidia-223","GRID T4-2B",8],["nvidia-230","GRID T4-16Q",0]]' >/dev/null
ok $? "--list-types -J 3b:00.0: types, names, available_instances"
out=$(run_capture "$VS" --sysroot "$S" --list-types -J 5e:00.4)
stdout_of | jq -e '. == [{"id":1157,"name":"NVIDIA L40S-1Q"},{"id":1158,"name":"NVIDIA L40S-2Q"},
  {"id":1159,"name":"NVIDIA L40S-4Q"},{"id":1162,"name":"NVIDIA L40S-48Q"}]' >/dev/null && [[ $out == *"--- exit 0" ]]
ok $? "--list-types -J of a VF: [{id, name}], ids as numbers"
out=$(run_capture "$VS" --sysroot "$S" --list-types 5e:00.0)
same "--- stderr
vgpu-split: 0000:5e:00.0 is no mdev parent; its VFs take NVIDIA vGPU types: give one a type (vgpu-split --list-types 0000:5e:00.4, --vgpu-type ID 0000:5e:00.4)
--- exit 4" "--list-types of the L40S PF: exit 4, pointing at its first vGPU VF"
out=$(run_capture "$VS" --sysroot "$S" --list-types 00:17.0)
same "--- stderr
vgpu-split: 0000:00:17.0 is no mdev parent (not under /sys/class/mdev_bus: its driver offers no mediated devices) and has no NVIDIA vGPU types
--- exit 4" "--list-types of a device with nothing: exit 4"
out=$(run_capture "$VS" --sysroot "$S" --list-types 00:02.0 3b:00.0)
[[ $out == *"vgpu-split: --list-types takes one DEVICE
--- exit 2" ]]; ok $? "--list-types with two devices: exit 2"
# an mdev parent whose driver offers no type (yet)
mkdir "$S/sys/devices/pci0000:00/0000:00:17.0/mdev_supported_types"
ln -s ../../devices/pci0000:00/0000:00:17.0 "$TY/0000:00:17.0"
out=$(run_capture "$VS" --sysroot "$S" --list-types 00:17.0)
same "--- stderr
--- exit 0" "--list-types of a parent with an empty mdev_supported_types: no output, exit 0"
out=$(run_capture "$VS" --sysroot "$S" --list-types -J 00:17.0)
same "[]
--- stderr
--- exit 0" "  and -J: [] and exit 0"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create i915-GVTg_V5_4 00:17.0)
same "--- stderr
vgpu-split: 0000:00:17.0 has no mdev type i915-GVTg_V5_4; 'vgpu-split --list-types 0000:00:17.0' shows its types
--- exit 2" "  --create on it: no such type, exit 2"

# ==== 3. --create ====
fresh
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create nvidia-223 3b:00.0 --uuid "$U" --persist)
same "write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-223/create $U
create /etc/mdevctl.d/0000:3b:00.0/$U {\\n  \"mdev_type\": \"nvidia-223\",\\n  \"start\": \"auto\",\\n  \"attrs\": []\\n}
$U
--- stderr
--- exit 0" "--create --uuid --persist --dry-run: the create write, then mdevctl's definition (start auto), the UUID"
is "$(snap)" "$before" "  the dry run changed nothing"
out=$(run_capture "$VS" --sysroot "$S" --dry-run -J --create nvidia-223 3b:00.0 --uuid "${U^^}" --persist)
stdout_of | jq -e --arg u "$U" '. == {"parent":"0000:3b:00.0","dry_run":true,"type":"nvidia-223","created":[$u],
  "persisted":true,"error":null}' >/dev/null && [[ $out == *"/nvidia-223/create $U
create /etc/mdevctl.d/0000:3b:00.0/$U {"* ]]
ok $? "--create -J --dry-run, the UUID in capitals: one document, the UUID in lower case, the writes on stderr"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create nvidia-223 0000:3b:00.0 --count 2)
re='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
u1=$(stdout_of | sed -n 3p); u2=$(stdout_of | sed -n 4p)
[[ $u1 =~ $re && $u2 =~ $re && $u1 != "$u2" ]] && same "write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-223/create $u1
write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-223/create $u2
$u1
$u2
--- stderr
--- exit 0" "--create --count 2 --dry-run: two random version-4 UUIDs, written in the order printed" ||
	ok 1 "--create --count 2 --dry-run: two random UUIDs (got: $u1 $u2)"

out=$(run_capture "$VS" --sysroot "$S" -v --create nvidia-223 3b:00.0 --uuid "$U" --persist)
same "--- stderr
vgpu-split: journal /run/passthru-utils/journal
vgpu-split: write $TY/0000:3b:00.0/mdev_supported_types/nvidia-223/create $U
vgpu-split: journal /run/passthru-utils/journal removed
vgpu-split: mdev $U (nvidia-223 on 0000:3b:00.0): the kernel did not create it; every change is undone
--- exit 1" "a real --create on the tree: the mdev never appears, exit 1, rolled back"
[ ! -e "$MD/0000:3b:00.0/$U" ] && [ -z "$(find "$MD" -name '*.tmp')" ]
ok $? "  no definition file left (nor a temporary one)"
is "$(runfiles)" "lock " "  no journal left under run/passthru-utils"
is "$(cat "$TY/0000:3b:00.0/mdev_supported_types/nvidia-223/create")" "$U" "  the create write was made (its file holds the UUID)"
out=$(run_capture "$VS" --sysroot "$S" -J --create nvidia-223 3b:00.0 --uuid "$U")
stdout_of | jq -e --arg u "$U" '. == {"parent":"0000:3b:00.0","dry_run":false,"type":"nvidia-223","created":[],"persisted":false,
  "error":{"exit":1,"message":("mdev " + $u + " (nvidia-223 on 0000:3b:00.0): the kernel did not create it; every change is undone")}}' >/dev/null &&
	[[ $out == *"--- exit 1" ]]
ok $? "  -J: the failure in the document, nothing created, exit 1"

fresh
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-230 3b:00.0)
same "--- stderr
vgpu-split: 0000:3b:00.0: type nvidia-230 has 0 instances available, 1 asked; --force asks the kernel anyway
--- exit 3" "--create of a type with 0 available_instances: refused, exit 3"
out=$(run_capture "$VS" --sysroot "$S" --create i915-GVTg_V5_2 00:02.0 --count 2 --persist)
same "--- stderr
vgpu-split: 0000:00:02.0: type i915-GVTg_V5_2 has 1 instance available, 2 asked; --force asks the kernel anyway
--- exit 3" "--count 2 of a type with 1 available: refused, exit 3"
is "$(snap)" "$before" "  refusals write nothing"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --force --create nvidia-230 3b:00.0 --uuid "$U")
same "write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-230/create $U
$U
--- stderr
--- exit 0" "--force: it asks the kernel anyway (dry run)"
out=$(run_capture "$VS" --sysroot "$S" --force --create nvidia-230 3b:00.0 --uuid "$U")
same "--- stderr
vgpu-split: mdev $U (nvidia-230 on 0000:3b:00.0): the kernel did not create it; every change is undone
--- exit 1" "--force, a real run: it tries, the kernel's answer decides"
is "$(cat "$TY/0000:3b:00.0/mdev_supported_types/nvidia-230/create")|$(runfiles)" "$U|lock " "  the write was made; no journal left"

fresh
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-999 3b:00.0)
same "--- stderr
vgpu-split: 0000:3b:00.0 has no mdev type nvidia-999; 'vgpu-split --list-types 0000:3b:00.0' shows its types
--- exit 2" "--create of an unknown type: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --create i915-GVTg_V5_4 3b:00.0)
[[ $out == *"0000:3b:00.0 has no mdev type i915-GVTg_V5_4;"*"--- exit 2" ]]; ok $? "  a type of another parent: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 3b:00.0 --uuid 1b6f0d2a-3c4e-4f58-9a7b)
same "--- stderr
vgpu-split: --uuid 1b6f0d2a-3c4e-4f58-9a7b: a UUID has 36 characters (8-4-4-4-12 hex digits)
--- exit 2" "--uuid too short: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 3b:00.0 --uuid 1b6f0d2a-3c4e-4f58-9a7b-8c9d0e1f2a3g)
same "--- stderr
vgpu-split: --uuid 1b6f0d2a-3c4e-4f58-9a7b-8c9d0e1f2a3g: a UUID is 8-4-4-4-12 hex digits with dashes between
--- exit 2" "--uuid with a g: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 3b:00.0 --uuid 1b6f0d2a3c4e-4f58-9a7b-8c9d0e1f2a3b-)
[[ $out == *"dashes between
--- exit 2" ]]; ok $? "--uuid with its dashes elsewhere: exit 2"
for c in 0 300 abc -1 2x; do
	out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 3b:00.0 --count "$c")
	same "--- stderr
vgpu-split: --count $c: give a number from 1 to 256
--- exit 2" "--count $c: exit 2"
done
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 3b:00.0 --count 2 --uuid "$U")
same "--- stderr
vgpu-split: --uuid names one mdev: not with --count 2
--- exit 2" "--uuid with --count 2: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --list --count 2)
same "--- stderr
vgpu-split: --count and --uuid go with --create only
--- exit 2" "--count without --create: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 00:17.0)
same "--- stderr
vgpu-split: 0000:00:17.0 is no mdev parent (not under /sys/class/mdev_bus: its driver offers no mediated devices) and has no NVIDIA vGPU types
--- exit 4" "--create on a device that is no parent: exit 4"
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 5e:00.4)
same "--- stderr
vgpu-split: 0000:5e:00.4 is no mdev parent: it is an NVIDIA vGPU VF (--vgpu-type gives it a type)
--- exit 4" "--create on a vGPU VF: exit 4, --vgpu-type named"
out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 5e:00.0)
[[ $out == *"0000:5e:00.0 is no mdev parent; its VFs take NVIDIA vGPU types"*"--- exit 4" ]]; ok $? "--create on the L40S PF: exit 4"
out=$(run_capture "$VS" --sysroot "$S" --create i915-GVTg_V5_8 00:02.0 --uuid "$A")
same "--- stderr
vgpu-split: an mdev $A exists already (i915-GVTg_V5_4 on 0000:00:02.0)
--- exit 2" "--uuid of the active mdev with another type: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --create i915-GVTg_V5_4 3b:00.0 --uuid "$A")
[[ $out == *"an mdev $A exists already (i915-GVTg_V5_4 on 0000:00:02.0)"*"--- exit 2" ]]; ok $? "  or on another parent: exit 2"
is "$(snap)" "$before" "  none of these wrote anything"

# the very mdev asked for is active already
fresh
rm "$MD/0000:00:02.0/$A"
out=$(run_capture "$VS" --sysroot "$S" --create i915-GVTg_V5_4 00:02.0 --uuid "$A")
same "$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
--- exit 0" "--uuid of the very mdev that is active: nothing created, exit 0"
[ ! -e "$MD/0000:00:02.0/$A" ] && [ -z "$(cat "$TY/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/create")" ]
ok $? "  no create write, and no definition without --persist"
out=$(run_capture "$VS" --sysroot "$S" --create i915-GVTg_V5_4 00:02.0 --uuid "${A^^}" --persist)
same "$A already active (i915-GVTg_V5_4 on 0000:00:02.0); defined now
--- stderr
--- exit 0" "  with --persist (the UUID in capitals): defined now, exit 0"
cmp -s <(printf '%s' '{
  "mdev_type": "i915-GVTg_V5_4",
  "start": "auto",
  "attrs": []
}') "$MD/0000:00:02.0/$A"
ok $? "  the definition holds exactly mdevctl's bytes (no newline at the end)"
is "$(ls -A "$MD/0000:00:02.0" | tr '\n' ' ')|$(runfiles)" "$A |lock " "  named by the lower-case UUID, no temporary file, no journal"
is "$(cat "$TY/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/create")" "" "  and still no create write"
out=$(run_capture "$VS" --sysroot "$S" -J --create i915-GVTg_V5_4 00:02.0 --uuid "$A" --persist)
stdout_of | jq -e '. == {"parent":"0000:00:02.0","dry_run":false,"type":"i915-GVTg_V5_4","created":[],"persisted":true,"error":null}' >/dev/null
ok $? "  -J: created [], persisted true"

# ==== 4. --remove ====
fresh
holder 4242 /dev/vfio/11 qemu-system-x86
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --remove "$A" --persist)
same "--- stderr
vgpu-split: mdev $A (i915-GVTg_V5_4 on 0000:00:02.0) is held by qemu-system-x86 (pid 4242) /dev/vfio/11; --force asks the VM to let it go (the kernel waits until it does)
--- exit 3" "--remove of an mdev a VM holds: refused, exit 3, naming the pid"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --remove "$A")
[[ $out == *"is held by qemu-system-x86 (pid 4242) /dev/vfio/11;"*"--- exit 3" ]]; ok $? "  --dry-run too: exit 3"
is "$(snap)" "$before" "  nothing written: the definition is there, no remove write"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --force --remove "$A")
same "write /sys/bus/mdev/devices/$A/remove 1
$A removed (i915-GVTg_V5_4 on 0000:00:02.0) (dry run: nothing changed)
--- stderr
--- exit 0" "  --force: the remove write goes ahead (dry run)"
rm -r "$S/proc/4242"
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --dry-run --remove "$A" --persist)
same "write /sys/bus/mdev/devices/$A/remove 1
remove /etc/mdevctl.d/0000:00:02.0/$A
$A removed (i915-GVTg_V5_4 on 0000:00:02.0) (dry run: nothing changed)
$A no longer defined (/etc/mdevctl.d/0000:00:02.0/$A removed) (dry run: nothing changed)
--- stderr
--- exit 0" "--remove --persist --dry-run: the remove write, then the definition's removal"
out=$(run_capture "$VS" --sysroot "$S" --dry-run -J --remove "$A" --persist)
stdout_of | jq -e --arg a "$A" '. == {"mdev":$a,"dry_run":true,"removed":true,
  "definition_removed":("/etc/mdevctl.d/0000:00:02.0/" + $a),"error":null}' >/dev/null
ok $? "  -J: removed, definition_removed"
is "$(snap)" "$before" "  the dry runs changed nothing"
out=$(run_capture "$VS" --sysroot "$S" --remove "$A" --persist)
same "--- stderr
vgpu-split: mdev $A (i915-GVTg_V5_4 on 0000:00:02.0): the kernel did not remove it; every change is undone
--- exit 1" "a real --remove on the tree: the mdev stays, exit 1, rolled back"
cmp -s <(mdevctl_text i915-GVTg_V5_4 auto) "$MD/0000:00:02.0/$A" && [ "$(cat "$S/sys/bus/mdev/devices/$A/remove")" = 1 ] &&
	[ "$(runfiles)" = "lock " ]
ok $? "  its definition kept byte for byte, the remove write made, no journal"
out=$(run_capture "$VS" --sysroot "$S" --remove "$U")
same "--- stderr
vgpu-split: no mdev $U is active or defined
--- exit 1" "--remove of an unknown UUID: exit 1"
out=$(run_capture "$VS" --sysroot "$S" --remove "$U" --persist)
same "--- stderr
vgpu-split: no mdev $U is active or defined
--- exit 1" "  with --persist: exit 1, 'or defined'"
out=$(run_capture "$VS" --sysroot "$S" --remove 6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e1)
same "--- stderr
vgpu-split: --remove 6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e1: a UUID has 36 characters (8-4-4-4-12 hex digits)
--- exit 2" "--remove of a malformed UUID: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --remove "$A" 00:02.0)
same "--- stderr
vgpu-split: --remove takes the UUID only, no DEVICE
--- exit 2" "--remove with a DEVICE: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --remove "$M")
same "--- stderr
vgpu-split: mdev $M is not active, only defined (/etc/mdevctl.d/0000:3b:00.0/$M): --persist removes the definition
--- exit 1" "--remove of a defined-only mdev without --persist: not active, exit 1"
fresh
out=$(run_capture "$VS" --sysroot "$S" --remove "${M^^}" --persist)
same "$M no longer defined (/etc/mdevctl.d/0000:3b:00.0/$M removed)
--- stderr
--- exit 0" "--remove --persist of a defined-only mdev: its definition goes, exit 0"
is "$(cd "$MD" && find . -type f | sort | tr '\n' ' ')|$(runfiles)" "./0000:00:02.0/$A ./0000:3b:00.0/$BAD |lock " \
	"  only its file is gone: the others (the invalid one too) stay, no journal"
cmp -s <(mdevctl_text i915-GVTg_V5_4 auto) "$MD/0000:00:02.0/$A"; ok $? "  the active mdev's definition untouched"

# ==== 5. --vgpu-type ====
fresh
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vgpu-type 1158 5e:00.4)
same "write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0
write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 1158
0000:5e:00.4: vGPU type 1157 -> 1158 (NVIDIA L40S-2Q) (dry run: nothing changed)
--- stderr
--- exit 0" "--vgpu-type 1158 on a VF with 1157: through 0, then the id (dry run)"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vgpu-type 'nvidia l40s-2Q' 5e:00.4)
same "write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0
write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 1158
0000:5e:00.4: vGPU type 1157 -> 1158 (NVIDIA L40S-2Q) (dry run: nothing changed)
--- stderr
--- exit 0" "--vgpu-type by name, in any case: the same writes"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vgpu-type 1155 5e:00.5)
same "write /sys/bus/pci/devices/0000:5e:00.5/nvidia/current_vgpu_type 1155
0000:5e:00.5: vGPU type 0 -> 1155 (NVIDIA L40S-1B) (dry run: nothing changed)
--- stderr
--- exit 0" "--vgpu-type on a VF without a type: one write"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vgpu-type 0 5e:00.4)
same "write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0
0000:5e:00.4: vGPU type 1157 -> 0 (dry run: nothing changed)
--- stderr
--- exit 0" "--vgpu-type 0 releases: one write of 0"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vgpu-type 'NVIDIA L40S-1Q' 5e:00.4)
same "0000:5e:00.4 already has vGPU type 1157 (NVIDIA L40S-1Q)
--- stderr
--- exit 0" "the type it has: nothing to write"
out=$(run_capture "$VS" --sysroot "$S" --dry-run -J --vgpu-type 1158 5e:00.4)
same '{
  "vf": "0000:5e:00.4",
  "dry_run": true,
  "before": 1157,
  "vgpu_type": 1158,
  "persisted": false,
  "error": null
}
--- stderr
write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0
write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 1158
--- exit 0' "-J --dry-run: one document on stdout, the writes on stderr"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --persist --vgpu-type 1158 5e:00.4)
same "write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0
write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 1158
create /etc/passthru-utils/vgpu-split.conf $HEAD\\nvgpu 0000:5e:00.4 1158\\n
0000:5e:00.4: vGPU type 1157 -> 1158 (NVIDIA L40S-2Q) (dry run: nothing changed)
--- stderr
--- exit 0" "--persist --dry-run: the writes, then the toolkit's file"
is "$(snap)" "$before" "  the dry runs changed nothing"

out=$(run_capture "$VS" --sysroot "$S" -v --vgpu-type 1158 5e:00.4)
same "0000:5e:00.4: vGPU type 1157 -> 1158 (NVIDIA L40S-2Q)
--- stderr
vgpu-split: journal /run/passthru-utils/journal
vgpu-split: write $CT4 0
vgpu-split: write $CT4 1158
vgpu-split: journal /run/passthru-utils/journal (committed)
vgpu-split: journal /run/passthru-utils/journal removed
--- exit 0" "a real --vgpu-type: the journal first, through 0, committed"
is "$(cat "$CT4")|$(runfiles)|$(ls "$S/etc")" "1158|lock |mdevctl.d" "  current_vgpu_type 1158 afterwards, no journal, no file without --persist"

fresh
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type 1158 5e:00.4)
same "0000:5e:00.4: vGPU type 1157 -> 1158 (NVIDIA L40S-2Q)
0000:5e:00.4: vGPU type 1158 at boot (/etc/passthru-utils/vgpu-split.conf)
--- stderr
--- exit 0" "--persist: says the type is kept at boot"
cmp -s <(printf '%s\nvgpu 0000:5e:00.4 1158\n' "$HEAD") "$CONF"; ok $? "  vgpu-split.conf holds exactly the header and the VF's line"
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type nvidia\ l40s-1b 5e:00.5)
cmp -s <(printf '%s\nvgpu 0000:5e:00.4 1158\nvgpu 0000:5e:00.5 1155\n' "$HEAD") "$CONF" && [ "$(cat "$CT5")" = 1155 ]
ok $? "  a second VF (by name): its line added after the first, current_vgpu_type 1155"
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type 1159 5e:00.4)
cmp -s <(printf '%s\nvgpu 0000:5e:00.4 1159\nvgpu 0000:5e:00.5 1155\n' "$HEAD") "$CONF" && [ "$(cat "$CT4")" = 1159 ]
ok $? "  another type for the first: its line replaced in place"
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type 0 5e:00.4)
same "0000:5e:00.4: vGPU type 1159 -> 0
0000:5e:00.4: no vGPU type at boot (its line in /etc/passthru-utils/vgpu-split.conf is gone)
--- stderr
--- exit 0" "--vgpu-type 0 --persist: released, and not at boot"
cmp -s <(printf '%s\nvgpu 0000:5e:00.5 1155\n' "$HEAD") "$CONF" && [ "$(cat "$CT4")" = 0 ]
ok $? "  its line removed, the other kept; current_vgpu_type 0"
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type 0 5e:00.5)
[ ! -e "$CONF" ] && [ ! -e "$CONF.tmp" ] && [ "$(cat "$CT5")" = 0 ] && [[ $out == *"--- exit 0" ]]
ok $? "  the last line removed: the file is gone"
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type 0 5e:00.5)
same "0000:5e:00.5 already has vGPU type 0
0000:5e:00.5: no vGPU type at boot (its line in /etc/passthru-utils/vgpu-split.conf is gone)
--- stderr
--- exit 0" "  again, with no file: nothing to do, exit 0"
[ ! -e "$CONF" ]; ok $? "  and no file made"
printf 'vgpu 0000:5e:00.5 11x55\n' >"$CONF"
out=$(run_capture "$VS" --sysroot "$S" --persist --vgpu-type 1158 5e:00.4)
same "--- stderr
vgpu-split: /etc/passthru-utils/vgpu-split.conf: line 1: not a vGPU type id; fix it first, nothing was changed
--- exit 1" "--persist with a bad line in the file: exit 1, nothing changed"
is "$(cat "$CT4")|$(cat "$CONF")" "0|vgpu 0000:5e:00.5 11x55" "  the type and the file as they were"

fresh
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 1160 5e:00.5)
same "--- stderr
vgpu-split: 0000:5e:00.5: --vgpu-type 1160: not among the VF's creatable vGPU types; 'vgpu-split --list-types 0000:5e:00.5' shows them
--- exit 2" "a type a VF without one cannot take: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --vgpu-type 1155 5e:00.4)
same "write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0
write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 1155
0000:5e:00.4: vGPU type 1157 -> 1155 (dry run: nothing changed)
--- stderr
--- exit 0" "an id of another series than the VF's (not listed while it has 1157): through 0, the driver decides"
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 'NVIDIA L40S-3Q' 5e:00.4)
same "--- stderr
vgpu-split: 0000:5e:00.4: --vgpu-type NVIDIA L40S-3Q: no creatable vGPU type of the VF has that name; 'vgpu-split --list-types 0000:5e:00.4' shows them
--- exit 2" "a name no creatable type has: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 99999999999 5e:00.4)
[[ $out == *"--vgpu-type 99999999999: not a vGPU type id;"*"--- exit 2" ]]; ok $? "an id past 32 bits: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 1158 5e:00.0)
same "--- stderr
vgpu-split: 0000:5e:00.0 has no nvidia/creatable_vgpu_types: it is no NVIDIA vGPU VF (give a VF of a vGPU-capable GPU, bound to nvidia)
--- exit 4" "--vgpu-type on the PF: not a VF, exit 4"
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 1158 00:02.0)
same "--- stderr
vgpu-split: 0000:00:02.0 takes mediated devices, not per-VF vGPU types: --create TYPE
--- exit 4" "--vgpu-type on an mdev parent: exit 4, --create named"
is "$(snap)" "$before" "  nothing written"
holder 4242 /dev/vfio/7 qemu-system-x86
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 1158 5e:00.4)
same "--- stderr
vgpu-split: 0000:5e:00.4 is held by qemu-system-x86 (pid 4242) /dev/vfio/7; --force changes its vGPU type anyway
--- exit 3" "--vgpu-type on a VF a VM holds: refused, exit 3"
is "$(cat "$CT4")|$(runfiles)" "1157|" "  current_vgpu_type untouched, no lock taken"
out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 1157 5e:00.4)
[[ $out == "0000:5e:00.4 already has vGPU type 1157 (NVIDIA L40S-1Q)"*"--- exit 0" ]]; ok $? "  the type it has while held: nothing to change, exit 0"
out=$(run_capture "$VS" --sysroot "$S" --force --vgpu-type 1158 5e:00.4)
same "0000:5e:00.4: vGPU type 1157 -> 1158 (NVIDIA L40S-2Q)
--- stderr
--- exit 0" "  --force goes on: exit 0"
is "$(cat "$CT4")" 1158 "  current_vgpu_type 1158"

# ==== 6. --apply ====
fresh
rm "$MD/0000:3b:00.0/$BAD"
mkdir -p "$S/etc/passthru-utils"
printf 'vfs 0000:5e:00.0 4\nvgpu 0000:5e:00.5 1155\n' >"$CONF"
before=$(snap)
out=$(run_capture "$VS" --sysroot "$S" --dry-run --apply)
same "0000:5e:00.0 already has 4 VFs
write /sys/bus/pci/devices/0000:5e:00.5/nvidia/current_vgpu_type 1155
0000:5e:00.5: vGPU type 0 -> 1155 (NVIDIA L40S-1B) (dry run: nothing changed)
$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
--- exit 0" "--apply --dry-run: the VF count, then the vGPU type's write, then the auto mdev"
is "$(snap)" "$before" "  changed nothing"
out=$(run_capture "$VS" --sysroot "$S" --apply)
same "0000:5e:00.0 already has 4 VFs
0000:5e:00.5: vGPU type 0 -> 1155 (NVIDIA L40S-1B)
$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
--- exit 0" "--apply: one line per item, the manual definition left alone, exit 0"
is "$(cat "$CT5")|$(cat "$D/0000:5e:00.0/sriov_numvfs")|$(cat "$CT4")|$(runfiles)" "1155|4|1157|lock " \
	"  current_vgpu_type 1155 on 5e:00.5, the VF count and 5e:00.4 as they were, no journal"
is "$(cat "$TY"/*/mdev_supported_types/*/create | wc -c)" 0 "  no create write anywhere (the manual one stays defined only)"
cmp -s <(printf 'vfs 0000:5e:00.0 4\nvgpu 0000:5e:00.5 1155\n') "$CONF"; ok $? "  the file is read, not rewritten"
out=$(run_capture "$VS" --sysroot "$S" --apply -J)
stdout_of | jq -e --arg a "$A" '. == [
  {"what":"vfs","device":"0000:5e:00.0","uuid":null,"status":"unchanged","message":"0000:5e:00.0 already has 4 VFs"},
  {"what":"vgpu","device":"0000:5e:00.5","uuid":null,"status":"unchanged","message":"0000:5e:00.5 already has vGPU type 1155"},
  {"what":"mdev","device":"0000:00:02.0","uuid":$a,"status":"unchanged",
   "message":($a + " already active (i915-GVTg_V5_4 on 0000:00:02.0)")}]' >/dev/null && [[ $out == *"--- stderr
--- exit 0" ]]
ok $? "--apply -J again: every item unchanged, exit 0"
echo 0 >"$CT5"
out=$(run_capture "$VS" --sysroot "$S" --apply -J)
stdout_of | jq -e '[.[] | .status] == ["unchanged","done","unchanged"]
  and .[1].message == "0000:5e:00.5: vGPU type 0 -> 1155 (NVIDIA L40S-1B)"' >/dev/null
ok $? "--apply -J with the type gone: that item done"

# a bad line in the file, the invalid mdevctl file: named, the rest applied, exit 1
fresh
mkdir -p "$S/etc/passthru-utils"
printf 'vfs 0000:5e:00.0 4\nvgpu 0000:5e:00.5 1155\nvgpu 5e:00.6 two\n' >"$CONF"
out=$(run_capture "$VS" --sysroot "$S" --apply)
same "0000:5e:00.0 already has 4 VFs
0000:5e:00.5: vGPU type 0 -> 1155 (NVIDIA L40S-1B)
$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
vgpu-split: /etc/passthru-utils/vgpu-split.conf: line 3: not a vGPU type id; skipped
$WARN
--- exit 1" "--apply with a bad line and an invalid definition: both named, exit 1"
is "$(cat "$CT5")|$(cat "$D/0000:5e:00.6/nvidia/current_vgpu_type")" "1155|0" "  the rest is applied: 5e:00.5 has 1155, 5e:00.6 nothing"

# VF counts: through the transaction
fresh
rm "$MD/0000:3b:00.0/$BAD"
mkdir -p "$S/etc/passthru-utils"
printf 'vfs 0000:5e:00.0 2 no-autoprobe\n' >"$CONF"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --apply 5e:00.0)
same "write /sys/bus/pci/devices/0000:5e:00.0/sriov_numvfs 0
write /sys/bus/pci/devices/0000:5e:00.0/sriov_drivers_autoprobe 0
write /sys/bus/pci/devices/0000:5e:00.0/sriov_numvfs 2
0000:5e:00.0: 4 -> 2 VFs (dry run: nothing changed)
--- stderr
--- exit 0" "--apply of 'vfs PF 2 no-autoprobe' (dry run): through 0, autoprobe off, 2"
out=$(run_capture "$VS" --sysroot "$S" --apply 5e:00.0)
is "$out|$(cat "$D/0000:5e:00.0/sriov_numvfs") $(cat "$D/0000:5e:00.0/sriov_drivers_autoprobe")|$(runfiles)" \
	"0000:5e:00.0: 4 -> 2 VFs
--- stderr
--- exit 0|2 0|lock " "  a real run: sriov_numvfs 2, autoprobe 0, no journal"

# --apply DEVICE limits it to that device
fresh
rm "$MD/0000:3b:00.0/$BAD"
mkdir -p "$S/etc/passthru-utils"
printf 'vfs 0000:5e:00.0 4\nvgpu 0000:5e:00.5 1155\nvgpu 0000:5e:00.6 1156\n' >"$CONF"
out=$(run_capture "$VS" --sysroot "$S" --apply 5e:00.5)
same "0000:5e:00.5: vGPU type 0 -> 1155 (NVIDIA L40S-1B)
--- stderr
--- exit 0" "--apply 5e:00.5: that VF's type only"
is "$(cat "$CT5")|$(cat "$D/0000:5e:00.6/nvidia/current_vgpu_type")" "1155|0" "  5e:00.6 left for later"
out=$(run_capture "$VS" --sysroot "$S" --apply 00:02.0)
same "$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
--- exit 0" "--apply 00:02.0: its mdev only"
out=$(run_capture "$VS" --sysroot "$S" --apply 3b:00.0)
same "--- stderr
--- exit 0" "--apply 3b:00.0: only a manual definition there: nothing, exit 0"
out=$(run_capture "$VS" --sysroot "$S" --apply 5e:00.6 00:02.0)
same "0000:5e:00.6: vGPU type 0 -> 1156 (NVIDIA L40S-2B)
$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
--- exit 0" "--apply of two devices: both"

# an auto definition with attrs: created, then its attributes written
fresh
rm "$MD/0000:3b:00.0/$BAD"
printf '{\n  "mdev_type": "nvidia-223",\n  "start": "auto",\n  "attrs": [\n    {\n      "frl_enabled": "0"\n    },\n    {\n      "ecc": "1"\n    }\n  ]\n}' \
	>"$MD/0000:3b:00.0/$U"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --apply 3b:00.0)
same "write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-223/create $U
write /sys/bus/mdev/devices/$U/frl_enabled 0
write /sys/bus/mdev/devices/$U/ecc 1
$U created (nvidia-223 on 0000:3b:00.0) (dry run: nothing changed)
--- stderr
--- exit 0" "--apply of an auto definition with attrs: the create write, then each attr in order (dry run)"
out=$(run_capture "$VS" --sysroot "$S" --apply -J 3b:00.0)
stdout_of | jq -e --arg u "$U" '. == [{"what":"mdev","device":"0000:3b:00.0","uuid":$u,"status":"failed",
  "message":("mdev " + $u + " (nvidia-223 on 0000:3b:00.0): the kernel did not create it; every change is undone")}]' >/dev/null &&
	[[ $out == *"--- stderr
vgpu-split: mdev $U (nvidia-223 on 0000:3b:00.0): the kernel did not create it; every change is undone
--- exit 1" ]] && [ "$(runfiles)" = "lock " ]
ok $? "  a real run: the kernel does not create it, status failed, exit 1, no journal"

# a definition whose parent never appears
fresh
rm "$MD/0000:3b:00.0/$BAD"
mkdir -p "$MD/0000:af:00.0"
mdevctl_text nvidia-223 auto >"$MD/0000:af:00.0/$W"
t0=$(date +%s%N)
out=$(run_capture "$VS" --sysroot "$S" --apply --wait 0.3)
ms=$((($(date +%s%N) - t0) / 1000000))
same "$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
vgpu-split: 0000:af:00.0 did not appear within 0.3 s: $W not applied
--- exit 1" "--apply --wait 0.3 with a parent that never appears: the others applied, it is named, exit 1"
[ "$ms" -ge 250 ] && [ "$ms" -lt 2000 ]; ok $? "  it waited about 0.3 s, well under 2 s (${ms} ms)"
out=$(run_capture "$VS" --sysroot "$S" --apply --wait 0 -J)
stdout_of | jq -e --arg a "$A" --arg w "$W" '[.[] | [.what, .device, .uuid, .status]] == [
  ["mdev","0000:00:02.0",$a,"unchanged"],["mdev","0000:af:00.0",$w,"missing"]]
  and .[1].message == "0000:af:00.0 did not appear within 0 s"' >/dev/null && [[ $out == *"--- exit 1" ]]
ok $? "--apply -J --wait 0: statuses unchanged and missing, exit 1"
out=$(run_capture "$VS" --sysroot "$S" --apply --wait 0.3 00:02.0)
same "$A already active (i915-GVTg_V5_4 on 0000:00:02.0)
--- stderr
--- exit 0" "--apply 00:02.0: the missing parent is not asked for, exit 0"
for w in -1 x 3601 ''; do
	out=$(run_capture "$VS" --sysroot "$S" --apply --wait "$w")
	same "--- stderr
vgpu-split: --wait $w: give seconds from 0 to 3600
--- exit 2" "--apply --wait '$w': exit 2"
done
out=$(run_capture "$VS" --sysroot "$S" --list --wait 1)
same "--- stderr
vgpu-split: --wait goes with --apply only
--- exit 2" "--wait without --apply: exit 2"

# ==== 7. a signal, a failed write, a SIGKILL midway (fault build) ====
FV=$BUILDDIR/faults/vgpu-split
if [ ! -x "$FV" ]; then
	# the ASan build of make check has the fault points in the build itself
	fresh
	PASSTHRU_FAIL_WRITE=1 "$VS" --sysroot "$S" --vgpu-type 1158 5e:00.4 2>&1 | grep -q 'Input/output error' && FV=$VS
fi
if [ -x "$FV" ]; then
	# the changes, counted: 1 the journal, 2 current_vgpu_type 0, 3 current_vgpu_type 1158, 4 the commit
	fresh
	out=$(PASSTHRU_SIGNAL_WRITE=3 run_capture "$FV" --sysroot "$S" -v --vgpu-type 1158 5e:00.4)
	same "--- stderr
vgpu-split: journal /run/passthru-utils/journal
vgpu-split: write $CT4 0
vgpu-split: write $CT4 1158
vgpu-split: write $CT4 0
vgpu-split: write $CT4 1157
vgpu-split: journal /run/passthru-utils/journal removed
vgpu-split: interrupted by SIGTERM; every change is undone
--- exit 1" "SIGTERM as 1158 is written: rolled back through 0 to 1157, exit 1"
	is "$(cat "$CT4")|$(runfiles)" "1157|lock " "  current_vgpu_type 1157 again, no journal"
	fresh
	out=$(PASSTHRU_SIGNAL=INT PASSTHRU_SIGNAL_WRITE=2 run_capture "$FV" --sysroot "$S" --vgpu-type 1158 5e:00.4)
	same "--- stderr
vgpu-split: interrupted by SIGINT; every change is undone
--- exit 1" "SIGINT as 0 is written: rolled back, exit 1"
	is "$(cat "$CT4")|$(runfiles)" "1157|lock " "  1157 again, no journal"
	fresh
	out=$(PASSTHRU_SIGNAL_WRITE=4 run_capture "$FV" --sysroot "$S" --persist --vgpu-type 1158 5e:00.4)
	same "--- stderr
vgpu-split: interrupted by SIGTERM; every change is undone
--- exit 1" "--persist, SIGTERM as the file is written: rolled back, exit 1"
	is "$(cat "$CT4")|$(ls -A "$S/etc/passthru-utils" 2>/dev/null)|$(runfiles)" "1157||lock " "  1157, no vgpu-split.conf (nor its .tmp), no journal"
	fresh
	out=$(PASSTHRU_FAIL_WRITE=2 run_capture "$FV" --sysroot "$S" --vgpu-type 1158 5e:00.4)
	same "--- stderr
vgpu-split: write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 1158: Input/output error; every change is undone
--- exit 1" "the write of 1158 fails after 0: exit 1, undone"
	is "$(cat "$CT4")|$(runfiles)" "1157|lock " "  1157 again, no journal"
	fresh
	out=$(PASSTHRU_FAIL_WRITE=1 run_capture "$FV" --sysroot "$S" --vgpu-type 1158 5e:00.4)
	same "--- stderr
vgpu-split: write /sys/bus/pci/devices/0000:5e:00.4/nvidia/current_vgpu_type 0: Input/output error; nothing was changed
--- exit 1" "the write of 0 fails: exit 1, nothing was changed"
	is "$(cat "$CT4")|$(runfiles)" "1157|lock " "  1157, no journal"

	# SIGKILL before the write of 1158: the journal stays
	fresh
	killed 3 --sysroot "$S" --vgpu-type 1158 5e:00.4
	pid=$(sed -n 's/^pid //p' "$J" 2>/dev/null)
	is "$killed|$(cat "$CT4")|$(runfiles)|$(sed -n 3p "$J" 2>/dev/null)" "137|0|journal lock |action vgpu" \
		"SIGKILL between 0 and 1158: current_vgpu_type 0, the journal left"
	out=$(run_capture "$VS" --sysroot "$S" --vgpu-type 1159 5e:00.5)
	same "--- stderr
vgpu-split: a run (pid $pid) was killed in the middle of a change and left its journal /run/passthru-utils/journal; 'vfio-bind --restore' puts its devices back first
--- exit 3" "  a new run is refused until --restore, exit 3"
	out=$(run_capture "$VB" --sysroot "$S" -v --restore)
	same "the vgpu run of pid $pid was interrupted; 1 change undone, everything is where it was before it
--- stderr
vfio-bind: write $CT4 1157
vfio-bind: journal /run/passthru-utils/journal removed
--- exit 0" "  vfio-bind --restore: current_vgpu_type back, exact message"
	is "$(cat "$CT4")|$(runfiles)" "1157|lock " "  1157 again, the journal removed"
	out=$(run_capture "$VB" --sysroot "$S" --restore)
	same "no interrupted run: nothing to restore
--- stderr
--- exit 0" "  a second --restore: nothing to do"

	# SIGKILL after the journal, before any write: --restore has nothing to undo
	fresh
	killed 2 --sysroot "$S" --vgpu-type 1158 5e:00.4
	pid=$(sed -n 's/^pid //p' "$J" 2>/dev/null)
	out=$(run_capture "$VB" --sysroot "$S" -v --restore)
	same "the vgpu run of pid $pid was interrupted; 0 changes undone, everything is where it was before it
--- stderr
vfio-bind: journal /run/passthru-utils/journal removed
--- exit 0" "SIGKILL before the first write: --restore writes nothing (no round trip through 0)"
	is "$(cat "$CT4")|$(runfiles)" "1157|lock " "  1157 all along, the journal removed"
	fresh
	killed 2 --sysroot "$S" --vfs 2 --no-autoprobe 5e:00.0
	pid=$(sed -n 's/^pid //p' "$J" 2>/dev/null)
	out=$(run_capture "$VB" --sysroot "$S" -v --restore)
	same "the vfs run of pid $pid was interrupted; 0 changes undone, everything is where it was before it
--- stderr
vfio-bind: journal /run/passthru-utils/journal removed
--- exit 0" "  the same for --vfs 2 on the L40S: --restore does not tear the 4 VFs down and make them again"
	is "$(cat "$D/0000:5e:00.0/sriov_numvfs") $(cat "$D/0000:5e:00.0/sriov_drivers_autoprobe")" "4 1" "  4 VFs, autoprobe 1"
	fresh
	killed 3 --sysroot "$S" --vfs 2 --no-autoprobe 5e:00.0
	out=$(run_capture "$VB" --sysroot "$S" -v --restore)
	[[ $out == *"1 change undone"*"vfio-bind: write $D/0000:5e:00.0/sriov_numvfs 4
vfio-bind: journal /run/passthru-utils/journal removed
--- exit 0" ]] && [ "$(cat "$D/0000:5e:00.0/sriov_numvfs") $(cat "$D/0000:5e:00.0/sriov_drivers_autoprobe")" = "4 1" ]
	ok $? "  killed after sriov_numvfs 0: --restore writes 4 back, once"

	# SIGKILL after the file was written, before the commit
	fresh
	killed 5 --sysroot "$S" --persist --vgpu-type 1158 5e:00.4
	is "$(cat "$CT4")|$(cat "$CONF" 2>/dev/null | tail -n 1)|$(runfiles)" "1158|vgpu 0000:5e:00.4 1158|journal lock " \
		"--persist, SIGKILL before the commit: the type and the file written, the journal left"
	out=$(run_capture "$VB" --sysroot "$S" --restore)
	[[ $out == "the vgpu run of pid "*" was interrupted; "*" undone, everything is where it was before it
--- stderr
--- exit 0" ]] && [ "$(cat "$CT4")" = 1157 ] && [ ! -e "$CONF" ] && [ "$(runfiles)" = "lock " ]
	ok $? "  --restore: 1157 again, vgpu-split.conf gone (it did not exist), the journal removed"
else
	ok 0 "# SKIP no fault build ($BUILDDIR/faults/vgpu-split)"
fi

# ==== 8. mdevctl reads what vgpu-split writes, and the other way round ====
why=
if [ "$(id -u)" -ne 0 ]; then why="not root"
elif ! command -v mdevctl >/dev/null; then why="no mdevctl"
elif ! command -v unshare >/dev/null; then why="no unshare"
elif ! unshare -m true 2>/dev/null; then why="unshare -m not permitted here"
elif [ ! -d /etc/mdevctl.d ]; then why="no /etc/mdevctl.d to mount over"
fi
# mdevctl ARGS...: mdevctl on $S/etc/mdevctl.d, in a private mount namespace
mdevctl_in() { unshare -m sh -c 'mount --bind "$0/etc/mdevctl.d" /etc/mdevctl.d && exec mdevctl "$@"' "$S" "$@"; }
if [ -z "$why" ]; then
	fresh
	# mdevctl 1.2 wants its script directories, and fails on any bad file
	mkdir -p "$MD/scripts.d/callouts" "$MD/scripts.d/notifiers"
	rm "$MD/0000:3b:00.0/$BAD" "$MD/0000:00:02.0/$A"
	"$VS" --sysroot "$S" --create i915-GVTg_V5_4 00:02.0 --uuid "$A" --persist >/dev/null
	out=$(run_capture mdevctl_in list -d)
	same "$A 0000:00:02.0 i915-GVTg_V5_4 auto
$M 0000:3b:00.0 nvidia-222 manual

--- stderr
--- exit 0" "mdevctl list -d: the definition vgpu-split wrote (and the fixture's manual one), exit 0"
	out=$(run_capture "$VS" --sysroot "$S" --list 00:02.0)
	[[ $out == *"$A  0000:00:02.0  i915-GVTg_V5_4  GVTg_V5_4  11     active  auto   -"*"--- stderr
--- exit 0" ]]; ok $? "  scripts.d beside the parents: not taken for a parent, no warning"
	cp "$MD/0000:00:02.0/$A" "$T/ours"
	rm "$MD/0000:00:02.0/$A"
	mdevctl_in define -p 0000:00:02.0 -t i915-GVTg_V5_4 -u "$A" --auto
	cmp "$T/ours" "$MD/0000:00:02.0/$A" >/dev/null
	ok $? "the bytes mdevctl writes for the same mdev, type and start are the bytes vgpu-split wrote"

	mdevctl_in define -p 0000:3b:00.0 -t nvidia-223 -u "$U" --auto
	printf '{"mdev_type": "nvidia-222", "start": "auto", "attrs": [{"frl_enabled": "0"}, {"ecc": "1"}]}' >"$T/def.json"
	mdevctl_in define -p 0000:3b:00.0 -u "$W" --jsonfile "$T/def.json"
	out=$(run_capture "$VS" --sysroot "$S" --list 3b:00.0)
	same "MDEV                                  PARENT        TYPE        NAME        GROUP  STATE    START   HOLDER
$M  0000:3b:00.0  nvidia-222  GRID T4-1B  -      defined  manual  -
$U  0000:3b:00.0  nvidia-223  GRID T4-2B  -      defined  auto    -
$W  0000:3b:00.0  nvidia-222  GRID T4-1B  -      defined  auto    -
--- stderr
--- exit 0" "vgpu-split --list reads what mdevctl define wrote (--auto, and --jsonfile with attrs): START right"
	out=$(run_capture "$VS" --sysroot "$S" --dry-run --apply 3b:00.0)
	same "write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-223/create $U
$U created (nvidia-223 on 0000:3b:00.0) (dry run: nothing changed)
write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-222/create $W
write /sys/bus/mdev/devices/$W/frl_enabled 0
write /sys/bus/mdev/devices/$W/ecc 1
$W created (nvidia-222 on 0000:3b:00.0) (dry run: nothing changed)
--- stderr
--- exit 0" "  --apply --dry-run: both created, the attrs mdevctl kept written in order"
	mdevctl_in list -d --dumpjson >"$T/md.json"
	"$VS" --sysroot "$S" --list -J 2>/dev/null | jq -e --slurpfile md "$T/md.json" '
	  [.[] | select(.mdev) | {uuid: .mdev, parent, type, start}] | sort_by(.uuid) ==
	  ($md[0][0] | to_entries | map(.key as $p | .value[] | to_entries[] |
	    {uuid: .key, parent: $p, type: .value.mdev_type, start: .value.start}) | sort_by(.uuid))' >/dev/null
	ok $? "vgpu-split --list -J and mdevctl list -d --dumpjson: the same definitions"
	cp "$MD/0000:3b:00.0/$U" "$T/theirs"
	rm "$MD/0000:3b:00.0/$U"
	mkdir -p "$S/sys/devices/pci0000:00/0000:00:01.0/0000:3b:00.0/$U"
	ln -s ../mdev_supported_types/nvidia-223 "$S/sys/devices/pci0000:00/0000:00:01.0/0000:3b:00.0/$U/mdev_type"
	ln -s "../../../devices/pci0000:00/0000:00:01.0/0000:3b:00.0/$U" "$S/sys/bus/mdev/devices/$U"
	out=$(run_capture "$VS" --sysroot "$S" --create nvidia-223 3b:00.0 --uuid "$U" --persist)
	[[ $out == "$U already active (nvidia-223 on 0000:3b:00.0); defined now"* ]] && cmp "$T/theirs" "$MD/0000:3b:00.0/$U" >/dev/null
	ok $? "  and for a T4 mdev made active by hand: vgpu-split --persist writes mdevctl's bytes again (cmp)"
	out=$(run_capture mdevctl_in list -d -p 0000:3b:00.0)
	[[ $out == *"$U 0000:3b:00.0 nvidia-223 auto"*"--- exit 0" ]]; ok $? "  mdevctl lists that definition"
else
	echo "ok $((tap_n + 1)) # SKIP mdevctl interop: $why"
	tap_n=$((tap_n + 1))
fi

# ---- --create --uuid of a defined mdev: as its definition says ----
fresh
printf '{\n  "mdev_type": "nvidia-222",\n  "start": "manual",\n  "attrs": [\n    {\n      "a": "1"\n    }\n  ]\n}' >"$MD/0000:3b:00.0/$M"
cp "$MD/0000:3b:00.0/$M" "$T/def-before"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create nvidia-222 --uuid "$M" 3b:00.0)
same "write /sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-222/create $M
write /sys/bus/mdev/devices/$M/a 1
$M
--- stderr
--- exit 0" "--create --uuid of a defined mdev: created with the definition's attributes"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create nvidia-222 --uuid "$M" --persist 3b:00.0)
[[ $out == *'create /etc/mdevctl.d/0000:3b:00.0/'"$M"' {\n  "mdev_type": "nvidia-222",\n  "start": "auto",\n  "attrs": [\n    {\n      "a": "1"\n    }\n  ]\n}'* ]]
ok $? "  with --persist: the definition keeps its attributes, start auto"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create nvidia-223 --uuid "$M" 3b:00.0)
same "--- stderr
vgpu-split: mdev $M is defined as nvidia-222 on 0000:3b:00.0 (/etc/mdevctl.d/0000:3b:00.0/$M), not as nvidia-223
--- exit 2" "  another type than defined: exit 2"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create i915-GVTg_V5_8 --uuid "$M" 00:02.0)
same "--- stderr
vgpu-split: mdev $M is defined on 0000:3b:00.0 (/etc/mdevctl.d/0000:3b:00.0/$M), not on 0000:00:02.0
--- exit 2" "  another parent than defined: exit 2"
cmp -s "$T/def-before" "$MD/0000:3b:00.0/$M"; ok $? "  the definition is unchanged by all of it"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --create nvidia-222 --uuid "$BAD" 3b:00.0)
same "--- stderr
vgpu-split: /etc/mdevctl.d/0000:3b:00.0/$BAD: a value expected at byte 42: it is no definition; fix or remove it first
--- exit 2" "--create --uuid of a broken definition's name: named, exit 2"
out=$(run_capture "$VS" --sysroot "$S" --remove "$BAD" --persist)
same "$BAD no longer defined (/etc/mdevctl.d/0000:3b:00.0/$BAD removed): it was no definition
--- stderr
--- exit 0" "--remove --persist of a broken definition's name: the file goes, said so"
[ ! -e "$MD/0000:3b:00.0/$BAD" ] && [ -e "$MD/0000:3b:00.0/$M" ]; ok $? "  that file only"

# ---- --apply -J names what it could not read ----
fresh
mkdir -p "$S/etc/passthru-utils"
printf 'vgpu 0000:5e:00.4 1157\nvfs nowhere 2\n' >"$CONF"
out=$(run_capture "$VS" --sysroot "$S" --dry-run --apply -J --wait 0)
is "$(stdout_of | jq -c '[.[] | [.what, .device, .status]]')" \
	'[["vgpu","0000:5e:00.4","unchanged"],["mdev","0000:00:02.0","unchanged"],["conf",null,"unreadable"],["definition","0000:3b:00.0","unreadable"]]' \
	"--apply -J: a bad line and a bad definition are items of their own, unreadable"
[[ $out == *"--- exit 1" ]]; ok $? "  and the run exits 1"
is "$(stdout_of | jq -r '.[2].message')" "/etc/passthru-utils/vgpu-split.conf: line 2: not a PCI address" "  the bad line named"

# ---- --check of an mdev parent and of an NVIDIA vGPU VF ----
fresh
out=$(run_capture "$VS" --sysroot "$S" --check 00:02.0)
same "ok   0000:00:02.0 is an mdev parent (driver i915): 4 types, up to 6 instances available (the types share the device)
--- stderr
--- exit 0" "--check of the GVT-g iGPU: its types and what is left, no IOMMU asked for, exit 0"
for t in "$TY"/0000:3b:00.0/mdev_supported_types/*; do echo 0 >"$t/available_instances"; done
out=$(run_capture "$VS" --sysroot "$S" --check 3b:00.0)
same "ok   0000:3b:00.0 is an mdev parent (driver nvidia): 3 types, up to 0 instances available (the types share the device)
fail no type of 0000:3b:00.0 has an instance left: remove one first (vgpu-split --list shows them)
--- stderr
--- exit 4" "--check of a T4 with every instance used: fail, exit 4"
out=$(run_capture "$VS" --sysroot "$S" --check 5e:00.4)
same "ok   0000:5e:00.4 is an NVIDIA vGPU VF (driver nvidia): vGPU type 1157 now, 4 types creatable
ok   IOMMU on: 12 groups
--- stderr
--- exit 0" "--check of an L40S VF: its type and what it can take"
: >"$D/0000:5e:00.5/nvidia/creatable_vgpu_types"
out=$(run_capture "$VS" --sysroot "$S" --check -J 5e:00.5)
j=$(stdout_of)
is "$(echo "$j" | jq -c '[.can_split, [.checks[] | .status + " " + .check]]')" \
	'[false,["ok vgpu","fail vgpu","ok iommu"]]' "--check -J of a VF with nothing creatable and no type: can_split false"

done_testing

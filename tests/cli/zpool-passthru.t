#!/bin/bash
# zpool-passthru.t: the command on copies of the zfs-nas and zfs-host
# fixtures, with ZFS labels written at test time into $S/dev/NAME by
# tests/helpers/mkzfs-label (libblkid probes those files): two pools on a
# SAS HBA with twelve disks, a pool on two NVMe controllers, ZFS on Linux's
# partitioned disks (and libblkid's whole-disk echo of a last partition),
# a pool spread over the HBA and the AHCI of the boot disk, a host with its
# pool imported, another system's pool, and bad input. Each case: the exact
# output, the exact exit code, and a tree left as it was.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
ZP=$BUILDDIR/zpool-passthru
[ -x "$ZP" ] || { echo "1..0 # SKIP zpool-passthru not built in $BUILDDIR"; exit 0; }
python3 -c 1 2>/dev/null || { echo "1..0 # SKIP no python3 for tests/helpers/mkzfs-label"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fresh() { rm -rf "$T/host"; cp -a "$FIX/$1" "$T/host"; S=$T/host; }
snap() { (cd "$S" && find . -printf '%p %s %l\n' | sort | md5sum); }

MK=tests/helpers/mkzfs-label
TS=1700000000
# label DEV POOL GUID [mkzfs-label options]: a ZFS label on $S/dev/DEV
label() {
	local dev=$1 pool=$2 guid=$3 pg
	shift 3
	case $pool in tank) pg=5092458012749520392 ;; backup) pg=77 ;; fast) pg=88 ;; *) pg=99 ;; esac
	"$MK" "$S/dev/$dev" --pool "$pool" --pool-guid "$pg" --guid "$guid" --timestamp "$TS" "$@" >/dev/null
}
# no_uberblocks DEV: zero the uberblock rings of its four labels (a 64 MiB
# vdev): libblkid then takes none of them, the config nvlists stay
no_uberblocks() {
	local k
	for k in 1 3 509 511; do
		dd if=/dev/zero of="$S/dev/$1" bs=128K seek=$k count=1 conv=notrunc status=none
	done
}
# zfs-nas with tank on partition 1 of sdb-sdg, backup on sdh-sdm (whole
# disks), fast on the NVMe drives' partitions, every pool exported
nas() {
	local i=0 d
	fresh zfs-nas
	# sdb's node is the whole disk, partition 1 at 1 MiB running to its
	# end: libblkid finds tank's last labels through the whole disk too
	truncate -s 100M "$S/dev/sdb"
	label sdb tank 1001 --state 1 --offset 1048576 --size $((99 << 20))
	dd if="$S/dev/sdb" of="$S/dev/sdb1" bs=1M skip=1 conv=sparse status=none
	for d in c d e f g; do label "sd${d}1" tank $((1002 + i)) --state 1; i=$((i + 1)); done
	i=0
	for d in h i j k l m; do label "sd$d" backup $((2001 + i)) --state 1; i=$((i + 1)); done
	label nvme0n1p1 fast 3001 --state 1
	label nvme1n1p1 fast 3002 --state 1
}

# run ARGS...: the command on $S: $out, $err, $rc, and $changed (0: the
# tree is as it was)
run() {
	local before
	before=$(snap)
	"$ZP" --sysroot "$S" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	[ "$(snap)" = "$before" ]
	changed=$?
}
show() { # show WANT GOT: a diff, as TAP comments
	diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") | sed 's/^/#   /'
}
# expect NAME EXIT STDERR ARGS...: the exit code, stderr exactly, the tree
expect() {
	local name=$1 want_rc=$2 want=$3
	shift 3
	run "$@"
	[ "$rc" -eq "$want_rc" ] && [ "$err" = "$want" ] && [ "$changed" -eq 0 ]
	ok $? "$name (exit $rc, want $want_rc)"
	[ "$err" = "$want" ] || show "$want" "$err"
	[ "$changed" -eq 0 ] || echo "#   the tree changed"
}
# plan NAME EXIT STDERR ARGS... <<<STDOUT: the same, and stdout exactly
plan() {
	local want_out
	want_out=$(cat)
	expect "$@"
	[ "$out" = "$want_out" ]
	ok $? "$1: the output"
	[ "$out" = "$want_out" ] || show "$want_out" "$out"
}

HBA_HEAD='0000:01:00.0  IOMMU group 2  mpt3sas  Broadcom / LSI SAS3008 PCI-Express Fusion-MPT SAS-3
  group 2 also holds 0000:00:01.0 (pcieport, bridge)'
TANK_ROWS='  sdb   member      tank    on sdb1, exported
  sdc   member      tank    on sdc1, exported
  sdd   member      tank    on sdd1, exported
  sde   member      tank    on sde1, exported
  sdf   member      tank    on sdf1, exported
  sdg   member      tank    on sdg1, exported'

# ---- two pools on one HBA ----
nas
plan "tank alone: backup's disks share its HBA" 3 \
	"zpool-passthru: sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 are in pool backup, not in pool tank: name that pool too to take them along" \
	tank <<EOF
pool tank: sdb sdc sdd sde sdf sdg

$HBA_HEAD
  DISK  ROLE        POOL    DETAIL
$TANK_ROWS
  sdh   other-pool  backup  exported
  sdi   other-pool  backup  exported
  sdj   other-pool  backup  exported
  sdk   other-pool  backup  exported
  sdl   other-pool  backup  exported
  sdm   other-pool  backup  exported

verdict: refused
EOF
expect "backup alone: tank's disks share it" 3 \
	"zpool-passthru: sdb, sdc, sdd, sde, sdf, sdg on 0000:01:00.0 are in pool tank, not in pool backup: name that pool too to take them along" \
	backup
plan "tank and backup: the HBA may go" 0 "" tank backup <<EOF
pool tank: sdb sdc sdd sde sdf sdg
pool backup: sdh sdi sdj sdk sdl sdm

$HBA_HEAD
  DISK  ROLE    POOL    DETAIL
  sdb   member  tank    on sdb1, exported
  sdc   member  tank    on sdc1, exported
  sdd   member  tank    on sdd1, exported
  sde   member  tank    on sde1, exported
  sdf   member  tank    on sdf1, exported
  sdg   member  tank    on sdg1, exported
  sdh   member  backup  exported
  sdi   member  backup  exported
  sdj   member  backup  exported
  sdk   member  backup  exported
  sdl   member  backup  exported
  sdm   member  backup  exported

verdict: ok
EOF
plan "--bdf: the HBA's address only" 0 "" --bdf tank backup <<<"0000:01:00.0"
plan "--bdf of a refused plan: nothing on stdout" 3 \
	"zpool-passthru: sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 are in pool backup, not in pool tank: name that pool too to take them along" \
	--bdf tank <<<""
plan "--list-pools: each pool once (sdb and sdb1 both say tank)" 0 "" --list-pools <<EOF
backup
fast
tank
EOF
run -J --list-pools
[ "$rc" -eq 0 ] && [ "$(jq -c . <<<"$out")" = '{"pools":["backup","fast","tank"]}' ]
ok $? "--list-pools -J"

# ---- a pool over two NVMe controllers ----
plan "fast: both NVMe controllers" 0 "" fast <<EOF
pool fast: nvme0n1 nvme1n1

0000:02:00.0  IOMMU group 8  nvme  Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983
  DISK     ROLE    POOL  DETAIL
  nvme0n1  member  fast  on nvme0n1p1, exported

0000:03:00.0  IOMMU group 9  nvme  Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983
  DISK     ROLE    POOL  DETAIL
  nvme1n1  member  fast  on nvme1n1p1, exported

verdict: ok
EOF
plan "fast --bdf: two lines" 0 "" --bdf fast <<EOF
0000:02:00.0
0000:03:00.0
EOF

# ---- disks named ----
expect "a disk by its id brings its pool, and tank's disks share the HBA" 3 \
	"zpool-passthru: sdb, sdc, sdd, sde, sdf, sdg on 0000:01:00.0 are in pool tank, not in pool backup: name that pool too to take them along" \
	/dev/disk/by-id/wwn-0x5000cca2a1b2c308
plan "two disks, one of each pool: both pools" 0 "" --bdf /dev/sdb /dev/disk/by-id/scsi-35000cca2a1b2c308 <<<"0000:01:00.0"
run /dev/sdb /dev/sdh
[ "$rc" -eq 0 ] && [ "${out%%$'\n\n'*}" = $'pool tank: sdb sdc sdd sde sdf sdg\npool backup: sdh sdi sdj sdk sdl sdm' ]
ok $? "and the plan names the pools, not the disks (exit $rc)"

# ---- JSON ----
run -J tank
[ "$rc" -eq 3 ] && jq -e '
	.verdict == "refused" and .error.exit == 3 and
	(.error.message | startswith("sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 are in pool backup")) and
	.pools == [{"name": "tank", "named": true, "imported": false, "foreign": false, "last_host": null,
		"members": ["sdb", "sdc", "sdd", "sde", "sdf", "sdg"]}] and
	.named == [] and
	(.controllers | length) == 1 and .controllers[0].bdf == "0000:01:00.0" and .controllers[0].group == 2 and
	.controllers[0].driver == "mpt3sas" and
	.controllers[0].group_devices == [{"bdf": "0000:00:01.0", "driver": "pcieport", "bridge": true}] and
	(.controllers[0].disks | map(.role) | unique) == ["member", "other-pool"] and
	.controllers[0].disks[0] == {"name": "sdb", "role": "member", "pool": "tank", "on": "sdb1",
		"detail": "on sdb1, exported"} and
	.controllers[0].disks[7] == {"name": "sdi", "role": "other-pool", "pool": "backup", "on": "sdi",
		"detail": "exported"} and
	(.refusals | length) == 1 and .refusals[0].disk == "sdh" and .refusals[0].pool == "backup" and
	.refusals[0].override == null and .refusals[0].overridden == false' <<<"$out" >/dev/null
ok $? "-J of a refused plan: one whole document, the error in it (exit $rc)"
[ "$err" = "zpool-passthru: sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 are in pool backup, not in pool tank: name that pool too to take them along" ]
ok $? "and the one line on stderr"

# ---- --bind, as a dry run ----
WRITES='load module vfio-pci
load module vfio_iommu_type1
create /run/passthru-utils/vfio-bind/0000:01:00.0 mpt3sas
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/mpt3sas/unbind 0000:01:00.0
write /sys/bus/pci/drivers_probe 0000:01:00.0'
run --bind --dry-run tank backup
[ "$rc" -eq 0 ] && [ "$changed" -eq 0 ] && [ -z "$err" ] &&
	[ "${out#*verdict: ok$'\n\n'}" = "$WRITES"$'\n0000:01:00.0 mpt3sas -> vfio-pci (group 2)' ]
ok $? "--bind --dry-run: the plan, vfio-bind's writes, the result line; nothing written (exit $rc)"
[ "${out#*verdict: ok$'\n\n'}" = "$WRITES"$'\n0000:01:00.0 mpt3sas -> vfio-pci (group 2)' ] || show "$WRITES" "${out#*verdict: ok}"
run -J --bind --dry-run tank backup
[ "$rc" -eq 0 ] && [ "$err" = "$WRITES" ] &&
	jq -e '.verdict == "ok" and .error == null and
	.bind == [{"bdf": "0000:01:00.0", "group": 2, "before": "mpt3sas", "after": "vfio-pci", "changed": true}]' \
	<<<"$out" >/dev/null
ok $? "-J --bind --dry-run: the writes on stderr, the bind in the document (exit $rc)"
expect "--bind of a refused plan writes nothing" 3 \
	"zpool-passthru: sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 are in pool backup, not in pool tank: name that pool too to take them along" \
	--bind --dry-run tank

# ---- the whole disk's own answer, when no partition's it is ----
label sdc old 4001 --state 1 --size $((64 << 20))
truncate -s 100M "$S/dev/sdc"
expect "a stale whole-disk label under a partition of tank: another pool's" 3 \
	"zpool-passthru: sdc on 0000:01:00.0 is in pool old, not in pools tank and backup: name that pool too to take it along" \
	tank backup
plan "--list-pools knows it" 0 "" --list-pools <<EOF
backup
fast
old
tank
EOF

# ---- a pool spread over the HBA and the boot disk's AHCI ----
nas
label sdn tank 1007 --state 1
plan "tank over the HBA and the AHCI, whose sda is the host's" 3 \
	"zpool-passthru: pools tank and backup span 2 controllers (0000:00:17.0, 0000:01:00.0), and every one must go: sda on 0000:00:17.0 is used by the host: sda1 (vfat) is mounted on /boot/efi" \
	tank backup <<EOF
pool tank: sdb sdc sdd sde sdf sdg sdn
pool backup: sdh sdi sdj sdk sdl sdm

0000:00:17.0  IOMMU group 4  ahci  Intel Corporation Cannon Lake PCH SATA AHCI Controller
  DISK  ROLE    POOL  DETAIL
  sda   host    -     sda1 (vfat) is mounted on /boot/efi
  sdn   member  tank  exported

$HBA_HEAD
  DISK  ROLE    POOL    DETAIL
  sdb   member  tank    on sdb1, exported
  sdc   member  tank    on sdc1, exported
  sdd   member  tank    on sdd1, exported
  sde   member  tank    on sde1, exported
  sdf   member  tank    on sdf1, exported
  sdg   member  tank    on sdg1, exported
  sdh   member  backup  exported
  sdi   member  backup  exported
  sdj   member  backup  exported
  sdk   member  backup  exported
  sdl   member  backup  exported
  sdm   member  backup  exported

verdict: refused
EOF
expect "--force does not take the host's disk" 3 \
	"zpool-passthru: pools tank and backup span 2 controllers (0000:00:17.0, 0000:01:00.0), and every one must go: sda on 0000:00:17.0 is used by the host: sda1 (vfat) is mounted on /boot/efi" \
	--force --foreign tank backup
: >"$S/proc/self/mountinfo"
expect "nothing mounted: sda holds nothing (its partitions neither)" 3 \
	"zpool-passthru: pools tank and backup span 2 controllers (0000:00:17.0, 0000:01:00.0), and every one must go: sda on 0000:00:17.0 holds nothing and is not in pools tank and backup; --force takes it along" \
	tank backup
plan "--force: both controllers" 0 \
	"zpool-passthru: warning: sda on 0000:00:17.0 holds nothing and is not in pools tank and backup (--force given)" \
	--force --bdf tank backup <<EOF
0000:00:17.0
0000:01:00.0
EOF

# ---- unused disks, a filesystem, swap, a damaged label, a spare, a missing node ----
nas
for d in h i j k l m; do : >"$S/dev/sd$d"; done
expect "tank with six blank disks on its HBA" 3 \
	"zpool-passthru: sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 hold nothing and are not in pool tank; --force takes them along" \
	tank
plan "--force takes them, with a warning" 0 \
	"zpool-passthru: warning: sdh, sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 hold nothing and are not in pool tank (--force given)" \
	--force tank <<EOF
pool tank: sdb sdc sdd sde sdf sdg

$HBA_HEAD
  DISK  ROLE    POOL  DETAIL
$(printf '%s\n' "$TANK_ROWS" | sed 's/member      tank    /member  tank  /')
  sdh   unused  -     -
  sdi   unused  -     -
  sdj   unused  -     -
  sdk   unused  -     -
  sdl   unused  -     -
  sdm   unused  -     -

verdict: ok
EOF
truncate -s 8M "$S/dev/sdh"
mkswap -q -L data "$S/dev/sdh" 2>/dev/null
expect "swap on sdh: --force does not take a signature" 3 \
	"zpool-passthru: sdh on 0000:01:00.0 holds swap (LABEL data), not in pool tank: name it (/dev/sdh) to take it along" \
	--force tank
expect "named, it goes" 0 \
	"zpool-passthru: warning: sdi, sdj, sdk, sdl, sdm on 0000:01:00.0 hold nothing and are not in pool tank (--force given)" \
	--force tank /dev/sdh
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/sdh partition 8188 0 -2\n' >"$S/proc/swaps"
expect "active swap on sdh: refused, named and forced" 3 \
	"zpool-passthru: sdh on 0000:01:00.0 is used by the host: sdh is active swap" \
	--force --foreign tank /dev/sdh
printf 'Filename\tType\tSize\tUsed\tPriority\n' >"$S/proc/swaps"
printf '%s\n' "30 1 8:112 / /srv rw,relatime shared:4 - ext4 /dev/sdh rw" >>"$S/proc/self/mountinfo"
expect "a mounted filesystem on sdh: refused, named and forced" 3 \
	"zpool-passthru: sdh on 0000:01:00.0 is used by the host: sdh (ext4) is mounted on /srv" \
	--force tank /dev/sdh
sed -i '$d' "$S/proc/self/mountinfo"
: >"$S/dev/sdh"

label sdi backup 2002 --state 1
no_uberblocks sdi
expect "a label libblkid does not take: damaged, nothing overrides it" 3 \
	"zpool-passthru: sdi on 0000:01:00.0 has a ZFS label of pool backup that libblkid does not take (too few uberblocks, or a device under 64 MiB): repair it, or clear it (wipefs -a /dev/sdi), first" \
	--force tank
expect "named, a damaged label is an error" 1 \
	"zpool-passthru: /dev/sdi: a ZFS label of pool backup that libblkid does not take (too few uberblocks, or a device under 64 MiB): its pool cannot be told; repair it, or clear it (wipefs -a /dev/sdi), first" \
	tank /dev/sdi
: >"$S/dev/sdi"

# a hot spare as OpenZFS writes it: no uberblocks, no pool name
label sdj backup 2003 --state 3
no_uberblocks sdj
python3 -c 'import sys; p = sys.argv[1]; b = open(p, "rb").read(); open(p, "r+b").write(b.replace(b"\0\0\0\4name\0\0\0\x09", b"\0\0\0\4nome\0\0\0\x09"))' "$S/dev/sdj"
expect "a spare of no known pool: reported, not dropped" 3 \
	"zpool-passthru: sdj on 0000:01:00.0 holds a ZFS hot spare whose label names no pool: name it (/dev/sdj) to take it along" \
	--force tank
run --force tank /dev/sdj
[ "$rc" -eq 0 ] && grep -qx '  sdj   named   -     a ZFS hot spare whose label names no pool' <<<"$out"
ok $? "named, it goes: role named, what it is in DETAIL (exit $rc)"

rm "$S/dev/sdk"
expect "a disk whose node is missing cannot be read" 3 \
	"zpool-passthru: sdk on 0000:01:00.0 cannot be read (/dev/sdk: No such file or directory)" \
	--force tank /dev/sdj
expect "named, that is an error" 1 "zpool-passthru: /dev/sdk: No such file or directory" tank /dev/sdk

# ---- the HBA's group, the IOMMU, a member that is no disk ----
nas
g=$S/sys/kernel/iommu_groups
rm "$g/3/devices/0000:00:14.0"
ln -s ../../../../devices/pci0000:00/0000:00:14.0 "$g/2/devices/0000:00:14.0"
ln -sfn ../../../kernel/iommu_groups/2 "$S/sys/devices/pci0000:00/0000:00:14.0/iommu_group"
run tank backup
[ "$rc" -eq 3 ] && [ "$err" = "zpool-passthru: IOMMU group 2 also holds 0000:00:14.0 (xhci_hcd), still on host drivers: VFIO takes a group only whole, so it would have to go too (vfio-bind --group takes the whole group, if the host can spare it)" ] &&
	grep -qx '  group 2 also holds 0000:00:01.0 (pcieport, bridge), 0000:00:14.0 (xhci_hcd)' <<<"$out"
ok $? "the xHCI in the HBA's group: not viable (exit $rc)"
[ "$rc" -eq 3 ] || show "" "$err"
rm "$S/sys/devices/pci0000:00/0000:00:14.0/driver"
expect "a driverless xHCI in the group is no obstacle" 0 "" tank backup

nas
rm "$S/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/iommu_group" "$S/sys/kernel/iommu_groups/2/devices/0000:01:00.0"
run tank backup
[ "$rc" -eq 4 ] && [ "$err" = "zpool-passthru: 0000:01:00.0 is in no IOMMU group: without an IOMMU nothing can be assigned (iommu-groups --check says why)" ] &&
	grep -qx '0000:01:00.0  no IOMMU group  mpt3sas  Broadcom / LSI SAS3008 PCI-Express Fusion-MPT SAS-3' <<<"$out" &&
	[ "${out##*$'\n'}" = "verdict: unsupported" ]
ok $? "the HBA in no IOMMU group: not supported, exit 4 (exit $rc)"

nas
mkdir -p "$S/sys/devices/virtual/block/dm-0/holders"
echo 254:0 >"$S/sys/devices/virtual/block/dm-0/dev"
ln -s ../devices/virtual/block/dm-0 "$S/sys/block/dm-0"
ln -s ../../devices/virtual/block/dm-0 "$S/sys/class/block/dm-0"
label dm-0 tank 1009 --state 1
expect "a member on a dm device: no controller takes it" 3 \
	"zpool-passthru: pool tank has a member on dm-0, which is no disk behind a PCI controller (a dm, md, loop or network device): no controller takes it to a guest" \
	tank backup
expect "and named: the same" 3 \
	"zpool-passthru: pool tank has a member on dm-0, which is no disk behind a PCI controller (a dm, md, loop or network device): no controller takes it to a guest; dm-0 is no disk behind a PCI controller (a dm, md, loop or network device): no controller takes it to a guest" \
	backup /dev/dm-0

# ---- bad input ----
nas
: >"$S/dev/notadisk"
expect "an unknown pool" 1 "zpool-passthru: no disk carries pool nosuch" nosuch
expect "an unknown pool beside a known one" 1 "zpool-passthru: no disk carries pool nosuch" tank nosuch
expect "not a pool name" 2 "zpool-passthru: 1tank: not a pool name (a disk is named by its path: /dev/...)" 1tank
expect "a control character" 2 "zpool-passthru: ta\\x1bnk: not a pool name (a disk is named by its path: /dev/...)" $'ta\enk'
expect "a partition" 2 "zpool-passthru: /dev/sdb1 is partition sdb1 of sdb: a controller carries whole disks; name /dev/sdb" /dev/sdb1
expect "a partition by its id" 2 \
	"zpool-passthru: /dev/disk/by-id/wwn-0x5000cca2a1b2c303-part1 is partition sdd1 of sdd: a controller carries whole disks; name /dev/sdd" \
	/dev/disk/by-id/wwn-0x5000cca2a1b2c303-part1
expect "a file that is no block device" 2 "zpool-passthru: /dev/notadisk is not a block device" /dev/notadisk
expect "a directory" 2 "zpool-passthru: /dev/disk is not a block device" /dev/disk
expect "a file outside /dev" 2 "zpool-passthru: /proc/swaps is not a block device" /proc/swaps
expect "a path that does not exist" 1 "zpool-passthru: /dev/nosuch: No such file or directory" /dev/nosuch
ln -s loop "$S/dev/loop"
expect "a link loop" 1 "zpool-passthru: /dev/loop: Too many levels of symbolic links" /dev/loop
expect "no operand" 2 "zpool-passthru: no POOL or DISK given; try 'zpool-passthru --help'"
expect "--bdf with --bind" 2 "zpool-passthru: --bdf prints the controllers, --bind binds them: give one" --bdf --bind tank
expect "--list-pools with a pool" 2 "zpool-passthru: --list-pools takes no POOL or DISK and no other mode" --list-pools tank
run -J nosuch
[ "$rc" -eq 1 ] && [ "$(jq -c . <<<"$out")" = '{"error":{"exit":1,"message":"no disk carries pool nosuch"}}' ]
ok $? "-J of an unknown pool: a document with the error (exit $rc)"

# ---- ZFS on root: the pool imported here, another system's pool ----
fresh zfs-host
label nvme0n1p3 rpool 12 --hostid 0x3f2a1b4c --hostname desk
label sda tank 22 --hostid 0x3f2a1b4c --hostname desk
label sdb tank 23 --hostid 0x3f2a1b4c --hostname desk
plan "rpool: imported here, on the host's NVMe; nothing overrides it" 3 \
	"zpool-passthru: pool rpool is imported on this host (/proc/spl/kstat/zfs/rpool): the host uses its disks; export it first (zpool export rpool); nvme0n1 on 0000:02:00.0 is used by the host: nvme0n1p1 (vfat) is mounted on /boot/efi" \
	--force --foreign rpool <<EOF
pool rpool: nvme0n1

0000:02:00.0  IOMMU group 7  nvme  Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983
  DISK     ROLE  POOL   DETAIL
  nvme0n1  host  rpool  nvme0n1p1 (vfat) is mounted on /boot/efi

verdict: refused
EOF
expect "tank, last imported here, with a blank disk beside it" 3 \
	"zpool-passthru: sdc on 0000:00:17.0 holds nothing and is not in pool tank; --force takes it along" tank
plan "--force" 0 "zpool-passthru: warning: sdc on 0000:00:17.0 holds nothing and is not in pool tank (--force given)" \
	-f tank <<EOF
pool tank: sda sdb

0000:00:17.0  IOMMU group 4  ahci  Intel Corporation Cannon Lake PCH SATA AHCI Controller
  DISK  ROLE    POOL  DETAIL
  sda   member  tank  last imported by desk
  sdb   member  tank  last imported by desk
  sdc   unused  -     -

verdict: ok
EOF
label sdb tank 23 --hostid 0xa8c00a01 --hostname nas
FOREIGN="pool tank was last imported by another system, nas (hostid 0xa8c00a01), and not exported (the label of sdb says so): if that system is running, a guest importing the pool too destroys it; export it there first (zpool export tank), or, when that system is not running or is the guest, --foreign takes it"
expect "a label of another system's, active: refused" 3 "zpool-passthru: $FOREIGN" -f tank
expect "--foreign takes it, with warnings" 0 \
	"zpool-passthru: warning: $FOREIGN (--foreign given)
zpool-passthru: warning: sdc on 0000:00:17.0 holds nothing and is not in pool tank (--force given)" -f --foreign tank
run -J -f tank
[ "$rc" -eq 3 ] && jq -e '.pools[0].foreign and .pools[0].last_host == "nas" and
	.refusals[0].override == "--foreign" and .refusals[0].overridden == false and
	.refusals[1].override == "--force" and .refusals[1].overridden == true' <<<"$out" >/dev/null
ok $? "-J: the refusals, what overrides each, which were overridden (exit $rc)"
label sdb tank 23 --hostid 0xa8c00a01 --hostname nas --state 1
expect "exported there: it may go" 0 "zpool-passthru: warning: sdc on 0000:00:17.0 holds nothing and is not in pool tank (--force given)" -f tank
label sdb tank 23 --hostid 0x3f2a1b4c --hostname elsewhere
expect "this host's hostid under another name: ours (the hostid decides, as for zpool import)" 0 \
	"zpool-passthru: warning: sdc on 0000:00:17.0 holds nothing and is not in pool tank (--force given)" -f tank
echo 2831158785 >"$S/sys/module/spl/parameters/spl_hostid"
expect "spl_hostid set (0xa8c00a01) wins over /etc/hostid: desk's labels are now another system's" 3 \
	"zpool-passthru: pool tank was last imported by another system, desk (hostid 0x3f2a1b4c), and not exported (the label of sda says so): if that system is running, a guest importing the pool too destroys it; export it there first (zpool export tank), or, when that system is not running or is the guest, --foreign takes it" \
	-f tank
echo 0 >"$S/sys/module/spl/parameters/spl_hostid"
rm "$S/etc/hostid"
expect "a host without a hostid: every active label is another system's" 3 \
	"zpool-passthru: pool tank was last imported by another system, desk (hostid 0x3f2a1b4c), and not exported (the label of sda says so): if that system is running, a guest importing the pool too destroys it; export it there first (zpool export tank), or, when that system is not running or is the guest, --foreign takes it" \
	-f tank
mkdir -p "$S/proc/spl/kstat/zfs/tank"; echo ONLINE >"$S/proc/spl/kstat/zfs/tank/state"
expect "tank imported here too: nothing overrides it" 3 \
	"zpool-passthru: pool tank is imported on this host (/proc/spl/kstat/zfs/tank): the host uses its disks; export it first (zpool export tank); sda on 0000:00:17.0 is used by the host: sda is in ZFS pool tank, imported on this host; sdb on 0000:00:17.0 is used by the host: sdb is in ZFS pool tank, imported on this host" \
	-f --foreign tank
done_testing

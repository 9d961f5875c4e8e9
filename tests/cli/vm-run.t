#!/bin/bash
# vm-run on fixture sysroots: the exact QEMU command lines of --dry-run
# (fed back through sh to prove the quoting), --managed's writes, every
# pre-flight finding with its exit code, firmware descriptors, profiles,
# usage errors, and the libvirt domain (validated when libvirt's tools are
# installed).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VR=$BUILDDIR/vm-run
[ -x "$VR" ] || { echo "1..0 # SKIP $VR not built"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
printf '#!/bin/sh\nexit 0\n' >"$T/bin/qemu-system-x86_64"
chmod +x "$T/bin/qemu-system-x86_64"
export PATH=$T/bin:/usr/bin:/bin XDG_STATE_HOME=$T/state HOME=$T/home

# fresh FIXTURE: a copy in $T/host with an unlimited memory lock limit
# recorded (/proc/self/limits) and a /dev/kvm that opens
fresh() {
	rm -rf "$T/host"
	cp -a "$FIX/${1:-desktop-nvidia}" "$T/host"
	S=$T/host
	mkdir -p "$S/proc/self" "$S/dev"
	limits unlimited
	: >"$S/dev/kvm"
}
limits() {
	printf 'Limit                     Soft Limit           Hard Limit           Units     \nMax locked memory         %-20s %-20s bytes     \n' "$1" "$1" >"$S/proc/self/limits"
}
# on_vfio BDF...: the fixture's devices on vfio-pci
on_vfio() {
	local b l
	mkdir -p "$S/sys/bus/pci/drivers/vfio-pci"
	for b; do
		l=$S/sys/bus/pci/devices/$b/driver
		ln -sfn "$(dirname "$(readlink "$l")")/vfio-pci" "$l"
	done
}
# Debian's ovmf package: its descriptors, as shipped, and its images
debian_ovmf() {
	local fw=$S/usr/share/qemu/firmware
	mkdir -p "$fw" "$S/usr/share/OVMF"
	for f in OVMF_CODE_4M.fd OVMF_VARS_4M.fd OVMF_CODE_4M.ms.fd OVMF_VARS_4M.ms.fd OVMF_CODE_4M.secboot.fd; do
		echo "$f" >"$S/usr/share/OVMF/$f"
	done
	descriptor "without Secure Boot without SMM, with empty varstore" OVMF_CODE_4M.fd OVMF_VARS_4M.fd \
		'"pc-i440fx-*",
                "pc-q35-*"' '"acpi-s3",
        "amd-sev",
        "verbose-dynamic"' >"$fw/60-edk2-x86_64.json"
	descriptor "with Secure Boot and SMM, empty varstore" OVMF_CODE_4M.secboot.fd OVMF_VARS_4M.fd '"pc-q35-*"' \
		'"acpi-s3",
        "amd-sev",
        "requires-smm",
        "secure-boot",
        "verbose-dynamic"' >"$fw/50-edk2-x86_64-secure.json"
	descriptor "with Secure Boot and SMM, SB enabled, MS certs enrolled" OVMF_CODE_4M.ms.fd OVMF_VARS_4M.ms.fd \
		'"pc-q35-*"' '"acpi-s3",
        "amd-sev",
        "enrolled-keys",
        "requires-smm",
        "secure-boot",
        "verbose-dynamic"' >"$fw/40-edk2-x86_64-secure-enrolled.json"
}
descriptor() {
	cat <<JSON
{
    "description": "UEFI firmware for x86_64, $1",
    "interface-types": [
        "uefi"
    ],
    "mapping": {
        "device": "flash",
        "executable": {
            "filename": "/usr/share/OVMF/$2",
            "format": "raw"
        },
        "nvram-template": {
            "filename": "/usr/share/OVMF/$3",
            "format": "raw"
        }
    },
    "targets": [
        {
            "architecture": "x86_64",
            "machines": [
                $4
            ]
        }
    ],
    "features": [
        $5
    ],
    "tags": [
    ]
}
JSON
}

# expect NAME EXIT STDERR-SUBSTRING ARGS...: stdout in $OUT, stderr in $ERR
expect() {
	local name=$1 want_rc=$2 want_err=$3
	shift 3
	OUT=$("$VR" --sysroot "$S" "$@" 2>"$T/err" </dev/null)
	RC=$?
	ERR=$(cat "$T/err")
	[ "$RC" -eq "$want_rc" ] && [[ "$ERR" == *"$want_err"* ]]
	ok $? "$name (exit $RC, want $want_rc)"
	[ "$RC" -eq "$want_rc" ] && [[ "$ERR" == *"$want_err"* ]] || printf '#   stderr: %s\n' "$ERR"
}
# same NAME WANT GOT
same() {
	[ "$2" = "$3" ]
	ok $? "$1"
	[ "$2" = "$3" ] || diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/#   /'
}
# sh_words LINE: the words sh reads in LINE, one a line
sh_words() {
	sh -c "set -- $1; printf '%s\n' \"\$@\""
}

# ---- the command line: exact, and quoted so that sh reads it back ----
fresh
on_vfio 0000:01:00.0 0000:01:00.1
expect "a GPU on vfio-pci, dry run" 0 "" --dry-run --gpu 01:00.0 --mem 8G --cpus 4 --name win11 \
	"my disk.qcow2" -- -S -monitor 'unix:/tmp/a b,server'
same "the GPU and its audio at one multifunction slot, disk quoted, QEMU's arguments last" \
"qemu-system-x86_64 -name win11 -machine q35,accel=kvm -cpu host -smp 4 -m 8192 -display none -vga none -device pcie-root-port,id=rp0,chassis=1 -device vfio-pci,host=0000:01:00.0,id=hostdev0,bus=rp0,addr=00.0,multifunction=on -device vfio-pci,host=0000:01:00.1,id=hostdev1,bus=rp0,addr=00.1 -drive 'if=virtio,media=disk,format=qcow2,file=my disk.qcow2' -S -monitor 'unix:/tmp/a b,server'" "$OUT"
line=$OUT
OUT=$("$VR" --sysroot "$S" -J --dry-run --gpu 01:00.0 --mem 8G --cpus 4 --name win11 "my disk.qcow2" \
	-- -S -monitor 'unix:/tmp/a b,server' 2>/dev/null)
same "-J: the same argv as JSON, and the same line" "$line" "$(jq -r .command <<<"$OUT")"
same "sh reads the line back into exactly the argv" "$(jq -r '.argv[]' <<<"$OUT")" "$(sh_words "$line")"

q="it's \$HOME \`id\` \"x\" *;&|<>"
expect "hostile names, dry run" 0 "" --dry-run --cdrom "$q.iso" --qmp "/run/$q" --qemu "$T/bin/qemu-system-x86_64" \
	"$q" -- "$q" ''
want=("$T/bin/qemu-system-x86_64" -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -display gtk -qmp
	"unix:/run/$q,server=on,wait=off" -drive "if=virtio,media=disk,format=raw,file=$q"
	-drive "if=ide,media=cdrom,readonly=on,format=raw,file=$q.iso" "$q" '')
same "quotes, \$, backquotes, globs and an empty word all come back from sh" "$(printf '%s\n' "${want[@]}")" \
	"$(sh_words "$OUT")"

fresh amd-navi
on_vfio 0000:03:00.0 0000:03:00.1 0000:03:00.2 0000:03:00.3
expect "a Navi card's four functions, --gpu on function 2" 0 "" --dry-run --gpu 03:00.2 --display sdl --accel tcg
same "every function at one slot, numbers kept, function 0 multifunction" \
"qemu-system-x86_64 -name vm -machine q35,accel=tcg -cpu max -smp 2 -m 2048 -display sdl -vga none -device pcie-root-port,id=rp0,chassis=1 -device vfio-pci,host=0000:03:00.0,id=hostdev0,bus=rp0,addr=00.0,multifunction=on -device vfio-pci,host=0000:03:00.1,id=hostdev1,bus=rp0,addr=00.1 -device vfio-pci,host=0000:03:00.2,id=hostdev2,bus=rp0,addr=00.2 -device vfio-pci,host=0000:03:00.3,id=hostdev3,bus=rp0,addr=00.3" "$OUT"

# ---- --managed: the writes of vfio-bind, then the line ----
fresh
expect "--managed --dry-run of the GPU" 0 "" --dry-run --managed --gpu 01:00.0
same "the writes, in order, then the line" "load module vfio-pci
load module vfio_iommu_type1
create /run/passthru-utils/vfio-bind/0000:01:00.0 nvidia
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/nvidia/unbind 0000:01:00.0
write /sys/bus/pci/drivers_probe 0000:01:00.0
create /run/passthru-utils/vfio-bind/0000:01:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:01:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1
write /sys/bus/pci/drivers_probe 0000:01:00.1
qemu-system-x86_64 -name vm -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -display none -vga none -device pcie-root-port,id=rp0,chassis=1 -device vfio-pci,host=0000:01:00.0,id=hostdev0,bus=rp0,addr=00.0,multifunction=on -device vfio-pci,host=0000:01:00.1,id=hostdev1,bus=rp0,addr=00.1" "$OUT"
before=$(cd "$S" && find . -printf '%p %s %l\n' | sort | md5sum)
"$VR" --sysroot "$S" --dry-run --managed --gpu 01:00.0 >/dev/null 2>&1
same "--dry-run changes nothing" "$before" "$(cd "$S" && find . -printf '%p %s %l\n' | sort | md5sum)"
expect "not on vfio-pci without --managed: refused" 3 \
	"0000:01:00.0 is on nvidia, not vfio-pci: bind it first (vfio-bind --group 0000:01:00.0) or let vm-run do it (--managed)" \
	--dry-run --gpu 01:00.0
same "nothing on stdout when refused" "" "$OUT"
expect "a live run on a recorded host: refused" 2 "vm-run only prints there" --managed --gpu 01:00.0

# ---- pre-flight findings ----
fresh
expect "the chipset's group is not viable" 3 \
	"IOMMU group 6 of 0000:00:1f.6 is not viable: it also holds 0000:00:1f.3 (snd_hda_intel), 0000:00:1f.4 (i801_smbus), on host drivers" \
	--dry-run --managed --device 00:1f.6
expect "the boot display under --managed: handed over, not refused" 0 "" --dry-run --managed --device 00:02.0
same "the hand-over's writes: i915 off, vfio-pci on, the record" \
"write /sys/bus/pci/devices/0000:00:02.0/driver_override vfio-pci
write /sys/bus/pci/drivers/i915/unbind 0000:00:02.0
write /sys/bus/pci/drivers_probe 0000:00:02.0
create /run/passthru-utils/handover/0000:00:02.0 # vfio-bind --handover of 0000:00:02.0: what vfio-bind --handback puts back\\n" \
	"$(printf '%s\n' "$OUT" | grep -E '^(write|create /run/passthru-utils/handover)')"
mkdir -p "$S/proc/812/fd"
echo Xorg >"$S/proc/812/comm"
ln -s /dev/dri/card0 "$S/proc/812/fd/9"
expect "the boot display with Xorg on card0: refused, naming it" 3 \
	"0000:00:02.0 is the boot display and its display is open by Xorg (pid 812) /dev/dri/card0; stop them first" \
	--dry-run --managed --device 00:02.0
rm -rf "$S/proc/812"
expect "no IOMMU group: not supported" 4 "0000:00:02.0 is in no IOMMU group" --sysroot $FIX/iommu-off-intel \
	--dry-run --device 00:02.0
on_vfio 0000:01:00.0 0000:01:00.1
limits 8388608
expect "memory lock limit below RAM + BARs" 3 \
	"memory lock limit 8 MiB is below the 4401 MiB VFIO must pin (guest RAM and BARs): QEMU would fail to map the guest's memory; raise it: 'ulimit -l 4505617' (in KiB, as root), a memlock line in /etc/security/limits.conf, LimitMEMLOCK= in a systemd unit, or --memlock as root" \
	--dry-run --gpu 01:00.0 --mem 4G
limits 8589934592
expect "8 GiB holds 4 GiB and the BARs" 0 "" --dry-run --gpu 01:00.0 --mem 4G
rm "$S/proc/self/limits"
expect "no recorded limits: not checked" 0 "" --check --gpu 01:00.0
[[ $OUT == *"info a recorded host without /proc/self/limits: the memory lock limit (2353 MiB needed) is not checked"* ]]
ok $? "--check says the limit was not checked"
limits unlimited
expect "huge pages of a size the host lacks" 4 "this host has no 1 GiB huge pages" --dry-run --gpu 01:00.0 --hugepages 1G
mkdir -p "$S/sys/kernel/mm/hugepages/hugepages-2048kB"
echo 100 >"$S/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
expect "too few free huge pages" 3 "100 free 2 MiB huge pages, 1024 needed for 2048 MiB: reserve more (echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages" \
	--dry-run --gpu 01:00.0 --hugepages 2M
echo 1024 >"$S/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
expect "enough huge pages" 0 "" --dry-run --gpu 01:00.0 --hugepages 2M
[[ $OUT == *"-machine q35,accel=kvm,memory-backend=mem0 "*" -object memory-backend-memfd,id=mem0,size=2048M,hugetlb=on,hugetlbsize=2M,prealloc=on "* ]]
ok $? "huge pages: a memfd backend"
expect "a ROM for another device" 3 "--romfile tests/unit/roms/good.rom is for 1234:1111, not 0000:01:00.0's 10de:2206" \
	--dry-run --gpu 01:00.0 --romfile tests/unit/roms/good.rom
expect "a damaged ROM" 3 "--romfile tests/unit/roms/bad-checksum.rom for 0000:01:00.0 is damaged" \
	--dry-run --gpu 01:00.0 --romfile tests/unit/roms/bad-checksum.rom
expect "a missing ROM" 3 "--romfile $T/none.rom for 0000:01:00.0: No such file or directory" \
	--dry-run --romfile "$T/none.rom" --gpu 01:00.0
sed -i 's/^\(    a0000000-afffffff : 0000:01:00.0\)$/\1\n      a0000000-a07e8fff : efifb/' "$S/proc/iomem"
expect "efifb in the GPU's BAR" 3 "efifb (at 0xa0000000) sits in 0000:01:00.0's BAR 1: the host's console still draws into the GPU; boot with video=efifb:off" \
	--dry-run --gpu 01:00.0
rm "$S/dev/kvm"
expect "--accel kvm without /dev/kvm" 4 "--accel kvm: /dev/kvm: No such file or directory" --dry-run --accel kvm
expect "no /dev/kvm: TCG with a warning" 0 "warning: /dev/kvm: No such file or directory: falling back to TCG" --dry-run
same "TCG's line" "qemu-system-x86_64 -name vm -machine q35,accel=tcg -cpu max -smp 2 -m 2048 -display gtk" "$OUT"
OUT=$(PATH=/nonexistent "$VR" --sysroot "$S" --dry-run 2>"$T/err")
RC=$?
[ $RC -eq 4 ] && grep -q "qemu-system-x86_64 is not in PATH" "$T/err"
ok $? "no QEMU: not supported (exit $RC)"
expect "--qemu that does not run" 4 "--qemu $T/nope: No such file or directory" --dry-run --qemu "$T/nope"

fresh qemu-q35
on_vfio 0000:00:02.0
expect "--check of a VGA with its own ROM" 0 "" --check --gpu 00:02.0 --romfile tests/unit/roms/good.rom --mem 1G
same "every finding, in order" "ok   QEMU: $T/bin/qemu-system-x86_64
ok   /dev/kvm opens: KVM
ok   IOMMU group 2 of 0000:00:02.0 is viable (1 device)
ok   --romfile tests/unit/roms/good.rom for 0000:00:02.0: uefi-capable, 2 images, 1234:1111
warn 0000:00:02.0 has no reset method: the guest finds it as the last user left it, and a guest reboot may not bring it back (see gpu-reset --info 0000:00:02.0)
ok   memory lock limit: unlimited (1041 MiB needed: guest RAM and BARs)" "$OUT"
OUT=$("$VR" --sysroot "$S" -J --check --gpu 00:02.0 --mem 1G 2>/dev/null)
jq -e '.ready == true and (.checks | length) == 5 and .checks[2].check == "group" and .checks[2].status == "ok"' \
	<<<"$OUT" >/dev/null
ok $? "--check -J: the findings as JSON"
expect "--check of a group that is not viable" 3 "" --check --device 00:1f.3
[[ $OUT == *"fail IOMMU group "*" of 0000:00:1f.3 is not viable: it also holds 0000:00:1f.2 (ahci), on host drivers"* ]]
ok $? "--check prints the failure as a fail line"
OUT=$("$VR" --sysroot "$S" -J --check --device 00:1f.3 2>/dev/null)
jq -e '.ready == false and ([.checks[] | select(.status == "fail") | .check] | index("group")) != null' <<<"$OUT" >/dev/null
ok $? "and -J says ready false"

# ---- UEFI through the descriptors ----
fresh
on_vfio 0000:01:00.0 0000:01:00.1
expect "--uefi without firmware" 4 "no firmware descriptor in /etc/qemu/firmware or /usr/share/qemu/firmware" --dry-run --uefi
debian_ovmf
expect "--uefi with Debian's ovmf" 0 "" --dry-run --uefi --name win11 --gpu 01:00.0
same "the firmware without Secure Boot, the VM's own variables" "copy /usr/share/OVMF/OVMF_VARS_4M.fd $T/state/passthru-utils/win11_VARS.fd
qemu-system-x86_64 -name win11 -machine q35,accel=kvm -cpu host -smp 2 -m 2048 -drive if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,unit=1,format=raw,file=$T/state/passthru-utils/win11_VARS.fd -display none -vga none -device pcie-root-port,id=rp0,chassis=1 -device vfio-pci,host=0000:01:00.0,id=hostdev0,bus=rp0,addr=00.0,multifunction=on -device vfio-pci,host=0000:01:00.1,id=hostdev1,bus=rp0,addr=00.1" "$OUT"
expect "--uefi --secure-boot" 0 "" --dry-run --uefi --secure-boot
[[ $OUT == *" -machine q35,accel=kvm,smm=on "*" -global driver=cfi.pflash01,property=secure,value=on -drive if=pflash,unit=0,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd -drive if=pflash,unit=1,format=raw,file=$T/state/passthru-utils/vm_VARS.fd "* ]]
ok $? "Secure Boot: the enrolled firmware, SMM"
mkdir -p "$S/etc/qemu/firmware"
echo '{"mapping": {"device": "memory"}}' >"$S/etc/qemu/firmware/60-edk2-x86_64.json"
expect "/etc hides /usr/share's file of the same name" 0 "" --dry-run --uefi
[[ $OUT == *"file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"* ]]
ok $? "so the next best, with Secure Boot, is taken"
rm -r "$S/etc/qemu"
rm "$S/usr/share/OVMF/OVMF_CODE_4M.fd"
expect "a descriptor whose image is missing is passed over" 0 "" --dry-run --uefi
[[ $OUT == *"file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"* ]]
ok $? "the next one is taken"
# a 32 GiB 64-bit BAR 1
sed -i '2s/.*/0x0000006000000000 0x00000067ffffffff 0x000000000014220c/' "$S/sys/bus/pci/devices/0000:01:00.0/resource"
expect "a 32 GiB BAR" 0 "" --dry-run --uefi --gpu 01:00.0
[[ $OUT == *" -fw_cfg name=opt/ovmf/X-PciMmio64Mb,string=65536 "* ]]
ok $? "OVMF's 64-bit MMIO window is set to fit"
expect "--primary with --uefi" 2 "--primary (x-vga) is for legacy BIOS guests" --dry-run --uefi --gpu 01:00.0 --primary

# ---- profiles ----
fresh qemu-q35
on_vfio 0000:00:02.0
cat >"$T/win.profile" <<'P'
# the gaming VM
--gpu 00:02.0
  --romfile "/roms/my gpu.rom"
--mem 16G
--cpus=8
--name win11
--primary
P
cp tests/unit/roms/good.rom "$T/x.rom"
a=$("$VR" --sysroot "$S" --dry-run --profile "$T/win.profile" --mem 8G --cpus 2 2>&1)
rc=$?
# the ROM named does not exist: the pre-flight says so, with the profile's name for it
[ $rc -eq 3 ] && [[ $a == *"--romfile /roms/my gpu.rom for 0000:00:02.0: No such file or directory"* ]]
ok $? "a profile's options are read as popt reads a command line"
sed -i 's|"/roms/my gpu.rom"|'"$T/x.rom"'|' "$T/win.profile"
a=$("$VR" --sysroot "$S" --dry-run --profile "$T/win.profile" --mem 8G 2>/dev/null | sed 's/x-vga=on,romfile=[^ ]*/ROM/')
b=$("$VR" --sysroot "$S" --dry-run --gpu 00:02.0 --romfile "$T/x.rom" --primary --cpus 8 --name win11 --mem 8G 2>/dev/null |
	sed 's/x-vga=on,romfile=[^ ]*/ROM/')
[ -n "$a" ] && [ "$a" = "$b" ]
ok $? "profile + command line = the same options on the command line (the command line's --mem wins)"
echo "disk.qcow2" >>"$T/win.profile"
expect "a profile line that is not an option" 2 "--profile $T/win.profile: line 8: 'disk.qcow2' is not an option" \
	--dry-run --profile "$T/win.profile"
expect "a missing profile" 2 "--profile $T/none: No such file or directory" --dry-run --profile "$T/none"
# a line's value never comes from the next line or the command line
printf -- '--cpus 2\n--name\n' >"$T/short.profile"
expect "a profile option without its value" 2 "--profile $T/short.profile: line 2: --name needs a value" \
	--profile "$T/short.profile" --dry-run
printf -- '--uefi disk.img\n' >"$T/extra.profile"
expect "a profile line with a word too many" 2 \
	"--profile $T/extra.profile: line 1: 'disk.img' after --uefi: one option (and its value) a line" \
	--dry-run --profile "$T/extra.profile"

# ---- usage ----
expect "a bad --mem" 2 "--mem 2X: not a size" --dry-run --mem 2X
expect "a bad --cpus" 2 "--cpus 0: a number from 1 to 1024" --dry-run --cpus 0
expect "a bad --name" 2 "--name a/b: use letters" --dry-run --name a/b
expect "a bad --display" 2 "--display vnc: none, gtk, sdl or spice" --dry-run --display vnc
expect "a bad --hugepages" 2 "--hugepages 3M: not a page size" --dry-run --hugepages 3M
expect "--romfile without --gpu" 2 "--romfile names the ROM of a --gpu, and there is none" --dry-run --romfile x
expect "--secure-boot without --uefi" 2 "--secure-boot goes with --uefi" --dry-run --secure-boot
expect "a bad --mdev" 2 "--mdev xyz: a UUID has 36 characters (8-4-4-4-12 hex digits)" --dry-run --mdev xyz
expect "a bad --uuid" 2 "--uuid 1234: a UUID has 36 characters (8-4-4-4-12 hex digits)" --dry-run --uuid 1234
expect "a malformed --gpu" 2 "--gpu 01:00: " --dry-run --gpu 01:00
expect "a --gpu that does not exist" 1 "--gpu 09:00.0: no such device" --dry-run --gpu 09:00.0
expect "a --device that does not exist" 1 "--device: 0000:09:00.0: no such PCI device" --dry-run --device 09:00.0
expect "--emit something else" 2 "--emit xml: libvirt or xl" --emit xml
# a lone function other than 0 goes to function 0 of its guest slot
fresh chipset-mixed
rm -f "$S/sys/bus/pci/devices/0000:06:00.0" "$S/sys/kernel/iommu_groups/6/devices/0000:06:00.0"
out=$("$VR" --sysroot "$S" --dry-run --gpu 06:00.1 2>/dev/null)
[[ $out == *"-device vfio-pci,host=0000:06:00.1,id=hostdev0,bus=rp0,addr=00.0" ]]
ok $? "--gpu on a lone function 1: at function 0 of the guest slot"
fresh
rm -rf "$T/nofw"; cp -a "$FIX/desktop-nvidia" "$T/nofw"
out=$("$VR" --sysroot "$T/nofw" --emit libvirt --uefi --name u 2>"$T/err"); rc=$?
[ "$rc" -eq 4 ] && [ -z "$out" ] && grep -q "^vm-run: no firmware descriptor in" "$T/err"
ok $? "--emit libvirt --uefi without firmware: exit 4, no domain printed"
expect "a disk that cannot be read" 1 "disk $T/none.qcow2: No such file or directory" "$T/none.qcow2"
fresh
on_vfio 0000:01:00.0 0000:01:00.1
out=$(printf '0000:01:00.0\n0000:01:00.1\n' | "$VR" --sysroot "$S" --dry-run --device - 2>/dev/null)
[[ $out == *"host=0000:01:00.0,id=hostdev0,bus=rp0,addr=00.0 "*"host=0000:01:00.1,id=hostdev1,bus=rp1,addr=00.0" ]]
ok $? "--device -: addresses on standard input, each at a slot of its own"

# ---- libvirt ----
fresh
debian_ovmf
expect "--emit libvirt" 0 "" --emit libvirt --gpu 01:00.0 --romfile "$T/x.rom" --uefi --mem 16G --hugepages 1G \
	--name win11 /vm/win11.qcow2
[[ $OUT == *"<hostdev mode='subsystem' type='pci' managed='yes'>"*"<rom file='$T/x.rom'/>"*"function='0x0' multifunction='on'/>"* ]]
ok $? "a managed hostdev with its ROM, function 0 multifunction"
[[ $OUT == *"<page size='1048576' unit='KiB'/>"* && $OUT == *"<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>$T/state/passthru-utils/win11_VARS.fd</nvram>"* ]]
ok $? "huge pages, the NVRAM"
printf '%s\n' "$OUT" >"$T/d1.xml"
sed -i '2s/.*/0x0000006000000000 0x00000067ffffffff 0x000000000014220c/' "$S/sys/bus/pci/devices/0000:01:00.0/resource"
"$VR" --sysroot "$S" --emit libvirt --gpu 01:00.0 --uefi --secure-boot --name sb >"$T/d2.xml" 2>/dev/null
grep -q "<qemu:arg value='name=opt/ovmf/X-PciMmio64Mb,string=65536'/>" "$T/d2.xml" &&
	grep -q "<loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd</loader>" "$T/d2.xml" &&
	grep -q "<smm state='on'/>" "$T/d2.xml"
ok $? "Secure Boot's loader, SMM, and the MMIO window as a QEMU argument"
"$VR" --sysroot "$S" --emit libvirt --device 00:1f.6 --mdev 4b20d080-1b54-4048-85b3-a6a62d165c01 --cdrom "/iso/a'b.iso" \
	--display spice --accel tcg --name misc /vm/a.img -- -S >"$T/d3.xml" 2>/dev/null
grep -q "<domain type='qemu'" "$T/d3.xml" && grep -q "<address uuid='4b20d080-1b54-4048-85b3-a6a62d165c01'/>" "$T/d3.xml" &&
	grep -q "<source file='/iso/a&apos;b.iso'/>" "$T/d3.xml" && grep -q "<qemu:arg value='-S'/>" "$T/d3.xml"
ok $? "TCG, an mdev, a CD-ROM with a quote, QEMU's own arguments"
"$VR" --sysroot "$S" --emit libvirt --cdrom x.iso rel.qcow2 >"$T/d4.xml" 2>/dev/null
grep -q "<source file='$PWD/rel.qcow2'/>" "$T/d4.xml" && grep -q "<source file='$PWD/x.iso'/>" "$T/d4.xml"
ok $? "--emit: relative paths made absolute (libvirtd has another working directory)"
for x in d1 d2 d3; do
	if command -v virt-xml-validate >/dev/null; then
		virt-xml-validate "$T/$x.xml" domain >"$T/v" 2>&1
		ok $? "virt-xml-validate accepts domain $x"
		[ $? -eq 0 ] || sed 's/^/#   /' "$T/v"
	else
		echo "ok $((tap_n += 1)) - virt-xml-validate accepts domain $x # SKIP libvirt-clients is not installed"
	fi
	if command -v virsh >/dev/null && virsh -c test:///default version >/dev/null 2>&1; then
		virsh -c test:///default define "$T/$x.xml" >"$T/v" 2>&1
		ok $? "virsh's test driver defines domain $x"
		[ $? -eq 0 ] || sed 's/^/#   /' "$T/v"
	else
		echo "ok $((tap_n += 1)) - virsh's test driver defines domain $x # SKIP libvirt-clients is not installed"
	fi
done

# ---- contrib/libvirt-hook: the pre-flight before libvirt starts a domain ----
HOOK=contrib/libvirt-hook
hook() { # hook XML-FILE ARGS...: stdout+stderr in $OUT, status in $RC
	local x=$1
	shift
	OUT=$(PATH=$BUILDDIR:$PATH PASSTHRU_SYSROOT=$S "$HOOK" "$@" <"$x" 2>&1)
	RC=$?
}
fresh
"$VR" --sysroot "$S" --emit libvirt --gpu 01:00.0 >"$T/gpu.xml" 2>/dev/null
"$VR" --sysroot "$S" --emit libvirt --device 00:1f.6 >"$T/chipset.xml" 2>/dev/null
hook "$T/gpu.xml" win11 prepare begin -
same "hook: the GPU and its audio function pass (exit $RC)" "0 " "$RC $OUT"
hook "$T/chipset.xml" nas prepare begin -
[ $RC -eq 1 ] && [ "$OUT" = "passthru-preflight: nas cannot have its devices (vm-run --check exit 3):
  IOMMU group 6 of 0000:00:1f.6 is not viable: it also holds 0000:00:1f.3 (snd_hda_intel), 0000:00:1f.4 (i801_smbus), on host drivers; VFIO takes a group whole: pass them too (--device), or bind them to vfio-pci (vfio-bind --group 0000:00:1f.6)" ]
ok $? "hook: the chipset's NIC stops the start, with the finding (exit $RC)"
[ $RC -eq 1 ] || printf '#   %s\n' "$OUT"
PASSTHRU_HOOK_VM_RUN=/nonexistent hook "$T/chipset.xml" nas started begin -
same "hook: other operations are left alone" "0 " "$RC $OUT"
printf '#!/bin/sh\nexec sleep 30\n' >"$T/slow"
chmod +x "$T/slow"
t0=$(date +%s)
PASSTHRU_HOOK_VM_RUN=$T/slow PASSTHRU_HOOK_TIMEOUT=1 hook "$T/gpu.xml" win11 prepare begin -
t1=$(date +%s)
same "hook: a stuck check times out, the domain starts, and it says so" \
	"0 passthru-preflight: vm-run --check for win11 did not finish in 1s; not checked" "$RC $OUT"
[ $((t1 - t0)) -lt 10 ]
ok $? "hook: within the timeout ($((t1 - t0)) s)"
PASSTHRU_HOOK_STRICT=1 PASSTHRU_HOOK_VM_RUN=$T/slow PASSTHRU_HOOK_TIMEOUT=1 hook "$T/gpu.xml" win11 prepare begin -
[ $RC -eq 1 ]
ok $? "hook: PASSTHRU_HOOK_STRICT=1 refuses instead"

# ---- shared GPUs (vgpu-host): mdevs and NVIDIA vGPU VFs ----
fresh vgpu-host
MD=6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13
QBASE="qemu-system-x86_64 -name vm"
QREST="-machine q35,accel=tcg -cpu max -smp 2 -m 2048 -display gtk -device pcie-root-port,id=rp0,chassis=1"
OUT=$("$VR" --sysroot "$S" --dry-run --accel tcg --mdev "${MD^^}" 2>&1)
same "--mdev (upper case): the VM's -uuid is the mdev's, as NVIDIA's vGPU manager wants" \
	"$QBASE -uuid $MD $QREST -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$MD,id=mdev0,bus=rp0,addr=00.0" "$OUT"
OUT=$("$VR" --sysroot "$S" --dry-run --accel tcg --mdev $MD --uuid 22222222-2222-4333-8444-555555555555 2>&1)
same "--uuid wins over the mdev's" \
	"$QBASE -uuid 22222222-2222-4333-8444-555555555555 $QREST -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$MD,id=mdev0,bus=rp0,addr=00.0" "$OUT"
"$VR" --sysroot "$S" --emit libvirt --accel tcg --mdev $MD >"$T/mdev.xml" 2>&1
grep -qx "  <uuid>$MD</uuid>" "$T/mdev.xml"; ok $? "--emit libvirt: the domain's <uuid> is the mdev's"
if command -v virt-xml-validate >/dev/null; then
	virt-xml-validate "$T/mdev.xml" domain >/dev/null 2>&1; ok $? "--emit libvirt with an mdev and its uuid: libvirt's schema accepts it"
else
	ok 0 "# SKIP virt-xml-validate not installed"
fi
expect "an --mdev the host does not have" 1 \
	"vm-run: no mdev 11111111-2222-4333-8444-555555555555 on this host (vgpu-split --create TYPE PARENT makes one; vgpu-split --list shows them)" \
	--dry-run --accel tcg --mdev 11111111-2222-4333-8444-555555555555
mkdir -p "$S/proc/4242/fd"
ln -s /dev/vfio/11 "$S/proc/4242/fd/7"
echo qemu-system-x86 >"$S/proc/4242/comm"
expect "an --mdev another VM holds: refused" 3 \
	"vm-run: mdev $MD is held by a running VM: qemu-system-x86 (pid 4242) /dev/vfio/11; stop it first" \
	--dry-run --accel tcg --mdev $MD
rm -rf "$S/proc/4242"
OUT=$("$VR" --sysroot "$S" --dry-run --accel tcg --device 5e:00.4 2>&1)
same "an NVIDIA vGPU VF with a type: passed as it is, on nvidia" \
	"$QBASE $QREST -device vfio-pci,host=0000:5e:00.4,id=hostdev0,bus=rp0,addr=00.0" "$OUT"
OUT=$("$VR" --sysroot "$S" --dry-run --managed --accel tcg --device 5e:00.4 2>&1)
same "--managed leaves an NVIDIA vGPU VF on nvidia: no write at all" \
	"$QBASE $QREST -device vfio-pci,host=0000:5e:00.4,id=hostdev0,bus=rp0,addr=00.0" "$OUT"
expect "an NVIDIA vGPU VF without a type: refused" 3 \
	"vm-run: 0000:5e:00.5 is an NVIDIA vGPU VF without a vGPU type: give it one first (vgpu-split --vgpu-type ID 0000:5e:00.5; --list-types shows them)" \
	--dry-run --accel tcg --device 5e:00.5
"$VR" --sysroot "$S" --check --accel tcg --device 5e:00.4 --mdev $MD >"$T/check" 2>&1
grep -qx "ok   0000:5e:00.4 is an NVIDIA vGPU VF with vGPU type 1157: passed as it is, on nvidia" "$T/check" &&
	grep -qx "ok   mdev $MD: i915-GVTg_V5_4 on 0000:00:02.0" "$T/check"
ok $? "--check names the vGPU VF's type and the mdev's type and parent"

done_testing

#!/bin/bash
# handover.t: vfio-bind --handover and --handback on the single-GPU
# fixtures (single-efifb, single-simpledrm, nvidia-persistenced): the exact
# writes of --dry-run, the refusals with their exit codes and the tree
# unchanged, usage errors, and real runs on a copied tree.
#
# A copied tree has no kernel: a bind written does not move a driver link.
# For the real runs a small stand-in kernel plays its part: each sysfs
# file the kernel must answer (an unbind, a bind, drivers_probe) becomes a
# FIFO kept full, so the write blocks; the stand-in sees the writer hold
# it, makes the change the kernel would make (driver links, the firmware
# framebuffer, fbN, DRM minors, fbcon's vtconsole, /dev/vfio/N), then lets
# the write in and logs what was written. The steps are listed in the
# order the kernel must see them; a write it does not expect is logged as
# such, one it expects that never comes too (a FIFO is written twice only
# with another FIFO's write in between, or the second write could slip in
# before the stand-in fills it again). Files the tool reads back (a
# vtconsole's bind, driver_override) stay plain files: their content after
# the run is what was written. Every assertion is exact; those marked TODO
# state the interface where the code does not meet it yet.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh
VB=$BUILDDIR/vfio-bind
[ -x "$VB" ] || { echo "1..0 # SKIP $VB not built"; exit 0; }
for fx in single-efifb single-simpledrm nvidia-persistenced; do
	[ -d "$FIX/$fx/sys" ] || { echo "1..0 # SKIP no $FIX/$fx (python3 tests/fixtures/mkfixtures.py)"; exit 0; }
done
command -v python3 >/dev/null || { echo "1..0 # SKIP no python3 for the stand-in kernel"; exit 0; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
unset PASSTHRU_WRITE_TIMEOUT

# is GOT WANT DESC
is() {
	local r=0
	[ "$1" = "$2" ] || r=1
	ok $r "$3"
	[ $r -eq 0 ] || diff <(printf '%s\n' "$2") <(printf '%s\n' "$1") | sed 's/^/#   /'
}
# fresh FIXTURE: a copy in $T/host ($S), with the lock file a writing run creates
fresh() {
	rm -rf "$T/host"
	cp -a "$FIX/$1" "$T/host"
	S=$T/host
	mkdir -p "$S/run/passthru-utils"
	: >"$S/run/passthru-utils/lock"
}
# vfio: vfio-pci and vfio_iommu_type1 loaded (a sysroot loads no module)
vfio() {
	local m f
	for m in vfio vfio_pci vfio_pci_core vfio_iommu_type1; do
		mkdir -p "$S/sys/module/$m"
		[ -e "$S/sys/module/$m/initstate" ] || echo live >"$S/sys/module/$m/initstate"
	done
	mkdir -p "$S/sys/bus/pci/drivers/vfio-pci"
	for f in bind unbind new_id remove_id uevent; do
		[ -e "$S/sys/bus/pci/drivers/vfio-pci/$f" ] || : >"$S/sys/bus/pci/drivers/vfio-pci/$f"
	done
}
# snap: every path, its type, size and link target, and every file's bytes
# (the lock file aside)
snap() {
	(cd "$S" && { find . ! -path ./run/passthru-utils/lock -printf '%p %y %s %l\n' | sort
		find . -type f ! -path ./run/passthru-utils/lock -print0 | sort -z | xargs -0 md5sum; } | md5sum)
}
# run ARGS...: stdout in $out, stderr in $err, exit status in $rc
run() { out=$("$VB" --sysroot "$S" "$@" 2>"$T/err" </dev/null); rc=$?; err=$(cat "$T/err"); }
# the -v lines that change the host, the sysroot cut off
changes() { grep -E '^vfio-bind: (write|create|remove) ' <<<"$err" | sed "s|$S||; s/^vfio-bind: //"; }
D=sys/bus/pci/devices
SB=sys/bus/pci/drivers

# ---------------------------------------------------------------- the stand-in kernel

cat >"$T/kernel.sh" <<'EOF'
# What the kernel does when a write reaches it, on a fixture tree (the
# current directory is the sysroot). Sourced by the stand-in's steps.
rel() { realpath -m --relative-to="$(dirname "$1")" "$2"; }  # rel LINK TARGET
dev_of() { realpath "sys/bus/$1/devices/$2"; }               # dev_of BUS NAME
group_of() { basename "$(readlink "$(dev_of pci "$1")/iommu_group")"; }
drop_driver() { # drop_driver BUS NAME: the driver lets the device go
	local d drv
	d=$(dev_of "$1" "$2")
	drv=$(basename "$(readlink "$d/driver")")
	rm -f "$d/driver" "sys/bus/$1/drivers/$drv/$2"
	sed -i '/^DRIVER=/d' "$d/uevent"
}
set_driver() { # set_driver BUS NAME DRIVER: the driver takes it
	local d
	d=$(dev_of "$1" "$2")
	ln -s "$(rel "$d/driver" "sys/bus/$1/drivers/$3")" "$d/driver"
	ln -s "$(rel "sys/bus/$1/drivers/$3/$2" "$d")" "sys/bus/$1/drivers/$3/$2"
	sed -i "1i DRIVER=$3" "$d/uevent"
}
# a device's fbN and DRM minors unregister; with the last framebuffer
# fbcon unregisters its console driver, and its vtconN goes
fb_gone() {
	local n c v
	for n in "$1"/graphics/fb* "$1"/drm/card* "$1"/drm/renderD*; do
		[ -e "$n" ] || continue
		for c in sys/class/drm/"${n##*/}"-*; do [ -L "$c" ] && rm "$c"; done
		rm -rf "sys/class/graphics/${n##*/}" "sys/class/drm/${n##*/}" "$n"
	done
	rmdir "$1/graphics" "$1/drm" 2>/dev/null
	if ! ls sys/class/graphics | grep -q '^fb[0-9]'; then
		for v in sys/class/vtconsole/vtcon*; do
			grep -q 'frame buffer' "$v/name" && rm -rf "$(realpath "$v")" "$v"
		done
	fi
	true
}
platform_unbind() { # efifb or simpledrm let their device go
	local d
	d=$(dev_of platform "$1")
	drop_driver platform "$1"
	rm -f "$d/base" "$d/depth" "$d/height" "$d/linelength" "$d/width"
	fb_gone "$d"
	sed -i '/: efifb$/d; /: simpledrm$/d' proc/iomem
}
# vfio-pci taking a VGA card removes the firmware framebuffer in its BARs
# (aperture_remove_conflicting_pci_devices, Linux 6.0+): the platform
# device is unregistered
sysfb_gone() {
	local p
	for p in sys/bus/platform/devices/*-framebuffer.*; do
		[ -e "$p" ] || continue
		fb_gone "$(realpath "$p")"
		rm -rf "$(realpath "$p")" "$p"
	done
	sed -i '/: BOOTFB$/d; /: efifb$/d; /: simpledrm$/d' proc/iomem
}
platform_bind() { # platform_bind NAME DRIVER FBNAME: efifb takes its device again:
	# fb0 below it, and fbcon registers its console, bound
	local d v
	d=$(dev_of platform "$1")
	set_driver platform "$1" "$2"
	mkdir -p "$d/graphics/fb0"
	echo "$3" >"$d/graphics/fb0/name"
	echo 29:0 >"$d/graphics/fb0/dev"
	ln -s "../../../$1" "$d/graphics/fb0/device"
	ln -s "$(rel sys/class/graphics/fb0 "$d/graphics/fb0")" sys/class/graphics/fb0
	if ! grep -qs 'frame buffer' sys/class/vtconsole/*/name; then
		v=sys/devices/virtual/vtconsole/vtcon1
		mkdir -p "$v"
		echo '(M) frame buffer device' >"$v/name"
		echo 1 >"$v/bind"
		: >"$v/uevent"
		ln -s ../../devices/virtual/vtconsole/vtcon1 sys/class/vtconsole/vtcon1
	fi
}
pci_unbind() { # the driver lets BDF go; the group's node goes with its last vfio-pci device
	local g m
	g=$(group_of "$1")
	drop_driver pci "$1"
	fb_gone "$(dev_of pci "$1")"
	for m in sys/kernel/iommu_groups/"$g"/devices/*; do
		[ "$(basename "$(readlink "$m/driver")")" = vfio-pci ] && return 0
	done
	rm -f "dev/vfio/$g"
}
pci_bind() { set_driver pci "$1" "$2"; }
pci_probe() { # pci_probe BDF [DRIVER]: driver_override's driver, else DRIVER (the
	# one that matches its IDs), else none; vfio-pci makes /dev/vfio/GROUP
	local o
	o=$(cat "$(dev_of pci "$1")/driver_override")
	[ -n "$o" ] && [ "$o" != "(null)" ] || o=${2:-}
	[ -n "$o" ] || return 0
	set_driver pci "$1" "$o"
	if [ "$o" = vfio-pci ]; then
		mkdir -p dev/vfio && : >"dev/vfio/$(group_of "$1")"
		[ "$(cut -c1-6 "$(dev_of pci "$1")/class")" = 0x0300 ] && [ -z "${OLD_VFIO:-}" ] && sysfb_gone
	fi
	true
}
# before Linux 6.0 vfio-pci left the firmware framebuffer alone
pci_probe_5() { OLD_VFIO=1 pci_probe "$@"; }
drm_up() { # drm_up BDF CARD FBNAME: a DRM driver with fbdev emulation comes up;
	# fbcon registers its console again, bound
	local d v
	d=$(dev_of pci "$1")
	mkdir -p "$d/drm/$2" "$d/drm/renderD128" "$d/graphics/fb0"
	echo "226:${2#card}" >"$d/drm/$2/dev"
	echo 226:128 >"$d/drm/renderD128/dev"
	ln -s ../.. "$d/drm/$2/device"
	ln -s ../.. "$d/drm/renderD128/device"
	ln -s "$(rel "sys/class/drm/$2" "$d/drm/$2")" "sys/class/drm/$2"
	ln -s "$(rel sys/class/drm/renderD128 "$d/drm/renderD128")" sys/class/drm/renderD128
	echo "$3" >"$d/graphics/fb0/name"
	echo 29:0 >"$d/graphics/fb0/dev"
	ln -s "../../../$1" "$d/graphics/fb0/device"
	ln -s "$(rel sys/class/graphics/fb0 "$d/graphics/fb0")" sys/class/graphics/fb0
	if ! grep -qs 'frame buffer' sys/class/vtconsole/*/name; then
		v=sys/devices/virtual/vtconsole/vtcon1
		mkdir -p "$v"
		echo '(M) frame buffer device' >"$v/name"
		echo 1 >"$v/bind"
		: >"$v/uevent"
		ln -s ../../devices/virtual/vtconsole/vtcon1 sys/class/vtconsole/vtcon1
	fi
}
EOF

cat >"$T/kernel.py" <<'EOF'
# kernel.py ROOT STEPS LOG -- COMMAND...: run COMMAND with the FIFOs of
# STEPS (lines PATH<TAB>VALUE<TAB>ACTION) standing in for those sysfs
# files; for each step, in order, wait for COMMAND (or a child) to hold
# PATH open, run ACTION (bash, in ROOT; "HANG": never let the write in),
# let the write in and log it. Exits with COMMAND's status.
import fcntl, os, subprocess, sys, time

F_SETPIPE_SZ = 1031


def holds(pid, fifo):
    pids = [pid]
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        for p in os.listdir('/proc'):
            try:
                with open('/proc/%s/stat' % p) as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        pids.append(int(p))
            except (OSError, ValueError, IndexError):
                pass
    for p in pids:
        try:
            fds = os.listdir('/proc/%d/fd' % p)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink('/proc/%d/fd/%s' % (p, fd)) == fifo:
                    return True
            except OSError:
                pass
    return False


def gone(pid, fifo):
    """No holder in three looks 5 ms apart: a single look can miss the
    write's child being forked (the children listed before the fork, the
    parent's descriptor closed after it)."""
    for _ in range(3):
        if holds(pid, fifo):
            return False
        time.sleep(0.005)
    return True


def drain(fd):
    got = b''
    try:
        while True:
            got += os.read(fd, 65536)
    except BlockingIOError:
        pass
    return got


def main():
    root, steps_file, log = sys.argv[1:4]
    cmd = sys.argv[5:]
    steps = []
    with open(steps_file) as f:
        for line in f:
            path, value, action = line.rstrip('\n').split('\t', 2)
            steps.append((path, value.encode(), action))
    fifos = {}
    for path, _, _ in steps:
        if path in fifos:
            continue
        full = os.path.join(root, path)
        if os.path.lexists(full):
            os.remove(full)
        os.mkfifo(full)
        fd = os.open(full, os.O_RDWR | os.O_NONBLOCK)
        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
        fifos[path] = [fd, os.path.realpath(full), 0, full]

    def fill(ent):          # a full pipe: the next write blocks
        try:
            while True:
                ent[2] += os.write(ent[0], b'\0' * 512)
        except BlockingIOError:
            pass

    for ent in fifos.values():
        fill(ent)
    out = open(log, 'w')
    proc = subprocess.Popen(cmd)
    for path, value, action in steps:
        ent = fifos[path]
        t0 = time.time()
        seen = False
        while proc.poll() is None and time.time() - t0 < 60:
            if holds(proc.pid, ent[1]):
                seen = True
                break
            time.sleep(0.002)
        if not seen:
            out.write('never written: %s %s\n' % (path, value.decode()))
            continue
        if action == 'HANG':
            while not gone(proc.pid, ent[1]) and time.time() - t0 < 120:
                time.sleep(0.005)
            out.write('hung: %s %s\n' % (path, value.decode()))
            continue
        if action:
            subprocess.run(['bash', '-c', action], cwd=root, check=True)
        # let the write in: the filler out, then what it wrote (one atomic
        # write: all of it at once), or whatever it wrote before it let go
        filler = b''
        while len(filler) < ent[2] and time.time() - t0 < 60:
            try:
                filler += os.read(ent[0], ent[2] - len(filler))
            except BlockingIOError:
                time.sleep(0.001)
        ent[2] -= len(filler)
        got = b''
        while time.time() - t0 < 60:
            got += drain(ent[0])
            if len(got) >= len(value) or gone(proc.pid, ent[1]):
                break
            time.sleep(0.001)
        got += drain(ent[0])
        out.write('write %s %s%s\n' % (path, got.decode(errors='replace').replace('\n', '\\n'),
                                       '' if got == value else ' (expected %s)' % value.decode()))
        out.flush()
        fill(ent)
    # no more steps: later writes go in and are logged, the kernel does nothing
    extra = {p: b'' for p in fifos}
    while True:
        done = proc.poll() is not None
        for path, ent in fifos.items():
            extra[path] += drain(ent[0])
        if done:
            break
        time.sleep(0.002)
    for path, ent in fifos.items():
        got = extra[path].lstrip(b'\0')
        if got:
            out.write('unexpected: %s %s\n' % (path, got.decode(errors='replace').replace('\n', '\\n')))
        os.close(ent[0])
        # a FIFO still there becomes the empty file it was
        if os.path.lexists(ent[3]):
            os.remove(ent[3])
            open(ent[3], 'w').close()
    out.close()
    sys.exit(proc.returncode)


main()
EOF

# steps: the stand-in kernel's script from lines "PATH VALUE ACTION..."
steps() {
	local path value action
	: >"$T/steps"
	while read -r path value action; do
		[ -n "$path" ] || continue
		[ "$action" = HANG ] || action=". $T/kernel.sh; $action"
		printf '%s\t%s\t%s\n' "$path" "$value" "$action" >>"$T/steps"
	done
}
# kernel ARGS...: vfio-bind ARGS on $S with the stand-in kernel playing
# $T/steps; like run, and the kernel's log in $klog
kernel() {
	out=$(timeout 300 python3 "$T/kernel.py" "$S" "$T/steps" "$T/klog" -- "$VB" --sysroot "$S" "$@" 2>"$T/err" </dev/null)
	rc=$?
	err=$(cat "$T/err")
	klog=$(cat "$T/klog" 2>/dev/null)
}
# the kernel log every step of $T/steps gives when each write comes as expected
klog_want() { awk -F'\t' '{ print "write " $1 " " $2 }' "$T/steps"; }

# what each fixture's kernel does on a hand-over and a hand-back
efifb_over() {
	steps <<EOF
sys/bus/platform/drivers/efi-framebuffer/unbind efi-framebuffer.0 platform_unbind efi-framebuffer.0
$SB/nvidia/unbind 0000:01:00.0 pci_unbind 0000:01:00.0
sys/bus/pci/drivers_probe 0000:01:00.0 pci_probe 0000:01:00.0
$SB/snd_hda_intel/unbind 0000:01:00.1 pci_unbind 0000:01:00.1
sys/bus/pci/drivers_probe 0000:01:00.1 pci_probe 0000:01:00.1
EOF
}
nvidia_back() { # nvidia_back [ACTION]: what more nvidia's bind of 01:00.0 brings
	steps <<EOF
$SB/vfio-pci/unbind 0000:01:00.0 pci_unbind 0000:01:00.0
$SB/nvidia/bind 0000:01:00.0 pci_bind 0000:01:00.0 nvidia${1:+; $1}
$SB/vfio-pci/unbind 0000:01:00.1 pci_unbind 0000:01:00.1
$SB/snd_hda_intel/bind 0000:01:00.1 pci_bind 0000:01:00.1 snd_hda_intel
EOF
}
simpledrm_over() {
	steps <<EOF
sys/bus/platform/drivers/simple-framebuffer/unbind simple-framebuffer.0 platform_unbind simple-framebuffer.0
sys/bus/pci/drivers_probe 0000:03:00.0 pci_probe 0000:03:00.0
$SB/snd_hda_intel/unbind 0000:03:00.1 pci_unbind 0000:03:00.1
sys/bus/pci/drivers_probe 0000:03:00.1 pci_probe 0000:03:00.1
EOF
}
persistenced_over() {
	steps <<EOF
$SB/nvidia/unbind 0000:01:00.0 pci_unbind 0000:01:00.0
sys/bus/pci/drivers_probe 0000:01:00.0 pci_probe 0000:01:00.0
$SB/snd_hda_intel/unbind 0000:01:00.1 pci_unbind 0000:01:00.1
sys/bus/pci/drivers_probe 0000:01:00.1 pci_probe 0000:01:00.1
EOF
}

EFIFB_NOTE='vfio-bind: note: efi-framebuffer.0 (efifb) does not come back with the hand-back: vfio-pci removes the firmware framebuffer of a card it takes (Linux 6.0 and later); the console returns on the card'"'"'s own framebuffer (amdgpu, i915, nouveau, nvidia-drm fbdev=1)'
SIMPLEDRM_NOTE='vfio-bind: note: simple-framebuffer.0 (simpledrm) does not come back with the hand-back: vfio-pci removes the firmware framebuffer of a card it takes (Linux 6.0 and later); the console returns on the card'"'"'s own framebuffer (amdgpu, i915, nouveau, nvidia-drm fbdev=1)'
HOLDERS='nvidia-persiste (pid 1021) /dev/nvidiactl, gnome-shell (pid 2210) /dev/dri/card1'
REFUSED="vfio-bind: 0000:01:00.0: its display is open by $HOLDERS; stop them first (the desktop session, nvidia-persistenced), or --force takes the card from under them"
FORCED="vfio-bind: warning: 0000:01:00.0: its display is open by $HOLDERS (--force given)"
EFIFB_RECORD='# vfio-bind --handover of 0000:01:00.0: what vfio-bind --handback puts back
console (M) frame buffer device
framebuffer efi-framebuffer.0 efi-framebuffer'
EFIFB_WRITES='write /sys/class/vtconsole/vtcon1/bind 0
write /sys/bus/platform/drivers/efi-framebuffer/unbind efi-framebuffer.0
create /run/passthru-utils/vfio-bind/0000:01:00.0 nvidia
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/nvidia/unbind 0000:01:00.0
write /sys/bus/pci/drivers_probe 0000:01:00.0
create /run/passthru-utils/vfio-bind/0000:01:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:01:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1
write /sys/bus/pci/drivers_probe 0000:01:00.1
create /run/passthru-utils/handover/0000:01:00.0 # vfio-bind --handover of 0000:01:00.0: what vfio-bind --handback puts back\nconsole (M) frame buffer device\nframebuffer efi-framebuffer.0 efi-framebuffer\n'

# ================================================================ --dry-run

# --- single-efifb: consoles, efifb, the card and its audio, the record ---
fresh single-efifb
before=$(snap)
run --dry-run --handover 01:00.0
is "$rc|$err" "0|$EFIFB_NOTE" "efifb --dry-run: exit 0, one note: efifb does not come back"
is "$out" "load module vfio-pci
load module vfio_iommu_type1
$EFIFB_WRITES
vtcon1 (frame buffer device) bound -> unbound
efi-framebuffer.0 efi-framebuffer -> (none)
0000:01:00.0 nvidia -> vfio-pci (group 1)
0000:01:00.1 snd_hda_intel -> vfio-pci (group 1)" \
	"  every write in order: the console, efifb's unbind, the bind of both functions, the record; then the changes"
is "$(snap)" "$before" "  the tree is unchanged"
want=$out
run --dry-run --handover 0000:01:00.1
is "$rc|$out" "0|$want" "the audio function names the same card: the same writes"
run --dry-run --handover 10de:2504
is "$rc|$out" "0|$want" "so does the GPU's vendor:device ID"

run --dry-run -J --handover 01:00.0
is "$rc|$err" "0|load module vfio-pci
load module vfio_iommu_type1
$EFIFB_WRITES" "efifb --dry-run -J: the writes on stderr (no note with -J)"
is "$out" '{
  "action": "handover",
  "gpu": "0000:01:00.0",
  "consoles": [
    {
      "vtcon": "vtcon1",
      "name": "frame buffer device",
      "before": "bound",
      "after": "unbound"
    }
  ],
  "framebuffer": {
    "device": "efi-framebuffer.0",
    "before": "efi-framebuffer",
    "after": null
  },
  "devices": [
    {
      "bdf": "0000:01:00.0",
      "group": 1,
      "before": "nvidia",
      "after": "vfio-pci",
      "changed": true
    },
    {
      "bdf": "0000:01:00.1",
      "group": 1,
      "before": "snd_hda_intel",
      "after": "vfio-pci",
      "changed": true
    }
  ]
}' "  the JSON document"
is "$(snap)" "$before" "  the tree is unchanged"

# --- single-simpledrm: vfio loaded, a card with no driver ---
fresh single-simpledrm
before=$(snap)
run --dry-run --handover 03:00.0
is "$rc|$err" "0|$SIMPLEDRM_NOTE" "simpledrm --dry-run: exit 0, one note"
is "$out" 'write /sys/class/vtconsole/vtcon1/bind 0
write /sys/bus/platform/drivers/simple-framebuffer/unbind simple-framebuffer.0
create /run/passthru-utils/vfio-bind/0000:03:00.0 
write /sys/bus/pci/devices/0000:03:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers_probe 0000:03:00.0
create /run/passthru-utils/vfio-bind/0000:03:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:03:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:03:00.1
write /sys/bus/pci/drivers_probe 0000:03:00.1
create /run/passthru-utils/handover/0000:03:00.0 # vfio-bind --handover of 0000:03:00.0: what vfio-bind --handback puts back\nconsole (M) frame buffer device\nframebuffer simple-framebuffer.0 simple-framebuffer\n
vtcon1 (frame buffer device) bound -> unbound
simple-framebuffer.0 simple-framebuffer -> (none)
0000:03:00.0 (none) -> vfio-pci (group 5)
0000:03:00.1 snd_hda_intel -> vfio-pci (group 5)' \
	"  no module to load, no driver to unbind on 03:00.0, simpledrm's unbind"
is "$(snap)" "$before" "  the tree is unchanged"

# --- nvidia-persistenced: refused, then --force ---
fresh nvidia-persistenced
before=$(snap)
run --dry-run --handover 01:00.0
is "$rc|$out|$err" "3||$REFUSED" \
	"nvidia-persistenced --dry-run: exit 3, one line naming both processes and --force, nothing on stdout"
run --dry-run --force --handover 01:00.0
is "$rc|$err" "0|$FORCED" "--force --dry-run: exit 0, a warning naming them"
is "$out" 'load module vfio-pci
load module vfio_iommu_type1
write /sys/class/vtconsole/vtcon1/bind 0
create /run/passthru-utils/vfio-bind/0000:01:00.0 nvidia
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/nvidia/unbind 0000:01:00.0
write /sys/bus/pci/drivers_probe 0000:01:00.0
create /run/passthru-utils/vfio-bind/0000:01:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:01:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1
write /sys/bus/pci/drivers_probe 0000:01:00.1
create /run/passthru-utils/handover/0000:01:00.0 # vfio-bind --handover of 0000:01:00.0: what vfio-bind --handback puts back\nconsole (M) frame buffer device\n
vtcon1 (frame buffer device) bound -> unbound
0000:01:00.0 nvidia -> vfio-pci (group 3)
0000:01:00.1 snd_hda_intel -> vfio-pci (group 3)' \
	"  the console on nvidia-drm's fb0, no platform framebuffer, the record without one"
run --dry-run --force -J --handover 01:00.0
is "$rc|$(jq -c '[.consoles, .framebuffer, [.devices[] | .bdf, .before, .after]]' <<<"$out")" \
	'0|[[{"vtcon":"vtcon1","name":"frame buffer device","before":"bound","after":"unbound"}],null,["0000:01:00.0","nvidia","vfio-pci","0000:01:00.1","snd_hda_intel","vfio-pci"]]' \
	"  -J: the console, \"framebuffer\": null, both functions"
is "$(snap)" "$before" "  the tree is unchanged"

# ================================================================ refusals, a real run

fresh nvidia-persistenced
vfio
before=$(snap)
run --handover 01:00.0
is "$rc|$out|$err" "3||$REFUSED" "nvidia-persistenced, a real run: exit 3, the same line"
is "$(snap)" "$before" "  nothing changed, no journal"
run -J --handover 01:00.0
is "$rc|$err" "3|$REFUSED" "  -J: exit 3, the line on stderr"
is "$out|$(snap)" "|$before" "  -J: nothing on stdout (as for any refused bind); nothing changed"

# vfio-pci not loaded in the sysroot: nothing is written
fresh single-efifb
before=$(snap)
run --handover 01:00.0
is "$rc|$err" "1|$EFIFB_NOTE
vfio-bind: module vfio-pci is not loaded in the sysroot; nothing was changed" \
	"vfio-pci not loaded: exit 1, it says nothing was changed"
is "$(snap)" "$before" "  and nothing was"

# ================================================================ real runs

# --- single-efifb: the hand-over ---
fresh single-efifb
vfio
efifb_over
kernel -v --handover 01:00.0
is "$rc|$out" "0|vtcon1 (frame buffer device) bound -> unbound
efi-framebuffer.0 efi-framebuffer -> (none)
0000:01:00.0 nvidia -> vfio-pci (group 1)
0000:01:00.1 snd_hda_intel -> vfio-pci (group 1)
/dev/vfio/1 ready" "efifb hand-over: exit 0, one line per change, then the group's node"
is "$(changes)" "${EFIFB_WRITES% # vfio-bind --handover*}" "  the writes of the dry run, in its order (-v shows no record's content)"
is "$klog" "$(klog_want)" "  the kernel saw efifb's unbind, nvidia's, snd_hda_intel's and both probes, each once"
is "$(grep -v '^vfio-bind: \(write\|create\|remove\|journal\) ' <<<"$err")" "$EFIFB_NOTE" "  stderr: the note, then only -v's lines"
is "$(cat "$S/$D/0000:01:00.0/driver_override")|$(cat "$S/$D/0000:01:00.1/driver_override")" "vfio-pci|vfio-pci" \
	"  driver_override: vfio-pci on both"
is "$(readlink "$S/$D/0000:01:00.0/driver")|$(readlink "$S/$D/0000:01:00.1/driver")" \
	"../../../../bus/pci/drivers/vfio-pci|../../../../bus/pci/drivers/vfio-pci" "  both on vfio-pci"
is "$(cat "$S/run/passthru-utils/handover/0000:01:00.0")" "$EFIFB_RECORD" \
	"  the record: the console by name, the framebuffer and its driver"
is "$(cat "$S/run/passthru-utils/vfio-bind/0000:01:00.0")|$(cat "$S/run/passthru-utils/vfio-bind/0000:01:00.1")" \
	"nvidia|snd_hda_intel" "  vfio-bind's records: the drivers they had"
is "$(ls "$S/run/passthru-utils" | tr '\n' ' ')|$(ls "$S/dev/vfio")" "handover lock vfio-bind |1" \
	"  no journal left; /dev/vfio/1"
is "$(ls "$S/sys/bus/platform/devices" | tr '\n' ' ')|$(ls "$S/sys/class/vtconsole" | tr '\n' ' ')" \
	"i8042 microcode reg-dummy serial8250 |vtcon0 " \
	"  the kernel's side: efi-framebuffer.0 gone with vfio-pci, vtcon1 with the last framebuffer"
cp -a "$S" "$T/efifb-over"

# a second hand-over of a handed-over card changes nothing
before=$(snap)
run --handover 01:00.0
is "$rc|$out|$err|$(snap)" "0|0000:01:00.0 already handed over (on vfio-pci; vfio-bind --handback gives it back)||$before" \
	"a second --handover: exit 0, it says so, nothing changed"

# --- single-efifb: the hand-back; nvidia without modesetting gives no display ---
before=$(snap)
run --dry-run --handback 01:00.0
is "$rc|$err|$out" '0||write /sys/bus/pci/devices/0000:01:00.0/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0
write /sys/bus/pci/drivers/nvidia/bind 0000:01:00.0
write /sys/bus/pci/devices/0000:01:00.1/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1
write /sys/bus/pci/drivers/snd_hda_intel/bind 0000:01:00.1
remove /run/passthru-utils/handover/0000:01:00.0
remove /run/passthru-utils/vfio-bind/0000:01:00.0
remove /run/passthru-utils/vfio-bind/0000:01:00.1
0000:01:00.0 vfio-pci -> nvidia (group 1)
0000:01:00.1 vfio-pci -> snd_hda_intel (group 1)' \
	"--dry-run --handback: each function to the driver of its record; efi-framebuffer.0 and fbcon's console are gone, nothing to bind"
is "$(snap)" "$before" "  the tree is unchanged"
nvidia_back
kernel -v --handback 01:00.0
is "$rc|$out" "1|0000:01:00.0 vfio-pci -> nvidia (group 1)
0000:01:00.1 vfio-pci -> snd_hda_intel (group 1)
0000:01:00.0 display: no DRM card or framebuffer on it; no frame buffer console bound" \
	"efifb hand-back: both functions back, the check finds no display: exit 1"
is "$(grep -v '^vfio-bind: \(write\|create\|remove\|journal\) ' <<<"$err")" \
	"vfio-bind: 0000:01:00.0 is back on nvidia, but its display is not up: no DRM card or framebuffer on it; no frame buffer console bound; efi-framebuffer.0 is gone (the kernel removes a firmware framebuffer when vfio-pci takes its card, until the next boot)" \
	"  one line: back on nvidia, no display, efi-framebuffer.0 gone"
is "$(changes)" 'write /sys/bus/pci/devices/0000:01:00.0/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0
write /sys/bus/pci/drivers/nvidia/bind 0000:01:00.0
write /sys/bus/pci/devices/0000:01:00.1/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1
write /sys/bus/pci/drivers/snd_hda_intel/bind 0000:01:00.1
remove /run/passthru-utils/handover/0000:01:00.0
remove /run/passthru-utils/vfio-bind/0000:01:00.0
remove /run/passthru-utils/vfio-bind/0000:01:00.1' \
	"  the writes: override cleared, off vfio-pci, each to its driver; no framebuffer or console to put back; records removed"
is "$klog" "$(klog_want)" "  the kernel saw both unbinds and both binds"
is "$(cat "$S/$D/0000:01:00.0/driver_override")|$(readlink "$S/$D/0000:01:00.0/driver" | sed 's|.*/||')|$(readlink "$S/$D/0000:01:00.1/driver" | sed 's|.*/||')" \
	"|nvidia|snd_hda_intel" "  override empty, nvidia and snd_hda_intel again"
is "$(find "$S/run/passthru-utils" "$S/dev/vfio" -type f | sed "s|$S/||" | sort | tr '\n' ' ')" \
	"run/passthru-utils/lock " "  no record, no journal, no /dev/vfio/1"

# --- single-efifb on a kernel before 6.0: vfio-pci leaves efifb's device
# alone, so the hand-back binds efifb again and fbcon comes back on it ---
fresh single-efifb
vfio
echo 5.15.0-91-generic >"$S/proc/sys/kernel/osrelease"
efifb_over
sed -i 's/; pci_probe 0000:01:00.0$/; pci_probe_5 0000:01:00.0/' "$T/steps"
kernel --handover 01:00.0
is "$rc|$klog|$(ls "$S/sys/bus/platform/devices" | tr '\n' ' ')|$(readlink "$S/sys/bus/platform/devices/efi-framebuffer.0/driver")" \
	"0|$(klog_want)|efi-framebuffer.0 i8042 microcode reg-dummy serial8250 |" \
	"before 6.0: the hand-over as on 6.1, but efi-framebuffer.0 stays registered, with no driver"
nvidia_back
printf '%s\t%s\t%s\n' sys/bus/platform/drivers/efi-framebuffer/bind efi-framebuffer.0 \
	". $T/kernel.sh; platform_bind efi-framebuffer.0 efi-framebuffer 'EFI VGA'" >>"$T/steps"
kernel -v --handback 01:00.0
is "$rc|$out" '0|0000:01:00.0 vfio-pci -> nvidia (group 1)
0000:01:00.1 vfio-pci -> snd_hda_intel (group 1)
efi-framebuffer.0 (none) -> efi-framebuffer
vtcon1 (frame buffer device) unbound -> bound
0000:01:00.0 display: fb0 (efi-framebuffer.0); console vtcon1 bound' \
	"the hand-back: both functions, then efifb bound again, then the console: exit 0, fb0 on efi-framebuffer.0"
is "$klog" "$(klog_want)" "  the kernel saw both functions bound back, then efifb's bind"
is "$(changes)" 'write /sys/bus/pci/devices/0000:01:00.0/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.0
write /sys/bus/pci/drivers/nvidia/bind 0000:01:00.0
write /sys/bus/pci/devices/0000:01:00.1/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:01:00.1
write /sys/bus/pci/drivers/snd_hda_intel/bind 0000:01:00.1
write /sys/bus/platform/drivers/efi-framebuffer/bind efi-framebuffer.0
remove /run/passthru-utils/handover/0000:01:00.0
remove /run/passthru-utils/vfio-bind/0000:01:00.0
remove /run/passthru-utils/vfio-bind/0000:01:00.1' \
	"  the writes: the devices first, then efifb's bind (fbcon bound itself: no console write), the records removed"
is "$(readlink "$S/sys/bus/platform/devices/efi-framebuffer.0/driver")|$(cat "$S/sys/class/vtconsole/vtcon1/bind")" \
	"../../../bus/platform/drivers/efi-framebuffer|1" "  efi-framebuffer.0 on efi-framebuffer, vtcon1 bound"

# --- single-efifb, -J, real: the same changes as a document ---
fresh single-efifb
vfio
efifb_over
kernel -J --handover 01:00.0
is "$rc|$err|$klog" "0||$(klog_want)" "efifb hand-over -J: exit 0, nothing on stderr (no note with -J), the kernel saw every write"
is "$(jq -c '[.action, .gpu, .framebuffer, [.devices[] | .bdf, .group, .before, .after, .changed]]' <<<"$out")" \
	'["handover","0000:01:00.0",{"device":"efi-framebuffer.0","before":"efi-framebuffer","after":null},["0000:01:00.0",1,"nvidia","vfio-pci",true,"0000:01:00.1",1,"snd_hda_intel","vfio-pci",true]]' \
	"  the framebuffer and the devices"
is "$(jq -c '.consoles' <<<"$out")" '[{"vtcon":"vtcon1","name":"frame buffer device","before":"bound","after":"unbound"}]' \
	"  the console, named vtcon1 as the text says"

# --- single-simpledrm: the hand-over, then the hand-back ---
fresh single-simpledrm
simpledrm_over
kernel -v --handover 03:00.0
is "$rc|$out" "0|vtcon1 (frame buffer device) bound -> unbound
simple-framebuffer.0 simple-framebuffer -> (none)
0000:03:00.0 (none) -> vfio-pci (group 5)
0000:03:00.1 snd_hda_intel -> vfio-pci (group 5)
/dev/vfio/5 ready" "simpledrm hand-over: exit 0, the changes, /dev/vfio/5"
is "$klog" "$(klog_want)" "  the kernel saw simpledrm's unbind, both probes, snd_hda_intel's unbind"
is "$(changes)" 'write /sys/class/vtconsole/vtcon1/bind 0
write /sys/bus/platform/drivers/simple-framebuffer/unbind simple-framebuffer.0
create /run/passthru-utils/vfio-bind/0000:03:00.0 
write /sys/bus/pci/devices/0000:03:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers_probe 0000:03:00.0
create /run/passthru-utils/vfio-bind/0000:03:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:03:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:03:00.1
write /sys/bus/pci/drivers_probe 0000:03:00.1
create /run/passthru-utils/handover/0000:03:00.0' "  the writes of the dry run, in its order"
is "$(cat "$S/run/passthru-utils/handover/0000:03:00.0")" '# vfio-bind --handover of 0000:03:00.0: what vfio-bind --handback puts back
console (M) frame buffer device
framebuffer simple-framebuffer.0 simple-framebuffer' "  the record names simple-framebuffer.0"
is "$(wc -c <"$S/run/passthru-utils/vfio-bind/0000:03:00.0")|$(cat "$S/run/passthru-utils/vfio-bind/0000:03:00.1")" \
	"0|snd_hda_intel" "  vfio-bind's records: none for 03:00.0 (no driver), snd_hda_intel"
is "$(grep -c 'BOOTFB\|simpledrm' "$S/proc/iomem")|$(ls "$S/sys/class/drm" | tr '\n' ' ')" "0|version " \
	"  the kernel's side: BOOTFB released, simpledrm's card0 gone"
cp -a "$S" "$T/simpledrm-over"
steps <<EOF
$SB/vfio-pci/unbind 0000:03:00.0 pci_unbind 0000:03:00.0
sys/bus/pci/drivers_probe 0000:03:00.0 pci_probe 0000:03:00.0
$SB/vfio-pci/unbind 0000:03:00.1 pci_unbind 0000:03:00.1
$SB/snd_hda_intel/bind 0000:03:00.1 pci_bind 0000:03:00.1 snd_hda_intel
EOF
kernel -v --handback 03:00.0
verr=$err
err=$(grep -v '^vfio-bind: \(write\|create\|remove\|journal\) ' <<<"$err")
is "$rc|$out" "1|0000:03:00.0 vfio-pci -> (none) (group 5)
0000:03:00.1 vfio-pci -> snd_hda_intel (group 5)
0000:03:00.0 display: no DRM card or framebuffer on it; no frame buffer console bound" \
	"simpledrm hand-back: 03:00.0 back to no driver (amdgpu is blacklisted), the check finds no display: exit 1"
is "$err" "vfio-bind: 0000:03:00.0 is back on no driver, as before, but its display is not up: no DRM card or framebuffer on it; no frame buffer console bound; simple-framebuffer.0 is gone (the kernel removes a firmware framebuffer when vfio-pci takes its card, until the next boot); loading the card's own driver (its DRM driver) gives it a display and a console" \
	"  one line: what is missing, and that the card's own driver would give a display"
is "$klog" "$(klog_want)" "  the kernel saw 03:00.0 reprobed (no driver takes it), 03:00.1 bound to snd_hda_intel"
HANDBACK_5='write /sys/bus/pci/devices/0000:03:00.0/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:03:00.0
write /sys/bus/pci/drivers_probe 0000:03:00.0
write /sys/bus/pci/devices/0000:03:00.1/driver_override \n
write /sys/bus/pci/drivers/vfio-pci/unbind 0000:03:00.1
write /sys/bus/pci/drivers/snd_hda_intel/bind 0000:03:00.1'
err=$verr
is "$(changes)" "$HANDBACK_5
remove /run/passthru-utils/handover/0000:03:00.0
remove /run/passthru-utils/vfio-bind/0000:03:00.0
remove /run/passthru-utils/vfio-bind/0000:03:00.1" \
	"  the writes: 03:00.0 reprobed with no override, 03:00.1 to snd_hda_intel (vfio-bind's record); the records removed"
is "$(find "$S/run/passthru-utils" -type f | sed "s|$S/||")|$(ls "$S/dev/vfio")" "run/passthru-utils/lock|" "  no record, no journal, no /dev/vfio/5"

# --- no record: the slot reprobed, a warning ---
S=$T/simpledrm-over
rm "$S/run/passthru-utils/handover/0000:03:00.0"
kernel -v --handback 03:00.0
is "$rc|$out" "1|0000:03:00.0 vfio-pci -> (none) (group 5)
0000:03:00.1 vfio-pci -> snd_hda_intel (group 5)
0000:03:00.0 display: no DRM card or framebuffer on it; no frame buffer console" \
	"no record: both functions off vfio-pci all the same (vfio-bind's records say where to), no console to look for"
is "$(grep -v '^vfio-bind: \(write\|create\|remove\|journal\) ' <<<"$err")" "vfio-bind: note: no hand-over record for 0000:03:00.0: its functions are reprobed and unbound frame buffer consoles bound
vfio-bind: 0000:03:00.0 is back on no driver, as before, but its display is not up: no DRM card or framebuffer on it; no frame buffer console; loading the card's own driver (its DRM driver) gives it a display and a console" \
	"  the warning names the card; then why there is no display"
is "$(changes)" "$HANDBACK_5
remove /run/passthru-utils/vfio-bind/0000:03:00.0
remove /run/passthru-utils/vfio-bind/0000:03:00.1" "  the same writes, no hand-over record to remove"
is "$klog" "$(klog_want)" "  the same four writes reach the kernel"

# no record on a host whose console is on efifb, unbound: the console is bound again
fresh single-efifb
echo 0 >"$S/sys/class/vtconsole/vtcon1/bind"
run --handback 01:00.0
is "$rc|$out" '0|0000:01:00.0 already off vfio-pci: nvidia (group 1)
0000:01:00.1 already off vfio-pci: snd_hda_intel (group 1)
vtcon1 (frame buffer device) unbound -> bound
0000:01:00.0 display: fb0 (efi-framebuffer.0); console vtcon1 bound' \
	"no record, the console unbound on efifb: it is bound, and efifb in the card's BAR is its display"
is "$(cat "$S/sys/class/vtconsole/vtcon1/bind")" "1" "  vtcon1's bind: 1 written"

# --- nvidia-persistenced, --force: the hand-over, then the hand-back ---
fresh nvidia-persistenced
vfio
persistenced_over
kernel -v --force --handover 01:00.0
is "$rc|$out" "0|vtcon1 (frame buffer device) bound -> unbound
0000:01:00.0 nvidia -> vfio-pci (group 3)
0000:01:00.1 snd_hda_intel -> vfio-pci (group 3)
/dev/vfio/3 ready" "nvidia-persistenced --force: exit 0, the console and both functions"
is "$(grep -v '^vfio-bind: \(write\|create\|remove\|journal\) ' <<<"$err")" "$FORCED" "  the warning names the processes"
is "$klog" "$(klog_want)" "  the kernel saw nvidia's unbind, both probes, snd_hda_intel's unbind"
is "$(changes)" 'write /sys/class/vtconsole/vtcon1/bind 0
create /run/passthru-utils/vfio-bind/0000:01:00.0 nvidia
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/nvidia/unbind 0000:01:00.0
write /sys/bus/pci/drivers_probe 0000:01:00.0
create /run/passthru-utils/vfio-bind/0000:01:00.1 snd_hda_intel
write /sys/bus/pci/devices/0000:01:00.1/driver_override vfio-pci
write /sys/bus/pci/drivers/snd_hda_intel/unbind 0000:01:00.1
write /sys/bus/pci/drivers_probe 0000:01:00.1
create /run/passthru-utils/handover/0000:01:00.0' "  the writes of the dry run: vtcon1's bind 0 first, no platform framebuffer"
is "$(cat "$S/run/passthru-utils/handover/0000:01:00.0")|$(cat "$S/sys/class/vtconsole/vtcon0/bind")" \
	"# vfio-bind --handover of 0000:01:00.0: what vfio-bind --handback puts back
console (M) frame buffer device|0" "  the record names the console only; dummycon's vtcon0 untouched"
is "$(ls "$S/sys/class/drm" "$S/sys/class/graphics" "$S/sys/class/vtconsole" | tr '\n' ' ')" \
	"$S/sys/class/drm: version  $S/sys/class/graphics: fbcon  $S/sys/class/vtconsole: vtcon0 " \
	"  the kernel's side: card1, renderD128, fb0 and fbcon's vtcon1 gone with nvidia"
nvidia_back "drm_up 0000:01:00.0 card0 nvidia-drmdrmfb"
kernel -v --handback 01:00.0
verr=$err
err=$(grep -v '^vfio-bind: \(write\|create\|remove\|journal\) ' <<<"$err")
is "$rc|$out|$err" '0|0000:01:00.0 vfio-pci -> nvidia (group 3)
0000:01:00.1 vfio-pci -> snd_hda_intel (group 3)
vtcon1 (frame buffer device) unbound -> bound
0000:01:00.0 display: card0, fb0 "nvidia-drmdrmfb"; console vtcon1 bound|' \
	"hand-back: nvidia-drm comes back as card0 with fb0, fbcon binds itself: exit 0, the check says what shows"
is "$klog" "$(klog_want)" "  the kernel saw both unbinds and both binds"
err=$verr
is "$(changes | grep -c vtconsole)" 0 "  fbcon bound its console itself: no bind written"
is "$(ls "$S/run/passthru-utils/handover" "$S/run/passthru-utils/vfio-bind" | tr '\n' ' ')|$(cat "$S/sys/class/vtconsole/vtcon1/bind")" \
	"$S/run/passthru-utils/handover:  $S/run/passthru-utils/vfio-bind: |1" "  no record left; vtcon1 bound"

# the hand-back as a document
fresh nvidia-persistenced
vfio
persistenced_over
kernel --force --handover 01:00.0
nvidia_back "drm_up 0000:01:00.0 card0 nvidia-drmdrmfb"
kernel -J --handback 01:00.0
is "$rc|$err|$out" '0||{
  "action": "handback",
  "gpu": "0000:01:00.0",
  "recorded": true,
  "consoles": [
    {
      "vtcon": "vtcon1",
      "name": "frame buffer device",
      "before": "unbound",
      "after": "bound"
    }
  ],
  "framebuffer": null,
  "devices": [
    {
      "bdf": "0000:01:00.0",
      "group": 3,
      "before": "vfio-pci",
      "after": "nvidia",
      "changed": true
    },
    {
      "bdf": "0000:01:00.1",
      "group": 3,
      "before": "vfio-pci",
      "after": "snd_hda_intel",
      "changed": true
    }
  ],
  "display": "card0, fb0 \"nvidia-drmdrmfb\"; console vtcon1 bound"
}' "hand-back -J: recorded, the console, both devices, what shows the display"

# --- a VM holds the group: the hand-back is refused ---
S=$T/efifb-over
mkdir -p "$S/proc/4242/fd"
echo qemu-system-x86 >"$S/proc/4242/comm"
ln -s /dev/vfio/1 "$S/proc/4242/fd/23"
before=$(snap)
run --handback 01:00.0
is "$rc|$out|$err" "3||vfio-bind: 0000:01:00.0 is held by a running VM: qemu-system-x86 (pid 4242) /dev/vfio/1; stop the VM first (giving it back now would hang until the VM lets go)" \
	"a VM on the group: --handback refused, exit 3, one line"
is "$(snap)" "$before" "  nothing changed"

# ================================================================ failures midway

# nvidia's unbind never finishes (nvidia waits for its users): the write is
# abandoned after PASSTHRU_WRITE_TIMEOUT and everything goes back
fresh nvidia-persistenced
vfio
steps <<EOF
$SB/nvidia/unbind 0000:01:00.0 HANG
EOF
PASSTHRU_WRITE_TIMEOUT=1 kernel -v --force --handover 01:00.0
is "$rc|$(tail -n 1 <<<"$err")" \
	"1|vfio-bind: 0000:01:00.0: unbinding its driver: the kernel did not finish it in time (the write is abandoned); every change is undone" \
	"nvidia's unbind hangs: exit 1 after the timeout, it says so and that all is back"
is "$klog" "hung: $SB/nvidia/unbind 0000:01:00.0" "  the kernel held the write until it was abandoned"
is "$(changes)" 'write /sys/class/vtconsole/vtcon1/bind 0
create /run/passthru-utils/vfio-bind/0000:01:00.0 nvidia
write /sys/bus/pci/devices/0000:01:00.0/driver_override vfio-pci
write /sys/bus/pci/drivers/nvidia/unbind 0000:01:00.0
write /sys/bus/pci/drivers/nvidia/unbind: no answer in 1 s
write /sys/bus/pci/devices/0000:01:00.0/driver_override \n
remove /run/passthru-utils/vfio-bind/0000:01:00.0
write /sys/class/vtconsole/vtcon1/bind 1' \
	"  -v: the write abandoned after 1 s; the rollback clears the override, removes the record, binds the console, newest first"
is "$out|$(cat "$S/sys/class/vtconsole/vtcon1/bind")|$(readlink "$S/$D/0000:01:00.0/driver" | sed 's|.*/||')|$(ls "$S/run/passthru-utils" | tr '\n' ' ')" \
	"|1|nvidia|lock vfio-bind " "  nothing on stdout; vtcon1 bound, still on nvidia, no journal, no record"

# vfio-pci does not take the audio function after it took the GPU (and the
# kernel removed efifb): the devices go back, the console cannot until a
# framebuffer registers
fresh single-efifb
vfio
steps <<EOF
sys/bus/platform/drivers/efi-framebuffer/unbind efi-framebuffer.0 platform_unbind efi-framebuffer.0
$SB/nvidia/unbind 0000:01:00.0 pci_unbind 0000:01:00.0
sys/bus/pci/drivers_probe 0000:01:00.0 pci_probe 0000:01:00.0
$SB/snd_hda_intel/unbind 0000:01:00.1 pci_unbind 0000:01:00.1
sys/bus/pci/drivers_probe 0000:01:00.1 true
$SB/snd_hda_intel/bind 0000:01:00.1 pci_bind 0000:01:00.1 snd_hda_intel
$SB/vfio-pci/unbind 0000:01:00.0 pci_unbind 0000:01:00.0
$SB/nvidia/bind 0000:01:00.0 pci_bind 0000:01:00.0 nvidia
EOF
kernel --handover 01:00.0
is "$rc|$klog" "1|$(klog_want)" "vfio-pci does not take 01:00.1: exit 1, the kernel saw both functions given back"
is "$(readlink "$S/$D/0000:01:00.0/driver" | sed 's|.*/||')|$(readlink "$S/$D/0000:01:00.1/driver" | sed 's|.*/||')|$(ls "$S/run/passthru-utils/vfio-bind" | wc -l)" \
	"nvidia|snd_hda_intel|0" "  nvidia and snd_hda_intel again, no vfio-bind record"
is "$(tail -n 2 <<<"$err")" "vfio-bind: note: console frame buffer device: no framebuffer left to bind it to; fbcon binds itself to the next one that registers
vfio-bind: 0000:01:00.1: vfio-pci did not take it (driver now: none); every change is undone" \
	"  the error: no framebuffer is left for the console (efifb is gone), said in a note; the rest is undone"
is "$(ls "$S/run/passthru-utils" | tr '\n' ' ')" "lock vfio-bind " "  no journal left behind: nothing --restore could do"
run --restore
is "$rc|$(ls "$S/run/passthru-utils" | tr '\n' ' ')" "0|lock vfio-bind " "  --restore finishes the job, as the error says"

# ================================================================ usage

fresh single-efifb
before=$(snap)
run --handover 00:14.0
is "$rc|$out|$err" "2||vfio-bind: 0000:00:14.0 is no display controller and its slot has none: --handover takes a GPU" \
	"not a display controller: exit 2"
run --handback 00:1f.3
is "$rc|$err" "2|vfio-bind: 0000:00:1f.3 is no display controller and its slot has none: --handback takes a GPU" \
	"  the same for --handback (an audio function of no GPU's slot)"
run --handover 01:00.0 00:14.0
is "$rc|$err" "2|vfio-bind: 0000:01:00.0 and 0000:00:14.0 are not functions of one card: --handover takes one card (its other functions come with it)" \
	"two cards: exit 2"
run --handover --handback 01:00.0
is "$rc|$err" "2|vfio-bind: --list, --apply-persistent, --print-modprobe, --unbind, --restore, --handover and --handback exclude each other" \
	"--handover with --handback: exit 2"
run --handover --unbind 01:00.0
is "$rc|$err" "2|vfio-bind: --list, --apply-persistent, --print-modprobe, --unbind, --restore, --handover and --handback exclude each other" \
	"--handover with --unbind: exit 2"
run --handover --persist 01:00.0
is "$rc|$err" "2|vfio-bind: --persist goes with binding only" "--handover --persist: exit 2"
run --handback --unpersist 01:00.0
is "$rc|$err" "2|vfio-bind: --unpersist goes with --unbind or alone" "--handback --unpersist: exit 2"
run --handover
is "$rc|$err" "2|vfio-bind: no DEVICE given; try 'vfio-bind --help'" "no DEVICE: exit 2"
run --handover 01:00.8
is "$rc|$err" "2|vfio-bind: 01:00.8: function number out of range (0-7)" "a malformed BDF: exit 2"
run --handover 09:00.0
is "$rc|$err" "1|vfio-bind: 0000:09:00.0: no such PCI device" "no such device: exit 1"
is "$(snap)" "$before" "no usage error changed anything"

done_testing

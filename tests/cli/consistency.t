#!/bin/bash
# consistency.t: every built command behaves alike at its edges, and its
# --help, man page and completions agree on its options (as util-linux's
# tools/checkusage.sh, checkmanpage.sh and checkcompletion.sh do).
# Run by prove from the repository root; BUILDDIR (default build) holds the
# binaries.

cd "$(dirname "$0")/../.." || exit 1
. tests/cli/consistency-lib.sh

BUILDDIR=${BUILDDIR:-build}

cmds=()
for cmd in "${CT_COMMANDS[@]}"; do
	[ -x "$BUILDDIR/$cmd" ] && cmds+=("$cmd")
done

# Every man page, built or not, must be clean.
for page in man/*.[1-8]; do
	[ -e "$page" ] || continue
	lint=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && [ -z "$lint" ]
	ct_ok $? "$page: mandoc -Tlint -Wwarning is clean" "$lint"
done

if [ ${#cmds[@]} -eq 0 ]; then
	ct_skip "commands in $BUILDDIR" "no command is built in $BUILDDIR"
	ct_done
	exit 0
fi

# Ask both completions for the options of every command at once.
lines=()
for cmd in "${cmds[@]}"; do lines+=("$cmd --"); done
if ct_have_bash_completion; then
	bash_out=$(ct_bash_complete "${lines[@]}")
fi
if ct_have_zsh; then
	zsh_out=$(ct_zsh_complete "${lines[@]}")
fi

# run NAME ARG...: run a built command with stdout, stderr and the exit
# status kept in $out, $err and $rc.
run()
{
	local cmd=$1
	shift
	"$BUILDDIR/$cmd" "$@" >"$CT_TMP/out" 2>"$CT_TMP/err" </dev/null
	rc=$?
	out=$(cat "$CT_TMP/out")
	err=$(cat "$CT_TMP/err")
}

# in_list WORD LIST: WORD is one of the lines of LIST.
in_list()
{
	grep -qxF -- "$1" <<<"$2"
}

i=0
for cmd in "${cmds[@]}"; do
	i=$((i + 1))

	for opt in --help --version; do
		run "$cmd" "$opt"
		ct_ok $rc "$cmd $opt exits 0" "exit $rc" "$err"
		[ -z "$err" ]
		ct_ok $? "$cmd $opt writes nothing to stderr" "$err"
		[ -n "$out" ]
		ct_ok $? "$cmd $opt writes to stdout"
	done
	run "$cmd" --help
	help=$out
	[[ ${help%%$'\n'*} == "Usage: $cmd "* ]]
	ct_ok $? "$cmd --help starts with 'Usage: $cmd '" "${help%%$'\n'*}"

	run "$cmd" --no-such-option
	[ $rc -eq 2 ]
	ct_ok $? "$cmd --no-such-option exits 2" "exit $rc"
	nl=$(printf '%s' "$err" | grep -c '')
	[ "$nl" -eq 1 ]
	ct_ok $? "$cmd --no-such-option writes a one-line error" "$err"
	[ "$err" = "$cmd: --no-such-option: unknown option; try '$cmd --help'" ]
	ct_ok $? "$cmd --no-such-option: '$cmd: --no-such-option: unknown option; try '$cmd --help''" "$err"
	[[ $err == "$cmd: "* ]]
	ct_ok $? "$cmd --no-such-option's error starts with '$cmd: '" "$err"
	[ -z "$out" ]
	ct_ok $? "$cmd --no-such-option writes nothing to stdout" "$out"

	help_opts=$(ct_help_long_options <<<"$help")
	[ -n "$help_opts" ]
	ct_ok $? "$cmd --help lists long options" "$help"

	page=
	for p in "man/$cmd.1" "man/$cmd.8"; do
		[ -e "$p" ] && page=$p
	done
	[ -n "$page" ]
	ct_ok $? "$cmd has a man page (man/$cmd.1 or man/$cmd.8)"
	man_opts=
	[ -n "$page" ] && man_opts=$(ct_man_long_options "$page")

	[ -r "completions/bash/$cmd" ]
	ct_ok $? "$cmd has a bash completion (completions/bash/$cmd)"
	[ -r "completions/zsh/_$cmd" ]
	ct_ok $? "$cmd has a zsh completion (completions/zsh/_$cmd)"

	ct_candidates bash_opts $i "${bash_out-}"
	ct_candidates zsh_opts $i "${zsh_out-}"
	bash_opts=$(printf %s "$bash_opts" | LC_ALL=C sort -u)
	zsh_opts=$(printf %s "$zsh_opts" | LC_ALL=C sort -u)

	for opt in $help_opts; do
		in_list "$opt" "$man_opts"
		ct_ok $? "$cmd $opt (in --help) is in the man page's OPTIONS"
		if ct_have_bash_completion; then
			in_list "$opt" "$bash_opts"
			ct_ok $? "$cmd $opt (in --help) is offered by the bash completion" \
				"'$cmd --' offers: ${bash_opts//$'\n'/ }"
		else
			ct_skip "$cmd $opt is offered by the bash completion" \
				"bash-completion is not installed"
		fi
		if ct_have_zsh; then
			in_list "$opt" "$zsh_opts"
			ct_ok $? "$cmd $opt (in --help) is offered by the zsh completion" \
				"'$cmd --' offers: ${zsh_opts//$'\n'/ }"
		else
			ct_skip "$cmd $opt is offered by the zsh completion" \
				"zsh (with zsh/zpty) is not installed"
		fi
	done

	# And back: nothing documented or completed that --help does not know.
	for opt in $man_opts; do
		in_list "$opt" "$help_opts"
		ct_ok $? "$cmd $opt (in the man page) is in --help"
	done
	for opt in $bash_opts; do
		in_list "$opt" "$help_opts"
		ct_ok $? "$cmd $opt (bash completion) is in --help"
	done
	for opt in $zsh_opts; do
		in_list "$opt" "$help_opts"
		ct_ok $? "$cmd $opt (zsh completion) is in --help"
	done
done

# ---- man pages against what the commands do: exit statuses and -J ----
# One table, checked both ways: each row is run, and must exit as it says
# (or print the JSON document it says), and the man page must say so in
# the EXIT STATUS item for that status (or in its -J description).
# Pages other developers own are TODO until they take the edits.
export PASSTHRU_PCI_IDS=tests/fixtures/pci.ids
NV=tests/fixtures/desktop-nvidia MIXED=tests/fixtures/chipset-mixed Q35=tests/fixtures/qemu-q35
OFF=tests/fixtures/iommu-off-intel ROMS=tests/unit/roms ZNAS=tests/fixtures/zfs-nas
SRIOV=tests/fixtures/sriov-server VH=tests/fixtures/vgpu-host
# vgpu-split writes below its sysroot even when a change fails (the lock,
# a create file the kernel would have answered): rows that are no dry run
# get copies of vgpu-host. VHW: the bad mdevctl definition gone, a VF count
# persisted for a PF the host does not have; VHB: a vgpu-split.conf with a
# line that is no entry; VHJ: a killed run's journal; VHH: a VM (pid 4242)
# holding the GVT-g mdev's group 11 and VF 0000:5e:00.4's group 7.
for c in VHW VHB VHJ VHH; do
	cp -a "$VH" "$CT_TMP/$c"
	printf -v "$c" '%s' "$CT_TMP/$c"
done
rm "$VHW/etc/mdevctl.d/0000:3b:00.0/9d2e4b17-6a08-4f3c-b5e1-7c4a0d8f3b29"
mkdir -p "$VHW/etc/passthru-utils" "$VHB/etc/passthru-utils" "$VHJ/run/passthru-utils" "$VHH/proc/4242/fd"
echo 'vfs 0000:99:00.0 2' >"$VHW/etc/passthru-utils/vgpu-split.conf"
echo 'vfs 0000:5e:00.0 many' >"$VHB/etc/passthru-utils/vgpu-split.conf"
printf 'passthru-utils journal 1\npid 4711\n' >"$VHJ/run/passthru-utils/journal"
echo qemu-system-x86 >"$VHH/proc/4242/comm"
ln -s /dev/vfio/11 "$VHH/proc/4242/fd/3"
ln -s /dev/vfio/7 "$VHH/proc/4242/fd/4"
MDEV=6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13
OWNED=" man/iommu-groups.1 man/vfio-bind.8 man/gpu-reset.8 man/vgarom-dump.1 man/vm-run.8 man/vgpu-split.8 man/zpool-passthru.8 "

# Keys a page does not name yet (PAGE:KEY), owned elsewhere: each is a TODO
# test of its own until the page names it, and not a failure of its row.
KEYS_TODO=" "

man_page() { local p; for p in "man/$1.1" "man/$1.8"; do [ -e "$p" ] && echo "$p"; done; }
check() { # check PAGE RESULT DESCRIPTION DIAG: ct_ok for our pages, TODO for the others
	if [[ $OWNED == *" $1 "* ]]; then
		ct_ok "$2" "$3" "$4"
	else
		ct_ok_todo "$2" "$3" "man page owned elsewhere: see the input-hygiene notes" "$4"
	fi
}

for cmd in "${cmds[@]}"; do
	page=$(man_page "$cmd")
	[ -n "$page" ] || continue
	codes=$(ct_man_exit_codes "$page" | tr '\n' ' ')
	[ "$codes" = "0 1 2 3 4 " ]
	ct_ok $? "$page lists exit statuses 0 1 2 3 4" "lists: $codes"
	[[ $(run "$cmd" --help; echo "$out") == *"Exit status: 0 success, 1 failure, 2 usage error, 3 refused for safety,"* ]]
	ct_ok $? "$cmd --help states the same exit statuses"
done

# cmd|status|phrase the page's item for that status holds|arguments
while IFS='|' read -r cmd want phrase args; do
	case "$cmd" in ''|'#'*) continue ;; esac
	[ -x "$BUILDDIR/$cmd" ] || continue
	page=$(man_page "$cmd")
	eval "argv=($args)"
	if [ "${argv[0]}" = FULL ]; then
		"$BUILDDIR/$cmd" "${argv[@]:1}" >/dev/full 2>"$CT_TMP/err" </dev/null
		rc=$?
		err=$(cat "$CT_TMP/err")
	else
		run "$cmd" "${argv[@]}"
	fi
	[ "$rc" -eq "$want" ]
	ct_ok $? "$cmd $args: exit $want" "exit $rc: $err"
	item=$(ct_man_exit_item "$page" "$want")
	[[ $item == *"$phrase"* ]]
	check "$page" $? "$page, exit $want, names: $phrase" "item $want: $item"
done <<'TABLE'
iommu-groups|2|an unknown option|--bogus
iommu-groups|2|malformed BDF|--sysroot $NV 01:00
iommu-groups|2|unknown class name|--sysroot $NV --class nosuch
iommu-groups|2|control character|--sysroot $NV $'01:00.0\e'
iommu-groups|2|does not exist|--sysroot /nonexistent
iommu-groups|2|empty|--sysroot ''
iommu-groups|2|PASSTHRU_SYSROOT|--sysroot ''
iommu-groups|1|does not exist|--sysroot $NV 09:00.0
iommu-groups|1|output could not be written|FULL --sysroot $NV
iommu-groups|4|no IOMMU groups|--sysroot $OFF
iommu-groups|4|--check|--sysroot $OFF --check
vfio-bind|2|an unknown option|--bogus
vfio-bind|2|no device|--sysroot $NV
vfio-bind|2|with --list|--sysroot $NV --list 01:00.0
vfio-bind|2|exclude each other|--sysroot $NV --list --unbind
vfio-bind|2|does not exist|--sysroot /nonexistent --list
vfio-bind|2|empty|--sysroot '' --list
vfio-bind|2|control character|--sysroot $NV --dry-run $'01:00.0\n'
vfio-bind|2|more than once|--sysroot $NV --dry-run - -
vfio-bind|1|does not exist|--sysroot $NV --dry-run 09:00.0
vfio-bind|1|output could not be written|FULL --sysroot $MIXED --list
vfio-bind|3|--group|--sysroot $NV --dry-run 01:00.0
vfio-bind|3|bridge|--sysroot $NV --dry-run 00:01.0
gpu-reset|2|an unknown option|--bogus
gpu-reset|2|not a reset method|--sysroot $NV --method nosuch 01:00.0
gpu-reset|2|no device|--sysroot $NV --info
gpu-reset|2|does not exist|--sysroot /nonexistent --info 01:00.0
gpu-reset|2|empty|--sysroot '' --info 01:00.0
gpu-reset|2|control character|--sysroot $NV --info $'01:00.0\e'
gpu-reset|2|more than once|--sysroot $NV --info - -
gpu-reset|1|does not exist|--sysroot $NV --info 09:00.0
gpu-reset|1|output could not be written|FULL --sysroot $NV --info 01:00.0
gpu-reset|4|no reset method|--sysroot $NV --dry-run 01:00.0
vgarom-dump|2|an unknown option|--bogus
vgarom-dump|2|no operand|--info
vgarom-dump|2|does not exist|--sysroot /nonexistent --info 01:00.0
vgarom-dump|2|empty|--sysroot '' --info 01:00.0
vgarom-dump|1|damaged|--info $ROMS/bad-checksum.rom
vgarom-dump|1|does not exist|--sysroot $NV --info 09:00.0
vgarom-dump|1|output could not be written|FULL --info $ROMS/good.rom
vgarom-dump|4|no option ROM|--sysroot $NV --info 01:00.0
vm-run|2|an unknown option|--bogus
vm-run|2|a bad size|--sysroot $NV --dry-run --mem 2X
vm-run|2|malformed BDF|--sysroot $NV --dry-run --gpu 01:00
vm-run|2|without a|--sysroot $NV --dry-run --romfile x
vm-run|1|does not exist|--sysroot $NV --qemu /bin/sh --dry-run --device 09:00.0
vm-run|1|output could not be written|FULL --sysroot $NV --emit libvirt --gpu 01:00.0
vm-run|3|not viable|--sysroot $NV --qemu /bin/sh --dry-run --managed --device 00:1f.6
vm-run|3|not on|--sysroot $NV --qemu /bin/sh --dry-run --gpu 01:00.0
vm-run|4|no IOMMU group|--sysroot $OFF --qemu /bin/sh --dry-run --device 00:02.0
vm-run|4|no QEMU|--sysroot $NV --qemu /nonexistent --check
vgpu-split|2|an unknown option|--bogus
vgpu-split|2|malformed BDF|--sysroot tests/fixtures/sriov-server --dry-run --vfs 2 18:00
vgpu-split|2|at most|--sysroot tests/fixtures/sriov-server --dry-run --vfs 65 18:00.1
vgpu-split|2|not exactly one of|--sysroot tests/fixtures/sriov-server 18:00.1
vgpu-split|2|does not exist|--sysroot /nonexistent --list
vgpu-split|1|does not exist|--sysroot tests/fixtures/sriov-server --dry-run --vfs 2 99:00.0
vgpu-split|1|output could not be written|FULL --sysroot tests/fixtures/sriov-server --list
vgpu-split|4|not an SR-IOV physical function|--sysroot tests/fixtures/sriov-server --dry-run --vfs 2 02:00.0
vgpu-split|4|--check|--sysroot tests/fixtures/sriov-server --check 02:00.0
vgpu-split|2|goes with another mode only|--sysroot $VH --list --wait 3
vgpu-split|2|goes with another mode only|--sysroot $VH --list --persist
vgpu-split|2|goes with another mode only|--sysroot $VH --check --force 5e:00.0
vgpu-split|2|goes with another mode only|--sysroot $VH --dry-run --vgpu-type 1158 --count 2 5e:00.5
vgpu-split|2|not exactly one of|--sysroot $VH --list --apply
vgpu-split|2|where one is needed|--sysroot $VH --dry-run --create i915-GVTg_V5_4 00:02.0 3b:00.0
vgpu-split|2|where one is needed|--sysroot $VH --list-types
vgpu-split|2|or one with --remove|--sysroot $VH --dry-run --remove $MDEV 00:02.0
vgpu-split|2|--vfio with --vfs 0|--sysroot $SRIOV --dry-run --vfs 0 --vfio 18:00.0
vgpu-split|2|not a number|--sysroot $SRIOV --dry-run --vfs two 18:00.0
vgpu-split|2|from 1 to 256|--sysroot $VH --dry-run --create i915-GVTg_V5_4 --count 0 00:02.0
vgpu-split|2|from 1 to 256|--sysroot $VH --dry-run --create i915-GVTg_V5_8 --count 257 00:02.0
vgpu-split|2|above 1 with --uuid|--sysroot $VH --dry-run --create i915-GVTg_V5_4 --count 2 --uuid 11111111-2222-3333-4444-555555555555 00:02.0
vgpu-split|2|a malformed UUID|--sysroot $VH --dry-run --remove nope
vgpu-split|2|a malformed UUID|--sysroot $VH --dry-run --create i915-GVTg_V5_4 --uuid 6a3c1f0e 00:02.0
vgpu-split|2|an active mdev of another type or parent has|--sysroot $VH --dry-run --create i915-GVTg_V5_2 --uuid $MDEV 00:02.0
vgpu-split|2|the parent does not have|--sysroot $VH --dry-run --create nvidia-222 00:02.0
vgpu-split|2|the VF cannot take now|--sysroot $VH --dry-run --vgpu-type 1160 5e:00.5
vgpu-split|2|the VF cannot take now|--sysroot $VH --dry-run --vgpu-type 'NVIDIA L40S-96Q' 5e:00.5
vgpu-split|2|0 to 3600 seconds|--sysroot $VH --dry-run --apply --wait 4000
vgpu-split|2|0 to 3600 seconds|--sysroot $VH --dry-run --apply --wait soon
vgpu-split|1|no mdev has the UUID given to --remove|--sysroot $VH --dry-run --remove 00000000-0000-0000-0000-000000000000
vgpu-split|1|the kernel did not create or remove an mdev|--sysroot $VHW --create i915-GVTg_V5_4 00:02.0
vgpu-split|1|the kernel did not create or remove an mdev|--sysroot $VHW --remove $MDEV
vgpu-split|1|has a line that is no entry, for --persist|--sysroot $VHB --dry-run --persist --vgpu-type 1158 5e:00.5
vgpu-split|1|did not appear within the --wait|--sysroot $VHW --dry-run --apply --wait 0
vgpu-split|1|only a file of theirs counts|--sysroot $VH --dry-run --apply 3b:00.0
vgpu-split|1|does not exist|--sysroot $VH --dry-run --vgpu-type 1158 5e:01.0
vgpu-split|3|fewer available instances than asked|--sysroot $VH --dry-run --create i915-GVTg_V5_1 00:02.0
vgpu-split|3|fewer available instances than asked|--sysroot $VH --dry-run --create i915-GVTg_V5_2 --count 2 00:02.0
vgpu-split|3|an mdev to remove, is held by a virtual machine|--sysroot $VHH --dry-run --remove $MDEV
vgpu-split|3|a VF whose vGPU type would change|--sysroot $VHH --dry-run --vgpu-type 1158 5e:00.4
vgpu-split|3|a VF that would be removed is held by a virtual machine|--sysroot $VHH --dry-run --vfs 2 5e:00.0
vgpu-split|3|vfio-bind --restore|--sysroot $VHJ --dry-run --vgpu-type 1158 5e:00.5
vgpu-split|4|it is itself a VF|--sysroot $SRIOV --dry-run --vfs 2 18:02.0
vgpu-split|4|the device is no mdev parent|--sysroot $VH --list-types 00:17.0
vgpu-split|4|the device is no mdev parent|--sysroot $VH --dry-run --create i915-GVTg_V5_4 5e:00.0
vgpu-split|4|it has no nvidia/creatable_vgpu_types|--sysroot $VH --dry-run --vgpu-type 1158 5e:00.0
vgpu-split|4|it has no nvidia/creatable_vgpu_types|--sysroot $VH --dry-run --vgpu-type 1 00:02.0
zpool-passthru|2|an unknown option|--bogus
zpool-passthru|2|no pool or disk|--sysroot $ZNAS
zpool-passthru|2|not a pool name|--sysroot $ZNAS 1tank
zpool-passthru|2|a partition|--sysroot $ZNAS /dev/sdb1
zpool-passthru|2|not a block device|--sysroot $ZNAS /dev/disk
zpool-passthru|2|exclude each other|--sysroot $ZNAS --bdf --bind /dev/nvme1n1
zpool-passthru|2|does not exist|--sysroot /nonexistent tank
zpool-passthru|2|empty|--sysroot '' tank
zpool-passthru|1|no disk carries|--sysroot $ZNAS tank
zpool-passthru|1|does not exist|--sysroot $ZNAS /dev/nosuch
zpool-passthru|1|output could not be written|FULL --sysroot $ZNAS /dev/nvme1n1
zpool-passthru|3|--force|--sysroot $ZNAS /dev/sdb
zpool-passthru|3|used by the host|--sysroot $ZNAS /dev/sdn
TABLE

# cmd|phrase the -J description holds (- for none)|arguments that print one JSON document with -J
while IFS='|' read -r cmd phrase args; do
	case "$cmd" in ''|'#'*) continue ;; esac
	[ -x "$BUILDDIR/$cmd" ] || continue
	page=$(man_page "$cmd")
	eval "argv=($args)"
	run "$cmd" -J "${argv[@]}"
	jq -e . "$CT_TMP/out" >/dev/null 2>&1 && [ -s "$CT_TMP/out" ]
	ct_ok $? "$cmd -J $args prints one JSON document" "exit $rc: $err"
	# every key the document has is named in the page
	text=$(ct_man_render "$page")
	missing=
	for key in $(jq -r '[.. | objects | keys[]] | unique | .[]' "$CT_TMP/out" 2>/dev/null); do
		if [[ $KEYS_TODO == *" $page:$key "* ]]; then
			grep -qw -- "$key" <<<"$text"
			ct_ok_todo $? "$page names $key (of $cmd -J $args)" "man page owned elsewhere"
			continue
		fi
		grep -qw -- "$key" <<<"$text" || missing+=" $key"
	done
	[ -z "$missing" ]
	check "$page" $? "$page names every key of $cmd -J $args" "not in the page:$missing"
	[ "$phrase" = - ] && continue
	item=$(ct_man_option_item "$page" json)
	[[ $item == *"$phrase"* ]]
	check "$page" $? "$page: -J is documented for $phrase" "-J: $item"
done <<'TABLE'
iommu-groups|listing|--sysroot $NV
iommu-groups|--check|--sysroot $NV --check
vfio-bind|binding|--sysroot $NV --dry-run --group 01:00.0
vfio-bind|giving back|--sysroot $MIXED --dry-run --unbind 06:00.0
vfio-bind|listing|--sysroot $MIXED --list
vfio-bind|--print-modprobe|--sysroot $NV --print-modprobe 01:00.0
vfio-bind|--apply-persistent|--sysroot $NV --dry-run --apply-persistent
vfio-bind|--persist|--sysroot $NV --dry-run --group --persist 01:00.0
vfio-bind|--unpersist|--sysroot $NV --dry-run --unpersist 01:00.0
gpu-reset|-|--sysroot $NV --info 01:00.0
gpu-reset|--dry-run|--sysroot $NV --dry-run 00:14.0
vgarom-dump|--info|--info $ROMS/good.rom
vm-run|--check|--sysroot $NV --qemu /bin/sh --check --device 00:1f.6
vm-run|--dry-run|--sysroot $NV --qemu /bin/sh --dry-run
vm-run|when a check fails|--sysroot $NV --qemu /bin/sh --dry-run --gpu 01:00.0
vgpu-split|listing|--sysroot tests/fixtures/sriov-server --list
vgpu-split|--check|--sysroot tests/fixtures/sriov-server --check 18:00.0
vgpu-split|--vfs|--sysroot tests/fixtures/sriov-server --dry-run --vfs 2 18:00.1
vgpu-split|--vfs|--sysroot $SRIOV --dry-run --vfs 2 --vfio --persist 18:00.0
vgpu-split|failures included|--sysroot $SRIOV --dry-run --vfs 65 18:00.1
vgpu-split|listing|--sysroot $VH --list
vgpu-split|listing|--sysroot $VHH --list 00:02.0
vgpu-split|--list-types|--sysroot $VH --list-types 00:02.0
vgpu-split|--list-types|--sysroot $VH --list-types 5e:00.4
vgpu-split|--vgpu-type|--sysroot $VH --dry-run --vgpu-type 1158 --persist 5e:00.4
vgpu-split|failures included|--sysroot $VH --dry-run --vgpu-type 1155 5e:00.4
vgpu-split|--create|--sysroot $VH --dry-run --create i915-GVTg_V5_8 --count 2 --persist 00:02.0
vgpu-split|failures included|--sysroot $VH --dry-run --create i915-GVTg_V5_1 00:02.0
vgpu-split|failures included|--sysroot $VHW --create i915-GVTg_V5_4 00:02.0
vgpu-split|--remove|--sysroot $VH --dry-run --remove $MDEV --persist
vgpu-split|failures included|--sysroot $VHH --dry-run --remove $MDEV
vgpu-split|--apply|--sysroot $VH --dry-run --apply --wait 0
vgpu-split|--apply|--sysroot $VHW --dry-run --apply --wait 0
zpool-passthru|the plan|--sysroot $ZNAS /dev/nvme1n1
zpool-passthru|--bind|--sysroot $ZNAS --bind --dry-run /dev/nvme1n1
zpool-passthru|--list-pools|--sysroot $ZNAS --list-pools
zpool-passthru|refused|--sysroot $ZNAS /dev/sdn
TABLE
# And what stays text with -J must say so: cmd|phrase|arguments.
while IFS='|' read -r cmd phrase args; do
	case "$cmd" in ''|'#'*) continue ;; esac
	[ -x "$BUILDDIR/$cmd" ] || continue
	page=$(man_page "$cmd")
	eval "argv=($args)"
	run "$cmd" -J "${argv[@]}"
	! { [ -s "$CT_TMP/out" ] && jq -e . "$CT_TMP/out" >/dev/null 2>&1; }
	ct_ok $? "$cmd -J $args prints no JSON" "$out"
	item=$(ct_man_option_item "$page" json)
	[[ $item == *"$phrase"* ]]
	check "$page" $? "$page: -J says $phrase prints no JSON" "-J: $item"
done <<'TABLE'
iommu-groups|With --bdf|--sysroot $NV --bdf
vgarom-dump|With --info|--fix $ROMS/trailing-garbage.rom -o $CT_TMP/fixed.rom --dry-run
vgarom-dump|With --info|--sysroot $Q35 00:02.0 -o $CT_TMP/dump.rom --dry-run
vm-run|With --emit|--sysroot $NV --emit libvirt --gpu 01:00.0
vgpu-split|print no JSON|--sysroot $VH --list-types 00:17.0
vgpu-split|print no JSON|--sysroot $VH --remove nope
vgpu-split|print no JSON|--sysroot $VH --list --wait 3
vgpu-split|print no JSON|--sysroot $VH --list 5e:01.0
zpool-passthru|With --bdf|--sysroot $ZNAS --bdf /dev/nvme1n1
TABLE

ct_done

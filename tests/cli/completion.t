#!/bin/bash
# completion.t: ask the bash and zsh completions of iommu-groups for
# candidates, as the shells would on Tab, and compare them with what the
# fixture sysroot holds. Run by prove from the repository root.

cd "$(dirname "$0")/../.." || exit 1
. tests/cli/consistency-lib.sh

fx=tests/fixtures/desktop-nvidia

# What the fixture holds (tests/fixtures/desktop-nvidia/sys/...).
fx_bus01='0000:01:00.0 0000:01:00.1'
fx_bus01_short='01:00.0 01:00.1'
fx_groups='0 1 2 3 4 5 6 7'
fx_vendors='8086 10de 144d'

classes='display audio storage network usb bridge'

# One case a line: command line | expected candidates. Every candidate is
# the whole word the line would end with after completion.
cases=(
	"iommu-groups --c|--check --class"
	"iommu-groups --j|--json"
	"iommu-groups --ver|--verbose --version"
	"iommu-groups --class |$classes"
	"iommu-groups --class d|display"
	"iommu-groups -c n|network"
	"iommu-groups --class=s|--class=storage"
	"iommu-groups --sysroot $fx 0000:01:|$fx_bus01"
	"iommu-groups --sysroot=$fx 0000:01:00.|$fx_bus01"
	"iommu-groups --sysroot $fx 01:|$fx_bus01_short"
	"iommu-groups --sysroot $fx --group |$fx_groups"
	"iommu-groups --sysroot=$fx -g |$fx_groups"
	"iommu-groups --sysroot $fx --vendor |$fx_vendors"
	"iommu-groups --sysroot ${fx%-nvidia}-nv|$fx"
	"iommu-groups --sysroot /nonexistent 0000:|"
	"iommu-groups --help |"
)
# zpool-passthru: pool names from the command itself (--list-pools), on a
# copy of the zfs-nas fixture with ZFS labels by tests/helpers/mkzfs-label;
# the completions run the built command, found on PATH.
zbin=${BUILDDIR:-build}/zpool-passthru
if [ -x "$zbin" ] && python3 -c 1 2>/dev/null; then
	zfx=$CT_TMP/zfs-nas
	cp -a tests/fixtures/zfs-nas "$zfx"
	g=100
	for d in sdb sdc; do
		g=$((g + 1))
		tests/helpers/mkzfs-label "$zfx/dev/${d}1" --pool tank --pool-guid 11 --guid $g --timestamp 1700000000
	done
	tests/helpers/mkzfs-label "$zfx/dev/sdh" --pool backup --pool-guid 22 --guid 23 --timestamp 1700000000
	PATH=$PWD/${zbin%/*}:$PATH
	cases+=(
		"zpool-passthru --b|--bdf --bind"
		"zpool-passthru --f|--force --foreign"
		"zpool-passthru --sysroot $zfx |backup tank"
		"zpool-passthru --sysroot=$zfx t|tank"
		"zpool-passthru --sysroot $zfx tank b|backup"
		"zpool-passthru --sysroot $zfx $zfx/dev/sdb|$zfx/dev/sdb $zfx/dev/sdb1 $zfx/dev/sdb9"
		"zpool-passthru --sysroot $zfx --list-pools |"
	)
fi

# The same, with the sysroot from the environment.
env_cases=(
	"iommu-groups 0000:01:|$fx_bus01"
	"iommu-groups --group |$fx_groups"
	"iommu-groups --sysroot /nonexistent 0000:|"
)

lines=() env_lines=()
for c in "${cases[@]}"; do lines+=("${c%%|*}"); done
for c in "${env_cases[@]}"; do env_lines+=("${c%%|*}"); done

# check SHELL OUTPUT ENV-OUTPUT: one test per case.
check()
{
	local sh=$1 out=$2 env_out=$3 i c want got
	for i in "${!cases[@]}"; do
		c=${cases[i]} want=${cases[i]#*|}
		ct_candidates got $((i + 1)) "$out"
		ct_is_words "$sh: '${c%%|*}' offers ${want:-nothing}" "$want" "$got"
	done
	for i in "${!env_cases[@]}"; do
		c=${env_cases[i]} want=${env_cases[i]#*|}
		ct_candidates got $((i + 1)) "$env_out"
		ct_is_words "$sh: PASSTHRU_SYSROOT=$fx '${c%%|*}' offers ${want:-nothing}" \
			"$want" "$got"
	done
}

skip_all()
{
	local i
	for ((i = 0; i < ${#cases[@]} + ${#env_cases[@]}; i++)); do
		ct_skip "$1: completion case $((i + 1))" "$2"
	done
}

ct_ok "$([ -d "$fx/sys/bus/pci/devices" ]; echo $?)" \
	"fixture $fx has sys/bus/pci/devices"

if ct_have_bash_completion; then
	out=$(unset PASSTHRU_SYSROOT; ct_bash_complete "${lines[@]}")
	rc=$?
	ct_ok $rc "bash: the completion driver ran (exit $rc)"
	env_out=$(PASSTHRU_SYSROOT=$fx ct_bash_complete "${env_lines[@]}")
	check bash "$out" "$env_out"
else
	ct_skip "bash: the completion driver ran" "bash-completion is not installed"
	skip_all bash "bash-completion is not installed ($CT_BASH_COMPLETION)"
fi

if ct_have_zsh; then
	out=$(unset PASSTHRU_SYSROOT; ct_zsh_complete "${lines[@]}")
	rc=$?
	ct_ok $rc "zsh: the completion driver ran (exit $rc)"
	env_out=$(PASSTHRU_SYSROOT=$fx ct_zsh_complete "${env_lines[@]}")
	check zsh "$out" "$env_out"
else
	ct_skip "zsh: the completion driver ran" "zsh (with zsh/zpty) is not installed"
	skip_all zsh "zsh (with zsh/zpty) is not installed"
fi

ct_done

#!/bin/bash
# completion.t: ask the bash and zsh completions of iommu-groups and
# vgpu-split for candidates, as the shells would on Tab, and compare them
# with what the fixture sysroots hold. Run by prove from the repository root.

cd "$(dirname "$0")/../.." || exit 1
. tests/cli/consistency-lib.sh

fx=tests/fixtures/desktop-nvidia

# What the fixture holds (tests/fixtures/desktop-nvidia/sys/...).
fx_bus01='0000:01:00.0 0000:01:00.1'
fx_bus01_short='01:00.0 01:00.1'
fx_groups='0 1 2 3 4 5 6 7'
fx_vendors='8086 10de 144d'

classes='display audio storage network usb bridge'

vfx=tests/fixtures/vgpu-host

# What it holds (tests/fixtures/vgpu-host/sys/..., etc/mdevctl.d): two mdev
# parents with their types, one active mdev, an SR-IOV PF whose four VFs
# take NVIDIA vGPU types (creatable_vgpu_types: 5e:00.4 has type 1157 and
# may take 1157-1162; the others have none and may take 1155-1162), and
# mdevctl definitions for both parents.
vfx_gvt='i915-GVTg_V5_1 i915-GVTg_V5_2 i915-GVTg_V5_4 i915-GVTg_V5_8'
vfx_t4='nvidia-222 nvidia-223 nvidia-230'
vfx_parents='0000:00:02.0 0000:3b:00.0'
vfx_pf='0000:5e:00.0'
vfx_vfs='0000:5e:00.4 0000:5e:00.5 0000:5e:00.6 0000:5e:00.7'
vfx_mdev='6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13'
# --remove: the active mdev, then the names under etc/mdevctl.d (--persist takes them)
vfx_removable='6a3c1f0e-8d2b-4e57-9a41-2f0c7b5d9e13 0f5e8a44-2c71-4b9d-8e36-5d1a9c7b2e60 9d2e4b17-6a08-4f3c-b5e1-7c4a0d8f3b29'
vfx_vgpu_4='1157 1158 1159 1162 0'
vfx_vgpu_5='1155 1156 1157 1158 1159 1162'

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
	"vgpu-split --cr|--create"
	"vgpu-split --list|--list --list-types"
	"vgpu-split --v|--verbose --version --vfio --vfs --vgpu-type"
	"vgpu-split --sysroot $vfx --create |$vfx_gvt $vfx_t4"
	"vgpu-split --sysroot $vfx --create i915-GVTg_V5_|$vfx_gvt"
	"vgpu-split --sysroot=$vfx --create=nv|--create=nvidia-222 --create=nvidia-223 --create=nvidia-230"
	"vgpu-split --sysroot $vfx 3b:00.0 --create |$vfx_t4"
	"vgpu-split --sysroot $vfx 0000:00:02.0 -C |$vfx_gvt"
	"vgpu-split --sysroot $vfx 5e:00.0 --create |"
	"vgpu-split --sysroot $vfx --create nvidia-222 |$vfx_parents"
	"vgpu-split --sysroot $vfx --create nvidia-222 00:|00:02.0"
	"vgpu-split --sysroot $vfx --remove |$vfx_removable"
	"vgpu-split --sysroot $vfx -R 6a|$vfx_mdev"
	"vgpu-split --sysroot $vfx 5e:00.4 --vgpu-type |$vfx_vgpu_4"
	"vgpu-split --sysroot $vfx 0000:5e:00.5 -t |$vfx_vgpu_5"
	"vgpu-split --sysroot $vfx 5e:00.6 --vgpu-type=115|--vgpu-type=1155 --vgpu-type=1156 --vgpu-type=1157 --vgpu-type=1158 --vgpu-type=1159"
	"vgpu-split --sysroot $vfx --vgpu-type |$vfx_vgpu_5 0"
	"vgpu-split --sysroot $vfx --vgpu-type 1158 |$vfx_vfs"
	"vgpu-split --sysroot $vfx --vgpu-type 1158 5e:00.|5e:00.4 5e:00.5 5e:00.6 5e:00.7"
	"vgpu-split --sysroot $vfx --list-types |$vfx_parents $vfx_vfs"
	"vgpu-split --sysroot $vfx --vfs 2 |$vfx_pf"
	"vgpu-split --sysroot $vfx 5e:00.0 --vfs 3|3 30 31 32"
	"vgpu-split --sysroot $vfx --check |$vfx_parents $vfx_pf $vfx_vfs"
	"vgpu-split --sysroot $vfx --list |$vfx_parents $vfx_pf"
	"vgpu-split --sysroot $vfx --apply |$vfx_parents"
	"vgpu-split --sysroot $vfx |$vfx_parents $vfx_pf $vfx_vfs"
	"vgpu-split --sysroot $vfx --uuid |"
	"vgpu-split --sysroot /nonexistent --create |"
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
# The same for vgpu-split, with its fixture in the environment.
venv_cases=(
	"vgpu-split --create |$vfx_gvt $vfx_t4"
	"vgpu-split --remove |$vfx_removable"
	"vgpu-split 5e:00.4 -t |$vfx_vgpu_4"
	"vgpu-split --list |$vfx_parents $vfx_pf"
	"vgpu-split --sysroot /nonexistent --remove |"
)

lines=() env_lines=() venv_lines=()
for c in "${cases[@]}"; do lines+=("${c%%|*}"); done
for c in "${env_cases[@]}"; do env_lines+=("${c%%|*}"); done
for c in "${venv_cases[@]}"; do venv_lines+=("${c%%|*}"); done

# check_cases SHELL OUTPUT SYSROOT CASE...: one test per case.
check_cases()
{
	local sh=$1 out=$2 env=$3 i=0 c want got
	shift 3
	for c; do
		i=$((i + 1)) want=${c#*|}
		ct_candidates got $i "$out"
		ct_is_words "$sh: ${env:+PASSTHRU_SYSROOT=$env }'${c%%|*}' offers ${want:-nothing}" \
			"$want" "$got"
	done
}

# check SHELL OUTPUT ENV-OUTPUT VENV-OUTPUT
check()
{
	check_cases "$1" "$2" "" "${cases[@]}"
	check_cases "$1" "$3" "$fx" "${env_cases[@]}"
	check_cases "$1" "$4" "$vfx" "${venv_cases[@]}"
}

skip_all()
{
	local i
	for ((i = 0; i < ${#cases[@]} + ${#env_cases[@]} + ${#venv_cases[@]}; i++)); do
		ct_skip "$1: completion case $((i + 1))" "$2"
	done
}

ct_ok "$([ -d "$fx/sys/bus/pci/devices" ]; echo $?)" \
	"fixture $fx has sys/bus/pci/devices"
ct_ok "$([ -d "$vfx/sys/class/mdev_bus" ] && [ -d "$vfx/etc/mdevctl.d" ]; echo $?)" \
	"fixture $vfx has sys/class/mdev_bus and etc/mdevctl.d"

if ct_have_bash_completion; then
	out=$(unset PASSTHRU_SYSROOT; ct_bash_complete "${lines[@]}")
	rc=$?
	ct_ok $rc "bash: the completion driver ran (exit $rc)"
	env_out=$(PASSTHRU_SYSROOT=$fx ct_bash_complete "${env_lines[@]}")
	venv_out=$(PASSTHRU_SYSROOT=$vfx ct_bash_complete "${venv_lines[@]}")
	check bash "$out" "$env_out" "$venv_out"
else
	ct_skip "bash: the completion driver ran" "bash-completion is not installed"
	skip_all bash "bash-completion is not installed ($CT_BASH_COMPLETION)"
fi

if ct_have_zsh; then
	out=$(unset PASSTHRU_SYSROOT; ct_zsh_complete "${lines[@]}")
	rc=$?
	ct_ok $rc "zsh: the completion driver ran (exit $rc)"
	env_out=$(PASSTHRU_SYSROOT=$fx ct_zsh_complete "${env_lines[@]}")
	venv_out=$(PASSTHRU_SYSROOT=$vfx ct_zsh_complete "${venv_lines[@]}")
	check zsh "$out" "$env_out" "$venv_out"
else
	ct_skip "zsh: the completion driver ran" "zsh (with zsh/zpty) is not installed"
	skip_all zsh "zsh (with zsh/zpty) is not installed"
fi

ct_done

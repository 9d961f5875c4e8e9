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
	[ "$nl" -ge 1 ] && [ "$nl" -le 2 ]
	ct_ok $? "$cmd --no-such-option writes a 1-2 line error" "$err"
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

ct_done

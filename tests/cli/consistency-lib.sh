# consistency-lib.sh: sourced (by bash) by tests/cli/consistency.t and
# tests/cli/completion.t, with the repository root as the working directory.
# TAP output, and drivers that ask the bash and zsh completions for
# candidates the way the shells themselves would.

# Every command of the toolkit; a test covers those that are built.
CT_COMMANDS=(iommu-groups vfio-bind gpu-reset vgarom-dump vgpu-split vm-run
	zpool-passthru)
CT_BASH_COMPLETION=${CT_BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}

CT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/passthru-ct.XXXXXX") || exit 1
trap 'rm -rf "$CT_TMP"' EXIT

# ---- TAP -----------------------------------------------------------------

ct_n=0

# ct_diag LINE...: comment lines, shown by prove -v and on failure.
ct_diag()
{
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/# /'
	done
}

# ct_ok RESULT DESCRIPTION [DIAG...]: one test; RESULT 0 passes.
ct_ok()
{
	ct_n=$((ct_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$ct_n" "$2"
	else
		printf 'not ok %d - %s\n' "$ct_n" "$2"
		shift 2
		ct_diag "$@"
	fi
}

# ct_skip DESCRIPTION REASON
ct_skip()
{
	ct_n=$((ct_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$ct_n" "$1" "$2"
}

# ct_done: the plan, after the tests (as Test::More's done_testing).
ct_done()
{
	printf '1..%d\n' "$ct_n"
}

# ct_is_words DESCRIPTION EXPECTED GOT: pass when the two whitespace-
# separated word lists hold the same words (order and repeats ignored).
# Pure bash: a test file runs many of these, and forks are slow.
ct_is_words()
{
	local - w same=0
	local -A want=() got=()
	set -f
	for w in $2; do want[$w]=1; done
	for w in $3; do got[$w]=1; done
	((${#want[@]} == ${#got[@]})) || same=1
	for w in "${!want[@]}"; do
		[[ -n ${got[$w]-} ]] || same=1
	done
	printf -v w '%s ' $3
	ct_ok $same "$1" "expected: $2" "     got: ${w% }"
}

# ---- options as --help and the man page state them ------------------------

# ct_help_long_options < HELP: the long options in the option column of a
# --help text ("  -c, --class=CLASS  ..." or "      --check  ..."), as
# --name, one a line. Continuation lines are indented further and ignored.
ct_help_long_options()
{
	sed -nE 's/^ {1,8}(-[[:alnum:]?], )?(--[[:alnum:]][[:alnum:]_-]*).*/\2/p' |
		LC_ALL=C sort -u
}

# ct_man_long_options MANPAGE: the long options the OPTIONS section of an
# mdoc page documents in its .It lines (Fl -name, or Fl \-name), as --name.
ct_man_long_options()
{
	awk '/^\.Sh /{ s = ($2 == "OPTIONS") } s && /^\.It /' "$1" |
		grep -oE 'Fl \\?-[[:alnum:]][[:alnum:]_-]*' |
		sed -E 's/^Fl \\?-/--/' | LC_ALL=C sort -u
}

# ct_ok_todo RESULT DESCRIPTION REASON [DIAG...]: a test of a page someone
# else is changing: reported, but not a failure until it is fixed (TAP TODO).
ct_ok_todo()
{
	ct_n=$((ct_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s # TODO %s\n' "$ct_n" "$2" "$3"
	else
		printf 'not ok %d - %s # TODO %s\n' "$ct_n" "$2" "$3"
		shift 3
		ct_diag "$@"
	fi
}

# ct_man_render MANPAGE: the page as plain text, one space between words.
ct_man_render()
{
	MANWIDTH=200 mandoc -Tascii -Owidth=200 "$1" 2>/dev/null | col -b
}

# ct_man_exit_item MANPAGE N: the text of exit status N in the page's EXIT
# STATUS list, on one line (empty when the page does not list N).
ct_man_exit_item()
{
	ct_man_render "$1" | awk -v n="$2" '
		/^[A-Z][A-Z ]+$/ { s = ($0 == "EXIT STATUS"); if (!s) on = 0; next }
		s && /^ +[0-9]+( |\t)/ { on = ($1 == n); sub(/^ +[0-9]+/, "") }
		s && on { printf "%s ", $0 }' | tr -s ' \t' '  ' | sed 's/^ //; s/ $//'
}

# ct_man_exit_codes MANPAGE: the exit statuses the page lists, one a line.
ct_man_exit_codes()
{
	ct_man_render "$1" | awk '
		/^[A-Z][A-Z ]+$/ { s = ($0 == "EXIT STATUS"); next }
		s && /^ +[0-9]+( |\t)/ { print $1 }'
}

# ct_man_option_item MANPAGE LONG: the description of --LONG in OPTIONS,
# on one line.
ct_man_option_item()
{
	ct_man_render "$1" | awk -v o="--$2" '
		/^[A-Z][A-Z ]+$/ { s = ($0 == "OPTIONS"); next }
		s && /^     -/ { on = index($0 " ", o " ") > 0 || index($0, o "=") > 0 || index($0, o ",") > 0; next }
		s && on { printf "%s ", $0 }' | tr -s ' \t' '  ' | sed 's/^ //; s/ $//'
}

# ---- bash completion ------------------------------------------------------

# ct_have_bash_completion: bash-completion's helpers are installed.
ct_have_bash_completion()
{
	[ -r "$CT_BASH_COMPLETION" ]
}

# ct_bash_complete LINE...: for each command line (the cursor at its end),
# source completions/bash/<first word> in a bash with bash-completion
# loaded, split the line into COMP_WORDS as bash does (words break at
# whitespace, and every run of COMP_WORDBREAKS characters is a word of its
# own), call the function registered with complete -F, and print
# "N CANDIDATE" for each candidate of line N: the whole word the line would
# end with, since bash replaces only the text after the last break
# character (so 0000:01:00.0, where COMPREPLY holds 00.0).
ct_bash_complete()
{
	local driver
	IFS= read -r -d '' driver <<'DRIVER'
source "$1" >/dev/null 2>&1 || exit 3
shift
[[ -v COMP_WORDBREAKS ]] || COMP_WORDBREAKS=$' \t\n"\'@><=;|&(:'
brk=${COMP_WORDBREAKS//[[:space:]\"\']/}
n=0
for line; do
	n=$((n + 1))
	(
		cmd=${line%% *}
		source "completions/bash/$cmd" >/dev/null 2>&1 || exit 0
		spec=$(complete -p "$cmd" 2>/dev/null) || exit 0
		func=${spec##*-F }
		func=${func%% *}
		COMP_WORDS=()
		word= inbrk=0
		for ((i = 0; i < ${#line}; i++)); do
			c=${line:i:1}
			if [[ $c == [[:space:]] ]]; then
				[[ -n $word ]] && COMP_WORDS+=("$word")
				word= inbrk=0
				continue
			fi
			if [[ $brk == *"$c"* ]]; then
				((inbrk)) || { [[ -n $word ]] && COMP_WORDS+=("$word"); word=; }
				inbrk=1
			else
				((inbrk)) && { COMP_WORDS+=("$word"); word=; }
				inbrk=0
			fi
			word+=$c
		done
		COMP_WORDS+=("$word")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$line COMP_POINT=${#line} COMP_TYPE=9 COMP_KEY=9
		COMPREPLY=()
		"$func" "$cmd" "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD - 1]}" >/dev/null 2>&1
		tok=${line##*[[:space:]]}
		text=${tok##*[$brk]}
		head=${tok%"$text"}
		for r in "${COMPREPLY[@]}"; do
			printf '%s %s\n' "$n" "$head$r"
		done
	)
done
DRIVER
	bash --norc --noprofile -c "$driver" ct-bash "$CT_BASH_COMPLETION" "$@" \
		</dev/null
}

# ---- zsh completion -------------------------------------------------------

# ct_have_zsh: zsh with its zpty module, which the driver needs.
ct_have_zsh()
{
	command -v zsh >/dev/null 2>&1 &&
		zsh -fc 'zmodload zsh/zpty' >/dev/null 2>&1
}

# ct_zsh_complete LINE...: for each command line, type it into an
# interactive zsh -f (run on a pseudo-terminal by zsh/zpty) whose fpath
# starts with completions/zsh, press Tab, and print "N CANDIDATE" for each
# candidate of line N: the whole word the line would end with, as for
# bash. compadd is wrapped to print what it adds after matching
# (compadd -O), so these are the matches zsh would offer.
ct_zsh_complete()
{
	cat >"$CT_TMP/zsh-setup" <<'SETUP'
PS1='' PROMPT='' RPROMPT=''
autoload -Uz compinit && compinit -u -d $CT_ZCOMPDUMP
zstyle ':completion:*' insert-tab false
_ct_end() { print -r -- '<<<END>>>' }
_ct_complete() { comppostfuncs=(_ct_end); zle complete-word }
zle -N _ct_complete
bindkey '^I' _ct_complete
bindkey '^M' undefined
bindkey '^J' undefined
compadd() {
	# calls that only compute matches (-O, -A, -D) are helpers' business
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return
	fi
	local -a __ct_hits __ct_P __ct_p
	builtin compadd -O __ct_hits "$@"
	# print the whole word: the ignored prefix (--class= of --class=d)
	# and the prefixes compadd puts before each match (a directory)
	zparseopts -E -a __ct_opts P:=__ct_P p:=__ct_p
	(( $#__ct_hits )) &&
		print -rl -- '<<<C>>>'$IPREFIX${__ct_P[2]}${__ct_p[2]}${^__ct_hits}
	builtin compadd "$@"
}
print -r -- '<<<READY>>>'
SETUP
	local driver
	IFS= read -r -d '' driver <<'DRIVER'
zmodload zsh/zpty || exit 3
zpty ct env TERM=xterm zsh -f -i
# compinit reads every file on fpath: keep only the completion system's
# own directories (where they are laid out as in zsh's sources), not the
# hundreds of other commands' completions.
base=( ${(M)fpath:#*/Completion(|/Base|/Unix|/Zsh)} )
(( $#base >= 3 )) || base=( $fpath )
zpty -w ct "fpath=(${(q)1} ${(j: :)${(q)base[@]}}); source ${(q)2}"
zpty -r ct out '*<<<READY>>>*' || exit 3
shift 2
integer n=0
for line; do
	(( n++ ))
	zpty -w -n ct $'\C-u'"$line"$'\t'
	zpty -r ct out '*<<<END>>>*' || exit 3
	for l in ${(f)out}; do
		l=${l%$'\r'}
		[[ $l == *'<<<C>>>'* ]] && print -r -- "$n ${l#*'<<<C>>>'}"
	done
done
zpty -d ct
DRIVER
	CT_ZCOMPDUMP=$CT_TMP/zcompdump timeout 120 zsh -f -c "$driver" ct-zsh "$PWD/completions/zsh" \
		"$CT_TMP/zsh-setup" "$@" </dev/null
}

# ct_candidates VAR N OUTPUT: set VAR to the candidates of line N in the
# output of a driver, one a line.
ct_candidates()
{
	local -n ct_var=$1
	local l
	ct_var=
	while IFS= read -r l; do
		[[ $l == "$2 "* ]] && ct_var+=${l#"$2 "}$'\n'
	done <<<"$3"
}

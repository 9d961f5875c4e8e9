#!/bin/bash
# Golden output: every line of tests/cli/cases runs a command on a fixture
# sysroot; stdout, stderr and the exit status must equal
# tests/cli/expected/NAME exactly. UPDATE=1 rewrites the expected files
# (then read the diff before committing it).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

while IFS='|' read -r name cmd; do
	name=$(echo $name)
	case "$name" in ''|'#'*) continue ;; esac
	read -r -a argv <<<"$cmd"
	prog=${argv[0]}
	got=$(run_capture "$BUILDDIR/$prog" "${argv[@]:1}" </dev/null)
	exp=tests/cli/expected/$name
	if [ -n "${UPDATE:-}" ]; then
		printf '%s\n' "$got" >"$exp"
	fi
	if [ -f "$exp" ] && [ "$got" = "$(cat "$exp")" ]; then
		ok 0 "$name: $cmd"
	else
		ok 1 "$name: $cmd"
		diff -u "$exp" <(printf '%s\n' "$got") | sed 's/^/# /' | head -40
	fi
done <tests/cli/cases
done_testing

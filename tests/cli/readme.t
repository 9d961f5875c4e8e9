#!/bin/bash
# readme.t: the README's command table says what exists. Every command
# with a cmd/NAME.c is "done"; every row still "planned" has no source yet;
# no command is missing from the table.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/lib.sh

rows=$(sed -n 's/^| `\([a-z-]*\)` |.*| \([a-z]*\) |$/\1 \2/p' README.md)
[ -n "$rows" ]
ok $? "README.md has a command table"
for src in cmd/*.c; do
	c=$(basename "$src" .c)
	state=$(awk -v c="$c" '$1 == c { print $2 }' <<<"$rows")
	[ "$state" = done ]
	ok $? "README: $c is listed as done (it is: $src)"
	[ "$state" = done ] || echo "#   README says: ${state:-nothing}"
done
while read -r c state; do
	[ "$state" = done ] && continue
	[ ! -e "cmd/$c.c" ] && [ ! -d "cmd/$c" ]
	ok $? "README: $c is '$state' and has no source yet"
done <<<"$rows"
done_testing

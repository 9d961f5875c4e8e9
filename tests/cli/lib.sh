# Shared by the CLI tests: run from the repository root by prove.
# BUILDDIR picks the build under test (build, or build-asan).
: "${BUILDDIR:=build}"
FIX=tests/fixtures
# Names from the bundled pci.ids subset, never the host's database or hwdb.
export PASSTHRU_PCI_IDS=$FIX/pci.ids
unset PASSTHRU_SYSROOT
export LC_ALL=C

tap_n=0
tap_fail=0
ok() { # ok COND-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}
done_testing() { echo "1..$tap_n"; [ "$tap_fail" -eq 0 ]; }

# Run a command; put stdout, stderr and the exit status in one text.
run_capture() {
	local out err rc
	out=$(mktemp) err=$(mktemp)
	"$@" >"$out" 2>"$err"
	rc=$?
	cat "$out"
	echo "--- stderr"
	cat "$err"
	echo "--- exit $rc"
	rm -f "$out" "$err"
}

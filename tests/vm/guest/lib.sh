# TAP helpers for guest tests (busybox sh).  In a test:  . /vm/lib.sh
#
#   ok DESC CMD...           run CMD (its stdout goes to stderr, away from
#                            the TAP stream); "ok" when it succeeds
#   is GOT WANT DESC         string equality, with got/want shown on failure
#   pass DESC / fail DESC    record a result directly
#   diag TEXT                a note on stderr (prove shows it: for failures)
#   note TEXT                a TAP comment on stdout (prove -v shows it)
#   skip_all REASON          "1..0 # SKIP REASON" and exit
#   bail REASON              "Bail out!" and exit
#   done_testing             print the plan; exit 1 if anything failed
#
# Plans come at the end (done_testing), as the number of checks often
# depends on the devices found.

_tap_n=0
_tap_failed=0

pass() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
	echo "#   failed: $*" >&2
}

diag() {
	printf '# %s\n' "$*" >&2
}

note() {
	printf '# %s\n' "$*"
}

ok() {
	_desc=$1
	shift
	if "$@" >&2; then pass "$_desc"; else fail "$_desc"; fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		printf '%s\n' "$1" | sed 's/^/#     got:  /' >&2
		printf '%s\n' "$2" | sed 's/^/#     want: /' >&2
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

bail() {
	echo "Bail out! $*"
	exit 255
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
	exit
}

# pci_find VENDOR:DEVICE: the BDFs of the devices with that ID, one a line.
pci_find() {
	for _d in /sys/bus/pci/devices/*; do
		[ "$(cat "$_d/vendor"):$(cat "$_d/device")" = "0x${1%%:*}:0x${1##*:}" ] &&
			echo "${_d##*/}"
	done
	return 0
}

# pci_driver BDF: the name of the bound driver, or nothing.
pci_driver() {
	[ -e "/sys/bus/pci/devices/$1/driver" ] &&
		basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
	return 0
}

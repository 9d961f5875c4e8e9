# Helpers for the Xen tier's guest tests (busybox sh, in dom0), beside
# /vm/lib.sh.  In a test:  . /vm/lib.sh; . /vm/xen.sh
#
#   DOMU_KERNEL, DOMU_INITRD   the PV domU's kernel and initramfs
#   DOMU_APPEND                its command line (console on hvc0)
#   domu_cfg FILE NAME BDF     write a hand-made xl.cfg: a PV domU of 256 MiB,
#                              one vCPU, holding BDF
#   domu_console NAME FILE     start `xl console` for NAME in the background,
#                              its output into FILE (killed after
#                              DOMU_CONSOLE_TIMEOUT s, default 150)
#   domu_wait FILE REGEX SECS  wait until FILE has a line matching REGEX
#                              (grep -E); false after SECS seconds
#   domu_line FILE PREFIX      the first line of FILE starting with PREFIX,
#                              without \r
#   domu_exists NAME           true when xl knows a domain NAME
#   domu_gone NAME             destroy NAME if it exists (for traps)
#   xl_assignable              `xl pci-assignable-list`, one BDF a line
#   logged FILE CMD...         CMD, its output into FILE, shown when it fails

DOMU_KERNEL=/vm/xen/vmlinuz
DOMU_INITRD=/vm/xen/domu.initrd
DOMU_APPEND="console=hvc0 loglevel=4"

domu_cfg() {
	cat >"$1" <<-EOF
		name = "$2"
		type = "pv"
		kernel = "$DOMU_KERNEL"
		ramdisk = "$DOMU_INITRD"
		extra = "$DOMU_APPEND"
		memory = 256
		vcpus = 1
		pci = [ "$3" ]
		on_crash = "destroy"
	EOF
}

domu_console() {
	timeout "${DOMU_CONSOLE_TIMEOUT:-150}" xl console -t pv "$1" >"$2" 2>&1 </dev/null &
}

domu_wait() {
	_i=0
	while [ $_i -lt "$3" ]; do
		tr -d '\r' <"$1" 2>/dev/null | grep -Eq "$2" && return 0
		sleep 1
		_i=$((_i + 1))
	done
	return 1
}

domu_line() {
	tr -d '\r' <"$1" 2>/dev/null | grep -m 1 "^$2"
	return 0
}

domu_exists() {
	xl domid "$1" >/dev/null 2>&1
}

domu_gone() {
	domu_exists "$1" && xl destroy "$1" >&2
	return 0
}

xl_assignable() {
	xl pci-assignable-list 2>/dev/null | awk 'NF { print $1 }'
}

# logged FILE CMD...: run CMD with its output into FILE, shown on stderr
# only when CMD fails (xl's "Parsing config from" and libxl's info lines
# are noise in prove's output otherwise)
logged() {
	_log=$1
	shift
	"$@" >"$_log" 2>&1 && return 0
	_rc=$?
	sed 's/^/#   /' "$_log" >&2
	return $_rc
}

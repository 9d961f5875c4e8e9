# tests/vm/xen.mk: the Xen tier, for the top Makefile to include.
#
#   make check-xen     boot Xen (PV dom0) under QEMU, run tests/vm/xen/t/*.sh
#                      in dom0, prove
#   make shell-xen     an interactive root shell in dom0 (Ctrl-A X quits)
#
# Needs what the VM tier needs (tests/vm/vm.mk) and root-free access to the
# Debian archive for `apt-get download` of Xen 4.17; everything is cached in
# $(BUILDDIR)/vm/xen (VM_CACHE/xen).  See tests/vm/xen/README.

BUILDDIR ?= build
XEN_DIR := $(dir $(lastword $(MAKEFILE_LIST)))xen/

.PHONY: check-xen shell-xen

check-xen: all faults
	VM_CACHE=$${VM_CACHE:-$(BUILDDIR)/vm} $(XEN_DIR)check $(BUILDDIR)

shell-xen: all faults
	VM_CACHE=$${VM_CACHE:-$(BUILDDIR)/vm} $(XEN_DIR)run -b $(BUILDDIR) --shell

# tests/vm/vm.mk: the real-kernel tier, for the top Makefile to include.
#
#   make check-vm          boot the test VM, run tests/vm/t/*.sh in it, prove
#   make demo-vm           the guided tour in the VM (tests/vm/demo)
#   make record-vm-fixture re-record tests/fixtures/qemu-q35 from the VM
#
# Needs qemu-system-x86 busybox-static cpio kmod pciutils jq btrfs-progs zstd,
# apt package lists (apt-get update) and root-free access to the Debian archive
# for `apt-get download` of the kernel; everything is cached in
# $(BUILDDIR)/vm (VM_CACHE).  VM_JOBS, VM_TIMEOUT: see tests/vm/README.

BUILDDIR ?= build
VM_DIR := $(dir $(lastword $(MAKEFILE_LIST)))

.PHONY: check-vm demo-vm record-vm-fixture

check-vm: all
	VM_CACHE=$${VM_CACHE:-$(BUILDDIR)/vm} $(VM_DIR)check $(BUILDDIR)

demo-vm: all
	VM_CACHE=$${VM_CACHE:-$(BUILDDIR)/vm} $(VM_DIR)demo $(BUILDDIR)

record-vm-fixture: all
	VM_CACHE=$${VM_CACHE:-$(BUILDDIR)/vm} $(VM_DIR)check --record tests/fixtures/qemu-q35 $(BUILDDIR)

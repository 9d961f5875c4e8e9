# passthru-utils: plain GNU make. `make`, `make check`, `make demo`,
# `make bench`, `make install` (PREFIX, DESTDIR).

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
BUILDDIR   ?= build
ASANDIR    ?= build-asan
VERSION    := 0.1.0

PKGS       := libpci libkmod blkid popt uuid
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
# Asked of pkg-config when a recipe first needs them, not when make parses
# this file: `make check` and `make demo` install the packages (deps) first.
pkgconfig  = $(or $(shell pkg-config $1 $(PKGS) 2>/dev/null),$(error pkg-config does not know $(PKGS): run 'make deps' (or: apt-get install pkg-config libpci-dev libkmod-dev libblkid-dev libpopt-dev uuid-dev)))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkgconfig,--cflags))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(call pkgconfig,--libs))$(PKG_LIBS)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -Icommon -DPT_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(EXTRA_CFLAGS)
# --as-needed: a command links only the libraries it uses (iommu-groups needs no libblkid)
ALL_LDFLAGS := -Wl,--as-needed $(LDFLAGS) $(EXTRA_LDFLAGS)

# Every cmd/NAME.c is a command; it brings man/NAME.[18] and
# completions/{bash/NAME,zsh/_NAME} with it. Nothing else to list.
COMMANDS   := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
BINS       := $(addprefix $(BUILDDIR)/,$(COMMANDS))
CORE_SRC   := $(wildcard common/*.c)
CORE_OBJ   := $(patsubst common/%.c,$(BUILDDIR)/common/%.o,$(CORE_SRC))
CORE_LIB   := $(BUILDDIR)/libcommon.a
UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILDDIR)/tests/unit/%,$(UNIT_SRC))
MANPAGES   := $(wildcard man/*.[18])

PROVE      := prove --norc

.PHONY: all units faults install uninstall check check-unit check-cli check-asan check-fuzz check-vm check-xen \
        bench demo demo-host deps lint clean golden-update

all: $(BINS)

$(BUILDDIR)/common/%.o: common/%.c common/*.h | $(BUILDDIR)/common
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILDDIR)/%: cmd/%.c $(CORE_LIB) common/*.h
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILDDIR)/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(CORE_LIB) | $(BUILDDIR)/tests/unit
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(CORE_LIB) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILDDIR)/common $(BUILDDIR)/tests/unit:
	mkdir -p $@

units: $(UNIT_BINS)

# ---- tests ----
# Three tiers (DESIGN.md): unit, CLI on fixture sysroots, real kernel in QEMU.
# The unit and CLI tiers run twice: the normal build and one with
# AddressSanitizer and UndefinedBehaviorSanitizer in $(ASANDIR).

check: deps
	$(MAKE) all units faults
	$(MAKE) BUILDDIR=$(ASANDIR) CFLAGS="-O1 -g" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DPT_TEST_FAULTS" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" all units
	$(MAKE) check-unit check-cli check-asan check-fuzz check-vm check-xen

# Parsers of untrusted bytes under libFuzzer with ASan and UBSan, for a
# bounded time, seeded with real ROMs (tests/fuzz/README).
check-fuzz:
	tests/fuzz/run $${FUZZ_SECONDS:-60}

check-unit: all units
	$(PROVE) --exec '' $(UNIT_BINS)

check-cli: all
	BUILDDIR=$(BUILDDIR) $(PROVE) tests/cli/*.t

check-asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(PROVE) --exec '' $(patsubst $(BUILDDIR)/%,$(ASANDIR)/%,$(UNIT_BINS))
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    BUILDDIR=$(ASANDIR) $(PROVE) tests/cli/*.t

-include tests/vm/vm.mk
-include tests/vm/xen.mk

# The same commands with a fault-injection point in the one write function
# (PASSTHRU_FAIL_WRITE=N fails the Nth write): test builds only.
faults:
	$(MAKE) BUILDDIR=$(BUILDDIR)/faults EXTRA_CFLAGS=-DPT_TEST_FAULTS all

check-vm: faults

golden-update: all
	BUILDDIR=$(BUILDDIR) UPDATE=1 tests/cli/golden.t >/dev/null

# Each target that installs packages first builds in a new make, so the
# build never starts before deps has finished (with -j too).
bench: deps
	$(MAKE) all
	tests/bench/run $(BUILDDIR)/iommu-groups

# The tour: the pipeline inside a VM with a real IOMMU (tests/vm/demo).
demo: deps
	$(MAKE) all
	VM_CACHE=$${VM_CACHE:-$(BUILDDIR)/vm} tests/vm/demo $(BUILDDIR)

# iommu-groups on this host, or on a recorded host when it has no IOMMU.
demo-host: deps
	$(MAKE) all
	tests/demo $(BUILDDIR)

# Installs what the build and the tests need (as root), or prints the
# exact command and stops.
deps:
	@tests/deps

lint:
	@for m in $(MANPAGES); do mandoc -Tlint -Wwarning $$m || exit 1; done

# ---- install ----

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	for c in $(COMMANDS); do \
	    for m in man/$$c.[18]; do [ -e $$m ] || continue; \
	        s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done; \
	    [ ! -e completions/bash/$$c ] || install -m 644 completions/bash/$$c $(DESTDIR)$(BASHCOMPDIR)/$$c; \
	    [ ! -e completions/zsh/_$$c ] || install -m 644 completions/zsh/_$$c $(DESTDIR)$(ZSHCOMPDIR)/_$$c; \
	done

uninstall:
	for c in $(COMMANDS); do \
	    rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1 $(DESTDIR)$(MANDIR)/man8/$$c.8 \
	        $(DESTDIR)$(BASHCOMPDIR)/$$c $(DESTDIR)$(ZSHCOMPDIR)/_$$c; \
	done

clean:
	rm -rf $(BUILDDIR) $(ASANDIR)

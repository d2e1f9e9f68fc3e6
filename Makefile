# SPDX-License-Identifier: GPL-2.0
#
# egm top-level Makefile.
#
#   make                 build drivers/egm/egm.ko (W=1) against the running
#                        kernel (/lib/modules/$(uname -r)/build), else the
#                        newest installed Debian headers, or KDIR=
#   make C=2             ... and run sparse over every file
#   make checkpatch      checkpatch.pl --strict over driver, UAPI and tools
#   make tools           tools/egmfs and the test helpers (build/helpers/)
#   make check           deps, build, boot the test guests, run the bats
#                        suites on 6.1, 6.12 and 7.3 (KERNEL= or KERNELS=
#                        for fewer); BOOT=, TESTS=, BATS_FILTER=, JOBS=,
#                        TIMEOUT=
#   make ARCH=arm64 ...  the same for Debian's arm64 kernels (cross-built,
#                        qemu-system-aarch64 -M virt); KERNEL=6.1, 6.12,
#                        6.12-16k
#   make compat-check    the module against every supported kernel's
#                        headers, x86_64 and arm64, W=1, warnings fail
#   make check-debug     make check on the debug kernel (lockdep, KASAN,
#                        UBSAN, DEBUG_VM, kmemleak; built once into the
#                        cache from linux-source, tools/testing/debug.config)
#   make demo            boot the guest and provision as an admin would
#   make shell           interactive guest shell, module loaded
#   make harness-selftest  prove the harness fails when it must
#   make manifest        regenerate tests/bats.manifest (tests per file,
#                        kernel and boot; make check compares); no boot
#   make bench           scrub and mapping benchmark in the bench guest;
#                        KERNEL=6.12; tables in build/logs/bench-<kernel>.txt
#   make check-qemu      boot a guest whose QEMU maps /dev/egmN (a real client)
#   make check-vfio      q35 + intel-iommu guests (6.1, 6.12, 7.3): edu's DMA
#                        into instances through vfio-pci (type1)
#   make install         DESTDIR=, PREFIX=/usr, SYSCONFDIR=/etc: egm.ko
#                        (kbuild modules_install into updates/, depmod
#                        unless DESTDIR), UAPI header ($(PREFIX)/include/
#                        egm/linux/egm.h), egmfs + man page + bash
#                        completion, unit (from egm.service.in), udev rule.
#                        DKMS is the documented path on hosts (see
#                        Documentation/admin-guide/egm.rst, "Install")
#   make uninstall       remove every file make install put there, and
#                        the DKMS registration and tree (dkms remove --all)
#   make dkms-check      static packaging checks and a DKMS-style build
#                        against installed headers (packaging/check.sh)
#   make deps            install packages, fetch the guest kernel(s)
#   make clean
#
# Build products go in build/ and in the cache ($(EGM_CACHE)).

SHELL := /bin/bash
.DEFAULT_GOAL := all

export EGM_CACHE ?= $(HOME)/.cache/egm
# make check runs every supported x86_64 kernel unless KERNEL= or KERNELS=
# narrows it; the single-guest targets (demo, shell, bench) use KERNEL.
ifeq ($(origin KERNEL),undefined)
ifneq ($(filter arm64 aarch64,$(ARCH)),)
KERNELS ?= 6.1
else
KERNELS ?= 6.1 6.12 7.3
endif
else
KERNELS ?= $(KERNEL)
endif
KERNEL ?= 6.1
export KERNEL KERNELS BOOT TESTS BATS_FILTER JOBS TIMEOUT WERROR

# ARCH=arm64: cross-build for Debian's arm64 kernels (scripts/deps-arm64
# fetches the headers and a guest sysroot into the cache): the module
# against the newest cached bookworm arm64 headers unless KDIR is given,
# the test helpers (static) and egmfs (the sysroot's libjson-c) into
# build/arm64/.
ifneq ($(filter arm64 aarch64,$(ARCH)),)
ARM64 := 1
CROSS_COMPILE ?= aarch64-linux-gnu-
KDIR ?= $(lastword $(shell ls -d $(EGM_CACHE)/arm64/*/usr/src/linux-headers-*-arm64 2>/dev/null | sort -V))
KBUILD_XFLAGS := ARCH=arm64 CROSS_COMPILE=$(CROSS_COMPILE)
ARM64_SYSROOT := $(EGM_CACHE)/arm64/sysroot
HELPER_DIR := build/arm64/helpers
HELPER_CC := $(CROSS_COMPILE)gcc
else
HELPER_DIR := build/helpers
HELPER_CC = $(CC)
endif

# The running kernel's build tree (any distribution, any architecture);
# without one (the test harness's build host, a chroot), the newest
# installed Debian headers of this architecture.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	  $(lastword $(shell ls -d /usr/src/linux-headers-*-$(DEB_ARCH) 2>/dev/null | sort -V)))

CC ?= gcc
HELPER_CFLAGS := -static -O2 -Wall -Iinclude/uapi -Itests/helpers
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst tests/helpers/%.c,$(HELPER_DIR)/%,$(HELPER_SRCS))
HELPER_HDRS := $(wildcard tests/helpers/*.h) include/uapi/linux/egm.h

CHECKPATCH_FILES = $(filter-out %.mod.c,$(wildcard drivers/egm/*.[ch])) include/uapi/linux/egm.h \
		   $(wildcard tools/egmfs/*.[ch])

.PHONY: all modules tools helpers egmfs check check-debug demo shell deps checkpatch \
	harness-selftest clean install install-module install-tools uninstall \
	dkms-check check-qemu check-vfio compat-check manifest callgraph

all: modules

modules:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "egm: no kernel headers found (KDIR=$(KDIR)); run scripts/deps or pass KDIR=" >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers/egm W=1 $(KBUILD_XFLAGS) $(if $(C),C=$(C)) modules

tools: helpers egmfs

helpers: $(HELPERS)

$(HELPER_DIR)/%: tests/helpers/%.c $(HELPER_HDRS)
	@mkdir -p $(@D)
	$(HELPER_CC) $(HELPER_CFLAGS) -o $@ $<

egmfs:
ifdef ARM64
	@mkdir -p build/arm64/egmfs
	$(MAKE) -C build/arm64/egmfs -f $(CURDIR)/tools/egmfs/Makefile \
		--eval 'vpath %.c $(CURDIR)/tools/egmfs' \
		--eval 'vpath %.h $(CURDIR)/tools/egmfs' \
		--eval 'vpath Makefile $(CURDIR)/tools/egmfs' CC=$(CROSS_COMPILE)gcc \
		PKG_CONFIG="env PKG_CONFIG_SYSROOT_DIR=$(ARM64_SYSROOT) PKG_CONFIG_LIBDIR=$(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu/pkgconfig pkg-config" \
		LDFLAGS=-Wl,-rpath-link,$(ARM64_SYSROOT)/lib/aarch64-linux-gnu
else
	@if [ -f tools/egmfs/Makefile ]; then $(MAKE) -C tools/egmfs; fi
endif

deps:
	scripts/deps $(KERNELS)

check:
	tools/testing/check

# The module against 6.1, 6.12 and 7.3 headers on x86_64 and 6.1, 6.12
# and 6.12-16k on arm64, W=1; fails on any warning.
compat-check:
	tools/testing/compat-check

# The debug kernel is several times slower under TCG: a longer default
# TIMEOUT (seconds per guest; TIMEOUT= still overrides it).
check-debug:
	KERNELS=debug TIMEOUT=$(or $(TIMEOUT),7200) tools/testing/check

demo:
	tools/testing/interactive demo

shell:
	tools/testing/interactive shell

checkpatch:
	tools/testing/checkpatch $(CHECKPATCH_FILES)

# The driver's files call only files below them in egm.h's file map.
callgraph: modules
	scripts/callgraph drivers/egm

harness-selftest:
	tools/testing/selftest/run-selftest

manifest:
	tools/testing/manifest

.PHONY: bench
bench:
	tools/testing/bench

check-qemu:
	tools/testing/check-qemu

check-vfio:
	tools/testing/check-vfio

# make install [DESTDIR=] [PREFIX=/usr] [SYSCONFDIR=/etc] [KDIR=]: the
# module through kbuild's modules_install (signing and compression as
# the kernel's config says; /lib/modules/<krel>/updates/), depmod only
# without DESTDIR. Installing this way beside a DKMS install would leave
# two egm.ko: use one of them (the admin guide says DKMS).
PREFIX ?= /usr
SYSCONFDIR ?= /etc
INSTALL ?= install
INCLUDEDIR ?= $(PREFIX)/include/egm
# The release egm.ko is built for (its vermagic): UTS_RELEASE of the
# build tree. "make kernelrelease" is wrong on Debian's headers (it
# prints 6.1.192 for 6.1.0-57-amd64), so it is only the fallback.
KREL = $(or $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null), \
	    $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null))
PKG_VARS = PREFIX=$(PREFIX) SYSCONFDIR=$(SYSCONFDIR) DESTDIR=$(DESTDIR)

install: install-module install-tools

# everything but the module (packaging and tests use it without headers)
install-tools: egmfs
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/linux
	$(INSTALL) -m 0644 include/uapi/linux/egm.h $(DESTDIR)$(INCLUDEDIR)/linux/egm.h
	$(MAKE) -C tools/egmfs install $(PKG_VARS)
	$(MAKE) -C packaging install $(PKG_VARS)

# kbuild skips depmod without a System.map in KDIR (Debian's headers
# have none), so depmod runs here: without it modprobe cannot find egm.
install-module: modules
	@[ -n "$(KREL)" ] || { echo "egm: cannot tell the kernel release of KDIR=$(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers/egm $(KBUILD_XFLAGS) \
		KERNELRELEASE=$(KREL) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),DEPMOD=true) modules_install
	$(if $(DESTDIR),,depmod -a $(KREL))

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/egm.h
	-rmdir $(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(INCLUDEDIR) 2>/dev/null
	$(MAKE) -C tools/egmfs uninstall $(PKG_VARS)
	$(MAKE) -C packaging uninstall $(PKG_VARS)
	@if [ -n "$(KREL)" ] && [ -d $(DESTDIR)/lib/modules/$(KREL) ]; then \
		rm -fv $(DESTDIR)/lib/modules/$(KREL)/updates/egm.ko*; \
		rmdir $(DESTDIR)/lib/modules/$(KREL)/updates 2>/dev/null; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $(KREL); fi; \
	fi

dkms-check: egmfs
	KDIR=$(KDIR) packaging/check.sh

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers/egm clean; \
	fi
	@if [ -f tools/egmfs/Makefile ]; then $(MAKE) -C tools/egmfs clean; fi
	rm -rf build

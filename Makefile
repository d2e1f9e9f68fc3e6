# SPDX-License-Identifier: GPL-2.0
#
# egm top-level Makefile.
#
#   make                 build drivers/egm/egm.ko (W=1) against the newest
#                        installed Debian headers, or KDIR=
#   make C=2             ... and run sparse over every file
#   make checkpatch      checkpatch.pl --strict over driver, UAPI and tools
#   make tools           tools/egmfs and the test helpers (build/helpers/)
#   make check           deps, build, boot the test guest(s), run the bats
#                        suites; KERNEL=, KERNELS=, BOOT=, TESTS=,
#                        BATS_FILTER=, JOBS=, TIMEOUT=
#   make demo            boot the guest and provision as an admin would
#   make shell           interactive guest shell, module loaded
#   make harness-selftest  prove the harness fails when it must
#   make bench           scrub and mapping benchmark in the bench guest;
#                        KERNEL=6.12; tables in build/logs/bench-<kernel>.txt
#   make check-qemu      boot a guest whose QEMU maps /dev/egmN (a real client)
#   make install         DESTDIR=, PREFIX=/usr: egm.ko (depmod unless DESTDIR),
#                        UAPI header, egmfs + man page, unit, udev rule,
#                        modules-load entry
#   make dkms-check      static packaging checks and a DKMS-style build
#                        against installed headers (packaging/check.sh)
#   make deps            install packages, fetch the guest kernel(s)
#   make clean
#
# Build products go in build/ and in the cache ($(EGM_CACHE)).

SHELL := /bin/bash
.DEFAULT_GOAL := all

export EGM_CACHE ?= $(HOME)/.cache/egm
KERNEL ?= 6.1
KERNELS ?= $(KERNEL)
export KERNEL KERNELS BOOT TESTS BATS_FILTER JOBS TIMEOUT WERROR

# Newest installed Debian amd64 headers, unless KDIR is given.
KDIR ?= $(lastword $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V))

CC ?= gcc
HELPER_CFLAGS := -static -O2 -Wall -Iinclude/uapi -Itests/helpers
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst tests/helpers/%.c,build/helpers/%,$(HELPER_SRCS))
HELPER_HDRS := $(wildcard tests/helpers/*.h) include/uapi/linux/egm.h

CHECKPATCH_FILES = $(filter-out %.mod.c,$(wildcard drivers/egm/*.[ch])) include/uapi/linux/egm.h \
		   $(wildcard tools/egmfs/*.[ch])

.PHONY: all modules tools helpers egmfs check demo shell deps checkpatch \
	harness-selftest clean install install-module dkms-check check-qemu

all: modules

modules:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "egm: no kernel headers found (KDIR=$(KDIR)); run scripts/deps or pass KDIR=" >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers/egm W=1 $(if $(C),C=$(C)) modules

tools: helpers egmfs

helpers: $(HELPERS)

build/helpers/%: tests/helpers/%.c $(HELPER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HELPER_CFLAGS) -o $@ $<

egmfs:
	@if [ -f tools/egmfs/Makefile ]; then $(MAKE) -C tools/egmfs; fi

deps:
	scripts/deps $(KERNELS)

check:
	tools/testing/check

demo:
	tools/testing/interactive demo

shell:
	tools/testing/interactive shell

checkpatch:
	tools/testing/checkpatch $(CHECKPATCH_FILES)

harness-selftest:
	tools/testing/selftest/run-selftest

.PHONY: bench
bench:
	tools/testing/bench

check-qemu:
	tools/testing/check-qemu

# make install [DESTDIR=] [PREFIX=/usr] [KDIR=]: the module goes to
# /lib/modules/<krel>/updates/ (depmod runs only without DESTDIR).
PREFIX ?= /usr
INSTALL ?= install
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

install: install-module
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/include/linux
	$(INSTALL) -m 0644 include/uapi/linux/egm.h $(DESTDIR)$(PREFIX)/include/linux/egm.h
	$(MAKE) -C tools/egmfs install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C packaging install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

install-module: modules
	@[ -n "$(KREL)" ] || { echo "egm: cannot tell the kernel release of KDIR=$(KDIR)" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)/lib/modules/$(KREL)/updates
	$(INSTALL) -m 0644 drivers/egm/egm.ko $(DESTDIR)/lib/modules/$(KREL)/updates/egm.ko
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KREL)"; depmod -a $(KREL); fi

dkms-check: egmfs
	KDIR=$(KDIR) packaging/check.sh

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers/egm clean; \
	fi
	@if [ -f tools/egmfs/Makefile ]; then $(MAKE) -C tools/egmfs clean; fi
	rm -rf build

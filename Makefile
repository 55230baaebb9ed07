# SPDX-License-Identifier: GPL-2.0
#
# allocpools - the front door.
#
#   make              build allocpools.ko, the sample and stress clients and
#                     the benchmark module for KVER (below), or against KDIR
#   make check        every test layer; ends with "N passed, N failed"
#   make demo         boot Debian's kernel KVER in QEMU, load allocpools and
#                     the sample client, show the debugfs statistics
#   make kunit        KUnit suites under kunit.py on UML
#   make kunit ARCH=x86_64   the same in QEMU with -smp 2, KASAN, lockdep,
#                     kmemleak and UBSAN
#   make kunit ARCH=x86_64 KUNIT_KERNEL=6.12-rt   linux-source-6.12 with
#                     PREEMPT_RT, lockdep (raw-lock nesting), atomic-sleep
#                     checks and kmemleak
#   make kunit ARCH=x86_64 KUNIT_KERNEL=kcsan   linux-source-6.12 with KCSAN
#                     (data races naming allocpools fail)
#   make qemu-test    the real-kernel test in QEMU on Debian's kernel KVER
#   make userspace    the userspace model tests and fuzzers (ASan/UBSan)
#   make fuzz         every libFuzzer target for FUZZ_SECONDS (default 60)
#                     from its seed corpus, FUZZ_JOBS (default nproc) at a
#                     time; not part of make check
#   make bench        benchmarks, in the kernel (QEMU, beside kmalloc,
#                     kmem_cache, mempool, gen_pool, kfifo, alloc_pages) and
#                     in userspace (beside glibc and jemalloc); writes
#                     BENCHMARKS.md
#   make checkpatch   scripts/checkpatch.pl --strict on every C file
#   make htmldocs     Documentation/ as HTML (Sphinx, the kernel's kernel-doc)
#                     into Documentation/output/html/, warning-free
#   make dkms-test    dkms add, build, install, modinfo and remove of
#                     allocpools.ko for every installed kernel with headers
#                     (as root; installs Debian's dkms if missing)
#   make core         allocpools.ko alone, what dkms.conf builds
#   make deps         install what the above need (apt-get, idempotent)

# The kernel to build for (and boot, under QEMU): KVER is a release
# (6.12.117+deb12-rt-amd64) or 6.1, 6.12, 6.12-rt; by default the running
# kernel when its headers and image are installed, else the newest non-RT
# kernel installed with both (scripts/kver.sh).  KDIR=<build tree> builds
# against any other tree instead.
ifeq ($(origin KDIR),undefined)
KDIR := $(shell $(CURDIR)/scripts/kver.sh --kdir $(KVER) 2>/dev/null)
endif

PWD := $(shell pwd)

.PHONY: all modules clean check demo kunit qemu-test userspace checkpatch \
	deps bench fuzz htmldocs dkms-test core core-clean

all: modules

modules: core
	$(MAKE) -C $(KDIR) M=$(PWD)/samples \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules
	$(MAKE) -C $(KDIR) M=$(PWD)/bench \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules

# allocpools.ko alone: DKMS installs nothing else (dkms.conf).
core:
	@test -n "$(KDIR)" || scripts/kver.sh --kdir $(KVER)
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_ALLOCPOOLS=m modules

core-clean:
	-$(MAKE) -C $(KDIR) M=$(PWD) clean

clean: core-clean
	-$(MAKE) -C $(KDIR) M=$(PWD)/samples clean
	-$(MAKE) -C $(KDIR) M=$(PWD)/bench clean
	$(MAKE) -C tools/testing clean
	rm -rf Documentation/output

deps:
	scripts/deps.sh

userspace:
	$(MAKE) -C tools/testing check

fuzz:
	$(MAKE) -C tools/testing fuzz

kunit:
	scripts/kunit.sh $(if $(ARCH),--arch=$(ARCH)) $(if $(KUNIT_KERNEL),--kernel=$(KUNIT_KERNEL))

qemu-test:
	KVER="$(KVER)" scripts/qemu.sh test

demo:
	scripts/deps.sh
	KVER="$(KVER)" scripts/qemu.sh demo

checkpatch:
	scripts/checkpatch.sh

htmldocs:
	scripts/htmldocs.sh

dkms-test:
	scripts/dkms_test.sh

bench:
	KVER="$(KVER)" scripts/bench.sh

check:
	scripts/check.sh

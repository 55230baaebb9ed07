# SPDX-License-Identifier: GPL-2.0
#
# allocpools - the front door.
#
#   make              build allocpools.ko (and the sample client) against KDIR
#   make check        every test layer; ends with "N passed, N failed"
#   make demo         boot Debian's kernel in QEMU, load allocpools and the
#                     sample client, show the debugfs statistics
#   make kunit        KUnit suites under kunit.py on UML
#   make kunit ARCH=x86_64   the same in QEMU with -smp 2, KASAN, lockdep,
#                     kmemleak and UBSAN
#   make qemu-test    the real-kernel test in QEMU
#   make userspace    the userspace model tests and fuzzers (ASan/UBSan)
#   make bench        benchmarks, in the kernel (QEMU, beside kmalloc,
#                     kmem_cache, mempool, gen_pool, kfifo, alloc_pages) and
#                     in userspace (beside glibc and jemalloc); writes
#                     BENCHMARKS.md
#   make checkpatch   scripts/checkpatch.pl --strict on every C file
#   make deps         install what the above need (apt-get, idempotent)

# Newest installed Debian headers, when the running kernel has none.
DEB_KVER := $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
KDIR ?= /lib/modules/$(shell uname -r)/build
else
KDIR ?= /usr/src/linux-headers-$(DEB_KVER)
endif

PWD := $(shell pwd)

.PHONY: all modules clean check demo kunit qemu-test userspace checkpatch \
	deps bench

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(PWD) CONFIG_ALLOCPOOLS=m modules
	$(MAKE) -C $(KDIR) M=$(PWD)/samples \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules
	$(MAKE) -C $(KDIR) M=$(PWD)/bench \
		KBUILD_EXTRA_SYMBOLS=$(PWD)/Module.symvers modules

clean:
	-$(MAKE) -C $(KDIR) M=$(PWD) clean
	-$(MAKE) -C $(KDIR) M=$(PWD)/samples clean
	-$(MAKE) -C $(KDIR) M=$(PWD)/bench clean
	$(MAKE) -C tools/testing clean

deps:
	scripts/deps.sh

userspace:
	$(MAKE) -C tools/testing check

kunit:
	scripts/kunit.sh $(if $(ARCH),--arch=$(ARCH))

qemu-test:
	scripts/qemu.sh test

demo:
	scripts/deps.sh
	scripts/qemu.sh demo

checkpatch:
	scripts/checkpatch.sh

bench:
	scripts/bench.sh

check:
	scripts/check.sh

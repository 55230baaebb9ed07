# SPDX-License-Identifier: GPL-2.0
#
# The BGET-style pool in userspace.  The kernel's own rbtree implementation
# is compiled from the extracted linux-source tree (scripts/ksrc.sh) with its
# tools/include headers searched after the shim, as tools/testing/radix-tree
# does; nothing of it is copied here.

KSRC ?= $(shell $(TOP)/scripts/ksrc.sh)
BGET_RBTREE := $(KSRC)/tools/lib/rbtree.c

MODEL_TESTS += bget_model
bget_model_SRCS := $(TOP)/tools/testing/bget/bget_model.c $(BGET_RBTREE)
$(OUT)/bget_model: CPPFLAGS += -idirafter $(KSRC)/tools/include

MODEL_TESTS += bget_context
bget_context_SRCS := $(TOP)/tools/testing/bget/bget_context.c $(BGET_RBTREE)
$(OUT)/bget_context: CPPFLAGS += -idirafter $(KSRC)/tools/include

FUZZERS += bget_fuzz
bget_fuzz_SRCS := $(TOP)/tools/testing/bget/bget_fuzz.c $(BGET_RBTREE)
$(OUT)/bget_fuzz: CPPFLAGS += -idirafter $(KSRC)/tools/include

# SPDX-License-Identifier: GPL-2.0
# bump_slab.c: the model test and the fuzzer include bump_slab.c (for its
# statics and invariant walker) and link the buddy arena beside it.
MODEL_TESTS += bump_slab_model
bump_slab_model_SRCS := $(TOP)/tools/testing/bump_slab/bump_slab_model.c \
	$(TOP)/buddy_arena.c
FUZZERS += bump_slab_fuzz
bump_slab_fuzz_SRCS := $(TOP)/tools/testing/bump_slab/bump_slab_fuzz.c \
	$(TOP)/buddy_arena.c
# Every context (hard IRQ, a caller's locks), objects in transit, and
# per-CPU state read and searched in bounded steps on 64 CPUs.
MODEL_TESTS += bump_slab_context
bump_slab_context_SRCS := $(TOP)/tools/testing/bump_slab/bump_slab_context.c \
	$(TOP)/buddy_arena.c
bump_slab_context_CFLAGS := -DAP_SHIM_NR_CPUS=64

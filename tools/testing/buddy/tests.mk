# SPDX-License-Identifier: GPL-2.0
# Buddy arena: randomized model test and libFuzzer target.
MODEL_TESTS += buddy_model
buddy_model_SRCS := $(TOP)/tools/testing/buddy/buddy_model.c
FUZZERS += buddy_fuzz
buddy_fuzz_SRCS := $(TOP)/tools/testing/buddy/buddy_fuzz.c
MODEL_TESTS += buddy_context
buddy_context_SRCS := $(TOP)/tools/testing/buddy/buddy_context.c

# SPDX-License-Identifier: GPL-2.0
MODEL_TESTS += fifo_model
fifo_model_SRCS := $(TOP)/tools/testing/fifo/fifo_model.c
MODEL_TESTS += fifo_bounded
fifo_bounded_SRCS := $(TOP)/tools/testing/fifo/fifo_bounded.c
FUZZERS += fifo_fuzz
fifo_fuzz_SRCS := $(TOP)/tools/testing/fifo/fifo_fuzz.c

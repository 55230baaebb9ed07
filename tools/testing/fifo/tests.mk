# SPDX-License-Identifier: GPL-2.0
MODEL_TESTS += fifo_model
fifo_model_SRCS := $(TOP)/tools/testing/fifo/fifo_model.c
MODEL_TESTS += fifo_bounded
fifo_bounded_SRCS := $(TOP)/tools/testing/fifo/fifo_bounded.c
FUZZERS += fifo_fuzz
fifo_fuzz_SRCS := $(TOP)/tools/testing/fifo/fifo_fuzz.c
MODEL_TESTS += fifo_hardening
fifo_hardening_SRCS := $(TOP)/tools/testing/fifo/fifo_hardening.c
# IOM_SPSC from two threads: under ASan and UBSan, and under TSan.
MODEL_TESTS += fifo_spsc
fifo_spsc_SRCS := $(TOP)/tools/testing/fifo/fifo_spsc.c
MODEL_TESTS += fifo_spsc_tsan
fifo_spsc_tsan_SRCS := $(TOP)/tools/testing/fifo/fifo_spsc.c
$(OUT)/fifo_spsc_tsan: SAN := -fsanitize=thread -fno-omit-frame-pointer

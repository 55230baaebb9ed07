/* SPDX-License-Identifier: GPL-2.0 */
/* CHECK() for the FIFO ring's userspace tests: a failure names its line and exits. */
#ifndef _FIFO_CHECK_H
#define _FIFO_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FAIL(...) do {							\
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fprintf(stderr, "\n");						\
	exit(1);							\
} while (0)
#define CHECK(c) do { if (!(c)) FAIL("%s", #c); } while (0)

#endif /* _FIFO_CHECK_H */

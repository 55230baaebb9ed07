/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace: no trace event is instantiated (see linux/tracepoint.h). */

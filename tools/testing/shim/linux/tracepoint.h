/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace: every trace event compiles to nothing.  trace_<event>() is an
 * empty inline function and trace_<event>_enabled() a constant false, so
 * the allocators' trace calls, and the lookups behind them, cost not one
 * instruction here (scripts/bench_ir.sh counts them).
 */
#ifndef _SHIM_LINUX_TRACEPOINT_H
#define _SHIM_LINUX_TRACEPOINT_H

#include <linux/types.h>

#define PARAMS(args...) args
#define TP_PROTO(args...) args
#define TP_ARGS(args...) args
#define TP_CONDITION(args...) args

#define AP_SHIM_EVENT(name, proto)					\
	static inline void trace_##name(proto) { }			\
	static inline bool trace_##name##_enabled(void) { return false; }

#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)
#define DEFINE_EVENT(template, name, proto, args)			\
	AP_SHIM_EVENT(name, PARAMS(proto))
#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	AP_SHIM_EVENT(name, PARAMS(proto))

#endif /* _SHIM_LINUX_TRACEPOINT_H */

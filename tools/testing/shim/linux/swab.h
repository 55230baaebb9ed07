/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _AP_SHIM_LINUX_SWAB_H
#define _AP_SHIM_LINUX_SWAB_H
#include "../ap_shim.h"
/* unistd.h declares a 3-argument swab(): read it first, then shadow it. */
#include <unistd.h>

#define swab(x)		__builtin_bswap64((unsigned long)(x))

#endif

/* SPDX-License-Identifier: GPL-2.0 */
#include "../ap_shim.h"

#ifndef OPTIMIZER_HIDE_VAR
/* As the kernel's: the compiler forgets what it knew of @var's value. */
#define OPTIMIZER_HIDE_VAR(var) __asm__ ("" : "=r" (var) : "0" (var))
#endif

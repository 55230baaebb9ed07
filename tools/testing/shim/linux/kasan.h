/* SPDX-License-Identifier: GPL-2.0 */
#include "../ap_shim.h"
#include "../ap_kasan_shim.h"

/* SPDX-License-Identifier: GPL-2.0 */
#include "../ap_shim.h"

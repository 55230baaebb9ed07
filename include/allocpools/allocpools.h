/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything allocpools exports.
 *
 * Client modules include this (or one allocator's header) and say
 * MODULE_IMPORT_NS(ALLOCPOOLS), or MODULE_IMPORT_NS(ALLOCPOOLS_NS) to build
 * on kernels where the namespace became a string (6.13 and later).
 */
#ifndef _ALLOCPOOLS_ALLOCPOOLS_H
#define _ALLOCPOOLS_ALLOCPOOLS_H

#include <allocpools/ns.h>
#include <allocpools/iom.h>
#include <allocpools/buddy_arena.h>
#include <allocpools/bget_pool.h>
#include <allocpools/bump_slab.h>

#endif /* _ALLOCPOOLS_ALLOCPOOLS_H */

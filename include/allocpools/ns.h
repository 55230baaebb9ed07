/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The symbol namespace of allocpools' exports
 *
 * The namespace argument of EXPORT_SYMBOL_NS_GPL() and MODULE_IMPORT_NS()
 * became a string literal in 6.13; before, it was a bare token that the
 * macros stringify (after expanding it).  Write
 * EXPORT_SYMBOL_NS_GPL(sym, ALLOCPOOLS_NS) and MODULE_IMPORT_NS(ALLOCPOOLS_NS)
 * and both kinds of kernel are served.  Kbuild defines ALLOCPOOLS_NS_STRING
 * to 1 when building against 6.13 or later (see the Kbuild files); a client
 * with its own Kbuild does the same, or writes MODULE_IMPORT_NS("ALLOCPOOLS")
 * on a new kernel.
 */
#ifndef _ALLOCPOOLS_NS_H
#define _ALLOCPOOLS_NS_H

#if defined(ALLOCPOOLS_NS_STRING) && ALLOCPOOLS_NS_STRING
#define ALLOCPOOLS_NS	"ALLOCPOOLS"
#else
#define ALLOCPOOLS_NS	ALLOCPOOLS
#endif

#endif /* _ALLOCPOOLS_NS_H */

/*
 * export.h - a profile's layout in the formats linkers and BOLT read, so a
 * CI job can relink with the order the fleet measured.
 *
 *   symbol order: one function name per line, in C3 order (or hottest
 *     first); lld --symbol-ordering-file, BOLT -function-order=, and gold
 *     --section-ordering-file after prefixing ".text." (with
 *     -ffunction-sections).
 *   call graph: "caller callee weight" per line; lld
 *     --call-graph-ordering-file, which then runs its own C3/CDSort.
 * Names that cannot be written one per line (blanks or control bytes in
 * them) are left out and counted.
 * Must never: emit a name that is not one of the profile's functions.
 */
#ifndef PROF_EXPORT_H
#define PROF_EXPORT_H

#include "profile.h"

/* c3: C3 order from the edges; otherwise hottest (most samples) first. */
int prof_export_symbol_order(const struct prof_object *o, bool c3, char **out, size_t *len,
			     size_t *skipped) HX_WUR;

int prof_export_call_graph(const struct prof_object *o, char **out, size_t *len,
			   size_t *skipped) HX_WUR;

#endif

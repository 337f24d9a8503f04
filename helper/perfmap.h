/*
 * perfmap.h - perf map lines for regions that may become anonymous copies
 * (see perfmap.c). Reads symbol tables from the descriptors the loader
 * passed in, inside the sandbox.
 * Must never: emit a line for a symbol that does not overlap its region.
 */
#ifndef HP_PERFMAP_H
#define HP_PERFMAP_H

#include "planner.h"

/* Each perfmap string starts with one of these lines, saying where its
 * symbols came from (the loader notes stripped files); perf map lines
 * ("START SIZE NAME", hex) follow. */
#define HP_PERFMAP_SYMTAB "# symbols: .symtab\n"
#define HP_PERFMAP_DYNSYM "# symbols: .dynsym\n" /* stripped: exported ones only */
#define HP_PERFMAP_NONE "# symbols: none\n"     /* fully stripped */

/* For each chain that may copy, set perfmap_str on its groups, from
 * in->read_symbols; notes get one line per file. */
int hp_perfmap_add(struct hx_plan *p, const struct hp_input *in, char **notes) HX_WUR;

#endif

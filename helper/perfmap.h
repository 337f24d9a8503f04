/*
 * perfmap.h - perf map lines for regions that may become anonymous copies
 * (see perfmap.c). Reads symbol tables from the descriptors the loader
 * passed in, inside the sandbox.
 * Must never: emit a line outside its region.
 */
#ifndef HP_PERFMAP_H
#define HP_PERFMAP_H

#include "planner.h"

/* For each chain that may copy, set perfmap_str on its groups, from
 * in->read_symbols; notes get one line per file. */
int hp_perfmap_add(struct hx_plan *p, const struct hp_input *in, char **notes) HX_WUR;

#endif

/*
 * maplines.h - perf map lines for regions that may become anonymous copies
 * (see maplines.c; loader/perfmap.c writes the map). Reads symbol tables from the descriptors the loader
 * passed in, inside the sandbox.
 * Must never: emit a line for a symbol that does not overlap its region.
 */
#ifndef HP_PERFMAP_H
#define HP_PERFMAP_H

#include "planner.h"

/* For each chain that may copy, set perfmap_str on its groups (a header
 * line, HX_PERFMAP_* in plan.h, then the lines), from in->read_symbols. */
/* runtime address = ELF virtual address + bias for the file e mapped by
 * v, found through the PT_LOAD that holds the mapping's file offset. */
int hp_load_bias(const struct hp_elf *e, const struct hx_vma *v, int64_t *bias) HX_WUR;

int hp_perfmap_add(struct hx_plan *p, const struct hp_input *in) HX_WUR;

#endif

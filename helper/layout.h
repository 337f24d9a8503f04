/*
 * layout.h - the hot island: which functions move, in which order, where,
 * and the group of steps that installs them (docs/layout.md).
 *
 * With --profile: the hottest functions of every object the profile
 * matches by build-id, covering req->layout_permille of the samples that
 * fall in functions, ordered by C3 per object (densest object first).
 * With --move=all (a test mode): every function of every selected object
 * that passes the mover's rules, in address order.
 * Each neighbourhood of objects within 1 GB of each other gets one island:
 * an anonymous r-x mapping on 2 MB pages within reach (rel32) of all their
 * code and data, followed by a read-only mapping with the copies' unwind
 * records. The island's group runs before every text group.
 * Must never: move a function the mover refuses, or plan an island that
 * overlaps anything mapped or a keep-out zone (common/placement.h).
 */
#ifndef HP_LAYOUT_H
#define HP_LAYOUT_H

#include "planner.h"

struct hp_hot;

/* What the text planner must know about an installed layout. */
struct hp_layout {
	uint64_t *patches;   /* addresses of entry patches, sorted */
	size_t n_patches;
	struct hx_vma *islands; /* the islands' mappings, to keep staging off them */
	size_t n_islands;
};

/* Add the layout's groups (if any) to p; notes for -vv, the summary in
 * p->layout_str. No layout is not an error. */
int hp_layout_build(const struct hp_input *in, const struct hp_hot *hot, struct hx_plan *p,
		    struct hp_layout *out, char **notes) HX_WUR;
void hp_layout_free(struct hp_layout *l);

/* Does [a, a+len) hold an entry patch? */
bool hp_layout_patched(const struct hp_layout *l, uint64_t a, uint64_t len);

#endif

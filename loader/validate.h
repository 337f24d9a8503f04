/*
 * validate.h - may this plan run against this target?
 *
 * Pure: the decoded plan and the target's mappings at the entry stop in,
 * a verdict out. The plan comes from the helper, which parses files an
 * attacker may have shaped, so nothing in it is trusted: every step is
 * simulated on a model of the address space, and each group must touch
 * only its own region (an r-x private file mapping of the target) and
 * staging areas it created in free space, never leave anything writable and
 * executable at once, swap by moving the original aside first, and end with
 * the address space as it found it (apart from the region's backing).
 * Must never: accept a step it has not simulated.
 */
#ifndef LD_VALIDATE_H
#define LD_VALIDATE_H

#include "../common/maps.h"
#include "../common/plan.h"

int ld_plan_validate(const struct hx_plan *p, const struct hx_vmas *m, pid_t pid,
		     struct hx_err *e) HX_WUR;

#endif

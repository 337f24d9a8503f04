/*
 * validate.h - may this plan run against this target?
 *
 * Pure: the decoded plan and the target's mappings at the entry stop in,
 * a verdict out. The plan comes from the helper, which parses files an
 * attacker may have shaped, so nothing in it is trusted: every step is
 * simulated on a model of the address space, and each group must touch
 * only its own region (2 MB-aligned text inside one r-x private file
 * mapping of the target, or an --align=aggressive window of one file's
 * read-only pages) and staging areas it created in free space away from the
 * stack and heap (placement.h), never leave anything writable and
 * executable at once, swap by moving the original aside first, stay within
 * the memory and hugetlb pages it may use, and end with the address space
 * as it found it (apart from the region's backing).
 * Must never: accept a step it has not simulated.
 */
#ifndef LD_VALIDATE_H
#define LD_VALIDATE_H

#include "../common/maps.h"
#include "../common/plan.h"

/* What the loader knows that bounds a plan, besides the target's mappings
 * (none of it comes from the helper). */
struct ld_plan_limits {
	uint64_t hugetlb_free;  /* free 2 MB hugetlb pages it saw (facts): the
				 * hugetlb mappings of all groups together */
	uint64_t stack_rlimit;  /* the target's RLIMIT_STACK soft limit in bytes,
				 * 0 if unknown (placement.h) */
	bool edge_windows;      /* --align=aggressive: HX_GROUP_EDGE groups allowed */
};

/* p against the target's smaps at the entry stop (m) and pid. 0, or
 * -EPERM/-EINVAL with the first rule broken in e. */
int ld_plan_check(const struct hx_plan *p, const struct hx_vmas *m, pid_t pid,
		  const struct ld_plan_limits *lim, struct hx_err *e) HX_WUR;

/* No limits: any number of hugetlb pages, edge windows allowed, stack
 * rlimit unknown. For callers that cannot know the limits (tests, the fuzz
 * target); the loader passes the limits it found. */
extern const struct ld_plan_limits LD_PLAN_ANY;

#endif

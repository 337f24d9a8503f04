/*
 * apply.h - run the validated plan, group by group, with rollback, and
 * verify (apply.c, verify.c).
 */
#ifndef LD_APPLY_H
#define LD_APPLY_H

#include "tracer.h"

/* 0, or the error that stopped it: -ENOTRECOVERABLE when the original
 * text could not be put back (the caller must not let the program run). */
int ld_apply(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

/* Everything the plan touches, into out[max] (its count): no page of ours
 * (a borrowed syscall instruction, a data page) may be there. */
size_t ld_plan_ranges(const struct hx_plan *p, struct inj_range *out, size_t max);

/* Was an entry patch in [lo, hi) left out (out->skip, attach)? */
bool ld_patch_skipped_in(const struct ld_outcome *out, uint64_t lo, uint64_t hi);
static inline bool ld_patch_skipped(const struct ld_outcome *out, uint64_t at)
{
	return ld_patch_skipped_in(out, at, at + 1);
}

#endif

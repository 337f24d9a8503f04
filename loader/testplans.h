/*
 * testplans.h - test builds only: what a compromised helper could ask for
 * (HUGEXEC_TEST_EVIL_PLAN=munmap-stack, mprotect-rwx, outside, overlap,
 * wrong-pid, null-region, stage-by-stack), made of the real plan before it
 * is validated. The validator must refuse every one. A no-op otherwise.
 */
#ifndef LD_TESTPLANS_H
#define LD_TESTPLANS_H

#include "tracer.h"

#ifdef HUGEXEC_TESTING
void ld_test_plan_corrupt(struct ld_tracer *tr);
#else
static inline void ld_test_plan_corrupt(struct ld_tracer *tr)
{
	(void)tr;
}
#endif

#endif

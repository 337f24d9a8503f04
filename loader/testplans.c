/*
 * testplans.c - corrupted plans for the validator's tests (testplans.h).
 */
#define _GNU_SOURCE
#include "testplans.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef HUGEXEC_TESTING
void ld_test_plan_corrupt(struct ld_tracer *tr)
{
	const char *kind = getenv("HUGEXEC_TEST_EVIL_PLAN");
	struct hx_plan *p = &tr->pl.plan;
	if (!kind || p->n_groups == 0)
		return;
	for (uint32_t i = 0; i < p->n_steps; i++) {
		struct hx_plan_step *s = &p->steps[i];
		if (strcmp(kind, "munmap-stack") == 0 && s->op == HX_OP_MUNMAP) {
			for (size_t k = 0; k < tr->pl.vmas.n; k++)
				if (tr->pl.vmas.v[k].kind == HX_VMA_STACK) {
					s->a[0] = tr->pl.vmas.v[k].start;
					s->a[1] = tr->pl.vmas.v[k].end - tr->pl.vmas.v[k].start;
				}
		}
		if (strcmp(kind, "mprotect-rwx") == 0 && s->op == HX_OP_MPROTECT)
			s->a[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
	}
	if (strcmp(kind, "outside") == 0) /* every alternative, so only the region is wrong */
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].addr = 0x200000;
	if (strcmp(kind, "overlap") == 0)
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].alt_of = -1;
	if (strcmp(kind, "wrong-pid") == 0)
		p->pid = 1;
	if (strcmp(kind, "null-region") == 0)
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].addr = 0;
	if (strcmp(kind, "stage-by-stack") == 0) /* every staging area just under [stack] */
		for (uint32_t i = 0; i < p->n_groups; i++) {
			struct hx_plan_group *g = &p->groups[i];
			uint64_t top = 0;
			for (size_t k = 0; k < tr->pl.vmas.n; k++)
				if (tr->pl.vmas.v[k].kind == HX_VMA_STACK)
					top = tr->pl.vmas.v[k].start;
			uint64_t ns = ((top - g->len) & ~((2ull << 20) - 1)) - (2ull << 20);
			for (uint32_t k = 0; g->staging && k < g->n_steps; k++) {
				uint64_t *a0 = &p->steps[g->first_step + k].a[0];
				if (*a0 >= g->staging && *a0 < g->staging + g->len)
					*a0 = *a0 - g->staging + ns;
			}
		}
}
#else
typedef int ld_testplans_unused; /* an empty file is not C */
#endif

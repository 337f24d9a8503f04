/*
 * placement.c - the keep-out zones of an address space, for temporary
 * mappings (see placement.h).
 *
 * Every zone is anchored on one mapping: the stack's growth gap ends at
 * the start of [stack]; a brk zone starts at the end of [heap] (or, with no
 * [heap] yet, at the end of each writable mapping, one of which is the
 * executable's bss). So a zone never lies strictly inside a free range
 * between two mappings, which is what lets hx_placement_clip cut from the
 * ends only.
 * Must never: depend on anything but the mappings and the stack gap.
 */
#define _GNU_SOURCE
#include "placement.h"

#include <sys/mman.h>

/* The x86-64 user address space with 4-level page tables (TASK_SIZE_MAX);
 * the kernel maps nothing above it unless asked with a hint. */
#define TASK_SIZE_47 (((uint64_t)1 << 47) - HX_PAGE)

uint64_t hx_stack_gap(uint64_t stack_rlimit)
{
	uint64_t max = TASK_SIZE_47 / 6 * 5; /* the kernel's gap_max */
	if (stack_rlimit < HX_STACK_GAP_MIN)
		return HX_STACK_GAP_MIN;
	return stack_rlimit > max ? max : stack_rlimit;
}

static bool have_heap(const struct hx_vmas *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == HX_VMA_HEAP)
			return true;
	return false;
}

struct hx_keepout hx_keepout_init(const struct hx_vmas *m, uint64_t stack_rlimit)
{
	return (struct hx_keepout){m, hx_stack_gap(stack_rlimit), have_heap(m)};
}

/* The zone [*lo, *hi) that mapping v anchors, if it anchors one. */
static bool zone_of(const struct hx_keepout *k, const struct hx_vma *v, uint64_t *lo,
		    uint64_t *hi)
{
	uint64_t above = 0;
	if (v->kind == HX_VMA_STACK) {
		*lo = v->start > k->stack_gap ? v->start - k->stack_gap : 0;
		*hi = v->start;
		return true;
	}
	if (v->kind == HX_VMA_HEAP)
		above = HX_HEAP_GAP;
	else if (!k->heap && (v->prot & PROT_WRITE))
		above = HX_BRK_RANDOM + HX_HEAP_GAP;
	if (!above)
		return false;
	*lo = v->end;
	*hi = v->end + above < v->end ? UINT64_MAX : v->end + above;
	return true;
}

bool hx_placement_ok(const struct hx_keepout *k, uint64_t addr, uint64_t len)
{
	if (addr < HX_MIN_ADDR || len == 0 || addr + len < addr)
		return false;
	const struct hx_vmas *m = k->m;
	uint64_t lo, hi;
	for (size_t i = 0; i < m->n; i++)
		if (zone_of(k, &m->v[i], &lo, &hi) && addr < hi && lo < addr + len)
			return false;
	return true;
}

bool hx_placement_clip(const struct hx_keepout *k, uint64_t *lo, uint64_t *hi)
{
	const struct hx_vmas *m = k->m;
	uint64_t zl, zh;
	if (*lo < HX_MIN_ADDR)
		*lo = HX_MIN_ADDR;
	/* mappings in address order: a zone reaching over *lo from below
	 * moves it up, one reaching over *hi from above moves it down */
	for (size_t i = 0; i < m->n && *lo < *hi; i++) {
		if (!zone_of(k, &m->v[i], &zl, &zh) || zh <= *lo || zl >= *hi)
			continue;
		if (zl <= *lo)
			*lo = zh;
		else /* zl inside: keep what lies below it (also if zh < *hi) */
			*hi = zl;
	}
	return *lo < *hi;
}

/*
 * verify.c - smaps and byte checks, and the per-region outcome.
 * Must never: write to the target.
 */
#define _GNU_SOURCE
#include "verify.h"
#include "apply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CMP_CHUNK ((size_t)2 << 20)

uint64_t ld_huge_bytes_in(const struct hx_vmas *m, uint64_t addr, uint64_t len)
{
	uint64_t huge = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (!hx_overlaps(addr, len, v->start, v->end - v->start))
			continue;
		if (v->start < addr || v->end > addr + len)
			return 0; /* a mapping sticks out: cannot attribute its pages */
		huge += hx_vma_huge_bytes(v);
	}
	return huge;
}

int ld_verify_huge(pid_t pid, uint64_t addr, uint64_t len, bool some, struct hx_err *e)
{
	struct hx_vmas m;
	int r = hx_vmas_read(pid, true, &m, e);
	if (r < 0)
		return r;
	uint64_t huge = ld_huge_bytes_in(&m, addr, len);
	hx_vmas_free(&m);
	if (huge < (some ? HX_HUGE : len))
		return hx_fail(e, -EAGAIN, "only %llu of %llu MB came on huge pages",
			       (unsigned long long)(huge >> 20), (unsigned long long)(len >> 20));
	return 0;
}

/* Compare n bytes at a and b of the target. */
static int same(struct inj_target *t, uint64_t a, uint64_t b, size_t n, uint8_t *x, uint8_t *y,
		struct hx_err *e)
{
	int r;
	if ((r = inj_read(t, a, x, n)) < 0 || (r = inj_read(t, b, y, n)) < 0)
		return hx_fail(e, r, "reading text back: %s", strerror(-r));
	if (memcmp(x, y, n) != 0)
		return hx_fail(e, -EILSEQ, "the copy differs from the original near +%#llx",
			       (unsigned long long)(a & (HX_HUGE - 1)));
	return 0;
}

int ld_verify_bytes(struct inj_target *t, uint64_t a, uint64_t b, uint64_t len, bool full,
		    struct hx_err *e)
{
	size_t chunk = full ? CMP_CHUNK : HX_PAGE;
	uint8_t *x = malloc(chunk), *y = malloc(chunk);
	int r = (x && y) ? 0 : hx_fail(e, -ENOMEM, "out of memory");
	for (uint64_t off = 0; off < len && r == 0;) {
		if (full) {
			size_t n = (size_t)(len - off < chunk ? len - off : chunk);
			r = same(t, a + off, b + off, n, x, y, e);
			off += n;
			continue;
		}
		/* Spot checks: first, last and one scattered page of each 2 MB:
		 * a shifted, truncated or zero-filled copy fails all of them. */
		uint64_t w = off / HX_HUGE, mid = ((w * 2654435761u) % 510 + 1) * HX_PAGE;
		const uint64_t probe[3] = {0, mid, HX_HUGE - HX_PAGE};
		for (int i = 0; i < 3 && r == 0; i++)
			if (off + probe[i] < len)
				r = same(t, a + off + probe[i], b + off + probe[i], HX_PAGE, x, y, e);
		off += HX_HUGE;
	}
	free(x);
	free(y);
	return r;
}

/* The group of gi's chain that succeeded, or -1. */
static int chain_winner(const struct ld_tracer *tr, uint32_t root)
{
	const struct hx_plan *p = &tr->pl.plan;
	int cur = (int)root;
	for (uint32_t i = root; i < p->n_groups; i++) {
		if (i != root && p->groups[i].alt_of != cur)
			continue;
		if (tr->out.groups[i].state == LD_G_OK)
			return (int)i;
		cur = (int)i;
	}
	return -1;
}

int ld_collect_results(struct ld_tracer *tr, struct hx_err *e)
{
	const struct hx_plan *p = &tr->pl.plan;
	struct hx_vmas m;
	int r = hx_vmas_read(tr->pid, true, &m, e);
	if (r < 0)
		return r;
	tr->out.regions = calloc(p->n_groups ? p->n_groups : 1, sizeof(*tr->out.regions));
	if (!tr->out.regions) {
		hx_vmas_free(&m);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	tr->out.n_regions = 0;
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct hx_plan_group *g = &p->groups[i];
		if (g->alt_of >= 0)
			continue;
		struct ld_region_result *rr = &tr->out.regions[tr->out.n_regions++];
		int w = chain_winner(tr, i);
		rr->addr = g->addr;
		rr->len = g->len;
		rr->path_str = g->path_str;
		rr->heat = g->heat;
		rr->edge = (g->flags & HX_GROUP_EDGE) != 0;
		rr->island = (g->flags & HX_GROUP_LAYOUT) != 0;
		rr->backing = w >= 0 ? p->groups[w].backing : HX_BACK_NONE;
		rr->huge_bytes = w >= 0 ? ld_huge_bytes_in(&m, g->addr, g->len) : 0;
		for (uint32_t k = 0; w >= 0 && rr->island && k < g->n_steps; k++) {
			const struct hx_plan_step *s = &p->steps[g->first_step + k];
			/* (its one patch: at the entry, or after an endbr64) */
			if (s->op == HX_OP_MOVED && !ld_patch_skipped_in(&tr->out, s->a[0],
									 s->a[0] + s->a[2])) {
				rr->functions++;
				rr->moved_bytes += s->a[2];
			}
		}
	}
	hx_vmas_free(&m);
	return 0;
}

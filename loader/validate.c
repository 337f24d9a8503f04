/*
 * validate.c - simulate every group of a plan on a model of the target's
 * address space and refuse anything outside the rules (see validate.h).
 *
 * A group's region is 2 MB aligned, at or above 2 MB, and made of pieces:
 * the mappings found in it at the entry stop. Normally the region lies
 * inside one r-x private file mapping and is one piece (any 2 MB-aligned
 * part of the mapping: the planner may split one into several regions).
 * An edge window (HX_GROUP_EDGE, --align=aggressive only) is one 2 MB
 * window whose pieces are r-x and r-- private mappings of one file, at
 * least one r-x; only there may part of a region be unmapped, and only
 * there do read-only pages become executable. File groups work on a region
 * of one r-x piece in place. Copy groups build a staging area in free space
 * (never below 2 MB, in the stack's growth gap or above the heap:
 * placement.h) no longer than the region, copy each
 * piece to the same offset in it, seal it r-x, move every piece aside (to
 * the same offset of an aside range, keeping 2 MB congruence), move the
 * copy in, verify each piece against its original, and finally unmap the
 * aside range (the commit: nothing may follow it).
 * Groups are independent: each one leaves the address space as it found it
 * except for its region's backing, and an alternative runs only after the
 * group before it was rolled back. So every group is simulated from the
 * entry-time model. The plan as a whole is bounded: its regions by the
 * target's r-x text, its hugetlb mappings by the free pages the loader saw.
 * Must never: let a plan map, move, unmap or advise memory that is not its
 * region or its own staging; allow W+X; allow a step after the commit.
 */
#define _GNU_SOURCE
#include "validate.h"
#include "island.h"
#include "../common/kernel.h"
#include "../common/placement.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_PIECES 8
#define MAX_RANGES 16

enum mk { MK_STAGE, MK_ASIDE };

struct mr {
	uint64_t start, len;
	uint32_t prot;
	enum mk kind;
	int piece;       /* for MK_ASIDE: which piece lives here */
	uint32_t copied; /* for MK_STAGE: pieces copied into it (bit i = piece i) */
};

struct piece {
	uint64_t start, len;
	const struct hx_vma *vma;
	bool vacated;
	bool verified;   /* compared with its original after the swap */
};

/* The simulated state of one group. */
struct model {
	const struct hx_vmas *entry;  /* the target at the entry stop */
	uint64_t t, tl;               /* the region */
	struct piece pc[MAX_PIECES];  /* its mapped parts at entry */
	size_t npc;
	bool new_text;                /* a copy now sits at t */
	bool committed;               /* the originals are gone: no more steps */
	uint64_t top;                 /* nothing may be planned above this */
	struct mr v[MAX_RANGES];      /* staging and aside ranges */
	size_t n;
	unsigned undo;                /* executor undo-log entries needed so far */
	uint64_t aside;               /* where the region's originals go (base) */
	bool have_aside;
	struct hx_keepout keep;       /* where temporaries may not go (placement.h) */
	bool staged;                  /* the group mapped its staging area */
	const char *why;              /* what the refused step broke, if known */
};

static const uint64_t WX = PROT_WRITE | PROT_EXEC;

static int find_exact(const struct model *m, uint64_t a, uint64_t l, enum mk kind)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].start == a && m->v[i].len == l && m->v[i].kind == kind)
			return (int)i;
	return -1;
}

static int find_piece(const struct model *m, uint64_t a, uint64_t l)
{
	for (size_t i = 0; i < m->npc; i++)
		if (m->pc[i].start == a && m->pc[i].len == l)
			return (int)i;
	return -1;
}

static bool all_vacated(const struct model *m, bool want)
{
	for (size_t i = 0; i < m->npc; i++)
		if (m->pc[i].vacated != want)
			return false;
	return true;
}

static bool at_home(const struct model *m)
{
	return !m->new_text && all_vacated(m, false);
}

/* Free now: no entry mapping, nothing of the region, no range of ours,
 * below the highest mapping. */
static bool is_free(const struct model *m, uint64_t a, uint64_t l)
{
	if (!hx_vmas_range_free(m->entry, a, l) || hx_overlaps(a, l, m->t, m->tl) || a + l < a ||
	    a + l > m->top)
		return false;
	for (size_t i = 0; i < m->n; i++)
		if (hx_overlaps(a, l, m->v[i].start, m->v[i].len))
			return false;
	return true;
}

/* A fit place for a temporary mapping (placement.h), which may outlive
 * the plan if its commit fails. */
static bool placed(struct model *m, uint64_t a, uint64_t l)
{
	if (hx_placement_ok(&m->keep, a, l))
		return true;
	m->why = "below 2 MB, in the stack's growth gap or in the heap's room";
	return false;
}

static bool is_region(const struct model *m, uint64_t a, uint64_t l)
{
	return a == m->t && l == m->tl;
}

static int add_range(struct model *m, uint64_t a, uint64_t l, uint32_t prot, enum mk k, int piece)
{
	if (m->n == MAX_RANGES)
		return -EINVAL;
	m->v[m->n++] = (struct mr){a, l, prot, k, piece, 0};
	return 0;
}

static int do_mmap(struct model *m, const struct hx_plan_step *s, uint32_t backing)
{
	uint64_t base = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	uint64_t want = backing == HX_BACK_HUGETLB ? base | MAP_HUGETLB | MAP_HUGE_2MB : base;
	uint64_t prot = s->a[2];
	if (s->a[3] != want || (prot != (PROT_READ | PROT_WRITE) && prot != (PROT_READ | PROT_EXEC)))
		return -EINVAL;
	if (s->a[1] != m->tl || !hx_is_aligned(s->a[0], HX_HUGE) || !is_free(m, s->a[0], s->a[1]) ||
	    !placed(m, s->a[0], s->a[1]))
		return -EINVAL;
	/* all the staging a group maps, together, is at most one region's
	 * worth (what populate and collapse may fill): as each staging area
	 * is the region's length, only one */
	if (m->staged) {
		m->why = "more staging than the region's length";
		return -EINVAL;
	}
	m->staged = true;
	m->undo++;
	return add_range(m, s->a[0], s->a[1], (uint32_t)prot, MK_STAGE, -1);
}

/* Unmapping a staging area, or - the commit - exactly the aside range that
 * holds all the originals, once the copy is in place and every piece was
 * verified against its original. */
static int do_munmap(struct model *m, const struct hx_plan_step *s)
{
	uint64_t a = s->a[0], l = s->a[1];
	int i = find_exact(m, a, l, MK_STAGE);
	if (i >= 0) {
		m->v[i] = m->v[--m->n];
		return 0;
	}
	if (!m->new_text || !m->have_aside || a != m->aside || l != m->tl ||
	    !hx_vmas_range_free(m->entry, a, l) || m->n != m->npc)
		return -EINVAL;
	for (size_t k = 0; k < m->npc; k++)
		if (!m->pc[k].verified)
			return -EINVAL;
	for (size_t k = 0; k < m->n; k++) /* only asides are left, all inside */
		if (m->v[k].kind != MK_ASIDE || m->v[k].start < a || m->v[k].start + m->v[k].len > a + l)
			return -EINVAL;
	m->n = 0;
	m->committed = true;
	return 0;
}

static int do_mprotect(struct model *m, const struct hx_plan_step *s)
{
	int i = find_exact(m, s->a[0], s->a[1], MK_STAGE);
	uint64_t p = s->a[2];
	if (i < 0 || (p & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC)) || (p & WX) == WX ||
	    !(p & PROT_READ))
		return -EINVAL;
	m->v[i].prot = (uint32_t)p;
	return 0;
}

static int do_madvise(struct model *m, const struct hx_plan_step *s, uint32_t backing)
{
	uint64_t a = s->a[0], l = s->a[1];
	bool stage = find_exact(m, a, l, MK_STAGE) >= 0;
	int pi = find_piece(m, a, l);
	bool piece_home = pi >= 0 && !m->pc[pi].vacated && !m->new_text;
	bool region = is_region(m, a, l) && (m->new_text || (at_home(m) && m->npc == 1));
	switch (s->a[2]) {
	case MADV_HUGEPAGE:
	case MADV_POPULATE_READ:
	case MADV_COLLAPSE:
		return (stage || piece_home || region) ? 0 : -EINVAL;
	case MADV_DONTNEED:
		/* Only clean file text: an anonymous (modified) page would be lost. */
		if (backing != HX_BACK_FILE || !region || m->new_text || !hx_vma_clean(m->pc[0].vma))
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

static int do_mremap(struct model *m, const struct hx_plan_step *s)
{
	uint64_t old = s->a[0], len = s->a[1], nw = s->a[2];
	int pi = find_piece(m, old, len);
	m->undo++;
	if (pi >= 0 && !m->pc[pi].vacated && !m->new_text) {
		/* an original moves aside into free space, all of them at the
		 * same offsets from one base (2 MB aligned) as in the region */
		uint64_t base = nw - (old - m->t);
		if ((m->have_aside && base != m->aside) || !hx_is_aligned(base, HX_HUGE) ||
		    !is_free(m, nw, len) || base + m->tl < base || !hx_vmas_range_free(m->entry, base, m->tl) ||
		    !placed(m, base, m->tl) ||
		    add_range(m, nw, len, m->pc[pi].vma->prot, MK_ASIDE, pi) < 0)
			return -EINVAL;
		m->aside = base;
		m->have_aside = true;
		m->pc[pi].vacated = true;
		return 0;
	}
	int i = find_exact(m, old, len, MK_STAGE);
	uint32_t all = (1u << m->npc) - 1;
	if (i >= 0 && is_region(m, nw, len) && all_vacated(m, true) && !m->new_text &&
	    m->v[i].prot == (PROT_READ | PROT_EXEC) && m->v[i].copied == all) {
		/* a sealed copy of every piece moves into the emptied region */
		m->v[i] = m->v[--m->n];
		m->new_text = true;
		return 0;
	}
	return -EINVAL;
}

static int do_copy(struct model *m, const struct hx_plan_step *s, bool tracer)
{
	uint64_t dst = s->a[0], src = s->a[1], len = s->a[2];
	int pi = find_piece(m, src, len);
	if (pi < 0 || m->pc[pi].vacated || m->new_text)
		return -EINVAL;
	for (size_t i = 0; i < m->n; i++) {
		struct mr *r = &m->v[i];
		if (r->kind != MK_STAGE || dst != r->start + (src - m->t))
			continue;
		if (!tracer && !(r->prot & PROT_WRITE))
			return -EINVAL;
		r->copied |= 1u << pi;
		return 0;
	}
	return -EINVAL;
}

static int do_verify(struct model *m, const struct hx_plan_step *s)
{
	int pi = find_piece(m, s->a[0], s->a[2]);
	int ai = find_exact(m, s->a[1], s->a[2], MK_ASIDE);
	if (pi < 0 || ai < 0 || m->v[ai].piece != pi || !m->new_text)
		return -EINVAL;
	m->pc[pi].verified = true;
	return 0;
}

/* Only steps whose failure leaves nothing to undo may be optional: the
 * executor skips a failed optional step and goes on. */
static bool may_be_optional(const struct model *m, const struct hx_plan_step *s)
{
	switch (s->op) {
	case HX_OP_MADVISE: return s->a[2] == MADV_POPULATE_READ || s->a[2] == MADV_COLLAPSE;
	case HX_OP_NAME: return true;
	case HX_OP_MUNMAP: return find_exact(m, s->a[0], s->a[1], MK_STAGE) < 0; /* the commit */
	default: return false;
	}
}

static int step(struct model *m, const struct hx_plan *p, const struct hx_plan_group *g,
		const struct hx_plan_step *s)
{
	if (m->committed || ((s->flags & HX_STEP_OPTIONAL) && !may_be_optional(m, s)))
		return -EINVAL;
	bool file = g->backing == HX_BACK_FILE;
	switch (s->op) {
	case HX_OP_MMAP: return file ? -EINVAL : do_mmap(m, s, g->backing);
	case HX_OP_MUNMAP: return file ? -EINVAL : do_munmap(m, s);
	case HX_OP_MPROTECT: return file ? -EINVAL : do_mprotect(m, s);
	case HX_OP_MADVISE: return do_madvise(m, s, g->backing);
	case HX_OP_MREMAP: return file ? -EINVAL : do_mremap(m, s);
	case HX_OP_COPY:
	case HX_OP_READ_FILE: return file ? -EINVAL : do_copy(m, s, false);
	case HX_OP_TRACER_COPY: return file ? -EINVAL : do_copy(m, s, true);
	case HX_OP_VERIFY: return file ? -EINVAL : do_verify(m, s);
	case HX_OP_NAME:
		return (is_region(m, s->a[0], s->a[1]) && m->new_text &&
			hx_anon_name_ok(hx_plan_str(p, (uint32_t)s->a[2]))) ? 0 : -EINVAL;
	case HX_OP_EVICT:
		return (file && is_region(m, s->a[0], s->a[1]) && at_home(m) && m->npc == 1) ? 0
											    : -EINVAL;
	case HX_OP_CHECK_HUGE:
		return ((is_region(m, s->a[0], s->a[1]) && (m->new_text || (file && at_home(m)))) ||
			find_exact(m, s->a[0], s->a[1], MK_STAGE) >= 0) ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* Common shape of every (addr, len) a step names. */
static bool step_ranges_ok(const struct hx_plan_step *s)
{
	uint64_t a = s->a[0], l = (s->op == HX_OP_COPY || s->op == HX_OP_TRACER_COPY ||
				   s->op == HX_OP_READ_FILE ||
				   s->op == HX_OP_VERIFY) ? s->a[2] : s->a[1];
	return l != 0 && hx_is_aligned(a, HX_PAGE) && hx_is_aligned(l, HX_PAGE) && a + l > a;
}


/* An edge window's pieces: only r-x and r-- private mappings of one file,
 * at least one r-x. NULL, or why not. */
static const char *window_pieces(struct model *m, const struct hx_plan_group *g)
{
	const struct hx_vma *first = NULL;
	bool exec = false;
	for (size_t i = 0; i < m->entry->n; i++) {
		const struct hx_vma *v = &m->entry->v[i];
		if (!hx_overlaps(g->addr, g->len, v->start, v->end - v->start))
			continue;
		bool ro = v->kind == HX_VMA_FILE && !v->shared && v->prot == PROT_READ;
		if ((!ro && !hx_vma_is_text(v)) || (first && !hx_vma_same_file(first, v)))
			return "an edge window may hold only r-x and r-- private pages of one file";
		if (m->npc == MAX_PIECES)
			return "an edge window of too many pieces";
		first = first ? first : v;
		exec |= hx_vma_is_text(v);
		uint64_t a = v->start > g->addr ? v->start : g->addr;
		uint64_t b = v->end < g->addr + g->len ? v->end : g->addr + g->len;
		m->pc[m->npc++] = (struct piece){a, b - a, v, false, false};
	}
	return exec ? NULL : "an edge window without r-x text";
}

/* Cut the region into pieces. NULL, or why it is not the program's text. */
static const char *pieces_of(struct model *m, const struct hx_plan_group *g,
			     const struct ld_plan_limits *lim)
{
	if (!g->len || !hx_is_aligned(g->addr, HX_HUGE) || !hx_is_aligned(g->len, HX_HUGE) ||
	    g->addr + g->len < g->addr)
		return "not 2 MB aligned";
	if (g->addr < HX_MIN_ADDR)
		return "below 2 MB";
	if (g->flags & HX_GROUP_EDGE) {
		if (!lim->edge_windows)
			return "an edge window without --align=aggressive";
		if (g->len != HX_HUGE || g->backing == HX_BACK_FILE)
			return "an edge window is one 2 MB window, always copied";
		return window_pieces(m, g);
	}
	/* one piece: all of the region is inside one r-x mapping */
	const struct hx_vma *v = hx_vmas_find(m->entry, g->addr);
	if (!v || !hx_vma_is_text(v) || g->addr + g->len > v->end)
		return "not inside one r-x private file mapping";
	m->pc[m->npc++] = (struct piece){g->addr, g->len, v, false, false};
	return NULL;
}

static uint64_t top_of(const struct hx_vmas *m)
{
	uint64_t top = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind != HX_VMA_VSYSCALL && m->v[i].end > top)
			top = m->v[i].end;
	return top;
}

/* One group on a copy of the entry-time model base (no region, no steps
 * yet). */
static int check_group(const struct hx_plan *p, uint32_t gi, const struct model *base,
		       const struct ld_plan_limits *lim, struct hx_err *e)
{
	const struct hx_plan_group *g = &p->groups[gi];
	if (g->flags & HX_GROUP_LAYOUT)
		return ld_island_check_shape(p, gi, base->entry, &base->keep, e);
	struct model m = *base;
	m.t = g->addr;
	m.tl = g->len;
	const char *why = pieces_of(&m, g, lim);
	if (why)
		return hx_fail(e, -EINVAL, "plan group %u: region %#llx+%#llx is not made of the "
			       "program's own text: %s", gi, (unsigned long long)g->addr,
			       (unsigned long long)g->len, why);
	for (uint32_t k = 0; k < g->n_steps; k++) {
		const struct hx_plan_step *s = &p->steps[g->first_step + k];
		if (!step_ranges_ok(s) || step(&m, p, g, s) < 0)
			return hx_fail(e, -EPERM, "plan group %u step %u (%s %#llx %#llx %#llx): "
				       "not allowed%s%s", gi, k, hx_op_name(s->op),
				       (unsigned long long)s->a[0], (unsigned long long)s->a[1],
				       (unsigned long long)s->a[2], m.why ? ": " : "", m.why ? m.why : "");
	}
	bool done = g->backing == HX_BACK_FILE ? at_home(&m) : (m.new_text && m.committed);
	if (m.undo > HX_PLAN_MAX_UNDO)
		return hx_fail(e, -EPERM, "plan group %u changes the address space too often", gi);
	if (!done || m.n != 0)
		return hx_fail(e, -EPERM, "plan group %u does not end with the address space "
			       "restored and its region in place", gi);
	return 0;
}

/* Regions of different chains must not overlap; alternatives share theirs. */
static int check_chains(const struct hx_plan *p, struct hx_err *e)
{
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct hx_plan_group *g = &p->groups[i];
		if (g->alt_of >= 0) {
			/* chains are linear and consecutive: an alternative follows
			 * the one it replaces, so at most one of a chain succeeds */
			const struct hx_plan_group *a = &p->groups[g->alt_of];
			if ((uint32_t)g->alt_of != i - 1)
				return hx_fail(e, -EPERM, "plan group %u: alternative of group %d, "
					       "not of the one before it", i, g->alt_of);
			if (a->addr != g->addr || a->len != g->len)
				return hx_fail(e, -EPERM, "plan group %u: alternative for another region", i);
			continue;
		}
		for (uint32_t j = 0; j < i; j++)
			if (hx_overlaps(g->addr, g->len, p->groups[j].addr, p->groups[j].len))
				return hx_fail(e, -EPERM, "plan groups %u and %u overlap", j, i);
	}
	return 0;
}

/* All regions together are at most the target's text: each r-x private
 * file mapping rounded out to 2 MB (its interior and its edge windows).
 * The per-group rules and check_chains already imply it; this keeps the
 * plan's size bounded even if one of them is loosened. */
static int check_size(const struct hx_plan *p, const struct hx_vmas *m, struct hx_err *e)
{
	uint64_t max = 0, sum = 0;
	for (size_t i = 0; i < m->n; i++)
		if (hx_vma_is_text(&m->v[i]))
			max += hx_align_up(m->v[i].end, HX_HUGE) - hx_align_down(m->v[i].start, HX_HUGE);
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct hx_plan_group *g = &p->groups[i];
		if (g->alt_of >= 0 || (g->flags & HX_GROUP_LAYOUT))
			continue; /* the same region as its chain's first group; an island
				   * is bounded by its own rules */
		if (g->len > max - sum)
			return hx_fail(e, -EPERM, "plan regions cover more than the program's %llu MB "
				       "of text", (unsigned long long)(max >> 20));
		sum += g->len;
	}
	return 0;
}

int ld_plan_check(const struct hx_plan *p, const struct hx_vmas *m, pid_t pid,
		  const struct ld_plan_limits *lim, struct hx_err *e)
{
	if (p->pid != pid)
		return hx_fail(e, -EPERM, "plan is for PID %d, not %d", p->pid, (int)pid);
	int r = check_chains(p, e);
	/* the same for every group: what the target looked like at entry */
	struct model base;
	memset(&base, 0, sizeof(base));
	base.entry = m;
	base.top = top_of(m);
	base.keep = hx_keepout_init(m, lim->stack_rlimit);
	/* every group's hugetlb staging from one pool: the planner's budget */
	uint64_t used = 0;
	for (uint32_t i = 0; i < p->n_groups && r == 0; i++) {
		r = check_group(p, i, &base, lim, e);
		/* a copy group that passed mapped exactly one staging area of
		 * its region's length (do_mmap): on hugetlb, that many pages */
		const struct hx_plan_group *g = &p->groups[i];
		uint64_t pages = g->backing == HX_BACK_HUGETLB ? g->len / HX_HUGE : 0;
		if (r == 0 && pages > lim->hugetlb_free - used)
			r = hx_fail(e, -EPERM, "plan group %u: more hugetlb pages than the %llu free",
				    i, (unsigned long long)lim->hugetlb_free);
		used += pages;
	}
	if (r == 0)
		r = ld_island_check_all(p, e);
	return r ? r : check_size(p, m, e);
}

const struct ld_plan_limits LD_PLAN_ANY = {.hugetlb_free = UINT64_MAX, .edge_windows = true};

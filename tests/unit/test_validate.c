/* test_validate.c - the loader's plan validator against malicious plans.
 * A good plan comes from the planner, or is built by hand the way the
 * planner builds it; each test breaks one rule and checks that it is that
 * rule that refuses the plan. */
#include "fixtures.h"
#include "../../common/kernel.h"
#include "../../common/placement.h"
#include "../../loader/validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define PID 4242

/* Steps of the planner's THP copy group, by position. */
enum { S_MMAP, S_HUGEPAGE, S_POPULATE, S_COPY, S_SEAL, S_COLLAPSE, S_CHECK, S_ASIDE, S_SWAP,
       S_VERIFY, S_NAME, S_COMMIT, S_COUNT };

struct fx {
	struct hx_vmas smaps;
	struct hx_plan plan; /* one THP group for the main executable */
};

/* FIX_PIE_MAPS as smaps, with anon_kb in the executable's text mapping. */
static void load_smaps(struct hx_vmas *m, unsigned anon_kb)
{
	assert_int_equal(fix_parse_smaps(FIX_PIE_MAPS, FIX_PIE_TEXT_LO, anon_kb, m), 0);
}

static void setup_aligned(struct fx *f, uint32_t mode, uint32_t align)
{
	struct hx_vmas maps;
	assert_int_equal(hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &maps), 0);
	struct hx_req_header rq = {.pid = PID, .entry = FIX_PIE_ENTRY, .interp_base = FIX_PIE_INTERP,
				   .min_size = 2u << 20, .backing_mode = mode, .align = align,
				   .thp_mode = HX_THP_MADVISE, .hugetlb_free = 100};
	struct hp_file files[] = {fix_file(1180, 0x1000, 0x2002000)};
	struct hp_input in = {.req = &rq, .only = "", .exclude = "", .vmas = &maps, .files = files,
			      .n_files = 1};
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&in, &f->plan, &e), 0);
	hx_vmas_free(&maps);
	load_smaps(&f->smaps, 0);
}

static void setup(struct fx *f, uint32_t mode)
{
	setup_aligned(f, mode, HX_ALIGN_CONSERVATIVE);
}

static void teardown(struct fx *f)
{
	hx_plan_free(&f->plan);
	hx_vmas_free(&f->smaps);
}

static int check(struct fx *f)
{
	struct hx_err e = {0};
	int r = ld_plan_check(&f->plan, &f->smaps, PID, &LD_PLAN_ANY, &e);
	if (r)
		assert_true(e.msg[0] != '\0');
	return r;
}

static struct hx_plan_step *step(struct fx *f, int i)
{
	assert_int_equal(f->plan.n_groups, 1);
	assert_int_equal(f->plan.n_steps, S_COUNT);
	return &f->plan.steps[i];
}

static void test_validate_accepts_planner_plans(void **state)
{
	(void)state;
	uint32_t modes[] = {HX_MODE_AUTO, HX_MODE_THP, HX_MODE_HUGETLB};
	for (size_t i = 0; i < HX_ARRAY_LEN(modes); i++) {
		struct fx f;
		setup(&f, modes[i]);
		assert_true(f.plan.n_groups >= 1);
		assert_int_equal(check(&f), 0);
		teardown(&f);
	}
}

/* Break one thing in a fresh THP plan; the validator must refuse. */
#define REFUSE(what)                                  \
	do {                                          \
		struct fx f;                          \
		setup(&f, HX_MODE_THP);               \
		{ what; }                             \
		assert_int_not_equal(check(&f), 0);   \
		teardown(&f);                         \
	} while (0)

static void test_validate_refuses_wx(void **state)
{
	(void)state;
	REFUSE(step(&f, S_MMAP)->a[2] = PROT_READ | PROT_WRITE | PROT_EXEC);
	REFUSE(step(&f, S_SEAL)->a[2] = PROT_READ | PROT_WRITE | PROT_EXEC);
	/* the copy swapped in while still writable */
	REFUSE(step(&f, S_SEAL)->a[2] = PROT_READ | PROT_WRITE);
	/* the self-copy needs a writable staging */
	REFUSE(step(&f, S_MMAP)->a[2] = PROT_READ | PROT_EXEC);
}

static void test_validate_refuses_foreign_memory(void **state)
{
	(void)state;
	/* munmap of the stack, or of any mapping that is not ours */
	REFUSE(step(&f, S_COMMIT)->a[0] = 0x7ffd6a1a4000; step(&f, S_COMMIT)->a[1] = 0x21000);
	/* staging on top of the heap */
	REFUSE(step(&f, S_MMAP)->a[0] = 0x55a1e4000000);
	/* staging on the vDSO */
	REFUSE(step(&f, S_MMAP)->a[0] = 0x7ffd6a000000);
	/* the original moved onto libc */
	REFUSE(step(&f, S_ASIDE)->a[2] = 0x7f3c8e200000);
	/* madvise of writable data */
	REFUSE(step(&f, S_POPULATE)->a[0] = 0x55a1e3e13000; step(&f, S_POPULATE)->a[1] = 0x2000);
	/* copy from somewhere else than the region */
	REFUSE(step(&f, S_COPY)->a[1] = 0x7f3c8e24e000);
	/* staging above every mapping (outside the address space we know) */
	REFUSE(step(&f, S_MMAP)->a[0] = 0x7fffffe00000);
}

static void test_validate_refuses_bad_regions(void **state)
{
	(void)state;
	/* a region outside the program's text: the stack */
	REFUSE(f.plan.groups[0].addr = 0x7ffd6a000000);
	/* a region that runs past the end of the text mapping */
	REFUSE(f.plan.groups[0].len += 2u << 20);
	/* not 2 MB aligned */
	REFUSE(f.plan.groups[0].addr += 4096);
	/* the vDSO's neighbourhood, libc (too small, not aligned) */
	REFUSE(f.plan.groups[0].addr = 0x7f3c8e24e000);
	/* wrong target */
	REFUSE(f.plan.pid = 1);
}

static void test_validate_refuses_bad_swaps(void **state)
{
	(void)state;
	/* moving the copy in before the original is out of the way */
	REFUSE(struct hx_plan_step t = *step(&f, S_ASIDE); *step(&f, S_ASIDE) = *step(&f, S_SWAP);
	       *step(&f, S_SWAP) = t);
	/* moving the copy somewhere else than the region */
	REFUSE(step(&f, S_SWAP)->a[2] = 0x100000000000);
	/* moving the region to an occupied place */
	REFUSE(step(&f, S_ASIDE)->a[2] = FIX_PIE_TEXT_LO & ~0x1fffffull);
	/* unmapping the original before the copy is in place */
	REFUSE(*step(&f, S_VERIFY) = *step(&f, S_COMMIT); step(&f, S_SWAP)->op = HX_OP_CHECK_HUGE;
	       step(&f, S_SWAP)->a[0] = step(&f, S_MMAP)->a[0]);
	/* a step after the commit */
	REFUSE(*step(&f, S_NAME) = *step(&f, S_COMMIT); *step(&f, S_COMMIT) = *step(&f, S_HUGEPAGE));
	/* never committing: the group would leave the old text mapped aside */
	REFUSE(step(&f, S_COMMIT)->op = HX_OP_CHECK_HUGE; step(&f, S_COMMIT)->a[0] = FIX_PIE_TEXT_LO);
	/* leaving the staging mapped */
	REFUSE(step(&f, S_SWAP)->op = HX_OP_MADVISE; step(&f, S_SWAP)->a[2] = MADV_HUGEPAGE);
	/* verify against something that is not the original */
	REFUSE(step(&f, S_VERIFY)->a[1] = step(&f, S_MMAP)->a[0]);
}

static void test_validate_refuses_bad_advice_and_names(void **state)
{
	(void)state;
	REFUSE(step(&f, S_HUGEPAGE)->a[2] = MADV_DONTFORK);
	REFUSE(step(&f, S_HUGEPAGE)->a[2] = MADV_REMOVE);
	REFUSE(step(&f, S_HUGEPAGE)->a[2] = MADV_DONTNEED); /* in a copy group */
	REFUSE(step(&f, S_POPULATE)->op = HX_OP_EVICT);      /* in a copy group */
	REFUSE(uint32_t off; assert_int_equal(hx_plan_add_string(&f.plan, "x[1]", &off), 0);
	       step(&f, S_NAME)->a[2] = off);
	REFUSE(step(&f, S_MMAP)->a[3] |= MAP_SHARED);
	REFUSE(step(&f, S_MMAP)->a[3] &= ~(uint64_t)MAP_FIXED_NOREPLACE);
	REFUSE(step(&f, S_MMAP)->a[3] |= MAP_HUGETLB); /* THP group with a hugetlb mapping */
}

static void test_validate_refuses_unsafe_swaps(void **state)
{
	(void)state;
	/* swapping in a staging area nothing was copied into */
	REFUSE(step(&f, S_COPY)->op = HX_OP_CHECK_HUGE; step(&f, S_COPY)->a[0] = step(&f, S_MMAP)->a[0];
	       step(&f, S_COPY)->a[1] = step(&f, S_MMAP)->a[1]);
	/* committing without verifying the piece */
	REFUSE(step(&f, S_VERIFY)->op = HX_OP_CHECK_HUGE; step(&f, S_VERIFY)->a[1] = step(&f, S_VERIFY)->a[2]);
	/* optional steps that would leave a half-done swap behind */
	REFUSE(step(&f, S_ASIDE)->flags = HX_STEP_OPTIONAL);
	REFUSE(step(&f, S_SWAP)->flags = HX_STEP_OPTIONAL);
	REFUSE(step(&f, S_SEAL)->flags = HX_STEP_OPTIONAL);
	REFUSE(step(&f, S_COPY)->flags = HX_STEP_OPTIONAL);
	REFUSE(step(&f, S_VERIFY)->flags = HX_STEP_OPTIONAL);
	REFUSE(step(&f, S_HUGEPAGE)->flags = HX_STEP_OPTIONAL);
	/* a commit wider than the aside range (it could take our own pages) */
	REFUSE(step(&f, S_COMMIT)->a[1] *= 64);
	REFUSE(step(&f, S_COMMIT)->a[0] -= 2u << 20);
}

static void test_validate_refuses_branching_chains(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HX_MODE_THP);
	/* g1 and g2 both alternatives of g0: if g0 fails, both would run */
	for (int copy = 0; copy < 2; copy++) {
		struct hx_plan_group g = f.plan.groups[0];
		g.alt_of = 0;
		assert_int_equal(hx_plan_add_group(&f.plan, &g), 0);
		for (int i = 0; i < S_COUNT; i++) {
			struct hx_plan_step s = f.plan.steps[i];
			assert_int_equal(hx_plan_add_step(&f.plan, s.op, s.flags, s.a[0], s.a[1], s.a[2], s.a[3]), 0);
		}
		hx_plan_close_group(&f.plan);
	}
	assert_int_not_equal(check(&f), 0);
	f.plan.groups[2].alt_of = 1; /* a linear chain is fine */
	assert_int_equal(check(&f), 0);
	teardown(&f);
}

static void test_validate_refuses_restaging(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HX_MODE_THP);
	/* a group that maps and unmaps its staging over and over first: more
	 * staging than one region (and, further on, more undo-log entries
	 * than the executor keeps) */
	struct hx_plan p;
	hx_plan_init(&p, PID);
	assert_int_equal(hx_plan_add_group(&p, &f.plan.groups[0]), 0);
	for (unsigned i = 0; i <= HX_PLAN_MAX_UNDO; i++) {
		struct hx_plan_step mm = f.plan.steps[S_MMAP];
		assert_int_equal(hx_plan_add_step(&p, mm.op, 0, mm.a[0], mm.a[1], mm.a[2], mm.a[3]), 0);
		assert_int_equal(hx_plan_add_step(&p, HX_OP_MUNMAP, 0, mm.a[0], mm.a[1], 0, 0), 0);
	}
	for (int i = 0; i < S_COUNT; i++) {
		struct hx_plan_step s = f.plan.steps[i];
		assert_int_equal(hx_plan_add_step(&p, s.op, s.flags, s.a[0], s.a[1], s.a[2], s.a[3]), 0);
	}
	hx_plan_close_group(&p);
	struct hx_err e;
	assert_int_not_equal(ld_plan_check(&p, &f.smaps, PID, &LD_PLAN_ANY, &e), 0);
	assert_non_null(strstr(e.msg, "step 2 (mmap")); /* the second mapping */
	assert_non_null(strstr(e.msg, "more staging than the region"));
	hx_plan_free(&p);
	teardown(&f);
}

static void test_validate_file_group_dontneed_needs_clean_text(void **state)
{
	(void)state;
	struct hx_vmas maps;
	assert_int_equal(hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &maps), 0);
	struct hx_plan p;
	hx_plan_init(&p, PID);
	struct hx_plan_group g = {.addr = 0x55a1e2000000, .len = 4u << 20, .backing = HX_BACK_FILE,
				  .alt_of = -1, .path_str = HX_NO_STR};
	assert_int_equal(hx_plan_add_group(&p, &g), 0);
	assert_int_equal(hx_plan_add_step(&p, HX_OP_MADVISE, 0, g.addr, g.len, MADV_DONTNEED, 0), 0);
	assert_int_equal(hx_plan_add_step(&p, HX_OP_EVICT, 0, g.addr, g.len, 0, 0), 0);
	assert_int_equal(hx_plan_add_step(&p, HX_OP_CHECK_HUGE, 0, g.addr, g.len, 0, 0), 0);
	hx_plan_close_group(&p);
	struct hx_vmas clean, dirty, bare;
	load_smaps(&clean, 0);
	load_smaps(&dirty, 8); /* a modified (copied-on-write) text page */
	assert_int_equal(hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &bare), 0);
	struct hx_err e;
	assert_int_equal(ld_plan_check(&p, &clean, PID, &LD_PLAN_ANY, &e), 0);
	assert_int_equal(ld_plan_check(&p, &dirty, PID, &LD_PLAN_ANY, &e), -EPERM);
	/* no counters: unknown */
	assert_int_equal(ld_plan_check(&p, &bare, PID, &LD_PLAN_ANY, &e), -EPERM);
	hx_plan_free(&p);
	hx_vmas_free(&clean);
	hx_vmas_free(&dirty);
	hx_vmas_free(&bare);
	hx_vmas_free(&maps);
}

static void test_validate_refuses_overlapping_chains(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HX_MODE_THP);
	/* the same group twice, the second not an alternative of the first */
	struct hx_plan_group g = f.plan.groups[0];
	assert_int_equal(hx_plan_add_group(&f.plan, &g), 0);
	for (int i = 0; i < S_COUNT; i++) {
		struct hx_plan_step s = f.plan.steps[i];
		assert_int_equal(hx_plan_add_step(&f.plan, s.op, s.flags, s.a[0], s.a[1], s.a[2], s.a[3]), 0);
	}
	hx_plan_close_group(&f.plan);
	assert_int_not_equal(check(&f), 0);
	f.plan.groups[1].alt_of = 0; /* as an alternative it is fine */
	assert_int_equal(check(&f), 0);
	f.plan.groups[1].addr += 2u << 20; /* an alternative for another region */
	assert_int_not_equal(check(&f), 0);
	teardown(&f);
}

/* --- hand-built plans (regions, placement, bounds) ------------------------ */

#define MB (UINT64_C(1) << 20)
#define HUGE (2 * MB)
#define PIE_T UINT64_C(0x55a1e2000000)   /* the executable's 2 MB interior */
#define PIE_L (UINT64_C(0x55a1e3e00000) - PIE_T)
#define PIE_HEAD UINT64_C(0x55a1e1e00000) /* its head window: r--, r-x */
#define PIE_STACK UINT64_C(0x7ffd6a1a4000)
#define PIE_HEAP_END UINT64_C(0x55a1e4021000)
#define LIB_T UINT64_C(0x7f0000200000)   /* libbig.so's interior */
#define LIB_L (8 * MB)
#define NOPIE_T UINT64_C(0x600000)
#define NOPIE_L (UINT64_C(0x1e00000) - NOPIE_T)
#define NOPIE_DATA_END UINT64_C(0x2010000)
#define S_FAR UINT64_C(0x100000000000)   /* free in both fixtures, far from all */
#define A_FAR UINT64_C(0x200000000000)

struct pc {
	uint64_t start, len;
};

enum { RESTAGE = 1 }; /* extras for copy_group */

#define ST(op, fl, a0, a1, a2, a3) assert_int_equal(hx_plan_add_step(p, op, fl, a0, a1, a2, a3), 0)

/* A copy group as the planner writes one: region [t, t+l) made of the
 * pieces pc[], staging at s, originals aside at a. */
static void copy_group(struct hx_plan *p, uint32_t backing, uint32_t flags, uint64_t t, uint64_t l,
		       uint64_t s, uint64_t a, const struct pc *pc, size_t n, unsigned extra)
{
	struct hx_plan_group g = {.addr = t, .len = l, .staging = s, .backing = backing,
				  .alt_of = -1, .path_str = HX_NO_STR, .perfmap_str = HX_NO_STR,
				  .flags = flags};
	assert_int_equal(hx_plan_add_group(p, &g), 0);
	uint64_t fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	if (backing == HX_BACK_HUGETLB)
		fl |= MAP_HUGETLB | MAP_HUGE_2MB;
	ST(HX_OP_MMAP, 0, s, l, PROT_READ | PROT_WRITE, fl);
	if (extra & RESTAGE) { /* a second staging area next to the first */
		ST(HX_OP_MMAP, 0, s + l + HUGE, l, PROT_READ | PROT_WRITE, fl);
		ST(HX_OP_MUNMAP, 0, s + l + HUGE, l, 0, 0);
	}
	ST(HX_OP_MADVISE, HX_STEP_OPTIONAL, s, l, MADV_POPULATE_READ, 0);
	for (size_t i = 0; i < n; i++)
		ST(HX_OP_COPY, 0, s + (pc[i].start - t), pc[i].start, pc[i].len, 0);
	ST(HX_OP_MPROTECT, 0, s, l, PROT_READ | PROT_EXEC, 0);
	ST(HX_OP_MADVISE, HX_STEP_OPTIONAL, s, l, MADV_COLLAPSE, 0);
	for (size_t i = 0; i < n; i++)
		ST(HX_OP_MREMAP, 0, pc[i].start, pc[i].len, a + (pc[i].start - t), 0);
	ST(HX_OP_MREMAP, 0, s, l, t, 0);
	for (size_t i = 0; i < n; i++)
		ST(HX_OP_VERIFY, 0, pc[i].start, a + (pc[i].start - t), pc[i].len, 0);
	ST(HX_OP_MADVISE, HX_STEP_OPTIONAL, t, l, MADV_POPULATE_READ, 0);
	ST(HX_OP_MUNMAP, HX_STEP_OPTIONAL, a, l, 0, 0);
	hx_plan_close_group(p);
}

/* One group whose region is a single piece. */
static void plan1(struct hx_plan *p, uint32_t backing, uint64_t t, uint64_t l, uint64_t s,
		  uint64_t a)
{
	hx_plan_init(p, PID);
	struct pc pc = {t, l};
	copy_group(p, backing, 0, t, l, s, a, &pc, 1, 0);
}

/* The loader's verdict on p as it arrives (through the codec): 0, or the
 * refusal's message must contain why. */
static void verdict(const struct hx_plan *p, const struct hx_vmas *m,
		    const struct ld_plan_limits *lim, const char *why)
{
	uint8_t *buf;
	size_t len;
	struct hx_plan q;
	struct hx_err e = {0};
	assert_int_equal(hx_plan_encode(p, &buf, &len), 0);
	assert_int_equal(hx_plan_decode(buf, len, &q, &e), 0);
	free(buf);
	int r = ld_plan_check(&q, m, PID, lim, &e);
	hx_plan_free(&q);
	if (!why && r != 0)
		fail_msg("refused: %s", e.msg);
	if (why && r == 0)
		fail_msg("accepted, expected a refusal for \"%s\"", why);
	if (why && !strstr(e.msg, why))
		fail_msg("refused for another reason than \"%s\": %s", why, e.msg);
}

static void verdict_free(struct hx_plan *p, const struct hx_vmas *m,
			 const struct ld_plan_limits *lim, const char *why)
{
	verdict(p, m, lim, why);
	hx_plan_free(p);
}

static void nopie_smaps(struct hx_vmas *m)
{
	assert_int_equal(fix_parse_smaps(FIX_NOPIE_MAPS, 0, 0, m), 0);
}

static void test_validate_refuses_null_page_region(void **state)
{
	(void)state;
	struct hx_vmas m;
	nopie_smaps(&m);
	struct hx_plan p;
	/* the auditor's plan: [0, 32 MB) would put a copy of the text at 0 */
	const struct pc all[] = {{0x400000, 0x1000}, {0x401000, 0x1e00000 - 0x401000},
				 {0x1e00000, 0x200000}};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, 0, 0, 32 * MB, S_FAR, A_FAR, all, 3, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "below 2 MB");
	/* as a window too, and the empty window above page 0 */
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, HX_GROUP_EDGE, 0, HUGE, S_FAR, A_FAR, NULL, 0, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "below 2 MB");
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, HX_GROUP_EDGE, HUGE, HUGE, S_FAR, A_FAR, NULL, 0, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "without r-x text");
	/* the interior itself is fine */
	plan1(&p, HX_BACK_THP, NOPIE_T, NOPIE_L, S_FAR, A_FAR);
	verdict_free(&p, &m, &LD_PLAN_ANY, NULL);
	hx_vmas_free(&m);
}

static void test_validate_refuses_region_with_free_space(void **state)
{
	(void)state;
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	/* 30 MB of text and 8 GB of nothing below it (populate, collapse and
	 * hugetlb staging of that size) */
	uint64_t t = PIE_HEAD - (8192 * MB);
	const struct pc pc[] = {{0x55a1e1e0f000, 0x1000}, {0x55a1e1e10000, PIE_T + PIE_L - 0x55a1e1e10000}};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, 0, t, PIE_T + PIE_L - t, S_FAR, A_FAR, pc, 2, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "not inside one r-x private file mapping");
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_HUGETLB, HX_GROUP_EDGE, t, PIE_T + PIE_L - t, S_FAR, A_FAR, pc, 2, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "one 2 MB window");
	/* free space above the text: the region runs past the mapping's end */
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L + 64 * MB, S_FAR, A_FAR);
	verdict_free(&p, &m, &LD_PLAN_ANY, "not inside one r-x private file mapping");
	/* a free 2 MB between two mappings, as a window */
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, HX_GROUP_EDGE, 0x55a1e4400000, HUGE, S_FAR, A_FAR, NULL, 0, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "without r-x text");
	hx_vmas_free(&m);
}

static void test_validate_accepts_any_part_of_the_text(void **state)
{
	(void)state;
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	/* one mapping cut into several regions: a 2 MB window on hugetlb, a
	 * middle part on THP, the rest on hugetlb again */
	hx_plan_init(&p, PID);
	struct pc a = {PIE_T, HUGE}, b = {PIE_T + HUGE, 16 * MB}, c = {PIE_T + 18 * MB, PIE_L - 18 * MB};
	copy_group(&p, HX_BACK_HUGETLB, 0, a.start, a.len, S_FAR, A_FAR, &a, 1, 0);
	copy_group(&p, HX_BACK_THP, 0, b.start, b.len, S_FAR, A_FAR, &b, 1, 0);
	copy_group(&p, HX_BACK_HUGETLB, 0, c.start, c.len, S_FAR, A_FAR, &c, 1, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, NULL);
	hx_vmas_free(&m);
}

static void test_validate_rodata_only_in_edge_windows(void **state)
{
	(void)state;
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	/* the head window: the ELF header page (r--) and the start of the text */
	const struct pc head[] = {{0x55a1e1e0f000, 0x1000}, {0x55a1e1e10000, PIE_T - 0x55a1e1e10000}};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, HX_GROUP_EDGE, PIE_HEAD, HUGE, S_FAR, A_FAR, head, 2, 0);
	verdict(&p, &m, &LD_PLAN_ANY, NULL);
	struct ld_plan_limits conservative = LD_PLAN_ANY;
	conservative.edge_windows = false;
	verdict(&p, &m, &conservative, "without --align=aggressive");
	p.groups[0].flags = 0; /* the same r-- page in an ordinary group */
	verdict(&p, &m, &LD_PLAN_ANY, "not inside one r-x private file mapping");
	p.groups[0].flags = HX_GROUP_EDGE;
	p.groups[0].backing = HX_BACK_FILE; /* windows are always copies */
	verdict(&p, &m, &LD_PLAN_ANY, "always copied");
	hx_plan_free(&p);
	/* the tail window holds the executable's writable data */
	const struct pc tail[] = {{0x55a1e3e00000, 0x12000}, {0x55a1e3e12000, 0x1000},
				  {0x55a1e3e13000, 0x2000}};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, HX_GROUP_EDGE, 0x55a1e3e00000, HUGE, S_FAR, A_FAR, tail, 3, 0);
	verdict_free(&p, &m, &LD_PLAN_ANY, "only r-x and r-- private pages of one file");
	/* libbig's first window: r-- only, nothing executable to gain */
	const struct pc ro = {0x7f0000000000, HUGE};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_THP, HX_GROUP_EDGE, 0x7f0000000000, HUGE, S_FAR, A_FAR, &ro, 1, 0);
	verdict(&p, &m, &LD_PLAN_ANY, "without r-x text");
	p.groups[0].flags = 0; /* nor as an ordinary region */
	verdict_free(&p, &m, &LD_PLAN_ANY, "not inside one r-x private file mapping");
	hx_vmas_free(&m);
}

static void test_validate_planner_edge_windows(void **state)
{
	(void)state;
	struct fx f;
	setup_aligned(&f, HX_MODE_THP, HX_ALIGN_AGGRESSIVE);
	uint32_t edges = 0;
	for (uint32_t i = 0; i < f.plan.n_groups; i++)
		edges += (f.plan.groups[i].flags & HX_GROUP_EDGE) != 0;
	assert_true(edges >= 1);
	verdict(&f.plan, &f.smaps, &LD_PLAN_ANY, NULL);
	struct ld_plan_limits conservative = LD_PLAN_ANY;
	conservative.edge_windows = false;
	verdict(&f.plan, &f.smaps, &conservative, "without --align=aggressive");
	teardown(&f);
}

static void test_validate_hugetlb_budget(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HX_MODE_HUGETLB); /* the 30 MB executable: 15 pages */
	assert_int_equal(f.plan.n_groups, 1);
	assert_int_equal(f.plan.groups[0].backing, HX_BACK_HUGETLB);
	struct ld_plan_limits lim = LD_PLAN_ANY;
	lim.hugetlb_free = 15;
	verdict(&f.plan, &f.smaps, &lim, NULL);
	lim.hugetlb_free = 14;
	verdict(&f.plan, &f.smaps, &lim, "more hugetlb pages than the 14 free");
	teardown(&f);
	/* the pool is shared: 15 + 4 pages for the executable and libbig */
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	struct pc exe = {PIE_T, PIE_L}, lib = {LIB_T, LIB_L};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_HUGETLB, 0, exe.start, exe.len, S_FAR, A_FAR, &exe, 1, 0);
	copy_group(&p, HX_BACK_HUGETLB, 0, lib.start, lib.len, S_FAR, A_FAR, &lib, 1, 0);
	lim.hugetlb_free = 19;
	verdict(&p, &m, &lim, NULL);
	lim.hugetlb_free = 18;
	verdict(&p, &m, &lim, "plan group 1: more hugetlb pages than the 18 free");
	lim.hugetlb_free = 0; /* THP staging takes nothing from the pool */
	p.groups[0].backing = p.groups[1].backing = HX_BACK_THP;
	for (uint32_t i = 0; i < p.n_steps; i++)
		if (p.steps[i].op == HX_OP_MMAP)
			p.steps[i].a[3] &= ~(uint64_t)(MAP_HUGETLB | MAP_HUGE_2MB);
	verdict_free(&p, &m, &lim, NULL);
	hx_vmas_free(&m);
}

static void test_validate_refuses_staging_bigger_than_region(void **state)
{
	(void)state;
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	struct pc pc = {PIE_T, PIE_L};
	hx_plan_init(&p, PID);
	copy_group(&p, HX_BACK_HUGETLB, 0, PIE_T, PIE_L, S_FAR, A_FAR, &pc, 1, RESTAGE);
	verdict_free(&p, &m, &LD_PLAN_ANY, "more staging than the region's length");
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, S_FAR, A_FAR);
	p.steps[0].a[1] += HUGE; /* one staging area, longer than the region */
	verdict_free(&p, &m, &LD_PLAN_ANY, "step 0 (mmap");
	hx_vmas_free(&m);
}

/* Steps 0 (the staging mmap) and 5 (the first piece moved aside) of plan1. */
#define STAGE_STEP "step 0 (mmap"
#define ASIDE_STEP "step 5 (mremap"

/* p is refused at that step for a temporary mapping out of place. */
static void keep_out(struct hx_plan *p, const struct hx_vmas *m, const struct ld_plan_limits *lim,
		     const char *at)
{
	verdict(p, m, lim, at);
	verdict(p, m, lim, "in the stack's growth gap or in the heap's room");
}

static void keep_out_free(struct hx_plan *p, const struct hx_vmas *m,
			  const struct ld_plan_limits *lim, const char *at)
{
	keep_out(p, m, lim, at);
	hx_plan_free(p);
}

static void test_validate_refuses_staging_by_the_stack(void **state)
{
	(void)state;
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	uint64_t under = hx_align_down(PIE_STACK - PIE_L, HUGE);
	uint64_t clear = hx_align_down(PIE_STACK - HX_STACK_GAP_MIN - PIE_L, HUGE);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, under, A_FAR);
	keep_out_free(&p, &m, &LD_PLAN_ANY, STAGE_STEP);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, S_FAR, under);
	keep_out_free(&p, &m, &LD_PLAN_ANY, ASIDE_STEP);
	/* 128 MB from the stack is far enough, unless its rlimit is larger */
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, clear, A_FAR);
	verdict(&p, &m, &LD_PLAN_ANY, NULL);
	struct ld_plan_limits big = LD_PLAN_ANY;
	big.stack_rlimit = 256 * MB;
	keep_out(&p, &m, &big, STAGE_STEP);
	hx_plan_free(&p);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, S_FAR, clear);
	verdict(&p, &m, &LD_PLAN_ANY, NULL);
	keep_out_free(&p, &m, &big, ASIDE_STEP);
	/* and never at page 0 */
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, 0, A_FAR);
	keep_out_free(&p, &m, &LD_PLAN_ANY, STAGE_STEP);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, S_FAR, 0);
	keep_out_free(&p, &m, &LD_PLAN_ANY, ASIDE_STEP);
	hx_vmas_free(&m);
}

static void test_validate_refuses_staging_in_the_heaps_room(void **state)
{
	(void)state;
	struct hx_vmas m;
	load_smaps(&m, 0);
	struct hx_plan p;
	/* PIE: right above [heap], then 64 MB above it */
	uint64_t above = hx_align_up(PIE_HEAP_END, HUGE);
	uint64_t clear = hx_align_up(PIE_HEAP_END + HX_HEAP_GAP, HUGE);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, above, A_FAR);
	keep_out_free(&p, &m, &LD_PLAN_ANY, STAGE_STEP);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, S_FAR, above);
	keep_out_free(&p, &m, &LD_PLAN_ANY, ASIDE_STEP);
	plan1(&p, HX_BACK_THP, PIE_T, PIE_L, clear, A_FAR);
	verdict_free(&p, &m, &LD_PLAN_ANY, NULL);
	hx_vmas_free(&m);
	/* non-PIE before its first brk (no [heap]): the brk area starts up
	 * to 1 GB above the data */
	nopie_smaps(&m);
	above = hx_align_up(NOPIE_DATA_END, HUGE);
	uint64_t in_random = hx_align_up(NOPIE_DATA_END + HX_BRK_RANDOM - 64 * MB, HUGE);
	clear = hx_align_up(NOPIE_DATA_END + HX_BRK_RANDOM + HX_HEAP_GAP, HUGE);
	plan1(&p, HX_BACK_THP, NOPIE_T, NOPIE_L, S_FAR, above);
	keep_out_free(&p, &m, &LD_PLAN_ANY, ASIDE_STEP);
	plan1(&p, HX_BACK_THP, NOPIE_T, NOPIE_L, in_random, A_FAR);
	keep_out_free(&p, &m, &LD_PLAN_ANY, STAGE_STEP);
	plan1(&p, HX_BACK_THP, NOPIE_T, NOPIE_L, S_FAR, clear);
	verdict_free(&p, &m, &LD_PLAN_ANY, NULL);
	hx_vmas_free(&m);
}

static void test_validate_planner_plans_keep_out(void **state)
{
	(void)state;
	/* the planner's holes obey the same rule, in both fixtures */
	struct hx_vmas m;
	nopie_smaps(&m);
	struct hx_req_header rq = {.pid = PID, .entry = FIX_NOPIE_ENTRY, .min_size = 2u << 20,
				   .backing_mode = HX_MODE_AUTO, .thp_mode = HX_THP_MADVISE,
				   .hugetlb_free = 100, .align = HX_ALIGN_AGGRESSIVE};
	struct hp_file files[] = {fix_file(77, 0x1000, 0x1e00000 - 0x401000)};
	files[0].elf.type = ET_EXEC;
	struct hp_input in = {.req = &rq, .only = "", .exclude = "", .vmas = &m, .files = files,
			      .n_files = 1};
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&in, &p, &e), 0);
	assert_true(p.n_groups >= 3); /* file, file after eviction, hugetlb, THP; windows */
	struct ld_plan_limits lim = {.hugetlb_free = 100, .edge_windows = true};
	verdict(&p, &m, &lim, NULL);
	const struct hx_keepout keep = hx_keepout_init(&m, 0);
	for (uint32_t i = 0; i < p.n_groups; i++)
		if (p.groups[i].staging)
			assert_true(hx_placement_ok(&keep, p.groups[i].staging, p.groups[i].len));
	hx_plan_free(&p);
	hx_vmas_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_accepts_planner_plans),
		cmocka_unit_test(test_validate_refuses_wx),
		cmocka_unit_test(test_validate_refuses_foreign_memory),
		cmocka_unit_test(test_validate_refuses_bad_regions),
		cmocka_unit_test(test_validate_refuses_bad_swaps),
		cmocka_unit_test(test_validate_refuses_bad_advice_and_names),
		cmocka_unit_test(test_validate_refuses_unsafe_swaps),
		cmocka_unit_test(test_validate_refuses_branching_chains),
		cmocka_unit_test(test_validate_refuses_restaging),
		cmocka_unit_test(test_validate_file_group_dontneed_needs_clean_text),
		cmocka_unit_test(test_validate_refuses_overlapping_chains),
		cmocka_unit_test(test_validate_refuses_null_page_region),
		cmocka_unit_test(test_validate_refuses_region_with_free_space),
		cmocka_unit_test(test_validate_accepts_any_part_of_the_text),
		cmocka_unit_test(test_validate_rodata_only_in_edge_windows),
		cmocka_unit_test(test_validate_planner_edge_windows),
		cmocka_unit_test(test_validate_hugetlb_budget),
		cmocka_unit_test(test_validate_refuses_staging_bigger_than_region),
		cmocka_unit_test(test_validate_refuses_staging_by_the_stack),
		cmocka_unit_test(test_validate_refuses_staging_in_the_heaps_room),
		cmocka_unit_test(test_validate_planner_plans_keep_out),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}

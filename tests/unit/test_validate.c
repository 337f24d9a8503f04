/* test_validate.c - the loader's plan validator against malicious plans.
 * A good plan comes from the planner; each test breaks one rule. */
#include "fixtures.h"
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
	char buf[8192];
	size_t w = 0;
	for (const char *l = FIX_PIE_MAPS; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = (size_t)(nl - l) + 1;
		memcpy(buf + w, l, n);
		w += n;
		bool text = strncmp(l, "55a1e1e10000-", 13) == 0;
		w += (size_t)snprintf(buf + w, sizeof(buf) - w, "Anonymous: %u kB\n", text ? anon_kb : 0);
		l = nl + 1;
	}
	assert_int_equal(hx_vmas_parse(buf, w, m), 0);
}

static void setup(struct fx *f, uint32_t mode)
{
	struct hx_vmas maps;
	assert_int_equal(hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &maps), 0);
	struct hx_req_header rq = {.pid = PID, .entry = FIX_PIE_ENTRY, .interp_base = FIX_PIE_INTERP,
				   .min_size = 2u << 20, .backing_mode = mode,
				   .thp_mode = HX_THP_MADVISE, .hugetlb_free = 100};
	struct hp_file files[] = {fix_file(1180, 0x1000, 0x2002000)};
	struct hp_input in = {.req = &rq, .only = "", .exclude = "", .vmas = &maps, .files = files,
			      .n_files = 1};
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&in, &f->plan, &e), 0);
	hx_vmas_free(&maps);
	load_smaps(&f->smaps, 0);
}

static void teardown(struct fx *f)
{
	hx_plan_free(&f->plan);
	hx_vmas_free(&f->smaps);
}

static int check(struct fx *f)
{
	struct hx_err e = {0};
	int r = ld_plan_validate(&f->plan, &f->smaps, PID, &e);
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

static void test_validate_refuses_long_undo(void **state)
{
	(void)state;
	struct fx f;
	setup(&f, HX_MODE_THP);
	/* a group that maps and unmaps its staging over and over first */
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
	assert_int_not_equal(ld_plan_validate(&p, &f.smaps, PID, &e), 0);
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
	assert_int_equal(ld_plan_validate(&p, &clean, PID, &e), 0);
	assert_int_equal(ld_plan_validate(&p, &dirty, PID, &e), -EPERM);
	assert_int_equal(ld_plan_validate(&p, &bare, PID, &e), -EPERM); /* no counters: unknown */
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
		cmocka_unit_test(test_validate_refuses_long_undo),
		cmocka_unit_test(test_validate_file_group_dontneed_needs_clean_text),
		cmocka_unit_test(test_validate_refuses_overlapping_chains),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}

/* test_planner.c - region selection, holes, backing chains; and every plan
 * the planner builds must pass the loader's validator and the codec. */
#include "fixtures.h"
#include "../../loader/validate.h"
#include "../../profile/profile.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/mman.h>

struct world {
	struct hx_vmas m;
	struct hx_req_header rq;
	struct hp_file files[4];
	struct hp_input in;
};

static void world_pie(struct world *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(fix_parse_smaps(FIX_PIE_MAPS, 0, 0, &w->m), 0);
	w->rq.pid = 4242;
	w->rq.entry = FIX_PIE_ENTRY;
	w->rq.interp_base = FIX_PIE_INTERP;
	w->rq.min_size = 2u << 20;
	w->rq.backing_mode = HX_MODE_AUTO;
	w->rq.thp_mode = HX_THP_MADVISE;
	w->rq.options = HX_REQ_LIBRARIES;
	w->files[0] = fix_file(1180, 0x1000, 0x2002000);
	w->files[1] = fix_file(2200, 0x200000, 0x900000);
	w->files[2] = fix_file(3300, 0x26000, 0x155000);
	w->files[3] = fix_file(4400, 0x1000, 0x25000);
	w->in = (struct hp_input){.req = &w->rq, .only = "", .exclude = "", .vmas = &w->m,
				  .files = w->files, .n_files = 4};
}

static void world_free(struct world *w)
{
	hx_vmas_free(&w->m);
}

static void test_interior(void **state)
{
	(void)state;
	uint64_t a, l;
	hp_interior(0x401000, 0x1e00000, &a, &l);
	assert_int_equal(a, 0x600000);
	assert_int_equal(l, 0x1800000);
	hp_interior(0x200000, 0x400000, &a, &l);
	assert_int_equal(a, 0x200000);
	assert_int_equal(l, 0x200000);
	hp_interior(0x201000, 0x5ff000, &a, &l); /* no whole 2 MB page */
	assert_int_equal(l, 0);
	hp_interior(0x41f000, 0x6d2000, &a, &l); /* python3.11 on Debian 12 */
	assert_int_equal(l, 0);
}

static void test_select_regions_pie(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	struct hp_region *r;
	size_t n;
	char *notes = NULL;
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 2);
	/* the main executable comes first */
	assert_int_equal(r[0].addr, 0x55a1e2000000);
	assert_int_equal(r[0].len, 0x55a1e3e00000 - 0x55a1e2000000);
	assert_int_equal(r[0].file_offset, 0x1000 + (0x55a1e2000000 - FIX_PIE_TEXT_LO));
	assert_true(r[0].main_exe);
	assert_false(r[0].congruent); /* PIE base not 2 MB aligned */
	assert_int_equal(r[1].addr, 0x7f0000200000);
	assert_int_equal(r[1].len, 8u << 20);
	assert_false(r[1].main_exe);
	assert_true(r[1].congruent);
	free(r);
	free(notes);
	world_free(&w);
}

static void test_select_regions_filters(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	struct hp_region *r;
	size_t n;
	char *notes = NULL;
	w.in.exclude = "*/libbig.so";
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(notes, "libbig.so: excluded by --exclude"));
	free(r);
	free(notes);
	notes = NULL;
	w.in.exclude = "";
	w.in.only = "*libbig*";
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].addr, 0x7f0000200000);
	free(r);
	free(notes);
	notes = NULL;
	w.in.only = "";
	w.rq.options = 0; /* main executable only */
	w.rq.min_size = 16u << 20;
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 1);
	w.rq.min_size = 64u << 20;
	free(r);
	free(notes);
	notes = NULL;
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 0);
	assert_non_null(strstr(notes, "smaller than --min-size"));
	free(r);
	free(notes);
	world_free(&w);
}

static void test_select_regions_needs_elf(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	struct hp_region *r;
	size_t n;
	char *notes = NULL;
	w.files[0].elf.usable = false;
	w.files[0].elf.why = "not an ELF file";
	w.files[1].elf.load[0].flags = PF_R; /* not executable per its ELF */
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 0);
	assert_non_null(strstr(notes, "server: not an ELF file"));
	assert_non_null(strstr(notes, "libbig.so: mapping is not an executable segment"));
	free(r);
	free(notes);
	notes = NULL;
	w.files[1].elf.load[0].flags = PF_R | PF_X;
	w.in.n_files = 0; /* the loader could not open any file */
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 0);
	assert_non_null(strstr(notes, "could not be opened"));
	free(r);
	free(notes);
	world_free(&w);
}

static void test_select_regions_entry_not_in_file(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	struct hp_region *r;
	size_t n;
	char *notes = NULL;
	w.rq.entry = 0x7ffd6a1a5000; /* the stack */
	assert_int_equal(hp_select_regions(&w.in, &r, &n, &notes), 0);
	assert_int_equal(n, 0);
	assert_non_null(strstr(notes, "entry point"));
	free(r);
	free(notes);
	world_free(&w);
}

static void test_find_hole(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	uint64_t a, b, len = 30u << 20;
	assert_int_equal(hp_find_hole(&w.m, len, 0, 0, 0, &a), 0);
	assert_int_equal(a & ((2u << 20) - 1), 0);
	assert_true(hx_vmas_range_free(&w.m, a - (2u << 20), len + (4u << 20)));
	assert_int_equal(hp_find_hole(&w.m, len, a, len, 0, &b), 0);
	assert_false(hx_overlaps(a, len, b, len));
	assert_true(hx_vmas_range_free(&w.m, b, len));
	assert_int_equal(hp_find_hole(&w.m, 1ull << 62, 0, 0, 0, &a), -ENOSPC);
	world_free(&w);
}

static const struct hx_plan_group *groups_for(const struct hx_plan *p, uint64_t addr, uint32_t *n)
{
	*n = 0;
	const struct hx_plan_group *first = NULL;
	for (uint32_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].addr == addr) {
			if (!first)
				first = &p->groups[i];
			(*n)++;
		}
	return first;
}

/* A plan as the helper would send it: through the codec, then validated
 * against the same maps with counters (no anonymous pages in the text). */
static void check_plan_valid(const struct hx_plan *p, const char *maps, int32_t pid)
{
	uint8_t *buf;
	size_t len;
	struct hx_plan back;
	struct hx_err e = {0};
	assert_int_equal(hx_plan_encode(p, &buf, &len), 0);
	assert_int_equal(hx_plan_decode(buf, len, &back, &e), 0);
	free(buf);
	/* smaps form: every mapping with Anonymous: 0 */
	struct hx_vmas m;
	assert_int_equal(fix_parse_smaps(maps, 0, 0, &m), 0);
	int r = ld_plan_check(&back, &m, pid, &LD_PLAN_ANY, &e);
	if (r != 0)
		fail_msg("validator refused a planner plan: %s", e.msg);
	hx_vmas_free(&m);
	hx_plan_free(&back);
}

static void test_plan_auto_chains(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	uint32_t n;
	const struct hx_plan_group *g = groups_for(&p, 0x55a1e2000000, &n);
	assert_int_equal(n, 1); /* PIE: no file route, no hugetlb pool: THP only */
	assert_int_equal(g->backing, HX_BACK_THP);
	assert_int_equal(g->alt_of, -1);
	assert_true(g->flags & HX_GROUP_MAIN_EXE);
	g = groups_for(&p, 0x7f0000200000, &n);
	assert_int_equal(n, 3); /* congruent: file, file after eviction, then THP */
	assert_int_equal(g[0].backing, HX_BACK_FILE);
	assert_int_equal(g[1].backing, HX_BACK_FILE);
	assert_int_equal(g[1].alt_of, (int32_t)(g - p.groups));
	assert_int_equal(g[2].backing, HX_BACK_THP);
	assert_int_equal(g[2].alt_of, (int32_t)(g - p.groups) + 1);
	check_plan_valid(&p, FIX_PIE_MAPS, 4242);
	hx_plan_free(&p);
	world_free(&w);
}

static void test_plan_hugetlb_budget(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	w.rq.hugetlb_free = 16; /* the 30 MB executable needs 15 */
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	uint32_t n;
	const struct hx_plan_group *g = groups_for(&p, 0x55a1e2000000, &n);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].backing, HX_BACK_HUGETLB);
	assert_int_equal(g[1].backing, HX_BACK_THP);
	/* the library's own page cache can give it 2 MB pages: no pool page
	 * for it, and one chain, not split */
	g = groups_for(&p, 0x7f0000200000, &n);
	assert_int_equal(n, 3); /* file, file after eviction, THP */
	assert_int_equal(g[0].len, 8u << 20);
	assert_int_equal(g[2].backing, HX_BACK_THP);
	check_plan_valid(&p, FIX_PIE_MAPS, 4242);
	hx_plan_free(&p);

	/* 10 pages for 15 windows: backing per window, the first 10 windows on
	 * hugetlb, the other 5 on THP */
	w.rq.hugetlb_free = 10;
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	g = groups_for(&p, 0x55a1e2000000, &n);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].len, 20u << 20);
	assert_int_equal(g[0].backing, HX_BACK_HUGETLB);
	g = groups_for(&p, 0x55a1e2000000 + (20u << 20), &n);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].len, 10u << 20);
	assert_int_equal(g[0].backing, HX_BACK_THP);
	assert_int_equal(g[0].file_offset, 0x1000 + (0x55a1e2000000 - FIX_PIE_TEXT_LO) + (20u << 20));
	check_plan_valid(&p, FIX_PIE_MAPS, 4242);
	hx_plan_free(&p);

	/* --backing=thp: the pool is not for it, nothing is split */
	w.rq.backing_mode = HX_MODE_THP;
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	g = groups_for(&p, 0x55a1e2000000, &n);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].len, 30u << 20);
	hx_plan_free(&p);
	world_free(&w);
}

/* --profile: the one free hugetlb page goes to the window where the
 * samples are, not to the first; groups carry their share of the samples;
 * a profile of another build is a warning and changes nothing. */
static void test_plan_profile_hot_window(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	memcpy(w.files[0].elf.build_id, "\xca\xfe\xf0\x0d", 4);
	w.rq.hugetlb_free = 1;
	const uint64_t text = 0x55a1e1e10000, region = 0x55a1e2000000;
	const uint64_t hot = region + 12 * (2u << 20) + 0x4000; /* in window 12 */
	struct prof_profile prof;
	struct prof_object *o;
	prof_init(&prof);
	assert_int_equal(prof_add_object(&prof, "cafef00d", "/opt/app/bin/server", 100, &o), 0);
	assert_int_equal(prof_add_func(o, 0x1000 + (hot - text), 64, 100, "hot"), 0);
	assert_int_equal(prof_normalize(&prof), 0);
	w.in.profile = &prof;
	w.in.profile_name = "t.prof";
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	uint32_t n;
	const struct hx_plan_group *g = groups_for(&p, region + 12 * (2u << 20), &n);
	assert_non_null(g);
	assert_int_equal(g[0].len, 2u << 20);
	assert_int_equal(g[0].backing, HX_BACK_HUGETLB);
	assert_int_equal(g[0].heat, HX_HEAT_ALL);
	g = groups_for(&p, region, &n);
	assert_int_equal(g[0].backing, HX_BACK_THP); /* not the first window */
	assert_int_equal(g[0].heat, 0);
	assert_int_equal(p.warn_str, HX_NO_STR);
	check_plan_valid(&p, FIX_PIE_MAPS, 4242);
	hx_plan_free(&p);

	/* another build of the same program: one warning, and the plan of no
	 * profile (the first window takes the page) */
	memcpy(w.files[0].elf.build_id, "\xca\xfe\xf0\x0e", 4);
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	assert_non_null(strstr(hx_plan_str(&p, p.warn_str), "is stale"));
	g = groups_for(&p, region, &n);
	assert_int_equal(g[0].backing, HX_BACK_HUGETLB);
	assert_int_equal(g[0].heat, 0);
	hx_plan_free(&p);

	/* a profile that did not parse: its error is the warning */
	w.in.profile = NULL;
	w.in.profile_error = "t.prof:3: bad number";
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	assert_string_equal(hx_plan_str(&p, p.warn_str), "warning: t.prof:3: bad number; not used\n");
	hx_plan_free(&p);
	prof_free(&prof);
	world_free(&w);
}

/* Only THP keeps a partly collapsed copy (the last alternative); hugetlb
 * and file groups want every window huge, or the next alternative runs. */
static void test_plan_check_huge_partial_only_for_thp(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	w.rq.hugetlb_free = 64;
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	unsigned thp = 0, other = 0;
	for (uint32_t gi = 0; gi < p.n_groups; gi++) {
		const struct hx_plan_group *g = &p.groups[gi];
		for (uint32_t k = 0; k < g->n_steps; k++) {
			const struct hx_plan_step *st = &p.steps[g->first_step + k];
			if (st->op != HX_OP_CHECK_HUGE)
				continue;
			if (g->backing == HX_BACK_THP) {
				assert_int_equal(st->a[2], HX_CHECK_SOME);
				thp++;
			} else {
				assert_int_equal(st->a[2], HX_CHECK_ALL);
				other++;
			}
		}
	}
	assert_true(thp >= 2 && other >= 3);
	hx_plan_free(&p);
	world_free(&w);
}

static void test_plan_forced_modes(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	struct hx_plan p;
	struct hx_err e = {0};
	uint32_t n;
	w.rq.backing_mode = HX_MODE_FILE;
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	assert_null(groups_for(&p, 0x55a1e2000000, &n)); /* PIE: impossible, noted */
	assert_non_null(strstr(hx_plan_str(&p, p.notes_str), "address and file offset differ"));
	assert_non_null(groups_for(&p, 0x7f0000200000, &n));
	assert_int_equal(n, 2);
	hx_plan_free(&p);
	w.rq.backing_mode = HX_MODE_HUGETLB;
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	assert_int_equal(p.n_groups, 0);
	assert_non_null(strstr(hx_plan_str(&p, p.notes_str), "free hugetlb pages"));
	hx_plan_free(&p);
	w.rq.backing_mode = HX_MODE_THP;
	w.rq.thp_mode = HX_THP_UNKNOWN;
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	assert_int_equal(p.n_groups, 0);
	hx_plan_free(&p);
	world_free(&w);
}

static void test_plan_mdwe_uses_rx_staging(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	w.rq.target_flags = HX_TGT_MDWE;
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	for (uint32_t i = 0; i < p.n_steps; i++) {
		const struct hx_plan_step *s = &p.steps[i];
		assert_int_not_equal(s->op, HX_OP_MPROTECT); /* no exec after write */
		assert_int_not_equal(s->op, HX_OP_COPY);
		if (s->op == HX_OP_MMAP)
			assert_int_equal(s->a[2], PROT_READ | PROT_EXEC);
	}
	check_plan_valid(&p, FIX_PIE_MAPS, 4242);
	hx_plan_free(&p);
	world_free(&w);
}

static void test_plan_no_eviction_of_modified_text(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	hx_vmas_free(&w.m);
	/* a copied-on-write page in libbig's text: ld.so's text relocations */
	assert_int_equal(fix_parse_smaps(FIX_PIE_MAPS, 0x7f0000200000, 4, &w.m), 0);
	w.files[1].elf.textrel = true;
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	uint32_t n;
	const struct hx_plan_group *g = groups_for(&p, 0x7f0000200000, &n);
	assert_int_equal(n, 2); /* file without eviction, then THP */
	assert_int_equal(g[0].backing, HX_BACK_FILE);
	assert_int_equal(g[1].backing, HX_BACK_THP);
	for (uint32_t i = 0; i < p.n_steps; i++)
		assert_false(p.steps[i].op == HX_OP_MADVISE && p.steps[i].a[2] == MADV_DONTNEED);
	hx_plan_free(&p);
	world_free(&w);
}

/* --align=aggressive takes the window with the executable's headers (r--,
 * the file's bytes) - but not when that page was written (RELRO: data
 * ld.so relocated and sealed), which the window would make executable. */
static void test_plan_aggressive_skips_written_readonly(void **state)
{
	(void)state;
	const uint64_t head = 0x55a1e1e00000; /* the window around the headers */
	struct world w;
	world_pie(&w);
	w.rq.align = HX_ALIGN_AGGRESSIVE;
	struct hx_plan p;
	struct hx_err e = {0};
	uint32_t n;
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	groups_for(&p, head, &n);
	assert_true(n >= 1);
	hx_plan_free(&p);
	hx_vmas_free(&w.m);
	assert_int_equal(fix_parse_smaps(FIX_PIE_MAPS, 0x55a1e1e0f000, 4, &w.m), 0);
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	groups_for(&p, head, &n);
	assert_int_equal(n, 0);
	hx_plan_free(&p);
	world_free(&w);
}

static void test_plan_never_copies_foreign_changes(void **state)
{
	(void)state;
	struct world w;
	world_pie(&w);
	hx_vmas_free(&w.m);
	/* the same page changed by someone else (a uprobe's int3): no TEXTREL */
	assert_int_equal(fix_parse_smaps(FIX_PIE_MAPS, 0x7f0000200000, 4, &w.m), 0);
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	uint32_t n;
	const struct hx_plan_group *g = groups_for(&p, 0x7f0000200000, &n);
	assert_int_equal(n, 1); /* only the file, which the kernel re-probes */
	assert_int_equal(g[0].backing, HX_BACK_FILE);
	/* with no file backing possible, nothing: said, and counted as left */
	w.rq.thp_mode = HX_THP_NEVER;
	hx_plan_free(&p);
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	groups_for(&p, 0x7f0000200000, &n);
	assert_int_equal(n, 0);
	assert_true(p.left_bytes >= HX_HUGE);
	assert_non_null(strstr(hx_plan_str(&p, p.reason_str), "a uprobe?"));
	hx_plan_free(&p);
	world_free(&w);
}

static void test_plan_nopie_file_first(void **state)
{
	(void)state;
	struct world w;
	memset(&w, 0, sizeof(w));
	assert_int_equal(fix_parse_smaps(FIX_NOPIE_MAPS, 0, 0, &w.m), 0);
	w.rq = (struct hx_req_header){.pid = 7, .entry = FIX_NOPIE_ENTRY, .min_size = 2u << 20,
				      .thp_mode = HX_THP_MADVISE};
	w.files[0] = fix_file(77, 0x1000, 0x1a00000);
	w.in = (struct hp_input){.req = &w.rq, .only = "", .exclude = "", .vmas = &w.m,
				 .files = w.files, .n_files = 1};
	struct hx_plan p;
	struct hx_err e = {0};
	assert_int_equal(hp_plan_build(&w.in, &p, &e), 0);
	assert_int_equal(p.n_groups, 3);
	assert_int_equal(p.groups[0].addr, 0x600000);
	assert_int_equal(p.groups[0].len, 0x1800000);
	assert_int_equal(p.groups[0].backing, HX_BACK_FILE);
	assert_int_equal(p.groups[0].staging, 0);
	check_plan_valid(&p, FIX_NOPIE_MAPS, 7);
	hx_plan_free(&p);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interior),
		cmocka_unit_test(test_select_regions_pie),
		cmocka_unit_test(test_select_regions_filters),
		cmocka_unit_test(test_select_regions_needs_elf),
		cmocka_unit_test(test_select_regions_entry_not_in_file),
		cmocka_unit_test(test_find_hole),
		cmocka_unit_test(test_plan_auto_chains),
		cmocka_unit_test(test_plan_hugetlb_budget),
		cmocka_unit_test(test_plan_check_huge_partial_only_for_thp),
		cmocka_unit_test(test_plan_profile_hot_window),
		cmocka_unit_test(test_plan_forced_modes),
		cmocka_unit_test(test_plan_mdwe_uses_rx_staging),
		cmocka_unit_test(test_plan_no_eviction_of_modified_text),
		cmocka_unit_test(test_plan_never_copies_foreign_changes),
		cmocka_unit_test(test_plan_aggressive_skips_written_readonly),
		cmocka_unit_test(test_plan_nopie_file_first),
	};
	return cmocka_run_group_tests_name("planner", tests, NULL, NULL);
}

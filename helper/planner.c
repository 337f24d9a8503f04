/*
 * planner.c - regions, backing chains and the steps of each group.
 *
 * For every eligible r-x mapping the 2 MB-aligned interior becomes a region
 * (tiexec's conservative split; the unaligned ends stay on 4 KB pages).
 * Each region gets a chain of groups, tried in order until one succeeds:
 *   file      zero copy: MADV_HUGEPAGE + populate on the file mapping itself;
 *             only when vaddr == offset (mod 2 MB), else no PMD can map it
 *   file+evict the same after dropping small folios from the page cache
 *   hugetlb   copy into reserved pool pages, when enough are free
 *   thp       copy into anonymous memory, MADV_HUGEPAGE + MADV_COLLAPSE
 * A copy group builds the new text in a staging area, seals it r-x, checks it
 * is huge, moves the original aside, moves the copy in, verifies the bytes,
 * and only then unmaps the original (design invariants 1, 2, 6).
 * Must never: emit a mapping that is writable and executable at once, or
 * touch a mapping that is not the chosen text or its own staging.
 */
#define _GNU_SOURCE
#include "planner.h"
#include "hotness.h"
#include "layout.h"
#include "maplines.h"
#include "../common/kernel.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* "hugexec /path" within the kernel's rule for anon VMA names
 * (hx_anon_name_ok), keeping the end of a long path. */
static int anon_name(struct hx_plan *p, const char *path, uint32_t *off)
{
	char name[HX_ANON_NAME_MAX + 1];
	const char *prefix = "hugexec ";
	size_t pl = strlen(prefix), plen = strlen(path);
	size_t room = HX_ANON_NAME_MAX - pl;
	const char *tail = plen > room ? path + (plen - room + 3) : path;
	snprintf(name, sizeof(name), "%s%s%s", prefix, plen > room ? "..." : "", tail);
	for (char *c = name; *c; c++)
		if (!hx_anon_name_char_ok(*c))
			*c = '?';
	return hx_plan_add_string(p, name, off);
}

struct chain {
	int32_t prev;     /* last group of this region's chain, or -1 */
	uint64_t staging; /* S */
	uint64_t aside;   /* A */
	uint32_t path_str, name_str;
	uint32_t heat;    /* --profile: per HX_HEAT_ALL of its samples in the region */
	bool rx_staging;  /* MDWE-style: r-x from the start, tracer copies */
	const struct hp_layout *layout; /* entry patches land before the text groups run */
};

static int open_group(struct hx_plan *p, const struct hp_region *r, struct chain *c,
		      uint32_t backing, uint64_t staging)
{
	struct hx_plan_group g = {
		.addr = r->addr,
		.len = r->len,
		.file_offset = r->file_offset,
		.staging = staging,
		.backing = backing,
		.alt_of = c->prev,
		.path_str = c->path_str,
		.perfmap_str = HX_NO_STR,
		.heat = c->heat,
		.flags = (r->main_exe ? HX_GROUP_MAIN_EXE : 0u) | (r->edge ? HX_GROUP_EDGE : 0u) |
			 (staging && c->rx_staging ? HX_GROUP_RX_STAGING : 0u),
	};
	c->prev = (int32_t)p->n_groups;
	return hx_plan_add_group(p, &g);
}


/* Zero copy: let the page cache hand out PMD-sized folios. */
static int emit_file(struct hx_plan *p, const struct hp_region *r, struct chain *c, bool evict)
{
	int err = open_group(p, r, c, HX_BACK_FILE, 0);
	if (err)
		return err;
	if (evict) {
		/* Our own PTEs pin the small folios; drop them, then the cache. */
		HP_STEP(HX_OP_MADVISE, 0, r->addr, r->len, MADV_DONTNEED, 0);
		HP_STEP(HX_OP_EVICT, 0, r->addr, r->len, 0, 0);
	} else {
		HP_STEP(HX_OP_MADVISE, 0, r->addr, r->len, MADV_HUGEPAGE, 0);
	}
	HP_STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, r->addr, r->len, MADV_POPULATE_READ, 0);
	HP_STEP(HX_OP_CHECK_HUGE, 0, r->addr, r->len, 0, 0);
	hx_plan_close_group(p);
	return 0;
}

/* No page of this piece's mapping was modified in memory (smaps says so). */
static bool piece_clean(const struct hp_input *in, const struct hp_piece *p)
{
	const struct hx_vma *v = hx_vmas_find(in->vmas, p->start);
	return v && hx_vma_clean(v) && !v->deleted && v->path[0] == '/' &&
	       !(in->req->target_flags & HX_TGT_NO_FILE_READ);
}

/* Build a copy in S, swap it in, keep the original at A until verified.
 * Each piece is copied to, moved aside to and verified at the same offset
 * in S and A as in the region; holes stay zero. */
static int emit_copy(struct hx_plan *p, const struct hp_input *in, const struct hp_region *r,
		     struct chain *c, uint32_t backing)
{
	const struct hp_piece *pc = r->piece;
	const uint64_t S = c->staging, A = c->aside, T = r->addr, L = r->len;
	bool thp = backing == HX_BACK_THP;
	uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	if (!thp)
		flags |= MAP_HUGETLB | MAP_HUGE_2MB;
	int err = open_group(p, r, c, backing, S);
	if (err)
		return err;
	uint64_t prot0 = c->rx_staging ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE;
	HP_STEP(HX_OP_MMAP, 0, S, L, prot0, flags);
	if (thp)
		HP_STEP(HX_OP_MADVISE, 0, S, L, MADV_HUGEPAGE, 0);
	/* Unmodified text holds exactly its file's page-cache bytes: the target
	 * reads them with pread (a plain copy from the cache, no page tables
	 * built on either side: measured 13 ms against 22-26 ms for
	 * populate + process_vm_readv of 60 MB here). Modified text is copied
	 * from memory, its source populated first (a cold page cache would make
	 * the copy fault 4 KB at a time). */
	/* entry patches are in memory only: never read from the file */
	bool patched = hp_layout_patched(c->layout, T, L);
	for (size_t i = 0; i < r->n_pieces; i++) {
		uint32_t op = c->rx_staging ? HX_OP_TRACER_COPY
			      : piece_clean(in, &pc[i]) && !patched ? HX_OP_READ_FILE : HX_OP_COPY;
		if (op != HX_OP_READ_FILE)
			HP_STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, pc[i].start, pc[i].len, MADV_POPULATE_READ, 0);
		HP_STEP(op, 0, S + (pc[i].start - T), pc[i].start, pc[i].len, 0);
	}
	if (!c->rx_staging)
		HP_STEP(HX_OP_MPROTECT, 0, S, L, PROT_READ | PROT_EXEC, 0);
	if (thp)
		HP_STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, S, L, MADV_COLLAPSE, 0);
	/* THP is the last alternative: keep the windows that did collapse */
	HP_STEP(HX_OP_CHECK_HUGE, 0, S, L, thp ? HX_CHECK_SOME : HX_CHECK_ALL, 0);
	for (size_t i = 0; i < r->n_pieces; i++)
		HP_STEP(HX_OP_MREMAP, 0, pc[i].start, pc[i].len, A + (pc[i].start - T), 0);
	HP_STEP(HX_OP_MREMAP, 0, S, L, T, 0);
	for (size_t i = 0; i < r->n_pieces; i++)
		HP_STEP(HX_OP_VERIFY, 0, pc[i].start, A + (pc[i].start - T), pc[i].len, 0);
	if (thp)
		HP_STEP(HX_OP_NAME, HX_STEP_OPTIONAL, T, L, c->name_str, 0);
	/* The commit: a failure here only leaves the old copy mapped at A. */
	HP_STEP(HX_OP_MUNMAP, HX_STEP_OPTIONAL, A, L, 0, 0);
	hx_plan_close_group(p);
	return 0;
}

struct budget {
	uint64_t hugetlb_pages; /* free in the pool */
	uint64_t hugetlb_needed; /* by all regions: more than free = a choice */
};

/* Why a region gets no group at all (also the plan's reason). */
/* Why a region got no group. path: NULL for the main executable, which the
 * loader's message names; copies: false when its text may not be copied. */
static void no_way(const struct hx_req_header *rq, const char *path, const struct budget *b,
		   bool copies, char *why, size_t size)
{
	char who[4100] = "";
	if (path)
		snprintf(who, sizeof(who), "%s: ", path);
	if (!copies) {
		snprintf(why, size, "%stext changed in memory, not by the program (a uprobe?), is "
			 "never copied, and the file's own pages cannot serve", who);
		return;
	}
	const char *thp = (rq->target_flags & HX_TGT_THP_DISABLED)
				  ? "transparent huge pages are disabled for this process"
				  : "this kernel has no transparent huge pages";
	switch (rq->backing_mode) {
	case HX_MODE_FILE:
		snprintf(why, size, "%s--backing=file impossible: %s", who,
			 (rq->target_flags & HX_TGT_THP_DISABLED) || rq->thp_mode == HX_THP_UNKNOWN ||
					 rq->thp_mode == HX_THP_NEVER
				 ? "transparent huge pages are off"
				 : "address and file offset differ modulo 2 MB");
		break;
	case HX_MODE_HUGETLB:
		snprintf(why, size, "%s--backing=hugetlb needs %llu free hugetlb pages, %llu are free",
			 who, (unsigned long long)b->hugetlb_needed,
			 (unsigned long long)b->hugetlb_pages);
		break;
	case HX_MODE_THP:
		snprintf(why, size, "%s--backing=thp impossible: %s", who, thp);
		break;
	default:
		snprintf(why, size, "no huge pages available: %s, and %llu free hugetlb pages "
			 "are not enough for %llu", thp, (unsigned long long)b->hugetlb_pages,
			 (unsigned long long)b->hugetlb_needed);
	}
}

static bool thp_usable(const struct hx_req_header *rq)
{
	return rq->thp_mode != HX_THP_UNKNOWN && !(rq->target_flags & HX_TGT_THP_DISABLED);
}

/* Can the file's own page cache give r 2 MB pages (zero copy)? */
static bool file_usable(const struct hx_req_header *rq, const struct hp_region *r)
{
	return r->congruent && !r->edge && thp_usable(rq) && rq->thp_mode != HX_THP_NEVER;
}

/* Text changed in memory by someone other than the program: a uprobe's
 * int3 (perf probe, bpftrace, a USDT tracer) is written into the page, and
 * the kernel knows it only there. A copy would carry the int3 with no probe
 * behind it (the program dies of SIGTRAP at the next hit); the file backing
 * maps the file again and the kernel puts its probes back in. The
 * program's own changes are text relocations (DT_TEXTREL): ld.so's. */
bool hp_foreign_changes(const struct hp_input *in, const struct hx_vma *v)
{
	if (!v->has_smaps || hx_vma_clean(v))
		return false; /* unknown: as before smaps were read (tests) */
	const struct hp_file *f = hp_find_file(in, v);
	return !(f && f->elf.usable && f->elf.textrel);
}

/* The chain of one region; hugetlb: its windows were given pool pages. */
static int emit_region(struct hx_plan *p, const struct hp_input *in, const struct hp_region *r,
		       struct chain *c, const struct budget *b, bool hugetlb, char **notes)
{
	const struct hx_req_header *rq = in->req;
	const struct hx_vma *v = &in->vmas->v[r->vma];
	uint32_t mode = rq->backing_mode;
	bool any = mode == HX_MODE_AUTO;
	/* the file's pages would drop the layout's entry patches (they live in
	 * copied-on-write pages of the mapping): copies only */
	bool thp_on = thp_usable(rq),
	     file_ok = file_usable(rq, r) && !hp_layout_patched(c->layout, r->addr, r->len);
	bool copies = !hp_foreign_changes(in, v);
	int err;
	if (r->edge && (mode == HX_MODE_FILE || !copies))
		return 0; /* windows are always copies */

	if ((err = hx_plan_add_string(p, v->path, &c->path_str)) < 0 ||
	    (err = anon_name(p, v->path, &c->name_str)) < 0)
		return err;
	const struct hp_file *f = hp_find_file(in, v);
	char id[2 * HP_BUILD_ID_MAX + 1] = "none";
	if (f && f->elf.build_id_len)
		hp_elf_build_id_hex(&f->elf, id, sizeof(id));
	if ((err = hp_note(notes, "%s: %llu MB at %#llx, build-id %s%s", v->path,
			(unsigned long long)(r->len >> 20), (unsigned long long)r->addr, id,
			r->congruent ? ", file-aligned" : "")) < 0)
		return err;
	c->prev = -1;
	/* Dropping our PTEs to evict the cache would lose modified (copied-on-
	 * write) text pages: only clean text gets the second file attempt. */
	bool clean = hx_vma_clean(v);
	if ((any || mode == HX_MODE_FILE) && file_ok &&
	    ((err = emit_file(p, r, c, false)) < 0 || (clean && (err = emit_file(p, r, c, true)) < 0)))
		return err;
	if ((any || mode == HX_MODE_HUGETLB) && hugetlb && copies &&
	    (err = emit_copy(p, in, r, c, HX_BACK_HUGETLB)) < 0)
		return err;
	if ((any || mode == HX_MODE_THP) && thp_on && copies &&
	    (err = emit_copy(p, in, r, c, HX_BACK_THP)) < 0)
		return err;
	if (!copies && (err = hp_note(notes, "%s: changed in memory, not by ld.so's text "
				      "relocations (a uprobe?): never copied%s", v->path,
				      c->prev >= 0 ? "; only its file's pages may serve" : "")) < 0)
		return err;
	if (c->prev >= 0)
		return 0;
	char why[4600];
	no_way(rq, r->main_exe ? NULL : v->path, b, copies, why, sizeof(why));
	p->left_bytes += r->len; /* said, and a failure for --strict */
	if (p->reason_str == HX_NO_STR && (err = hx_plan_add_string(p, why, &p->reason_str)) < 0)
		return err;
	/* -vv names every mapping it speaks of (the reason leaves out the
	 * main executable, which the loader's line names already) */
	return r->main_exe ? hp_note(notes, "%s: %s", v->path, why) : hp_note(notes, "%s", why);
}

/* A window that may take a hugetlb page, and its samples (--profile). */
struct window {
	uint64_t heat;
	size_t w;
};

static int hotter(const void *a, const void *b)
{
	const struct window *x = a, *y = b;
	if (x->heat != y->heat)
		return x->heat > y->heat ? -1 : 1;
	return x->w < y->w ? -1 : x->w > y->w;
}

/* Which 2 MB windows get hugetlb pages (mark[w], w counting the windows of
 * all regions in order). Only where a hugetlb copy may be planned at all
 * (auto or --backing=hugetlb), and, in auto, not for text the file's own
 * page cache can put on 2 MB pages (it needs no pool page). All of those
 * when the pool holds enough; else the hottest (--profile) or, without a
 * profile, the first ones: backing is decided per window, the rest goes
 * on THP. */
static int mark_hugetlb(const struct hp_input *in, const struct hp_region *r, size_t n,
			const struct hp_hot *hot, struct budget *b, bool **out)
{
	size_t nw = 0;
	for (size_t i = 0; i < n; i++)
		nw += r[i].len / HX_HUGE;
	bool *mark = calloc(nw ? nw : 1, sizeof(*mark));
	struct window *order = calloc(nw ? nw : 1, sizeof(*order));
	if (!mark || !order) {
		free(mark);
		free(order);
		return -ENOMEM;
	}
	const struct hx_req_header *rq = in->req;
	size_t want = 0, w = 0;
	for (size_t i = 0; i < n; i++) {
		bool may = rq->backing_mode == HX_MODE_HUGETLB ||
			   (rq->backing_mode == HX_MODE_AUTO && !file_usable(rq, &r[i]));
		for (uint64_t a = r[i].addr; a < r[i].addr + r[i].len; a += HX_HUGE, w++)
			if (may) /* heat 0 without a profile: then the first windows win */
				order[want++] = (struct window){
					hp_hot_samples(hot, in, &in->vmas->v[r[i].vma], a, HX_HUGE), w};
	}
	b->hugetlb_needed = want;
	qsort(order, want, sizeof(*order), hotter);
	for (size_t k = 0; k < want && k < b->hugetlb_pages; k++)
		mark[order[k].w] = true;
	free(order);
	*out = mark;
	return 0;
}

static uint32_t heat_of(const struct hp_input *in, const struct hp_hot *hot,
			const struct hp_region *r)
{
	if (!hot->total)
		return 0;
	uint64_t s = hp_hot_samples(hot, in, &in->vmas->v[r->vma], r->addr, r->len);
	return (uint32_t)((unsigned __int128)s * HX_HEAT_ALL / hot->total);
}

/* Region g, split into runs of windows with the same hugetlb mark. */
static int emit_runs(struct hx_plan *p, const struct hp_input *in, const struct hp_region *g,
		     const bool *mark, const struct hp_hot *hot, struct chain *c,
		     const struct budget *b, char **notes)
{
	size_t nw = (size_t)(g->len / HX_HUGE);
	for (size_t k = 0; k < nw;) {
		size_t j = k + 1;
		while (j < nw && mark[j] == mark[k])
			j++;
		struct hp_region sub = *g;
		if (!g->edge) { /* an interior is one piece; a window is one 2 MB page */
			sub.addr = g->addr + k * HX_HUGE;
			sub.len = (j - k) * HX_HUGE;
			sub.file_offset = g->file_offset + k * HX_HUGE;
			sub.piece[0] = (struct hp_piece){sub.addr, sub.len};
		}
		c->heat = heat_of(in, hot, &sub);
		int err = emit_region(p, in, &sub, c, b, mark[k], notes);
		if (err < 0)
			return err;
		k = j;
	}
	return 0;
}

/* m with the islands added as mappings (sorted), so that no staging area
 * lands on one. The paths stay m's; free only out->v. */
static int with_islands(const struct hx_vmas *m, const struct hp_layout *l, struct hx_vmas *out)
{
	out->text = NULL;
	out->n = 0;
	out->v = malloc((m->n + l->n_islands + 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	size_t i = 0, k = 0;
	while (i < m->n || k < l->n_islands) {
		if (k < l->n_islands && (i == m->n || l->islands[k].start < m->v[i].start))
			out->v[out->n++] = l->islands[k++];
		else
			out->v[out->n++] = m->v[i++];
	}
	return 0;
}

static int build(const struct hp_input *in, const struct hp_hot *hot, struct hx_plan *p,
		 char **notes, struct hx_err *e)
{
	struct hp_layout lay;
	int err = hp_layout_build(in, hot, p, &lay, notes);
	if (err == -E2BIG) { /* the island does not fit one plan: none, text as before */
		hx_plan_free(p);
		hx_plan_init(p, in->req->pid);
		memset(&lay, 0, sizeof(lay));
		err = hp_note(notes, "layout: more than one plan carries; no function moved");
	}
	if (err < 0)
		return hx_fail(e, err, "building the layout: %s", strerror(-err));
	struct hx_vmas around;
	if ((err = with_islands(in->vmas, &lay, &around)) < 0) {
		hp_layout_free(&lay);
		return hx_fail(e, err, "out of memory");
	}
	struct hp_region *regions;
	size_t n;
	err = hp_select_regions(in, &regions, &n, notes);
	if (err < 0) {
		free(around.v);
		hp_layout_free(&lay);
		return hx_fail(e, err, "selecting regions: %s", strerror(-err));
	}
	uint64_t maxlen = 0, rlim = in->req->stack_rlimit;
	for (size_t i = 0; i < n; i++)
		if (regions[i].len > maxlen)
			maxlen = regions[i].len;
	struct chain c = {.prev = -1, .layout = &lay};
	c.rx_staging = (in->req->target_flags & (HX_TGT_MDWE | HX_TGT_NO_MPROTECT_EXEC |
						 HX_TGT_NO_SELF_COPY)) != 0;
	if (n > 0 && (hp_find_hole(&around, maxlen, 0, 0, rlim, &c.staging) < 0 ||
		      hp_find_hole(&around, maxlen, c.staging, maxlen, rlim, &c.aside) < 0)) {
		free(regions);
		free(around.v);
		hp_layout_free(&lay);
		return hx_fail(e, -ENOSPC, "no free address range of %llu MB for staging",
			       (unsigned long long)(maxlen >> 20));
	}
	free(around.v);
	struct budget b = {.hugetlb_pages = in->req->hugetlb_free};
	bool *mark = NULL;
	err = mark_hugetlb(in, regions, n, hot, &b, &mark);
	for (size_t i = 0, w = 0; i < n && err == 0; w += regions[i].len / HX_HUGE, i++)
		err = emit_runs(p, in, &regions[i], mark + w, hot, &c, &b, notes);
	free(mark);
	free(regions);
	hp_layout_free(&lay);
	if (err == 0)
		err = hp_perfmap_add(p, in);
	if (err < 0)
		return hx_fail(e, err, "building the plan: %s", strerror(-err));
	return 0;
}

int hp_plan_build(const struct hp_input *in, struct hx_plan *out, struct hx_err *e)
{
	char *notes = NULL, *warnings = NULL;
	struct hp_hot hot;
	hx_plan_init(out, in->req->pid);
	int err = in->profile_error ? hp_note(&warnings, "warning: %s; not used", in->profile_error)
				    : 0;
	const struct hx_vma *mv = hx_vmas_find(in->vmas, in->req->entry);
	const struct hp_file *mf = mv ? hp_find_file(in, mv) : NULL;
	if (err == 0 && mf && mf->elf.build_id_len) { /* (profdir.h) */
		char id[2 * HP_BUILD_ID_MAX + 1];
		hp_elf_build_id_hex(&mf->elf, id, sizeof(id));
		err = hp_note(&notes, HX_NOTE_PROGRAM_ID "%s", id);
	}
	if (err == 0 && (err = hp_hot_init(in, in->profile, in->profile_name, &hot, &warnings,
					   &notes)) < 0)
		hx_fail(e, err, "out of memory");
	if (err == 0) {
		err = build(in, &hot, out, &notes, e);
		hp_hot_free(&hot);
	}
	if (err == 0 && notes)
		err = hx_plan_add_string(out, notes, &out->notes_str);
	if (err == 0 && warnings)
		err = hx_plan_add_string(out, warnings, &out->warn_str);
	free(notes);
	free(warnings);
	if (err < 0)
		hx_plan_free(out);
	return err;
}

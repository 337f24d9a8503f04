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
#include "perfmap.h"
#include "../common/kernel.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Longest name PR_SET_VMA_ANON_NAME takes, without the NUL. */
#define ANON_NAME_MAX 79

/* "hugexec /path" within the kernel's limits on anon VMA names: printable,
 * none of \ ` $ [ ], at most 79 bytes (keeping the end of a long path). */
static int anon_name(struct hx_plan *p, const char *path, uint32_t *off)
{
	char name[ANON_NAME_MAX + 1];
	const char *prefix = "hugexec ";
	size_t pl = strlen(prefix), plen = strlen(path);
	size_t room = ANON_NAME_MAX - pl;
	const char *tail = plen > room ? path + (plen - room + 3) : path;
	snprintf(name, sizeof(name), "%s%s%s", prefix, plen > room ? "..." : "", tail);
	for (char *c = name; *c; c++)
		if (*c < 0x20 || *c > 0x7e || strchr("\\`$[]", *c))
			*c = '?';
	return hx_plan_add_string(p, name, off);
}

struct chain {
	int32_t prev;     /* last group of this region's chain, or -1 */
	uint64_t staging; /* S */
	uint64_t aside;   /* A */
	uint32_t path_str, name_str;
	bool rx_staging;  /* MDWE-style: r-x from the start, tracer copies */
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
		.flags = (r->main_exe ? HX_GROUP_MAIN_EXE : 0u) | (r->edge ? HX_GROUP_EDGE : 0u) |
			 (staging && c->rx_staging ? HX_GROUP_RX_STAGING : 0u),
	};
	c->prev = (int32_t)p->n_groups;
	return hx_plan_add_group(p, &g);
}

#define STEP(op, fl, a0, a1, a2, a3)                                   \
	do {                                                           \
		int r_ = hx_plan_add_step(p, (op), (fl), (a0), (a1), (a2), (a3)); \
		if (r_ < 0)                                            \
			return r_;                                     \
	} while (0)

/* Zero copy: let the page cache hand out PMD-sized folios. */
static int emit_file(struct hx_plan *p, const struct hp_region *r, struct chain *c, bool evict)
{
	int err = open_group(p, r, c, HX_BACK_FILE, 0);
	if (err)
		return err;
	if (evict) {
		/* Our own PTEs pin the small folios; drop them, then the cache. */
		STEP(HX_OP_MADVISE, 0, r->addr, r->len, MADV_DONTNEED, 0);
		STEP(HX_OP_EVICT, 0, r->addr, r->len, 0, 0);
	} else {
		STEP(HX_OP_MADVISE, 0, r->addr, r->len, MADV_HUGEPAGE, 0);
	}
	STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, r->addr, r->len, MADV_POPULATE_READ, 0);
	STEP(HX_OP_CHECK_HUGE, 0, r->addr, r->len, 0, 0);
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
	STEP(HX_OP_MMAP, 0, S, L, prot0, flags);
	if (thp)
		STEP(HX_OP_MADVISE, 0, S, L, MADV_HUGEPAGE, 0);
	/* Unmodified text holds exactly its file's page-cache bytes: the target
	 * reads them with pread (a plain copy from the cache, no page tables
	 * built on either side: measured 13 ms against 22-26 ms for
	 * populate + process_vm_readv of 60 MB here). Modified text is copied
	 * from memory, its source populated first (a cold page cache would make
	 * the copy fault 4 KB at a time). */
	for (size_t i = 0; i < r->n_pieces; i++) {
		uint32_t op = c->rx_staging ? HX_OP_TRACER_COPY
			      : piece_clean(in, &pc[i]) ? HX_OP_READ_FILE : HX_OP_COPY;
		if (op != HX_OP_READ_FILE)
			STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, pc[i].start, pc[i].len, MADV_POPULATE_READ, 0);
		STEP(op, 0, S + (pc[i].start - T), pc[i].start, pc[i].len, 0);
	}
	if (!c->rx_staging)
		STEP(HX_OP_MPROTECT, 0, S, L, PROT_READ | PROT_EXEC, 0);
	if (thp)
		STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, S, L, MADV_COLLAPSE, 0);
	/* THP is the last alternative: keep the windows that did collapse */
	STEP(HX_OP_CHECK_HUGE, 0, S, L, thp ? HX_CHECK_SOME : HX_CHECK_ALL, 0);
	for (size_t i = 0; i < r->n_pieces; i++)
		STEP(HX_OP_MREMAP, 0, pc[i].start, pc[i].len, A + (pc[i].start - T), 0);
	STEP(HX_OP_MREMAP, 0, S, L, T, 0);
	for (size_t i = 0; i < r->n_pieces; i++)
		STEP(HX_OP_VERIFY, 0, pc[i].start, A + (pc[i].start - T), pc[i].len, 0);
	if (thp)
		STEP(HX_OP_NAME, HX_STEP_OPTIONAL, T, L, c->name_str, 0);
	/* The commit: a failure here only leaves the old copy mapped at A. */
	STEP(HX_OP_MUNMAP, HX_STEP_OPTIONAL, A, L, 0, 0);
	hx_plan_close_group(p);
	return 0;
}

struct budget {
	uint64_t hugetlb_pages;
};

/* Why a region gets no group at all (also the plan's reason). */
static void no_way(const struct hx_req_header *rq, const char *path, uint64_t pages,
		   const struct budget *b, char *why, size_t size)
{
	const char *thp = (rq->target_flags & HX_TGT_THP_DISABLED)
				  ? "transparent huge pages are disabled for this process"
				  : "this kernel has no transparent huge pages";
	switch (rq->backing_mode) {
	case HX_MODE_FILE:
		snprintf(why, size, "%s: --backing=file impossible: %s", path,
			 (rq->target_flags & HX_TGT_THP_DISABLED) || rq->thp_mode == HX_THP_UNKNOWN ||
					 rq->thp_mode == HX_THP_NEVER
				 ? "transparent huge pages are off"
				 : "address and file offset differ modulo 2 MB");
		break;
	case HX_MODE_HUGETLB:
		snprintf(why, size, "%s: --backing=hugetlb needs %llu free hugetlb pages, %llu are free",
			 path, (unsigned long long)pages, (unsigned long long)b->hugetlb_pages);
		break;
	case HX_MODE_THP:
		snprintf(why, size, "%s: --backing=thp impossible: %s", path, thp);
		break;
	default:
		snprintf(why, size, "no huge pages available: %s, and %llu free hugetlb pages "
			 "are not enough for %llu", thp, (unsigned long long)b->hugetlb_pages,
			 (unsigned long long)pages);
	}
}

static int emit_region(struct hx_plan *p, const struct hp_input *in, const struct hp_region *r,
		       struct chain *c, struct budget *b, char **notes)
{
	const struct hx_req_header *rq = in->req;
	const struct hx_vma *v = &in->vmas->v[r->vma];
	uint32_t mode = rq->backing_mode;
	bool any = mode == HX_MODE_AUTO;
	bool thp_on = rq->thp_mode != HX_THP_UNKNOWN && !(rq->target_flags & HX_TGT_THP_DISABLED);
	bool file_ok = r->congruent && thp_on && rq->thp_mode != HX_THP_NEVER;
	uint64_t pages = r->len / HX_HUGE;
	int err;
	if (r->edge && mode == HX_MODE_FILE)
		return 0; /* windows are always copies */
	/* Backing is chosen per 2 MB window: when the hugetlb pool has some
	 * free pages but not enough for the whole region, its first windows
	 * take them and the rest goes on THP. */
	if (any && !r->edge && b->hugetlb_pages && b->hugetlb_pages < pages && thp_on) {
		struct hp_region head = *r, tail = *r;
		head.len = b->hugetlb_pages * HX_HUGE;
		head.piece[0].len = head.len;
		tail.addr += head.len;
		tail.len -= head.len;
		tail.file_offset += head.len;
		tail.piece[0] = (struct hp_piece){tail.addr, tail.len};
		return (err = emit_region(p, in, &head, c, b, notes)) < 0
			       ? err : emit_region(p, in, &tail, c, b, notes);
	}

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
	if ((any || mode == HX_MODE_FILE) && file_ok && !r->edge &&
	    ((err = emit_file(p, r, c, false)) < 0 || (clean && (err = emit_file(p, r, c, true)) < 0)))
		return err;
	if ((any || mode == HX_MODE_HUGETLB) && b->hugetlb_pages >= pages) {
		b->hugetlb_pages -= pages;
		if ((err = emit_copy(p, in, r, c, HX_BACK_HUGETLB)) < 0)
			return err;
	}
	if ((any || mode == HX_MODE_THP) && thp_on && (err = emit_copy(p, in, r, c, HX_BACK_THP)) < 0)
		return err;
	if (c->prev >= 0)
		return 0;
	char why[600];
	no_way(rq, v->path, pages, b, why, sizeof(why));
	if (p->reason_str == HX_NO_STR && (err = hx_plan_add_string(p, why, &p->reason_str)) < 0)
		return err;
	return hp_note(notes, "%s", why);
}

static int build(const struct hp_input *in, struct hx_plan *p, char **notes, struct hx_err *e)
{
	struct hp_region *regions;
	size_t n;
	int err = hp_select_regions(in, &regions, &n, notes);
	if (err < 0)
		return hx_fail(e, err, "selecting regions: %s", strerror(-err));
	uint64_t maxlen = 0;
	for (size_t i = 0; i < n; i++)
		if (regions[i].len > maxlen)
			maxlen = regions[i].len;
	struct chain c = {.prev = -1};
	c.rx_staging = (in->req->target_flags & (HX_TGT_MDWE | HX_TGT_NO_MPROTECT_EXEC |
						 HX_TGT_NO_SELF_COPY)) != 0;
	if (n > 0 && (hp_find_hole(in->vmas, maxlen, 0, 0, &c.staging) < 0 ||
		      hp_find_hole(in->vmas, maxlen, c.staging, maxlen, &c.aside) < 0)) {
		free(regions);
		return hx_fail(e, -ENOSPC, "no free address range of %llu MB for staging",
			       (unsigned long long)(maxlen >> 20));
	}
	struct budget b = {.hugetlb_pages = in->req->hugetlb_free};
	for (size_t i = 0; i < n && err == 0; i++)
		err = emit_region(p, in, &regions[i], &c, &b, notes);
	free(regions);
	if (err == 0)
		err = hp_perfmap_add(p, in, notes);
	if (err < 0)
		return hx_fail(e, err, "building the plan: %s", strerror(-err));
	return 0;
}

int hp_plan_build(const struct hp_input *in, struct hx_plan *out, struct hx_err *e)
{
	char *notes = NULL;
	hx_plan_init(out, in->req->pid);
	int err = build(in, out, &notes, e);
	if (err == 0 && notes)
		err = hx_plan_add_string(out, notes, &out->notes_str);
	free(notes);
	if (err < 0)
		hx_plan_free(out);
	return err;
}

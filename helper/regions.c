/*
 * regions.c - which stretches of text go on huge pages.
 *
 * Conservative (always): for each eligible r-x mapping, its 2 MB-aligned
 * interior; the unaligned head and tail stay on 4 KB pages (tiexec's split).
 * Aggressive (--align=aggressive): also the 2 MB windows around the head and
 * tail, when everything else mapped in such a window is a readable,
 * non-writable private mapping of the same file (its ELF headers, .rodata)
 * and the rest is unmapped. The window is copied whole: the extra pages
 * become part of one r-x huge mapping (W^X holds: nothing writable joins),
 * unmapped parts become zero pages. A window is one region of several
 * pieces, always copied (a file PMD cannot span mappings of different
 * protection).
 * Must never: let a region cover a writable page or another file's page,
 * or two regions overlap.
 */
#define _GNU_SOURCE
#include "planner.h"
#include "../common/placement.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int hp_note(char **notes, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	size_t old = *notes ? strlen(*notes) : 0, add = strlen(line);
	char *n = realloc(*notes, old + add + 2);
	if (!n)
		return -ENOMEM;
	memcpy(n + old, line, add);
	n[old + add] = '\n';
	n[old + add + 1] = '\0';
	*notes = n;
	return 0;
}

void hp_interior(uint64_t start, uint64_t end, uint64_t *addr, uint64_t *len)
{
	uint64_t a = hx_align_up(start, HX_HUGE), b = hx_align_down(end, HX_HUGE);
	*addr = a;
	*len = b > a ? b - a : 0;
}

const struct hp_file *hp_find_file(const struct hp_input *in, const struct hx_vma *v)
{
	for (size_t i = 0; i < in->n_files; i++) {
		const struct hp_file *f = &in->files[i];
		if (hx_vma_of_file(v, f->dev_major, f->dev_minor, f->inode))
			return f;
	}
	return NULL;
}


/* Why mapping v is not eligible, or NULL if it is. Silent skips return "". */
static const char *ineligible(const struct hp_input *in, const struct hx_vma *v,
			      const struct hx_vma *main_vma, const struct hx_vma *interp)
{
	const struct hx_req_header *rq = in->req;
	if (!hx_vma_is_text(v))
		return "";
	if (hx_vma_same_file(v, interp) && !hx_vma_same_file(v, main_vma))
		return ""; /* the dynamic loader is left alone */
	bool is_main = hx_vma_same_file(v, main_vma);
	if (!is_main && !(rq->options & HX_REQ_LIBRARIES))
		return "";
	if (in->only[0] && !hx_pattern_list_match(in->only, v->path))
		return "not selected by --only";
	if (in->exclude[0] && hx_pattern_list_match(in->exclude, v->path))
		return "excluded by --exclude";
	uint64_t a, l;
	hp_interior(v->start, v->end, &a, &l);
	if (l == 0 && rq->align != HX_ALIGN_AGGRESSIVE) /* most libraries: no note */
		return is_main ? "no whole 2 MB page inside its text" : "";
	if (v->end - v->start < rq->min_size)
		return l ? "smaller than --min-size" : "";
	const struct hp_file *f = hp_find_file(in, v);
	if (!f)
		return "file could not be opened or changed on disk";
	if (!f->elf.usable)
		return f->elf.why;
	if (!hp_elf_range_is_exec(&f->elf, v->offset, v->end - v->start))
		return "mapping is not an executable segment of its file";
	return NULL;
}

static bool overlaps_any(const struct hp_region *r, size_t n, uint64_t a, uint64_t l)
{
	for (size_t i = 0; i < n; i++)
		if (hx_overlaps(a, l, r[i].addr, r[i].len))
			return true;
	return false;
}

/* The 2 MB window at w around mapping v, if it may be taken whole: fill
 * g with its pieces. Only pages of v's file that are never writable and
 * hold the file's bytes (headers, .rodata) may join the text. */
static bool window(const struct hx_vmas *m, const struct hx_vma *v, uint64_t w,
		   struct hp_region *g)
{
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *x = &m->v[i];
		if (!hx_overlaps(w, HX_HUGE, x->start, x->end - x->start))
			continue;
		if (!hx_vma_same_file(x, v) || x->shared || (x->prot & PROT_WRITE) || !(x->prot & PROT_READ) ||
		    g->n_pieces == HP_MAX_PIECES)
			return false;
		/* a read-only page whose bytes are not the file's was written:
		 * RELRO (data ld.so relocated, then sealed). Made executable in
		 * the window, it would be data turned into code. */
		if (!(x->prot & PROT_EXEC) && x->has_smaps && !hx_vma_clean(x))
			return false;
		uint64_t a = x->start > w ? x->start : w;
		uint64_t b = x->end < w + HX_HUGE ? x->end : w + HX_HUGE;
		g->piece[g->n_pieces++] = (struct hp_piece){a, b - a};
	}
	g->addr = w;
	g->len = HX_HUGE;
	/* for reports only: where the window would start in the file */
	g->file_offset = w >= v->start ? v->offset + (w - v->start)
		       : v->offset > v->start - w ? v->offset - (v->start - w) : 0;
	g->edge = true;
	return g->n_pieces > 0;
}

/* Add v's interior and, if asked, its edge windows to r[]. */
static size_t add_regions(const struct hp_input *in, size_t vi, struct hp_region *r, size_t k)
{
	const struct hx_vma *v = &in->vmas->v[vi];
	uint64_t a, l;
	hp_interior(v->start, v->end, &a, &l);
	bool congruent = ((v->start - v->offset) & (HX_HUGE - 1)) == 0;
	if (l && !overlaps_any(r, k, a, l)) {
		struct hp_region *g = &r[k++];
		memset(g, 0, sizeof(*g));
		*g = (struct hp_region){.addr = a, .len = l, .file_offset = v->offset + (a - v->start),
					.n_pieces = 1};
		g->piece[0] = (struct hp_piece){a, l};
		g->congruent = congruent;
	}
	if (in->req->align == HX_ALIGN_AGGRESSIVE) {
		uint64_t ends[2] = {hx_align_down(v->start, HX_HUGE), hx_align_down(v->end, HX_HUGE)};
		bool need[2] = {!hx_is_aligned(v->start, HX_HUGE), !hx_is_aligned(v->end, HX_HUGE)};
		for (int e = 0; e < 2; e++) /* head and tail (the same window if v is small) */
			if (need[e] && !overlaps_any(r, k, ends[e], HX_HUGE) &&
			    window(in->vmas, v, ends[e], &r[k]))
				k++;
	}
	return k;
}

int hp_select_regions(const struct hp_input *in, struct hp_region **out, size_t *n, char **notes)
{
	const struct hx_vmas *m = in->vmas;
	const struct hx_vma *main_vma = hx_vmas_find(m, in->req->entry);
	const struct hx_vma *interp =
		in->req->interp_base ? hx_vmas_find(m, in->req->interp_base) : NULL;
	*out = NULL;
	*n = 0;
	if (!main_vma || main_vma->kind != HX_VMA_FILE)
		return hp_note(notes, "entry point %#llx is not in a file mapping",
			       (unsigned long long)in->req->entry);
	/* at most an interior and two windows per mapping */
	struct hp_region *r = calloc(3 * m->n + 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	size_t k = 0;
	/* Two passes: the main executable first, then libraries. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->n; i++) {
			const struct hx_vma *v = &m->v[i];
			bool is_main = hx_vma_same_file(v, main_vma);
			if (is_main != (pass == 0))
				continue;
			const char *why = ineligible(in, v, main_vma, interp);
			if (why) {
				if (why[0] && hp_note(notes, "%s: %s", v->path, why) < 0) {
					free(r);
					return -ENOMEM;
				}
				continue;
			}
			size_t before = k;
			k = add_regions(in, i, r, k);
			for (size_t j = before; j < k; j++) {
				r[j].vma = i;
				r[j].main_exe = is_main;
			}
		}
	}
	*out = r;
	*n = k;
	return 0;
}

/* Keep [lo, hi) as the best gap if it is the widest usable one so far. */
static void best_gap(uint64_t lo, uint64_t hi, uint64_t *best_lo, uint64_t *best_hi)
{
	/* keep one 2 MB window of distance from both neighbours */
	lo = hx_align_up(lo, HX_HUGE) + HX_HUGE;
	hi = hx_align_down(hi, HX_HUGE);
	if (hi <= lo + HX_HUGE)
		return;
	hi -= HX_HUGE;
	if (hi - lo > *best_hi - *best_lo) {
		*best_lo = lo;
		*best_hi = hi;
	}
}

int hp_find_hole(const struct hx_vmas *m, uint64_t len, uint64_t avoid, uint64_t avoid_len,
		 uint64_t stack_rlimit, uint64_t *out)
{
	uint64_t blo = 0, bhi = 0;
	const struct hx_keepout keep = hx_keepout_init(m, stack_rlimit);
	for (size_t i = 0; i + 1 < m->n; i++) {
		if (m->v[i + 1].kind == HX_VMA_VSYSCALL)
			break; /* nothing is planned above the user stack and vDSO */
		uint64_t lo = m->v[i].end, hi = m->v[i + 1].start;
		/* the validator's rule: not in the stack's or the brk's room */
		if (!hx_placement_clip(&keep, &lo, &hi))
			continue;
		if (avoid_len && hx_overlaps(lo, hi - lo, avoid, avoid_len)) {
			if (avoid > lo)
				best_gap(lo, avoid, &blo, &bhi);
			if (avoid + avoid_len < hi)
				best_gap(avoid + avoid_len, hi, &blo, &bhi);
		} else {
			best_gap(lo, hi, &blo, &bhi);
		}
	}
	if (bhi - blo < len)
		return -ENOSPC;
	*out = hx_align_down(blo + (bhi - blo - len) / 2, HX_HUGE);
	return 0;
}

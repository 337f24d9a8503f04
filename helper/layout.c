/*
 * layout.c - choose, check, order and place the functions of the hot
 * island, and write the island, its unwind records and the steps.
 *
 * The work per launch, in order:
 *   1. objects: the r-x mappings whose files the profile matches (or, with
 *      --move=all, every selected one), their symbols and FDEs;
 *   2. candidates: the hottest functions up to the share asked for;
 *   3. rules: mover.c's on the function's own code, then the ones that need
 *      its object (one FDE, copyable unwind records, nothing anywhere that
 *      lands under its patch);
 *   4. order (C3) and neighbourhoods (objects within 1 GB share an island);
 *   5. placement, copies, unwind records, steps.
 */
#define _GNU_SOURCE
#include "layout.h"
#include "hotness.h"
#include "maplines.h"
#include "mover.h"
#include "../common/ehframe.h"
#include "../common/kernel.h"
#include "../common/elfsyms.h"
#include "../common/placement.h"
#include "../profile/c3.h"
#include "../profile/profile.h"

#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Objects whose text lies within this of each other share an island; the
 * island then sits within HX_REACH of everything they reference. */
#define NEIGHBOURHOOD ((uint64_t)1 << 30)
#define REACH (((uint64_t)2 << 30) - ((uint64_t)64 << 20))
/* Neighbours looked at for short branches into a patch (rel8 reaches 128). */
#define NEAR 136
/* Moved functions in one plan: each takes two steps (moved, patch) of the
 * plan's HX_PLAN_MAX_STEPS, and the text groups need some too. Only
 * --move=all on a big binary comes near it; the rest stay, counted. */
#define MAX_MOVED 24000u

struct lobj {
	const struct hx_vma *v; /* its first r-x mapping (the bias comes from it) */
	size_t file;
	int64_t bias;           /* runtime address = ELF address + bias */
	bool main_exe;
	struct hx_elfsyms syms;
	struct hp_elf_view view;
	const struct prof_object *prof;
	uint64_t span_lo, span_hi; /* all its mappings */
	uint64_t samples;
};

struct lfun {
	size_t obj;
	const struct hx_func *hf;
	uint64_t vaddr, addr, size;
	const uint8_t *code;
	uint64_t samples;
	struct hx_x86_fn x;
	size_t fde;
	enum hp_stay stay;
	bool candidate;
	uint64_t copy;
	size_t island;
	size_t rank;            /* in its object's order (C3), SIZE_MAX: none */
	uint64_t obj_samples;   /* its object's, to put the hottest object first */
};

struct work {
	const struct hp_input *in;
	struct lobj *o;
	size_t n_o;
	struct lfun *f;
	size_t n_f, cap_f;
	uint64_t stayed[HP_STAY_COUNT];
	uint64_t total_samples; /* in functions of the matched objects */
	/* moved functions by original entry, for redirects */
	struct lfun **by_addr;
	size_t n_by_addr;
	/* the 4 KB pages (of one object, from spot_lo) that hold a patch
	 * window: one bit each, so that most candidate targets cost one test */
	uint8_t *spot_pages;
	uint64_t spot_lo, spot_npages;
};

static int add_fun(struct work *w, const struct lfun *f)
{
	if (hx_grow((void **)&w->f, w->n_f, &w->cap_f, sizeof(*w->f)) < 0)
		return -ENOMEM;
	w->f[w->n_f++] = *f;
	return 0;
}

/* ---- 1. objects ---------------------------------------------------------- */

static bool selected(const struct hp_input *in, const struct hx_vma *v, const struct hx_vma *main_vma,
		     const struct hx_vma *interp)
{
	if (!hx_vma_is_text(v) || v->kind != HX_VMA_FILE)
		return false;
	if (hx_vma_same_file(v, interp) && !hx_vma_same_file(v, main_vma))
		return false;
	if (!hx_vma_same_file(v, main_vma) && !(in->req->options & HX_REQ_LIBRARIES))
		return false;
	if (in->only[0] && !hx_pattern_list_match(in->only, v->path))
		return false;
	return !(in->exclude[0] && hx_pattern_list_match(in->exclude, v->path));
}

static int load_objects(struct work *w, const struct hp_hot *hot)
{
	const struct hp_input *in = w->in;
	const struct hx_vmas *m = in->vmas;
	const struct hx_vma *main_vma = hx_vmas_find(m, in->req->entry);
	const struct hx_vma *interp = in->req->interp_base ? hx_vmas_find(m, in->req->interp_base)
							   : NULL;
	bool all = (in->req->options & HX_REQ_MOVE_ALL) != 0;
	w->o = calloc(m->n ? m->n : 1, sizeof(*w->o));
	if (!w->o)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (!selected(in, v, main_vma, interp))
			continue;
		const struct hp_file *f = hp_find_file(in, v);
		if (!f || !f->elf.usable || !hp_elf_range_is_exec(&f->elf, v->offset, v->end - v->start))
			continue;
		/* text changed in memory by someone else (a uprobe's int3): copies
		 * made from the file would drop it, and the loader, which compares
		 * them with memory, would refuse the island */
		if (hp_foreign_changes(in, v))
			continue;
		size_t fi = (size_t)(f - in->files);
		bool seen = false;
		for (size_t k = 0; k < w->n_o; k++)
			seen |= w->o[k].file == fi;
		const struct prof_object *po = hot->total ? hot->obj[fi] : NULL;
		if (seen || (!all && !po) || (all && v->end - v->start < in->req->min_size))
			continue;
		struct lobj *o = &w->o[w->n_o];
		memset(o, 0, sizeof(*o));
		/* the executable's image is where its entry is (a mapping of it
		 * made at run time, below the image, would give a wrong bias) */
		if (main_vma && hx_vma_same_file(v, main_vma))
			v = main_vma;
		o->v = v;
		o->file = fi;
		o->main_exe = hx_vma_same_file(v, main_vma);
		o->prof = po;
		if (hp_load_bias(&f->elf, v, &o->bias) < 0)
			continue;
		o->span_lo = UINT64_MAX;
		/* (a far mapping of the same file is not its image: node maps
		 * part of its text again near V8's heap at run time) */
		for (size_t k = 0; k < m->n; k++)
			if (hx_vma_same_file(&m->v[k], v) && m->v[k].end + NEIGHBOURHOOD > v->start &&
			    m->v[k].start < v->end + NEIGHBOURHOOD) {
				if (m->v[k].start < o->span_lo)
					o->span_lo = m->v[k].start;
				if (m->v[k].end > o->span_hi)
					o->span_hi = m->v[k].end;
			}
		int r = in->read_symbols(in, fi, &o->syms);
		if (r < 0)
			return r;
		if (o->syms.n_funcs == 0 || hp_elf_view_open(in->fds[fi], &o->view) < 0) {
			hx_elfsyms_free(&o->syms);
			continue;
		}
		w->n_o++;
	}
	return 0;
}

/* ---- 2. candidates --------------------------------------------------------- */

static int add_candidate(struct work *w, size_t oi, const struct hx_func *hf, uint64_t samples)
{
	struct lobj *o = &w->o[oi];
	uint64_t vaddr;
	if (hf->size == 0 || hx_elfsyms_off_to_vaddr(&o->syms, hf->off, &vaddr) < 0 ||
	    hf->off > o->view.size || hf->size > o->view.size - hf->off)
		return 0;
	uint64_t addr = vaddr + (uint64_t)o->bias;
	/* in an r-x mapping of the file (a binary may have several: node's
	 * first is a small one before .text), whole */
	const struct hx_vma *v = hx_vmas_find(w->in->vmas, addr);
	if (!v || !hx_vma_is_text(v) || !hx_vma_same_file(v, o->v) || addr + hf->size > v->end)
		return 0;
	struct lfun f = {
		.obj = oi, .hf = hf, .vaddr = vaddr, .addr = addr, .size = hf->size,
		.code = (const uint8_t *)o->view.map + hf->off, .samples = samples,
	};
	return add_fun(w, &f);
}

static int by_samples(const void *a, const void *b)
{
	const struct lfun *x = a, *y = b;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int candidates(struct work *w)
{
	bool all = (w->in->req->options & HX_REQ_MOVE_ALL) != 0;
	for (size_t oi = 0; oi < w->n_o; oi++) {
		struct lobj *o = &w->o[oi];
		if (all) {
			for (size_t i = 0; i < o->syms.n_funcs; i++) {
				int r = add_candidate(w, oi, &o->syms.funcs[i], 0);
				if (r < 0)
					return r;
			}
			continue;
		}
		for (size_t i = 0; i < o->prof->n_funcs; i++) {
			const struct prof_func *pf = &o->prof->funcs[i];
			const struct hx_func *hf = hx_elfsyms_find(&o->syms, pf->off);
			if (!pf->samples || !hf || hf->off != pf->off)
				continue;
			o->samples += pf->samples;
			w->total_samples += pf->samples;
			int r = add_candidate(w, oi, hf, pf->samples);
			if (r < 0)
				return r;
		}
	}
	if (all) {
		for (size_t i = 0; i < w->n_f; i++)
			w->f[i].candidate = true;
		return 0;
	}
	/* the hottest, until they cover the share asked for */
	qsort(w->f, w->n_f, sizeof(*w->f), by_samples);
	uint64_t want = (uint64_t)((unsigned __int128)w->total_samples *
				   w->in->req->layout_permille / 1000);
	uint64_t got = 0;
	for (size_t i = 0; i < w->n_f && (got < want || got == 0); i++) {
		w->f[i].candidate = true;
		got += w->f[i].samples;
	}
	return 0;
}

/* ---- 3. rules ------------------------------------------------------------- */

/* The file offset of ELF address vaddr in any PT_LOAD, or -1. */
static int64_t file_off(const struct hp_elf *e, uint64_t vaddr)
{
	for (size_t i = 0; i < e->n_load; i++) {
		const struct hp_segment *s = &e->load[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
			return (int64_t)(vaddr - s->vaddr + s->offset);
	}
	return -1;
}

/* A pointer encoding that, if pc-relative, is signed (or omitted). */
static bool signed_if_pcrel(uint8_t enc)
{
	return enc == HX_DW_EH_PE_omit || (enc & 0x70) != HX_DW_EH_PE_pcrel || (enc & 0x08);
}

/* One FDE, covering exactly the function, with records we can copy. */
static enum hp_stay unwind_rule(const struct lobj *o, struct lfun *f)
{
	size_t first;
	if (hx_elfsyms_fdes_in(&o->syms, f->vaddr, f->size, &first) != 1)
		return HP_STAY_FDE;
	const struct hx_eh_fde *d = &o->syms.fdes[first];
	if (d->pc_begin != f->vaddr || d->pc_range != f->size)
		return HP_STAY_FDE;
	struct hx_eh_cie c;
	if (hx_eh_cie_read(o->syms.eh, o->syms.eh_size, o->syms.eh_vaddr, d->cie_off, &c) < 0 ||
	    c.signal_frame || d->len > HX_EH_RECORD_MAX || c.len > HX_EH_RECORD_MAX)
		return HP_STAY_UNWIND; /* (the loader reads records back up to that size) */
	/* absolute pointers would need the load bias added: only in ET_EXEC;
	 * pc-relative ones must be signed (the records sit after the island,
	 * the code and data they point to may be below) */
	bool absolute = (c.fde_enc & 0x70) == 0 ||
			(c.lsda_enc != HX_DW_EH_PE_omit && (c.lsda_enc & 0x70) == 0) ||
			(c.pers_enc != HX_DW_EH_PE_omit && (c.pers_enc & 0x70) == 0);
	if (absolute && o->bias != 0)
		return HP_STAY_UNWIND;
	if (!signed_if_pcrel(c.fde_enc) || !signed_if_pcrel(c.lsda_enc) ||
	    !signed_if_pcrel(c.pers_enc & (uint8_t)~HX_DW_EH_PE_indirect))
		return HP_STAY_UNWIND;
	if (d->lsda) { /* call sites relative to the copy: LPStart must be omitted */
		int64_t at = file_off(&o->syms.elf, d->lsda);
		if (at < 0 || (uint64_t)at >= o->view.size ||
		    ((const uint8_t *)o->view.map)[at] != HX_DW_EH_PE_omit)
			return HP_STAY_UNWIND;
	}
	f->fde = first;
	return HP_MOVES;
}

/* The forbidden landing spots of the moving functions of one object:
 * (entry, entry + patch end), less the patch's own first byte. */
struct spot {
	uint64_t lo, hi; /* ELF addresses, [lo, hi) */
	size_t fun;
};

static int by_lo(const void *a, const void *b)
{
	const struct spot *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct spot *spot_of(struct spot *s, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s[mid].lo <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || t >= s[lo - 1].hi)
		return NULL;
	return &s[lo - 1];
}

static void hit(struct work *w, struct spot *s, size_t n, uint64_t target)
{
	uint64_t pg = (target - w->spot_lo) >> 12;
	if (target < w->spot_lo || pg >= w->spot_npages || !(w->spot_pages[pg >> 3] & (1u << (pg & 7))))
		return;
	struct spot *p = spot_of(s, n, target);
	if (p) {
		struct lfun *f = &w->f[p->fun];
		if (target != f->vaddr + hp_patch_at(&f->x) && f->stay == HP_MOVES)
			f->stay = HP_STAY_PATCH_TARGET;
	}
}

/* A neighbour bigger than this is not decoded from its start to find its
 * short branches: its bytes within reach are searched for their patterns
 * (a superset again). */
#define BIG_NEIGHBOUR 4096u

/* Could a short branch in [off, off+ext) of the file (ELF address va) near
 * f (within NEAR bytes of it) land in a patch window? The byte patterns of
 * rel8 branches, a superset of the real ones. With mark, those targets are
 * marked; without, the answer says whether decoding is worth it. */
static bool short_patterns(struct work *w, struct spot *s, size_t n, const uint8_t *b,
			   uint64_t off, uint64_t va, uint64_t ext, uint64_t f_off, uint64_t f_size,
			   bool mark)
{
	uint64_t lo = f_off > NEAR ? f_off - NEAR : 0, hi = f_off + f_size + NEAR;
	if (lo < off)
		lo = off;
	if (hi > off + ext)
		hi = off + ext;
	bool any = false;
	for (uint64_t i = lo; i + 2 <= hi; i++) {
		uint8_t op = b[i];
		if ((op >= 0x70 && op <= 0x7f) || op == 0xeb || (op >= 0xe0 && op <= 0xe3)) {
			uint64_t t = va + (i - off) + 2 + (uint64_t)(int64_t)(int8_t)b[i + 1];
			if (!spot_of(s, n, t))
				continue;
			any = true;
			if (mark)
				hit(w, s, n, t);
		}
	}
	return any;
}

/* Every rel32 branch or call pattern anywhere in the object's code (a
 * superset of the real ones: a false hit only keeps a function home),
 * every pointer-sized word and RELATIVE addend in its data, every symbol
 * and FDE start; and, exactly decoded, the short branches of its
 * neighbours. */
static int object_rule(struct work *w, size_t oi, struct spot *s, size_t n)
{
	struct lobj *o = &w->o[oi];
	const uint8_t *b = o->view.map;
	const struct hp_elf *e = &o->syms.elf;
	for (size_t k = 0; k < e->n_load; k++) {
		const struct hp_segment *g = &e->load[k];
		if (g->offset > o->view.size || g->filesz > o->view.size - g->offset)
			continue;
		if (g->flags & PF_X) {
			/* each opcode byte found with memchr (vectorised), then its target */
			static const uint8_t ops[3] = {0xe8, 0xe9, 0x0f};
			const uint8_t *seg = b + g->offset, *end = seg + g->filesz;
			for (int oi_ = 0; oi_ < 3; oi_++)
				for (const uint8_t *p = memchr(seg, ops[oi_], g->filesz); p;
				     p = p + 1 < end ? memchr(p + 1, ops[oi_], (size_t)(end - p - 1)) : NULL) {
					size_t w6 = ops[oi_] == 0x0f ? 6 : 5;
					int32_t rel;
					if ((size_t)(end - p) < w6 || (ops[oi_] == 0x0f && (p[1] & 0xf0) != 0x80))
						continue;
					memcpy(&rel, p + w6 - 4, 4);
					hit(w, s, n, g->vaddr + (uint64_t)(p - seg) + w6 + (uint64_t)(int64_t)rel);
				}
		}
		/* pointers: in data, and in text too (a -z noseparate-code link
		 * keeps .rodata's jump tables of absolute addresses there) */
		for (uint64_t i = 0; i + 8 <= g->filesz; i += 8) {
			uint64_t word;
			memcpy(&word, b + g->offset + i, 8);
			hit(w, s, n, word);
		}
	}
	/* RELATIVE relocations hold the pointer in their addend (PIE, .so) */
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(o->view.elf, scn)) != NULL) {
		GElf_Shdr h;
		if (!gelf_getshdr(scn, &h) || h.sh_type != SHT_RELA)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t cnt = d && h.sh_entsize == sizeof(Elf64_Rela) ? d->d_size / sizeof(Elf64_Rela) : 0;
		for (size_t i = 0; i < cnt; i++) {
			GElf_Rela r;
			if (gelf_getrela(d, (int)i, &r) &&
			    (GELF_R_TYPE(r.r_info) == R_X86_64_RELATIVE ||
			     GELF_R_TYPE(r.r_info) == R_X86_64_IRELATIVE))
				hit(w, s, n, (uint64_t)r.r_addend);
		}
	}
	for (size_t i = 0; i < o->syms.n_funcs; i++) {
		uint64_t va;
		if (hx_elfsyms_off_to_vaddr(&o->syms, o->syms.funcs[i].off, &va) == 0)
			hit(w, s, n, va);
	}
	for (size_t i = 0; i < o->syms.n_fdes; i++)
		hit(w, s, n, o->syms.fdes[i].pc_begin);
	/* short branches reach 128 bytes: decode the neighbours exactly (the
	 * candidates are decoded already) */
	const struct lfun **dec = calloc(o->syms.n_funcs ? o->syms.n_funcs : 1, sizeof(*dec));
	if (!dec)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_f; i++)
		if (w->f[i].obj == oi && w->f[i].candidate && w->f[i].x.bad == HX_X86_OK)
			dec[w->f[i].hf - o->syms.funcs] = &w->f[i];
	for (size_t i = 0; i < n; i++) {
		const struct lfun *f = &w->f[s[i].fun];
		size_t k0 = (size_t)(f->hf - o->syms.funcs), lo = k0 > 16 ? k0 - 16 : 0;
		for (size_t k = lo; k < o->syms.n_funcs; k++) {
			const struct hx_func *g = &o->syms.funcs[k];
			if (g->off >= f->hf->off + f->size + NEAR)
				break;
			uint64_t va, ext = g->size ? g->size : g->extent;
			if (k == k0 || g->off + ext + NEAR <= f->hf->off ||
			    hx_elfsyms_off_to_vaddr(&o->syms, g->off, &va) < 0 ||
			    g->off > o->view.size || ext > o->view.size - g->off)
				continue;
			/* the patterns first: most neighbours have none, and need no decoding */
			if (!short_patterns(w, s, n, b, g->off, va, ext, f->hf->off, f->size, false))
				continue;
			if (!dec[k] && ext > BIG_NEIGHBOUR) {
				short_patterns(w, s, n, b, g->off, va, ext, f->hf->off, f->size, true);
				continue;
			}
			struct hx_x86_fn own = {0};
			const struct hx_x86_fn *x = dec[k] ? &dec[k]->x : &own;
			if (!dec[k] && hx_x86_scan(b + g->off, ext, va, &own) < 0) {
				free(dec);
				return -ENOMEM;
			}
			for (size_t r = 0; r < x->n_refs; r++)
				if (x->refs[r].kind != HX_REF_MEM)
					hit(w, s, n, x->refs[r].target);
			hx_x86_free(&own);
		}
	}
	free(dec);
	return 0;
}

/* Does the executable carry its own copy of libgcc's unwinder
 * (-static-libgcc, -static-libstdc++)? Its throws then unwind with it, and
 * it never sees what libgcc_s is told. (A stripped one cannot be told
 * apart; docs/layout.md#limits.) */
static int own_unwinder(struct work *w, bool *own)
{
	const struct hp_input *in = w->in;
	const struct hx_vma *main_vma = hx_vmas_find(in->vmas, in->req->entry);
	const struct hp_file *f = main_vma ? hp_find_file(in, main_vma) : NULL;
	*own = false;
	if (!f)
		return 0;
	size_t fi = (size_t)(f - in->files);
	const struct hx_elfsyms *syms = NULL;
	for (size_t i = 0; i < w->n_o && !syms; i++)
		if (w->o[i].file == fi)
			syms = &w->o[i].syms;
	struct hx_elfsyms mine;
	int r = 0;
	if (!syms) {
		if ((r = in->read_symbols(in, fi, &mine)) < 0)
			return r;
		syms = &mine;
	}
	uint64_t off;
	*own = hx_elfsyms_byname(syms, "_Unwind_RaiseException", &off) == 0 ||
	       hx_elfsyms_byname(syms, "__register_frame_info", &off) == 0;
	if (syms == &mine)
		hx_elfsyms_free(&mine);
	return 0;
}

static int rules(struct work *w)
{
	bool own = false;
	int err = own_unwinder(w, &own);
	if (err < 0)
		return err;
	bool no_calls = (w->in->req->target_flags & HX_TGT_NO_CALLS) || !w->in->req->interp_base ||
			own;
	for (size_t i = 0; i < w->n_f; i++) {
		struct lfun *f = &w->f[i];
		if (!f->candidate)
			continue;
		if (hx_x86_scan(f->code, f->size, f->vaddr, &f->x) < 0)
			return -ENOMEM;
		f->stay = hp_move_check(&f->x, f->vaddr, f->size);
		if (f->stay == HP_MOVES)
			f->stay = unwind_rule(&w->o[f->obj], f);
		if (f->stay == HP_MOVES && no_calls)
			f->stay = HP_STAY_NO_UNWINDER;
	}
	/* within the plan's bounds: the first ones (the hottest with a profile) */
	size_t moving = 0;
	for (size_t i = 0; i < w->n_f; i++)
		if (w->f[i].candidate && w->f[i].stay == HP_MOVES && ++moving > MAX_MOVED)
			w->f[i].stay = HP_STAY_LIMIT;
	for (size_t oi = 0; oi < w->n_o; oi++) {
		size_t n = 0;
		for (size_t i = 0; i < w->n_f; i++)
			n += w->f[i].candidate && w->f[i].obj == oi && w->f[i].stay == HP_MOVES;
		if (!n)
			continue;
		struct spot *s = calloc(n, sizeof(*s));
		if (!s)
			return -ENOMEM;
		n = 0;
		for (size_t i = 0; i < w->n_f; i++) {
			struct lfun *f = &w->f[i];
			if (f->candidate && f->obj == oi && f->stay == HP_MOVES)
				s[n++] = (struct spot){f->vaddr + 1,
						       f->vaddr + hp_patch_at(&f->x) + HP_PATCH_LEN, i};
		}
		qsort(s, n, sizeof(*s), by_lo);
		w->spot_lo = s[0].lo & ~(uint64_t)4095;
		w->spot_npages = ((s[n - 1].hi - 1) >> 12) - (w->spot_lo >> 12) + 1;
		w->spot_pages = calloc((size_t)(w->spot_npages / 8 + 1), 1);
		if (!w->spot_pages) {
			free(s);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++)
			for (uint64_t a = s[i].lo; a < s[i].hi; a = (a | 4095) + 1) {
				uint64_t pg = (a - w->spot_lo) >> 12;
				w->spot_pages[pg >> 3] |= (uint8_t)(1u << (pg & 7));
			}
		int r = object_rule(w, oi, s, n);
		free(w->spot_pages);
		w->spot_pages = NULL;
		free(s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- 4. order --------------------------------------------------------------- */

/* Rank within the object: C3 over the profile, else address order. */
static int order(struct work *w, size_t **rank_out)
{
	size_t *rank = calloc(w->n_f ? w->n_f : 1, sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_f; i++)
		rank[i] = SIZE_MAX;
	for (size_t oi = 0; oi < w->n_o; oi++) {
		const struct lobj *o = &w->o[oi];
		if (!o->prof)
			continue;
		size_t *ord, n;
		if (prof_c3_order(o->prof, &PROF_C3_DEFAULTS, &ord, &n) < 0) {
			free(rank);
			return -ENOMEM;
		}
		for (size_t k = 0; k < n; k++) {
			uint64_t off = o->prof->funcs[ord[k]].off;
			for (size_t i = 0; i < w->n_f; i++)
				if (w->f[i].obj == oi && w->f[i].hf->off == off) {
					rank[i] = k;
					break;
				}
		}
		free(ord);
	}
	*rank_out = rank;
	return 0;
}

/* ---- 5. placement and bytes --------------------------------------------- */

struct island {
	uint64_t lo, hi;     /* what it must reach */
	uint64_t addr, len;  /* the code mapping */
	uint64_t blob, blob_len; /* the unwind records' mapping */
	uint64_t need;       /* bytes of code */
	size_t n_funcs;
	bool main_exe;
};

/* The address of an island of total bytes within reach of [lo, hi), in a
 * gap of m (and of the islands placed so far) that the keep-out rule
 * allows, as close to [lo, hi) as there is. */
static int place(const struct hp_input *in, const struct island *done, size_t n_done,
		 uint64_t lo, uint64_t hi, uint64_t total, uint64_t *at)
{
	const struct hx_vmas *m = in->vmas;
	const struct hx_keepout keep = hx_keepout_init(m, in->req->stack_rlimit);
	uint64_t amin = hi > REACH ? hx_align_up(hi - REACH, HX_HUGE) : HX_HUGE;
	uint64_t amax = lo + REACH; /* island end at most */
	uint64_t best = 0, best_dist = UINT64_MAX;
	for (size_t i = 0; i + 1 < m->n; i++) {
		if (m->v[i + 1].kind == HX_VMA_VSYSCALL)
			break;
		uint64_t glo = m->v[i].end, ghi = m->v[i + 1].start;
		if (!hx_placement_clip(&keep, &glo, &ghi))
			continue;
		glo = hx_align_up(glo, HX_HUGE) + HX_HUGE; /* a 2 MB moat on both sides */
		ghi = hx_align_down(ghi, HX_HUGE);
		if (ghi < HX_HUGE + total || ghi - HX_HUGE < glo + total)
			continue;
		ghi -= HX_HUGE;
		if (glo < amin)
			glo = amin;
		if (ghi > amax)
			ghi = amax;
		if (ghi < glo + total)
			continue;
		/* the end nearest [lo, hi) */
		uint64_t cand = glo >= hi ? glo : hx_align_down(ghi - total, HX_HUGE);
		bool clash = false;
		for (size_t k = 0; k < n_done; k++)
			clash |= hx_overlaps(cand, total, done[k].addr,
					     done[k].blob + done[k].blob_len - done[k].addr);
		if (clash || cand < glo || cand + total > ghi)
			continue;
		uint64_t dist = cand >= hi ? cand - hi : lo - (cand + total);
		if (dist < best_dist) {
			best_dist = dist;
			best = cand;
		}
	}
	if (!best)
		return -ENOSPC;
	*at = best;
	return 0;
}

static int by_entry(const void *a, const void *b)
{
	const struct lfun *x = *(struct lfun *const *)a, *y = *(struct lfun *const *)b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static uint64_t same_target(void *ctx, uint64_t target)
{
	(void)ctx;
	return target;
}

/* The copy of the moved function whose entry is target, else target. */
static uint64_t to_copy(void *ctx, uint64_t target)
{
	struct work *w = ctx;
	size_t lo = 0, hi = w->n_by_addr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->by_addr[mid]->addr < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n_by_addr && w->by_addr[lo]->addr == target)
		return w->by_addr[lo]->copy;
	return target;
}

/* The copy of f at f->copy into buf (the island's bytes from base). The
 * scan's addresses are ELF ones: rebase the function's facts first. */
static int emit_one(struct work *w, struct lfun *f, uint8_t *buf, uint64_t base, bool redirect_on)
{
	int64_t bias = w->o[f->obj].bias;
	struct hx_x86_fn x = f->x;
	struct hx_x86_ref *refs = malloc((x.n_refs ? x.n_refs : 1) * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < x.n_refs; i++) {
		refs[i] = f->x.refs[i];
		refs[i].target += (uint64_t)bias;
	}
	x.refs = refs;
	int r = hp_move_emit(f->code, f->size, &x, f->addr, f->copy, buf + (f->copy - base),
			     redirect_on ? to_copy : same_target, w);
	if (r == 0)
		r = hx_x86_jmp32(buf + (f->copy - base) + f->size, f->copy + f->size, f->addr + f->size);
	free(refs);
	return r;
}

/* CIE and FDE of f, rebased, appended to *blob (records at runtime address
 * base + offset). cies remembers where each object's CIE copy went. */
struct cie_at {
	size_t obj, cie_off, at;
};

static int blob_append(uint8_t **blob, size_t *len, size_t *cap, const void *src, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = *cap ? *cap : 4096;
		while (nc < *len + n)
			nc *= 2;
		uint8_t *nb = realloc(*blob, nc);
		if (!nb)
			return -ENOMEM;
		*blob = nb;
		*cap = nc;
	}
	memcpy(*blob + *len, src, n);
	*len += n;
	return 0;
}

static int add_records(struct work *w, const struct lfun *f, uint64_t base, uint8_t **blob,
		       size_t *len, size_t *cap, struct cie_at *cies, size_t *n_cies)
{
	const struct lobj *o = &w->o[f->obj];
	const struct hx_eh_fde *d = &o->syms.fdes[f->fde];
	struct hx_eh_cie c;
	if (hx_eh_cie_read(o->syms.eh, o->syms.eh_size, o->syms.eh_vaddr, d->cie_off, &c) < 0)
		return -EINVAL;
	size_t cie_at = SIZE_MAX;
	for (size_t i = 0; i < *n_cies; i++)
		if (cies[i].obj == f->obj && cies[i].cie_off == d->cie_off)
			cie_at = cies[i].at;
	uint64_t bias = (uint64_t)o->bias;
	int r;
	if (cie_at == SIZE_MAX) {
		cie_at = *len;
		if ((r = blob_append(blob, len, cap, o->syms.eh + c.off, c.len)) < 0)
			return r;
		if (c.pers_field) {
			size_t at = cie_at + (c.pers_field - c.off);
			if (hx_eh_put(*blob + at, *len - at, c.pers_enc, base + at,
				      c.personality + bias) < 0)
				return -ERANGE;
		}
		cies[(*n_cies)++] = (struct cie_at){f->obj, d->cie_off, cie_at};
	}
	size_t fde_at = *len;
	if ((r = blob_append(blob, len, cap, o->syms.eh + d->off, d->len)) < 0)
		return r;
	uint32_t back = (uint32_t)(fde_at + 4 - cie_at);
	memcpy(*blob + fde_at + 4, &back, 4);
	size_t pc = fde_at + (d->pc_field - d->off);
	if (hx_eh_put(*blob + pc, *len - pc, c.fde_enc, base + pc, f->copy) < 0)
		return -ERANGE;
	if (d->lsda) {
		size_t la = fde_at + (d->lsda_field - d->off);
		if (hx_eh_put(*blob + la, *len - la, c.lsda_enc, base + la, d->lsda + bias) < 0)
			return -ERANGE;
	}
	return 0;
}


/* Perf map lines for the copies of an island, and one more for its trap
 * byte (never run) whose name says what the island holds: `hugexec
 * status` reads it back (HX_ISLAND_MARK). */
static int island_lines(struct work *w, struct lfun **fs, size_t n, uint64_t trap,
			struct hx_plan *p, uint32_t *off)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	if (!s)
		return -ENOMEM;
	len = (size_t)snprintf(s, cap, "%s", HX_PERFMAP_SYMTAB);
	uint64_t bytes = 0, samples = 0;
	for (size_t i = 0; i <= n; i++) {
		char mark[160];
		const char *name = mark;
		if (i < n) {
			name = fs[i]->hf->name;
			bytes += fs[i]->size;
			samples += fs[i]->samples;
		} else if (w->total_samples) {
			snprintf(mark, sizeof(mark), "%sfunctions=%zu,kb=%llu,samples=%.1f%%",
				 HX_ISLAND_MARK, n, (unsigned long long)(bytes >> 10),
				 100.0 * (double)samples / (double)w->total_samples);
		} else {
			snprintf(mark, sizeof(mark), "%sfunctions=%zu,kb=%llu", HX_ISLAND_MARK, n,
				 (unsigned long long)(bytes >> 10));
		}
		size_t need = strlen(name) + 48;
		if (len + need >= cap) {
			cap = 2 * (cap + need);
			char *ns = realloc(s, cap);
			if (!ns) {
				free(s);
				return -ENOMEM;
			}
			s = ns;
		}
		len += (size_t)snprintf(s + len, cap - len, "%llx %llx %s\n",
					(unsigned long long)(i < n ? fs[i]->copy : trap),
					(unsigned long long)(i < n ? fs[i]->size : 1), name);
	}
	int r = hx_plan_add_string(p, s, off);
	free(s);
	return r;
}

static int emit_island(struct work *w, struct island *is, struct lfun **fs, size_t n,
		       struct hx_plan *p, uint32_t path_str)
{
	uint8_t *code = malloc((size_t)is->len);
	uint8_t *blob = NULL;
	size_t blen = 0, bcap = 0, n_cies = 0;
	struct cie_at *cies = calloc(n ? n : 1, sizeof(*cies));
	if (!code || !cies) {
		free(code);
		free(cies);
		return -ENOMEM;
	}
	memset(code, 0xcc, (size_t)is->len);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = emit_one(w, fs[i], code, is->addr, true);
	for (size_t i = 0; i < n && r == 0; i++)
		r = add_records(w, fs[i], is->blob, &blob, &blen, &bcap, cies, &n_cies);
	uint32_t zero = 0;
	if (r == 0)
		r = blob_append(&blob, &blen, &bcap, &zero, 4);
	free(cies);
	uint32_t code_off = 0, blob_off = 0, lines = HX_NO_STR;
	if (r == 0)
		r = hx_plan_add_data(p, code, (size_t)is->need, &code_off);
	if (r == 0)
		r = hx_plan_add_data(p, blob, blen, &blob_off);
	free(code);
	free(blob);
	if (r == 0) /* names are at hand here: the perf map run need not redo this */
		r = island_lines(w, fs, n, is->addr + is->need - 1, p, &lines);
	if (r < 0)
		return r;
	/* THP: an island is one or two 2 MB pages, and hugetlb pages are the
	 * text's (their budget is counted for the text groups). Without THP
	 * the island still packs the hot code, on 4 KB pages. */
	bool hugetlb = false;
	struct hx_plan_group g = {
		.addr = is->addr, .len = is->len, .staging = 0,
		.backing = hugetlb ? HX_BACK_HUGETLB : HX_BACK_THP, .alt_of = -1,
		.path_str = path_str, .flags = HX_GROUP_LAYOUT | (is->main_exe ? HX_GROUP_MAIN_EXE : 0u),
		.perfmap_str = lines,
	};
	uint64_t in_island = 0;
	for (size_t i = 0; i < n; i++)
		in_island += fs[i]->samples;
	if (w->total_samples)
		g.heat = (uint32_t)((unsigned __int128)in_island * HX_HEAT_ALL / w->total_samples);
	if ((r = hx_plan_add_group(p, &g)) < 0)
		return r;
	uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	HP_STEP(HX_OP_MMAP, 0, is->addr, is->len, PROT_READ | PROT_EXEC,
	     flags | (hugetlb ? (uint64_t)(MAP_HUGETLB | MAP_HUGE_2MB) : 0));
	if (!hugetlb)
		HP_STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, is->addr, is->len, MADV_HUGEPAGE, 0);
	HP_STEP(HX_OP_POKE, 0, is->addr, code_off, is->need, 0);
	if (!hugetlb)
		HP_STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, is->addr, is->len, MADV_COLLAPSE, 0);
	HP_STEP(HX_OP_MMAP, 0, is->blob, is->blob_len, PROT_READ, flags);
	HP_STEP(HX_OP_POKE, 0, is->blob, blob_off, blen, 0);
	for (size_t i = 0; i < n; i++) {
		const struct lobj *o = &w->o[fs[i]->obj];
		uint64_t fde = o->syms.eh_vaddr + o->syms.fdes[fs[i]->fde].off + (uint64_t)o->bias;
		HP_STEP(HX_OP_MOVED, 0, fs[i]->addr, fs[i]->copy, fs[i]->size, fde);
	}
	/* the last byte of code is an int3: injected calls return to it */
	HP_STEP(HX_OP_EH_REGISTER, 0, is->blob, blen, is->addr + is->need - 1, fs[0]->copy);
	for (size_t i = 0; i < n; i++) {
		uint32_t at = hp_patch_at(&fs[i]->x);
		HP_STEP(HX_OP_PATCH, 0, fs[i]->addr + at, fs[i]->copy + at, 0, 0);
	}
	HP_STEP(HX_OP_CHECK_HUGE, HX_STEP_OPTIONAL, is->addr, is->len, HX_CHECK_SOME, 0);
	hx_plan_close_group(p);
	return 0;
}

/* Record sizes of f's CIE and FDE (an upper bound of its share of the blob). */
static uint64_t records_len(const struct work *w, const struct lfun *f)
{
	const struct lobj *o = &w->o[f->obj];
	const struct hx_eh_fde *d = &o->syms.fdes[f->fde];
	size_t len;
	uint32_t l;
	memcpy(&l, o->syms.eh + d->cie_off, 4);
	len = (size_t)l + 4;
	return d->len + len;
}

static int by_obj_rank(const void *a, const void *b)
{
	const struct lfun *x = *(struct lfun *const *)a, *y = *(struct lfun *const *)b;
	if (x->obj != y->obj) {
		if (x->obj_samples != y->obj_samples)
			return x->obj_samples > y->obj_samples ? -1 : 1;
		return x->obj < y->obj ? -1 : 1;
	}
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int summary(struct work *w, struct hx_plan *p, const struct hp_layout *l,
		   uint64_t moved, uint64_t moved_bytes, uint64_t moved_samples)
{
	char s[1024];
	size_t len = 0, n_is = l->n_islands;
	uint64_t isl = 0;
	for (size_t i = 0; i < n_is; i++)
		isl += l->islands[i].end - l->islands[i].start;
	len += (size_t)snprintf(s + len, sizeof(s) - len,
				"layout: %llu functions moved (%llu KB) into %zu island%s (%llu MB)",
				(unsigned long long)moved, (unsigned long long)(moved_bytes >> 10),
				n_is, n_is == 1 ? "" : "s", (unsigned long long)(isl >> 20));
	if (w->total_samples)
		len += (size_t)snprintf(s + len, sizeof(s) - len, ", %.1f%% of the profile's samples",
					100.0 * (double)moved_samples / (double)w->total_samples);
	bool any = false;
	for (int k = 1; k < HP_STAY_COUNT && len < sizeof(s) - 80; k++) {
		if (!w->stayed[k])
			continue;
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s %s: %llu", any ? "," : "; stayed:",
					hp_stay_name((enum hp_stay)k), (unsigned long long)w->stayed[k]);
		any = true;
	}
	return hx_plan_add_string(p, s, &p->layout_str);
}

static int build_islands(struct work *w, struct hx_plan *p, struct hp_layout *out)
{
	size_t *rank;
	int r = order(w, &rank);
	if (r < 0)
		return r;
	size_t n = 0;
	for (size_t i = 0; i < w->n_f; i++) {
		struct lfun *f = &w->f[i];
		const struct lobj *o = &w->o[f->obj];
		if (f->stay == HP_MOVES && o->span_hi - o->span_lo > NEIGHBOURHOOD)
			f->stay = HP_STAY_REACH; /* its own mappings are too far apart (a
						  * file mapped twice, far away): one
						  * island cannot be near all of it */
		if (f->candidate)
			w->stayed[f->stay]++;
		if (f->candidate && f->stay == HP_MOVES)
			n++;
	}
	struct lfun **fs = calloc(n ? n : 1, sizeof(*fs));
	struct island *is = calloc(w->n_o ? w->n_o : 1, sizeof(*is));
	if (!fs || !is) {
		free(rank);
		free(fs);
		free(is);
		return -ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < w->n_f; i++)
		if (w->f[i].candidate && w->f[i].stay == HP_MOVES) {
			w->f[i].rank = rank[i];
			w->f[i].obj_samples = w->o[w->f[i].obj].samples;
			fs[n++] = &w->f[i];
		}
	free(rank);
	qsort(fs, n, sizeof(*fs), by_obj_rank);
	/* neighbourhoods: objects within NEIGHBOURHOOD of the first one */
	size_t n_is = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lobj *o = &w->o[fs[i]->obj];
		size_t k = 0;
		for (; k < n_is; k++) {
			uint64_t lo = is[k].lo < o->span_lo ? is[k].lo : o->span_lo;
			uint64_t hi = is[k].hi > o->span_hi ? is[k].hi : o->span_hi;
			if (hi - lo <= NEIGHBOURHOOD) {
				is[k].lo = lo;
				is[k].hi = hi;
				break;
			}
		}
		if (k == n_is) {
			is[n_is].lo = o->span_lo;
			is[n_is].hi = o->span_hi;
			n_is++;
		}
		fs[i]->island = k;
		is[k].n_funcs++;
		is[k].main_exe |= o->main_exe;
		/* alignment (mod 64) padding, the copy, its fall-through jmp */
		is[k].need += 63 + fs[i]->size + 5;
		is[k].blob_len += records_len(w, fs[i]);
	}
	uint64_t moved = 0, moved_bytes = 0, moved_samples = 0;
	uint32_t path_str;
	r = hx_plan_add_string(p, "[hot island]", &path_str);
	size_t placed_n = 0;
	for (size_t k = 0; k < n_is && r == 0; k++) {
		struct island *I = &is[k];
		I->need += 1; /* the trap */
		I->len = hx_align_up(I->need, HX_HUGE);
		I->blob_len = hx_align_up(I->blob_len + 4, HX_PAGE);
		uint64_t at;
		if (place(w->in, is, placed_n, I->lo, I->hi, I->len + I->blob_len, &at) < 0) {
			I->n_funcs = 0; /* no room: this neighbourhood stays as it is */
			for (size_t i = 0; i < n; i++)
				if (fs[i]->island == k)
					fs[i]->stay = HP_STAY_REACH;
			continue;
		}
		I->addr = at;
		I->blob = at + I->len;
		/* copy addresses: same offset modulo 64 as the original */
		uint64_t cur = I->addr;
		for (size_t i = 0; i < n; i++) {
			if (fs[i]->island != k)
				continue;
			cur += (fs[i]->addr - cur) & 63;
			fs[i]->copy = cur;
			cur += fs[i]->size + 5;
		}
		I->need = cur - I->addr + 1;
		placed_n = k + 1;
	}
	/* moved functions by entry, for the redirects */
	w->by_addr = fs;
	w->n_by_addr = 0;
	struct lfun **sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		r = -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++)
		if (is[fs[i]->island].n_funcs)
			sorted[w->n_by_addr++] = fs[i];
	if (r == 0) {
		qsort(sorted, w->n_by_addr, sizeof(*sorted), by_entry);
		w->by_addr = sorted;
	}
	/* a first pass finds copies whose displacements do not fit; they stay */
	for (size_t k = 0; k < n_is && r == 0; k++) {
		if (!is[k].n_funcs)
			continue;
		uint8_t *scratch = malloc((size_t)is[k].len);
		if (!scratch) {
			r = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < n && r == 0; i++) {
			if (fs[i]->island != k)
				continue;
			int e = emit_one(w, fs[i], scratch, is[k].addr, false);
			if (e == -ERANGE)
				fs[i]->stay = HP_STAY_REACH;
			else if (e < 0)
				r = e;
		}
		free(scratch);
	}
	/* drop those from the redirects and the islands */
	size_t keep = 0;
	for (size_t i = 0; i < w->n_by_addr; i++)
		if (w->by_addr[i]->stay == HP_MOVES)
			w->by_addr[keep++] = w->by_addr[i];
	w->n_by_addr = keep;
	for (size_t k = 0; k < n_is && r == 0; k++) {
		if (!is[k].n_funcs)
			continue;
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (fs[i]->island == k && fs[i]->stay == HP_MOVES)
				m++;
		if (!m)
			continue;
		struct lfun **mine = calloc(m, sizeof(*mine));
		if (!mine) {
			r = -ENOMEM;
			break;
		}
		m = 0;
		for (size_t i = 0; i < n; i++)
			if (fs[i]->island == k && fs[i]->stay == HP_MOVES)
				mine[m++] = fs[i];
		r = emit_island(w, &is[k], mine, m, p, path_str);
		if (r == -ERANGE || r == -EINVAL) { /* a record that does not fit: this
						     * island stays out, nothing of it planned */
			for (size_t i = 0; i < m; i++)
				mine[i]->stay = HP_STAY_UNWIND;
			free(mine);
			r = 0;
			continue;
		}
		for (size_t i = 0; i < m && r == 0; i++) {
			moved++;
			moved_bytes += mine[i]->size;
			moved_samples += mine[i]->samples;
		}
		free(mine);
		if (r == 0) {
			struct hx_vma *nv = realloc(out->islands, (out->n_islands + 1) * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			out->islands = nv;
			memset(&nv[out->n_islands], 0, sizeof(*nv));
			nv[out->n_islands].start = is[k].addr;
			nv[out->n_islands].end = is[k].blob + is[k].blob_len;
			nv[out->n_islands].kind = HX_VMA_ANON;
			nv[out->n_islands].path = "";
			nv[out->n_islands].prot = PROT_READ | PROT_EXEC;
			out->n_islands++;
		}
	}
	/* the entry patches, for the text planner */
	if (r == 0 && w->n_by_addr) {
		out->patches = calloc(w->n_by_addr, sizeof(*out->patches));
		if (!out->patches)
			r = -ENOMEM;
		for (size_t i = 0; r == 0 && i < w->n_by_addr; i++)
			out->patches[out->n_patches++] = w->by_addr[i]->addr;
	}
	for (size_t i = 0; i < w->n_f; i++) /* recount: the reach rule came last */
		if (w->f[i].candidate && w->f[i].stay == HP_STAY_REACH) {
			w->stayed[HP_MOVES]--;
			w->stayed[HP_STAY_REACH]++;
		}
	if (r == 0 && w->n_f)
		r = summary(w, p, out, moved, moved_bytes, moved_samples);
	free(sorted);
	w->by_addr = NULL;
	free(fs);
	free(is);
	return r;
}

int hp_layout_build(const struct hp_input *in, const struct hp_hot *hot, struct hx_plan *p,
		    struct hp_layout *out, char **notes)
{
	memset(out, 0, sizeof(*out));
	const struct hx_req_header *rq = in->req;
	bool all = (rq->options & HX_REQ_MOVE_ALL) != 0;
	/* the perf map run: the islands' lines came with the plan that ran */
	if (!in->read_symbols || (rq->options & HX_REQ_PERF_MAP) ||
	    (!all && (!(rq->options & HX_REQ_LAYOUT) || !hot->total)))
		return 0;
	struct work w = {.in = in};
	uint64_t t0 = hx_now_ns();
	int r = load_objects(&w, hot);
	uint64_t t1 = hx_now_ns();
	if (r == 0)
		r = candidates(&w);
	if (r == 0)
		r = rules(&w);
	uint64_t t2 = hx_now_ns();
	if (r == 0 && w.n_f)
		r = build_islands(&w, p, out);
	uint64_t t3 = hx_now_ns();
	if (r == 0 && w.n_f)
		r = hp_note(notes, "layout: %zu objects read in %.1f ms, %zu candidates checked in "
			    "%.1f ms, islands built in %.1f ms", w.n_o, (double)(t1 - t0) / 1e6, w.n_f,
			    (double)(t2 - t1) / 1e6, (double)(t3 - t2) / 1e6);
	if (r == 0 && w.n_f == 0)
		r = hp_note(notes, "layout: no function of the profile found in the mapped objects");
	for (size_t i = 0; i < w.n_f; i++)
		hx_x86_free(&w.f[i].x);
	free(w.f);
	for (size_t i = 0; i < w.n_o; i++) {
		hx_elfsyms_free(&w.o[i].syms);
		hp_elf_view_close(&w.o[i].view);
	}
	free(w.o);
	if (r < 0)
		hp_layout_free(out);
	return r;
}

void hp_layout_free(struct hp_layout *l)
{
	free(l->patches);
	free(l->islands);
	memset(l, 0, sizeof(*l));
}

bool hp_layout_patched(const struct hp_layout *l, uint64_t a, uint64_t len)
{
	if (!l)
		return false;
	size_t lo = 0, hi = l->n_patches;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->patches[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n_patches && l->patches[lo] < a + len;
}

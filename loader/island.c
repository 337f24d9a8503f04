/*
 * island.c - the shape and trust checks of a layout group (island.h).
 */
#define _GNU_SOURCE
#include "island.h"
#include "../common/ehframe.h"
#include "../common/kernel.h"
#include "../common/x86.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_ISLAND ((uint64_t)64 << 20)
#define MAX_BLOB ((uint64_t)16 << 20)

static const uint8_t ENDBR64[4] = {0xf3, 0x0f, 0x1e, 0xfa};

/* The steps of a layout group, by role. */
struct shape {
	const struct hx_plan_step *map_code, *poke_code, *map_blob, *poke_blob, *reg;
	const struct hx_plan_step *moved, *patch; /* runs of n_moved steps each */
	size_t n_moved, n_patch;
	const struct hx_plan_step **by_orig;      /* the moved steps by original entry */
	const struct hx_plan_step **by_copy;      /* and by copy (trust check only) */
	uint64_t *by_patch;                       /* all the plan's patch addresses, sorted
						   * (trust check) */
	size_t n_all_patches;
};

static bool is_opt_madvise(const struct hx_plan_step *s, const struct hx_plan_group *g, uint64_t adv)
{
	return s->op == HX_OP_MADVISE && s->a[0] == g->addr && s->a[1] == g->len && s->a[2] == adv;
}

/* Sort the steps of group gi into roles; -EINVAL if they are not, in
 * order: mmap, [madvise hugepage], poke, [madvise collapse], [name], mmap,
 * poke, moved..., eh-register, patch..., [check-huge]. */
static int roles(const struct hx_plan *p, uint32_t gi, struct shape *s, const char **why)
{
	const struct hx_plan_group *g = &p->groups[gi];
	const struct hx_plan_step *st = &p->steps[g->first_step], *end = st + g->n_steps;
	memset(s, 0, sizeof(*s));
	*why = "steps out of the layout's order";
#define NEXT(cond) (st < end && (cond))
	if (!NEXT(st->op == HX_OP_MMAP))
		return -EINVAL;
	s->map_code = st++;
	if (NEXT(is_opt_madvise(st, g, MADV_HUGEPAGE)))
		st++;
	if (!NEXT(st->op == HX_OP_POKE))
		return -EINVAL;
	s->poke_code = st++;
	if (NEXT(is_opt_madvise(st, g, MADV_COLLAPSE)))
		st++;
	if (NEXT(st->op == HX_OP_NAME && st->a[0] == g->addr && st->a[1] == g->len))
		st++;
	if (!NEXT(st->op == HX_OP_MMAP))
		return -EINVAL;
	s->map_blob = st++;
	if (!NEXT(st->op == HX_OP_POKE))
		return -EINVAL;
	s->poke_blob = st++;
	s->moved = st;
	while (NEXT(st->op == HX_OP_MOVED))
		st++;
	s->n_moved = (size_t)(st - s->moved);
	if (!NEXT(st->op == HX_OP_EH_REGISTER))
		return -EINVAL;
	s->reg = st++;
	s->patch = st;
	while (NEXT(st->op == HX_OP_PATCH))
		st++;
	s->n_patch = (size_t)(st - s->patch);
	if (NEXT(st->op == HX_OP_CHECK_HUGE && st->a[0] == g->addr && st->a[1] == g->len))
		st++;
#undef NEXT
	if (st != end)
		return -EINVAL;
	*why = NULL;
	return 0;
}

/* Optional flags only where a failure leaves nothing to undo. */
static bool flags_ok(const struct hx_plan_step *s)
{
	bool may = s->op == HX_OP_MADVISE || s->op == HX_OP_NAME || s->op == HX_OP_CHECK_HUGE;
	return !(s->flags & HX_STEP_OPTIONAL) || may;
}

static bool free_and_placed(const struct hx_vmas *m, const struct hx_keepout *k, uint64_t a,
			    uint64_t l)
{
	return a >= HX_MIN_ADDR && a + l > a && hx_vmas_range_free(m, a, l) &&
	       hx_placement_ok(k, a, l);
}

static int by_a1(const void *x, const void *y)
{
	const struct hx_plan_step *a = *(const struct hx_plan_step *const *)x;
	const struct hx_plan_step *b = *(const struct hx_plan_step *const *)y;
	return a->a[1] < b->a[1] ? -1 : a->a[1] > b->a[1];
}

static int by_a0(const void *x, const void *y)
{
	const struct hx_plan_step *a = *(const struct hx_plan_step *const *)x;
	const struct hx_plan_step *b = *(const struct hx_plan_step *const *)y;
	return a->a[0] < b->a[0] ? -1 : a->a[0] > b->a[0];
}

static int by_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* No two of the n ranges [key, key+a2) overlap (sorted by key). */
static int disjoint(const struct hx_plan_step *run, size_t n, int (*cmp)(const void *, const void *),
		    int key)
{
	const struct hx_plan_step **v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = &run[i];
	qsort(v, n, sizeof(*v), cmp);
	int r = 0;
	for (size_t i = 1; i < n && r == 0; i++)
		if (v[i - 1]->a[key] + v[i - 1]->a[2] > v[i]->a[key])
			r = -EINVAL;
	free(v);
	return r;
}

static const char *moved_ok(const struct hx_vmas *m, const struct shape *s, uint64_t used,
			    const struct hx_plan_group *g)
{
	for (size_t i = 0; i < s->n_moved; i++) {
		const uint64_t *a = s->moved[i].a;
		const struct hx_vma *v = hx_vmas_find(m, a[0]);
		if (a[2] == 0 || a[2] > LD_ISLAND_MAX_FUNC || !v || !hx_vma_is_text(v) ||
		    a[0] + a[2] > v->end || a[0] + a[2] < a[0])
			return "a moved function is not inside the program's text";
		if (a[1] < g->addr || a[1] + a[2] + 5 > g->addr + used || a[1] + a[2] < a[1])
			return "a copy is not inside the island";
		const struct hx_vma *fv = hx_vmas_find(m, a[3]);
		if (!fv || !hx_vma_same_file(fv, v) || !(fv->prot & PROT_READ))
			return "a moved function's FDE is not in its file's mappings";
	}
	return NULL;
}

/* The moved step whose original entry is orig, or NULL. */
static const struct hx_plan_step *moved_at(const struct shape *s, uint64_t orig)
{
	size_t lo = 0, hi = s->n_moved;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->by_orig[mid]->a[0] < orig)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_moved && s->by_orig[lo]->a[0] == orig ? s->by_orig[lo] : NULL;
}

/* The moved step whose copy starts at copy, or NULL (needs by_copy). */
static const struct hx_plan_step *copy_at(const struct shape *s, uint64_t copy)
{
	size_t lo = 0, hi = s->n_moved;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->by_copy[mid]->a[1] < copy)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_moved && s->by_copy[lo]->a[1] == copy ? s->by_copy[lo] : NULL;
}

/* s->by_orig; also checks that no two moved functions overlap. */
static int index_moved(struct shape *s)
{
	s->by_orig = malloc((s->n_moved ? s->n_moved : 1) * sizeof(*s->by_orig));
	if (!s->by_orig)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_moved; i++)
		s->by_orig[i] = &s->moved[i];
	qsort(s->by_orig, s->n_moved, sizeof(*s->by_orig), by_a0);
	for (size_t i = 1; i < s->n_moved; i++)
		if (s->by_orig[i - 1]->a[0] + s->by_orig[i - 1]->a[2] > s->by_orig[i]->a[0])
			return -EINVAL;
	return 0;
}

static const char *patches_ok(const struct shape *s, int *err)
{
	if (s->n_patch != s->n_moved)
		return "not one patch per moved function";
	uint8_t *used = calloc(s->n_moved ? s->n_moved : 1, 1);
	if (!used) {
		*err = -ENOMEM;
		return "out of memory";
	}
	const char *why = NULL;
	for (size_t i = 0; !why && i < s->n_patch; i++) {
		const uint64_t *a = s->patch[i].a;
		const struct hx_plan_step *mv = moved_at(s, a[0]);
		uint64_t d = 0;
		if (!mv && a[0] >= 4 && (mv = moved_at(s, a[0] - 4)) != NULL)
			d = 4;
		if (!mv || a[1] != mv->a[1] + d || mv->a[2] < d + 5)
			why = "a patch is not at a moved function's entry, to its own copy";
		else if (used[mv - s->moved]++)
			why = "two patches for one moved function";
	}
	free(used);
	return why;
}

int ld_island_check_shape(const struct hx_plan *p, uint32_t gi, const struct hx_vmas *m,
			  const struct hx_keepout *keep, struct hx_err *e)
{
	const struct hx_plan_group *g = &p->groups[gi];
	struct shape s = {0};
	const char *why = NULL;
	int err = 0;
	const uint64_t anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	if (g->backing != HX_BACK_THP || g->alt_of != -1 || g->staging != 0 ||
	    (g->flags & ~(uint32_t)(HX_GROUP_LAYOUT | HX_GROUP_MAIN_EXE)))
		why = "an island is a THP mapping of its own";
	else if (!g->len || g->len > MAX_ISLAND || !hx_is_aligned(g->addr, HX_HUGE) ||
		 !hx_is_aligned(g->len, HX_HUGE) || !free_and_placed(m, keep, g->addr, g->len))
		why = "the island is not 2 MB aligned in free space away from the stack and heap";
	else if (roles(p, gi, &s, &why) < 0)
		;
	else if (s.map_code->a[0] != g->addr || s.map_code->a[1] != g->len ||
		 s.map_code->a[2] != (PROT_READ | PROT_EXEC) || s.map_code->a[3] != anon)
		why = "the island is not mapped r-x, anonymous, where the group says";
	else if (s.poke_code->a[0] != g->addr || s.poke_code->a[2] > g->len)
		why = "the island's code is not written from its start";
	else if (s.map_blob->a[2] != PROT_READ || s.map_blob->a[3] != anon ||
		 !hx_is_aligned(s.map_blob->a[0], HX_PAGE) || !hx_is_aligned(s.map_blob->a[1], HX_PAGE) ||
		 !s.map_blob->a[1] || s.map_blob->a[1] > MAX_BLOB ||
		 hx_overlaps(s.map_blob->a[0], s.map_blob->a[1], g->addr, g->len) ||
		 !free_and_placed(m, keep, s.map_blob->a[0], s.map_blob->a[1]))
		why = "the unwind records are not mapped read-only in free space";
	else if (s.poke_blob->a[0] != s.map_blob->a[0] || s.poke_blob->a[2] > s.map_blob->a[1] ||
		 s.poke_blob->a[2] < 4)
		why = "the unwind records are not written from their mapping's start";
	else if (s.n_moved == 0)
		why = "an island without functions";
	else if ((why = moved_ok(m, &s, s.poke_code->a[2], g)) != NULL)
		;
	else if ((err = index_moved(&s)) < 0 || disjoint(s.moved, s.n_moved, by_a1, 1) < 0)
		why = err == -ENOMEM ? "out of memory" : "moved functions or their copies overlap";
	if (!why && (s.reg->a[0] != s.poke_blob->a[0] || s.reg->a[1] != s.poke_blob->a[2] ||
		     s.reg->a[2] < g->addr || s.reg->a[2] >= g->addr + s.poke_code->a[2]))
		why = "the unwind registration names other records or a trap outside the island";
	if (!why) {
		bool probe = false;
		for (size_t i = 0; i < s.n_moved; i++)
			probe |= s.moved[i].a[1] == s.reg->a[3];
		if (!probe)
			why = "the unwind registration's probe is not a copy";
	}
	if (!why)
		why = patches_ok(&s, &err);
	for (uint32_t k = 0; !why && k < g->n_steps; k++)
		if (!flags_ok(&p->steps[g->first_step + k]))
			why = "a step that must not fail is optional";
	free(s.by_orig);
	if (why)
		return hx_fail(e, err == -ENOMEM ? err : -EPERM, "plan group %u (island at %#llx): %s",
			       gi, (unsigned long long)g->addr, why);
	return 0;
}

/* ---- trust ------------------------------------------------------------- */

struct code_ctx {
	const struct shape *s;
	const uint8_t *island; /* the poked bytes */
	uint64_t base, used;
	uint8_t *mark;         /* per island byte: claimed by a copy or a jmp */
};

/* The copy's relative operand, now reaching to, reaches what the
 * original's o did. */
static bool same_target(const struct code_ctx *c, const struct hx_plan_step *mv,
			const struct hx_x86_ref *o, uint64_t to)
{
	uint64_t orig = mv->a[0], size = mv->a[2], copy = mv->a[1];
	bool inside = o->target >= orig && o->target - orig < size;
	if (o->kind == HX_REF_MEM)
		return to == o->target; /* data and labels stay where they are */
	if (inside)
		return to == copy + (o->target - orig);
	if (to == o->target)
		return true;
	const struct hx_plan_step *callee = moved_at(c->s, o->target);
	return callee && to == callee->a[1];
}

/* Is there a patch in [lo, hi)? */
static bool patch_in(const struct shape *s, uint64_t lo, uint64_t hi)
{
	return hx_u64_in(s->by_patch, s->n_all_patches, lo, hi);
}

/* Does t lie under a patch's jmp, after its first byte (a patch window is
 * HP_PATCH_LEN = 5 bytes: landing on its first byte runs the jmp)? */
static bool under_patch(const struct shape *s, uint64_t t)
{
	return patch_in(s, t >= 4 ? t - 4 : 0, t);
}

/* Is there a patch at addr? */
static bool patch_at(const struct shape *s, uint64_t addr)
{
	return patch_in(s, addr, addr + 1);
}

/* One copy against its original, read from the target. Only the original
 * is decoded: the copy has the same bytes but in the relative fields, and
 * displacement and immediate bytes never change how the bytes around them
 * decode, so the copy decodes to the same instructions. */
static const char *one_copy(struct code_ctx *c, const struct hx_plan_step *mv, ld_read_fn read,
			    void *ctx, int *err)
{
	uint64_t orig = mv->a[0], copy = mv->a[1], size = mv->a[2];
	uint8_t *o = malloc((size_t)size), *mask = calloc(1, (size_t)size);
	if (!o || !mask) {
		free(o);
		free(mask);
		*err = -ENOMEM;
		return "out of memory";
	}
	const uint8_t *k = c->island + (copy - c->base);
	const char *why = NULL;
	struct hx_x86_fn xo = {0};
	if (read(ctx, orig, o, (size_t)size) < 0)
		why = "the original could not be read";
	else if ((*err = hx_x86_scan(o, size, orig, &xo)) < 0)
		why = "out of memory";
	else if (xo.bad)
		why = "a moved function does not decode to its end";
	/* the bytes the helper may set: the relative fields */
	for (size_t i = 0; !why && i < xo.n_refs; i++)
		memset(mask + xo.refs[i].insn + xo.refs[i].field, 1, xo.refs[i].width);
	for (size_t i = 0; !why && i < xo.n_refs; i++) {
		const struct hx_x86_ref *ro = &xo.refs[i];
		uint64_t to = copy + ro->insn + ro->insn_len +
			      (uint64_t)hx_x86_field(k + ro->insn, ro);
		bool inside = ro->target >= orig && ro->target - orig < size;
		/* the helper's rules, checked again: what runs in the original
		 * body or lands on a patch would run bytes the helper chose */
		if (under_patch(c->s, ro->target))
			why = "a copy's operand reaches into a patch";
		else if (inside && ro->kind == HX_REF_CALL && ro->target != orig)
			why = "a copy calls into itself (it would read the island's address)";
		else if (inside && ro->kind != HX_REF_MEM && mask[ro->target - orig])
			/* (a branch over a lock prefix lands inside an instruction
			 * too, on bytes that are the original's: that is fine) */
			why = "a copy's branch lands in a relative field, bytes the helper set";
		else if (!same_target(c, mv, ro, to))
			why = "a copy's operand reaches another address than its original's";
	}
	for (uint64_t i = 0; !why && i < size; i++)
		if (!mask[i] && o[i] != k[i])
			why = "a copy's bytes differ from its original's";
	/* the jmp back to the original's end, for code that falls off */
	uint8_t jmp[5];
	if (!why && (hx_x86_jmp32(jmp, copy + size, orig + size) < 0 ||
		     memcmp(k + size, jmp, 5) != 0))
		why = "a copy is not followed by its jmp back";
	for (uint64_t i = 0; !why && i < size + 5; i++) {
		if (c->mark[copy - c->base + i])
			why = "copies overlap";
		c->mark[copy - c->base + i] = 1;
	}
	/* a patch after an endbr64 needs one there */
	if (!why && patch_at(c->s, orig + 4) && memcmp(o, ENDBR64, 4) != 0)
		why = "a patch after an endbr64 that is not there";
	free(mask);
	free(o);
	hx_x86_free(&xo);
	return why;
}

/* An unwind record of the target at addr (up to HX_EH_RECORD_MAX). */
static int read_record(ld_read_fn read, void *ctx, uint64_t addr, uint8_t *buf, size_t *len)
{
	uint32_t l;
	if (read(ctx, addr, &l, 4) < 0 || l < 8 || l > HX_EH_RECORD_MAX - 4)
		return -EINVAL;
	*len = l + 4u;
	return read(ctx, addr, buf, *len) < 0 ? -EINVAL : 0;
}

/* a and b equal but for [skip_i, skip_i + skip_w) for each skip given. */
static bool equal_but(const uint8_t *a, const uint8_t *b, size_t n, const size_t *skip,
		      const size_t *w, size_t n_skip)
{
	for (size_t i = 0; i < n; i++) {
		bool skipped = false;
		for (size_t k = 0; k < n_skip; k++)
			skipped |= w[k] && i >= skip[k] && i < skip[k] + w[k];
		if (!skipped && a[i] != b[i])
			return false;
	}
	return true;
}

/* The blob's FDE at off (its CIE at cie_off in the blob) against the
 * original one the moved step names. */
static const char *one_fde(const uint8_t *blob, size_t used, uint64_t base, size_t off,
			   const struct shape *s, ld_read_fn read, void *ctx, uint8_t *seen,
			   uint8_t *const rec[2])
{
	size_t cie_off;
	struct hx_eh_cie bc, oc;
	struct hx_eh_fde bf, of;
	if (hx_eh_fde_cie_off(blob, used, off, &cie_off) < 0 || cie_off >= off ||
	    hx_eh_cie_read(blob, used, base, cie_off, &bc) < 0 ||
	    hx_eh_fde_read(blob, used, base, off, &bc, &bf) < 0)
		return "an unwind record does not read";
	const struct hx_plan_step *mv = copy_at(s, bf.pc_begin);
	if (!mv || bf.pc_range != mv->a[2] || seen[mv - s->moved]++)
		return "an unwind record is not for exactly one copy";
	uint8_t *ofb = rec[0], *ocb = rec[1];
	size_t ofl, ocl;
	uint32_t back;
	if (read_record(read, ctx, mv->a[3], ofb, &ofl) < 0)
		return "the original FDE does not read";
	memcpy(&back, ofb + 4, 4);
	uint64_t ocie = mv->a[3] + 4 - back;
	if (back == 0 || read_record(read, ctx, ocie, ocb, &ocl) < 0 ||
	    hx_eh_cie_read(ocb, ocl, ocie, 0, &oc) < 0 ||
	    hx_eh_fde_decode(ofb, ofl, mv->a[3], 0, &oc, &of) < 0)
		return "the original unwind records do not read";
	if (of.pc_begin != mv->a[0] || of.pc_range != mv->a[2] || of.lsda != bf.lsda)
		return "an unwind record is not the original function's";
	/* the CIE: the same bytes, the personality pointer re-encoded only */
	size_t cs[1] = {bc.pers_field ? bc.pers_field - bc.off : 0}, cw[1] = {bc.pers_width};
	if (ocl != bc.len || oc.personality != bc.personality || oc.pers_enc != bc.pers_enc ||
	    (bc.pers_field && oc.pers_field - oc.off != bc.pers_field - bc.off) ||
	    !equal_but(ocb, blob + bc.off, ocl, cs, cw, 1))
		return "an unwind record's CIE is not the original's";
	/* the FDE: the same bytes but the CIE pointer, pc_begin and the LSDA */
	size_t fs[3] = {4, bf.pc_field - bf.off, bf.lsda_field ? bf.lsda_field - bf.off : 0};
	size_t fw[3] = {4, bf.pc_width, bf.lsda_width};
	if (ofl != bf.len || of.pc_field - of.off != bf.pc_field - bf.off ||
	    (of.lsda_field ? of.lsda_field - of.off : 0) != (bf.lsda_field ? bf.lsda_field - bf.off : 0) ||
	    !equal_but(ofb, blob + bf.off, ofl, fs, fw, 3))
		return "an unwind record's FDE is not the original's";
	return NULL;
}

static const char *records(const struct shape *s, const uint8_t *blob, size_t used, uint64_t base,
			   ld_read_fn read, void *ctx, int *err)
{
	uint8_t *seen = calloc(s->n_moved, 1);
	uint8_t *rec[2] = {malloc(HX_EH_RECORD_MAX), malloc(HX_EH_RECORD_MAX)};
	if (!seen || !rec[0] || !rec[1]) {
		free(seen);
		free(rec[0]);
		free(rec[1]);
		*err = -ENOMEM;
		return "out of memory";
	}
	const char *why = NULL;
	size_t off = 0;
	uint32_t l = 0;
	while (!why && off + 4 <= used) {
		memcpy(&l, blob + off, 4);
		if (l == 0)
			break;
		if (l == 0xffffffffu || l < 8 || l > used - off - 4) {
			why = "an unwind record runs past the records";
			break;
		}
		uint32_t id;
		memcpy(&id, blob + off + 4, 4);
		if (id != 0) /* a CIE is checked through the FDEs that name it */
			why = one_fde(blob, used, base, off, s, read, ctx, seen, rec);
		off += (size_t)l + 4;
	}
	if (!why && (l != 0 || off + 4 != used))
		why = "the unwind records do not end with their terminator";
	for (size_t i = 0; !why && i < s->n_moved; i++)
		if (!seen[i])
			why = "a copy without its unwind record";
	free(seen);
	free(rec[0]);
	free(rec[1]);
	return why;
}

int ld_island_check_code(const struct hx_plan *p, uint32_t gi, ld_read_fn read, void *ctx,
			 struct hx_err *e)
{
	struct shape s;
	const char *why;
	if (roles(p, gi, &s, &why) < 0)
		return hx_fail(e, -EPERM, "plan group %u: %s", gi, why);
	s.by_copy = malloc((s.n_moved ? s.n_moved : 1) * sizeof(*s.by_copy));
	if (!s.by_copy || index_moved(&s) < 0) {
		free(s.by_orig);
		free(s.by_copy);
		return hx_fail(e, -EPERM, "plan group %u: moved functions overlap", gi);
	}
	for (size_t i = 0; i < s.n_moved; i++)
		s.by_copy[i] = &s.moved[i];
	qsort(s.by_copy, s.n_moved, sizeof(*s.by_copy), by_a1);
	/* every patch of the plan, this island's and the others': no copy
	 * may reach under any of them */
	size_t n_all = 0;
	for (uint32_t i = 0; i < p->n_steps; i++)
		n_all += p->steps[i].op == HX_OP_PATCH;
	s.by_patch = malloc((n_all ? n_all : 1) * sizeof(*s.by_patch));
	if (!s.by_patch) {
		free(s.by_orig);
		free(s.by_copy);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	s.n_all_patches = 0;
	for (uint32_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].op == HX_OP_PATCH)
			s.by_patch[s.n_all_patches++] = p->steps[i].a[0];
	qsort(s.by_patch, s.n_all_patches, sizeof(*s.by_patch), by_u64);
	struct code_ctx c = {.s = &s, .island = p->data + s.poke_code->a[1],
			     .base = s.poke_code->a[0], .used = s.poke_code->a[2]};
	/* what the shape check established, checked again where this one
	 * relies on it (it must not read out of bounds on any plan) */
	why = NULL;
	for (size_t i = 0; !why && i < s.n_moved; i++) {
		const uint64_t *a = s.moved[i].a;
		if (a[2] == 0 || a[2] > LD_ISLAND_MAX_FUNC || a[1] < c.base ||
		    a[1] - c.base > c.used || c.used - (a[1] - c.base) < a[2] + 5)
			why = "a copy is not inside the island";
	}
	if (!why && (s.reg->a[2] < c.base || s.reg->a[2] - c.base >= c.used))
		why = "the trap is not in the island";
	if (why) {
		free(s.by_orig);
		free(s.by_copy);
		free(s.by_patch);
		return hx_fail(e, -EPERM, "plan group %u: %s", gi, why);
	}
	c.mark = calloc(1, (size_t)c.used + 1);
	if (!c.mark) {
		free(s.by_orig);
		free(s.by_copy);
		free(s.by_patch);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	int err = 0;
	why = NULL;
	for (size_t i = 0; !why && i < s.n_moved; i++)
		why = one_copy(&c, &s.moved[i], read, ctx, &err);
	for (uint64_t i = 0; !why && i < c.used; i++)
		if (!c.mark[i] && c.island[i] != 0xcc)
			why = "island bytes outside the copies that are not int3";
	if (!why && (c.island[s.reg->a[2] - c.base] != 0xcc || c.mark[s.reg->a[2] - c.base]))
		why = "the trap is not an int3 of the island's padding";
	free(c.mark);
	if (!why)
		why = records(&s, p->data + s.poke_blob->a[1], (size_t)s.poke_blob->a[2],
			      s.poke_blob->a[0], read, ctx, &err);
	free(s.by_orig);
	free(s.by_copy);
	free(s.by_patch);
	if (why)
		return hx_fail(e, err ? err : -EPERM, "plan group %u (island at %#llx): %s", gi,
			       (unsigned long long)p->groups[gi].addr, why);
	return 0;
}

struct span {
	uint64_t lo, hi;
};

static int by_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int ld_island_check_all(const struct hx_plan *p, struct hx_err *e)
{
	size_t n = 0;
	for (uint32_t i = 0; i < p->n_steps; i++)
		n += p->steps[i].op == HX_OP_MOVED;
	if (n < 2)
		return 0;
	struct span *v = malloc(n * sizeof(*v));
	if (!v)
		return hx_fail(e, -ENOMEM, "out of memory");
	/* every group's moved functions (patches sit inside moved functions,
	 * one each, checked per group: disjoint functions mean disjoint
	 * patches) */
	size_t k = 0;
	for (uint32_t g = 0; g < p->n_groups; g++) {
		const struct hx_plan_group *grp = &p->groups[g];
		if (!(grp->flags & HX_GROUP_LAYOUT))
			continue;
		for (uint32_t i = 0; i < grp->n_steps; i++) {
			const struct hx_plan_step *st = &p->steps[grp->first_step + i];
			if (st->op == HX_OP_MOVED)
				v[k++] = (struct span){st->a[0], st->a[0] + st->a[2]};
		}
	}
	qsort(v, k, sizeof(*v), by_span);
	int r = 0;
	for (size_t i = 1; i < k && r == 0; i++)
		if (v[i - 1].hi > v[i].lo)
			r = hx_fail(e, -EPERM, "two islands move the same code (%#llx)",
				    (unsigned long long)v[i].lo);
	free(v);
	return r;
}

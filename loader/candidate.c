/*
 * candidate.c - which mappings could give a region (candidate.h).
 */
#define _GNU_SOURCE
#include "candidate.h"
#include "report.h"

#include <stdio.h>
#include <sys/mman.h>


/* Could this mapping give a region? With a profile, small libraries'
 * text too. */
static bool could_give_region(const struct hx_vma *v, const struct ld_opts *o, bool profile)
{
	if (hx_vma_is_text(v) && o->move_all)
		return v->end - v->start >= o->min_size;
	if (hx_vma_is_text(v) && profile && !o->layout_off)
		return true; /* the layout takes the hot code of small libraries too */
	return hx_vma_is_text(v) && v->end - v->start >= o->min_size &&
	       (o->align == HX_ALIGN_AGGRESSIVE ||
		hx_align_down(v->end, HX_HUGE) > hx_align_up(v->start, HX_HUGE));
}

bool ld_candidate_tr(const struct ld_tracer *tr, const struct hx_vma *v)
{
	/* (with --profile-dir before 6.11, the program's own text too: the
	 * helper must see it to name the build) */
	return could_give_region(v, tr->o, tr->pl.profile_path[0] != '\0') ||
	       (tr->pl.profdir_later && hx_vma_is_text(v) && tr->stop.entry >= v->start &&
		tr->stop.entry < v->end);
}

/* Is there any mapping worth a helper? (maps, not smaps: cheap, and most
 * short commands stop here, costing only the stops.) If not, say why in
 * tr->pl.none_why: the options, or the sizes. */
int ld_worth_it(struct ld_tracer *tr, bool *any, struct hx_err *e)
{
	struct hx_vmas maps;
	int r = hx_vmas_read(tr->pid, false, &maps, e);
	uint64_t largest = 0, whole = 0; /* largest r-x file mapping; with a whole 2 MB page */
	*any = false;
	for (size_t i = 0; r == 0 && i < maps.n && !*any; i++) {
		const struct hx_vma *v = &maps.v[i];
		*any = ld_candidate_tr(tr, v);
		if (v->kind != HX_VMA_FILE || v->prot != (PROT_READ | PROT_EXEC))
			continue;
		uint64_t len = v->end - v->start;
		largest = len > largest ? len : largest;
		if (hx_align_down(v->end, HX_HUGE) > hx_align_up(v->start, HX_HUGE) && len > whole)
			whole = len;
	}
	hx_vmas_free(&maps);
	char a[32], b[32];
	if (r == 0 && !*any && whole)
		snprintf(tr->pl.none_why, sizeof(tr->pl.none_why), "no executable mapping reaches "
			 "--min-size=%s (the largest with a whole 2 MB page: %s)",
			 ld_size(tr->o->min_size, a, sizeof(a)), ld_size(whole, b, sizeof(b)));
	else if (r == 0 && !*any)
		snprintf(tr->pl.none_why, sizeof(tr->pl.none_why), "no executable mapping holds a whole "
			 "2 MB page (the largest: %s)", ld_size(largest, a, sizeof(a)));
	return r;
}


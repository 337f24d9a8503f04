/*
 * hotness.c - a saved profile, read in the sandbox, as samples per range
 * of the mapped text (see hotness.h).
 */
#define _GNU_SOURCE
#include "hotness.h"
#include "../profile/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hp_hot_init(const struct hp_input *in, const struct prof_profile *prof, const char *name,
		struct hp_hot *h, char **warnings, char **notes)
{
	memset(h, 0, sizeof(*h));
	if (!prof)
		return 0;
	h->obj = calloc(in->n_files ? in->n_files : 1, sizeof(*h->obj));
	if (!h->obj)
		return -ENOMEM;
	h->total = prof_total(prof);
	char main_why[sizeof(((struct hx_err *)0)->msg)] = "";
	/* The main executable is the file that maps the entry point. */
	const struct hp_file *main_file = NULL;
	for (size_t i = 0; i < in->vmas->n; i++) {
		const struct hx_vma *v = &in->vmas->v[i];
		if (in->req->entry >= v->start && in->req->entry < v->end)
			main_file = hp_find_file(in, v);
	}
	for (size_t i = 0; i < in->n_files; i++) {
		const struct hp_file *f = &in->files[i];
		const char *path = "?";
		for (size_t k = 0; k < in->vmas->n; k++) /* its name, for messages */
			if (hp_find_file(in, &in->vmas->v[k]) == f) {
				path = in->vmas->v[k].path;
				break;
			}
		struct hx_err e = {0};
		int r = prof_match_build_id(prof, name, path, f->elf.build_id, f->elf.build_id_len,
					    &h->obj[i], &e);
		if (r == 0) {
			h->matched += h->obj[i]->samples;
			if ((r = hp_note(notes, "%s: profile %s: %llu samples, %zu functions", path,
					 name, (unsigned long long)h->obj[i]->samples,
					 h->obj[i]->n_funcs)) < 0)
				return r;
			continue;
		}
		if (f == main_file) { /* said below: a warning if nothing matched */
			snprintf(main_why, sizeof(main_why), "%s", e.msg);
			continue;
		}
		if ((r = hp_note(notes, "warning: %s", e.msg)) < 0)
			return r;
	}
	/* a line without -v only when the profile serves nothing here (a
	 * profile of a program's libraries, its own code cold, is fine) */
	if (main_why[0])
		return hp_note(h->matched ? notes : warnings, "warning: %s", main_why);
	return 0;
}

void hp_hot_free(struct hp_hot *h)
{
	free(h->obj);
	memset(h, 0, sizeof(*h));
}

uint64_t hp_hot_samples(const struct hp_hot *h, const struct hp_input *in, const struct hx_vma *v,
			uint64_t addr, uint64_t len)
{
	const struct hp_file *f = h->total ? hp_find_file(in, v) : NULL;
	const struct prof_object *o = f ? h->obj[f - in->files] : NULL;
	uint64_t lo = addr > v->start ? addr : v->start;
	uint64_t hi = addr + len < v->end ? addr + len : v->end;
	if (!o || lo >= hi)
		return 0;
	uint64_t off_lo = v->offset + (lo - v->start), off_hi = off_lo + (hi - lo), sum = 0;
	for (size_t i = prof_func_from(o, off_lo); i < o->n_funcs && o->funcs[i].off < off_hi; i++)
		sum = sum > UINT64_MAX - o->funcs[i].samples ? UINT64_MAX : sum + o->funcs[i].samples;
	return sum;
}

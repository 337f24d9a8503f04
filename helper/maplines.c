/*
 * maplines.c - perf map lines for text that will become anonymous.
 *
 * perf, bcc and friends symbolize anonymous executable memory through
 * /tmp/perf-PID.map ("START SIZE name", hex). A copied region loses its
 * file name, so for every chain that may end in a copy we list the
 * function symbols of its file that overlap the region, at their runtime
 * addresses; the loader writes them out if the copy is what happened. A
 * function that starts before the region or runs past its end is listed
 * whole: it still names the bytes of the copy it covers.
 * Must never: emit a line for a symbol that does not overlap the region.
 */
#define _GNU_SOURCE
#include "maplines.h"
#include "../common/elfsyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The mapping that gives the region its file: the first file mapping in
 * it (an aggressive window may start with a hole). */
static const struct hx_vma *region_file(const struct hx_vmas *m, uint64_t a, uint64_t l)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == HX_VMA_FILE &&
		    hx_overlaps(a, l, m->v[i].start, m->v[i].end - m->v[i].start))
			return &m->v[i];
	return NULL;
}

int hp_load_bias(const struct hp_elf *e, const struct hx_vma *v, int64_t *bias)
{
	for (size_t i = 0; i < e->n_load; i++) {
		const struct hp_segment *s = &e->load[i];
		uint64_t lo = hx_align_down(s->offset, HX_PAGE);
		if (v->offset >= lo && v->offset < s->offset + s->filesz) {
			uint64_t vaddr = s->vaddr - (s->offset - v->offset);
			*bias = (int64_t)(v->start - vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

/* The header line (HX_PERFMAP_*), then one line per function of t that
 * overlaps [a, a+l) once moved by bias. */
static int lines_for(const struct hx_elfsyms *t, int64_t bias, uint64_t a, uint64_t l, char **out)
{
	size_t cap = 4096, w = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	w = (size_t)snprintf(buf, cap, "%s", t->n_funcs == 0	       ? HX_PERFMAP_NONE
					     : t->n_from_fde == t->n_funcs ? HX_PERFMAP_FDE
					     : t->from_dynsym	       ? HX_PERFMAP_DYNSYM
								       : HX_PERFMAP_SYMTAB);
	for (size_t i = 0; i < t->n_funcs; i++) {
		const struct hx_func *f = &t->funcs[i];
		uint64_t vaddr;
		if (hx_elfsyms_off_to_vaddr(t, f->off, &vaddr) < 0)
			continue;
		uint64_t at = vaddr + (uint64_t)bias, size = f->size ? f->size : f->extent;
		if (size == 0 || !hx_overlaps(a, l, at, size))
			continue;
		size_t need = strlen(f->name) + 40;
		if (w + need >= cap) {
			cap = (cap + need) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		w += (size_t)snprintf(buf + w, cap - w, "%llx %llx %s\n", (unsigned long long)at,
				      (unsigned long long)size, f->name);
	}
	buf[w] = '\0';
	*out = buf;
	return 0;
}

/* Does the chain starting at root contain a copy (THP or hugetlb)? */
static bool chain_copies(const struct hx_plan *p, uint32_t root)
{
	int cur = (int)root;
	for (uint32_t i = root; i < p->n_groups; i++) {
		if (i != root && p->groups[i].alt_of != cur)
			continue;
		if (p->groups[i].backing == HX_BACK_THP || p->groups[i].backing == HX_BACK_HUGETLB)
			return true;
		cur = (int)i;
	}
	return false;
}

static void set_chain(struct hx_plan *p, uint32_t root, uint32_t str)
{
	int cur = (int)root;
	p->groups[root].perfmap_str = str;
	for (uint32_t i = root + 1; i < p->n_groups; i++)
		if (p->groups[i].alt_of == cur) {
			p->groups[i].perfmap_str = str;
			cur = (int)i;
		}
}

static int one_chain(struct hx_plan *p, uint32_t root, const struct hp_input *in)
{
	const struct hx_plan_group *g = &p->groups[root];
	const struct hx_vma *v = region_file(in->vmas, g->addr, g->len);
	const struct hp_file *f = v ? hp_find_file(in, v) : NULL;
	int64_t bias;
	if (!f || hp_load_bias(&f->elf, v, &bias) < 0)
		return 0;
	struct hx_elfsyms t;
	int r = in->read_symbols(in, (size_t)(f - in->files), &t);
	if (r < 0)
		return r;
	char *text = NULL;
	r = lines_for(&t, bias, g->addr, g->len, &text);
	if (r == 0) { /* even with no lines: the header says why */
		uint32_t off;
		r = hx_plan_add_string(p, text, &off);
		if (r == 0)
			set_chain(p, root, off);
	}
	free(text);
	hx_elfsyms_free(&t);
	return r;
}

int hp_perfmap_add(struct hx_plan *p, const struct hp_input *in)
{
	if (!in->read_symbols || !(in->req->options & HX_REQ_PERF_MAP))
		return 0;
	for (uint32_t i = 0; i < p->n_groups; i++) {
		if (p->groups[i].alt_of >= 0 || !chain_copies(p, i))
			continue;
		int r = one_chain(p, i, in);
		if (r < 0)
			return r;
	}
	return 0;
}

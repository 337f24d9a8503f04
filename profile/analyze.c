/*
 * analyze.c - orderings and hot-code coverage.
 * Must never: overflow when comparing densities (128-bit products).
 */
#include "analyze.h"

#include <errno.h>
#include <stdlib.h>

static int collect(const struct prof_profile *p, const struct prof_object *only,
		   struct prof_item **out, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n_objs; i++)
		if (!only || &p->objs[i] == only)
			k += p->objs[i].n_funcs;
	struct prof_item *it = malloc((k ? k : 1) * sizeof(*it));
	if (!it)
		return -ENOMEM;
	k = 0;
	for (size_t i = 0; i < p->n_objs; i++) {
		const struct prof_object *o = &p->objs[i];
		if (only && o != only)
			continue;
		for (size_t j = 0; j < o->n_funcs; j++)
			if (o->funcs[j].samples)
				it[k++] = (struct prof_item){o->funcs[j].samples, o->funcs[j].size, i, j};
	}
	*out = it;
	*n = k;
	return 0;
}

static int tie(const struct prof_item *x, const struct prof_item *y)
{
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	if (x->obj != y->obj)
		return x->obj < y->obj ? -1 : 1;
	return x->func < y->func ? -1 : x->func > y->func;
}

/* x/xs > y/ys without dividing; a size of 0 counts as 1 byte. */
static int cmp_density(const void *a, const void *b)
{
	const struct prof_item *x = a, *y = b;
	unsigned __int128 l = (unsigned __int128)x->samples * (y->size ? y->size : 1);
	unsigned __int128 r = (unsigned __int128)y->samples * (x->size ? x->size : 1);
	if (l != r)
		return l > r ? -1 : 1;
	return tie(x, y);
}

static int cmp_samples(const void *a, const void *b)
{
	return tie(a, b);
}

int prof_by_density(const struct prof_profile *p, const struct prof_object *o,
		    struct prof_item **out, size_t *n)
{
	int r = collect(p, o, out, n);
	if (r == 0 && *n)
		qsort(*out, *n, sizeof(**out), cmp_density);
	return r;
}

int prof_by_samples(const struct prof_profile *p, const struct prof_object *o,
		    struct prof_item **out, size_t *n)
{
	int r = collect(p, o, out, n);
	if (r == 0 && *n)
		qsort(*out, *n, sizeof(**out), cmp_samples);
	return r;
}

void prof_coverage(const struct prof_item *items, size_t n, uint64_t total,
		   struct prof_cover *c, size_t n_c)
{
	for (size_t k = 0; k < n_c; k++) {
		/* the smallest count that is at least permille/1000 of total */
		unsigned __int128 want = ((unsigned __int128)total * c[k].permille + 999) / 1000;
		uint64_t got = 0, bytes = 0;
		size_t i = 0;
		while (i < n && got < want) {
			got = hx_add_sat(got, items[i].samples);
			bytes = hx_add_sat(bytes, items[i].size);
			i++;
		}
		c[k].reachable = got >= want && total > 0;
		c[k].bytes = bytes;
		c[k].funcs = i;
	}
}

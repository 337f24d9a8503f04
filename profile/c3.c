/*
 * c3.c - C3 with union-find leaders and linked member lists: O(F log F + E)
 * plus the cost of relabelling members on merge (bounded by max_cluster).
 * Must never: divide: densities are compared by cross-multiplying in 128
 * bits, and a size of 0 counts as 1 byte.
 */
#include "c3.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct c3 {
	const struct prof_object *o;
	size_t *leader, *next, *tail;
	uint64_t *csize, *csamples;
	size_t *pred;      /* heaviest caller, or SIZE_MAX */
	uint64_t *pred_w;
};

static uint64_t fsize(const struct prof_func *f)
{
	return f->size ? f->size : 1;
}

/* a/as > b/bs */
static bool denser(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return (unsigned __int128)a * bs > (unsigned __int128)b * as;
}

static void find_preds(struct c3 *c)
{
	const struct prof_object *o = c->o;
	for (size_t i = 0; i < o->n_funcs; i++)
		c->pred[i] = SIZE_MAX;
	for (size_t i = 0; i < o->n_edges; i++) {
		const struct prof_edge *d = &o->edges[i];
		const struct prof_func *a = prof_func_at(o, d->caller), *b = prof_func_at(o, d->callee);
		if (!a || !b || a == b || d->weight == 0)
			continue;
		size_t ai = (size_t)(a - o->funcs), bi = (size_t)(b - o->funcs);
		if (d->weight > c->pred_w[bi] || (d->weight == c->pred_w[bi] && ai < c->pred[bi])) {
			c->pred[bi] = ai;
			c->pred_w[bi] = d->weight;
		}
	}
}

struct hot {
	uint64_t samples, size;
	size_t idx; /* into o->funcs (or a cluster leader) */
};

/* Densest first; ties: more samples, then lower offset. */
static int cmp_hot(const void *a, const void *b)
{
	const struct hot *x = a, *y = b;
	if (denser(x->samples, x->size, y->samples, y->size))
		return -1;
	if (denser(y->samples, y->size, x->samples, x->size))
		return 1;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Append the cluster led by y to the one led by x. */
static void merge(struct c3 *c, size_t x, size_t y)
{
	c->next[c->tail[x]] = y;
	c->tail[x] = c->tail[y];
	for (size_t g = y; g != SIZE_MAX; g = c->next[g])
		c->leader[g] = x;
	c->csize[x] += c->csize[y];
	c->csamples[x] += c->csamples[y];
}

static void try_merge(struct c3 *c, size_t f, const struct prof_c3_params *pp)
{
	const struct prof_func *fn = c->o->funcs;
	size_t p = c->pred[f];
	if (p == SIZE_MAX || fn[p].samples == 0)
		return; /* no caller, or a cold one: it has no cluster */
	if ((unsigned __int128)c->pred_w[f] * 100 < (unsigned __int128)fn[f].samples * pp->min_prob_pct)
		return;
	size_t x = c->leader[p], y = c->leader[f];
	unsigned __int128 size = (unsigned __int128)c->csize[x] + c->csize[y];
	if (x == y || size > pp->max_cluster)
		return;
	/* density(X) > degrade * density(X+Y): the caller's cluster would thin out.
	 * All factors are below 2^64 and size <= max_cluster, so 128 bits hold it. */
	unsigned __int128 both = (unsigned __int128)c->csamples[x] + c->csamples[y];
	if (both > UINT64_MAX)
		return;
	if ((unsigned __int128)c->csamples[x] * size > (unsigned __int128)pp->degrade *
						       (uint64_t)both * c->csize[x])
		return;
	merge(c, x, y);
}

static int run(struct c3 *c, const struct prof_c3_params *pp, size_t **order, size_t *n)
{
	const struct prof_object *o = c->o;
	struct hot *h = malloc((o->n_funcs ? o->n_funcs : 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	size_t nh = 0;
	for (size_t i = 0; i < o->n_funcs; i++) {
		c->leader[i] = c->tail[i] = i;
		c->next[i] = SIZE_MAX;
		c->csize[i] = fsize(&o->funcs[i]);
		c->csamples[i] = o->funcs[i].samples;
		if (o->funcs[i].samples)
			h[nh++] = (struct hot){o->funcs[i].samples, fsize(&o->funcs[i]), i};
	}
	if (nh)
		qsort(h, nh, sizeof(*h), cmp_hot);
	for (size_t k = 0; k < nh; k++)
		try_merge(c, h[k].idx, pp);
	/* the surviving clusters, densest first */
	size_t nc = 0;
	for (size_t k = 0; k < nh; k++) {
		size_t f = h[k].idx;
		if (c->leader[f] == f)
			h[nc++] = (struct hot){c->csamples[f], c->csize[f], f};
	}
	if (nc)
		qsort(h, nc, sizeof(*h), cmp_hot);
	size_t *out = malloc((nh ? nh : 1) * sizeof(*out)), w = 0;
	if (!out) {
		free(h);
		return -ENOMEM;
	}
	for (size_t k = 0; k < nc; k++)
		for (size_t g = h[k].idx; g != SIZE_MAX; g = c->next[g])
			out[w++] = g;
	free(h);
	*order = out;
	*n = w;
	return 0;
}

int prof_c3_order(const struct prof_object *o, const struct prof_c3_params *pp, size_t **order,
		  size_t *n)
{
	struct c3 c;
	size_t nf = o->n_funcs ? o->n_funcs : 1;
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.leader = malloc(nf * sizeof(size_t));
	c.next = malloc(nf * sizeof(size_t));
	c.tail = malloc(nf * sizeof(size_t));
	c.pred = malloc(nf * sizeof(size_t));
	c.csize = malloc(nf * sizeof(uint64_t));
	c.csamples = malloc(nf * sizeof(uint64_t));
	c.pred_w = calloc(nf, sizeof(uint64_t));
	int r = -ENOMEM;
	if (c.leader && c.next && c.tail && c.pred && c.csize && c.csamples && c.pred_w) {
		find_preds(&c);
		r = run(&c, pp, order, n);
	}
	free(c.leader);
	free(c.next);
	free(c.tail);
	free(c.pred);
	free(c.csize);
	free(c.csamples);
	free(c.pred_w);
	return r;
}

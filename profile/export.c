/*
 * export.c - symbol-order and call-graph text for linkers.
 * Must never: emit a line with a blank or a control byte in a name.
 */
#define _GNU_SOURCE
#include "export.h"
#include "analyze.h"
#include "c3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool writable(const char *name)
{
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c <= 0x20 || *c == 0x7f)
			return false;
	return *name != '\0';
}

static int finish_stream(FILE *f, char **buf, size_t *len, char **out, size_t *olen)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(*buf);
		return -ENOMEM;
	}
	*out = *buf;
	*olen = *len;
	return 0;
}

/* Hottest first, ties by offset (o is normalized, so by index). */
static int hottest(const struct prof_object *o, size_t **order, size_t *n)
{
	struct prof_profile one = {.objs = (struct prof_object *)o, .n_objs = 1};
	struct prof_item *it;
	size_t k;
	int r = prof_by_samples(&one, o, &it, &k);
	if (r < 0)
		return r;
	size_t *ord = malloc((k ? k : 1) * sizeof(*ord));
	if (!ord) {
		free(it);
		return -ENOMEM;
	}
	for (size_t i = 0; i < k; i++)
		ord[i] = it[i].func;
	free(it);
	*order = ord;
	*n = k;
	return 0;
}

int prof_export_symbol_order(const struct prof_object *o, bool c3, char **out, size_t *len,
			     size_t *skipped)
{
	size_t *order, n, blen = 0;
	const struct prof_c3_params pp = PROF_C3_DEFAULTS;
	int r = c3 ? prof_c3_order(o, &pp, &order, &n) : hottest(o, &order, &n);
	if (r < 0)
		return r;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &blen);
	if (!f) {
		free(order);
		return -ENOMEM;
	}
	*skipped = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = o->funcs[order[i]].name;
		if (writable(name))
			fprintf(f, "%s\n", name);
		else
			(*skipped)++;
	}
	free(order);
	return finish_stream(f, &buf, &blen, out, len);
}

int prof_export_call_graph(const struct prof_object *o, char **out, size_t *len,
			   size_t *skipped)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	*skipped = 0;
	for (size_t i = 0; i < o->n_edges; i++) {
		const struct prof_edge *d = &o->edges[i];
		const struct prof_func *a = prof_func_at(o, d->caller), *b = prof_func_at(o, d->callee);
		if (!a || !b || d->weight == 0)
			continue;
		if (writable(a->name) && writable(b->name))
			fprintf(f, "%s %s %llu\n", a->name, b->name, (unsigned long long)d->weight);
		else
			(*skipped)++;
	}
	return finish_stream(f, &buf, &blen, out, len);
}

/*
 * fuzz_profile.c - libFuzzer target for the profile text parser (profiles
 * travel between hosts and are edited by hand), and for everything that
 * consumes a parsed profile: printing, merging, C3, coverage, export.
 *
 * Properties checked beyond "no crash, no leak": a profile that parses
 * prints canonically, and that text parses again to the same text; merging
 * a profile into an empty one gives the same text.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/fuzz/fuzz_profile.c profile/profile.c profile/analyze.c \
 *     profile/c3.c profile/export.c common/util.c -o /tmp/fuzz_profile
 *   /tmp/fuzz_profile -max_total_time=60 tests/fuzz/corpus/profile
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../profile/analyze.h"
#include "../../profile/c3.h"
#include "../../profile/export.h"
#include "../../profile/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void consume(const struct prof_profile *p)
{
	const struct prof_c3_params pp = PROF_C3_DEFAULTS;
	for (size_t i = 0; i < p->n_objs; i++) {
		const struct prof_object *o = &p->objs[i];
		size_t *order, n, len, skipped;
		char *t;
		if (prof_c3_order(o, &pp, &order, &n) == 0) {
			for (size_t k = 0; k < n; k++)
				if (order[k] >= o->n_funcs || o->funcs[order[k]].samples == 0)
					abort();
			free(order);
		}
		if (prof_export_symbol_order(o, i & 1, &t, &len, &skipped) == 0)
			free(t);
		if (prof_export_call_graph(o, &t, &len, &skipped) == 0)
			free(t);
	}
	struct prof_item *it;
	size_t n;
	if (prof_by_density(p, NULL, &it, &n) == 0) {
		struct prof_cover c[2] = {{.permille = 500}, {.permille = 990}};
		prof_coverage(it, n, prof_total(p), c, 2);
		free(it);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prof_profile p, q, m;
	struct hx_err e;
	if (prof_parse((const char *)data, size, "fuzz", &p, &e) != 0)
		return 0;
	consume(&p);
	char *t1, *t2, *t3;
	size_t n1, n2, n3;
	if (prof_format(&p, &t1, &n1) != 0)
		abort();
	if (prof_parse(t1, n1, "again", &q, &e) != 0 || prof_format(&q, &t2, &n2) != 0 ||
	    n1 != n2 || memcmp(t1, t2, n1) != 0)
		abort(); /* printing must round-trip */
	prof_init(&m);
	if (prof_merge(&m, &p, &e) == 0) {
		snprintf(m.event, sizeof(m.event), "%s", p.event); /* "mixed" against "" */
		if (prof_format(&m, &t3, &n3) != 0 || n3 != n1 || memcmp(t1, t3, n1) != 0)
			abort(); /* merging into nothing changes nothing */
		free(t3);
	}
	free(t1);
	free(t2);
	prof_free(&m);
	prof_free(&q);
	prof_free(&p);
	return 0;
}

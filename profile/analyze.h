/*
 * analyze.h - what a profile says about layout: the hottest functions and
 * how much code holds a given share of the samples.
 *
 * "Hot code: 1.8 MB covers 90% of samples" is computed the way a layout
 * would place code: functions densest first (samples per byte), adding
 * their sizes until the share is reached. It is the least code, made of
 * whole functions, that holds that share - what has to fit in the hot
 * island (or in the iTLB's reach) for a layout to pay off.
 * Must never: count a sample twice or divide by a zero size.
 */
#ifndef PROF_ANALYZE_H
#define PROF_ANALYZE_H

#include "profile.h"

/* One function from any object, for pooled questions. */
struct prof_item {
	uint64_t samples, size;
	size_t obj, func; /* indexes into the profile */
};

struct prof_cover {
	unsigned permille;   /* asked: 500, 900, 990 */
	bool reachable;      /* the functions hold that much at all */
	uint64_t bytes;      /* code that covers it */
	size_t funcs;        /* in that many functions */
};

/* Functions of o, or of all objects with o == NULL, densest first (ties:
 * more samples, then lower object and offset). *out is malloc'd. */
int prof_by_density(const struct prof_profile *p, const struct prof_object *o,
		    struct prof_item **out, size_t *n) HX_WUR;

/* The same, hottest (most samples) first. */
int prof_by_samples(const struct prof_profile *p, const struct prof_object *o,
		    struct prof_item **out, size_t *n) HX_WUR;

/* Fill c[i] for each c[i].permille of total samples, taking items in the
 * given (density) order. */
void prof_coverage(const struct prof_item *items, size_t n, uint64_t total,
		   struct prof_cover *c, size_t n_c);

#endif

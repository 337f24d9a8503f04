/*
 * c3.h - call-chain clustering (C3, Ottoni & Maher, CGO 2017; hfsort in
 * HHVM, BOLT and lld), on one object of a profile.
 *
 * Every sampled function starts as its own cluster. Taking functions
 * densest first, each one's cluster is appended to the cluster of its
 * heaviest caller, unless that caller is cold, the edge carries less than
 * min_prob of the callee's samples, the merged cluster would exceed
 * max_cluster bytes, or the caller's cluster would lose more than degrade
 * times its density. The layout is the clusters, densest first. Without
 * edges this is the plain density order (BOLT's fallback).
 * See ../shared/research/layout.md section 1.4 for the pseudo-code.
 * Must never: emit a function twice or one without samples.
 */
#ifndef PROF_C3_H
#define PROF_C3_H

#include "profile.h"

struct prof_c3_params {
	uint64_t max_cluster; /* bytes; BOLT and lld use 1 MiB */
	unsigned degrade;     /* 8 in the paper */
	unsigned min_prob_pct;/* 10: the edge must carry 10% of the callee's samples */
};

#define PROF_C3_DEFAULTS ((struct prof_c3_params){(uint64_t)1 << 20, 8, 10})

/* Indexes into o->funcs (o normalized), sampled functions only, in layout
 * order. *order is malloc'd. */
int prof_c3_order(const struct prof_object *o, const struct prof_c3_params *pp, size_t **order,
		  size_t *n) HX_WUR;

#endif

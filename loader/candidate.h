/*
 * candidate.h - could any of the program's mappings give a region? A
 * cheap look at /proc/PID/maps (the helper decides for real): most short
 * commands stop there, and the launcher's tracer asks it to know whether
 * hugexec-core is needed at all (handoff.h).
 */
#ifndef LD_CANDIDATE_H
#define LD_CANDIDATE_H

#include "tracer.h"

/* Could this mapping give a region? With a profile, the text of small
 * libraries too; with --profile-dir before 6.11, the program's own text
 * (the helper must name its build). */
bool ld_candidate_tr(const struct ld_tracer *tr, const struct hx_vma *v);

/* *any: does a mapping of the program, as it is now, qualify? If not,
 * tr->pl.none_why says why (the options, or the sizes). 0, or -errno. */
int ld_worth_it(struct ld_tracer *tr, bool *any, struct hx_err *e) HX_WUR;

#endif

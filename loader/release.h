/*
 * release.h - the end of the tracer's work: give the target back as it was, or
 * make it exit (release.c).
 */
#ifndef LD_RELEASE_H
#define LD_RELEASE_H

#include "tracer.h"

int ld_release(struct ld_tracer *tr, struct hx_err *e) HX_WUR;
int ld_exit_target(struct ld_tracer *tr, int status, struct hx_err *e) HX_WUR;

#endif

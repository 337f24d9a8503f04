/*
 * plan_get.h - at the entry stop: look, ask the helper, check its answer
 * (plan_get.c).
 */
#ifndef LD_PLAN_GET_H
#define LD_PLAN_GET_H

#include "tracer.h"

/* Read smaps, gather facts, run the helper, validate its plan. Also saves the target's state (inj_save) once it is clear
 * that there is work to do. */
int ld_plan_get(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

#endif

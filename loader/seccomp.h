/*
 * seccomp.h - the program runs under seccomp, whose filters apply to what
 * we inject too: learn what they allow before any injected call (by
 * probing when we share them, by reading and running them when we do not),
 * decide which way of building new text is open, and install the hook
 * inj_syscall() asks before every call.
 * Must never: inject a call the program's filter would punish.
 */
#ifndef LD_SECCOMP_H
#define LD_SECCOMP_H

#include "tracer.h"

/* 0, with HX_TGT_* limits noted in tr->pl.facts.target_flags and tr->inj's
 * permit hook set; -EPERM (e says why) when no way is open. */
int ld_seccomp_check(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

#endif

/*
 * follow.h - a program with nothing to remap may be a wrapper: follow it to
 * the program it execs (follow.c).
 */
#ifndef LD_FOLLOW_H
#define LD_FOLLOW_H

#include "tracer.h"

/* At the entry stop of a program with nothing to remap, wait
 * (at most ms, see ld_follow_ms) for it to exec another. Returns 0 at the new
 * image's exec stop; -ESRCH if the program ended (or exec'd from a thread
 * we do not trace); -EAGAIN if it could not be followed and is still
 * stopped where it was; -ETIMEDOUT when time ran out: it runs on, still
 * attached, and the tracer must exit without touching it again (the
 * kernel then detaches it without waking it); -EPERM at the entry of an
 * exec that must run untraced, -ECANCELED when --strict turned that exec
 * into exit_group(125): both still stopped there, for the caller to say
 * why and then ld_follow_let_go() (said after, a line could come after the
 * program's exit was reported to its parent); other errors after it was
 * let go or with ptrace failing (the tracer then exits too). */
int ld_follow_exec(struct ld_tracer *tr, uint32_t ms, struct hx_err *e) HX_WUR;
/* Detach at the exec ld_follow_exec() stopped before (-EPERM, -ECANCELED). */
int ld_follow_let_go(struct ld_tracer *tr);
/* How long ld_follow_exec waits, in ms: --follow-exec, or its default. */
uint32_t ld_follow_ms(const struct ld_opts *o);

#endif

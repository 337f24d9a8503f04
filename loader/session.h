/*
 * session.h - one launch, from CMD's exec event to what becomes of it:
 * the entry stop, the wrappers followed (env, nice, #!/usr/bin/env), a
 * plan asked for, and what is said and reported when there is none.
 *
 * Both tracers run it (handoff.h): the launcher's, which asks for no plan
 * but hands CMD over to hugexec-core at an entry stop where one may be
 * worth it, and the core's, which asks the helper.
 * Must never: say a line once the program may have run on into its own
 * output (notes are said while it is held), or let it go armed.
 */
#ifndef LD_SESSION_H
#define LD_SESSION_H

#include "jsonreport.h"
#include "tracer.h"

/* At the entry stop: a plan in tr->pl (have_plan), or none
 * (tr->pl.none_why says why). 0, or -errno with e. */
typedef int ld_plan_fn(struct ld_tracer *tr, void *ctx, struct hx_err *e);

/* From where tr stands (r: how it got there) to a plan, following
 * wrappers that have nothing to remap to the program they exec. Returns
 * 0 (a plan, or none, at an entry stop), 1 when the program was let go
 * (or ended) on the way and there is nothing left, or -errno with e. */
int ld_session_plan(struct ld_tracer *tr, const char *cmd, int r, ld_plan_fn *plan, void *ctx,
		    struct hx_err *e) HX_WUR;

/* What ld_session_plan's r comes to, said and reported (name: the
 * program as ld_shown_name gives it), and the program let go, unless
 * there is a plan to run: 1 then (run it); else 0. */
int ld_session_decide(struct ld_tracer *tr, const char *name, int r, struct hx_err *e);

/* "hugexec: NAME: MSG" on o->msg, unless -q; outside text made printable. */
void ld_note(const struct ld_opts *o, const char *name, const char *fmt, ...) HX_PRINTF(3, 4);
/* --report now, for the program as it is now (name if it is gone). */
void ld_report_now(struct ld_tracer *tr, const char *name, enum ld_outcome_kind k,
		   const char *why);
/* It cannot be trusted to run: said, and it exits 125 (or is killed). */
void ld_give_up(struct ld_tracer *tr, const char *name, const struct hx_err *e);
/* A failure before anything changed: said, and let go (--strict: exit 125). */
void ld_fail_open(struct ld_tracer *tr, const char *name, const struct hx_err *e);
/* The program that runs now, for messages: cmd, or after a followed exec
 * "cmd -> the new one". */
const char *ld_shown_name(const struct ld_tracer *tr, const char *cmd, char *buf, size_t size);
/* Why no mapping qualified, or dflt if that was not said. */
const char *ld_none_why(const struct ld_tracer *tr, const char *dflt);

#endif

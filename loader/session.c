/*
 * session.c - one launch, from CMD's exec event to a plan or to the
 * program let go (session.h).
 */
#define _GNU_SOURCE
#include "session.h"
#include "entry.h"
#include "follow.h"
#include "release.h"
#include "report.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ld_note(const struct ld_opts *o, const char *name, const char *fmt, ...)
{
	if (o->quiet)
		return;
	char nm[256], msg[600], clean[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(o->msg, "hugexec: %s: %s\n", ld_printable(name, nm, sizeof(nm)),
		ld_printable(msg, clean, sizeof(clean)));
}

/* --report is written while the program is still held (a CI job reading
 * it after the command returns finds it whole). */
void ld_report_now(struct ld_tracer *tr, const char *name, enum ld_outcome_kind k,
		   const char *why)
{
	const struct ld_opts *o = tr->o;
	if (!o->report)
		return;
	char exe[4096];
	if (hx_proc_exe(tr->pid, exe, sizeof(exe)) < 0) /* it is gone: the name it was started by */
		snprintf(exe, sizeof(exe), "%s", name);
	struct hx_err e;
	if (ld_json_report(o->report, tr->pid, exe, k, why, tr, &e) < 0)
		ld_note(o, exe, "%s", e.msg);
}

void ld_give_up(struct ld_tracer *tr, const char *name, const struct hx_err *e)
{
	struct hx_err e2;
	char nm[256];
	fprintf(tr->o->msg, "hugexec: %s: %s; could not restore the program, stopping it (exit 125)\n",
		ld_printable(name, nm, sizeof(nm)), e->msg);
	ld_report_now(tr, name, LD_OUT_STOPPED, e->msg);
	if (ld_exit_target(tr, LD_EXIT_STRICT, &e2) < 0)
		kill(tr->pid, SIGKILL);
}

void ld_fail_open(struct ld_tracer *tr, const char *name, const struct hx_err *e)
{
	struct hx_err e2 = {0};
	const struct ld_opts *o = tr->o;
	ld_report_now(tr, name, o->strict ? LD_OUT_STOPPED : LD_OUT_UNCHANGED, e->msg);
	if (o->strict) {
		char nm[256];
		fprintf(o->msg, "hugexec: %s: %s (--strict: exit 125)\n",
			ld_printable(name, nm, sizeof(nm)), e->msg);
		if (ld_exit_target(tr, LD_EXIT_STRICT, &e2) < 0)
			ld_give_up(tr, name, &e2); /* it must not run: we said 125 */
		return;
	}
	ld_note(o, name, "%s; running it unmodified", e->msg);
	if (ld_release(tr, &e2) == -ENOTRECOVERABLE)
		ld_give_up(tr, name, &e2);
}

const char *ld_none_why(const struct ld_tracer *tr, const char *dflt)
{
	return tr->pl.none_why[0] ? tr->pl.none_why : dflt;
}

const char *ld_shown_name(const struct ld_tracer *tr, const char *cmd, char *buf, size_t size)
{
	if (!tr->followed)
		return cmd;
	char exe[4096];
	if (hx_proc_exe(tr->pid, exe, sizeof(exe)) < 0)
		return cmd;
	const char *base = strrchr(exe, '/');
	snprintf(buf, size, "%.80s -> %.200s", cmd, base ? base + 1 : exe);
	return buf;
}

int ld_session_plan(struct ld_tracer *tr, const char *cmd, int r, ld_plan_fn *plan, void *ctx,
		    struct hx_err *e)
{
	const struct ld_opts *o = tr->o;
	for (;;) {
		if (r == 0 && !tr->stop.at_entry) { /* at an exec event */
			r = ld_entry_run(tr, e);
			char sn[300];
			const char *left = tr->stop.settle.note; /* what the stop could not put back */
			if (r == 0 && o->verbose >= 2)
				ld_note(o, ld_shown_name(tr, cmd, sn, sizeof(sn)), "stopped at the entry "
					"point by %s%s%s", ld_entry_how(tr), left[0] ? "; " : "", left);
		}
		if (r == 0)
			r = plan(tr, ctx, e);
		if (r < 0 || tr->pl.have_plan || !o->follow_ms || o->dry_run)
			return r;
		/* said now, while the program waits at its entry: after it
		 * runs, our lines would land among its own output */
		char nm[300];
		uint64_t now = hx_now_ns(), until = tr->follow_until;
		if (!until)
			until = tr->follow_until = now + (uint64_t)ld_follow_ms(o) * 1000000u;
		uint32_t ms = until > now ? (uint32_t)((until - now + 999999) / 1000000) : 0;
		if (o->verbose && ms)
			ld_note(o, ld_shown_name(tr, cmd, nm, sizeof(nm)), "nothing to remap: %s; "
				"following it for %.1f s in case it execs another program",
				tr->pl.none_why, ms / 1000.0);
		if (!ms)
			return 0;
		/* --report: written now, while it is held; a program it execs
		 * and that gets remapped writes its own over this one */
		ld_report_now(tr, ld_shown_name(tr, cmd, nm, sizeof(nm)), LD_OUT_UNCHANGED,
			      ld_none_why(tr, "nothing to remap"));
		tr->reported = true;
		r = ld_follow_exec(tr, ms, e);
		if (r == 0)
			tr->stop.at_entry = false; /* at the new image's exec event */
		if (r == -EAGAIN)
			return 0; /* still stopped at its entry: released as usual */
		if (r == -ESRCH)
			return 1; /* it ended without exec'ing anything */
		const char *name = ld_shown_name(tr, cmd, nm, sizeof(nm));
		if (r == -EPERM) /* a fail-open note, said before it is let go */
			ld_note(o, name, "%s; running it unmodified", e->msg);
		else if (r == -ECANCELED) { /* like a program refused before its exec */
			char pn[300];
			fprintf(o->msg, "hugexec: %s: %s (--strict: exit %d)\n",
				ld_printable(name, pn, sizeof(pn)), e->msg, LD_EXIT_STRICT);
		}
		if (r == -EPERM || r == -ECANCELED)
			(void)ld_follow_let_go(tr);
		else if (r < 0 && (r != -ETIMEDOUT || o->verbose >= 2))
			ld_note(o, name, "%s; it runs on unmodified", e->msg);
		if (r < 0)
			return 1;
	}
}

int ld_session_decide(struct ld_tracer *tr, const char *name, int r, struct hx_err *e)
{
	const struct ld_opts *o = tr->o;
	if (r == -ESRCH) /* CMD is gone (its exec failed, it ended) */
		ld_report_now(tr, name, LD_OUT_GONE, "it ended before its entry point");
	if (r == 1 && !tr->reported) /* let go on the way (said), or ended while followed */
		ld_report_now(tr, name, LD_OUT_UNCHANGED, e->msg[0] ? e->msg
			      : ld_none_why(tr, "nothing to remap"));
	if (r == -ESRCH || r == 1)
		return 0;
	if (r == -ENOTRECOVERABLE) { /* stopped where it cannot run on */
		ld_give_up(tr, name, e);
		return 0;
	}
	if (r < 0) {
		ld_fail_open(tr, name, e);
		return 0;
	}
	if (tr->pl.have_plan && (o->dry_run || o->verbose >= 2)) {
		ld_report_plan(o->msg, name, &tr->pl.plan);
		ld_report_notes(o->msg, name, &tr->pl.plan);
	}
	/* the layout as planned: what moves, what stays and why */
	if (tr->pl.have_plan && tr->pl.plan.layout_str != HX_NO_STR && (o->dry_run || o->verbose))
		ld_report_lines(o->msg, name, "", hx_plan_str(&tr->pl.plan, tr->pl.plan.layout_str));
	if (tr->pl.info[0] && (o->verbose || o->dry_run)) /* which profile --profile-dir chose */
		ld_note(o, name, "%s", tr->pl.info);
	/* warnings (a stale or unreadable profile) are said without -v */
	if (tr->pl.warn[0])
		ld_note(o, name, "%s", tr->pl.warn);
	if (tr->pl.have_plan && tr->pl.plan.warn_str != HX_NO_STR && !o->quiet)
		ld_report_lines(o->msg, name, "", hx_plan_str(&tr->pl.plan, tr->pl.plan.warn_str));
	if (tr->pl.have_plan && tr->pl.plan.n_groups == 0 && tr->pl.plan.reason_str != HX_NO_STR) {
		/* text qualified, but there is no way to huge pages for it */
		hx_fail(e, -ENOMEM, "%s", hx_plan_str(&tr->pl.plan, tr->pl.plan.reason_str));
		ld_fail_open(tr, name, e);
		return 0;
	}
	if (o->dry_run || !tr->pl.have_plan || tr->pl.plan.n_groups == 0) {
		/* nothing to do: -v and --dry-run still answer "what happened?" */
		if (!tr->pl.have_plan && (o->verbose || o->dry_run))
			ld_note(o, name, "nothing to remap: %s", ld_none_why(tr, "no plan"));
		else if (tr->pl.plan.n_groups == 0 && o->verbose == 1 && !o->dry_run)
			ld_note(o, name, "nothing to remap: every executable mapping was left alone "
				"(-vv says why)");
		ld_report_now(tr, name, o->dry_run && tr->pl.have_plan ? LD_OUT_DRY_RUN
			      : LD_OUT_UNCHANGED, !tr->pl.have_plan ? ld_none_why(tr, "nothing to remap")
			      : o->dry_run ? "--dry-run" : "every executable mapping was left alone");
		if (ld_release(tr, e) == -ENOTRECOVERABLE)
			ld_give_up(tr, name, e);
		return 0;
	}
	return 1;
}

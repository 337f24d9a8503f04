/*
 * core.c - hugexec-core: the launcher's tracer after its exec (handoff.h),
 * and the subcommands. It takes CMD from the entry stop the launcher put
 * in place to its end: gets a plan from the sandboxed helper, runs it,
 * verifies it and lets go, and decides what to say about it.
 * Must never: change what CMD sees (argv, environment, descriptors,
 * signal dispositions and mask, PID, parent, exit status), or print a
 * line after CMD's exit may have been reported to its parent (-v aside).
 */
#define _GNU_SOURCE
#include "apply.h"
#include "attach.h"
#include "entry.h"
#include "facts.h"
#include "learn.h"
#include "logsink.h"
#include "handoff.h"
#include "jsonreport.h"
#include "session.h"
#include "perfmap.h"
#include "plan_get.h"
#include "release.h"
#include "report.h"
#include "settings.h"
#include "status.h"
#include "subcommands.h"
#include "testhooks.h"
#include "tracer.h"
#include "../common/cli.h"
#include "../record/profile_cli.h"
#include "../record/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Is pid still running (not gone, not a zombie)? Its exit has not been
 * reported to its parent then. */
static bool still_running(pid_t pid)
{
	char path[64], *stat;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (hx_read_file(path, 4096, &stat, NULL) < 0)
		return false;
	const char *paren = strrchr(stat, ')');
	bool running = paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
	free(stat);
	return running;
}

/* After the plan ran (broke: the injection stopped after some regions
 * were done, they stay): report, then let go (or --strict). */
static void finish(struct ld_tracer *tr, const char *name, const struct hx_err *broke)
{
	const struct ld_opts *o = tr->o;
	struct hx_err e = {0};
	char why[700];
	tr->t.done_ns = hx_now_ns();
	const char *failure = broke ? broke->msg : ld_first_failure(tr, why, sizeof(why));
	if (o->verbose >= 2) /* the plan itself was shown before it ran */
		ld_report_regions(o->msg, name, tr);
	if (o->verbose >= 1)
		ld_report_summary(o->msg, name, tr);
	if (failure && o->strict) {
		struct hx_err se;
		hx_fail(&se, -EAGAIN, "%s", failure);
		ld_fail_open(tr, name, &se);
		return;
	}
	uint64_t huge, planned;
	ld_totals(tr, &huge, &planned);
	ld_report_now(tr, name, huge && huge >= planned ? LD_OUT_REMAPPED : huge ? LD_OUT_PARTIAL
					   : LD_OUT_UNCHANGED, failure ? failure : "");
	if (broke)
		ld_note(o, name, "%s; stopped there, the rest of the text stays on 4 KB pages", failure);
	else if (failure) /* with -v, why the summary's two sizes differ */
		ld_note(o, name, "%s; that text stays on 4 KB pages", failure);
	char lay[700];
	if (o->verbose && ld_layout_failure(tr, lay, sizeof(lay)))
		ld_note(o, name, "%s", lay);
	if (tr->out.scratch_left)
		ld_note(o, name, "could not unmap hugexec's 4 KB scratch page at %#llx; it stays",
			(unsigned long long)tr->out.scratch_left);
	if (tr->out.aside_len) {
		char sz[32];
		ld_note(o, name, "could not unmap the old text (%s at %#llx) after the swap; it "
			"stays mapped there, unused", ld_size(tr->out.aside_len, sz, sizeof(sz)),
			(unsigned long long)tr->out.aside_addr);
	}
	if (tr->out.left_len) {
		char sz[32];
		ld_note(o, name, "could not unmap hugexec's copy (%s at %#llx) after a rollback; it "
			"stays mapped there, unused", ld_size(tr->out.left_len, sz, sizeof(sz)),
			(unsigned long long)tr->out.left_addr);
	}
	/* the perf map's staleness test needs the process's start time: read
	 * while the PID is surely still the program's (held), only if used */
	if (o->perf_map && ld_perfmap_wanted(tr))
		ld_facts_started(tr->pid, &tr->pl.facts);
	if (ld_release(tr, &e) == -ENOTRECOVERABLE) {
		ld_give_up(tr, name, &e);
		return;
	}
	/* The program runs on; now, off its critical path, the perf map. What
	 * it has to say comes late: amid the program's output, or after the
	 * program is gone and its parent has moved on to the next command. So
	 * only with -v, and only while the program still runs. */
	if (o->perf_map) {
		struct ld_pm_report pm;
		ld_perfmap_run(tr, "/tmp", &pm);
		for (size_t i = 0; i < pm.n; i++)
			if (o->verbose && o->verbose >= pm.msg[i].level && still_running(tr->pid))
				ld_note(o, name, "perf map: %s", pm.msg[i].text);
		ld_pm_report_free(&pm);
	}
}

/* At the entry stop: the helper's plan. */
static int plan(struct ld_tracer *tr, void *ctx, struct hx_err *e)
{
	(void)ctx;
	return ld_plan_get(tr, e);
}

/* From where the launcher's tracer left CMD (h) to the end. */
static int tracer_main(const struct ld_handoff *h, const struct ld_opts *o, const char *cmd)
{
	struct ld_tracer tr;
	struct hx_err e = {0};
	char nm[300];
	pid_t pid = h->pid;
	ld_tracer_init(&tr, pid, o);
	ld_test_hooks_read(&tr); /* test builds only */
	ld_handoff_apply(h, &tr);
	/* from here on registers are borrowed: the program must not outlive us */
	int r = ld_set_options(&tr, true);
	if (r < 0)
		hx_fail(&e, r, "setting ptrace options: %s", strerror(-r));
	r = ld_session_plan(&tr, cmd, r, plan, NULL, &e);
	const char *name = ld_shown_name(&tr, cmd, nm, sizeof(nm));
	if (ld_session_decide(&tr, name, r, &e) != 1)
		goto out;
	r = ld_apply(&tr, &e);
	uint64_t huge = 0, planned = 0;
	ld_totals(&tr, &huge, &planned);
	if (r == -ENOTRECOVERABLE)
		ld_give_up(&tr, name, &e);
	else if (r < 0 && r != -ESRCH && huge == 0)
		ld_fail_open(&tr, name, &e); /* nothing changed */
	else if (r != -ESRCH)
		finish(&tr, name, r < 0 ? &e : NULL);
out:
	/* --learn: no profile of this build yet; the program runs on (the
	 * tracer is no one's child it could hold up: the double fork) */
	if (o->learn_s && o->profile_dir && !o->dry_run && !tr.pl.profile_path[0] && tr.pl.build_id[0] &&
	    still_running(pid)) {
		char id[sizeof(tr.pl.build_id)];
		snprintf(id, sizeof(id), "%s", tr.pl.build_id);
		ld_tracer_free(&tr); /* (its descriptors: the program's files) */
		(void)ld_learn(pid, o->profile_dir, id, o->learn_s);
		return 0;
	}
	ld_tracer_free(&tr);
	return 0;
}

/* The launcher's tracer, now us: its record on fd, its command line in
 * argv (argv[0] aside), parsed again as it parsed it. */
static int handed_over(int argc, char **argv, const char *fd_arg)
{
	struct ld_handoff *h = malloc(sizeof(*h));
	struct hx_err e = {0};
	char *end;
	long fd = strtol(fd_arg, &end, 10);
	if (!h || *end || fd < 3 || fd > INT32_MAX || ld_handoff_read((int)fd, h, &e) < 0) {
		/* (EXITKILL is off until we ask for it: the kernel lets the
		 * program go on from its entry stop when we exit) */
		fprintf(stderr, "hugexec: %s; the program runs on unmodified\n",
			h ? e.msg : "out of memory");
		free(h);
		return LD_EXIT_STRICT;
	}
	/* the launcher loaded these a moment ago; if the file changed since,
	 * what it says now is used, or else the command line */
	struct ld_opts o;
	struct ld_settings st;
	bool have_st = ld_settings_load(&st, argc, argv, h->path, getenv("HUGEXEC_CONFIG"),
					getenv("HUGEXEC_OPTIONS"), &o, &e) == 0;
	if (!have_st && ld_cli_parse(argc, argv, &o, &e) < 0)
		ld_cli_defaults(&o); /* not the launcher's command line: it said so */
	if (o.cmd_index >= argc)
		o.cmd_index = argc - 1;
	struct hx_err le;
	(void)ld_log_setup(&o, &le); /* (one that cannot be opened: the launcher said so) */
	int r = tracer_main(h, &o, argv[o.cmd_index]);
	free(h);
	if (have_st)
		ld_settings_free(&st);
	return r;
}

int main(int argc, char **argv)
{
	/* from the launcher's tracer: hugexec-core --handoff=FD -- ARGS */
	if (argc >= 3 && strncmp(argv[1], "--handoff=", 10) == 0 && strcmp(argv[2], "--") == 0) {
		char *fd_arg = argv[1] + 10;
		argv[2] = argv[0];
		return handed_over(argc - 2, argv + 2, fd_arg);
	}
	/* hugexec SUBCOMMAND: the launcher execs us with its argv */
#define SUBCOMMAND(word, fn)                                   \
	if (argc >= 2 && strcmp(argv[1], word) == 0)           \
		return fn(argc - 1, argv + 1);
	LD_SUBCOMMANDS(SUBCOMMAND)
#undef SUBCOMMAND
	fprintf(stderr, "hugexec-core: this is a part of hugexec; run hugexec\n");
	return LD_EXIT_STRICT;
}

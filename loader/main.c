/*
 * main.c - the hugexec command: the only code that talks to the user and
 * picks exit statuses.
 *
 * The process that runs this becomes CMD (same PID). A tracer forked off
 * (launch.c) takes it to its entry point, gets a plan from the sandboxed
 * helper, runs it, verifies it and lets go. Whatever fails, CMD runs
 * unmodified and one line on stderr says why, unless --strict turns the
 * failure into exit status 125 before CMD's own code runs.
 * Must never: change what CMD sees: argv, environment, descriptors,
 * signal dispositions and mask, PID, parent, exit status.
 */
#define _GNU_SOURCE
#include "apply.h"
#include "attach.h"
#include "entry.h"
#include "facts.h"
#include "follow.h"
#include "jsonreport.h"
#include "learn.h"
#include "logsink.h"
#include "launch.h"
#include "perfmap.h"
#include "plan_get.h"
#include "release.h"
#include "report.h"
#include "resolve.h"
#include "settings.h"
#include "status.h"
#include "testhooks.h"
#include "tracer.h"
#include "../common/cli.h"
#include "../record/profile_cli.h"
#include "../record/record.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	EXIT_HUGEXEC = LD_EXIT_STRICT, /* hugexec's own failure (usage, --strict) */
	EXIT_NOEXEC = 126,   /* found but not executable */
	EXIT_NOTFOUND = 127, /* as a shell says it */
};

extern char **environ;

static void note(const struct ld_opts *o, const char *name, const char *fmt, ...)
	HX_PRINTF(3, 4);
static void note(const struct ld_opts *o, const char *name, const char *fmt, ...)
{
	if (o->quiet)
		return;
	char nm[256], msg[600], clean[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hugexec: %s: %s\n", ld_printable(name, nm, sizeof(nm)),
		ld_printable(msg, clean, sizeof(clean)));
}

/* A file the kernel would not run that looks like a binary (ELF magic or
 * a NUL early on) is not handed to sh, as shells do. */
static bool looks_binary(const char *path)
{
	unsigned char b[80];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;
	if (fd >= 0)
		close(fd);
	return n > 0 && (memchr(b, 0, (size_t)n) != NULL || (n >= 4 && memcmp(b, "\177ELF", 4) == 0));
}

/* execv, with execvp's fallback of running a file without #! through sh. */
static int run(const char *path, char **argv)
{
	execve(path, argv, environ);
	int err = errno;
	if (err == ENOEXEC && looks_binary(path)) {
		char nm[256];
		fprintf(stderr, "hugexec: %s: cannot execute binary file: %s\n",
			ld_printable(argv[0], nm, sizeof(nm)), strerror(err));
		return EXIT_NOEXEC;
	}
	if (err == ENOEXEC) {
		int n = 0;
		while (argv[n])
			n++;
		char **sh = calloc((size_t)n + 2, sizeof(char *));
		if (sh) {
			sh[0] = "/bin/sh";
			sh[1] = (char *)path;
			memcpy(sh + 2, argv + 1, (size_t)n * sizeof(char *));
			execve("/bin/sh", sh, environ);
		}
	}
	char nm[256], interp[256], ip[256];
	if (err == ENOENT && ld_missing_interpreter(path, interp, sizeof(interp)) == 0)
		fprintf(stderr, "hugexec: %s: bad interpreter %s: %s\n",
			ld_printable(argv[0], nm, sizeof(nm)), ld_printable(interp, ip, sizeof(ip)),
			strerror(err));
	else
		fprintf(stderr, "hugexec: %s: %s\n", ld_printable(argv[0], nm, sizeof(nm)),
			strerror(err));
	return err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

/* --report for a program no tracer saw (hugexec is about to become it). */
static void report_untraced(const struct ld_opts *o, const char *path, bool stopped,
			    const char *why)
{
	struct hx_err e;
	if (o->report && ld_json_report(o->report, getpid(), path,
					stopped ? LD_OUT_STOPPED : LD_OUT_UNCHANGED, why, NULL, &e) < 0)
		note(o, path, "%s", e.msg);
}

static int untraced(const struct ld_opts *o, char **cmd, const char *path, const char *why)
{
	report_untraced(o, path, o->strict, why);
	if (o->strict) {
		char nm[256];
		fprintf(stderr, "hugexec: %s: %s (--strict: not running it)\n",
			ld_printable(cmd[0], nm, sizeof(nm)), why);
		return EXIT_HUGEXEC;
	}
	note(o, cmd[0], "%s; running it unmodified", why);
	return run(path, cmd);
}

/* --report: written while the program is still held (a CI job reading it
 * after the command returns finds it whole). The program as it is now
 * (after a followed exec, the new one). */
static void report_json(struct ld_tracer *tr, const char *name, enum ld_outcome_kind k,
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
		note(o, exe, "%s", e.msg);
}

/* The target cannot be trusted to run: make it exit, kill it if need be. */
static int give_up(struct ld_tracer *tr, const char *name, const struct hx_err *e)
{
	struct hx_err e2;
	char nm[256];
	fprintf(stderr, "hugexec: %s: %s; could not restore the program, stopping it (exit 125)\n",
		ld_printable(name, nm, sizeof(nm)), e->msg);
	report_json(tr, name, LD_OUT_STOPPED, e->msg);
	if (ld_exit_target(tr, EXIT_HUGEXEC, &e2) < 0)
		kill(tr->pid, SIGKILL);
	return 0;
}

/* A failure before anything changed: let go, or --strict. */
static int fail_open(struct ld_tracer *tr, const char *name, const struct hx_err *e)
{
	struct hx_err e2 = {0};
	const struct ld_opts *o = tr->o;
	report_json(tr, name, o->strict ? LD_OUT_STOPPED : LD_OUT_UNCHANGED, e->msg);
	if (o->strict) {
		char nm[256];
		fprintf(stderr, "hugexec: %s: %s (--strict: exit 125)\n",
			ld_printable(name, nm, sizeof(nm)), e->msg);
		if (ld_exit_target(tr, EXIT_HUGEXEC, &e2) == 0)
			return 0;
		return give_up(tr, name, &e2); /* it must not run: we said 125 */
	} else {
		note(o, name, "%s; running it unmodified", e->msg);
	}
	if (ld_release(tr, &e2) == -ENOTRECOVERABLE)
		return give_up(tr, name, &e2);
	return 0;
}

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
static int finish(struct ld_tracer *tr, const char *name, const struct hx_err *broke)
{
	const struct ld_opts *o = tr->o;
	struct hx_err e = {0};
	char why[700];
	tr->t.done_ns = hx_now_ns();
	const char *failure = broke ? broke->msg : ld_first_failure(tr, why, sizeof(why));
	if (o->verbose >= 2) /* the plan itself was shown before it ran */
		ld_report_regions(stderr, name, tr);
	if (o->verbose >= 1)
		ld_report_summary(stderr, name, tr);
	if (failure && o->strict) {
		struct hx_err se;
		hx_fail(&se, -EAGAIN, "%s", failure);
		return fail_open(tr, name, &se);
	}
	uint64_t huge, planned;
	ld_totals(tr, &huge, &planned);
	report_json(tr, name, huge && huge >= planned ? LD_OUT_REMAPPED : huge ? LD_OUT_PARTIAL
					   : LD_OUT_UNCHANGED, failure ? failure : "");
	if (broke)
		note(o, name, "%s; stopped there, the rest of the text stays on 4 KB pages", failure);
	else if (failure) /* with -v, why the summary's two sizes differ */
		note(o, name, "%s; that text stays on 4 KB pages", failure);
	char lay[700];
	if (o->verbose && ld_layout_failure(tr, lay, sizeof(lay)))
		note(o, name, "%s", lay);
	if (tr->out.scratch_left)
		note(o, name, "could not unmap hugexec's 4 KB scratch page at %#llx; it stays",
		     (unsigned long long)tr->out.scratch_left);
	if (tr->out.aside_len) {
		char sz[32];
		note(o, name, "could not unmap the old text (%s at %#llx) after the swap; it stays "
		     "mapped there, unused", ld_size(tr->out.aside_len, sz, sizeof(sz)),
		     (unsigned long long)tr->out.aside_addr);
	}
	if (tr->out.left_len) {
		char sz[32];
		note(o, name, "could not unmap hugexec's copy (%s at %#llx) after a rollback; it stays "
		     "mapped there, unused", ld_size(tr->out.left_len, sz, sizeof(sz)),
		     (unsigned long long)tr->out.left_addr);
	}
	/* the perf map's staleness test needs the process's start time: read
	 * while the PID is surely still the program's (held), only if used */
	if (o->perf_map && ld_perfmap_wanted(tr))
		ld_facts_started(tr->pid, &tr->pl.facts);
	if (ld_release(tr, &e) == -ENOTRECOVERABLE)
		return give_up(tr, name, &e);
	/* The program runs on; now, off its critical path, the perf map. What
	 * it has to say comes late: amid the program's output, or after the
	 * program is gone and its parent has moved on to the next command. So
	 * only with -v, and only while the program still runs. */
	if (o->perf_map) {
		struct ld_pm_report pm;
		ld_perfmap_run(tr, "/tmp", &pm);
		for (size_t i = 0; i < pm.n; i++)
			if (o->verbose && o->verbose >= pm.msg[i].level && still_running(tr->pid))
				note(o, name, "perf map: %s", pm.msg[i].text);
		ld_pm_report_free(&pm);
	}
	return 0;
}

/* Why no mapping qualified, or dflt if that was not said. */
static const char *none_why(const struct ld_tracer *tr, const char *dflt)
{
	return tr->pl.none_why[0] ? tr->pl.none_why : dflt;
}

/* The program that runs now, for messages: after a followed exec, the
 * new one ("env -> node"). */
static const char *shown_name(const struct ld_tracer *tr, const char *cmd, char *buf, size_t size)
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

/* Entry stop to plan, following wrappers (env, nice, #!/usr/bin/env)
 * that have nothing to remap to the program they exec. Returns 1 when the
 * program was let go (or ended) on the way, and there is nothing left. */
static int plan_with_follow(struct ld_tracer *tr, const char *cmd, struct hx_err *e)
{
	const struct ld_opts *o = tr->o;
	uint64_t until = 0; /* --follow-exec is one budget for all the execs */
	int r = ld_entry_wait_exec(tr, e);
	for (;;) {
		if (r == 0)
			r = ld_entry_run(tr, e);
		char sn[300];
		const char *left = tr->stop.settle.note; /* what the stop could not put back */
		if (r == 0 && o->verbose >= 2)
			note(o, shown_name(tr, cmd, sn, sizeof(sn)), "stopped at the entry point by "
			     "%s%s%s", ld_entry_how(tr), left[0] ? "; " : "", left);
		if (r == 0)
			r = ld_plan_get(tr, e);
		if (r < 0 || tr->pl.have_plan || !o->follow_ms || o->dry_run)
			return r;
		/* said now, while the program waits at its entry: after it
		 * runs, our lines would land among its own output */
		char nm[300];
		uint64_t now = hx_now_ns();
		if (!until)
			until = now + (uint64_t)ld_follow_ms(o) * 1000000u;
		uint32_t ms = until > now ? (uint32_t)((until - now + 999999) / 1000000) : 0;
		if (o->verbose && ms)
			note(o, shown_name(tr, cmd, nm, sizeof(nm)), "nothing to remap: %s; following it "
			     "for %.1f s in case it execs another program", tr->pl.none_why, ms / 1000.0);
		if (!ms)
			return 0;
		/* --report: written now, while it is held; a program it execs
		 * and that gets remapped writes its own over this one */
		report_json(tr, shown_name(tr, cmd, nm, sizeof(nm)), LD_OUT_UNCHANGED,
			    none_why(tr, "nothing to remap"));
		tr->reported = true;
		r = ld_follow_exec(tr, ms, e);
		if (r == -EAGAIN)
			return 0; /* still stopped at its entry: released as usual */
		if (r == -ESRCH)
			return 1; /* it ended without exec'ing anything */
		const char *name = shown_name(tr, cmd, nm, sizeof(nm));
		if (r == -EPERM) /* a fail-open note, said before it is let go */
			note(o, name, "%s; running it unmodified", e->msg);
		else if (r == -ECANCELED) { /* like a program refused before its exec */
			char pn[300];
			fprintf(stderr, "hugexec: %s: %s (--strict: exit %d)\n",
				ld_printable(name, pn, sizeof(pn)), e->msg, LD_EXIT_STRICT);
		}
		if (r == -EPERM || r == -ECANCELED)
			(void)ld_follow_let_go(tr);
		else if (r < 0 && (r != -ETIMEDOUT || o->verbose >= 2))
			note(o, name, "%s; it runs on unmodified", e->msg);
		if (r < 0)
			return 1;
	}
}

static int tracer_main(pid_t pid, const struct ld_opts *o, const char *cmd)
{
	struct ld_tracer tr;
	struct hx_err e = {0};
	char nm[300];
	ld_tracer_init(&tr, pid, o);
	ld_test_hooks_read(&tr); /* test builds only */
	int r = plan_with_follow(&tr, cmd, &e);
	const char *name = shown_name(&tr, cmd, nm, sizeof(nm));
	if (r == -ESRCH) /* CMD is gone (its exec failed, it ended) */
		report_json(&tr, name, LD_OUT_GONE, "it ended before its entry point");
	if (r == 1 && !tr.reported) /* let go on the way (said), or ended while followed */
		report_json(&tr, name, LD_OUT_UNCHANGED, e.msg[0] ? e.msg
			    : none_why(&tr, "nothing to remap"));
	if (r == -ESRCH || r == 1)
		goto out;
	if (r == -ENOTRECOVERABLE) { /* stopped where it cannot run on */
		give_up(&tr, name, &e);
		goto out;
	}
	if (r < 0) {
		fail_open(&tr, name, &e);
		goto out;
	}
	if (tr.pl.have_plan && (o->dry_run || o->verbose >= 2)) {
		ld_report_plan(stderr, name, &tr.pl.plan);
		ld_report_notes(stderr, name, &tr.pl.plan);
	}
	/* the layout as planned: what moves, what stays and why */
	if (tr.pl.have_plan && tr.pl.plan.layout_str != HX_NO_STR && (o->dry_run || o->verbose))
		ld_report_lines(stderr, name, "", hx_plan_str(&tr.pl.plan, tr.pl.plan.layout_str));
	if (tr.pl.info[0] && (o->verbose || o->dry_run)) /* which profile --profile-dir chose */
		note(o, name, "%s", tr.pl.info);
	/* warnings (a stale or unreadable profile) are said without -v */
	if (tr.pl.warn[0])
		note(o, name, "%s", tr.pl.warn);
	if (tr.pl.have_plan && tr.pl.plan.warn_str != HX_NO_STR && !o->quiet)
		ld_report_lines(stderr, name, "", hx_plan_str(&tr.pl.plan, tr.pl.plan.warn_str));
	if (tr.pl.have_plan && tr.pl.plan.n_groups == 0 && tr.pl.plan.reason_str != HX_NO_STR) {
		/* text qualified, but there is no way to huge pages for it */
		hx_fail(&e, -ENOMEM, "%s", hx_plan_str(&tr.pl.plan, tr.pl.plan.reason_str));
		fail_open(&tr, name, &e);
		goto out;
	}
	if (o->dry_run || !tr.pl.have_plan || tr.pl.plan.n_groups == 0) {
		/* nothing to do: -v and --dry-run still answer "what happened?" */
		if (!tr.pl.have_plan && (o->verbose || o->dry_run))
			note(o, name, "nothing to remap: %s", none_why(&tr, "no plan"));
		else if (tr.pl.plan.n_groups == 0 && o->verbose == 1 && !o->dry_run)
			note(o, name, "nothing to remap: every executable mapping was left alone "
			     "(-vv says why)");
		report_json(&tr, name, o->dry_run && tr.pl.have_plan ? LD_OUT_DRY_RUN : LD_OUT_UNCHANGED,
			    !tr.pl.have_plan ? none_why(&tr, "nothing to remap")
			    : o->dry_run ? "--dry-run" : "every executable mapping was left alone");
		if (ld_release(&tr, &e) == -ENOTRECOVERABLE)
			give_up(&tr, name, &e);
		goto out;
	}
	r = ld_apply(&tr, &e);
	uint64_t huge = 0, planned = 0;
	ld_totals(&tr, &huge, &planned);
	if (r == -ENOTRECOVERABLE)
		give_up(&tr, name, &e);
	else if (r < 0 && r != -ESRCH && huge == 0)
		fail_open(&tr, name, &e); /* nothing changed */
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

int main(int argc, char **argv)
{
	/* Subcommands; `hugexec -- status` runs a program called status. */
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return ld_status_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "record") == 0)
		return rec_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "profile") == 0)
		return prof_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "config") == 0)
		return ld_config_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "attach") == 0)
		return ld_attach_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "undo") == 0)
		return ld_undo_main(argc - 1, argv + 1);
	struct ld_opts o;
	struct hx_err e = {0};
	if (ld_cli_parse(argc, argv, &o, &e) < 0) {
		fprintf(stderr, "hugexec: %s\nTry 'hugexec --help'.\n", e.msg);
		return EXIT_HUGEXEC;
	}
	if (o.help) {
		fputs(ld_cli_usage(), stdout);
		return 0;
	}
	if (o.version) {
		printf("hugexec %s\n", HX_VERSION);
		return 0;
	}
	if (o.cmd_index >= argc) {
		fprintf(stderr, "hugexec: no command given\nTry 'hugexec --help'.\n");
		return EXIT_HUGEXEC;
	}
	char **cmd = argv + o.cmd_index, path[4096], nm[256];
	int r = ld_resolve(cmd[0], getenv("PATH"), path, sizeof(path));
	if (r == -ENOENT) { /* as a shell: a path that is not there is not a "command" */
		fprintf(stderr, "hugexec: %s: %s\n", ld_printable(cmd[0], nm, sizeof(nm)),
			strchr(cmd[0], '/') ? strerror(ENOENT) : "command not found");
		return EXIT_NOTFOUND;
	}
	if (r < 0) {
		fprintf(stderr, "hugexec: %s: %s\n", ld_printable(cmd[0], nm, sizeof(nm)), strerror(-r));
		return EXIT_NOEXEC;
	}
	const char *off = getenv("HUGEXEC_DISABLE");
	if (off && *off && strcmp(off, "0") != 0) {
		report_untraced(&o, path, false, "HUGEXEC_DISABLE is set");
		return run(path, cmd);
	}
	/* now the configuration file and HUGEXEC_OPTIONS, under the command
	 * line (which parsed alone above, so it cannot fail here) */
	struct ld_settings st;
	ld_cli_free(&o);
	if (ld_settings_load(&st, argc, argv, path, getenv("HUGEXEC_CONFIG"),
			     getenv("HUGEXEC_OPTIONS"), &o, &e) < 0)
		return run(path, cmd);
	/* --log, --syslog: our lines there from now on (one per launch at least) */
	struct hx_err le;
	if ((o.log || o.syslog) && ld_log_setup(&o, &le) < 0)
		fprintf(stderr, "hugexec: %s\n", le.msg);
	else if ((o.log || o.syslog) && o.verbose == 0 && !o.quiet)
		o.verbose = 1;
	for (int i = 0; i < st.n_warn; i++)
		fprintf(stderr, "hugexec: %s\n", st.warn[i]);
	if (!st.treated) { /* not on the allow list: no tracer at all */
		char why[4200];
		snprintf(why, sizeof(why), "not in the programs of %s", st.file);
		if (o.strict) /* (asked for: said, exit 125) */
			return untraced(&o, cmd, path, why);
		report_untraced(&o, path, false, why);
		if (o.verbose)
			fprintf(stderr, "hugexec: %s: %s: running it untouched\n",
				ld_printable(cmd[0], nm, sizeof(nm)), why);
		return run(path, cmd);
	}
	char buf[512];
	const char *why = ld_precheck(path, geteuid() == 0, buf, sizeof(buf));
	if (ld_test_no_precheck()) /* test builds: the tracer's own checks instead */
		why = NULL;
	if (why)
		return untraced(&o, cmd, path, why);
	enum ld_role role;
	pid_t target;
	if (ld_launch(&role, &target, &e) < 0)
		return untraced(&o, cmd, path, e.msg);
	if (role == LD_ROLE_TRACER)
		_exit(tracer_main(target, &o, cmd[0]));
	return run(path, cmd);
}

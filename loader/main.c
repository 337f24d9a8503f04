/*
 * main.c - hugexec, the launcher: the only code that talks to the user
 * before CMD runs, and picks the exit statuses of a program that never ran.
 *
 * The process that runs this becomes CMD (same PID). The tracer forked off
 * (launch.c) holds CMD at its exec event just long enough to put the
 * entry stop in place (entry.c), then becomes hugexec-core (handoff.h),
 * which gets the plan from the sandboxed helper, runs it, verifies it and
 * lets go (core.c). Subcommands are hugexec-core's too. Whatever fails,
 * CMD runs unmodified and one line on stderr says why, unless --strict
 * turns the failure into exit status 125 before CMD's own code runs.
 * Must never: change what CMD sees: argv, environment, descriptors,
 * signal dispositions and mask, PID, parent, exit status.
 */
#define _GNU_SOURCE
#include "candidate.h"
#include "entry.h"
#include "handoff.h"
#include "jsonreport.h"
#include "launch.h"
#include "logsink.h"
#include "report.h"
#include "resolve.h"
#include "session.h"
#include "settings.h"
#include "subcommands.h"
#include "testhooks.h"
#include "tracer.h"
#include "../common/cli.h"

#include <errno.h>
#include <fcntl.h>
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
static int run(const struct ld_opts *o, const char *path, char **argv)
{
	execve(path, argv, environ);
	int err = errno;
	if (err == ENOEXEC && looks_binary(path)) {
		char nm[256];
		fprintf(o->msg, "hugexec: %s: cannot execute binary file: %s\n",
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
		fprintf(o->msg, "hugexec: %s: bad interpreter %s: %s\n",
			ld_printable(argv[0], nm, sizeof(nm)), ld_printable(interp, ip, sizeof(ip)),
			strerror(err));
	else
		fprintf(o->msg, "hugexec: %s: %s\n", ld_printable(argv[0], nm, sizeof(nm)),
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
		ld_note(o, path, "%s", e.msg);
}

static int untraced(const struct ld_opts *o, char **cmd, const char *path, const char *why)
{
	report_untraced(o, path, o->strict, why);
	if (o->strict) {
		char nm[256];
		fprintf(o->msg, "hugexec: %s: %s (--strict: not running it)\n",
			ld_printable(cmd[0], nm, sizeof(nm)), why);
		return EXIT_HUGEXEC;
	}
	ld_note(o, cmd[0], "%s; running it unmodified", why);
	return run(o, path, cmd);
}

/* The launcher's tracer: what it needs to become hugexec-core. */
struct first {
	const char *path;        /* CMD */
	char **argv;             /* ours */
};

/* At the entry stop: if a mapping qualifies, become hugexec-core, which
 * plans; else there is no plan (tr->pl.none_why says why). Returns only
 * if the core could not be started (e says why). */
static int at_entry(struct ld_tracer *tr, void *ctx, struct hx_err *e)
{
	struct first *f = ctx;
	char core[4096];
	/* (a profile takes small libraries' hot code too: the core says) */
	bool any = tr->o->profile || tr->o->profile_dir;
	if (!any) {
		if (ld_worth_it(tr, &any, e) < 0)
			any = true; /* cannot tell: the core will */
		else
			tr->pl.qualified = any; /* the core need not look again */
	}
	if (!any)
		return 0;
	int r = ld_core_find(core, sizeof(core), e);
	if (r < 0)
		return r;
	/* Nothing is borrowed at the entry stop: if the core cannot start
	 * (its libraries missing), the kernel lets the program go on as it
	 * is. The core asks for PTRACE_O_EXITKILL again first thing. Under
	 * --strict the program must not run unless hugexec did its work: a
	 * core that cannot start takes it down with it (SIGKILL). */
	if (!tr->o->strict && (r = ld_set_options(tr, false)) < 0)
		return hx_fail(e, r, "setting ptrace options: %s", strerror(-r));
	/* --report: what stays if the core never gets to write its own */
	ld_report_now(tr, f->argv[tr->o->cmd_index], LD_OUT_UNCHANGED,
		      "hugexec-core did not start, or ended before it reported");
	r = ld_handoff_exec(core, tr, f->path, f->argv, e);
	if (!tr->o->strict)
		(void)ld_set_options(tr, true);
	return r;
}

/* The launcher's tracer, attached: it holds CMD from its exec event to
 * its entry stop, and there becomes hugexec-core if a plan may be worth
 * it. A program with nothing to remap (most short commands) is let go
 * from here, without the core. */
static int first_tracer(pid_t pid, const struct ld_opts *o, char **argv, const char *path)
{
	struct ld_tracer tr;
	struct hx_err e = {0};
	struct first f = {.path = path, .argv = argv};
	const char *cmd = argv[o->cmd_index];
	ld_tracer_init(&tr, pid, o);
	ld_test_hooks_read(&tr); /* test builds only */
	int r = ld_entry_wait_exec(&tr, &e);
	r = ld_session_plan(&tr, cmd, r, at_entry, &f, &e);
	char nm[300];
	(void)ld_session_decide(&tr, ld_shown_name(&tr, cmd, nm, sizeof(nm)), r, &e); /* (no plan) */
	ld_tracer_free(&tr);
	return 0;
}

/* A subcommand: hugexec-core's. */
static int core_command(char **argv)
{
	char core[4096];
	struct hx_err e;
	if (ld_core_find(core, sizeof(core), &e) == 0) {
		execv(core, argv);
		hx_fail(&e, -errno, "%s", strerror(errno));
	}
	fprintf(stderr, "hugexec: %s: cannot start hugexec-core: %s\n", argv[1], e.msg);
	return EXIT_HUGEXEC;
}

int main(int argc, char **argv)
{
	/* Each of our lines in one write, so that lines of launches sharing a
	 * stderr never interleave: musl's stderr is unbuffered and writes a
	 * formatted line in pieces (glibc formats it whole first). */
	static char line[1024];
	setvbuf(stderr, line, _IOLBF, sizeof(line));
	/* Subcommands; `hugexec -- status` runs a program called status. */
#define WORD(word, fn) word,
	static const char *const sub[] = {LD_SUBCOMMANDS(WORD)};
#undef WORD
	for (size_t i = 0; argc >= 2 && i < HX_ARRAY_LEN(sub); i++)
		if (strcmp(argv[1], sub[i]) == 0)
			return core_command(argv);
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
		return run(&o, path, cmd);
	}
	/* now the configuration file and HUGEXEC_OPTIONS, under the command
	 * line (which parsed alone above, so it cannot fail here) */
	struct ld_settings st;
	ld_cli_free(&o);
	if (ld_settings_load(&st, argc, argv, path, getenv("HUGEXEC_CONFIG"),
			     getenv("HUGEXEC_OPTIONS"), &o, &e) < 0)
		return run(&o, path, cmd);
	/* --log, --syslog: our lines there from now on (one per launch at least) */
	struct hx_err le;
	if (ld_log_setup(&o, &le) < 0)
		fprintf(stderr, "hugexec: %s\n", le.msg);
	for (int i = 0; i < st.n_warn; i++)
		fprintf(o.msg, "hugexec: %s\n", st.warn[i]);
	if (!st.treated) { /* not on the allow list: no tracer at all */
		char why[4200];
		snprintf(why, sizeof(why), "not in the programs of %s", st.file);
		if (o.strict) /* (asked for: said, exit 125) */
			return untraced(&o, cmd, path, why);
		report_untraced(&o, path, false, why);
		if (o.verbose)
			fprintf(o.msg, "hugexec: %s: %s: running it untouched\n",
				ld_printable(cmd[0], nm, sizeof(nm)), why);
		return run(&o, path, cmd);
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
		_exit(first_tracer(target, &o, argv, path));
	return run(&o, path, cmd);
}

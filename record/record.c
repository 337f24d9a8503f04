/*
 * record.c - `hugexec record`: the command line, the recorded process's
 * life, the sampling loop, and the one place that talks to the user.
 *
 *   hugexec record -o FILE [--freq HZ] [--duration S] [--event E] [-q]
 *                  [LAUNCHER OPTIONS] [--] CMD ARGS...
 *   hugexec record -o FILE -p PID [--freq HZ] [--duration S] [--event E] [-q]
 *
 * With CMD, a child execs the launcher (hugexec, beside us) with its
 * options and CMD, so CMD gets its huge pages exactly as in production. The
 * child waits on a pipe until the events are open on it (inherit=1, one per
 * CPU), so nothing CMD does escapes them. The recorder then waits: CMD's
 * exit status comes back as ours, a death by signal is re-raised. Terminal
 * signals (Ctrl-C) reach CMD directly through the process group; they only
 * make the recorder stop sampling and write the file, then wait for CMD. A
 * signal sent to the recorder alone (kill PID: si_code SI_USER) is also
 * passed on to CMD, so `kill -TERM <record pid>` stops the recorded program
 * as it would stop a plain one; one sent to the whole process group or
 * cgroup reached CMD already and is not passed on again (sentinel.h tells
 * the two apart). SIGUSR1 and SIGUSR2 are passed on the same way but do not
 * stop sampling. --duration stops sampling, not CMD.
 *
 * With -p, the events go on every thread of the running process, per CPU
 * and with inherit=1, so threads it creates later are sampled too (threads
 * created while we attach are caught by listing /proc/PID/task until it
 * stops changing). Recording ends on --duration, a signal, or the exit of
 * the process, which is never touched.
 * Must never: change CMD's arguments, environment, descriptors, signal
 * dispositions or mask, output or exit status.
 */
#define _GNU_SOURCE
#include "record.h"
#include "rectest.h"
#include "../common/cli.h"
#include "events.h"
#include "sampler.h"
#include "sentinel.h"
#include "symbolize.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_USAGE = 125, EXIT_EXEC = 127 };

/* Past this many distinct (IP, caller) keys new keys lose their callers. */
#define MAX_KEYS ((size_t)4 << 20)
/* How often the loop looks at the clock, the child and signals. */
#define TICK_MS 100

/* The signals caught: the first N_STOP stop sampling; with CMD, all of them
 * are passed on to it when a user sent them to the recorder alone. */
static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
enum { N_CAUGHT = HX_ARRAY_LEN(caught), N_STOP = 4 };

/* The signal handler's report, per caught signal: how many arrived, and
 * where the last one came from. The only mutable state outside main's frame. */
static volatile sig_atomic_t g_count[N_CAUGHT], g_from_user[N_CAUGHT], g_sender[N_CAUGHT];

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	for (size_t i = 0; i < N_CAUGHT; i++) {
		if (caught[i] != sig)
			continue;
		/* kill, sigqueue, tgkill (si_code <= 0) - not the tty (SI_KERNEL) */
		g_from_user[i] = si && si->si_code <= 0;
		g_sender[i] = si ? si->si_pid : 0;
		g_count[i]++;
	}
}

struct rec_opts {
	const char *out;
	unsigned freq;
	double duration; /* seconds, 0 = until the end */
	bool cpu_clock, quiet;
	pid_t pid;       /* -p */
	char **child_argv;
};

static const char usage[] =
	"Usage: hugexec record -o FILE [OPTIONS] [LAUNCHER OPTIONS] [--] CMD [ARGS...]\n"
	"       hugexec record -o FILE -p PID [OPTIONS]\n"
	"Sample where CMD (run through hugexec, as in production) or process PID\n"
	"spends its CPU time, without a hardware PMU, and write a profile\n"
	"(docs/profile-format.md).\n"
	"\n"
	"  -o, --output=FILE    the profile to write (required)\n"
	"  -p, --pid=PID        sample a running process and its threads\n"
	"  -F, --freq=HZ        samples per second of CPU time per thread (default 999)\n"
	"  -d, --duration=SECS  stop sampling after SECS seconds (CMD keeps running)\n"
	"      --event=EVENT    task-clock (default) or cpu-clock\n"
	"  -q, --quiet          no summary on stderr\n"
	"  -h, --help           this text\n"
	"Other options before CMD are hugexec's own (see hugexec --help).\n"
	"Ctrl-C or SIGTERM stop sampling and write FILE. The exit status is CMD's.\n"
	"A signal sent to hugexec record alone is passed on to CMD; one sent to the\n"
	"whole process group or cgroup reaches CMD directly and is not passed on.\n";

static int usage_error(const char *fmt, ...) HX_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hugexec: record: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'hugexec record --help'.\n", stderr);
	return EXIT_USAGE;
}


static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || errno || v == 0 || v > max)
		return false;
	*out = v;
	return true;
}

/* The child's argv: hugexec, the launcher options as given, --, CMD. */
static int launcher_argv(int argc, char **argv, int first, bool after_dashes, struct rec_opts *o)
{
	int n = argc - first;
	struct ld_opts lo;
	struct hx_err e = {0};
	char **lv = calloc((size_t)n + 4, sizeof(char *));
	if (!lv)
		return usage_error("out of memory");
	lv[0] = "hugexec";
	int k = 1;
	if (after_dashes)
		lv[k++] = "--";
	for (int i = first; i < argc; i++)
		lv[k++] = argv[i];
	if (ld_cli_parse(k, lv, &lo, &e) < 0) {
		free(lv);
		return usage_error("%s", e.msg);
	}
	bool bad = lo.help || lo.version, none = lo.cmd_index >= k;
	ld_cli_free(&lo);
	if (bad || none) {
		free(lv);
		return usage_error(none ? "no command given" : "--help and --version are not for record");
	}
	/* keep the launcher's words, then an explicit -- before CMD */
	int cmd = lo.cmd_index, w = 1;
	char **cv = calloc((size_t)k + 2, sizeof(char *));
	if (!cv) {
		free(lv);
		return usage_error("out of memory");
	}
	cv[0] = "hugexec";
	for (int i = 1; i < cmd; i++)
		if (!(i == cmd - 1 && strcmp(lv[i], "--") == 0))
			cv[w++] = lv[i];
	cv[w++] = "--";
	for (int i = cmd; i < k; i++)
		cv[w++] = lv[i];
	free(lv);
	o->child_argv = cv;
	return 0;
}

static int one_option(int argc, char **argv, int *i, struct rec_opts *o)
{
	const char *v;
	unsigned long n;
	if ((v = hx_opt_value(argc, argv, i, "-o", "--output"))) {
		if (!*v)
			return usage_error("-o needs a file name");
		o->out = v;
	} else if ((v = hx_opt_value(argc, argv, i, "-p", "--pid"))) {
		if (!parse_uint(v, INT_MAX, &n))
			return usage_error("-p: '%s' is not a process id", v);
		o->pid = (pid_t)n;
	} else if ((v = hx_opt_value(argc, argv, i, "-F", "--freq"))) {
		if (!parse_uint(v, 100000, &n))
			return usage_error("--freq: '%s' is not a rate from 1 to 100000 Hz", v);
		o->freq = (unsigned)n;
	} else if ((v = hx_opt_value(argc, argv, i, "-d", "--duration"))) {
		char *end;
		o->duration = strtod(v, &end);
		if (!*v || *end || !(o->duration > 0 && o->duration < 1e7))
			return usage_error("--duration: '%s' is not a number of seconds", v);
	} else if ((v = hx_opt_value(argc, argv, i, NULL, "--event"))) {
		if (strcmp(v, "task-clock") != 0 && strcmp(v, "cpu-clock") != 0)
			return usage_error("--event: '%s' is not task-clock or cpu-clock", v);
		o->cpu_clock = strcmp(v, "cpu-clock") == 0;
	} else if (strcmp(argv[*i], "-q") == 0 || strcmp(argv[*i], "--quiet") == 0) {
		o->quiet = true;
	} else {
		return -1; /* not ours */
	}
	return 0;
}

/* 0, the exit status for --help, or a usage error's status. */
static int parse_args(int argc, char **argv, struct rec_opts *o, bool *help)
{
	memset(o, 0, sizeof(*o));
	o->freq = REC_DEFAULT_FREQ;
	*help = false;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			*help = true;
			return 0;
		}
		int r = one_option(argc, argv, &i, o);
		if (r > 0)
			return r;
		if (r < 0)
			break;
	}
	if (!o->out)
		return usage_error("-o FILE is required");
	if (o->pid)
		return i < argc ? usage_error("-p takes no command (got '%s')", argv[i]) : 0;
	bool dashes = i < argc && strcmp(argv[i], "--") == 0;
	if (i + (dashes ? 1 : 0) >= argc)
		return usage_error("no command given (or -p PID)");
	return launcher_argv(argc, argv, i + (dashes ? 1 : 0), dashes, o);
}

/* ---- the loop ------------------------------------------------------------ */

struct session {
	struct rec_opts *o;
	struct rec_sampler s;
	struct rec_raw raw;
	struct rec_events ev;
	struct rec_sentinel sentinel; /* CMD mode: tells group-wide signals apart */
	pid_t child;          /* CMD mode; 0 with -p */
	uint64_t deadline_ns; /* 0: none */
	bool written, write_failed;
	bool hold;            /* test builds: no drain until the end (lost samples) */
	int seen[N_CAUGHT];   /* g_count[] already handled */
	uint64_t lost_records; /* by PERF_RECORD_LOST, for the summary */
};

static int feed(void *ctx, const void *rec, size_t size)
{
	return rec_events_record(ctx, rec, size);
}

static void print_notes(const char *notes)
{
	for (const char *p = notes; p && *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(stderr, "hugexec: record: note: %.*s\n", n, p);
		p = nl ? nl + 1 : p + n;
	}
}

static void summary(const struct session *ss, const struct prof_profile *p)
{
	const struct rec_raw *r = &ss->raw;
	uint64_t total = prof_total(p), in_objs = total - p->unattributed;
	if (r->lost > ss->lost_records)
		fprintf(stderr, "hugexec: record: %llu samples lost: the ring buffers overflowed "
			"(try a lower --freq); %llu of them counted only by the events (lost near "
			"the end, where the kernel writes no PERF_RECORD_LOST)\n",
			(unsigned long long)r->lost, (unsigned long long)(r->lost - ss->lost_records));
	else if (r->lost)
		fprintf(stderr, "hugexec: record: %llu samples lost: the ring buffers overflowed "
			"(try a lower --freq)\n", (unsigned long long)r->lost);
	if (r->dropped_callers)
		fprintf(stderr, "hugexec: record: note: %llu samples kept without their callers "
			"(too many distinct call sites)\n", (unsigned long long)r->dropped_callers);
	if (ss->o->quiet)
		return;
	if (total == 0) {
		fprintf(stderr, "hugexec: record: no samples (one is taken every %.1f ms of CPU time "
			"in user space); wrote an empty profile to %s\n", 1000.0 / ss->o->freq,
			ss->o->out);
		return;
	}
	fprintf(stderr, "hugexec: record: %llu samples, %.1f%% in %zu object%s with a build-id, "
		"from %zu thread%s in %zu process%s, %llu lost; wrote %s\n",
		(unsigned long long)total, 100.0 * (double)in_objs / (double)total, p->n_objs,
		p->n_objs == 1 ? "" : "s", ss->ev.n_tids, ss->ev.n_tids == 1 ? "" : "s",
		ss->ev.n_pids, ss->ev.n_pids == 1 ? "" : "es", (unsigned long long)r->lost,
		ss->o->out);
}

/* Has the recorder's child become CMD (hugexec exec'd it)? */
static bool cmd_started(struct session *ss)
{
	struct rec_proc *root = NULL;
	return rec_procs_get(&ss->ev.procs, ss->child, false, &root) == 0 && root && root->kept;
}

/* Stop sampling, take what is left, symbolize, write the file. */
static void finish(struct session *ss)
{
	struct hx_err e = {0};
	struct prof_profile p;
	char *notes = NULL;
	if (ss->written)
		return;
	ss->written = true;
	rec_sampler_disable(&ss->s);
	int r = rec_sampler_drain(&ss->s, feed, &ss->ev);
	if (r < 0)
		hx_fail(&e, r, "reading samples: %s", strerror(-r));
	/* PERF_RECORD_LOST vs the events' counts (0 if they cannot be read:
	 * kernels without PERF_FORMAT_LOST) */
	uint64_t counted;
	ss->lost_records = ss->raw.lost;
	if (rec_sampler_lost(&ss->s, &counted) < 0)
		counted = 0;
	ss->raw.lost = rec_lost_total(ss->lost_records, counted);
	if (ss->child && !cmd_started(ss)) {
		/* hugexec never got to exec CMD: it said why (not found, bad option) */
		fprintf(stderr, "hugexec: record: the command did not start; no profile written\n");
		ss->write_failed = true;
		return;
	}
	snprintf(ss->raw.event, sizeof(ss->raw.event), "%s",
		 ss->o->cpu_clock ? "cpu-clock" : "task-clock");
	if (r == 0)
		r = rec_symbolize(&ss->raw, &p, &notes, &e);
	if (r == 0) {
		if (!ss->o->quiet)
			print_notes(notes);
		r = prof_save(&p, ss->o->out, &e);
		if (r == 0)
			summary(ss, &p);
		prof_free(&p);
	}
	free(notes);
	if (r < 0) {
		fprintf(stderr, "hugexec: record: %s; no profile written\n", e.msg);
		ss->write_failed = true;
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = {0, (long)ms * 1000000L};
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Signal sig reached the recorder: pass it on to CMD if a user sent it,
 * CMD did not, and the sentinel did not get it too (then it went to the
 * whole group, CMD included). A signal not pending there yet gets a second
 * look a little later, since systemd signals a cgroup's processes one by
 * one. Every signal is then taken off the sentinel, so the next one is
 * judged afresh. */
static void route(struct session *ss, int sig, bool from_user, pid_t sender)
{
	if (!from_user || sender == ss->child) {
		/* never passed on, whatever the sentinel saw: no need to ask */
		rec_sentinel_consume(&ss->sentinel, sig);
		return;
	}
	int group = rec_sentinel_pending(&ss->sentinel, sig);
	if (group == 0) {
		sleep_ms(REC_SENTINEL_SETTLE_MS);
		group = rec_sentinel_pending(&ss->sentinel, sig);
	}
	if (group >= 0)
		rec_sentinel_consume(&ss->sentinel, sig);
	if (rec_sentinel_forward(from_user, sender, ss->child, group))
		kill(ss->child, sig);
}

/* New signals: pass on those for CMD; true if one of them stops sampling. */
static bool take_signal(struct session *ss)
{
	bool stop = false;
	for (size_t i = 0; i < N_CAUGHT; i++) {
		int n = g_count[i];
		if (n == ss->seen[i])
			continue;
		ss->seen[i] = n; /* several of one signal at once count as one, as in the kernel */
		stop = stop || i < N_STOP;
		if (ss->child)
			route(ss, caught[i], g_from_user[i], (pid_t)g_sender[i]);
	}
	return stop;
}

static bool target_gone(pid_t pid)
{
	char path[64], *stat;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (hx_read_file(path, 4096, &stat, NULL) < 0)
		return true;
	const char *rp = strrchr(stat, ')'); /* state follows the comm */
	bool gone = !rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X';
	free(stat);
	return gone;
}

/* Sample until the end; returns with the child reaped (status in *st) in
 * CMD mode. */
static void loop(struct session *ss, int *st)
{
	for (;;) {
		if (!ss->written && ss->hold && cmd_started(ss)) {
			sleep_ms(TICK_MS);
		} else if (!ss->written) {
			rec_sampler_wait(&ss->s, TICK_MS);
			if (rec_sampler_drain(&ss->s, feed, &ss->ev) < 0)
				finish(ss); /* out of memory: write what we have */
		}
		bool sig = take_signal(ss);
		if (!ss->written && (sig || (ss->deadline_ns && hx_now_ns() >= ss->deadline_ns)))
			finish(ss);
		if (!ss->child) {
			if (ss->written || target_gone(ss->o->pid))
				break;
			continue;
		}
		pid_t w = waitpid(ss->child, st, ss->written ? 0 : WNOHANG);
		if (w == ss->child)
			break;
		if (w < 0 && errno != EINTR)
			break;
	}
	finish(ss);
}

/* Catch the stop signals (and, to pass them on to CMD, SIGUSR1 and
 * SIGUSR2: n is N_CAUGHT or N_STOP), except a SIGHUP we were told to ignore
 * (nohup): that one stays ignored. SIGINT and SIGTERM are caught even if
 * ignored, as perf record does, so `kill -INT` ends a recording started
 * with &. */
static void install_handlers(size_t n)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: waitpid returns to look */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < n; i++) {
		int sig = caught[i];
		if (sig == SIGHUP && sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sig, &sa, NULL);
	}
}

/* CMD's end as ours: its status, or its death signal raised on us. */
static int propagate(const struct session *ss, int st)
{
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		signal(sig, SIG_DFL);
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, sig);
		sigprocmask(SIG_UNBLOCK, &m, NULL);
		raise(sig);
		return 128 + sig;
	}
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_USAGE;
	return code == 0 && ss->write_failed ? EXIT_USAGE : code;
}

/* ---- CMD ----------------------------------------------------------------- */

static void child_main(int go, const sigset_t *mask, char **argv)
{
	char c = 0;
	sigprocmask(SIG_SETMASK, mask, NULL);
	ssize_t n;
	do
		n = read(go, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'g')
		_exit(EXIT_USAGE); /* the recorder could not start: do not run CMD */
	close(go);
	/* the launcher: beside us in a build tree, ../../bin from libexec */
	static const char *const where[] = {"/hugexec", "/../../bin/hugexec"};
	char launcher[4096];
	int r = hx_exe_sibling(where, HX_ARRAY_LEN(where), launcher, sizeof(launcher));
	if (r == 0) {
		execv(launcher, argv);
		r = -errno;
	}
	fprintf(stderr, "hugexec: record: cannot run the launcher (hugexec beside hugexec-core): %s\n",
		strerror(-r));
	_exit(EXIT_EXEC);
}

/* The sentinel first (it must not see CMD's pipe), then CMD, with the
 * caught signals blocked until the handlers are in place: one arriving in
 * between is judged, with the sentinel there, once they are. On failure
 * (-1, errno set) the sentinel is stopped again. */
static pid_t spawn(struct session *ss, int *go_w)
{
	int go[2];
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t i = 0; i < N_CAUGHT; i++)
		sigaddset(&block, caught[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* if it fails, its pid is 0: no witness, user signals are passed on, as before */
	(void)!rec_sentinel_start(&ss->sentinel, &block);
	if (pipe2(go, O_CLOEXEC) != 0) {
		int err = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		rec_sentinel_stop(&ss->sentinel);
		errno = err;
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		child_main(go[0], &old, ss->o->child_argv);
	}
	int err = errno;
	close(go[0]);
	if (pid > 0)
		install_handlers(N_CAUGHT); /* the child keeps the dispositions we were given */
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(go[1]);
		rec_sentinel_stop(&ss->sentinel);
		errno = err;
		return -1;
	}
	*go_w = go[1];
	return pid;
}

/* Test builds: one-page ring buffers, read only at the end (rectest.h). */
static void test_switches(struct session *ss, struct rec_sampler_opts *so)
{
	if (rec_test_hold()) {
		ss->hold = true;
		so->pages = 1;
	}
}

static int run_cmd(struct session *ss)
{
	struct hx_err e = {0};
	int go, st = 0;
	struct rec_sampler_opts so = {ss->o->freq, ss->o->cpu_clock, REC_DEFAULT_PAGES};
	test_switches(ss, &so);
	ss->child = spawn(ss, &go);
	if (ss->child < 0) {
		fprintf(stderr, "hugexec: record: fork: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	int r = rec_sampler_open(&ss->s, &so, ss->child, &e);
	if (r == 0)
		r = rec_events_init(&ss->ev, &ss->raw, ss->child, 2, ss->s.stack_words);
	if (r < 0) {
		close(go); /* the child sees EOF and exits without running CMD */
		while (waitpid(ss->child, &st, 0) < 0 && errno == EINTR)
			;
		rec_sentinel_stop(&ss->sentinel);
		fprintf(stderr, "hugexec: record: %s\n", e.msg[0] ? e.msg : strerror(-r));
		return EXIT_USAGE;
	}
	if (ss->o->duration > 0)
		ss->deadline_ns = hx_now_ns() + (uint64_t)(ss->o->duration * 1e9);
	ssize_t w = write(go, "g", 1);
	close(go);
	if (w != 1)
		kill(ss->child, SIGKILL);
	loop(ss, &st);
	rec_sentinel_stop(&ss->sentinel); /* before we may die of CMD's signal */
	return propagate(ss, st);
}

/* ---- -p PID -------------------------------------------------------------- */

/* Open events on every thread of pid not yet in *seen, until a listing
 * finds no new one (threads made by attached threads inherit the events). */
static int attach_threads(struct session *ss, struct hx_err *e)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)ss->o->pid);
	pid_t seen[4096];
	size_t n_seen = 1;
	seen[0] = ss->o->pid;
	for (int round = 0; round < 100; round++) {
		DIR *d = opendir(dir);
		if (!d)
			return hx_fail(e, -ESRCH, "process %d is gone", (int)ss->o->pid);
		bool added = false;
		struct dirent *de;
		int r = 0;
		while (r == 0 && (de = readdir(d)) != NULL) {
			pid_t t = (pid_t)atoi(de->d_name);
			bool known = t <= 0;
			for (size_t i = 0; !known && i < n_seen; i++)
				known = seen[i] == t;
			if (known || n_seen == HX_ARRAY_LEN(seen))
				continue;
			seen[n_seen++] = t;
			r = rec_sampler_add(&ss->s, t, e);
			if (r == -ESRCH) /* it ended meanwhile */
				r = 0;
			added = true;
		}
		closedir(d);
		if (r < 0)
			return r;
		if (!added)
			return 0;
	}
	return 0;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int run_pid(struct session *ss)
{
	struct hx_err e = {0};
	struct rec_sampler_opts so = {ss->o->freq, ss->o->cpu_clock, REC_DEFAULT_PAGES};
	raise_fd_limit();
	install_handlers(N_STOP);
	int r = rec_sampler_open(&ss->s, &so, ss->o->pid, &e);
	if (r == 0)
		r = rec_events_init(&ss->ev, &ss->raw, ss->o->pid, 0, ss->s.stack_words);
	if (r == 0)
		r = attach_threads(ss, &e);
	/* the mappings now: later changes come as records */
	char path[64], *maps = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)ss->o->pid);
	if (r == 0 && (r = hx_read_file(path, (size_t)64 << 20, &maps, &len)) < 0)
		hx_fail(&e, r, "%s: %s", path, strerror(-r));
	struct rec_proc *root;
	if (r == 0 && (r = rec_procs_get(&ss->ev.procs, ss->o->pid, false, &root)) == 0 && root)
		r = rec_proc_load_maps(&ss->ev.procs, root, maps, len);
	free(maps);
	if (r < 0) {
		fprintf(stderr, "hugexec: record: %s\n", e.msg[0] ? e.msg : strerror(-r));
		return EXIT_USAGE;
	}
	if (ss->o->duration > 0)
		ss->deadline_ns = hx_now_ns() + (uint64_t)(ss->o->duration * 1e9);
	int st = 0;
	loop(ss, &st);
	return ss->write_failed ? EXIT_USAGE : 0;
}

static int max_rate_check(const struct rec_opts *o)
{
	uint64_t max;
	if (hx_read_u64_file("/proc/sys/kernel/perf_event_max_sample_rate", &max) == 0 &&
	    max > 0 && o->freq > max)
		return usage_error("--freq %u is above kernel.perf_event_max_sample_rate (%llu)",
				   o->freq, (unsigned long long)max);
	return 0;
}

/* Fail before running anything if the profile could not be written: the
 * file goes through a temporary file in the same directory. */
static int output_check(const struct rec_opts *o)
{
	char dir[4096];
	const char *slash = strrchr(o->out, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == o->out ? 1 : (int)(slash - o->out), o->out);
	if (access(dir, W_OK | X_OK) != 0)
		return usage_error("-o %s: cannot write in %s: %s", o->out, dir, strerror(errno));
	return 0;
}

int rec_main(int argc, char **argv)
{
	struct rec_opts o;
	bool help;
	int r = parse_args(argc, argv, &o, &help);
	if (help) {
		fputs(usage, stdout);
		return 0;
	}
	if (r == 0)
		r = max_rate_check(&o);
	if (r == 0)
		r = output_check(&o);
	if (r != 0) {
		free(o.child_argv);
		return r;
	}
	struct session *ss = calloc(1, sizeof(*ss));
	if (!ss || rec_raw_init(&ss->raw, MAX_KEYS) < 0) {
		fprintf(stderr, "hugexec: record: out of memory\n");
		free(ss);
		free(o.child_argv);
		return EXIT_USAGE;
	}
	ss->o = &o;
	r = o.pid ? run_pid(ss) : run_cmd(ss);
	rec_sampler_close(&ss->s);
	rec_events_free(&ss->ev);
	rec_raw_free(&ss->raw);
	free(ss);
	free(o.child_argv);
	return r;
}

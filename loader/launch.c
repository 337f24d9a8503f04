/*
 * launch.c - the double fork and the attach handshake.
 *
 *   target (us)             child              tracer
 *   vfork ---------------->  fork ------------->  PTRACE_SEIZE(target)
 *   (waits)                  exit               send {pid, 0 or -errno}
 *   read {tracer, result} <---------------------
 *   waitpid(child)
 *   execve(CMD)                                   waits for the exec event
 *
 * Where Yama allows only ancestors to trace (ptrace_scope 1, not root) the
 * first attach fails with EPERM; the tracer then sends {pid, NEED_GO}, we
 * name it with PR_SET_PTRACER and send "go", and it tries once more. Most
 * machines never take that round trip (a launch costs every program).
 *
 * PTRACE_O_EXITKILL: if the tracer dies while the target is stopped in our
 * hands (registers borrowed, breakpoint armed), the target must not run on
 * in that state. The tracer ignores catchable signals, so only a crash or
 * SIGKILL can do that.
 * Must never: let the target exec before the tracer is attached, or block
 * forever if the tracer dies (a closed pipe reads as failure).
 */
#define _GNU_SOURCE
#include "launch.h"
#include "../common/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the tracer (or, if it could not be made, the child) sends us. */
struct word_pair {
	int tracer; /* its PID, or -errno: no tracer */
	int res;    /* 0 attached, NEED_GO, or -errno */
};
#define NEED_GO 1

static int read_pair(int fd, struct word_pair *p)
{
	ssize_t r;
	do
		r = read(fd, p, sizeof(*p));
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)sizeof(*p) ? 0 : -EPIPE;
}

/* One write of 8 bytes: atomic on a pipe, whoever else writes to it. */
static void write_pair(int fd, int tracer, int res)
{
	const struct word_pair p = {tracer, res};
	ssize_t r;
	do
		r = write(fd, &p, sizeof(p));
	while (r < 0 && errno == EINTR);
}

/* Is sig pending for us (blocked, so kept)? */
static bool sig_pending(int sig)
{
	sigset_t p;
	return sigpending(&p) == 0 && sigismember(&p, sig);
}

/* A signal our own doing left pending (it is blocked): gone again. */
static void take_back(int sig)
{
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, sig);
	const struct timespec now = {0, 0};
	if (sig_pending(sig))
		(void)sigtimedwait(&one, NULL, &now);
}

/* Write to the tracer, which may have died: its EPIPE must not kill us
 * (we are about to become CMD). SIGPIPE is held blocked for the write and
 * a SIGPIPE it raised is taken back, so CMD inherits the mask and the
 * pending set we were given. */
static ssize_t write_go(int fd)
{
	sigset_t pipe_only, old;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_only, &old);
	bool was_pending = sig_pending(SIGPIPE);
	ssize_t r;
	do
		r = write(fd, "g", 1);
	while (r < 0 && errno == EINTR);
	if (r < 0 && !was_pending)
		take_back(SIGPIPE);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int seize(pid_t target)
{
	return ptrace(PTRACE_SEIZE, target, NULL, (void *)(long)LD_PTRACE_OPTIONS) == 0 ? 0 : -errno;
}

/* The tracer's side: attach (asking for PR_SET_PTRACER if Yama wants it),
 * report. Returns only attached. */
static void tracer_attach(pid_t target, int up, int down)
{
	int res = seize(target);
	if (res == -EPERM) {
		char go;
		ssize_t r;
		write_pair(up, getpid(), NEED_GO);
		do
			r = read(down, &go, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			_exit(0); /* the target gave up on us */
		res = seize(target);
	}
	write_pair(up, getpid(), res);
	close(up);
	close(down);
	if (res < 0)
		_exit(0);
}

static int above_stdio(int fd)
{
	if (fd > 2)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (n < 0)
		_exit(0); /* the target reads EOF: untraced */
	close(fd);
	return n;
}

/* The tracer outlives nothing of ours; make it deaf to the terminal and
 * to the signals a service manager sends the whole group, so it always
 * gets to restore the target (which receives those signals itself).
 * First thing: a Ctrl-C that killed it while it holds the target would
 * kill the target too (EXITKILL), with SIGKILL's status, not SIGINT's. */
static void ignore_group_signals(void)
{
	static const int ignore[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP,
				     SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < HX_ARRAY_LEN(ignore); i++)
		signal(ignore[i], SIG_IGN);
	/* We wait for our helper children: an inherited SIG_IGN would make
	 * the kernel reap them unseen (waitpid: ECHILD). CMD keeps its own. */
	signal(SIGCHLD, SIG_DFL);
}

/* ... and out of the terminal's session, holding none of its stdin or
 * stdout (after the attach: the target waits for that, not for this). */
static void become_tracer(void)
{
	(void)setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0); /* never hold the target's stdin or stdout */
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
}

/* Who traces us already (strace, a debugger), 0 if nobody or unknown. */
static long tracer_of_self(void)
{
	unsigned long long pid = 0;
	return hx_self_status("TracerPid", 10, &pid) == 0 ? (long)pid : 0;
}

/* The vfork child: it runs on our memory while we wait, so it works in a
 * frame of its own (never inlined into ld_launch's, whose slots it must
 * not reuse) and writes nothing of ours. It forks the tracer (which
 * reports to us itself) and exits. Returns 0 only in the tracer, once
 * attached. */
__attribute__((noinline)) static int intermediate(pid_t me, int up_r, int up_w, int down_r,
						  int down_w)
{
	pid_t t = fork();
	if (t == 0) {
		close(up_r);
		close(down_w);
		/* hugexec may have been started with 0, 1 or 2 closed (the
		 * program must see them closed too), so our pipes may sit
		 * there: move them up before reopening 0 and 1. */
		up_w = above_stdio(up_w);
		down_r = above_stdio(down_r);
		ignore_group_signals();
		tracer_attach(me, up_w, down_r);
		become_tracer();
		return 0;
	}
	if (t < 0)
		write_pair(up_w, -errno, 0);
	_exit(0);
}

int ld_launch(enum ld_role *role, pid_t *target, struct hx_err *e)
{
	int up[2], down[2];
	pid_t me = getpid();
	*role = LD_ROLE_TARGET;
	*target = me;
	if (pipe2(up, O_CLOEXEC) != 0)
		return hx_fail(e, -errno, "pipe: %s", strerror(errno));
	if (pipe2(down, O_CLOEXEC) != 0) {
		int err = -errno;
		close(up[0]);
		close(up[1]);
		return hx_fail(e, err, "pipe: %s", strerror(-err));
	}
	/* The intermediate child is a vfork: it shares our memory while we
	 * wait, forks the tracer and exits, so its making costs no copy of our
	 * page tables (one fork less on every launch: 0.1-0.2 ms here). Only
	 * it runs meanwhile; fork's locks are taken and given back within it.
	 * Its end sends us a SIGCHLD, which CMD would inherit pending across
	 * the exec if SIGCHLD is blocked: taken back below. */
	bool chld_pending = sig_pending(SIGCHLD);
	pid_t child = vfork();
	if (child == 0) {
		if (intermediate(me, up[0], up[1], down[0], down[1]) == 0) {
			*role = LD_ROLE_TRACER; /* the tracer, in memory of its own */
			return 0;
		}
		_exit(0); /* not reached */
	}
	close(up[1]);
	close(down[0]);
	struct word_pair got = {-ECHILD, -EPIPE};
	if (child > 0) {
		/* the tracer reports; the child, reaped at the end, only if it
		 * could not fork */
		if (read_pair(up[0], &got) < 0)
			got.res = -EPIPE;
		else if (got.tracer <= 0)
			got.res = got.tracer;
		else if (got.res == NEED_GO) {
			(void)prctl(PR_SET_PTRACER, (unsigned long)got.tracer, 0, 0, 0);
			if (write_go(down[1]) != 1 || read_pair(up[0], &got) < 0)
				got.res = -EPIPE;
			/* Attached or not, the exception has done its job; a
			 * later process reusing that PID must not inherit it. */
			(void)prctl(PR_SET_PTRACER, 0, 0, 0, 0);
		}
		while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR)
			;
		if (!chld_pending)
			take_back(SIGCHLD);
	} else {
		got.res = -errno;
	}
	int res = got.res;
	close(up[0]);
	close(down[1]);
	long other = res == -EPERM ? tracer_of_self() : 0;
	if (other > 0)
		return hx_fail(e, res, "cannot trace the program: it is already traced by process "
			       "%ld (a debugger or strace)", other);
	if (res < 0)
		return hx_fail(e, res, "cannot trace the program: %s",
			       res == -EPERM ? "ptrace not permitted (seccomp, Yama or a container?)"
					     : strerror(-res));
	return 0;
}

/*
 * launch.c - the double fork and the attach handshake.
 *
 *   target (us)             child              tracer
 *   fork ----------------->  fork ------------->  wait for "go"
 *   read tracer pid <------  send tracer pid, exit
 *   PR_SET_PTRACER(tracer)
 *   send "go" --------------------------------->  PTRACE_SEIZE(target)
 *   read result <-------------------------------  send 0 or -errno
 *   waitpid(child)
 *   execve(CMD)                                   waits for the exec event
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

static int read_int(int fd, int *v)
{
	ssize_t r;
	do
		r = read(fd, v, sizeof(*v));
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)sizeof(*v) ? 0 : -EPIPE;
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

static void write_int(int fd, int v)
{
	ssize_t r;
	do
		r = write(fd, &v, sizeof(v));
	while (r < 0 && errno == EINTR);
}

/* The tracer's side: wait for permission, attach, report. */
static int tracer_attach(pid_t target, int up, int down)
{
	char go;
	ssize_t r;
	do
		r = read(down, &go, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(0); /* the target gave up on us */
	int res = ptrace(PTRACE_SEIZE, target, NULL, (void *)(long)LD_PTRACE_OPTIONS) == 0 ? 0 : -errno;
	write_int(up, res);
	close(up);
	close(down);
	if (res < 0)
		_exit(0);
	return 0;
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
 * gets to restore the target (which receives those signals itself). */
static void become_tracer(void)
{
	static const int ignore[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP,
				     SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
	(void)setsid();
	for (size_t i = 0; i < HX_ARRAY_LEN(ignore); i++)
		signal(ignore[i], SIG_IGN);
	/* We wait for our helper children: an inherited SIG_IGN would make
	 * the kernel reap them unseen (waitpid: ECHILD). CMD keeps its own. */
	signal(SIGCHLD, SIG_DFL);
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
 * not reuse) and writes nothing of ours. It forks the tracer, tells us its
 * PID and exits. Returns 0 only in the tracer, once attached. */
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
		become_tracer();
		if (tracer_attach(me, up_w, down_r) == 0)
			return 0;
	}
	write_int(up_w, t > 0 ? t : -errno);
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
	int tracer = -ECHILD, res = -EPIPE;
	if (child > 0) {
		/* the child writes the tracer's PID and exits: reaped at the end,
		 * its exit overlapping the attach (a launch costs every program) */
		if (read_int(up[0], &tracer) == 0 && tracer > 0) {
			(void)prctl(PR_SET_PTRACER, (unsigned long)tracer, 0, 0, 0);
			if (write_go(down[1]) == 1 && read_int(up[0], &res) < 0)
				res = -EPIPE;
			/* Attached or not, the exception has done its job; a
			 * later process reusing that PID must not inherit it. */
			(void)prctl(PR_SET_PTRACER, 0, 0, 0, 0);
		} else if (tracer <= 0 && tracer != -ECHILD) {
			res = tracer;
		}
		while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR)
			;
		if (!chld_pending)
			take_back(SIGCHLD);
	} else {
		res = -errno;
	}
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

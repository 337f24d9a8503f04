/*
 * follow.c - a program with nothing to remap may be a wrapper (env, nice,
 * numactl, taskset, a `#!/usr/bin/env node` script, an entrypoint script
 * ending in `exec`): wait, traced, for the program it execs, and take that
 * one to its entry point instead.
 *
 * While following, the tracer is a bystander: no register is borrowed, so
 * PTRACE_O_EXITKILL is off (a tracer that dies must not take the program
 * with it); signals and group-stops pass through as in entry.c. A set-id
 * or file-capability program exec'd under a tracer that lacks
 * CAP_SYS_PTRACE loses its privileges (the kernel's LSM_UNSAFE_PTRACE), so
 * a tracer that is not root runs the program under PTRACE_SYSCALL and
 * looks at each execve at its entry, before the kernel computes the new
 * credentials: for such a program it detaches and lets the exec run
 * untraced. A root tracer keeps them (ptracer_capable) and only waits for
 * the exec event, which costs the program nothing.
 * When the time is up (--follow-exec) the program is interrupted and
 * detached, a signal met on the way handed back with the detach.
 * Must never: let an exec happen traced that tracing would change, keep
 * the program stopped longer than one stop takes, or drop a signal.
 */
#define _GNU_SOURCE
#include "resolve.h"
#include "tracer.h"
#include "../inject/stopclass.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ptrace.h> /* PTRACE_GET_SYSCALL_INFO (5.3) */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LD_MAX_FOLLOWS 8 /* env -> sh -> node is 2 */

static int pt(struct ld_tracer *tr, int req, void *addr, void *data)
{
	errno = 0;
	if (tr->inj.ops->ptrace(req, tr->pid, addr, data) < 0 && errno)
		return -errno;
	return 0;
}

static int set_options(struct ld_tracer *tr, bool exitkill)
{
	long o = PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | (exitkill ? PTRACE_O_EXITKILL : 0);
	return pt(tr, PTRACE_SETOPTIONS, NULL, (void *)o);
}

/* The next stop, or 0 at the deadline. SIGCHLD is blocked by the caller:
 * one pending means the tracee (or a child of ours) changed state. */
static int wait_until(struct ld_tracer *tr, const sigset_t *chld, uint64_t deadline, int *status)
{
	for (;;) {
		pid_t w = tr->inj.ops->waitpid(tr->pid, status, __WALL | WNOHANG);
		if (w == tr->pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return -errno;
		uint64_t now = hx_now_ns();
		if (now >= deadline)
			return 0;
		uint64_t left = deadline - now;
		struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
		(void)sigtimedwait(chld, NULL, &ts);
	}
}

/* A NUL-terminated string from the tracee, page by page (it may end just
 * before an unmapped page). */
static int read_string(struct ld_tracer *tr, uint64_t addr, char *out, size_t size)
{
	size_t got = 0;
	while (got + 1 < size) {
		size_t chunk = HX_PAGE - (size_t)((addr + got) % HX_PAGE);
		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		if (inj_read(&tr->inj, addr + got, out + got, chunk) < 0)
			return -EFAULT;
		char *nul = memchr(out + got, 0, chunk);
		if (nul)
			return 0;
		got += chunk;
	}
	return -ENAMETOOLONG;
}

/* The file an execve/execveat at its entry stop is about to run, as a
 * path this process can open (through /proc/PID/cwd or /proc/PID/fd). */
static int exec_target(struct ld_tracer *tr, const struct ptrace_syscall_info *si, char *out,
		       size_t size)
{
	bool at = si->entry.nr == SYS_execveat;
	int64_t dirfd = at ? (int64_t)si->entry.args[0] : AT_FDCWD;
	char name[4096];
	int r = read_string(tr, si->entry.args[at ? 1 : 0], name, sizeof(name));
	if (r < 0)
		return r;
	int n;
	if (name[0] == '/')
		n = snprintf(out, size, "%s", name);
	else if (dirfd == AT_FDCWD)
		n = snprintf(out, size, "/proc/%d/cwd/%s", (int)tr->pid, name);
	else if (!name[0]) /* AT_EMPTY_PATH: the descriptor itself */
		n = snprintf(out, size, "/proc/%d/fd/%d", (int)tr->pid, (int)dirfd);
	else
		n = snprintf(out, size, "/proc/%d/fd/%d/%s", (int)tr->pid, (int)dirfd, name);
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* At a syscall stop: 1 if it is the entry of an exec that must not run
 * traced (why in buf), 0 to go on, <0 if the stop cannot be read. */
static int unsafe_exec(struct ld_tracer *tr, char *buf, size_t size)
{
	struct ptrace_syscall_info si;
	int r = pt(tr, PTRACE_GET_SYSCALL_INFO, (void *)sizeof(si), &si);
	if (r < 0)
		return r;
	if (si.op != PTRACE_SYSCALL_INFO_ENTRY ||
	    (si.entry.nr != SYS_execve && si.entry.nr != SYS_execveat))
		return 0;
	char path[4200], why[400];
	if (exec_target(tr, &si, path, sizeof(path)) < 0)
		return 0; /* the kernel will fail it the same way */
	const char *no = ld_precheck(path, geteuid() == 0, why, sizeof(why));
	if (!no)
		return 0;
	snprintf(buf, size, "it execs a program hugexec does not trace (%s)", no);
	return 1;
}

/* Resume after a stop that is not ours (stopping at syscalls if watch). */
static int resume(struct ld_tracer *tr, const struct inj_stop *s, bool watch)
{
	int how = watch ? PTRACE_SYSCALL : PTRACE_CONT;
	if (s->kind == INJ_STOP_SIGNAL)
		return pt(tr, how, NULL, (void *)(long)s->sig);
	if (s->kind == INJ_STOP_GROUP && inj_is_stop_signal(s->sig))
		return pt(tr, PTRACE_LISTEN, NULL, NULL);
	return pt(tr, how, NULL, NULL);
}

/* Time is up or the next exec must run untraced: let go from this stop. */
static int let_go(struct ld_tracer *tr, const struct inj_stop *s)
{
	int sig = s->kind == INJ_STOP_SIGNAL ? s->sig : 0;
	return pt(tr, PTRACE_DETACH, NULL, (void *)(long)sig);
}

static int follow(struct ld_tracer *tr, const sigset_t *chld, struct hx_err *e)
{
	uint64_t deadline = hx_now_ns() + (uint64_t)tr->o->follow_ms * 1000000u;
	bool interrupted = false, watch = geteuid() != 0;
	int r = set_options(tr, false);
	if (r < 0)
		return hx_fail(e, -EAGAIN, "cannot follow the program: %s", strerror(-r));
	r = pt(tr, watch ? PTRACE_SYSCALL : PTRACE_CONT, NULL, NULL);
	while (r == 0) {
		int status;
		int w = wait_until(tr, chld, interrupted ? UINT64_MAX : deadline, &status);
		if (w < 0)
			return hx_fail(e, w, "waiting for the program: %s", strerror(-w));
		if (w == 0) { /* the next stop, whatever it is, is where we let go */
			interrupted = true;
			r = pt(tr, PTRACE_INTERRUPT, NULL, NULL);
			continue;
		}
		struct inj_stop s = inj_classify(status);
		if (s.kind == INJ_STOP_EXITED || s.kind == INJ_STOP_KILLED)
			return -ESRCH;
		if (s.kind == INJ_STOP_EXEC) {
			if ((r = set_options(tr, true)) < 0)
				break;
			return 0;
		}
		if (interrupted) {
			if ((r = let_go(tr, &s)) == 0)
				return hx_fail(e, -ETIMEDOUT, "it did not exec another program within "
					       "%.1f s (--follow-exec)", tr->o->follow_ms / 1000.0);
			break;
		}
		if (s.kind == INJ_STOP_SYSCALL) {
			int u = unsafe_exec(tr, tr->follow_note, sizeof(tr->follow_note));
			if (u != 0) { /* 1: must not trace it; <0: cannot tell */
				if ((r = let_go(tr, &s)) == 0)
					return hx_fail(e, -EPERM, "%s", u > 0 ? tr->follow_note
						       : "cannot see its system calls");
				break;
			}
		}
		r = resume(tr, &s, watch);
	}
	return r == -ESRCH ? r : hx_fail(e, r, "following the program: %s", strerror(-r));
}

int ld_follow_exec(struct ld_tracer *tr, struct hx_err *e)
{
	if (tr->followed >= LD_MAX_FOLLOWS)
		return hx_fail(e, -EAGAIN, "it has exec'd %u programs already", tr->followed);
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	tr->follow_note[0] = 0;
	int r = follow(tr, &chld, e);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		tr->followed++;
	return r;
}

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
 * When the time is up (--follow-exec) the tracer simply leaves: the
 * kernel detaches a dead tracer's tracees without waking them, whereas
 * PTRACE_INTERRUPT would make a call such as epoll_wait fail with EINTR.
 * A non-root tracer watches for 0.5 s unless told otherwise: it stops the
 * program at every system call.
 * Must never: let an exec happen traced that tracing would change, keep
 * the program stopped longer than one stop takes, or drop a signal.
 */
#define _GNU_SOURCE
#include "launch.h"
#include "resolve.h"
#include "entry.h"
#include "follow.h"
#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/ptrace.h> /* PTRACE_GET_SYSCALL_INFO (5.3) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LD_MAX_FOLLOWS 8 /* env -> sh -> node is 2 */
/* Watching every system call slows a busy program; env, nice and numactl
 * exec within milliseconds. */
#define LD_FOLLOW_WATCH_MS 500u

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

/* The exec system calls, by the ABI a call came in with: a 64-bit
 * program may also use the i386 (int $0x80) and x32 entries. */
#define X32_BIT 0x40000000ull
enum { I386_EXECVE = 11, I386_EXECVEAT = 358, I386_EXIT_GROUP = 252,
       X32_EXECVE = 520, X32_EXECVEAT = 545 };

/* 1 for execve, 2 for execveat, 0 for anything else. */
static int exec_kind(const struct ptrace_syscall_info *si)
{
	uint64_t nr = si->entry.nr;
	if (si->arch == AUDIT_ARCH_I386)
		return nr == I386_EXECVE ? 1 : nr == I386_EXECVEAT ? 2 : 0;
	if (si->arch != AUDIT_ARCH_X86_64)
		return 0;
	if (nr & X32_BIT)
		nr = (nr & ~X32_BIT) == X32_EXECVE ? SYS_execve
		     : (nr & ~X32_BIT) == X32_EXECVEAT ? SYS_execveat : ~0ull;
	return nr == SYS_execve ? 1 : nr == SYS_execveat ? 2 : 0;
}

/* The file an exec at its entry stop is about to run, as a path this
 * process can open: through the program's own root, cwd or descriptor. */
static int exec_target(struct ld_tracer *tr, const struct ptrace_syscall_info *si, bool at,
		       char *out, size_t size)
{
	int64_t dirfd = at ? (int32_t)si->entry.args[0] : AT_FDCWD;
	char name[4096];
	int r = read_string(tr, si->entry.args[at ? 1 : 0], name, sizeof(name));
	if (r < 0)
		return r;
	int n, pid = (int)tr->pid;
	if (name[0] == '/') /* a chroot or mount namespace of its own */
		n = snprintf(out, size, "/proc/%d/root%s", pid, name);
	else if (dirfd == AT_FDCWD)
		n = snprintf(out, size, "/proc/%d/cwd/%s", pid, name);
	else if (!name[0]) /* AT_EMPTY_PATH: the descriptor itself */
		n = snprintf(out, size, "/proc/%d/fd/%d", pid, (int)dirfd);
	else
		n = snprintf(out, size, "/proc/%d/fd/%d/%s", pid, (int)dirfd, name);
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* --strict: the exec at this entry stop becomes exit_group(125) of the
 * same ABI, so the program it names never runs. */
static int exit_instead(struct ld_tracer *tr, const struct ptrace_syscall_info *si)
{
	struct user_regs_struct r;
	int err = ld_pt(tr, PTRACE_GETREGS, NULL, &r);
	if (err < 0)
		return err;
	if (si->arch == AUDIT_ARCH_I386) {
		r.orig_rax = I386_EXIT_GROUP;
		r.rbx = LD_EXIT_STRICT;
	} else {
		r.orig_rax = (si->entry.nr & X32_BIT) | SYS_exit_group;
		r.rdi = LD_EXIT_STRICT;
	}
	return ld_pt(tr, PTRACE_SETREGS, NULL, &r);
}

/* At a syscall stop: 1 if it is the entry of an exec that must not run
 * traced (why in buf; under --strict it was made an exit), 0 to go on,
 * <0 if the stop cannot be read. */
static int unsafe_exec(struct ld_tracer *tr, char *buf, size_t size)
{
	struct ptrace_syscall_info si;
	int r = ld_pt(tr, PTRACE_GET_SYSCALL_INFO, (void *)sizeof(si), &si);
	if (r < 0)
		return r;
	int kind = si.op == PTRACE_SYSCALL_INFO_ENTRY ? exec_kind(&si) : 0;
	char path[4200], why[400];
	if (!kind || exec_target(tr, &si, kind == 2, path, sizeof(path)) < 0)
		return 0; /* not an exec, or one the kernel will fail the same way */
	const char *no = ld_precheck(path, false, why, sizeof(why));
	if (!no)
		return 0;
	snprintf(buf, size, "it execs a program hugexec does not trace (%s)", no);
	if (tr->o->strict && (r = exit_instead(tr, &si)) < 0)
		return r;
	return 1;
}

/* Does this process hold CAP_SYS_PTRACE? Then a set-id exec keeps its
 * privileges under us (ptracer_capable). Root in a container may not. */
static bool can_ptrace_privileged(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	return syscall(SYS_capget, &h, d) == 0 &&
	       (d[CAP_SYS_PTRACE / 32].effective >> (CAP_SYS_PTRACE % 32) & 1);
}

uint32_t ld_follow_ms(const struct ld_opts *o)
{
	return o->follow_ms_set || can_ptrace_privileged() ? o->follow_ms : LD_FOLLOW_WATCH_MS;
}

static int follow(struct ld_tracer *tr, uint32_t ms, const sigset_t *chld, struct hx_err *e)
{
	int how = can_ptrace_privileged() ? PTRACE_CONT : PTRACE_SYSCALL; /* watch execs? */
	uint64_t deadline = hx_now_ns() + (uint64_t)ms * 1000000u;
	char why[600];
	int r = ld_set_options(tr, false);
	if (r < 0)
		return hx_fail(e, -EAGAIN, "cannot follow the program: %s", strerror(-r));
	r = ld_pt(tr, how, NULL, NULL);
	while (r == 0) {
		int status;
		int w = wait_until(tr, chld, deadline, &status);
		if (w == -ECHILD) /* it exec'd from another thread, which we do not trace */
			return -ESRCH;
		if (w < 0)
			return hx_fail(e, w, "waiting for the program: %s", strerror(-w));
		if (w == 0) /* let go by leaving: see ld_follow_exec */
			return hx_fail(e, -ETIMEDOUT, "it did not exec another program within "
				       "%.1f s (--follow-exec)", ms / 1000.0);
		struct inj_stop s = inj_classify(status);
		if (s.kind == INJ_STOP_EXITED || s.kind == INJ_STOP_KILLED)
			return -ESRCH;
		if (s.kind == INJ_STOP_EXEC) {
			if ((r = ld_set_options(tr, true)) < 0)
				break;
			return 0;
		}
		if (s.kind == INJ_STOP_SYSCALL) {
			int u = unsafe_exec(tr, why, sizeof(why));
			if (u != 0) /* 1: must not trace it; <0: cannot tell */
				return hx_fail(e, u > 0 && tr->o->strict ? -ECANCELED : -EPERM,
					       "%s", u > 0 ? why : "cannot see its system calls");
		}
		r = ld_pass_through(tr, &s, how);
	}
	return r == -ESRCH ? r : hx_fail(e, r, "following the program: %s", strerror(-r));
}

int ld_follow_let_go(struct ld_tracer *tr)
{
	return ld_pt(tr, PTRACE_DETACH, NULL, NULL);
}

int ld_follow_exec(struct ld_tracer *tr, uint32_t ms, struct hx_err *e)
{
	if (tr->followed >= LD_MAX_FOLLOWS)
		return hx_fail(e, -EAGAIN, "it has exec'd %u programs already", tr->followed);
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	int r = follow(tr, ms, &chld, e);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		tr->followed++;
	return r;
}

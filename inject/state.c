/*
 * state.c - save, restore and compare the target's user-visible CPU state
 * and signal mask; detach.
 *
 * Signals: while we work, every blockable signal but the synchronous ones
 * is blocked in the target, so anything sent meanwhile stays pending and
 * the kernel delivers it after we restore the mask and detach: exactly
 * once, in the usual order. Stop signals reach us (SIGSTOP cannot be
 * blocked): rsys.c defers them and inj_detach() hands them back, unless a
 * SIGCONT arrived after them. A synchronous signal stays open because the
 * kernel forces one on a call it refuses (seccomp RET_TRAP, Syscall User
 * Dispatch), and a forced signal that is blocked costs the program its
 * handler; one that someone else sent meanwhile is sent again at detach.
 * Must never: detach with registers or mask that differ from the saved ones.
 */
#define _GNU_SOURCE
#include "inject.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void inj_init(struct inj_target *t, pid_t pid, const struct hx_sysops *ops)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->ops = ops;
	t->mem_fd = -1;
}

/* inj_wait with t->deadline_ns: polled (a ptrace stop cannot be waited
 * for with a timeout otherwise), from 50 us apart up to 1 ms. */
static int wait_until(struct inj_target *t, int *status)
{
	long nap_ns = 50000;
	for (;;) {
		pid_t w = t->ops->waitpid(t->pid, status, __WALL | WNOHANG);
		if (w > 0)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (hx_now_ns() >= t->deadline_ns)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){0, nap_ns}, NULL);
		if (nap_ns < 1000000)
			nap_ns *= 2;
	}
}

int inj_wait(struct inj_target *t, int *status)
{
	int tries = 0;
	pid_t w;
	if (t->deadline_ns)
		return wait_until(t, status);
	do /* a failure that is not its end: once more (its stop still comes) */
		w = t->ops->waitpid(t->pid, status, __WALL);
	while (w < 0 && (errno == EINTR || (errno != ECHILD && errno != ESRCH && tries++ < 1)));
	return w < 0 ? -errno : 0;
}

int inj_pt(struct inj_target *t, int req, void *addr, void *data)
{
	errno = 0;
	if (t->ops->ptrace(req, t->pid, addr, data) < 0 && errno)
		return -errno;
	return 0;
}

struct hx_sud_config inj_sud_to_set(const struct hx_sud_config *got)
{
	struct hx_sud_config c = *got;
	/* 6.17's inclusive mode is kept as an exclusive range that wraps
	 * (offset + len, -len): the kernel takes it back only as itself */
	if (c.mode == PR_SYS_DISPATCH_ON && c.len && c.offset + c.len < c.offset) {
		c.mode = HX_PR_SYS_DISPATCH_INCLUSIVE_ON;
		c.offset = got->offset + got->len;
		c.len = -got->len;
	}
	return c;
}

/* The kernel's own restart of an interrupted call (arch/x86 signal code,
 * no handler run): back to the syscall instruction, with its number again
 * (restart_syscall for one that keeps a restart block). */
#define K_ERESTARTSYS 512
#define K_ERESTARTNOINTR 513
#define K_ERESTARTNOHAND 514
#define K_ERESTART_RESTARTBLOCK 516
void inj_restarted_regs(struct user_regs_struct *r)
{
	long long rax = (long long)r->rax, nr = (long long)r->orig_rax;
	if (nr < 0)
		return;
	if (rax == -K_ERESTARTSYS || rax == -K_ERESTARTNOINTR || rax == -K_ERESTARTNOHAND)
		r->rax = r->orig_rax;
	else if (rax == -K_ERESTART_RESTARTBLOCK)
		r->rax = SYS_restart_syscall;
	else
		return;
	r->rip -= 2;
	r->orig_rax = (unsigned long long)-1;
}

#define XSTATE_MAX (16 << 10) /* AMX's tiles take 8 KB of the ~11 KB */

/* NT_X86_XSTATE into t->xstate. A kernel or CPU without XSAVE (EIO,
 * ENODEV) has only the SSE state, which PTRACE_GETFPREGS keeps. */
static int save_xstate(struct inj_target *t)
{
	if (!t->xstate && !(t->xstate = malloc(XSTATE_MAX)))
		return -ENOMEM;
	struct iovec v = {t->xstate, XSTATE_MAX};
	int r = inj_pt(t, PTRACE_GETREGSET, (void *)(uintptr_t)NT_X86_XSTATE, &v);
	if (r == -EIO || r == -ENODEV || r == -EINVAL) {
		free(t->xstate);
		t->xstate = NULL;
		return 0;
	}
	t->xstate_len = v.iov_len;
	return r;
}

int inj_save(struct inj_target *t, struct hx_err *e)
{
	int r;
	if ((r = inj_pt(t, PTRACE_GETREGS, NULL, &t->regs)) < 0)
		return hx_fail(e, r, "reading registers: %s", strerror(-r));
	if (t->restart_calls)
		inj_restarted_regs(&t->regs);
	if ((r = inj_pt(t, PTRACE_GETFPREGS, NULL, &t->fpregs)) < 0)
		return hx_fail(e, r, "reading FP registers: %s", strerror(-r));
	if (t->save_xstate && (r = save_xstate(t)) < 0)
		return hx_fail(e, r, "reading the vector registers: %s", strerror(-r));
	if ((r = inj_pt(t, PTRACE_GETSIGMASK, (void *)sizeof(t->sigmask), &t->sigmask)) < 0)
		return hx_fail(e, r, "reading the signal mask: %s", strerror(-r));
	/* the kernel keeps SIGKILL and SIGSTOP open */
	uint64_t all = ~(uint64_t)INJ_SYNC_SIGNALS;
	if ((r = inj_pt(t, PTRACE_SETSIGMASK, (void *)sizeof(all), &all)) < 0)
		return hx_fail(e, r, "blocking signals: %s", strerror(-r));
	/* Syscall User Dispatch would send our calls to the program's SIGSYS
	 * handler: off while we inject, as it was after (6.4 can say; an older
	 * kernel's SIGSYS shows as a refused call) */
	t->sud_off = false;
	if (!t->keep_sud && inj_pt(t, HX_PTRACE_GET_SUD_CONFIG, (void *)sizeof(t->sud), &t->sud) == 0 &&
	    t->sud.mode != PR_SYS_DISPATCH_OFF) {
		struct hx_sud_config off = {.mode = PR_SYS_DISPATCH_OFF}; /* the rest 0, or EINVAL */
		if ((r = inj_pt(t, HX_PTRACE_SET_SUD_CONFIG, (void *)sizeof(off), &off)) < 0) {
			(void)inj_pt(t, PTRACE_SETSIGMASK, (void *)sizeof(t->sigmask), &t->sigmask);
			return hx_fail(e, r, "switching Syscall User Dispatch off: %s", strerror(-r));
		}
		t->sud_off = true;
	}
	t->saved = true;
	return 0;
}

/* After a wait that failed (the injection broke), the target may still be
 * on its way into the stop we resumed it towards: collect that stop (it
 * comes within microseconds; one second at most) so that ptrace works on
 * it again. */
static void collect_stop(struct inj_target *t)
{
	for (int i = 0; i < 1000; i++) {
		int st;
		pid_t w = t->ops->waitpid(t->pid, &st, __WALL | WNOHANG);
		if (w == t->pid || (w < 0 && errno != EINTR && errno != EIO))
			return;
		usleep(1000);
	}
}

static int put_back(struct inj_target *t)
{
	int r;
	struct iovec v = {t->xstate, t->xstate_len};
	if ((r = inj_pt(t, PTRACE_SETREGS, NULL, &t->regs)) < 0 ||
	    (r = inj_pt(t, PTRACE_SETFPREGS, NULL, &t->fpregs)) < 0 ||
	    (t->xstate && (r = inj_pt(t, PTRACE_SETREGSET, (void *)(uintptr_t)NT_X86_XSTATE, &v)) < 0) ||
	    (r = inj_pt(t, PTRACE_SETSIGMASK, (void *)sizeof(t->sigmask), &t->sigmask)) < 0)
		return r;
	return 0;
}

int inj_restore(struct inj_target *t, struct hx_err *e)
{
	struct user_regs_struct regs;
	struct user_fpregs_struct fp;
	uint64_t mask;
	int r;
	if (!t->saved)
		return 0;
	/* registers set at a call's entry stop would make it run their
	 * orig_rax (an execve, at the exec stop) */
	if (inj_settle(t, NULL) < 0)
		collect_stop(t);
	if ((r = put_back(t)) < 0) {
		collect_stop(t); /* once more, in the stop it was heading for */
		r = put_back(t);
	}
	if (r < 0)
		return hx_fail(e, r, "restoring the target's state: %s", strerror(-r));
	if (t->sud_off) {
		struct hx_sud_config now, back = inj_sud_to_set(&t->sud);
		if ((r = inj_pt(t, HX_PTRACE_SET_SUD_CONFIG, (void *)sizeof(back), &back)) < 0 ||
		    (r = inj_pt(t, HX_PTRACE_GET_SUD_CONFIG, (void *)sizeof(now), &now)) < 0)
			return hx_fail(e, r, "switching Syscall User Dispatch back on: %s",
				       strerror(-r));
		if (memcmp(&now, &t->sud, sizeof(now)) != 0)
			return hx_fail(e, -EPROTO, "Syscall User Dispatch did not restore exactly");
		t->sud_off = false;
	}
	if ((r = inj_pt(t, PTRACE_GETREGS, NULL, &regs)) < 0 ||
	    (r = inj_pt(t, PTRACE_GETFPREGS, NULL, &fp)) < 0 ||
	    (r = inj_pt(t, PTRACE_GETSIGMASK, (void *)sizeof(mask), &mask)) < 0)
		return hx_fail(e, r, "re-reading the target's state: %s", strerror(-r));
	if (memcmp(&regs, &t->regs, sizeof(regs)) != 0 || memcmp(&fp, &t->fpregs, sizeof(fp)) != 0 ||
	    mask != t->sigmask)
		return hx_fail(e, -EPROTO, "the target's registers did not restore exactly");
	return 0;
}

/* A SIGCONT sent after a deferred stop signal cancels it (as it would have
 * without us): look for one pending, blocked as it is, in /proc/PID/status. */
static bool sigcont_pending(pid_t pid)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (hx_read_file(path, 1 << 16, &text, NULL) < 0)
		return false;
	bool found = false;
	static const char *const keys[] = {"SigPnd", "ShdPnd"};
	for (size_t i = 0; i < HX_ARRAY_LEN(keys); i++) {
		const char *v = hx_status_value(text, keys[i]);
		if (v && (strtoull(v, NULL, 16) & (1ull << (SIGCONT - 1))))
			found = true;
	}
	free(text);
	return found;
}

/* A synchronous-kind signal sent while it was unblocked for us, and held
 * back: pending again (from us now, as far as its siginfo goes). */
static void resend(struct inj_target *t)
{
	if (t->resend_sig && syscall(SYS_tgkill, t->pid, t->pid, t->resend_sig) == 0)
		t->resend_sig = 0;
}

void inj_resend_held(struct inj_target *t)
{
	resend(t);
	if (t->deferred_sig && !sigcont_pending(t->pid) &&
	    syscall(SYS_tgkill, t->pid, t->pid, t->deferred_sig) == 0)
		t->deferred_sig = 0;
}

int inj_detach(struct inj_target *t, struct hx_err *e)
{
	int sig = t->deferred_sig;
	if (sig && sigcont_pending(t->pid))
		sig = 0;
	resend(t);
	int r = inj_pt(t, PTRACE_DETACH, NULL, (void *)(long)sig);
	if (r < 0) {
		/* PTRACE_O_EXITKILL would kill it when we exit still attached:
		 * in its stop (collected if a wait failed), off, then once more
		 * (if that fails too, our exit lets it go) */
		collect_stop(t);
		(void)inj_pt(t, PTRACE_SETOPTIONS, NULL, (void *)(long)PTRACE_O_TRACESYSGOOD);
		r = inj_pt(t, PTRACE_DETACH, NULL, (void *)(long)sig);
	}
	if (r < 0)
		return hx_fail(e, r, "detaching: %s", strerror(-r));
	return 0;
}

void inj_close(struct inj_target *t)
{
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	t->mem_fd = -1;
	free(t->xstate);
	t->xstate = NULL;
}

/*
 * rsys.c - one system call executed by the target.
 *
 * Registers are set to {rip = a syscall instruction, rax = nr, args}, then
 * PTRACE_SYSCALL twice: the entry stop (checked: right number, right
 * place) and the exit stop (rax is the result). Stopping at the exit means
 * the bytes after the syscall instruction never run, so any `0f 05` in an
 * unchanging executable mapping serves. orig_rax = -1 keeps the kernel from
 * treating our register set as a syscall to restart.
 * Must never: let the target run past the injected instruction.
 */
#define _GNU_SOURCE
#include "inject.h"
#include "stopclass.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* A synchronous-kind signal (INJ_SYNC_SIGNALS) that a process sent
 * (kill, tgkill, sigqueue: si_code <= 0) rather than the kernel raised for
 * what the target executed. */
static bool sent_by_someone(struct inj_target *t, int sig)
{
	siginfo_t si;
	if (!(INJ_SYNC_SIGNALS & (1ull << (sig - 1))))
		return false;
	return inj_pt(t, PTRACE_GETSIGINFO, NULL, &si) == 0 && si.si_code <= 0;
}

/* inj_resume_until, or (interrupted: the target runs, a PTRACE_INTERRUPT
 * was sent) until that interrupt's stop, which then returns 0. */
static int until_ours(struct inj_target *t, int req, bool interrupted, int *sig,
		      struct hx_err *e)
{
	*sig = 0;
	for (bool resume = !interrupted;; resume = true) {
		int r = resume ? inj_pt(t, req, NULL, NULL) : 0;
		if (r < 0)
			return hx_fail(e, r == -ESRCH ? -ESRCH : r, "resuming the target: %s",
				       strerror(-r));
		int status;
		if ((r = inj_wait(t, &status)) < 0)
			return hx_fail(e, r, "waiting for the target: %s", strerror(-r));
		struct inj_stop s = inj_classify(status);
		switch (s.kind) {
		case INJ_STOP_SYSCALL:
			if (req == PTRACE_SYSCALL)
				return 0;
			continue; /* (PTRACE_CONT makes none) */
		case INJ_STOP_EXITED:
		case INJ_STOP_KILLED:
			return hx_fail(e, -ESRCH, "the target died during injection");
		case INJ_STOP_SIGNAL:
			if (inj_is_stop_signal(s.sig)) {
				t->deferred_sig = s.sig;
				continue;
			}
			if (sent_by_someone(t, s.sig)) { /* held back: inj_detach() sends it again */
				t->resend_sig = s.sig;
				continue;
			}
			/* our code raised it (a refusal, a call's trap): resumed without
			 * it, it is never delivered, and unblocked it cost the program
			 * nothing */
			*sig = s.sig;
			return -EFAULT;
		case INJ_STOP_GROUP:
		case INJ_STOP_EVENT:
			if (interrupted && s.kind == INJ_STOP_GROUP && s.sig == SIGTRAP)
				return 0; /* PTRACE_EVENT_STOP of the interrupt (a group stop
					   * has its stop signal) */
			continue;
		default:
			return hx_fail(e, -EPROTO, "unexpected stop %#x during injection", status);
		}
	}
}

int inj_resume_until(struct inj_target *t, int req, int *sig, struct hx_err *e)
{
	return until_ours(t, req, false, sig, e);
}

int inj_interrupt(struct inj_target *t, int *sig, struct hx_err *e)
{
	int r = inj_pt(t, PTRACE_INTERRUPT, NULL, NULL);
	if (r < 0)
		return hx_fail(e, r, "interrupting the target: %s", strerror(-r));
	return until_ours(t, PTRACE_CONT, true, sig, e);
}

/* Resume towards the next syscall stop; a signal our call raised fails it. */
static int next_syscall_stop(struct inj_target *t, struct hx_err *e)
{
	int sig;
	int r = inj_resume_until(t, PTRACE_SYSCALL, &sig, e);
	if (r == -EFAULT && sig)
		return hx_fail(e, -EFAULT, "the target got signal %d (%s) during injection", sig,
			       strsignal(sig));
	return r;
}

/* The registers at a syscall stop; a failure that is not the target's end
 * is tried once more: with the call half done, the caller could not tell
 * which half (entry or exit) the target stands in. */
static int regs_of(struct inj_target *t, struct user_regs_struct *at)
{
	int err = inj_pt(t, PTRACE_GETREGS, NULL, at);
	if (err < 0 && err != -ESRCH)
		err = inj_pt(t, PTRACE_GETREGS, NULL, at);
	return err;
}

/* After a call broke off (a wait or a register read failed between its
 * entry and its exit) the target may still stand at that call's entry
 * stop: resumed from there, the kernel would run it - or, with our next
 * registers, skip the next call and stop at an exit where an entry is
 * expected. PTRACE_GET_SYSCALL_INFO (5.3) says which stop it is; an entry
 * is cancelled (made a getpid) and stepped to its exit, which is where a
 * new call can start from. On an older kernel (EIO) nothing is known and
 * the next call checks its entry stop as before. */
#define SYSCALL_INFO_ENTRY 1 /* PTRACE_SYSCALL_INFO_ENTRY */
int inj_settle(struct inj_target *t, struct hx_err *e)
{
	if (!t->broken)
		return 0;
	uint8_t info[128] = {0}; /* struct ptrace_syscall_info: op first */
	t->broken = false;
	if (inj_pt(t, PTRACE_GET_SYSCALL_INFO, (void *)sizeof(info), info) < 0 ||
	    info[0] != SYSCALL_INFO_ENTRY)
		return 0;
	/* Cancelled by making it a getpid: a number of -1 would skip it too,
	 * but a seccomp filter sees that -1 after this stop, and a default-
	 * kill filter kills for it (libseccomp without TSKIP). getpid is what
	 * the filter probe allows, or -1 must do. */
	struct user_regs_struct r;
	static const uint64_t none[6] = {0};
	int err = inj_pt(t, PTRACE_GETREGS, NULL, &r);
	if (err == 0) {
		bool getpid_ok = !t->permit || t->permit(t->permit_ctx, SYS_getpid, none, t->syscall_pc);
		r.orig_rax = getpid_ok ? (unsigned long long)SYS_getpid : (unsigned long long)-1;
		err = inj_pt(t, PTRACE_SETREGS, NULL, &r);
	}
	if (err < 0 || (err = next_syscall_stop(t, e)) < 0) {
		t->broken = true;
		return hx_fail(e, err, "cancelling a broken call: %s", strerror(-err));
	}
	return 0;
}

int inj_syscall(struct inj_target *t, long nr, const uint64_t args[6], int64_t *ret,
		struct hx_err *e)
{
	t->n_syscalls++;
	if (t->fail_at && t->n_syscalls >= t->fail_at && t->n_syscalls - t->fail_at < t->fail_n) {
		*ret = -EIO; /* test builds: pretend the kernel refused */
		return 0;
	}
	if (t->permit && !t->permit(t->permit_ctx, nr, args, t->syscall_pc)) {
		t->refused++;
		*ret = -EPERM; /* what the target's filter would have done, at best */
		return 0;
	}
	int err;
	if ((err = inj_settle(t, e)) < 0)
		return err;
	struct user_regs_struct r = t->regs;
	r.rip = t->syscall_pc;
	r.rax = (unsigned long long)nr;
	r.orig_rax = (unsigned long long)-1;
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.r10 = args[3];
	r.r8 = args[4];
	r.r9 = args[5];
	if ((err = inj_pt(t, PTRACE_SETREGS, NULL, &r)) < 0)
		return hx_fail(e, err, "setting registers: %s", strerror(-err));
	t->broken = true; /* until its exit stop is read */
	if ((err = next_syscall_stop(t, e)) < 0)
		return err;
	struct user_regs_struct at; /* the entry stop */
	if ((err = regs_of(t, &at)) < 0)
		return hx_fail(e, err, "reading registers: %s", strerror(-err));
	if (at.orig_rax != (unsigned long long)nr || at.rip != t->syscall_pc + 2)
		return hx_fail(e, -EPROTO, "syscall entry at %#llx with nr %lld, expected %#llx/%ld",
			       (unsigned long long)at.rip, (long long)at.orig_rax,
			       (unsigned long long)t->syscall_pc + 2, nr);
	if ((err = next_syscall_stop(t, e)) < 0)
		return err;
	if ((err = regs_of(t, &at)) < 0)
		return hx_fail(e, err, "reading registers: %s", strerror(-err));
	*ret = (int64_t)at.rax;
	t->broken = false;
	return 0;
}

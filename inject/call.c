/*
 * call.c - one function called in the target, returning to a trap.
 *
 * The registers are those saved at the stop with rip = the function, the
 * arguments in rdi, rsi, rdx, and a return address pushed 1 KB below the
 * stack pointer (past the red zone, 16-byte aligned at the call as the ABI
 * wants) that points at an int3 of ours. PTRACE_CONT runs the function on
 * the program's own stack and thread; the SIGTRAP of the int3 ends it.
 * What it needs must be ready: at the entry stop ld.so has finished, so
 * malloc and the unwinder's registration work. Signals stay blocked as
 * inj_save() left them; the stops on the way are those of injected system
 * calls (inj_resume_until): a stop signal is deferred, a synchronous one
 * sent by someone is held and sent again later.
 * Must never: let the target run on after the trap, or return with other
 * registers than it found (inj_restore() puts back the saved ones).
 */
#define _GNU_SOURCE
#include "inject.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

/* Does the target stand just past the trap (the function returned)? Its
 * result into *ret then. 1 yes, 0 no, or -errno (its registers unread). */
static int returned(struct inj_target *t, uint64_t trap, uint64_t *ret)
{
	struct user_regs_struct at;
	int err = inj_pt(t, PTRACE_GETREGS, NULL, &at);
	if (err < 0)
		return err;
	if (at.rip != trap + 1)
		return 0;
	*ret = at.rax;
	return 1;
}

int inj_call(struct inj_target *t, uint64_t fn, const uint64_t args[3], uint64_t trap,
	     uint64_t *ret, struct hx_err *e)
{
	if (!t->saved)
		return hx_fail(e, -EINVAL, "calling in the target before its registers were saved");
	if (t->call_gave_up)
		return hx_fail(e, -ETIMEDOUT, "an earlier call in the target did not return");
	struct user_regs_struct r = t->regs;
	uint64_t sp = ((t->regs.rsp - 1024) & ~(uint64_t)15) - 8;
	int err = inj_poke(t, sp, &trap, sizeof(trap));
	if (err < 0)
		return hx_fail(e, err, "writing a return address on the stack: %s", strerror(-err));
	r.rsp = sp;
	r.rip = fn;
	r.rdi = args[0];
	r.rsi = args[1];
	r.rdx = args[2];
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1;
	if ((err = inj_pt(t, PTRACE_SETREGS, NULL, &r)) < 0)
		return hx_fail(e, err, "setting registers: %s", strerror(-err));
	int sig;
	t->deadline_ns = t->call_timeout_ms ? hx_now_ns() + t->call_timeout_ms * 1000000ull : 0;
	err = inj_resume_until(t, PTRACE_CONT, &sig, e);
	t->deadline_ns = 0;
	if (err == -ETIMEDOUT) {
		/* most likely waiting for a lock that the thread we stopped
		 * holds: stopped there, and given up (its registers are put
		 * back by inj_restore) */
		struct hx_err ie;
		if ((err = inj_interrupt(t, &sig, &ie)) == 0) {
			/* it may have returned as it was stopped: its trap's
			 * SIGTRAP is then pending, taken here (resumed, it would
			 * fail the next call; a stray one runs into the next
			 * int3 after the trap) */
			if (returned(t, trap, ret) == 1 &&
			    inj_resume_until(t, PTRACE_CONT, &sig, &ie) == -EFAULT && sig == SIGTRAP)
				return 0;
			t->call_gave_up = true;
			return hx_fail(e, -ETIMEDOUT, "it did not return within %u ms (a lock it "
				       "needs may be held, maybe by the thread stopped to run it): "
				       "given up", t->call_timeout_ms);
		}
		if (err != -EFAULT) {
			*e = ie;
			return err;
		}
	} else if (err != -EFAULT) { /* (with PTRACE_CONT only a signal ends it well) */
		return err;
	}
	if (sig == SIGTRAP && (err = returned(t, trap, ret)) != 0) /* the trap: it returned */
		return err < 0 ? hx_fail(e, err, "reading registers: %s", strerror(-err)) : 0;
	return hx_fail(e, -EFAULT, "the called function got signal %d (%s)", sig, strsignal(sig));
}

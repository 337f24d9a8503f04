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
 * inj_save() left them; a stop signal is deferred, one sent by someone is
 * re-sent later, as for injected system calls.
 * Must never: let the target run on after the trap, or return with other
 * registers than it found (inj_restore() puts back the saved ones).
 */
#define _GNU_SOURCE
#include "inject.h"
#include "stopclass.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

/* Bounds the function's run: it may make system calls (malloc's mmap),
 * each one no stop for us as we do not trace them with PTRACE_CONT. */
#define MAX_STOPS 64

int inj_call(struct inj_target *t, uint64_t fn, const uint64_t args[3], uint64_t trap,
	     uint64_t *ret, struct hx_err *e)
{
	if (!t->saved)
		return hx_fail(e, -EINVAL, "calling in the target before its registers were saved");
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
	for (int i = 0; i < MAX_STOPS; i++) {
		if ((err = inj_pt(t, PTRACE_CONT, NULL, NULL)) < 0)
			return hx_fail(e, err, "resuming the target: %s", strerror(-err));
		int status;
		if ((err = inj_wait(t, &status)) < 0)
			return hx_fail(e, err, "waiting for the target: %s", strerror(-err));
		struct inj_stop s = inj_classify(status);
		switch (s.kind) {
		case INJ_STOP_EXITED:
		case INJ_STOP_KILLED:
			return hx_fail(e, -ESRCH, "the target died in a call");
		case INJ_STOP_GROUP:
		case INJ_STOP_EVENT:
		case INJ_STOP_SYSCALL:
			continue;
		case INJ_STOP_SIGNAL:
			if (inj_is_stop_signal(s.sig)) {
				t->deferred_sig = s.sig;
				continue;
			}
			if (s.sig == SIGTRAP) {
				struct user_regs_struct at;
				if ((err = inj_pt(t, PTRACE_GETREGS, NULL, &at)) < 0)
					return hx_fail(e, err, "reading registers: %s", strerror(-err));
				if (at.rip == trap + 1) {
					*ret = at.rax;
					return 0;
				}
			}
			return hx_fail(e, -EFAULT, "the called function got signal %d (%s)", s.sig,
				       strsignal(s.sig));
		default:
			return hx_fail(e, -EPROTO, "unexpected stop %#x in a call", status);
		}
	}
	return hx_fail(e, -ETIME, "the called function stopped %d times", MAX_STOPS);
}

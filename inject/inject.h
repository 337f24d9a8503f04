/*
 * inject.h - make a stopped, seized tracee execute system calls for us, and
 * read or write its memory.
 *
 * Life cycle, all while the tracee sits in a ptrace stop:
 *   inj_save()          registers, FP state, signal mask; then block every
 *                       signal but the synchronous ones (INJ_SYNC_SIGNALS),
 *                       so that signals arriving meanwhile stay pending and
 *                       are delivered after we leave; Syscall User Dispatch
 *                       switched off
 *   inj_scratch_setup() a `syscall` instruction outside every region the
 *                       plan touches, and one read-write data page
 *   inj_syscall() ...   one system call each, via PTRACE_SYSCALL
 *   inj_scratch_teardown()
 *   inj_restore()       registers, FP state and signal mask as saved, read
 *                       back and compared
 *   inj_detach()        let it go, delivering a stop signal that arrived
 *                       meanwhile (exactly once)
 * Two kinds of result are kept apart: the return value says whether the
 * injection itself worked (ptrace, wait); the target's syscall result comes
 * back in *ret (a negative errno on failure).
 * Must never: return to the caller with the target's registers, signal mask
 * or code bytes changed without saying so; write into a huge-page region.
 */
#ifndef INJ_INJECT_H
#define INJ_INJECT_H

#include "../common/hx.h"
#include "../common/kernel.h"
#include "../common/maps.h"
#include "sysops.h"

#include <signal.h>
#include <sys/user.h>

struct inj_range {
	uint64_t addr, len;
};

struct inj_target {
	pid_t pid;
	const struct hx_sysops *ops;
	int mem_fd;                    /* /proc/PID/mem, opened on first need */
	struct user_regs_struct regs;  /* as found at the stop */
	struct user_fpregs_struct fpregs;
	uint64_t sigmask;
	bool saved;
	uint64_t syscall_pc;           /* address of a syscall instruction */
	uint64_t code_page;            /* our own stub page, 0 if a gadget was found */
	uint64_t data_page;            /* read-write page for iovecs and names */
	int deferred_sig;              /* a stop signal that arrived meanwhile */
	int resend_sig;                /* a synchronous-kind signal someone sent meanwhile */
	struct hx_sud_config sud;      /* Syscall User Dispatch, as found */
	bool sud_off;                  /* it was on: switched off while we inject */
	bool keep_sud;                 /* test builds: leave it on (as a kernel before 6.4) */
	unsigned long n_syscalls;      /* injected so far (numbering starts at 1) */
	bool broken;                   /* the last call broke off between entry and exit */
	bool restart_calls;            /* attach: a thread stopped inside a system call gets
					* it restarted as the kernel would (see inj_save) */
	bool save_xstate;              /* attach: the whole vector state (AVX, AVX-512, PKRU)
					* is saved and put back, not only the SSE part: a
					* function called in the target may use it, and the
					* thread was stopped anywhere */
	void *xstate;                  /* NT_X86_XSTATE as saved (NULL: not saved) */
	size_t xstate_len;
	unsigned long fail_at;         /* test builds: fail syscalls fail_at.. */
	unsigned long fail_n;          /* ..and the fail_n - 1 after it */
	/* Asked before every injected call; false = not run, result -EPERM
	 * (the loader consults the target's seccomp filters here). */
	bool (*permit)(void *ctx, long nr, const uint64_t args[6], uint64_t pc);
	void *permit_ctx;
	unsigned long refused;         /* calls the permit hook refused */
	bool no_vm;                    /* our own process_vm_* are forbidden: /proc/PID/mem only */
	unsigned call_timeout_ms;      /* attach: an inj_call not back by then is given up
					* (0: no limit; at the entry stop no lock is held) */
	uint64_t deadline_ns;          /* inj_wait: -ETIMEDOUT after it (0: none) */
	bool call_gave_up;             /* a call was given up: no other is made (the lock it
					* waited for is still held) */
};

/* Signals the kernel may force on what we inject (a seccomp RET_TRAP or
 * Syscall User Dispatch gives SIGSYS). A forced signal that is blocked
 * resets the program's handler to SIG_DFL for good, so these stay
 * unblocked: one that comes is our call's (refused, never delivered) or,
 * sent by someone else, sent again as we leave. */
#define INJ_SYNC_SIGNALS ((1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) | \
			  (1ull << (SIGILL - 1)) | (1ull << (SIGFPE - 1)) | \
			  (1ull << (SIGTRAP - 1)) | (1ull << (SIGSYS - 1)))

/* ptrace(req) on the target through its sysops: 0 or -errno (a request
 * that returns data in its result, PEEK*, is not for this). */
int inj_pt(struct inj_target *t, int req, void *addr, void *data);

/* The Syscall User Dispatch setting to give PTRACE_SET_SYSCALL_USER_DISPATCH
 * _CONFIG to put back what its GET returned (pure, for tests). */
struct hx_sud_config inj_sud_to_set(const struct hx_sud_config *got);

/* waitpid(__WALL) for the target's next stop: 0 with *status, or -errno.
 * A failure other than its end (ECHILD, ESRCH) is tried once more: the
 * stop it was resumed towards still comes. */
int inj_wait(struct inj_target *t, int *status);

/* Initialise t for pid (stopped); nothing is read yet. */
void inj_init(struct inj_target *t, pid_t pid, const struct hx_sysops *ops);

/* Save registers, FP state and signal mask, then block all signals. With
 * restart_calls, registers stopped inside an interrupted system call are
 * saved as the kernel would resume them (the call restarted): detached
 * from the exit stop of our last call, the thread gets no such fix-up. */
int inj_save(struct inj_target *t, struct hx_err *e) HX_WUR;

/* Registers of a thread stopped inside an interrupted system call, made
 * what the kernel would resume (pure, for tests). */
void inj_restarted_regs(struct user_regs_struct *r);

/* Put back what inj_save() saved and check it took. */
int inj_restore(struct inj_target *t, struct hx_err *e) HX_WUR;

/* Signals held back while injecting (a stop signal, a synchronous one sent
 * by someone), made pending again without detaching: for a caller that
 * lets the target go some other way than inj_detach(). */
void inj_resend_held(struct inj_target *t);

/* Detach; the stopped target resumes where inj_save() found it. */
int inj_detach(struct inj_target *t, struct hx_err *e) HX_WUR;

/* Borrow a syscall instruction in the vDSO (never remapped) for calls made
 * before the plan is known. -ENOENT if the vDSO has none. */
int inj_use_vdso(struct inj_target *t, const struct hx_vmas *m) HX_WUR;

/* The same without the maps: the first syscall instruction in the pages
 * from start (AT_SYSINFO_EHDR, the vDSO). -ENOENT if none. */
int inj_use_syscall_in(struct inj_target *t, uint64_t start, size_t pages) HX_WUR;

/* Find a syscall instruction that stays valid while the plan runs (in the
 * vDSO, else in an executable mapping outside avoid[]), or write one into a
 * fresh page; map the data page. */
int inj_scratch_setup(struct inj_target *t, const struct hx_vmas *m,
		      const struct inj_range *avoid, size_t n_avoid, struct hx_err *e) HX_WUR;
int inj_scratch_teardown(struct inj_target *t, struct hx_err *e) HX_WUR;

/* Run syscall nr with args in the target. Returns 0 if it ran (result in
 * *ret), -ESRCH if the target died, another -errno if the injection broke. */
int inj_syscall(struct inj_target *t, long nr, const uint64_t args[6], int64_t *ret,
		struct hx_err *e) HX_WUR;

/* After a call that broke off: if the target stands at its entry stop,
 * cancel the call (a getpid in its place) and step to its exit, so that neither it nor anything
 * set later runs in its place. 0 when there was nothing to do. */
int inj_settle(struct inj_target *t, struct hx_err *e) HX_WUR;

/* Resume the target with req (PTRACE_SYSCALL or PTRACE_CONT) until a stop
 * that is ours: with PTRACE_SYSCALL a syscall stop (0); a signal raised by
 * what we made it run gives -EFAULT with the signal in *sig. On the way, a
 * stop signal is deferred to detach time and a synchronous-kind signal
 * someone sent is held to be sent again (INJ_SYNC_SIGNALS): neither is
 * ours. -ESRCH if the target died, another -errno if ptrace or wait failed
 * (with e). */
int inj_resume_until(struct inj_target *t, int req, int *sig, struct hx_err *e) HX_WUR;

/* Stop the target, which runs (a call past its deadline): 0 at the
 * interrupt's stop, or as inj_resume_until for a stop that comes first. */
int inj_interrupt(struct inj_target *t, int *sig, struct hx_err *e) HX_WUR;

/* Call fn(args[0], args[1], args[2]) in the target, on its stack, with
 * an int3 at trap (executable, never run otherwise) as the return
 * address. 0 with the result in *ret, -ESRCH if the target died, another
 * -errno if the call faulted or the injection broke. Needs inj_save().
 * With call_timeout_ms, a call still running then is stopped and given up
 * (-ETIMEDOUT): the registers inj_restore() puts back resume the program
 * where it was; what the function did so far stays done. */
int inj_call(struct inj_target *t, uint64_t fn, const uint64_t args[3], uint64_t trap,
	     uint64_t *ret, struct hx_err *e) HX_WUR;

/* Memory. read/write respect the target's protections (process_vm_*);
 * poke writes through /proc/PID/mem, which ptrace lets through read-only
 * mappings (copy-on-write). */
int inj_read(struct inj_target *t, uint64_t addr, void *buf, size_t len) HX_WUR;
int inj_write(struct inj_target *t, uint64_t addr, const void *buf, size_t len) HX_WUR;
int inj_poke(struct inj_target *t, uint64_t addr, const void *buf, size_t len) HX_WUR;
/* Read through /proc/PID/mem only (before we know whether a seccomp
 * filter would punish process_vm_readv). */
int inj_peek(struct inj_target *t, uint64_t addr, void *buf, size_t len) HX_WUR;

/* Make the target exit_group(status) at once and let it go (for
 * --strict): it never runs another instruction of its own. Needs inj_save(). */
int inj_exit_group(struct inj_target *t, const struct hx_vmas *m, int status,
		   struct hx_err *e) HX_WUR;

void inj_close(struct inj_target *t);

#endif

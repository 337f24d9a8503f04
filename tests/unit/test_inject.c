/* test_inject.c - inject/ against a scripted tracee (a fake sysops table):
 * the signal mask and Syscall User Dispatch around an injection, and the
 * signals that arrive during one. */
#include "fixtures.h"
#include "../../common/kernel.h"
#include "../../inject/inject.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define PID 4242
#define SIG_BIT(s) (1ull << ((s) - 1))

/* The tracee as the fake ptrace sees it. */
static struct {
	struct user_regs_struct regs;
	struct user_fpregs_struct fp;
	uint64_t mask;
	struct hx_sud_config sud;
	bool sud_supported;
	int stops[8];          /* wait statuses to report, in order */
	siginfo_t info[8];     /* siginfo of each, for signal stops */
	size_t n_stops, next;
	size_t cur;            /* the stop the tracee sits in */
	int64_t results[8];    /* rax at each syscall-exit stop, in order */
	size_t n_results;
	long calls[8];         /* the injected calls, by number */
	size_t n_calls;
	bool entered;          /* the next syscall stop is an exit */
	uint8_t xstate[832];   /* NT_X86_XSTATE (legacy area, header, AVX) */
	bool has_xstate;
	bool hangs;            /* a called function never stops by itself: WNOHANG
				* finds nothing until PTRACE_INTERRUPT */
	bool interrupted;
	uint64_t rip_at_interrupt; /* where the interrupt finds it (0: where it was) */
} tee;

static long fake_ptrace(int req, pid_t pid, void *addr, void *data)
{
	assert_int_equal(pid, PID);
	switch (req) {
	case PTRACE_GETREGS: memcpy(data, &tee.regs, sizeof(tee.regs)); return 0;
	case PTRACE_SETREGS: memcpy(&tee.regs, data, sizeof(tee.regs)); return 0;
	case PTRACE_GETFPREGS: memcpy(data, &tee.fp, sizeof(tee.fp)); return 0;
	case PTRACE_SETFPREGS: memcpy(&tee.fp, data, sizeof(tee.fp)); return 0;
	case PTRACE_GETSIGMASK: memcpy(data, &tee.mask, 8); return 0;
	case PTRACE_SETSIGMASK: memcpy(&tee.mask, data, 8); return 0;
	case PTRACE_GETSIGINFO: memcpy(data, &tee.info[tee.cur], sizeof(siginfo_t)); return 0;
	case PTRACE_GETREGSET:
	case PTRACE_SETREGSET: {
		struct iovec *v = data;
		if (!tee.has_xstate || (uintptr_t)addr != NT_X86_XSTATE)
			break;
		if (req == PTRACE_SETREGSET) {
			assert_int_equal(v->iov_len, sizeof(tee.xstate));
			memcpy(tee.xstate, v->iov_base, sizeof(tee.xstate));
			return 0;
		}
		assert_true(v->iov_len >= sizeof(tee.xstate));
		memcpy(v->iov_base, tee.xstate, sizeof(tee.xstate));
		v->iov_len = sizeof(tee.xstate);
		return 0;
	}
	case PTRACE_SYSCALL:
	case PTRACE_CONT:
		assert_null(data); /* a signal that came is never delivered by us */
		return 0;
	case PTRACE_INTERRUPT:
		tee.interrupted = true;
		if (tee.rip_at_interrupt) { /* returned: its result in rax */
			tee.regs.rip = tee.rip_at_interrupt;
			tee.regs.rax = 42;
		}
		return 0;
	case HX_PTRACE_GET_SUD_CONFIG:
		if (!tee.sud_supported)
			break;
		memcpy(data, &tee.sud, sizeof(tee.sud));
		return 0;
	case HX_PTRACE_SET_SUD_CONFIG: {
		struct hx_sud_config c;
		memcpy(&c, data, sizeof(c));
		/* the kernel's rules: off means every other field 0; a range
		 * may not wrap; inclusive (6.17) is kept as a wrapping range */
		if (c.mode == PR_SYS_DISPATCH_OFF && (c.offset || c.len || c.selector))
			break;
		if (c.mode == PR_SYS_DISPATCH_ON && c.offset && c.offset + c.len <= c.offset)
			break;
		if (c.mode == HX_PR_SYS_DISPATCH_INCLUSIVE_ON) {
			c.mode = PR_SYS_DISPATCH_ON;
			c.offset += c.len;
			c.len = -c.len;
		}
		tee.sud = c;
		return 0;
	}
	}
	errno = EIO;
	return -1;
}

static pid_t fake_waitpid(pid_t pid, int *status, int options)
{
	if ((options & WNOHANG) && tee.hangs && !tee.interrupted)
		return 0; /* (still running) */
	assert_true(tee.next < tee.n_stops);
	tee.cur = tee.next++;
	*status = tee.stops[tee.cur];
	/* a syscall stop: the injected call at the borrowed instruction */
	if (WSTOPSIG(*status) == (SIGTRAP | 0x80)) {
		if (!tee.entered) {
			tee.regs.orig_rax = tee.regs.rax;
			tee.regs.rip += 2;
			tee.calls[tee.n_calls++] = (long)tee.regs.rax;
		} else if (tee.n_results) {
			tee.regs.rax = (unsigned long long)tee.results[--tee.n_results];
		}
		tee.entered = !tee.entered;
	}
	return pid;
}

/* Its memory: `syscall` instructions everywhere; writes are accepted. */
static ssize_t fake_readv(pid_t pid, const struct iovec *l, unsigned long ln,
			  const struct iovec *r, unsigned long rn, unsigned long flags)
{
	(void)pid, (void)r, (void)rn, (void)flags;
	assert_int_equal(ln, 1);
	for (size_t i = 0; i < l->iov_len; i++)
		((uint8_t *)l->iov_base)[i] = i % 2 ? 0x05 : 0x0f;
	return (ssize_t)l->iov_len;
}

static ssize_t fake_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	(void)fd, (void)buf, (void)off;
	return (ssize_t)n;
}

static const struct hx_sysops fake = {.ptrace = fake_ptrace, .waitpid = fake_waitpid,
				      .vm_readv = fake_readv, .pwrite = fake_pwrite};

static void tracee(void)
{
	memset(&tee, 0, sizeof(tee));
	tee.regs.rip = 0x5000;
	tee.mask = SIG_BIT(SIGSEGV) | SIG_BIT(SIGUSR1); /* as the program left it */
}

/* One injected call: its entry and exit stops, returning res. Results are
 * taken last first: add them in the reverse order of the calls. */
static void add_call(int64_t res)
{
	tee.stops[tee.n_stops++] = ((SIGTRAP | 0x80) << 8) | 0x7f;
	tee.stops[tee.n_stops++] = ((SIGTRAP | 0x80) << 8) | 0x7f;
	tee.results[tee.n_results++] = res;
}

static void add_stop(int status, int code)
{
	tee.stops[tee.n_stops] = status;
	tee.info[tee.n_stops].si_code = code;
	tee.n_stops++;
}

#define STOPPED(sig) (((sig) << 8) | 0x7f)

/* A fresh tracee, its state saved for an injection. */
static void saved(struct inj_target *t)
{
	struct hx_err e = {0};
	tracee();
	inj_init(t, PID, &fake);
	assert_int_equal(inj_save(t, &e), 0);
}

static void test_inject_mask_keeps_synchronous_signals_open(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	saved(&t);
	/* everything blocked but the signals the kernel may force on our calls */
	assert_int_equal(tee.mask, ~(uint64_t)INJ_SYNC_SIGNALS);
	assert_false(tee.mask & SIG_BIT(SIGSYS));
	assert_true(tee.mask & SIG_BIT(SIGUSR1));
	assert_int_equal(inj_restore(&t, &e), 0);
	assert_int_equal(tee.mask, SIG_BIT(SIGSEGV) | SIG_BIT(SIGUSR1));
}

/* attach: the thread was stopped anywhere, maybe in the middle of AVX
 * code, and a function called in it may use those registers (glibc's
 * string functions end with vzeroupper): the whole XSAVE state is put
 * back, not only the SSE part PTRACE_SETFPREGS covers. Without XSAVE
 * (EIO) the SSE part alone, as before. */
static void test_inject_restores_the_vector_state(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	tracee();
	tee.has_xstate = true;
	for (size_t i = 0; i < sizeof(tee.xstate); i++)
		tee.xstate[i] = (uint8_t)(i * 7 + 1);
	uint8_t was[sizeof(tee.xstate)];
	memcpy(was, tee.xstate, sizeof(was));
	inj_init(&t, PID, &fake);
	t.save_xstate = true;
	assert_int_equal(inj_save(&t, &e), 0);
	memset(tee.xstate + 576, 0, 256); /* what a vzeroupper leaves of the AVX halves */
	assert_int_equal(inj_restore(&t, &e), 0);
	assert_memory_equal(tee.xstate, was, sizeof(was));
	inj_close(&t);
	/* no XSAVE: saved and restored without it */
	tracee();
	inj_init(&t, PID, &fake);
	t.save_xstate = true;
	assert_int_equal(inj_save(&t, &e), 0);
	assert_null(t.xstate);
	assert_int_equal(inj_restore(&t, &e), 0);
	inj_close(&t);
}

static void test_inject_switches_syscall_user_dispatch_off(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	tracee();
	tee.sud_supported = true;
	tee.sud = (struct hx_sud_config){PR_SYS_DISPATCH_ON, 0x7000, 0x7f0000000000, 0x10000};
	struct hx_sud_config was = tee.sud;
	inj_init(&t, PID, &fake);
	assert_int_equal(inj_save(&t, &e), 0);
	assert_int_equal(tee.sud.mode, PR_SYS_DISPATCH_OFF);
	assert_int_equal(inj_restore(&t, &e), 0);
	assert_memory_equal(&tee.sud, &was, sizeof(was));
	/* inclusive mode (6.17), which GET reports as a wrapping range: put
	 * back as it was, not refused (that used to cost the program exit 125) */
	tracee();
	tee.sud_supported = true;
	tee.sud = (struct hx_sud_config){PR_SYS_DISPATCH_ON, 0x7000, 0x7f0000100000,
					 (uint64_t)-0x100000};
	was = tee.sud;
	inj_init(&t, PID, &fake);
	assert_int_equal(inj_save(&t, &e), 0);
	assert_int_equal(tee.sud.mode, PR_SYS_DISPATCH_OFF);
	assert_int_equal(inj_restore(&t, &e), 0);
	assert_memory_equal(&tee.sud, &was, sizeof(was));
	/* an older kernel cannot say: nothing to switch, no failure */
	saved(&t);
	assert_int_equal(inj_restore(&t, &e), 0);
}

static void test_inject_signal_sent_meanwhile_is_held_for_detach(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	saved(&t);
	t.syscall_pc = 0x1000;
	/* someone kill()s it with SIGSEGV, then our call enters and leaves */
	add_stop(STOPPED(SIGSEGV), SI_USER);
	add_stop(STOPPED(SIGTRAP | 0x80), 0);
	add_stop(STOPPED(SIGTRAP | 0x80), 0);
	const uint64_t a[6] = {0};
	int64_t ret;
	tee.regs.rax = SYS_getpid;
	assert_int_equal(inj_syscall(&t, SYS_getpid, a, &ret, &e), 0);
	assert_int_equal(t.resend_sig, SIGSEGV);
}

static void test_inject_signal_raised_by_our_call_fails_it(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	saved(&t);
	t.syscall_pc = 0x1000;
	/* a seccomp RET_TRAP or Syscall User Dispatch: SIGSYS from the kernel */
	add_stop(STOPPED(SIGSYS), 1 /* SYS_SECCOMP */);
	const uint64_t a[6] = {0};
	int64_t ret;
	assert_int_equal(inj_syscall(&t, SYS_getpid, a, &ret, &e), -EFAULT);
	assert_non_null(strstr(e.msg, "during injection"));
	assert_int_equal(t.resend_sig, 0);
}

#define INTERRUPT_STOP ((PTRACE_EVENT_STOP << 16) | STOPPED(SIGTRAP))

/* attach: a function called in the target that does not come back (it
 * waits for a lock the stopped thread holds) is stopped after
 * call_timeout_ms and given up; later calls are not made. */
static void test_inject_call_given_up_after_its_deadline(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	saved(&t);
	t.mem_fd = 1; /* the return address: to fake_pwrite */
	t.call_timeout_ms = 5;
	tee.hangs = true;
	add_stop(INTERRUPT_STOP, 0);
	const uint64_t args[3] = {0};
	uint64_t ret;
	assert_int_equal(inj_call(&t, 0x7000, args, 0x9000, &ret, &e), -ETIMEDOUT);
	assert_true(tee.interrupted);
	assert_true(t.call_gave_up);
	assert_int_equal(inj_call(&t, 0x7000, args, 0x9000, &ret, &e), -ETIMEDOUT);
	assert_int_equal(tee.next, 1); /* (not run) */
	t.mem_fd = -1;
}

/* ... but one that returned just as it was stopped (its trap hit, the
 * trap's SIGTRAP pending) did its work: its result is taken, and that
 * SIGTRAP with it (left pending, it failed the next injected call). */
static void test_inject_call_returning_at_its_deadline(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	saved(&t);
	t.mem_fd = 1;
	t.call_timeout_ms = 5;
	tee.hangs = true;
	tee.rip_at_interrupt = 0x9001; /* past the trap at 0x9000 */
	add_stop(INTERRUPT_STOP, 0);
	add_stop(STOPPED(SIGTRAP), 0x80 /* SI_KERNEL: the int3 */);
	const uint64_t args[3] = {0};
	uint64_t ret = 0;
	assert_int_equal(inj_call(&t, 0x7000, args, 0x9000, &ret, &e), 0);
	assert_int_equal(ret, 42);
	assert_false(t.call_gave_up);
	assert_int_equal(tee.next, 2); /* the SIGTRAP taken */
	t.mem_fd = -1;
}

/* No vDSO: our own code page, which the kernel may place anywhere - also
 * inside the plan's ranges, where a mremap would take it away under us. */
static void test_inject_own_code_page_outside_the_plan(void **state)
{
	(void)state;
	struct inj_target t;
	struct hx_err e = {0};
	tracee();
	inj_init(&t, PID, &fake);
	t.mem_fd = 1; /* writes go to fake_pwrite */
	struct hx_vmas m;
	/* its only text is inside the plan: nothing there may be borrowed */
	const char *maps = "7f0000000000-7f0000001000 r-xp 00000000 fe:00 7 /bin/prog\n";
	assert_int_equal(hx_vmas_parse(maps, strlen(maps), &m), 0);
	assert_int_equal(inj_save(&t, &e), 0);
	const uint64_t inside = 0x7f0000200000;
	const struct inj_range plan[] = {{0x7f0000000000, 0x800000}};
	add_call(0);      /* munmap of the misplaced page */
	add_call(inside); /* mmap: the kernel's choice */
	int r = inj_scratch_setup(&t, &m, plan, 1, &e);
	hx_vmas_free(&m);
	assert_int_equal(r, -EEXIST);
	assert_int_equal(tee.n_calls, 2);
	assert_int_equal(tee.calls[0], SYS_mmap);
	assert_int_equal(tee.calls[1], SYS_munmap);
	assert_int_equal(t.code_page, 0);
	assert_int_equal(t.syscall_pc, 0);
	t.mem_fd = -1;
}

/* attach: a thread stopped inside an interrupted call resumes it as the
 * kernel would have; anything else is left as it is. */
static void test_inject_restarted_regs(void **state)
{
	(void)state;
	struct user_regs_struct r = {.rip = 0x1002, .orig_rax = SYS_read, .rax = (unsigned long long)-512};
	inj_restarted_regs(&r); /* ERESTARTSYS */
	assert_int_equal(r.rip, 0x1000);
	assert_int_equal(r.rax, SYS_read);
	assert_int_equal((long long)r.orig_rax, -1);
	r = (struct user_regs_struct){.rip = 0x1002, .orig_rax = SYS_nanosleep,
				      .rax = (unsigned long long)-516};
	inj_restarted_regs(&r); /* ERESTART_RESTARTBLOCK: restart_syscall */
	assert_int_equal(r.rip, 0x1000);
	assert_int_equal(r.rax, SYS_restart_syscall);
	r = (struct user_regs_struct){.rip = 0x1002, .orig_rax = SYS_read, .rax = (unsigned long long)-4};
	struct user_regs_struct before = r;
	inj_restarted_regs(&r); /* EINTR: the call's own result, kept */
	assert_memory_equal(&r, &before, sizeof(r));
	r = (struct user_regs_struct){.rip = 0x1002, .orig_rax = (unsigned long long)-1,
				      .rax = (unsigned long long)-512};
	before = r;
	inj_restarted_regs(&r); /* not in a call: untouched */
	assert_memory_equal(&r, &before, sizeof(r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inject_restarted_regs),
		cmocka_unit_test(test_inject_mask_keeps_synchronous_signals_open),
		cmocka_unit_test(test_inject_restores_the_vector_state),
		cmocka_unit_test(test_inject_call_given_up_after_its_deadline),
		cmocka_unit_test(test_inject_call_returning_at_its_deadline),
		cmocka_unit_test(test_inject_switches_syscall_user_dispatch_off),
		cmocka_unit_test(test_inject_signal_sent_meanwhile_is_held_for_detach),
		cmocka_unit_test(test_inject_signal_raised_by_our_call_fails_it),
		cmocka_unit_test(test_inject_own_code_page_outside_the_plan),
	};
	return cmocka_run_group_tests_name("inject", tests, NULL, NULL);
}

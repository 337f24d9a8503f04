/*
 * entry.c - from the exec event to the program's entry point.
 *
 * The stop point is AT_ENTRY from /proc/PID/auxv: by then ld.so has mapped
 * every DT_NEEDED library and run their constructors, and no instruction of
 * the program itself has run. Static, PIE, non-PIE and Go binaries all pass
 * through it. How we stop there decides what the program keeps of us:
 *  - A program without an interpreter (static, static-PIE, most Go) starts
 *    at AT_ENTRY: one PTRACE_SYSCALL takes it from the exec event to the
 *    exit of its execve, at the entry, with no breakpoint and no signal.
 *  - Otherwise an int3 at the entry through /proc/PID/mem, put back at the
 *    stop. The kernel delivers it as a forced SIGTRAP and its page became
 *    a private copy: settle.c puts both back. A process forked before the
 *    entry point (a library constructor's daemon) has its own copy of that
 *    page, and gets the byte back before it runs on (disarm_child).
 *  - If the text cannot be written (proc_mem.force_override), the word of
 *    the auxiliary vector on the new stack that holds AT_ENTRY, which the
 *    interpreter jumps to when it is done, is set to an address never
 *    mapped (LD_FAULT_PC): the jump faults, and at the SIGSEGV with rip =
 *    LD_FAULT_PC the word is put back and rip set to the entry. (A child
 *    forked by a constructor then cannot be disarmed: ld.so read the word
 *    before the constructors ran. Hence second.)
 *  - Only if neither can be written, a debug-register breakpoint. The
 *    kernel keeps it as a perf event on the thread until the next exec,
 *    disabled or not (it has no way to unregister one): a hardware
 *    breakpoint slot stays taken and every context switch of the thread
 *    pays perf's bookkeeping (8% on a main-thread pipe ping-pong here,
 *    docs/residue.md). Never touched otherwise; not even a write of 0,
 *    which registers the event as surely as a real address.
 * Signals and group-stops on the way belong to the program and are passed
 * through untouched.
 * Must never: leave the int3 in place or run the program's first
 * instruction before the stop.
 */
#define _GNU_SOURCE
#include "entry.h"
#include "launch.h"
#include "settle.h"
#include "tracer.h"
#include "../inject/stopclass.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER_CS_64 0x33  /* x86-64 code segment; 0x23 is the 32-bit one */
#define DR7_L0 0x1ul     /* enable DR0, execute breakpoint, length 1 */
#define MAX_EXECS 8      /* programs that re-exec before their entry point */
/* Where ld.so is sent instead of the entry: in the first page, never
 * mapped by the time an interpreter runs (mmap_min_addr) */
#define LD_FAULT_PC 0x8ull
#define STACK_SCAN_MAX (1u << 20) /* argv, envp and auxv pointers, bytes */

static long dr_offset(int n)
{
	return (long)(offsetof(struct user, u_debugreg) + (size_t)n * sizeof(long));
}

int ld_pt(struct ld_tracer *tr, int req, void *addr, void *data)
{
	return inj_pt(&tr->inj, req, addr, data);
}

static int wait_stop(struct ld_tracer *tr, struct inj_stop *s, struct hx_err *e)
{
	int status;
	int r = inj_wait(&tr->inj, &status);
	if (r < 0)
		return hx_fail(e, r, "waiting for the program: %s", strerror(-r));
	*s = inj_classify(status);
	if (s->kind == INJ_STOP_EXITED || s->kind == INJ_STOP_KILLED)
		return -ESRCH;
	return 0;
}

int ld_set_options(struct ld_tracer *tr, bool exitkill)
{
	long o = LD_PTRACE_OPTIONS & ~(exitkill ? 0 : PTRACE_O_EXITKILL);
	return ld_pt(tr, PTRACE_SETOPTIONS, NULL, (void *)o);
}

int ld_pass_through(struct ld_tracer *tr, const struct inj_stop *s, int how)
{
	if (s->kind == INJ_STOP_SIGNAL)
		return ld_pt(tr, how, NULL, (void *)(long)s->sig);
	if (s->kind == INJ_STOP_GROUP && inj_is_stop_signal(s->sig))
		return ld_pt(tr, PTRACE_LISTEN, NULL, NULL);
	return ld_pt(tr, how, NULL, NULL);
}

int ld_entry_wait_exec(struct ld_tracer *tr, struct hx_err *e)
{
	for (;;) {
		struct inj_stop s;
		int r = wait_stop(tr, &s, e);
		if (r < 0)
			return r;
		if (s.kind == INJ_STOP_EXEC)
			return 0;
		if ((r = ld_pass_through(tr, &s, PTRACE_CONT)) < 0)
			return hx_fail(e, r, "resuming the program: %s", strerror(-r));
	}
}

int ld_auxv_get(const uint8_t *buf, size_t len, uint64_t type, uint64_t *val)
{
	for (size_t off = 0; off + 16 <= len; off += 16) {
		uint64_t t, v;
		memcpy(&t, buf + off, 8);
		memcpy(&v, buf + off + 8, 8);
		if (t == AT_NULL)
			break;
		if (t == type) {
			*val = v;
			return 0;
		}
	}
	return -ENOENT;
}

/* The new image: 64-bit? where is its entry point, its interpreter, and
 * where does it stand now (rip)? */
static int read_image(struct ld_tracer *tr, struct user_regs_struct *regs, struct hx_err *e)
{
	int r = ld_pt(tr, PTRACE_GETREGS, NULL, regs);
	if (r < 0)
		return hx_fail(e, r, "reading registers: %s", strerror(-r));
	if (regs->cs != USER_CS_64)
		return hx_fail(e, -ENOEXEC, "32-bit program: only x86-64 code is remapped");
	return ld_stop_read_auxv(tr, e);
}

int ld_stop_read_auxv(struct ld_tracer *tr, struct hx_err *e)
{
	char path[64], *auxv;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)tr->pid);
	int r = hx_read_file(path, 1 << 16, &auxv, &len);
	if (r < 0)
		return hx_fail(e, r, "reading %s: %s", path, strerror(-r));
	tr->stop.interp_base = 0;
	r = ld_auxv_get((uint8_t *)auxv, len, AT_ENTRY, &tr->stop.entry);
	if (ld_auxv_get((uint8_t *)auxv, len, AT_BASE, &tr->stop.interp_base) < 0)
		tr->stop.interp_base = 0; /* static: no interpreter */
	if (ld_auxv_get((uint8_t *)auxv, len, AT_SYSINFO_EHDR, &tr->stop.vdso) < 0)
		tr->stop.vdso = 0;
	free(auxv);
	if (r < 0)
		return hx_fail(e, r, "no AT_ENTRY in %s", path);
	return 0;
}

/* The last resort (see the top): DR0 = entry, execute. */
static int arm_hw(struct ld_tracer *tr)
{
	int r = ld_pt(tr, PTRACE_POKEUSER, (void *)dr_offset(0), (void *)tr->stop.entry);
	if (r == 0)
		r = ld_pt(tr, PTRACE_POKEUSER, (void *)dr_offset(7), (void *)DR7_L0);
	if (r == 0)
		tr->stop.bp = LD_BP_HW;
	return r;
}

/* A word of the initial stack, read a page at a time. */
struct stack_reader {
	struct ld_tracer *tr;
	uint64_t base;       /* address of buf[0] */
	size_t have;         /* bytes in buf */
	uint64_t buf[HX_PAGE / 8];
};

static int stack_word(struct stack_reader *sr, uint64_t addr, uint64_t *w)
{
	if (addr < sr->base || addr + 8 > sr->base + sr->have) {
		sr->base = addr;
		sr->have = 0;
		size_t len = (size_t)(HX_PAGE - addr % HX_PAGE); /* to the page's end */
		if (len < 8 || inj_peek(&sr->tr->inj, addr, sr->buf, len) < 0)
			return -EFAULT;
		sr->have = len;
	}
	memcpy(w, (const uint8_t *)sr->buf + (addr - sr->base), 8);
	return 0;
}

/* Where AT_ENTRY's value sits on the new stack, as the exec left it:
 * argc, argv[argc], NULL, envp..., NULL, then the auxv pairs. */
static int entry_slot(struct ld_tracer *tr, uint64_t rsp, uint64_t *slot)
{
	struct stack_reader *sr = calloc(1, sizeof(*sr));
	if (!sr)
		return -ENOMEM;
	sr->tr = tr;
	uint64_t argc, w, a = rsp, end = rsp + STACK_SCAN_MAX;
	int r = stack_word(sr, a, &argc);
	if (r == 0 && argc > STACK_SCAN_MAX / 8)
		r = -EINVAL;
	a += (argc + 2) * 8; /* argc, argv[], its NULL */
	while (r == 0 && a < end && (r = stack_word(sr, a, &w)) == 0 && w != 0)
		a += 8; /* envp[] */
	a += 8;
	r = r ? r : -ENOENT;
	while (a + 16 <= end && stack_word(sr, a, &w) == 0 && w != AT_NULL) {
		uint64_t v;
		if (stack_word(sr, a + 8, &v) < 0)
			break;
		if (w == AT_ENTRY && v == tr->stop.entry) {
			*slot = a + 8;
			r = 0;
			break;
		}
		a += 16;
	}
	free(sr);
	return r;
}

/* MMAP_PAGE_ZERO (setarch -Z, as root) maps page 0 at exec: a jump to
 * LD_FAULT_PC would run whatever is there. Unknown counts as mapped. */
static bool page_zero_mapped(pid_t pid)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/personality", (int)pid);
	if (hx_read_file(path, 64, &text, NULL) < 0)
		return true;
	unsigned long pers = strtoul(text, NULL, 16);
	free(text);
	return (pers & MMAP_PAGE_ZERO) != 0;
}

/* Each way to stop at the entry: 1 armed, 0 not possible here, <0 a
 * reason not to stop at all (e says why; nothing was changed). */
static int try_int3(struct ld_tracer *tr, struct hx_err *e)
{
	static const uint8_t int3 = 0xcc;
	int r = ld_settle_expect(tr, SIGTRAP, e);
	if (r < 0)
		return r;
	ld_settle_keep_page(tr);
	if (inj_peek(&tr->inj, tr->stop.entry, &tr->stop.bp_byte, 1) == 0 &&
	    inj_poke(&tr->inj, tr->stop.entry, &int3, 1) == 0) {
		tr->stop.bp = LD_BP_INT3;
		return 1;
	}
	ld_settle_forget_page(tr);
	return 0;
}

/* /proc/PID/mem refuses writes into text (proc_mem.force_override): the
 * stack is plain writable memory. */
static int try_fault(struct ld_tracer *tr, uint64_t rsp, struct hx_err *e)
{
	static const uint64_t fault = LD_FAULT_PC;
	uint64_t slot = 0;
	if (page_zero_mapped(tr->pid) || entry_slot(tr, rsp, &slot) < 0)
		return 0;
	int r = ld_settle_expect(tr, SIGSEGV, e);
	if (r < 0)
		return r;
	if (inj_poke(&tr->inj, slot, &fault, sizeof(fault)) < 0)
		return 0;
	tr->stop.bp = LD_BP_FAULT;
	tr->stop.bp_slot = slot;
	return 1;
}

static int try_hw(struct ld_tracer *tr, struct hx_err *e)
{
	int r = ld_settle_expect(tr, SIGTRAP, e);
	if (r < 0)
		return r;
	if (arm_hw(tr) < 0)
		return 0;
	snprintf(tr->stop.settle.note, sizeof(tr->stop.settle.note), "the entry stop is a debug "
		 "register (no int3 could be written): one of the 4 hardware breakpoint slots stays "
		 "taken until the program execs");
	return 1;
}

static int arm(struct ld_tracer *tr, uint64_t rsp, struct hx_err *e)
{
	int r = ld_settle_before(tr, e);
	if (r < 0)
		return r;
	/* in order of preference; under seccomp nothing may be injected at the
	 * stop, so the int3's private page could not be dropped again and its
	 * text would count as changed by someone else (never copied): the
	 * fault first there. A test build may force one (then the last resort
	 * after it). */
	enum ld_bp order[3] = {LD_BP_INT3, LD_BP_FAULT, LD_BP_HW};
	if (tr->stop.settle.seccomp) {
		order[0] = LD_BP_FAULT;
		order[1] = LD_BP_INT3;
	}
	if (tr->test.force_stop != LD_BP_NONE) {
		order[0] = tr->test.force_stop;
		order[1] = LD_BP_HW;
	}
	for (size_t i = 0; i < HX_ARRAY_LEN(order); i++) {
		r = order[i] == LD_BP_INT3 ? try_int3(tr, e)
		    : order[i] == LD_BP_FAULT ? try_fault(tr, rsp, e) : try_hw(tr, e);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	return hx_fail(e, -EPERM, "no way to stop at the entry point: neither its text, its stack "
		       "nor its debug registers can be written");
}

static int disarm(struct ld_tracer *tr)
{
	int r = 0;
	if (tr->stop.bp == LD_BP_HW)
		r = ld_pt(tr, PTRACE_POKEUSER, (void *)dr_offset(7), NULL);
	else if (tr->stop.bp == LD_BP_FAULT)
		r = inj_poke(&tr->inj, tr->stop.bp_slot, &tr->stop.entry, sizeof(tr->stop.entry));
	else if (tr->stop.bp == LD_BP_INT3)
		r = inj_poke(&tr->inj, tr->stop.entry, &tr->stop.bp_byte, 1);
	if (r == 0)
		tr->stop.bp = LD_BP_NONE;
	return r;
}

/* The SIGSEGV of the jump to LD_FAULT_PC: an unmapped-address fault there. */
static bool fault_is_ours(struct ld_tracer *tr)
{
	siginfo_t si;
	return ld_pt(tr, PTRACE_GETSIGINFO, NULL, &si) == 0 && si.si_code == SEGV_MAPERR &&
	       (uint64_t)(uintptr_t)si.si_addr == LD_FAULT_PC;
}

/* Is this SIGTRAP our breakpoint? Then leave the registers as if the
 * entry instruction had not been reached yet. */
static int at_breakpoint(struct ld_tracer *tr, bool *hit)
{
	struct user_regs_struct regs;
	int r = ld_pt(tr, PTRACE_GETREGS, NULL, &regs);
	*hit = false;
	if (r < 0)
		return r;
	if (tr->stop.bp == LD_BP_HW && regs.rip == tr->stop.entry) {
		*hit = true;
	} else if (tr->stop.bp == LD_BP_FAULT && regs.rip == LD_FAULT_PC && fault_is_ours(tr)) {
		regs.rip = tr->stop.entry;
		if ((r = ld_pt(tr, PTRACE_SETREGS, NULL, &regs)) < 0)
			return r;
		*hit = true;
	} else if (tr->stop.bp == LD_BP_INT3 && regs.rip == tr->stop.entry + 1) {
		regs.rip = tr->stop.entry;
		if ((r = ld_pt(tr, PTRACE_SETREGS, NULL, &regs)) < 0)
			return r;
		*hit = true;
	}
	return 0;
}

/* A program that starts at its entry: from the exec event to the exit of
 * its execve, which returns to the entry point. The exit stop comes
 * before any signal is delivered. */
static int to_execve_exit(struct ld_tracer *tr, struct hx_err *e)
{
	int r = ld_pt(tr, PTRACE_SYSCALL, NULL, NULL);
	while (r == 0) {
		struct inj_stop s;
		if ((r = wait_stop(tr, &s, e)) < 0)
			return r;
		if (s.kind == INJ_STOP_SYSCALL) {
			struct user_regs_struct regs;
			if ((r = ld_pt(tr, PTRACE_GETREGS, NULL, &regs)) < 0)
				break;
			if (regs.rip != tr->stop.entry)
				return hx_fail(e, -EPROTO, "the program left its execve at %#llx, not at "
					       "its entry point %#llx", (unsigned long long)regs.rip,
					       (unsigned long long)tr->stop.entry);
			return 0;
		}
		r = ld_pass_through(tr, &s, PTRACE_SYSCALL);
	}
	return hx_fail(e, r, "running to the entry point: %s", strerror(-r));
}

/* Options while armed: a process forked before the entry point (a library
 * constructor's daemon, a fork server) inherits the armed stack word or
 * int3, and must be disarmed before it runs on untraced. */
#define LD_OPTS_ARMED (LD_PTRACE_OPTIONS | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
		       PTRACE_O_TRACECLONE)

/* A child the armed program made (auto-attached, in its first stop): if
 * it has memory of its own (a fork, not a thread or a vfork), put the
 * entry back in its copy, then let it go. */
static void disarm_child(struct ld_tracer *tr, int event)
{
	unsigned long msg = 0;
	if (ld_pt(tr, PTRACE_GETEVENTMSG, NULL, &msg) < 0 || msg == 0)
		return;
	pid_t child = (pid_t)msg;
	int st;
	while (tr->inj.ops->waitpid(child, &st, __WALL) < 0 && errno == EINTR)
		;
	/* a clone with SIGCHLD reports as a fork, CLONE_VM or not: ask */
	long same_vm = event == PTRACE_EVENT_VFORK ? 0
		       : syscall(SYS_kcmp, tr->pid, child, KCMP_VM, 0, 0);
	bool own = same_vm > 0 || (same_vm < 0 && event == PTRACE_EVENT_FORK);
	/* Only the int3 can be taken back: with the fault stop, ld.so read the
	 * armed word before the constructors ran (see the top). */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	int fd = own && tr->stop.bp == LD_BP_INT3 ? open(path, O_RDWR | O_CLOEXEC) : -1;
	if (fd >= 0) {
		/* if this fails the child meets the int3 and dies of it: there is
		 * nothing else to do for it */
		ssize_t n = pwrite(fd, &tr->stop.bp_byte, 1, (off_t)tr->stop.entry);
		(void)n;
		close(fd);
	}
	errno = 0;
	(void)tr->inj.ops->ptrace(PTRACE_DETACH, child, NULL, NULL);
}

/* Returns 0 at the breakpoint, 1 at the exec event of a new image. */
static int run_armed(struct ld_tracer *tr, struct hx_err *e)
{
	bool forks = tr->stop.bp != LD_BP_HW; /* fork does not copy debug registers */
	int r = forks ? ld_pt(tr, PTRACE_SETOPTIONS, NULL, (void *)(long)LD_OPTS_ARMED) : 0;
	if (r == 0)
		r = ld_pt(tr, PTRACE_CONT, NULL, NULL);
	while (r == 0) {
		struct inj_stop s;
		if ((r = wait_stop(tr, &s, e)) < 0)
			return r;
		if (s.kind == INJ_STOP_EVENT && (s.event == PTRACE_EVENT_FORK ||
						  s.event == PTRACE_EVENT_VFORK ||
						  s.event == PTRACE_EVENT_CLONE)) {
			disarm_child(tr, s.event);
			r = ld_pt(tr, PTRACE_CONT, NULL, NULL);
			continue;
		}
		if (s.kind == INJ_STOP_SIGNAL && s.sig == (tr->stop.bp == LD_BP_FAULT ? SIGSEGV : SIGTRAP)) {
			bool hit;
			if ((r = at_breakpoint(tr, &hit)) < 0 && (r = at_breakpoint(tr, &hit)) < 0)
				/* maybe ours, with rip past the int3 or at LD_FAULT_PC:
				 * it must not run on from there */
				return hx_fail(e, -ENOTRECOVERABLE, "reading the registers at the "
					       "entry point: %s", strerror(-r));
			if (hit)
				return 0;
		}
		if (s.kind == INJ_STOP_EXEC) {
			/* exec flushes debug registers; an int3 went with the old image */
			tr->stop.bp = LD_BP_NONE;
			return 1;
		}
		r = ld_pass_through(tr, &s, PTRACE_CONT);
	}
	return hx_fail(e, r, "running to the entry point: %s", strerror(-r));
}

static int run_to_entry(struct ld_tracer *tr, struct hx_err *e)
{
	for (int execs = 0;; execs++) {
		struct user_regs_struct regs;
		int r;
		if (execs > MAX_EXECS)
			return hx_fail(e, -ELOOP, "the program keeps re-executing itself");
		ld_settle_forget(tr); /* what it noted belonged to the old image */
		inj_close(&tr->inj);  /* and /proc/PID/mem, opened before, to its old memory */
		if ((r = read_image(tr, &regs, e)) < 0)
			return r;
		tr->stop.stopped_by = LD_BP_NONE;
		if (regs.rip == tr->stop.entry)
			return to_execve_exit(tr, e);
		if ((r = arm(tr, regs.rsp, e)) < 0)
			return r;
		tr->stop.stopped_by = tr->stop.bp;
		if ((r = run_armed(tr, e)) <= 0)
			return r;
	}
}

const char *ld_entry_how(const struct ld_tracer *tr)
{
	switch (tr->stop.stopped_by) {
	case LD_BP_FAULT: return "AT_ENTRY redirected to a fault";
	case LD_BP_INT3: return "an int3 at the entry";
	case LD_BP_HW: return "a debug register";
	default: return "the exit of its execve";
	}
}

int ld_entry_run(struct ld_tracer *tr, struct hx_err *e)
{
	int r = run_to_entry(tr, e);
	/* children are ours to watch only while armed */
	if (r == 0 && (r = ld_pt(tr, PTRACE_SETOPTIONS, NULL, (void *)(long)LD_PTRACE_OPTIONS)) < 0)
		r = hx_fail(e, r, "setting ptrace options: %s", strerror(-r));
	int d = disarm(tr);
	if (d < 0 && r != -ESRCH)
		d = disarm(tr); /* once more: an int3 left in the text kills it */
	/* (a program that is gone has nothing left to protect) */
	if (d < 0 && r != -ESRCH && (r == 0 || tr->stop.bp == LD_BP_INT3))
		r = hx_fail(e, tr->stop.bp == LD_BP_INT3 ? -ENOTRECOVERABLE : d,
			    "removing the entry breakpoint: %s", strerror(-d));
	if (r == 0)
		r = ld_settle_after(tr, e);
	if (r == 0) {
		tr->t.entry_ns = hx_now_ns();
		tr->stop.at_entry = true;
	}
	return r;
}

/*
 * scratch.c - where injected syscalls execute from, and the data page.
 *
 * A syscall instruction is borrowed, never written, when one exists in a
 * mapping the plan leaves alone: the vDSO first (every x86-64 vDSO has
 * syscall fallbacks), else any executable mapping outside avoid[]. Only if
 * there is none do we map a page of our own and write `syscall; int3` into
 * it through /proc/PID/mem (the first mmap borrowing any syscall
 * instruction: nothing has moved yet). The data page holds the iovecs and
 * names that some syscalls take by pointer.
 * Must never: borrow an instruction inside a region the plan will move.
 */
#define _GNU_SOURCE
#include "inject.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define SCAN_MAX (1u << 20) /* bytes scanned per mapping */

static bool overlaps_any(uint64_t a, uint64_t l, const struct inj_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hx_overlaps(a, l, r[i].addr, r[i].len))
			return true;
	return false;
}

/* First two-byte instruction op[] in [v->start, min(end, start+SCAN_MAX)). */
static int scan_for(struct inj_target *t, const struct hx_vma *v, const uint8_t op[2], uint64_t *pc)
{
	uint64_t len = v->end - v->start;
	if (len > SCAN_MAX)
		len = SCAN_MAX;
	uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	int r = inj_read(t, v->start, buf, len);
	if (r == 0) {
		r = -ENOENT;
		for (uint64_t i = 0; i + 1 < len; i++)
			if (buf[i] == op[0] && buf[i + 1] == op[1]) {
				*pc = v->start + i;
				r = 0;
				break;
			}
	}
	free(buf);
	return r;
}

static const uint8_t SYSCALL_OP[2] = {0x0f, 0x05};

static int scan(struct inj_target *t, const struct hx_vma *v, uint64_t *pc)
{
	return scan_for(t, v, SYSCALL_OP, pc);
}

static int find_gadget(struct inj_target *t, const struct hx_vmas *m, const struct inj_range *avoid,
		       size_t n_avoid, bool anywhere, uint64_t *pc)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->n; i++) {
			const struct hx_vma *v = &m->v[i];
			if (!(v->prot & PROT_EXEC) || (v->kind == HX_VMA_VDSO) != (pass == 0) ||
			    v->kind == HX_VMA_VSYSCALL)
				continue;
			if (!anywhere && overlaps_any(v->start, v->end - v->start, avoid, n_avoid))
				continue;
			if (scan(t, v, pc) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

int inj_use_syscall_in(struct inj_target *t, uint64_t start, size_t pages)
{
	for (size_t i = 0; i < pages; i++) { /* page by page: the last may be gone */
		struct hx_vma v = {.start = start + i * HX_PAGE, .end = start + (i + 1) * HX_PAGE};
		if (scan(t, &v, &t->syscall_pc) == 0)
			return 0;
	}
	return -ENOENT;
}

int inj_use_vdso(struct inj_target *t, const struct hx_vmas *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].kind == HX_VMA_VDSO && scan(t, &m->v[i], &t->syscall_pc) == 0)
			return 0;
	return -ENOENT;
}

static int rmmap(struct inj_target *t, uint64_t len, uint64_t prot, uint64_t *out, struct hx_err *e)
{
	uint64_t a[6] = {0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0};
	int64_t ret;
	int r = inj_syscall(t, SYS_mmap, a, &ret, e);
	if (r < 0)
		return r;
	if (ret < 0 && ret > -4096)
		return hx_fail(e, (int)ret, "mmap in the target: %s", strerror((int)-ret));
	*out = (uint64_t)ret;
	return 0;
}

static int rmunmap(struct inj_target *t, uint64_t addr, uint64_t len, struct hx_err *e)
{
	uint64_t a[6] = {addr, len, 0, 0, 0, 0};
	int64_t ret;
	int r = inj_syscall(t, SYS_munmap, a, &ret, e);
	if (r == 0 && ret < 0)
		r = hx_fail(e, (int)ret, "munmap in the target: %s", strerror((int)-ret));
	return r;
}

/* No syscall instruction to borrow: write our own (with one borrowed for
 * the mmap that makes room for it). */
static int own_stub(struct inj_target *t, const struct hx_vmas *m, struct hx_err *e)
{
	static const uint8_t stub[] = {0x0f, 0x05, 0xcc}; /* syscall; int3 */
	uint64_t pc;
	if (find_gadget(t, m, NULL, 0, true, &pc) < 0)
		return hx_fail(e, -ENOENT, "no syscall instruction in the target to start from");
	t->syscall_pc = pc;
	int r = rmmap(t, HX_PAGE, PROT_READ | PROT_EXEC, &t->code_page, e);
	if (r < 0)
		return r;
	if ((r = inj_poke(t, t->code_page, stub, sizeof(stub))) < 0) {
		int r2 = rmunmap(t, t->code_page, HX_PAGE, NULL);
		t->code_page = r2 == 0 ? 0 : t->code_page;
		return hx_fail(e, r, "writing the syscall stub: %s", strerror(-r));
	}
	t->syscall_pc = t->code_page;
	return 0;
}

int inj_scratch_setup(struct inj_target *t, const struct hx_vmas *m, const struct inj_range *avoid,
		      size_t n_avoid, struct hx_err *e)
{
	int r;
	if (find_gadget(t, m, avoid, n_avoid, false, &t->syscall_pc) < 0 &&
	    (r = own_stub(t, m, e)) < 0)
		return r;
	/* placed by the kernel after the plan was checked: a plan's mremap
	 * onto it would take the instruction we execute from */
	if (t->code_page && overlaps_any(t->code_page, HX_PAGE, avoid, n_avoid)) {
		int r2 = rmunmap(t, t->code_page, HX_PAGE, NULL);
		t->code_page = r2 == 0 ? 0 : t->code_page;
		t->syscall_pc = 0;
		return hx_fail(e, -EEXIST, "the kernel placed our code page inside the plan's ranges");
	}
	if ((r = rmmap(t, HX_PAGE, PROT_READ | PROT_WRITE, &t->data_page, e)) < 0)
		return r;
	if (overlaps_any(t->data_page, HX_PAGE, avoid, n_avoid)) {
		(void)rmunmap(t, t->data_page, HX_PAGE, NULL);
		t->data_page = 0;
		return hx_fail(e, -EEXIST, "the kernel placed our data page inside the plan's ranges");
	}
	return 0;
}

int inj_scratch_teardown(struct inj_target *t, struct hx_err *e)
{
	int r = 0;
	if (t->data_page && (r = rmunmap(t, t->data_page, HX_PAGE, e)) == 0)
		t->data_page = 0;
	/* Unmapping the page we execute from is fine: we stop at syscall exit
	 * and never fetch the next instruction. */
	if (r == 0 && t->code_page && (r = rmunmap(t, t->code_page, HX_PAGE, e)) == 0) {
		t->code_page = 0;
		t->syscall_pc = 0; /* it pointed into that page */
	}
	return r;
}

/* At the exec event stop the target is still inside execve, whose return
 * value (0) is stored in rax after the stop: step to its syscall-exit
 * stop first, so that the rax we set is the one the next call sees. */
static int finish_exec(struct inj_target *t, struct user_regs_struct *r, struct hx_err *e)
{
	siginfo_t si;
	int st;
	errno = 0;
	if (t->ops->ptrace(PTRACE_GETSIGINFO, t->pid, NULL, &si) < 0 && errno)
		return 0; /* not a stop that has one: not the exec stop either */
	if (si.si_code != (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
		return 0;
	errno = 0;
	if ((t->ops->ptrace(PTRACE_SYSCALL, t->pid, NULL, NULL) < 0 && errno) ||
	    t->ops->waitpid(t->pid, &st, __WALL) != t->pid || !WIFSTOPPED(st) ||
	    WSTOPSIG(st) != (SIGTRAP | 0x80) ||
	    (t->ops->ptrace(PTRACE_GETREGS, t->pid, NULL, r) < 0 && errno))
		return hx_fail(e, -EPROTO, "could not finish the program's exec");
	return 0;
}

/* A 32-bit program (met only at its exec stop, when hugexec refuses it
 * under --strict) makes i386 system calls: `int $0x80` from its vDSO, with
 * the i386 number of exit_group. */
#define USER32_CS 0x23
#define I386_NR_EXIT_GROUP 252

static int compat_exit(struct inj_target *t, const struct hx_vmas *m, struct user_regs_struct *r,
		       int status, struct hx_err *e)
{
	static const uint8_t int80[2] = {0xcd, 0x80};
	uint64_t pc = 0;
	for (size_t i = 0; i < m->n && !pc; i++)
		if (m->v[i].kind == HX_VMA_VDSO && scan_for(t, &m->v[i], int80, &pc) < 0)
			pc = 0;
	if (!pc)
		return hx_fail(e, -ENOENT, "no int $0x80 in the 32-bit program's vDSO");
	r->rip = pc;
	r->rax = I386_NR_EXIT_GROUP;
	r->rbx = (unsigned long long)status;
	return 0;
}

int inj_exit_group(struct inj_target *t, const struct hx_vmas *m, int status, struct hx_err *e)
{
	struct user_regs_struct r = t->regs;
	errno = 0;
	if (!t->saved && t->ops->ptrace(PTRACE_GETREGS, t->pid, NULL, &r) < 0 && errno)
		return hx_fail(e, -errno, "reading registers: %s", strerror(errno));
	int c = t->saved ? 0 : finish_exec(t, &r, e);
	if (c < 0)
		return c;
	if (r.cs == USER32_CS) {
		if ((c = compat_exit(t, m, &r, status, e)) < 0)
			return c;
	} else {
		uint64_t pc = t->syscall_pc;
		if (!pc && find_gadget(t, m, NULL, 0, true, &pc) < 0)
			return hx_fail(e, -ENOENT, "no syscall instruction in the target");
		r.rip = pc;
		r.rax = SYS_exit_group;
		r.rdi = (unsigned long long)status;
	}
	r.orig_rax = (unsigned long long)-1;
	errno = 0;
	if (t->ops->ptrace(PTRACE_SETREGS, t->pid, NULL, &r) < 0 && errno)
		return hx_fail(e, -errno, "setting registers: %s", strerror(errno));
	if (t->ops->ptrace(PTRACE_DETACH, t->pid, NULL, NULL) < 0 && errno)
		return hx_fail(e, -errno, "detaching: %s", strerror(errno));
	return 0;
}

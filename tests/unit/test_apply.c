/* test_apply.c - loader/apply.c against a simulated process: a fake sysops
 * table whose "kernel" keeps an address space (mappings that remember
 * which content they hold), runs the injected system calls at the syscall
 * stops as the real one would, and can be told to fail any ptrace,
 * waitpid, process_vm or /proc/PID/mem call, or to refuse a system call.
 *
 * What is proved: a plan that runs leaves the new text in place and
 * nothing of ours behind; a failed step puts the original text back; an
 * undo that fails is reported as -ENOTRECOVERABLE (the caller then must
 * not let the program run); and, failing each tracer call in turn, the
 * text of every region is whole afterwards (the original or the new copy,
 * never a hole or a mix) unless -ENOTRECOVERABLE says otherwise, and the
 * simulated program never runs an instruction of its own. */
#define _GNU_SOURCE
#include "fixtures.h"
#include "../../loader/apply.h"
#include "../../loader/tracer.h"
#include "../../common/x86.h"
#include "../../loader/unwind.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1ull << 20)
#define VDSO 0x7ffff7fc0000ull   /* syscall instructions everywhere */
#define TEXT 0x555555400000ull   /* a region: 4 MB remapped by group 0 */
#define TEXT_LEN (4 * MB)
#define LIB 0x7f0000000000ull    /* text the layout patches (group 1) */
#define STAGE 0x600000000000ull
#define ASIDE 0x610000000000ull
#define ISLAND (LIB + 0x40000000) /* within reach of a jmp rel32 */
#define SCRATCH 0x7e0000000000ull /* where mmap(NULL) places */
#define PATCH1 (LIB + 0x1000)
#define PATCH2 (LIB + 0x2ffe)    /* across a page boundary */

enum { ID_VDSO = 1, ID_TEXT, ID_LIB, ID_FIRST_ANON = 100 };
enum { F_PTRACE, F_WAIT, F_VM, F_MEM, F_KINDS };
static const char *const kind_name[F_KINDS] = {"ptrace", "waitpid", "vm", "mem"};

struct fk_map {
	uint64_t start, end;
	uint64_t id, off; /* content: what was mapped, and from where in it */
	int prot;
};

/* The simulated process. */
static struct {
	pid_t pid;
	struct fk_map m[64];
	size_t n;
	uint64_t next_id, next_free;
	struct user_regs_struct regs;
	uint64_t sigmask;
	enum { FK_STOPPED, FK_ENTRY, FK_EXIT } where;
	bool pending; /* a stop to report */
	struct {
		uint64_t addr;
		uint8_t b;
	} poked[64];
	size_t n_poked;
	/* faults: the calls of one kind numbered from 1; fail_at.. fail */
	int fail_kind;
	unsigned long fail_at, fail_n, calls[F_KINDS];
	/* refusals: system call refuse_nr fails with -refuse_errno at its
	 * refuse_from-th use and the refuse_n - 1 after it */
	long refuse_nr;
	unsigned long refuse_from, refuse_n, uses;
	int refuse_errno;
	bool ran_away; /* it was let run its own code */
	const char *what; /* the failure point, for messages */
} fk;

static bool fault(int kind)
{
	unsigned long k = ++fk.calls[kind];
	if (fk.fail_kind == kind && k >= fk.fail_at && k - fk.fail_at < fk.fail_n) {
		errno = EIO;
		return true;
	}
	return false;
}

/* --- the address space ------------------------------------------------ */

static int cmp_map(const void *a, const void *b)
{
	const struct fk_map *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void fk_sort(void)
{
	qsort(fk.m, fk.n, sizeof(fk.m[0]), cmp_map);
}

static void fk_add(uint64_t start, uint64_t end, uint64_t id, uint64_t off, int prot)
{
	assert_true(fk.n < HX_ARRAY_LEN(fk.m));
	fk.m[fk.n++] = (struct fk_map){start, end, id, off, prot};
	fk_sort();
}

/* No mapping straddles addr afterwards. */
static void fk_split(uint64_t addr)
{
	for (size_t i = 0; i < fk.n; i++) {
		struct fk_map *v = &fk.m[i];
		if (v->start < addr && addr < v->end) {
			struct fk_map hi = *v;
			hi.off += addr - v->start;
			hi.start = addr;
			v->end = addr;
			fk_add(hi.start, hi.end, hi.id, hi.off, hi.prot);
			return;
		}
	}
}

static void fk_unmap(uint64_t a, uint64_t len)
{
	fk_split(a);
	fk_split(a + len);
	size_t k = 0;
	for (size_t i = 0; i < fk.n; i++)
		if (!(fk.m[i].start >= a && fk.m[i].end <= a + len))
			fk.m[k++] = fk.m[i];
	fk.n = k;
	k = 0;
	for (size_t i = 0; i < fk.n_poked; i++)
		if (fk.poked[i].addr < a || fk.poked[i].addr >= a + len)
			fk.poked[k++] = fk.poked[i];
	fk.n_poked = k;
}

/* Is [a, a+len) mapped without a gap? */
static bool fk_covered(uint64_t a, uint64_t len)
{
	uint64_t at = a;
	for (size_t i = 0; i < fk.n && at < a + len; i++)
		if (fk.m[i].start <= at && at < fk.m[i].end)
			at = fk.m[i].end;
	return at >= a + len;
}

static const struct fk_map *fk_find(uint64_t addr)
{
	for (size_t i = 0; i < fk.n; i++)
		if (fk.m[i].start <= addr && addr < fk.m[i].end)
			return &fk.m[i];
	return NULL;
}

static int64_t fk_mmap(uint64_t addr, uint64_t len, int prot, int flags)
{
	if (!(flags & MAP_ANONYMOUS) || len == 0 || (addr | len) % HX_PAGE)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE) {
		for (size_t i = 0; i < fk.n; i++)
			if (hx_overlaps(addr, len, fk.m[i].start, fk.m[i].end - fk.m[i].start))
				return -EEXIST;
	} else if (flags & MAP_FIXED) {
		fk_unmap(addr, len);
	} else {
		addr = fk.next_free;
		fk.next_free += len + HX_PAGE;
	}
	fk_add(addr, addr + len, fk.next_id++, 0, prot);
	return (int64_t)addr;
}

static int64_t fk_mremap(uint64_t old, uint64_t len, uint64_t nlen, int flags, uint64_t to)
{
	if (len != nlen || !(flags & MREMAP_FIXED) || hx_overlaps(old, len, to, len))
		return -EINVAL;
	const struct fk_map *v = fk_find(old);
	if (!v || v->end < old + len) /* the kernel moves within one mapping */
		return -EFAULT;
	fk_unmap(to, len);
	fk_split(old);
	fk_split(old + len);
	for (size_t i = 0; i < fk.n; i++)
		if (fk.m[i].start == old) {
			fk.m[i].start = to;
			fk.m[i].end = to + len;
		}
	fk_sort();
	return (int64_t)to;
}

static int64_t fk_mprotect(uint64_t a, uint64_t len, int prot)
{
	if (!fk_covered(a, len))
		return -ENOMEM;
	fk_split(a);
	fk_split(a + len);
	for (size_t i = 0; i < fk.n; i++)
		if (fk.m[i].start >= a && fk.m[i].end <= a + len)
			fk.m[i].prot = prot;
	return 0;
}

/* The system call the stopped "thread" entered, as the kernel runs it. */
static int64_t fk_execute(long nr, const struct user_regs_struct *r)
{
	if (nr == fk.refuse_nr && ++fk.uses >= fk.refuse_from &&
	    fk.uses - fk.refuse_from < fk.refuse_n)
		return -fk.refuse_errno;
	switch (nr) {
	case SYS_mmap:
		return fk_mmap(r->rdi, r->rsi, (int)r->rdx, (int)r->r10);
	case SYS_munmap:
		fk_unmap(r->rdi, r->rsi);
		return 0;
	case SYS_mremap:
		return fk_mremap(r->rdi, r->rsi, r->rdx, (int)r->r10, r->r8);
	case SYS_mprotect:
		return fk_mprotect(r->rdi, r->rsi, (int)r->rdx);
	case SYS_madvise:
	case SYS_prctl:
		return fk_covered(r->rdi, r->rsi) || nr == SYS_prctl ? 0 : -ENOMEM;
	}
	return -ENOSYS;
}

/* --- memory ------------------------------------------------------------- */

static uint8_t pattern(const struct fk_map *v, uint64_t addr)
{
	if (v->id == ID_VDSO)
		return (addr - v->start) % 2 ? 0x05 : 0x0f; /* syscall; syscall; ... */
	return (uint8_t)(v->id * 7 + v->off + (addr - v->start));
}

/* Copy out [addr, addr+len): false at the first unmapped byte (or one
 * not writable, for a write through process_vm_writev). */
static bool fk_read(uint64_t addr, uint8_t *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		const struct fk_map *v = fk_find(addr + done);
		if (!v)
			return false;
		size_t n = (size_t)(v->end - (addr + done));
		n = n < len - done ? n : len - done;
		for (size_t i = 0; i < n; i++)
			buf[done + i] = pattern(v, addr + done + i);
		done += n;
	}
	for (size_t i = 0; i < fk.n_poked; i++)
		if (fk.poked[i].addr >= addr && fk.poked[i].addr < addr + len)
			buf[fk.poked[i].addr - addr] = fk.poked[i].b;
	return true;
}

static void fk_store(uint64_t addr, uint8_t b)
{
	for (size_t i = 0; i < fk.n_poked; i++)
		if (fk.poked[i].addr == addr) {
			fk.poked[i].b = b;
			return;
		}
	assert_true(fk.n_poked < HX_ARRAY_LEN(fk.poked));
	fk.poked[fk.n_poked].addr = addr;
	fk.poked[fk.n_poked++].b = b;
}

static ssize_t fake_readv(pid_t pid, const struct iovec *l, unsigned long ln,
			  const struct iovec *r, unsigned long rn, unsigned long flags)
{
	(void)flags;
	assert_int_equal(pid, fk.pid);
	assert_int_equal(ln, 1);
	assert_int_equal(rn, 1);
	if (fault(F_VM))
		return -1;
	if (!fk_read((uint64_t)(uintptr_t)r->iov_base, l->iov_base, l->iov_len)) {
		errno = EFAULT;
		return -1;
	}
	return (ssize_t)l->iov_len;
}

static ssize_t fake_writev(pid_t pid, const struct iovec *l, unsigned long ln,
			   const struct iovec *r, unsigned long rn, unsigned long flags)
{
	(void)flags, (void)l;
	assert_int_equal(pid, fk.pid);
	assert_int_equal(ln, 1);
	assert_int_equal(rn, 1);
	if (fault(F_VM))
		return -1;
	uint64_t a = (uint64_t)(uintptr_t)r->iov_base;
	for (uint64_t at = a; at < a + r->iov_len;) {
		const struct fk_map *v = fk_find(at);
		if (!v || !(v->prot & PROT_WRITE)) {
			errno = EFAULT;
			return -1;
		}
		at = v->end;
	}
	return (ssize_t)r->iov_len; /* bulk contents are not kept */
}

/* /proc/PID/mem: any mapping, whatever its protection. */
static ssize_t fake_pread(int fd, void *buf, size_t n, off_t off)
{
	(void)fd;
	if (fault(F_MEM))
		return -1;
	if (!fk_read((uint64_t)off, buf, n)) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

static ssize_t fake_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	(void)fd;
	if (fault(F_MEM))
		return -1;
	if (!fk_covered((uint64_t)off, n)) {
		errno = EIO;
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		fk_store((uint64_t)off + i, ((const uint8_t *)buf)[i]);
	return (ssize_t)n;
}

/* --- ptrace and wait ------------------------------------------------------- */

/* PTRACE_SYSCALL: from a syscall-entry stop the kernel runs the call and
 * stops at its exit; from any other stop the thread runs from rip, which
 * must be a syscall instruction (or it ran code of its own). */
static void fk_resume(void)
{
	if (fk.where == FK_ENTRY) {
		long nr = (long)fk.regs.orig_rax;
		fk.regs.rax = (unsigned long long)(nr == -1 ? -ENOSYS : fk_execute(nr, &fk.regs));
		fk.where = FK_EXIT;
	} else {
		const struct fk_map *v = fk_find(fk.regs.rip);
		uint8_t op[2];
		if (!v || !(v->prot & PROT_EXEC) || !fk_read(fk.regs.rip, op, 2) || op[0] != 0x0f ||
		    op[1] != 0x05) {
			fk.ran_away = true;
			return;
		}
		fk.regs.orig_rax = fk.regs.rax;
		fk.regs.rax = (unsigned long long)-ENOSYS;
		fk.regs.rip += 2;
		fk.where = FK_ENTRY;
	}
	fk.pending = true;
}

static long fake_ptrace(int req, pid_t pid, void *addr, void *data)
{
	assert_int_equal(pid, fk.pid);
	if (fault(F_PTRACE))
		return -1;
	switch (req) {
	case PTRACE_GETREGS:
		memcpy(data, &fk.regs, sizeof(fk.regs));
		return 0;
	case PTRACE_SETREGS:
		memcpy(&fk.regs, data, sizeof(fk.regs));
		return 0;
	case PTRACE_GETFPREGS:
		memset(data, 0, sizeof(struct user_fpregs_struct));
		return 0;
	case PTRACE_GETSIGMASK:
		memcpy(data, &fk.sigmask, 8);
		return 0;
	case PTRACE_SETSIGMASK:
		memcpy(&fk.sigmask, data, 8);
		return 0;
	case PTRACE_SYSCALL:
		assert_null(data);
		fk.pending = false; /* an unreported stop is lost, as in the kernel */
		fk_resume();
		return 0;
	case PTRACE_CONT:
		fk.ran_away = true;
		return 0;
	case PTRACE_GET_SYSCALL_INFO: /* op: none, entry, exit */
		memset(data, 0, (size_t)addr);
		*(uint8_t *)data = fk.where == FK_ENTRY ? 1 : fk.where == FK_EXIT ? 2 : 0;
		return 0;
	}
	errno = EIO; /* GETSIGINFO at a syscall stop, Syscall User Dispatch: none */
	return -1;
}

static pid_t fake_waitpid(pid_t pid, int *status, int options)
{
	assert_int_equal(pid, fk.pid);
	if (fault(F_WAIT))
		return -1;
	if (!fk.pending) {
		/* a wait for a stop that never comes would hang */
		if (!(options & WNOHANG))
			fail_msg("%s: waits for a stop that never comes%s", fk.what,
				 fk.ran_away ? " (it ran its own code)" : "");
		return 0;
	}
	fk.pending = false;
	*status = ((SIGTRAP | 0x80) << 8) | 0x7f;
	return pid;
}

static const struct hx_sysops fake = {
	.ptrace = fake_ptrace,
	.waitpid = fake_waitpid,
	.vm_readv = fake_readv,
	.vm_writev = fake_writev,
	.pread = fake_pread,
	.pwrite = fake_pwrite,
};

/* --- the plan ------------------------------------------------------------ */

#define STEP(op, fl, a0, a1, a2, a3) assert_int_equal(hx_plan_add_step(p, op, fl, a0, a1, a2, a3), 0)

static const uint8_t island_code[16] = {0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
					0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc};

/* Group 0 moves TEXT onto a THP copy, the way the planner writes it (a
 * tracer copy instead of the file read); group 1 is a layout's island
 * with two entry patches into LIB. */
static void make_plan(struct hx_plan *p)
{
	hx_plan_init(p, fk.pid);
	struct hx_plan_group g = {.addr = TEXT, .len = TEXT_LEN, .staging = STAGE,
				  .backing = HX_BACK_THP, .alt_of = -1, .path_str = HX_NO_STR,
				  .perfmap_str = HX_NO_STR};
	uint32_t name, code;
	assert_int_equal(hx_plan_add_string(p, "hugexec test", &name), 0);
	assert_int_equal(hx_plan_add_data(p, island_code, sizeof(island_code), &code), 0);
	assert_int_equal(hx_plan_add_group(p, &g), 0);
	STEP(HX_OP_MMAP, 0, STAGE, TEXT_LEN, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
	STEP(HX_OP_MADVISE, 0, STAGE, TEXT_LEN, MADV_HUGEPAGE, 0);
	STEP(HX_OP_TRACER_COPY, 0, STAGE, TEXT, TEXT_LEN, 0);
	STEP(HX_OP_MPROTECT, 0, STAGE, TEXT_LEN, PROT_READ | PROT_EXEC, 0);
	STEP(HX_OP_MADVISE, HX_STEP_OPTIONAL, STAGE, TEXT_LEN, MADV_COLLAPSE, 0);
	STEP(HX_OP_MREMAP, 0, TEXT, TEXT_LEN, ASIDE, 0);
	STEP(HX_OP_MREMAP, 0, STAGE, TEXT_LEN, TEXT, 0);
	STEP(HX_OP_NAME, HX_STEP_OPTIONAL, TEXT, TEXT_LEN, name, 0);
	STEP(HX_OP_MUNMAP, HX_STEP_OPTIONAL, ASIDE, TEXT_LEN, 0, 0);
	hx_plan_close_group(p);
	g = (struct hx_plan_group){.addr = ISLAND, .len = 2 * MB, .backing = HX_BACK_THP,
				   .alt_of = -1, .path_str = HX_NO_STR, .perfmap_str = HX_NO_STR,
				   .flags = HX_GROUP_LAYOUT};
	assert_int_equal(hx_plan_add_group(p, &g), 0);
	STEP(HX_OP_MMAP, 0, ISLAND, 2 * MB, PROT_READ | PROT_EXEC,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
	STEP(HX_OP_POKE, 0, ISLAND, code, sizeof(island_code), 0);
	STEP(HX_OP_PATCH, 0, PATCH1, ISLAND, 0, 0);
	STEP(HX_OP_PATCH, 0, PATCH2, ISLAND + 8, 0, 0);
	/* a last required step, for a failure after the patches are in */
	STEP(HX_OP_MPROTECT, 0, ISLAND, 2 * MB, PROT_READ | PROT_EXEC, 0);
	hx_plan_close_group(p);
}

/* A fresh process stopped at its entry, and a tracer with the plan. */
static void setup(struct ld_tracer *tr)
{
	memset(&fk, 0, sizeof(fk));
	fk.pid = getpid(); /* so that /proc/PID/mem opens and smaps reads */
	fk.next_id = ID_FIRST_ANON;
	fk.next_free = SCRATCH;
	fk.regs.rip = TEXT + 0x1234; /* the entry point */
	fk_add(TEXT, TEXT + TEXT_LEN, ID_TEXT, 0, PROT_READ | PROT_EXEC);
	fk_add(LIB, LIB + 4 * MB, ID_LIB, 0, PROT_READ | PROT_EXEC);
	fk_add(VDSO, VDSO + 2 * HX_PAGE, ID_VDSO, 0, PROT_READ | PROT_EXEC);
	ld_tracer_init(tr, fk.pid, NULL);
	tr->inj.ops = &fake;
	const char *maps = "555555400000-555555800000 r-xp 00000000 fe:00 7 /usr/bin/prog\n"
			   "7f0000000000-7f0000400000 r-xp 00000000 fe:00 8 /usr/lib/libx.so\n"
			   "7ffff7fc0000-7ffff7fc2000 r-xp 00000000 00:00 0 [vdso]\n";
	assert_int_equal(hx_vmas_parse(maps, strlen(maps), &tr->pl.vmas), 0);
	make_plan(&tr->pl.plan);
	struct hx_err e = {0};
	assert_int_equal(inj_save(&tr->inj, &e), 0);
	memset(fk.calls, 0, sizeof(fk.calls));
}

/* --- what must hold afterwards ---------------------------------------- */

/* [a, a+len) holds one content, contiguously, from offset 0. */
static bool whole(uint64_t a, uint64_t len, uint64_t *id)
{
	const struct fk_map *v = fk_find(a);
	if (!v || v->start != a || v->off != 0)
		return false;
	*id = v->id;
	for (uint64_t at = a; at < a + len;) {
		const struct fk_map *w = fk_find(at);
		if (!w || w->id != *id || w->off != at - a)
			return false;
		at = w->end;
	}
	return true;
}

static bool nothing_in(uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < fk.n; i++)
		if (hx_overlaps(a, len, fk.m[i].start, fk.m[i].end - fk.m[i].start))
			return false;
	return true;
}

/* The five bytes at at: 1 the file's, 2 a jmp to the island, 0 a mix. */
static int patch_state(uint64_t at, uint64_t to)
{
	uint8_t now[5], jmp[5];
	const struct fk_map *v = fk_find(at);
	assert_true(fk_read(at, now, 5));
	assert_int_equal(hx_x86_jmp32(jmp, at, to), 0);
	bool orig = true;
	for (int i = 0; i < 5; i++)
		orig = orig && now[i] == pattern(v, at + i);
	return orig ? 1 : memcmp(now, jmp, 5) == 0 ? 2 : 0;
}

static unsigned n_bad; /* findings, all shown before a test fails */
#define BAD(...) do { print_error(__VA_ARGS__); print_error("\n"); n_bad++; } while (0)

/* After ld_apply() returned r: every region whole, the outcome told as it
 * is, nothing of ours left unsaid; -ENOTRECOVERABLE only where the text
 * is not whole (the program is then killed). Findings go to n_bad. */
static void check_outcome(struct ld_tracer *tr, int r, const char *what)
{
	uint64_t id;
	assert_false(fk.ran_away);
	bool text_ok = whole(TEXT, TEXT_LEN, &id);
	bool text_new = text_ok && id != ID_TEXT;
	if (!text_ok) {
		if (r != -ENOTRECOVERABLE)
			BAD("%s: the text is not whole, and ld_apply returned %d", what, r);
		return;
	}
	/* (an island kept because its undo failed may keep its patches) */
	int p1 = patch_state(PATCH1, ISLAND), p2 = patch_state(PATCH2, ISLAND + 8);
	if (p1 == 0 || p2 == 0 || (p1 != p2 && !tr->out.island_kept))
		BAD("%s: entry patches half in (%d, %d)", what, p1, p2);
	bool island = !nothing_in(ISLAND, 2 * MB);
	if (p1 == 2 && !island)
		BAD("%s: a patch jumps to an island that is not there", what);
	if (r == -ENOTRECOVERABLE) { /* the program would be killed */
		BAD("%s: said unrecoverable, but its text is whole (%s)", what,
		    text_new ? "the copy" : "the original");
		return;
	}
	if (tr->out.groups) {
		uint32_t s0 = tr->out.groups[0].state, s1 = tr->out.groups[1].state;
		if (s0 == LD_G_OK && !text_new)
			BAD("%s: group 0 said done, the text is the original", what);
		if (s0 != LD_G_OK && text_new)
			BAD("%s: group 0 not done (%u), the text is new", what, s0);
		if (s1 == LD_G_OK && (p1 != 2 || p2 != 2))
			BAD("%s: group 1 said done without its patches", what);
		if (s1 == LD_G_FAILED && !tr->out.island_kept && p1 != 1)
			BAD("%s: group 1 rolled back, its patches left", what);
		if (s1 == LD_G_FAILED && !tr->out.island_kept && island && tr->out.left_addr != ISLAND)
			BAD("%s: group 1 rolled back, its island left without a word", what);
	}
	/* nothing left at the staging address; the aside copy only if said */
	if (!nothing_in(STAGE, TEXT_LEN) && tr->out.left_addr != STAGE)
		BAD("%s: staging left mapped without a word", what);
	if (!nothing_in(ASIDE, TEXT_LEN) && tr->out.aside_addr != ASIDE)
		BAD("%s: the old text left aside without a word", what);
	size_t ours = 0;
	for (size_t i = 0; i < fk.n; i++)
		ours += fk.m[i].start >= SCRATCH && fk.m[i].start < LIB;
	if (ours && !tr->out.scratch_left && r == 0)
		BAD("%s: a scratch page left without a word", what);
}

/* --- the tests --------------------------------------------------------- */

static void test_apply_runs_the_plan(void **state)
{
	(void)state;
	struct ld_tracer tr;
	struct hx_err e = {0};
	setup(&tr);
	assert_int_equal(ld_apply(&tr, &e), 0);
	check_outcome(&tr, 0, "clean run");
	assert_int_equal(n_bad, 0);
	uint64_t id;
	assert_true(whole(TEXT, TEXT_LEN, &id));
	assert_int_not_equal(id, ID_TEXT);
	assert_int_equal(fk_find(TEXT)->prot, PROT_READ | PROT_EXEC);
	assert_int_equal(tr.out.groups[0].state, LD_G_OK);
	assert_int_equal(tr.out.groups[1].state, LD_G_OK);
	assert_int_equal(patch_state(PATCH1, ISLAND), 2);
	assert_int_equal(patch_state(PATCH2, ISLAND + 8), 2);
	assert_true(nothing_in(ASIDE, TEXT_LEN));
	/* the island's code, written through /proc/PID/mem */
	uint8_t b[sizeof(island_code)];
	assert_true(fk_read(ISLAND, b, sizeof(b)));
	assert_memory_equal(b, island_code, sizeof(b));
	/* only the program's own mappings and ours: text, lib, vdso, island */
	assert_int_equal(fk.n, 4);
	ld_tracer_free(&tr);
}

/* The kernel refuses the mremap that brings the copy in: the original
 * text goes back; the next group runs. */
static void test_apply_rolls_back_a_failed_step(void **state)
{
	(void)state;
	struct ld_tracer tr;
	struct hx_err e = {0};
	setup(&tr);
	/* only the second: its undo (the third) works */
	fk.refuse_nr = SYS_mremap, fk.refuse_from = 2, fk.refuse_n = 1, fk.refuse_errno = ENOMEM;
	int r = ld_apply(&tr, &e);
	check_outcome(&tr, r, "refused mremap");
	assert_int_equal(n_bad, 0);
	assert_int_equal(r, 0);
	assert_int_equal(tr.out.groups[0].state, LD_G_FAILED);
	assert_true(tr.out.rolled_back_any);
	assert_int_equal(tr.out.groups[1].state, LD_G_OK);
	uint64_t id;
	assert_true(whole(TEXT, TEXT_LEN, &id));
	assert_int_equal(id, ID_TEXT);
	assert_true(nothing_in(ASIDE, TEXT_LEN));
	ld_tracer_free(&tr);
}

/* The step fails and so does its undo (every mremap from the second on):
 * the text is missing, and ld_apply must say it cannot be restored. */
static void test_apply_cannot_restore(void **state)
{
	(void)state;
	struct ld_tracer tr;
	struct hx_err e = {0};
	setup(&tr);
	fk.refuse_nr = SYS_mremap, fk.refuse_from = 2, fk.refuse_n = 2, fk.refuse_errno = ENOMEM;
	int r = ld_apply(&tr, &e);
	assert_int_equal(r, -ENOTRECOVERABLE);
	assert_true(nothing_in(TEXT, TEXT_LEN)); /* truly gone: the verdict is right */
	assert_non_null(strstr(e.msg, "rollback failed"));
	check_outcome(&tr, r, "undo refused");
	assert_int_equal(n_bad, 0);
	ld_tracer_free(&tr);
}

/* A step after the entry patches fails, and putting the replaced bytes
 * back fails too: the island must stay, whole, for the patches still in. */
static void test_apply_patch_undo_fails(void **state)
{
	(void)state;
	struct ld_tracer tr;
	struct hx_err e = {0};
	setup(&tr);
	fk.refuse_nr = SYS_mprotect, fk.refuse_from = 2, fk.refuse_n = 1, fk.refuse_errno = ENOMEM;
	/* the memory writes: the island's code, 2 patches (logged first:
	 * each a peek, then a poke), then the undo's first poke */
	unsigned long pokes_before_undo = 1 + 2 * 2;
	fk.fail_kind = F_MEM, fk.fail_at = pokes_before_undo + 1, fk.fail_n = 1;
	int r = ld_apply(&tr, &e);
	assert_int_equal(r, 0);
	assert_int_equal(tr.out.groups[1].state, LD_G_FAILED);
	assert_true(tr.out.island_kept);
	assert_false(nothing_in(ISLAND, 2 * MB));
	check_outcome(&tr, r, "unpatch refused");
	assert_int_equal(n_bad, 0);
	/* without the failing poke, the same run takes both patches out */
	ld_tracer_free(&tr);
	setup(&tr);
	fk.refuse_nr = SYS_mprotect, fk.refuse_from = 2, fk.refuse_n = 1, fk.refuse_errno = ENOMEM;
	assert_int_equal(ld_apply(&tr, &e), 0);
	assert_false(tr.out.island_kept);
	assert_int_equal(patch_state(PATCH1, ISLAND), 1);
	assert_int_equal(patch_state(PATCH2, ISLAND + 8), 1);
	assert_true(nothing_in(ISLAND, 2 * MB));
	ld_tracer_free(&tr);
}

/* Each tracer call of each kind fails in turn (a ptrace, a wait, a
 * process_vm access, a /proc/PID/mem access), once, and then twice in a
 * row (a retried call fails again). */
static void test_apply_every_tracer_call_fails(void **state)
{
	(void)state;
	struct ld_tracer tr;
	struct hx_err e = {0};
	setup(&tr);
	assert_int_equal(ld_apply(&tr, &e), 0);
	unsigned long total[F_KINDS];
	memcpy(total, fk.calls, sizeof(total));
	ld_tracer_free(&tr);
	unsigned broke = 0, lost = 0, runs = 0;
	for (int kind = 0; kind < F_KINDS; kind++) {
		assert_true(total[kind] > 0);
		for (unsigned long n = 1; n <= 2; n++)
			for (unsigned long k = 1; k <= total[kind]; k++) {
				char what[64];
				snprintf(what, sizeof(what), "%s call %lu (x%lu)", kind_name[kind], k, n);
				setup(&tr);
				fk.fail_kind = kind, fk.fail_at = k, fk.fail_n = n;
				fk.what = what;
				struct hx_err fe = {0};
				int r = ld_apply(&tr, &fe);
				check_outcome(&tr, r, what);
				broke += r < 0;
				lost += r == -ENOTRECOVERABLE;
				/* one failure alone never costs the text */
				if (n == 1 && r == -ENOTRECOVERABLE)
					fail_msg("%s: one failure, and the text could not be restored", what);
				runs++;
				ld_tracer_free(&tr);
			}
	}
	/* the sweep reached the failure paths, and one failure never costs
	 * the text: it is always put back */
	assert_int_equal(n_bad, 0);
	assert_true(broke > 0);
	print_message("apply: %u failure points, %u broke the injection, %u unrecoverable\n",
		      runs, broke, lost);
}

/* A registration that fails before it starts (its maps unreadable) is
 * certain: the caller, which reads the flag on every failure, must not
 * keep an island for it (the flag used to be left as it was). */
static void test_apply_unwind_failure_is_certain(void **state)
{
	(void)state;
	struct ld_tracer tr;
	ld_tracer_init(&tr, 0x3ffffffe, NULL); /* no such process */
	struct ld_unwind_reg reg;
	memset(&reg, 0xff, sizeof(reg));
	reg.uncertain = true;
	struct hx_err e = {0};
	assert_true(ld_unwind_register(&tr, 0x1000, 64, 0x2000, 0x3000, &reg, &e) < 0);
	assert_false(reg.uncertain);
	ld_tracer_free(&tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_unwind_failure_is_certain),
		cmocka_unit_test(test_apply_runs_the_plan),
		cmocka_unit_test(test_apply_rolls_back_a_failed_step),
		cmocka_unit_test(test_apply_cannot_restore),
		cmocka_unit_test(test_apply_patch_undo_fails),
		cmocka_unit_test(test_apply_every_tracer_call_fails),
	};
	return cmocka_run_group_tests_name("apply", tests, NULL, NULL);
}

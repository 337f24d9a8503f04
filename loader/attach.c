/*
 * attach.c - `hugexec attach` and `hugexec undo` (attach.h).
 *
 *   hold every thread ---- plan (helper, validator) ---- apply on the leader
 *        |                                                     |
 *   new threads: seized by the kernel (TRACECLONE)        undo record
 *                                                              |
 *   release: the leader's registers and mask restored, every thread detached
 */
#define _GNU_SOURCE
#include "attach.h"
#include "apply.h"
#include "plan_get.h"
#include "release.h"
#include "report.h"
#include "resolve.h"
#include "status.h"
#include "entry.h"
#include "facts.h"
#include "perfmap.h"
#include "testhooks.h"
#include "tracer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define ATTACH_OPTIONS (PTRACE_O_TRACECLONE | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)
#define USER_CS_64 0x33
#define MAX_ROUNDS 100 /* listings of /proc/PID/task until none is new */
/* A function called in a running process (the unwinder's registration)
 * may wait for a lock the held thread itself holds: given up after this. */
#define CALL_TIMEOUT_MS 1000
#define MAX_RECORD (64 << 20) /* bytes of an undo record */

/* The threads held. */
struct held {
	pid_t *tid;            /* [0] the leader, held throughout */
	size_t n, cap;
	size_t most;           /* the most threads held at once */
	uint64_t since_ns;     /* the leader held */
	uint64_t all_since_ns; /* every thread held since (0: not now) */
	uint64_t all_ns;       /* every thread held, before now */
};

static bool holds(const struct held *h, pid_t tid)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->tid[i] == tid)
			return true;
	return false;
}

static int add(struct held *h, pid_t tid)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? 2 * h->cap : 16;
		pid_t *nt = realloc(h->tid, nc * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		h->tid = nt;
		h->cap = nc;
	}
	h->tid[h->n++] = tid;
	return 0;
}

static void drop(struct held *h, size_t i)
{
	h->tid[i] = h->tid[--h->n];
}

/* Wait until thread i is held in a stop of ours. Signals that come first
 * are delivered (they were the program's, sent before we held it); a new
 * thread (clone) is noted, the kernel holds it for us. 1 when the thread
 * is gone, 0 held, <0 error. */
static int to_stop(struct held *h, size_t i, struct hx_err *e)
{
	pid_t tid = h->tid[i];
	for (;;) {
		int st;
		pid_t w = waitpid(tid, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			return 1;
		int ev = st >> 16, sig = WSTOPSIG(st);
		if (ev == PTRACE_EVENT_STOP)
			return 0;
		if (ev == PTRACE_EVENT_EXEC)
			return hx_fail(e, -EBUSY, "the process exec'd while being attached");
		unsigned long msg = 0;
		if (ev == PTRACE_EVENT_CLONE && ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 &&
		    !holds(h, (pid_t)msg) && add(h, (pid_t)msg) < 0)
			return hx_fail(e, -ENOMEM, "out of memory");
		/* a clone event, or a signal of the program's: on towards our stop */
		int deliver = ev == 0 && sig != (SIGTRAP | 0x80) ? sig : 0;
		if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)deliver) < 0 && errno == ESRCH)
			return 1;
	}
}

static void release_others(struct held *h, pid_t leader)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->tid[i] != leader)
			(void)ptrace(PTRACE_DETACH, h->tid[i], NULL, NULL);
}

/* Is tid traced by us already (a thread cloned by one we had seized
 * before our interrupt stopped it: the kernel attached it)? */
static bool ours_already(pid_t pid, pid_t tid)
{
	char path[96];
	unsigned long long tracer;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	return hx_status_number(path, "TracerPid", 10, &tracer) == 0 &&
	       tracer == (unsigned long long)getpid();
}

/* Seize tid, held from now on, and ask it to stop. -ESRCH: it is gone
 * (e not set). */
static int seize(struct held *h, pid_t pid, pid_t tid, struct hx_err *e)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)ATTACH_OPTIONS) < 0) {
		int err = errno;
		if (err == ESRCH)
			return -ESRCH;
		if (err == EPERM && ours_already(pid, tid))
			return add(h, tid) < 0 ? hx_fail(e, -ENOMEM, "out of memory") : 0;
		return hx_fail(e, -err, "cannot trace it: %s%s", strerror(err),
			       err == EPERM ? " (another user's process, or already traced, or "
					      "ptrace_scope)" : "");
	}
	if (add(h, tid) < 0)
		return hx_fail(e, -ENOMEM, "out of memory");
	(void)ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	return 0;
}

/* Seize and hold every thread of pid. */
static int hold_all(pid_t pid, struct held *h, struct hx_err *e)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	struct hx_err ignored;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		int failed = 0;
		DIR *d = opendir(dir);
		if (!d)
			return hx_fail(e, -ESRCH, "no such process");
		size_t first_new = h->n;
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || holds(h, tid))
				continue;
			failed = seize(h, pid, tid, e);
			if (failed == -ESRCH)
				failed = 0; /* gone meanwhile */
			if (failed < 0)
				break;
		}
		closedir(d);
		if (first_new == h->n && round > 0 && !failed)
			return 0;
		/* every thread seized is brought to its stop, also on the way
		 * out: one left running could not be detached */
		for (size_t i = first_new; i < h->n;) {
			int r = to_stop(h, i, failed ? &ignored : e);
			if (r < 0 && !failed)
				return r;
			if (r == 1)
				drop(h, i);
			else
				i++;
		}
		if (failed)
			return failed;
	}
	return hx_fail(e, -EAGAIN, "threads kept appearing faster than they could be held");
}

/* The leader alone: it runs the plan while the others go on. */
static int hold_leader(pid_t pid, struct held *h, struct hx_err *e)
{
	h->since_ns = hx_now_ns();
	int r = seize(h, pid, pid, e);
	if (r == -ESRCH)
		return hx_fail(e, -ESRCH, "no such process");
	if (r == 0 && (r = to_stop(h, 0, e)) == 1)
		r = hx_fail(e, -ESRCH, "its main thread has exited");
	return r;
}

/* Is v (now) a part of then (when the plan was made): the same file at
 * the same offsets, the same protection? (The plan's own madvise may have
 * split a mapping, e.g. a file-backed attempt before a copy.) */
static bool part_of(const struct hx_vma *v, const struct hx_vma *then)
{
	return v->end <= then->end && v->inode == then->inode && v->prot == then->prot &&
	       v->dev_major == then->dev_major && v->dev_minor == then->dev_minor &&
	       (v->kind != HX_VMA_FILE || v->offset == then->offset + (v->start - then->start));
}

/* While the copies were made the other threads ran: the plan's ranges
 * must be as the plan found them (its regions the same mappings of the
 * same files; where it moves text aside, nothing), but for the staging
 * the plan itself mapped. */
static int plan_ranges_unchanged(const struct ld_tracer *tr, struct hx_err *e)
{
	struct hx_vmas now;
	int r = hx_vmas_read(tr->pid, false, &now, e);
	if (r < 0)
		return r;
	const struct hx_plan *p = &tr->pl.plan;
	for (size_t i = 0; i < now.n && r == 0; i++) {
		const struct hx_vma *v = &now.v[i];
		bool in_plan = false, ours = false;
		for (uint32_t g = 0; g < p->n_groups; g++)
			in_plan |= hx_overlaps(v->start, v->end - v->start, p->groups[g].addr,
					       p->groups[g].len);
		for (uint32_t k = 0; k < p->n_steps; k++) {
			const struct hx_plan_step *s = &p->steps[k];
			if (s->op == HX_OP_MMAP && v->start >= s->a[0] && v->end <= s->a[0] + s->a[1])
				ours = true; /* our staging */
			else if (s->op == HX_OP_MREMAP &&
				 hx_overlaps(v->start, v->end - v->start, s->a[2], s->a[1]))
				in_plan = true;
		}
		if (!in_plan || ours)
			continue;
		const struct hx_vma *then = hx_vmas_find(&tr->pl.vmas, v->start);
		if (!then || !part_of(v, then))
			r = hx_fail(e, -EBUSY, "the process changed its mappings at %#llx while the copy "
				    "was made", (unsigned long long)v->start);
	}
	hx_vmas_free(&now);
	return r;
}

/* Mark the patch (of at[], sorted; each jmp rel32, 5 bytes) that w
 * points into past its first byte: a thread resumed there would run half
 * an instruction (at the first byte the jmp runs whole). */
static void mark_held(const uint64_t *at, size_t n, bool *hit, uint64_t w)
{
	size_t i = hx_u64_lower_bound(at, n, w >= 4 ? w - 4 : 0); /* a patch in [w-4, w) */
	if (i < n && at[i] < w)
		hit[i] = true;
}

/* The marked patches (all of them if all) into out->skip, sorted, once each. */
static int skip_marked(struct ld_outcome *out, const uint64_t *at, size_t n, const bool *hit,
		       bool all)
{
	uint64_t *ns = realloc(out->skip, (out->n_skip + n + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	out->skip = ns;
	for (size_t i = 0; i < n; i++)
		if (all || hit[i])
			ns[out->n_skip++] = at[i];
	qsort(ns, out->n_skip, sizeof(*ns), hx_cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < out->n_skip; i++)
		if (k == 0 || ns[i] != ns[k - 1])
			ns[k++] = ns[i];
	out->n_skip = k;
	return 0;
}

#define STACK_SCAN_MAX ((uint64_t)256 << 20) /* per thread, from its stack pointer up */
#define SCAN_CHUNK 65536

/* What scanning a thread's stacks needs: the patches, which of them are
 * hit, the maps, a buffer, and how many signal frames may still be
 * followed (each to a stack of its own). */
struct stack_scan {
	const uint64_t *at;
	size_t n;
	bool *hit;
	const struct hx_vmas *m;
	uint64_t *buf;
	int frames_left;
};

/* Offsets in the kernel's x86-64 signal frame, from its ucontext: the
 * stack_t of the alternate stack the handler runs on (uc_stack), and the
 * interrupted context's rsp, then rip (uc_mcontext, struct sigcontext). */
#define UC_SS_SP 16
#define UC_SS_SIZE 32
#define UC_RSP 160
#define ALT_STACK_MAX ((uint64_t)64 << 20)
#define MAX_SIG_FRAMES 8 /* per thread: handlers nested, or words that look like one */

static int scan_context(struct ld_tracer *tr, struct stack_scan *sc, uint64_t rip, uint64_t sp);

/* Could the word at a (words[k] of a chunk of n) be the uc_stack.ss_sp
 * of a signal frame whose handler runs on the alternate stack holding it?
 * The frame's stack_t then brackets a itself. */
static bool looks_like_frame(struct ld_tracer *tr, uint64_t a, const uint64_t *words, size_t k,
			     size_t n)
{
	uint64_t w = words[k], size;
	if (w > a || a - w >= ALT_STACK_MAX || a < UC_SS_SP)
		return false;
	size_t ks = k + (UC_SS_SIZE - UC_SS_SP) / 8;
	if (ks < n)
		size = words[ks];
	else if (inj_read(&tr->inj, a + (UC_SS_SIZE - UC_SS_SP), &size, 8) < 0)
		return false;
	return size >= 2048 && size <= ALT_STACK_MAX && a < w + size;
}

/* The frame whose uc_stack.ss_sp is at a: the interrupted context's rip
 * counts as the thread's, and its stack is searched too (the frames of
 * the normal stack, hidden under a handler on the alternate one). A word
 * that only looked like a frame costs a search more, never a patch less.
 * 1: something could not be searched. */
static int follow_frame(struct ld_tracer *tr, struct stack_scan *sc, uint64_t a)
{
	uint64_t f[2]; /* rsp, rip */
	if (sc->frames_left <= 0)
		return 1; /* more than we follow: not searched whole */
	if (inj_read(&tr->inj, a - UC_SS_SP + UC_RSP, f, sizeof(f)) < 0 ||
	    !hx_vmas_find(sc->m, f[0]))
		return 0; /* (a frame would be readable, its rsp mapped: not one) */
	sc->frames_left--;
	return scan_context(tr, sc, f[1], f[0]);
}

/* Every word of the stack from sp to the end of its mapping, then the
 * stacks of the signal frames found there. 1: something could not be
 * searched whole (unreadable, or in a mapping of over STACK_SCAN_MAX
 * above sp). */
static int scan_from(struct ld_tracer *tr, struct stack_scan *sc, uint64_t sp)
{
	const struct hx_vma *v = hx_vmas_find(sc->m, sp);
	if (!v)
		return 1;
	if (v->end - sp > STACK_SCAN_MAX)
		return 1; /* (a stack in a huge mapping: not searched whole) */
	int unknown = 0;
	for (uint64_t a = sp & ~(uint64_t)7; a < v->end; a += SCAN_CHUNK) {
		size_t len = v->end - a < SCAN_CHUNK ? v->end - a : SCAN_CHUNK, nc = 0;
		uint64_t frames[MAX_SIG_FRAMES];
		if (inj_read(&tr->inj, a, sc->buf, len) < 0)
			return 1;
		for (size_t k = 0; k < len / 8; k++) {
			mark_held(sc->at, sc->n, sc->hit, sc->buf[k]);
			if (!looks_like_frame(tr, a + 8 * k, sc->buf, k, len / 8))
				continue;
			if (nc < MAX_SIG_FRAMES)
				frames[nc++] = a + 8 * k;
			else
				unknown = 1; /* more than we follow: not searched whole */
		}
		/* (after the chunk: following a frame reuses the buffer) */
		for (size_t i = 0; i < nc; i++)
			unknown |= follow_frame(tr, sc, frames[i]);
	}
	return unknown;
}

/* Is a thread's context (a thread's registers, or those a signal frame
 * saved) in one of the patches: its instruction pointer (or 2 before it,
 * where a system call is restarted), or a word of its stack from the
 * stack pointer up (return addresses, and the saved registers of a signal
 * frame), and, under a handler that runs on an alternate stack, the same
 * for the context it interrupted? Each patch found is marked. 1: a stack
 * could not be searched whole. */
static int scan_context(struct ld_tracer *tr, struct stack_scan *sc, uint64_t rip, uint64_t sp)
{
	mark_held(sc->at, sc->n, sc->hit, rip);
	mark_held(sc->at, sc->n, sc->hit, rip - 2);
	return scan_from(tr, sc, sp);
}

/* Before layout group gi writes its patches (every thread held): each
 * patch a thread stands in, or may return into, is left out. */
static int patches_in_use(struct ld_tracer *tr, struct held *h, uint32_t gi, struct hx_err *e)
{
	const struct hx_plan *p = &tr->pl.plan;
	const struct hx_plan_group *g = &p->groups[gi];
	uint64_t *at = calloc(g->n_steps ? g->n_steps : 1, sizeof(*at));
	bool *hit = calloc(g->n_steps ? g->n_steps : 1, sizeof(*hit));
	uint64_t *buf = malloc(SCAN_CHUNK);
	size_t n = 0;
	struct hx_vmas m = {0};
	int r = at && hit && buf ? hx_vmas_read(tr->pid, false, &m, e)
				 : hx_fail(e, -ENOMEM, "out of memory");
	for (uint32_t k = 0; r == 0 && k < g->n_steps; k++)
		if (p->steps[g->first_step + k].op == HX_OP_PATCH)
			at[n++] = p->steps[g->first_step + k].a[0];
	if (r == 0)
		qsort(at, n, sizeof(*at), hx_cmp_u64);
	bool unknown = false; /* a thread that could not be searched whole */
	for (size_t i = 0; r == 0 && i < h->n; i++) {
		struct user_regs_struct regs = tr->inj.regs; /* the leader's own, as saved */
		if (h->tid[i] != tr->pid && ptrace(PTRACE_GETREGS, h->tid[i], NULL, &regs) < 0) {
			unknown |= errno != ESRCH; /* (ESRCH: gone) */
			continue;
		}
		struct stack_scan sc = {.at = at, .n = n, .hit = hit, .m = &m, .buf = buf,
					.frames_left = MAX_SIG_FRAMES};
		unknown |= scan_context(tr, &sc, regs.rip, regs.rsp) == 1;
	}
	/* (a thread that could not be searched whole: none of them) */
	if (r == 0 && skip_marked(&tr->out, at, n, hit, unknown) < 0)
		r = hx_fail(e, -ENOMEM, "out of memory");
	hx_vmas_free(&m);
	free(buf);
	free(hit);
	free(at);
	return r;
}

/* apply.c's hold (tracer.h): every thread held, then for the first swap
 * the plan's ranges as they were, for a layout group its patches no
 * thread is in. */
static int hold(struct ld_tracer *tr, void *ctx, int gi, struct hx_err *e)
{
	struct held *h = ctx;
	if (!h->all_since_ns) {
		h->all_since_ns = hx_now_ns();
		int r = hold_all(tr->pid, h, e);
		if (h->n > h->most)
			h->most = h->n;
		if (r < 0)
			return r;
	}
	return gi < 0 ? plan_ranges_unchanged(tr, e) : patches_in_use(tr, h, (uint32_t)gi, e);
}

/* apply.c's let_go: after a layout group, the others run on while the
 * text is copied. */
static void let_go(struct ld_tracer *tr, void *ctx)
{
	struct held *h = ctx;
	if (!h->all_since_ns)
		return;
	release_others(h, tr->pid);
	h->tid[0] = tr->pid;
	h->n = 1;
	h->all_ns += hx_now_ns() - h->all_since_ns;
	h->all_since_ns = 0;
}

/* Let everything go: the leader through the tracer (registers, mask),
 * the others as they were. */
static int release_all(struct ld_tracer *tr, struct held *h, struct hx_err *e)
{
	int r = tr->inj.saved ? ld_release(tr, e) : (ptrace(PTRACE_DETACH, tr->pid, NULL, NULL), 0);
	release_others(h, tr->pid);
	return r;
}

/* Is the process pid, as a whole, one we may and can attach to? */
static int precheck(pid_t pid, struct hx_err *e)
{
	char exe[4096], buf[300], st[64];
	int r = hx_proc_exe(pid, exe, sizeof(exe));
	if (r == -ENOENT)
		return hx_fail(e, -ESRCH, "no such process");
	if (r < 0)
		return hx_fail(e, r, "cannot see its executable: %s", strerror(-r));
	unsigned long long tracer = 0;
	snprintf(st, sizeof(st), "/proc/%d/status", (int)pid);
	if (hx_status_number(st, "TracerPid", 10, &tracer) == 0 && tracer)
		return hx_fail(e, -EBUSY, "it is already traced by process %llu", tracer);
	const char *why = ld_precheck(exe, true, buf, sizeof(buf));
	if (why && strstr(why, "32-bit"))
		return hx_fail(e, -ENOEXEC, "%s", why);
	return 0;
}

/* ---- the undo record ------------------------------------------------------ */

struct undo_region {
	uint64_t addr, len, off;
	unsigned dev_major, dev_minor;
	unsigned long long inode;
	long long size, mtime_s;
	long mtime_ns;
	bool patched;   /* pages of the file's own mapping holding entry patches */
	char *path;
	char *line;     /* as written */
};

/* An undo record: its regions and patched pages, its islands. */
struct undo_rec {
	struct undo_region *r;
	size_t n, cap;
	unsigned islands;
	uint64_t island_bytes;
	char **island_lines;
	bool attached;          /* its state line: still in force */
};

static void undo_rec_free(struct undo_rec *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->r[i].path);
		free(u->r[i].line);
	}
	for (unsigned i = 0; i < u->islands; i++)
		free(u->island_lines[i]);
	free(u->island_lines);
	free(u->r);
	memset(u, 0, sizeof(*u));
}

/* One line of the record into u; 0, or -ENOMEM. */
static int undo_line(struct undo_rec *u, const char *line)
{
	struct undo_region x = {0};
	int at = 0;
	char kind[10];
	uint64_t ia, il;
	if (strcmp(line, "state attached\n") == 0) {
		u->attached = true;
		return 0;
	}
	if (sscanf(line, "island %" SCNx64 " %" SCNx64, &ia, &il) == 2) {
		char **nl = realloc(u->island_lines, (u->islands + 1) * sizeof(*nl));
		if (!nl || !(nl[u->islands] = strdup(line))) {
			if (nl)
				u->island_lines = nl;
			return -ENOMEM;
		}
		u->island_lines = nl;
		u->islands++;
		u->island_bytes += il;
		return 0;
	}
	if (sscanf(line, "%9s %" SCNx64 " %" SCNx64 " %" SCNx64 " %u %u %llu %lld %lld.%ld %n",
		   kind, &x.addr, &x.len, &x.off, &x.dev_major, &x.dev_minor, &x.inode, &x.size,
		   &x.mtime_s, &x.mtime_ns, &at) < 10 || !at ||
	    (strcmp(kind, "region") != 0 && strcmp(kind, "patched") != 0))
		return 0; /* (the header, the state, a line of a later version) */
	x.patched = strcmp(kind, "patched") == 0;
	if (hx_grow((void **)&u->r, u->n, &u->cap, sizeof(*u->r)) < 0)
		return -ENOMEM;
	x.path = strndup(line + at, strcspn(line + at, "\n"));
	x.line = strdup(line);
	if (!x.path || !x.line) {
		free(x.path);
		free(x.line);
		return -ENOMEM;
	}
	u->r[u->n++] = x;
	return 0;
}

/* The record of pid. -ENOENT: none; -EPERM: not one of ours. */
/* Is there an undo record of pid, written since it started (not one of
 * an earlier process with the same PID)? */
static bool record_current(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), LD_UNDO_PATH_FMT, (int)pid);
	struct stat st;
	struct ld_facts f = {0};
	ld_facts_started(pid, &f);
	return stat(path, &st) == 0 &&
	       !(f.owner.started_ns &&
		 (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec < f.owner.started_ns);
}

static int read_undo(pid_t pid, struct undo_rec *u)
{
	char path[64], line[4400];
	snprintf(path, sizeof(path), LD_UNDO_PATH_FMT, (int)pid);
	memset(u, 0, sizeof(*u));
	/* /tmp is everyone's: a record someone else put there (or linked
	 * there) would have us map the files it names over this process */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	int r = 0;
	if (!fgets(line, sizeof(line), f) || strcmp(line, "hugexec-undo 1\n") != 0)
		r = -EINVAL;
	while (r == 0 && fgets(line, sizeof(line), f))
		r = undo_line(u, line);
	fclose(f);
	if (r < 0)
		undo_rec_free(u);
	return r;
}

/* One line of the undo record: [addr, addr+len) of v's file, at off. */
static void put_range(FILE *f, const char *kind, const struct ld_tracer *tr,
		      const struct hx_vma *v, uint64_t addr, uint64_t len, uint64_t off)
{
	struct stat st = {0};
	for (size_t k = 0; k < tr->pl.n_files; k++)
		if (hx_vma_of_file(v, tr->pl.files[k].dev_major, tr->pl.files[k].dev_minor,
				   tr->pl.files[k].inode))
			(void)fstat(tr->pl.files[k].fd, &st);
	if (!st.st_ino)
		return;
	fprintf(f, "%s %#llx %#llx %#llx %u %u %llu %lld %lld.%09ld %s\n", kind,
		(unsigned long long)addr, (unsigned long long)len, (unsigned long long)off,
		v->dev_major, v->dev_minor, (unsigned long long)v->inode, (long long)st.st_size,
		(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, v->path);
}

/* Does the region now hold a copy (the record names it; its undo drops
 * the patches in it)? */
static bool holds_copy(const struct ld_region_result *r)
{
	return !r->island && r->backing != HX_BACK_NONE && r->backing != HX_BACK_FILE;
}

static bool in_copy(const struct ld_tracer *tr, uint64_t addr)
{
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		if (holds_copy(r) && addr >= r->addr && addr < r->addr + r->len)
			return true;
	}
	return false;
}

/* The layout groups' islands, and the pages of their entry patches
 * outside the copies: still the file's mapping, with private pages that
 * the undo maps the file over. */
static void put_layout(FILE *f, const struct ld_tracer *tr)
{
	const struct hx_plan *p = &tr->pl.plan;
	uint64_t *pg = calloc(2 * (size_t)p->n_steps + 1, sizeof(*pg));
	size_t n = 0;
	for (uint32_t g = 0; g < p->n_groups; g++) {
		if (!(p->groups[g].flags & HX_GROUP_LAYOUT) || tr->out.groups[g].state != LD_G_OK)
			continue;
		fprintf(f, "island %#llx %#llx\n", (unsigned long long)p->groups[g].addr,
			(unsigned long long)p->groups[g].len);
		for (uint32_t k = 0; pg && k < p->groups[g].n_steps; k++) {
			const struct hx_plan_step *s = &p->steps[p->groups[g].first_step + k];
			if (s->op != HX_OP_PATCH || ld_patch_skipped(&tr->out, s->a[0]))
				continue;
			pg[n++] = s->a[0] & ~(HX_PAGE - 1);
			pg[n++] = (s->a[0] + 4) & ~(HX_PAGE - 1); /* (across a page boundary) */
		}
	}
	if (pg)
		qsort(pg, n, sizeof(*pg), hx_cmp_u64);
	/* each page once, only those still the file's mapping */
	size_t k = 0;
	for (size_t i = 0; pg && i < n; i++) {
		const struct hx_vma *v = hx_vmas_find(&tr->pl.vmas, pg[i]);
		if ((k == 0 || pg[i] != pg[k - 1]) && !in_copy(tr, pg[i]) && v &&
		    v->kind == HX_VMA_FILE)
			pg[k++] = pg[i];
	}
	for (size_t i = 0; i < k;) { /* one line for a run of pages of one mapping */
		const struct hx_vma *v = hx_vmas_find(&tr->pl.vmas, pg[i]);
		uint64_t start = pg[i], end = start + HX_PAGE;
		for (i++; i < k && pg[i] == end && pg[i] < v->end; i++)
			end += HX_PAGE;
		put_range(f, "patched", tr, v, start, end - start, v->offset + (start - v->start));
	}
	free(pg);
}

struct undo_ctx {
	const struct ld_tracer *tr;
	const struct undo_rec *earlier; /* an earlier attach's, not undone (or NULL) */
};

/* The undo record: what was swapped or patched, and its files' identity. */
static void undo_body(FILE *f, const void *ctx)
{
	const struct undo_ctx *c = ctx;
	const struct ld_tracer *tr = c->tr;
	fprintf(f, "hugexec-undo 1\nstate attached\n");
	/* an earlier attach's regions, not undone yet: undo puts them back too */
	for (size_t i = 0; c->earlier && i < c->earlier->n; i++)
		fputs(c->earlier->r[i].line, f);
	for (unsigned i = 0; c->earlier && i < c->earlier->islands; i++)
		fputs(c->earlier->island_lines[i], f);
	const struct hx_plan *p = &tr->pl.plan;
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		const struct hx_vma *v = hx_vmas_find(&tr->pl.vmas, r->addr);
		if (!holds_copy(r) || !v)
			continue; /* (a file-backed region is the file's already) */
		uint64_t off = 0;
		for (uint32_t g = 0; g < p->n_groups; g++)
			if (p->groups[g].addr == r->addr)
				off = p->groups[g].file_offset;
		put_range(f, "region", tr, v, r->addr, r->len, off);
	}
	put_layout(f, tr);
}

static int write_undo(const struct ld_tracer *tr, const struct undo_rec *earlier,
		      struct hx_err *e)
{
	char path[64];
	snprintf(path, sizeof(path), LD_UNDO_PATH_FMT, (int)tr->pid);
	const struct undo_ctx c = {tr, earlier};
	return hx_write_replace(path, 0600, undo_body, &c, e);
}

/* What attach did, once the process runs again: r the plan's outcome
 * (e why it stopped), failure what fell short, undo_err why the undo
 * record could not be written, done whether anything is in place. */
static void report_attach(const struct ld_tracer *tr, const char *name, int r,
			  const struct hx_err *e, const char *failure, const char *undo_err, bool done)
{
	const struct ld_opts *o = tr->o;
	int pid = (int)tr->pid;
	char why[700];
	if (r == -ESRCH)
		fprintf(stderr, "hugexec attach: %d: %s; it has exited\n", pid, e->msg);
	else if (r < 0)
		fprintf(stderr, "hugexec attach: %d: %s; %s\n", pid, e->msg, done
			? "stopped there: what was done stays (hugexec undo puts it back)"
			: "it runs on unchanged");
	if (undo_err)
		fprintf(stderr, "hugexec attach: %d: %s (undo will not know this process)\n", pid,
			undo_err);
	if (o->verbose && r != -ESRCH)
		ld_report_summary(stderr, name, tr);
	if (failure)
		fprintf(stderr, "hugexec attach: %d: %s\n", pid, failure);
	if (ld_layout_failure(tr, why, sizeof(why)))
		fprintf(stderr, "hugexec attach: %d: %s\n", pid, why);
	if (done && tr->out.unregistered && o->verbose)
		fprintf(stderr, "hugexec attach: %d: layout: the program has not loaded libgcc_s, and "
			"hugexec loads no library into a running one: the island's unwind records are "
			"not registered (backtrace() stops at a moved frame)\n", pid);
	if (tr->out.n_skip && o->verbose)
		fprintf(stderr, "hugexec attach: %d: %zu function%s stay%s where %s: a thread "
			"stood in %s first bytes, or could return there\n", pid, tr->out.n_skip,
			tr->out.n_skip == 1 ? "" : "s", tr->out.n_skip == 1 ? "s" : "",
			tr->out.n_skip == 1 ? "it was" : "they were", tr->out.n_skip == 1 ? "its" : "their");
}

/* While threads are held, a Ctrl-C or a kill of hugexec would kill the
 * process too (PTRACE_O_EXITKILL, which must stay: a process between its
 * two mremaps cannot run), and a stop signal would leave it frozen. Such
 * signals (the launch's tracer ignores the same) wait until every thread
 * is let go; a write to a closed stderr fails with EPIPE meanwhile. */
static void defer_signals(sigset_t *old)
{
	static const int sigs[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE,
				   SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2};
	sigset_t s;
	sigemptyset(&s);
	for (size_t i = 0; i < HX_ARRAY_LEN(sigs); i++)
		sigaddset(&s, sigs[i]);
	sigprocmask(SIG_BLOCK, &s, old);
}

static const char attach_usage[] =
	"Usage: hugexec attach [OPTIONS] PID\n"
	"Give a running process the launch's treatment: its text (and its large\n"
	"libraries') onto 2 MB pages, and with --profile its hot functions in an\n"
	"island; every thread is held only for the entry patches and the swap (-v\n"
	"says how long). Options as for a launch (--backing, --min-size, --only,\n"
	"--exclude, --strict, --profile, --layout, --move, -v, --dry-run). `hugexec undo\n"
	"PID` puts the file-backed text back. Exit status: 0 done, 1 refused or\n"
	"failed (the process runs on unchanged), 2 usage.\n";

int ld_attach_main(int argc, char **argv)
{
	struct ld_opts o;
	struct hx_err e = {0};
	if (ld_cli_parse(argc, argv, &o, &e) < 0) {
		fprintf(stderr, "hugexec attach: %s\n", e.msg);
		return 2;
	}
	pid_t pid;
	if (o.help || o.cmd_index != argc - 1 || ld_status_parse_pid(argv[o.cmd_index], &pid) < 0) {
		ld_cli_free(&o);
		if (o.help) {
			fputs(attach_usage, stdout);
			return 0;
		}
		fprintf(stderr, "hugexec attach: give one PID\nTry 'hugexec attach --help'.\n");
		return 2;
	}
	o.follow_ms = 0;
	int rc = 1;
	bool applied = false;     /* the plan ran (some of it may be in place) */
	const char *failure = NULL;
	bool undo_ok = true;
	struct hx_err ue = {0};
	uint64_t huge = 0, planned = 0;
	bool moved = false;
	if (precheck(pid, &e) < 0) {
		fprintf(stderr, "hugexec attach: %d: %s\n", (int)pid, e.msg);
		ld_cli_free(&o);
		return 1;
	}
	/* an earlier attach's record, still in force: kept in ours */
	struct undo_rec earlier = {0};
	bool have_earlier = record_current(pid) && read_undo(pid, &earlier) == 0 && earlier.attached;
	struct held h = {0};
	struct ld_tracer tr;
	sigset_t mask;
	defer_signals(&mask);
	ld_tracer_init(&tr, pid, &o);
	ld_test_hooks_read(&tr); /* test builds only */
	tr.attached = true;
	tr.inj.restart_calls = true;
	tr.inj.call_timeout_ms = CALL_TIMEOUT_MS;
	tr.inj.save_xstate = true;
	tr.holds = (struct ld_holds){.hold = hold, .let_go = let_go, .ctx = &h};
	char name[32];
	snprintf(name, sizeof(name), "%d", (int)pid);
	int r = hold_leader(pid, &h, &e);
	struct user_regs_struct regs;
	if (r == 0 && (r = ld_pt(&tr, PTRACE_GETREGS, NULL, &regs)) < 0)
		hx_fail(&e, r, "reading registers: %s", strerror(-r));
	if (r == 0 && regs.cs != USER_CS_64)
		r = hx_fail(&e, -ENOEXEC, "32-bit process: only x86-64 code is remapped");
	if (r == 0)
		r = ld_stop_read_auxv(&tr, &e); /* (the entry stop's facts, long after it) */
	tr.t.entry_ns = hx_now_ns();
	if (r == 0)
		r = ld_plan_get(&tr, &e);
	if (r == 0 && tr.pl.have_plan && (o.dry_run || o.verbose >= 2)) {
		ld_report_plan(stderr, name, &tr.pl.plan);
		ld_report_notes(stderr, name, &tr.pl.plan);
	}
	/* the layout finds functions in their files' mappings: not in the
	 * copies an earlier attach made */
	bool copied = false;
	for (size_t i = 0; have_earlier && i < earlier.n; i++)
		copied |= !earlier.r[i].patched;
	if (copied && r == 0 && !o.layout_off && (tr.pl.profile_path[0] || o.move_all))
		fprintf(stderr, "hugexec attach: %d: an earlier attach copied text, whose functions "
			"are not laid out (hugexec undo %d first)\n", (int)pid, (int)pid);
	/* the layout as planned: what moves, what stays and why */
	if (r == 0 && tr.pl.have_plan && tr.pl.plan.layout_str != HX_NO_STR && (o.dry_run || o.verbose))
		ld_report_lines(stderr, name, "", hx_plan_str(&tr.pl.plan, tr.pl.plan.layout_str));
	if (r == 0 && (!tr.pl.have_plan || tr.pl.plan.n_groups == 0 || o.dry_run)) {
		const struct hx_plan *p = &tr.pl.plan;
		bool no_way = tr.pl.have_plan && p->reason_str != HX_NO_STR; /* text, but no pages */
		if (!o.dry_run)
			fprintf(stderr, "hugexec attach: %d: %s: %s\n", (int)pid,
				no_way ? "no huge pages" : "nothing to remap",
				no_way ? hx_plan_str(p, p->reason_str) : tr.pl.none_why[0] ? tr.pl.none_why
				: "every executable mapping was left alone");
		rc = no_way ? 1 : 0;
		goto out;
	}
	if (r == 0)
		r = ld_apply(&tr, &e);
	tr.t.done_ns = hx_now_ns();
	if (r == -ENOTRECOVERABLE) {
		fprintf(stderr, "hugexec attach: %d: %s; could not restore the process, killing it\n",
			(int)pid, e.msg);
		kill(pid, SIGKILL);
		release_others(&h, pid);
		goto done;
	}
	/* what is in place (also after a failure: the groups done stay) */
	if (r != -ESRCH && tr.out.regions) {
		ld_totals(&tr, &huge, &planned);
		moved = ld_layout_totals(&tr).islands != 0; /* (functions in an island) */
	}
	undo_ok = !(huge || moved) || write_undo(&tr, have_earlier ? &earlier : NULL, &ue) == 0;
	char why[700];
	failure = r < 0 ? NULL : ld_first_failure(&tr, why, sizeof(why));
	rc = (huge || moved) && r == 0 && !(failure && o.strict) ? 0 : 1;
	applied = true;
out:;
	int rel = release_all(&tr, &h, &e);
	uint64_t released = hx_now_ns();
	if (rel == -ENOTRECOVERABLE) {
		fprintf(stderr, "hugexec attach: %d: %s; could not restore the process, killing it\n",
			(int)pid, e.msg);
		kill(pid, SIGKILL);
		rc = 1;
	} else if (rc == 0 && o.perf_map && ld_perfmap_wanted(&tr)) {
		/* perf's names for the copies, now that the process runs on */
		struct ld_pm_report pm;
		ld_facts_started(pid, &tr.pl.facts);
		ld_perfmap_run(&tr, "/tmp", &pm);
		for (size_t i = 0; i < pm.n; i++)
			if (o.verbose >= pm.msg[i].level)
				fprintf(stderr, "hugexec attach: %d: perf map: %s\n", (int)pid,
					pm.msg[i].text);
		ld_pm_report_free(&pm);
	}
	if (applied) /* (said once every thread runs again) */
		report_attach(&tr, name, r, &e, failure, !undo_ok ? ue.msg : NULL, huge || moved);
	if (rc == 0 && o.verbose) {
		uint64_t all = h.all_ns + (h.all_since_ns ? released - h.all_since_ns : 0);
		if (all)
			fprintf(stderr, "hugexec attach: %d: all %zu thread%s held for %.1f ms (%s), "
				"the main thread for %.1f ms (the copy too)\n", (int)pid, h.most,
				h.most == 1 ? "" : "s", (double)all / 1e6,
				!tr.holds.swapping ? "the patches" : h.all_ns ? "the patches and the swap"
				: "the swap",
				(double)(released - h.since_ns) / 1e6);
		else
			fprintf(stderr, "hugexec attach: %d: the main thread held for %.1f ms, the "
				"others not at all\n", (int)pid, (double)(released - h.since_ns) / 1e6);
	}
done:
	free(h.tid);
	undo_rec_free(&earlier);
	ld_tracer_free(&tr);
	ld_cli_free(&o);
	sigprocmask(SIG_SETMASK, &mask, NULL); /* (a deferred signal ends us here) */
	return rc;
}

/* ---- undo ---------------------------------------------------------------- */

const char *ld_undo_state(pid_t pid)
{
	char path[64], *text;
	snprintf(path, sizeof(path), LD_UNDO_PATH_FMT, (int)pid);
	if (!record_current(pid))
		return NULL;
	if (hx_read_file(path, MAX_RECORD, &text, NULL) < 0)
		return NULL;
	const char *state = strstr(text, "\nstate undone") ? "undone"
			    : strstr(text, "\nstate attached") ? "attached" : NULL;
	free(text);
	return state;
}

static void put_text(FILE *f, const void *text)
{
	fputs(text, f);
}

/* 0, or -errno: status then still says attached */
static int mark_undone(pid_t pid)
{
	char path[64], *text;
	snprintf(path, sizeof(path), LD_UNDO_PATH_FMT, (int)pid);
	int r = hx_read_file(path, MAX_RECORD, &text, NULL);
	if (r < 0)
		return r;
	char *st = strstr(text, "state attached\n");
	if (st)
		memcpy(st, "state undone  \n", 15);
	struct hx_err ignored;
	r = hx_write_replace(path, 0600, put_text, text, &ignored);
	free(text);
	return r;
}

/* Is the file at u->path still the one that was mapped? */
static const char *changed(const struct undo_region *u)
{
	struct stat st;
	if (stat(u->path, &st) != 0)
		return "it is gone";
	if (major(st.st_dev) != u->dev_major || minor(st.st_dev) != u->dev_minor ||
	    st.st_ino != u->inode)
		return "another file is there now";
	if (st.st_size != u->size || st.st_mtim.tv_sec != u->mtime_s ||
	    st.st_mtim.tv_nsec != u->mtime_ns)
		return "it was modified";
	return NULL;
}

/* The file mapped back over one region, by the target itself. 0 done,
 * 1 refused (said in why), <0 the injection broke. */
static int map_back(struct ld_tracer *tr, const struct undo_region *u, char *why, size_t n,
		    struct hx_err *e)
{
	uint64_t data = tr->inj.data_page;
	int64_t fd, res;
	size_t plen = strlen(u->path) + 1;
	int r;
	if (plen > HX_PAGE) {
		snprintf(why, n, "its path is too long");
		return 1;
	}
	if ((r = inj_write(&tr->inj, data, u->path, plen)) < 0)
		return hx_fail(e, r, "writing to the process: %s", strerror(-r));
	const uint64_t open_a[6] = {(uint64_t)AT_FDCWD, data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW};
	if ((r = inj_syscall(&tr->inj, SYS_openat, open_a, &fd, e)) < 0)
		return r;
	if (fd < 0) {
		snprintf(why, n, "the process cannot open it: %s", strerror((int)-fd));
		return 1;
	}
	struct stat st;
	int ok = 0;
	const uint64_t fstat_a[6] = {(uint64_t)fd, data};
	if ((r = inj_syscall(&tr->inj, SYS_fstat, fstat_a, &res, e)) == 0 && res == 0 &&
	    inj_read(&tr->inj, data, &st, sizeof(st)) == 0 && st.st_ino == u->inode &&
	    major(st.st_dev) == u->dev_major && minor(st.st_dev) == u->dev_minor)
		ok = 1;
	if (r == 0 && ok)
		r = inj_syscall(&tr->inj, SYS_mmap, (const uint64_t[6]){u->addr, u->len, PROT_READ |
				PROT_EXEC, MAP_PRIVATE | MAP_FIXED, (uint64_t)fd, u->off}, &res, e);
	int64_t cres;
	const uint64_t close_a[6] = {(uint64_t)fd};
	int r2 = inj_syscall(&tr->inj, SYS_close, close_a, &cres, e);
	if (r < 0 || r2 < 0)
		return r < 0 ? r : r2;
	if (!ok) {
		snprintf(why, n, "the process opened another file there");
		return 1;
	}
	if ((uint64_t)res != u->addr) {
		snprintf(why, n, "mmap: %s", strerror((int)-res));
		return 1;
	}
	return 0;
}

int ld_undo_main(int argc, char **argv)
{
	pid_t pid;
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs("Usage: hugexec undo PID\nPut back the file-backed text of a process that "
		      "`hugexec attach` changed (its\nhot islands, if any, stay). Exit status: 0 done, "
		      "1 refused or failed, 2 usage.\n", stdout);
		return 0;
	}
	if (argc != 2 || ld_status_parse_pid(argv[1], &pid) < 0) {
		fprintf(stderr, "hugexec undo: give one PID\n");
		return 2;
	}
	struct undo_rec rec;
	struct hx_err e = {0};
	int r = read_undo(pid, &rec);
	if (r == 0 && (r = precheck(pid, &e)) < 0) {
		fprintf(stderr, "hugexec undo: %d: %s\n", (int)pid, e.msg);
		undo_rec_free(&rec);
		return 1;
	}
	struct undo_region *u = rec.r;
	size_t n = rec.n;
	if (r < 0) {
		fprintf(stderr, "hugexec undo: %d: %s\n", (int)pid,
			r == -ENOENT ? "no record of an attach (undo puts back what hugexec attach "
				       "changed)"
			: r == -EPERM ? "its undo record was not written by this user (or may be "
					"written by others): not used"
				      : strerror(-r));
		return 1;
	}
	struct ld_opts o;
	ld_cli_defaults(&o);
	struct held h = {0};
	struct ld_tracer tr;
	sigset_t mask;
	defer_signals(&mask);
	ld_tracer_init(&tr, pid, &o);
	tr.attached = true;
	tr.inj.restart_calls = true;
	struct hx_vmas m = {0};
	int rc = 0, done = 0;
	h.since_ns = hx_now_ns();
	r = hold_all(pid, &h, &e);
	if (r == 0 && !holds(&h, pid))
		r = hx_fail(&e, -ESRCH, "its main thread has exited");
	if (r == 0)
		r = hx_vmas_read(pid, false, &m, &e);
	struct inj_range *avoid = calloc(n ? n : 1, sizeof(*avoid));
	for (size_t i = 0; avoid && i < n; i++)
		avoid[i] = (struct inj_range){u[i].addr, u[i].len};
	if (r == 0 && !avoid)
		r = hx_fail(&e, -ENOMEM, "out of memory");
	if (r == 0)
		r = inj_save(&tr.inj, &e);
	if (r == 0)
		r = inj_scratch_setup(&tr.inj, &m, avoid, n, &e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct hx_vma *v = hx_vmas_find(&m, u[i].addr);
		if (v && v->kind == HX_VMA_FILE && v->inode == u[i].inode && !u[i].patched)
			continue; /* the file's already */
		char why[200];
		const char *ch = changed(&u[i]);
		int k = ch ? 1 : map_back(&tr, &u[i], why, sizeof(why), &e);
		if (k < 0) {
			r = k;
			break;
		}
		if (k == 1) {
			fprintf(stderr, "hugexec undo: %d: %s: %s; its copy at %#llx stays\n", (int)pid,
				u[i].path, ch ? ch : why, (unsigned long long)u[i].addr);
			rc = 1;
			continue;
		}
		done++;
	}
	struct hx_err te;
	if (tr.inj.data_page && inj_scratch_teardown(&tr.inj, &te) < 0)
		fprintf(stderr, "hugexec undo: %d: could not unmap the 4 KB scratch page\n", (int)pid);
	if (r < 0) {
		fprintf(stderr, "hugexec undo: %d: %s\n", (int)pid, e.msg);
		rc = 1;
	}
	if (release_all(&tr, &h, &e) == -ENOTRECOVERABLE) {
		fprintf(stderr, "hugexec undo: %d: %s; could not restore the process, killing it\n",
			(int)pid, e.msg);
		kill(pid, SIGKILL);
		rc = 1;
	} else if (r == 0 && rc == 0) {
		(void)mark_undone(pid);
	}
	if (r == 0)
		fprintf(stderr, "hugexec undo: %d: %d region%s back on %s file%s; %zu thread%s held "
			"for %.1f ms\n", (int)pid, done, done == 1 ? "" : "s", done == 1 ? "its" : "their",
			done == 1 ? "" : "s", h.n, h.n == 1 ? "" : "s",
			(double)(hx_now_ns() - h.since_ns) / 1e6);
	if (r == 0 && rec.islands)
		fprintf(stderr, "hugexec undo: %d: its hot island%s (%llu KB) stay%s mapped, no longer "
			"entered: a thread may still return into %s\n", (int)pid,
			rec.islands > 1 ? "s" : "", (unsigned long long)(rec.island_bytes >> 10),
			rec.islands > 1 ? "" : "s", rec.islands > 1 ? "them" : "it");
	hx_vmas_free(&m);
	free(avoid);
	free(h.tid);
	undo_rec_free(&rec);
	ld_tracer_free(&tr);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	return rc;
}

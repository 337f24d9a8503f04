/*
 * apply.c - run a validated plan inside the stopped target, one group at a
 * time, with an undo log.
 *
 * Every step that changes the address space pushes its inverse (mmap ->
 * munmap, mremap a->b -> mremap b->a). A required step that fails replays
 * the log backwards, which puts the original text back where it was (it
 * was only moved aside), and the group counts as failed so that its
 * alternative, if any, runs next. Optional steps (populate, collapse,
 * naming, the final unmap of the old copy) may fail without rollback.
 * If an undo itself fails the target cannot be trusted to run: the caller
 * gets -ENOTRECOVERABLE and must not let it go.
 * Must never: write into a region after it went huge (verification only
 * reads), or keep going after an injection error.
 */
#define _GNU_SOURCE
#include "tracer.h"
#include "apply.h"
#include "testhooks.h"
#include "verify.h"
#include "../common/x86.h"
#include "unwind.h"
#include "../common/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#define COLLAPSE_TRIES 3 /* MADV_COLLAPSE may say EAGAIN: try again */
#define COPY_CHUNK ((size_t)2 << 20)

struct undo {
	uint32_t op; /* HX_OP_MUNMAP, HX_OP_MREMAP, or HX_OP_EH_REGISTER */
	uint64_t a[3];
};

/* An entry patch and the bytes it replaced. */
struct undo_patch {
	uint64_t at;
	uint8_t old[5];
};

struct undo_log {
	struct undo u[HX_PLAN_MAX_UNDO];
	size_t n;
	/* a layout's patches: one per moved function, so not in u[] */
	struct undo_patch *patches;
	size_t n_patches, cap_patches;
};

/* The validator bounds a group's entries; a full log is still an error
 * (the step is then undone at once by the caller), never a silent drop. */
static int push(struct undo_log *l, uint32_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	if (l->n == HX_ARRAY_LEN(l->u))
		return -E2BIG;
	l->u[l->n++] = (struct undo){op, {a0, a1, a2}};
	return 0;
}

/* One injected syscall. Returns <0 if the injection broke; *res is the
 * syscall's own result. */
static int sys(struct ld_tracer *tr, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, int64_t *res, struct hx_err *e)
{
	const uint64_t a[6] = {a0, a1, a2, a3, a4, 0};
	return inj_syscall(&tr->inj, nr, a, res, e);
}

static int tracer_copy(struct ld_tracer *tr, uint64_t dst, uint64_t src, uint64_t len)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	int r = 0;
	for (uint64_t off = 0; off < len && r == 0; off += COPY_CHUNK) {
		size_t n = (size_t)(len - off < COPY_CHUNK ? len - off : COPY_CHUNK);
		r = inj_read(&tr->inj, src + off, buf, n);
		if (r == 0 && (r = inj_write(&tr->inj, dst + off, buf, n)) == -EFAULT)
			r = inj_poke(&tr->inj, dst + off, buf, n); /* r-x staging */
	}
	free(buf);
	return r;
}

static int evict(struct ld_tracer *tr, uint64_t addr, uint64_t len)
{
	const struct hx_vma *v = hx_vmas_find(&tr->pl.vmas, addr);
	if (!v)
		return -ENOENT;
	for (size_t i = 0; i < tr->pl.n_files; i++) {
		const struct ld_file *f = &tr->pl.files[i];
		if (hx_vma_of_file(v, f->dev_major, f->dev_minor, f->inode))
			return -posix_fadvise(f->fd, (off_t)(v->offset + (addr - v->start)),
					      (off_t)len, POSIX_FADV_DONTNEED);
	}
	return -ENOENT;
}

/* The target copies its own text: one pass, inside the kernel. */
static int self_copy(struct ld_tracer *tr, const uint64_t *a, int *step_err, struct hx_err *e)
{
	uint64_t data = tr->inj.data_page;
	struct iovec iov[2] = {{(void *)(uintptr_t)a[0], a[2]}, {(void *)(uintptr_t)a[1], a[2]}};
	int64_t res;
	int r = inj_write(&tr->inj, data, iov, sizeof(iov));
	if (r < 0)
		return hx_fail(e, r, "writing to the target's data page: %s", strerror(-r));
	r = sys(tr, SYS_process_vm_readv, (uint64_t)tr->pid, data, 1, data + sizeof(iov[0]), 1, &res, e);
	if (r == 0)
		*step_err = (res < 0 && res > -4096) ? (int)res : (uint64_t)res == a[2] ? 0 : -EIO;
	return r;
}

/* Is the file the target just opened (its fstat in the data page) the very
 * file of mapping v? */
static bool opened_is_mapped(struct ld_tracer *tr, const struct hx_vma *v)
{
	struct stat st;
	return inj_read(&tr->inj, tr->inj.data_page, &st, sizeof(st)) == 0 && S_ISREG(st.st_mode) &&
	       hx_vma_of_file(v, major(st.st_dev), minor(st.st_dev), st.st_ino);
}

/* Unmodified text: the target preads it from its own file (openat the
 * mapping's path, fstat to check it is the mapped file, pread, close). If
 * anything is in the way - no such path, another file there, a seccomp
 * filter - fall back to the self-copy: the same bytes either way. */
static int read_file(struct ld_tracer *tr, const uint64_t *a, int *step_err, struct hx_err *e)
{
	const struct hx_vma *v = hx_vmas_find(&tr->pl.vmas, a[1]);
	uint64_t data = tr->inj.data_page;
	size_t plen = v ? strlen(v->path) + 1 : 0;
	bool ok = v && v->kind == HX_VMA_FILE && !v->deleted && v->path[0] == '/' && plen <= HX_PAGE &&
		  hx_vma_clean(v) && !(tr->pl.facts.target_flags & HX_TGT_NO_FILE_READ);
	int64_t fd = -1, res;
	int r = 0;
	if (ok && (r = inj_write(&tr->inj, data, v->path, plen)) < 0)
		return hx_fail(e, r, "writing to the target's data page: %s", strerror(-r));
	if (ok && (r = sys(tr, SYS_openat, (uint64_t)AT_FDCWD, data,
			   O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0, 0, &fd, e)) < 0)
		return r;
	ok = ok && fd >= 0;
	if (ok && (r = sys(tr, SYS_fstat, (uint64_t)fd, data, 0, 0, 0, &res, e)) == 0)
		ok = res == 0 && opened_is_mapped(tr, v);
	if (ok && r == 0 && (r = sys(tr, SYS_pread64, (uint64_t)fd, a[0], a[2],
				    v->offset + (a[1] - v->start), 0, &res, e)) == 0)
		ok = (uint64_t)res == a[2];
	/* The program must not keep a descriptor of ours: close, and try again
	 * if that was refused (close only fails for a bad descriptor or EINTR,
	 * and fault injection fails exactly one call). */
	for (int tries = 0; fd >= 0 && tries < 2; tries++) {
		int r2 = sys(tr, SYS_close, (uint64_t)fd, 0, 0, 0, 0, &res, e);
		if (r2 < 0 || res == 0 || res == -EBADF)
			r = r ? r : r2, fd = -1;
	}
	if (r < 0)
		return r;
	if (fd >= 0)
		return hx_fail(e, -EIO, "could not close the descriptor opened in the program");
	if (ok) {
		*step_err = 0;
		return 0;
	}
	/* the slower way: populate the source so the copy does not fault
	 * 4 KB at a time on a cold page cache */
	const uint64_t pop[6] = {a[1], a[2], MADV_POPULATE_READ, 0, 0, 0};
	if ((r = inj_syscall(&tr->inj, SYS_madvise, pop, &res, e)) < 0)
		return r;
	return self_copy(tr, a, step_err, e);
}

/* A syscall result into the step's verdict; *ok_val is what success is. */
static int verdict(int64_t res, const uint64_t *ok_val)
{
	if (res < 0 && res > -4096)
		return (int)res;
	if (ok_val && (uint64_t)res != *ok_val)
		return -EEXIST;
	return 0;
}

/* Register the island's unwind records; the undo deregisters them. A call
 * that broke off (the target died, ptrace failed) is an injection error;
 * records refused or not found are the step's failure. */
static int eh_register(struct ld_tracer *tr, const uint64_t *a, struct undo_log *log,
		       int *step_err, struct hx_err *e)
{
	struct ld_unwind_reg reg;
	int r = ld_unwind_register(tr, a[0], a[1], a[2], a[3], &reg, e);
	if (r < 0 && reg.uncertain) {
		/* the unwinder may hold the records: they and the code they
		 * describe stay mapped (no patch is in yet: nothing runs there) */
		log->n = 0;
		tr->out.island_kept = true;
	}
	if (r == -ESRCH || r == -ENOTRECOVERABLE || r == -EPROTO)
		return r;
	if (r < 0) {
		*step_err = r;
		return 0;
	}
	if (reg.none) { /* (attach, no libgcc_s: unwind.h) */
		tr->out.unregistered = true;
		return 0;
	}
	/* (the object's page is unmapped after the deregistration: the log
	 * runs backwards) */
	if ((reg.object && (*step_err = push(log, HX_OP_MUNMAP, reg.object, HX_PAGE, 0)) < 0) ||
	    (*step_err = push(log, HX_OP_EH_REGISTER, reg.deregister, reg.blob, reg.trap)) < 0) {
		struct hx_err ignored;
		if (ld_unwind_deregister(tr, &reg, &ignored) < 0)
			return -ENOTRECOVERABLE;
	}
	return 0;
}

bool ld_patch_skipped_in(const struct ld_outcome *out, uint64_t lo, uint64_t hi)
{
	return hx_u64_in(out->skip, out->n_skip, lo, hi);
}

/* jmp rel32 at at to to, the replaced bytes kept for the undo. */
static int patch(struct ld_tracer *tr, uint64_t at, uint64_t to, struct undo_log *log)
{
	if (ld_patch_skipped(&tr->out, at))
		return 0; /* a thread stands in its bytes: the function stays home */
	if (hx_grow((void **)&log->patches, log->n_patches, &log->cap_patches,
		    sizeof(*log->patches)) < 0)
		return -ENOMEM;
	struct undo_patch *u = &log->patches[log->n_patches];
	uint8_t jmp[5];
	int r = hx_x86_jmp32(jmp, at, to);
	if (r == 0)
		r = inj_peek(&tr->inj, at, u->old, sizeof(u->old));
	if (r < 0)
		return r;
	/* logged before the write: a write that failed half-way (a patch
	 * across a page boundary) is undone with the others */
	u->at = at;
	log->n_patches++;
	return inj_poke(&tr->inj, at, jmp, sizeof(jmp));
}

/* A call whose result was lost (the injection broke at its exit: a wait or
 * a register read failed) may still have run. The undo log must know for
 * the two steps it records; the target's memory tells: a mapping where the
 * call puts one, none where it takes one away (the plan's targets were
 * free space, checked by the validator). */
static bool mapped(struct ld_tracer *tr, uint64_t addr)
{
	uint8_t b;
	return inj_peek(&tr->inj, addr, &b, 1) == 0;
}

static void log_if_it_ran(struct ld_tracer *tr, const struct hx_plan_step *s, struct undo_log *log)
{
	if (s->op == HX_OP_MMAP && mapped(tr, s->a[0]))
		(void)push(log, HX_OP_MUNMAP, s->a[0], s->a[1], 0);
	else if (s->op == HX_OP_MREMAP && mapped(tr, s->a[2]) && !mapped(tr, s->a[0]))
		(void)push(log, HX_OP_MREMAP, s->a[2], s->a[1], s->a[0]);
}

/* Returns <0 if the injection itself broke; *step_err is the step's result. */
static int run_step(struct ld_tracer *tr, const struct hx_plan_step *s, struct undo_log *log,
		    int *step_err, struct hx_err *e)
{
	int64_t res = 0;
	int r = 0;
	const uint64_t *a = s->a;
	uint64_t data = tr->inj.data_page;
	*step_err = 0;
	switch (s->op) {
	case HX_OP_MMAP:
		r = sys(tr, SYS_mmap, a[0], a[1], a[2], a[3], (uint64_t)-1, &res, e);
		if (r == 0 && !(*step_err = verdict(res, &a[0])) &&
		    (*step_err = push(log, HX_OP_MUNMAP, a[0], a[1], 0)) < 0)
			r = sys(tr, SYS_munmap, a[0], a[1], 0, 0, 0, &res, e);
		else if (r == 0 && *step_err == -EEXIST && res > 0) /* an old kernel placed it elsewhere */
			r = sys(tr, SYS_munmap, (uint64_t)res, a[1], 0, 0, 0, &res, e);
		break;
	case HX_OP_MUNMAP:
		r = sys(tr, SYS_munmap, a[0], a[1], 0, 0, 0, &res, e);
		*step_err = verdict(res, NULL);
		break;
	case HX_OP_MPROTECT:
		r = sys(tr, SYS_mprotect, a[0], a[1], a[2], 0, 0, &res, e);
		*step_err = verdict(res, NULL);
		break;
	case HX_OP_MADVISE:
		for (int i = 0; i < COLLAPSE_TRIES && r == 0; i++) {
			r = sys(tr, SYS_madvise, a[0], a[1], a[2], 0, 0, &res, e);
			if (res != -EAGAIN || a[2] != MADV_COLLAPSE)
				break;
		}
		*step_err = verdict(res, NULL);
		break;
	case HX_OP_MREMAP:
		r = sys(tr, SYS_mremap, a[0], a[1], a[1], MREMAP_MAYMOVE | MREMAP_FIXED, a[2], &res, e);
		if (r == 0 && !(*step_err = verdict(res, &a[2])) &&
		    (*step_err = push(log, HX_OP_MREMAP, a[2], a[1], a[0])) < 0)
			r = sys(tr, SYS_mremap, a[2], a[1], a[1], MREMAP_MAYMOVE | MREMAP_FIXED, a[0], &res, e);
		break;
	case HX_OP_COPY:
		r = self_copy(tr, a, step_err, e);
		break;
	case HX_OP_READ_FILE:
		r = read_file(tr, a, step_err, e);
		break;
	case HX_OP_TRACER_COPY:
		*step_err = tracer_copy(tr, a[0], a[1], a[2]);
		break;
	case HX_OP_NAME: {
		const char *name = hx_plan_str(&tr->pl.plan, (uint32_t)a[2]);
		if ((r = inj_write(&tr->inj, data, name, strlen(name) + 1)) < 0)
			return hx_fail(e, r, "writing to the target's data page: %s", strerror(-r));
		r = sys(tr, SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, a[0], a[1], data, &res, e);
		*step_err = verdict(res, NULL);
		break;
	}
	case HX_OP_EVICT:
		*step_err = evict(tr, a[0], a[1]);
		break;
	case HX_OP_CHECK_HUGE:
		*step_err = ld_verify_huge(tr->pid, a[0], a[1], a[2] == HX_CHECK_SOME, e);
		break;
	case HX_OP_VERIFY:
		*step_err = ld_verify_bytes(&tr->inj, a[0], a[1], a[2], tr->test.verify_full, e);
		break;
	case HX_OP_POKE:
		*step_err = inj_poke(&tr->inj, a[0], tr->pl.plan.data + a[1], a[2]);
		break;
	case HX_OP_MOVED: /* a declaration, checked by island.c */
		break;
	case HX_OP_EH_REGISTER:
		r = eh_register(tr, a, log, step_err, e);
		break;
	case HX_OP_PATCH:
		*step_err = patch(tr, a[0], a[1], log);
		break;
	default:
		*step_err = -EINVAL;
	}
	if (r < 0 && r != -ESRCH && (s->op == HX_OP_MMAP || s->op == HX_OP_MREMAP))
		log_if_it_ran(tr, s, log);
	if (*step_err && s->op == HX_OP_EH_REGISTER)
		hx_wrap(e, "the unwinder's registration"); /* (its own words say why) */
	else if (*step_err && s->op != HX_OP_CHECK_HUGE && s->op != HX_OP_VERIFY)
		hx_fail(e, *step_err, "%s: %s", hx_op_name(s->op), strerror(-*step_err));
	return r;
}

/* Put the replaced entry bytes back, newest first. false if one could not
 * be: then the island must stay (mapped and registered), and it can, as
 * every patch still in place jumps to a whole copy. */
static bool unpatch(struct ld_tracer *tr, struct undo_log *log)
{
	while (log->n_patches > 0) {
		const struct undo_patch *u = &log->patches[log->n_patches - 1];
		if (inj_poke(&tr->inj, u->at, u->old, sizeof(u->old)) < 0)
			return false;
		log->n_patches--;
	}
	return true;
}

/* Replay the log backwards. Text that cannot be moved back is
 * unrecoverable; a mapping of ours that cannot be unmapped is left (and
 * said), and so is a layout's island whose patches cannot all be taken
 * out (whole: see unpatch). */
static int rollback(struct ld_tracer *tr, struct undo_log *log, struct hx_err *e)
{
	if (!unpatch(tr, log)) {
		log->n = 0;
		tr->out.island_kept = true;
		return 0;
	}
	while (log->n > 0) {
		const struct undo *u = &log->u[--log->n];
		int64_t res;
		if (u->op == HX_OP_EH_REGISTER) {
			struct ld_unwind_reg reg = {.deregister = u->a[0], .blob = u->a[1],
						    .trap = u->a[2]};
			struct hx_err ignored;
			if (ld_unwind_deregister(tr, &reg, &ignored) < 0) {
				log->n = 0; /* records still registered: keep what they describe */
				tr->out.island_kept = true;
				return 0;
			}
			continue;
		}
		int r = u->op == HX_OP_MUNMAP
				? sys(tr, SYS_munmap, u->a[0], u->a[1], 0, 0, 0, &res, e)
				: sys(tr, SYS_mremap, u->a[0], u->a[1], u->a[1],
				      MREMAP_MAYMOVE | MREMAP_FIXED, u->a[2], &res, e);
		if (r == -ESRCH)
			return r;
		if (u->op == HX_OP_MUNMAP && (r < 0 || verdict(res, NULL) < 0)) {
			/* a copy or island of ours that nothing uses (its patches
			 * are out): it costs memory, not correctness; said */
			if (!tr->out.left_len) {
				tr->out.left_addr = u->a[0];
				tr->out.left_len = u->a[1];
			}
			continue;
		}
		if (r < 0 || verdict(res, u->op == HX_OP_MREMAP ? &u->a[2] : NULL) < 0)
			return hx_fail(e, -ENOTRECOVERABLE, "rollback failed (%s of %#llx)",
				       hx_op_name(u->op), (unsigned long long)u->a[0]);
	}
	return 0;
}

/* Only optional steps from step k of group g on. */
static bool done_but_optional(const struct hx_plan_group *g, const struct hx_plan_step *steps,
			      uint32_t k)
{
	for (; k < g->n_steps; k++)
		if (!(steps[g->first_step + k].flags & HX_STEP_OPTIONAL))
			return false;
	return true;
}

static int run_steps(struct ld_tracer *tr, uint32_t gi, struct undo_log *lp, struct hx_err *e)
{
	const struct hx_plan_group *g = &tr->pl.plan.groups[gi];
	struct ld_group_result *res = &tr->out.groups[gi];
	struct undo_log *log = lp;
	bool patches_held = false;
	for (uint32_t k = 0; k < g->n_steps; k++) {
		const struct hx_plan_step *s = &tr->pl.plan.steps[g->first_step + k];
		int step_err = 0;
		struct hx_err se = {0};
		uint64_t t0 = hx_now_ns();
		int r = 0;
		if (tr->holds.hold && ((s->op == HX_OP_MREMAP && !tr->holds.swapping) ||
				       (s->op == HX_OP_PATCH && !patches_held))) {
			/* attach: no thread may run through a swap or a patch */
			tr->holds.swapping |= s->op == HX_OP_MREMAP;
			patches_held |= s->op == HX_OP_PATCH;
			r = tr->holds.hold(tr, tr->holds.ctx, s->op == HX_OP_PATCH ? (int)gi : -1, &se);
		}
		if (r == 0)
			r = run_step(tr, s, log, &step_err, &se);
		if (tr->out.step_ns)
			tr->out.step_ns[g->first_step + k] = hx_now_ns() - t0;
		if (r < 0 && done_but_optional(g, tr->pl.plan.steps, k)) {
			/* the group's work is done (its text swapped, checked):
			 * keep it, stop there */
			*e = se;
			res->state = LD_G_OK;
			res->optional_failures++;
			for (uint32_t j = k; j < g->n_steps && !tr->out.aside_len; j++) {
				const struct hx_plan_step *c = &tr->pl.plan.steps[g->first_step + j];
				if (c->op == HX_OP_MUNMAP) { /* the commit, not run: said */
					tr->out.aside_addr = c->a[0];
					tr->out.aside_len = c->a[1];
				}
			}
			return r;
		}
		if (r < 0) { /* the injection broke: undo what we can, then stop */
			*e = se;
			int rb = rollback(tr, log, NULL);
			return rb < 0 && r != -ESRCH ? hx_fail(e, -ENOTRECOVERABLE, "%s; %s", se.msg,
							       "rollback failed")
						     : r;
		}
		if (step_err != 0 && s->op == HX_OP_MUNMAP && (s->flags & HX_STEP_OPTIONAL)) {
			/* the commit: the old text, moved aside. Once more, then
			 * say it stays (mapped, unused, never executed) */
			if ((r = run_step(tr, s, log, &step_err, &se)) < 0) {
				*e = se;
				return r; /* the new text is in place: nothing to undo */
			}
			if (step_err != 0 && !tr->out.aside_len) {
				tr->out.aside_addr = s->a[0];
				tr->out.aside_len = s->a[1];
			}
		}
		if (step_err == 0)
			continue;
		if (s->flags & HX_STEP_OPTIONAL) {
			res->optional_failures++;
			continue;
		}
		res->state = LD_G_FAILED;
		res->failed_step = (int)(g->first_step + k);
		res->why = se;
		tr->out.rolled_back_any = true;
		return rollback(tr, log, e);
	}
	res->state = LD_G_OK;
	return 0;
}

static int run_group(struct ld_tracer *tr, uint32_t gi, struct hx_err *e)
{
	struct undo_log *log = calloc(1, sizeof(*log));
	if (!log)
		return hx_fail(e, -ENOMEM, "out of memory");
	int r = run_steps(tr, gi, log, e);
	free(log->patches);
	free(log);
	return r;
}

size_t ld_plan_ranges(const struct hx_plan *p, struct inj_range *out, size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; i < p->n_groups && n < max; i++)
		out[n++] = (struct inj_range){p->groups[i].addr, p->groups[i].len};
	for (uint32_t i = 0; i < p->n_steps && n < max; i++) {
		const struct hx_plan_step *s = &p->steps[i];
		if (s->op == HX_OP_MMAP)
			out[n++] = (struct inj_range){s->a[0], s->a[1]};
		else if (s->op == HX_OP_MREMAP)
			out[n++] = (struct inj_range){s->a[2], s->a[1]};
	}
	return n;
}

int ld_apply(struct ld_tracer *tr, struct hx_err *e)
{
	const struct hx_plan *p = &tr->pl.plan;
	size_t max = p->n_groups + p->n_steps + 1;
	struct inj_range *avoid = calloc(max, sizeof(*avoid));
	tr->out.groups = calloc(p->n_groups ? p->n_groups : 1, sizeof(*tr->out.groups));
	tr->out.step_ns = calloc(p->n_steps ? p->n_steps : 1, sizeof(*tr->out.step_ns));
	if (!avoid || !tr->out.groups) {
		free(avoid);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	tr->inj.fail_at = tr->test.fail_syscall;
	tr->inj.fail_n = tr->test.fail_count;
	int r = inj_scratch_setup(&tr->inj, &tr->pl.vmas, avoid, ld_plan_ranges(p, avoid, max), e);
	free(avoid);
	ld_test_pause(); /* test builds: hold it here, for a test to signal it */
	for (uint32_t i = 0; i < p->n_groups && r == 0; i++) {
		const struct hx_plan_group *g = &p->groups[i];
		tr->out.groups[i].failed_step = -1;
		if (g->alt_of >= 0 && tr->out.groups[g->alt_of].state != LD_G_FAILED)
			continue; /* an earlier way worked, or never came up */
		r = run_group(tr, i, e);
		if (tr->holds.let_go && (g->flags & HX_GROUP_LAYOUT) && !tr->holds.swapping)
			tr->holds.let_go(tr, tr->holds.ctx); /* attach: the others run again */
	}
	if (r == -ENOTRECOVERABLE || r == -ESRCH)
		return r;
	/* A scratch page we could not unmap costs the program 4 KB and nothing
	 * else: say so, but the text is in place and verified. */
	struct hx_err te;
	if (inj_scratch_teardown(&tr->inj, &te) < 0)
		tr->out.scratch_left = tr->inj.data_page ? tr->inj.data_page : tr->inj.code_page;
	/* Even when the injection broke off, groups that completed stay
	 * completed: find out what is in place, for the report and perf map. */
	int c = ld_collect_results(tr, r == 0 ? e : &te);
	return r < 0 ? r : c;
}

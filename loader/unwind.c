/*
 * unwind.c - __register_frame in the target (see unwind.h and
 * ../shared/research/unwind.md for what libgcc accepts).
 */
#define _GNU_SOURCE
#include "unwind.h"
#include "apply.h"
#include "dynsym.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define LIBGCC "libgcc_s.so.1"

/* libgcc_s's base, dlopen'ing it with libc's dlopen if it is not mapped
 * (a launch: the program stands at its entry point). 0 or -errno. */
static int libgcc(struct ld_tracer *tr, uint64_t trap, struct hx_vmas *m, uint64_t *base,
		  struct hx_err *e)
{
	const struct hx_vma *v = ld_lib_of(m, LIBGCC);
	if (v) {
		*base = v->start;
		return 0;
	}
	const struct hx_vma *libc = ld_lib_of(m, "libc.so.6");
	uint64_t dl;
	if (!libc || ld_dynsym(&tr->inj, m, libc->start, "dlopen", &dl) < 0)
		return hx_fail(e, -ENOENT, "no %s, and no dlopen in libc to load it", LIBGCC);
	int r = inj_write(&tr->inj, tr->inj.data_page, LIBGCC, sizeof(LIBGCC));
	if (r < 0)
		return hx_fail(e, r, "writing to the data page: %s", strerror(-r));
	uint64_t handle = 0;
	const uint64_t args[3] = {tr->inj.data_page, RTLD_NOW | RTLD_NODELETE, 0};
	if ((r = inj_call(&tr->inj, dl, args, trap, &handle, e)) < 0)
		return hx_wrap(e, "dlopen(%s)", LIBGCC);
	if (!handle)
		return hx_fail(e, -ENOENT, "dlopen(%s) failed in the program", LIBGCC);
	hx_vmas_free(m);
	if ((r = hx_vmas_read(tr->pid, false, m, e)) < 0)
		return r;
	if (!(v = ld_lib_of(m, LIBGCC)))
		return hx_fail(e, -ENOENT, "%s loaded but not mapped", LIBGCC);
	*base = v->start;
	return 0;
}

/* A page for libgcc's struct object, away from everything the plan maps.
 * 0 with *at, or -errno (with e) when the injection broke. */
static int object_page(struct ld_tracer *tr, uint64_t *at, struct hx_err *e)
{
	const struct hx_plan *p = &tr->pl.plan;
	size_t max = p->n_groups + p->n_steps + 1;
	struct inj_range *avoid = calloc(max, sizeof(*avoid));
	if (!avoid)
		return hx_fail(e, -ENOMEM, "out of memory");
	size_t n = ld_plan_ranges(p, avoid, max);
	int64_t res, ignored;
	const uint64_t mm[6] = {0, HX_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				(uint64_t)-1, 0};
	int r = inj_syscall(&tr->inj, SYS_mmap, mm, &res, e);
	*at = r == 0 && res > 0 ? (uint64_t)res : 0;
	for (size_t i = 0; r == 0 && *at && i < n; i++)
		if (hx_overlaps(*at, HX_PAGE, avoid[i].addr, avoid[i].len)) {
			const uint64_t un[6] = {*at, HX_PAGE};
			r = inj_syscall(&tr->inj, SYS_munmap, un, &ignored, e);
			*at = 0;
		}
	free(avoid);
	if (r == 0 && !*at)
		r = hx_fail(e, -ENOMEM, "no page for the unwinder's object");
	return r;
}

/* attach (unwind.h): __register_frame_info(blob, a page of ours). */
static int running(struct ld_tracer *tr, const struct hx_vmas *m, uint64_t base, uint64_t blob,
		   uint64_t trap, struct ld_unwind_reg *reg, struct hx_err *e)
{
	uint64_t reg_fn, ret;
	int r;
	if ((r = ld_dynsym(&tr->inj, m, base, "__register_frame_info", &reg_fn)) < 0 ||
	    (r = ld_dynsym(&tr->inj, m, base, "__deregister_frame_info", &reg->deregister)) < 0)
		return hx_fail(e, r, "%s: no __register_frame_info or __deregister_frame_info",
			       LIBGCC);
	const struct hx_vma *libc = ld_lib_of(m, "libc.so.6");
	if (tr->test.stuck_call && libc && /* (test builds) */
	    (r = ld_dynsym(&tr->inj, m, libc->start, tr->test.stuck_call, &reg_fn)) < 0)
		return hx_fail(e, r, "HUGEXEC_TEST_STUCK_CALL: no %s in libc", tr->test.stuck_call);
	if ((r = object_page(tr, &reg->object, e)) < 0)
		return r;
	reg->blob = blob;
	reg->trap = trap;
	reg->uncertain = true; /* (from here on: see ld_unwind_register) */
	const uint64_t a[3] = {blob, reg->object, 0};
	if ((r = inj_call(&tr->inj, reg_fn, a, trap, &ret, e)) < 0)
		return hx_wrap(e, "__register_frame_info");
	reg->uncertain = false;
	return 0;
}

int ld_unwind_register(struct ld_tracer *tr, uint64_t blob, uint64_t blob_len, uint64_t trap,
		       uint64_t probe, struct ld_unwind_reg *reg, struct hx_err *e)
{
	struct hx_vmas m;
	reg->uncertain = false; /* (read by the caller on every failure) */
	reg->none = false;
	reg->object = 0;
	if (tr->inj.call_gave_up) /* (before: inj_call's own refusal would be uncertain) */
		return hx_fail(e, -ETIMEDOUT, "an earlier call in the program did not return");
	int r = hx_vmas_read(tr->pid, false, &m, e);
	if (r < 0)
		return r;
	uint64_t base = 0, reg_fn = 0, find_fn = 0;
	if (ld_lib_of(&m, "libunwind.so.1") || ld_lib_of(&m, "libunwind.so.8")) {
		hx_vmas_free(&m);
		return hx_fail(e, -ENOTSUP, "the program maps a libunwind, which may not see "
			       "libgcc's registrations");
	}
	if (tr->attached) {
		/* A running program may be inside the loader (whose lock is
		 * recursive: our dlopen would run in the middle of its own):
		 * without libgcc_s loaded already, no registration */
		const struct hx_vma *v = ld_lib_of(&m, LIBGCC);
		reg->none = !v;
		r = v ? running(tr, &m, v->start, blob, trap, reg, e) : 0;
		hx_vmas_free(&m);
		return r;
	}
	if ((r = libgcc(tr, trap, &m, &base, e)) < 0) {
		hx_vmas_free(&m);
		return r;
	}
	if ((r = ld_dynsym(&tr->inj, &m, base, "__register_frame", &reg_fn)) < 0 ||
	    (r = ld_dynsym(&tr->inj, &m, base, "__deregister_frame", &reg->deregister)) < 0 ||
	    (r = ld_dynsym(&tr->inj, &m, base, "_Unwind_Find_FDE", &find_fn)) < 0) {
		hx_vmas_free(&m);
		return hx_fail(e, r, "%s: no __register_frame, __deregister_frame or "
			       "_Unwind_Find_FDE", LIBGCC);
	}
	hx_vmas_free(&m);
	uint64_t ret;
	const uint64_t a[3] = {blob, 0, 0};
	reg->blob = blob;
	reg->trap = trap;
	/* from here on, whatever fails, the unwinder may hold the records */
	reg->uncertain = true;
	if ((r = inj_call(&tr->inj, reg_fn, a, trap, &ret, e)) < 0)
		return hx_wrap(e, "__register_frame");
	/* _Unwind_Find_FDE(pc, &bases): the FDE it found must be in the blob */
	const uint64_t f[3] = {probe + 1, tr->inj.data_page, 0};
	if ((r = inj_call(&tr->inj, find_fn, f, trap, &ret, e)) < 0)
		return hx_wrap(e, "_Unwind_Find_FDE");
	if (ret < blob || ret >= blob + blob_len)
		return hx_fail(e, -ENOENT, "the unwinder does not find the copies' records");
	reg->uncertain = false;
	return 0;
}

int ld_unwind_deregister(struct ld_tracer *tr, const struct ld_unwind_reg *reg,
			 struct hx_err *e)
{
	uint64_t ret;
	const uint64_t a[3] = {reg->blob, 0, 0};
	int r = inj_call(&tr->inj, reg->deregister, a, reg->trap, &ret, e);
	return r < 0 ? hx_wrap(e, "__deregister_frame") : 0; /* (the object's page: the caller's) */
}

/*
 * unwind.c - __register_frame in the target (see unwind.h and
 * ../shared/research/unwind.md for what libgcc accepts).
 */
#define _GNU_SOURCE
#include "unwind.h"
#include "dynsym.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#define LIBGCC "libgcc_s.so.1"

/* libgcc_s's base, dlopen'ing it with libc's dlopen if it is not mapped;
 * 1 when it is not and the program runs (attach: unwind.h). */
static int libgcc(struct ld_tracer *tr, uint64_t trap, struct hx_vmas *m, uint64_t *base,
		  struct hx_err *e)
{
	const struct hx_vma *v = ld_lib_of(m, LIBGCC);
	if (v) {
		*base = v->start;
		return 0;
	}
	/* A running program may be inside the loader (whose lock is
	 * recursive: our dlopen would run in the middle of its own) */
	if (tr->attached)
		return 1;
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

int ld_unwind_register(struct ld_tracer *tr, uint64_t blob, uint64_t blob_len, uint64_t trap,
		       uint64_t probe, struct ld_unwind_reg *reg, struct hx_err *e)
{
	struct hx_vmas m;
	reg->uncertain = false; /* (read by the caller on every failure) */
	reg->none = false;
	int r = hx_vmas_read(tr->pid, false, &m, e);
	if (r < 0)
		return r;
	uint64_t base = 0, reg_fn = 0, find_fn = 0;
	if (tr->inj.call_gave_up) {
		hx_vmas_free(&m);
		return hx_fail(e, -ETIMEDOUT, "an earlier call in the program did not return");
	}
	if (ld_lib_of(&m, "libunwind.so.1") || ld_lib_of(&m, "libunwind.so.8")) {
		hx_vmas_free(&m);
		return hx_fail(e, -ENOTSUP, "the program maps a libunwind, which may not see "
			       "libgcc's registrations");
	}
	if ((r = libgcc(tr, trap, &m, &base, e)) != 0) {
		hx_vmas_free(&m);
		reg->none = r == 1;
		return r == 1 ? 0 : r;
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
	return r < 0 ? hx_wrap(e, "__deregister_frame") : 0;
}

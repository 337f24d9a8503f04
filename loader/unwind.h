/*
 * unwind.h - tell the program's unwinder about the island's copies.
 *
 * C++ exceptions, backtrace(), pthread_cancel and pthread_exit unwind
 * through moved functions only if the unwinder finds an FDE for a return
 * address in the island. libgcc's __register_frame takes a zero-terminated
 * run of CIE/FDE records (the helper's blob, checked by island.c), and
 * _Unwind_Find_FDE then proves the copies are found. glibc's backtrace
 * and cancellation always use libgcc_s; a program that has not loaded it
 * yet (C programs load it on first use) gets it with dlopen, the way glibc
 * would. Not in a running program (its dlopen could land inside the
 * program's own): there the records are not registered, and what unwinds
 * through a moved frame later stops there (backtrace(); a C program's
 * thread cancellation still runs its cleanup handlers, which glibc reaches
 * by longjmp).
 * In a running program the call may find a lock held by the thread we
 * stopped: __register_frame_info is called with the struct object in a
 * page of ours (__register_frame would malloc it), and no
 * _Unwind_Find_FDE proves it (libgcc up to 12 sorts the records under its
 * lock, with malloc): the only lock it takes is the unwinder's, waited
 * for with nothing else held, so a call given up leaves nothing locked.
 * A program that maps LLVM's libunwind is left alone: its throws
 * may bind there, where one blob is not registered this way.
 * Must never: register records for code that is not in place, or leave
 * them registered when the island goes away.
 */
#ifndef LD_UNWIND_H
#define LD_UNWIND_H

#include "tracer.h"

struct ld_unwind_reg {
	uint64_t deregister;  /* __deregister_frame, to undo */
	uint64_t blob, trap;
	bool uncertain;       /* on failure: __register_frame was called, and the
			       * unwinder may hold the records: they must stay
			       * mapped (and are not deregistered: libgcc aborts
			       * on records it does not have) */
	bool none;            /* on success: nothing registered (attach, a program
			       * without libgcc_s: no unwinder to tell) */
	uint64_t object;      /* attach: the page holding libgcc's struct object
			       * for the records (0: libgcc's malloc holds it) */
};

/* Register the records at blob (the island's int3 at trap serves as the
 * return address of the calls) and check that probe, a copy's first byte,
 * is then found in them. 0 with *reg filled (reg->none: nothing to do, see
 * above), or -errno with e (and reg->uncertain set if the unwinder may keep
 * the records). */
int ld_unwind_register(struct ld_tracer *tr, uint64_t blob, uint64_t blob_len, uint64_t trap,
		       uint64_t probe, struct ld_unwind_reg *reg, struct hx_err *e) HX_WUR;

/* Undo ld_unwind_register. */
int ld_unwind_deregister(struct ld_tracer *tr, const struct ld_unwind_reg *reg,
			 struct hx_err *e) HX_WUR;

#endif

/*
 * mover.h - may one function move, and its copy at a new address.
 *
 * The copy is the same size as the original, byte for byte, so its unwind
 * records (CFA programs, LSDA call-site offsets) stay valid when rebased.
 * Only fields relative to the instruction pointer change: each keeps the
 * absolute address it reached, except a direct call or jump to the entry
 * of another moved function, which goes straight to that copy. The
 * original keeps its bytes but for the entry patch (a jmp rel32 to the
 * copy, after an endbr64), so whatever still runs there (a switch table's
 * targets, a computed goto's labels) stays correct, only slower.
 * Pure: bytes and addresses in, a verdict or bytes out.
 * Must never: let a function move whose copy would not do exactly what the
 * original does, or whose entry patch could cut an instruction another
 * branch lands in.
 */
#ifndef HP_MOVER_H
#define HP_MOVER_H

#include "../common/x86.h"

/* Why a function stays where it is; counted and shown by --dry-run -v. */
enum hp_stay {
	HP_MOVES = 0,
	HP_STAY_SMALL,        /* shorter than its entry patch */
	HP_STAY_DECODE,       /* does not decode cleanly to its end */
	HP_STAY_SHORT_BRANCH, /* an 8- or 16-bit branch leaves it (no room to re-target) */
	HP_STAY_PC_READ,      /* calls into itself: reads its own address */
	HP_STAY_PATCH_TARGET, /* something lands inside the bytes the patch overwrites */
	HP_STAY_FDE,          /* not exactly one FDE covering exactly it */
	HP_STAY_UNWIND,       /* unwind records we cannot copy (signal frame, LPStart) */
	HP_STAY_REACH,        /* a displacement would not fit from the island */
	HP_STAY_NO_UNWINDER,  /* the program's unwinder cannot be told of copies */
	HP_STAY_LIMIT,        /* more functions than one plan carries (--move=all) */
	HP_STAY_COUNT
};

const char *hp_stay_name(enum hp_stay why);

/* Where the entry patch goes: after an endbr64, else at the entry. */
static inline uint32_t hp_patch_at(const struct hx_x86_fn *x)
{
	return x->endbr ? 4u : 0u;
}
#define HP_PATCH_LEN 5u

/* The checks that need only the function's own code: x from hx_x86_scan of
 * code[0..size) at addr. */
enum hp_stay hp_move_check(const struct hx_x86_fn *x, uint64_t addr, uint64_t size);

/* Where a direct branch to target should go in the island: the copy of the
 * moved function whose entry is target, or target itself. */
typedef uint64_t (*hp_redirect_fn)(void *ctx, uint64_t target);

/* Write the copy of code[0..size) (original at addr, scanned into x) into
 * dst as it will sit at copy. 0, or -ERANGE if a displacement does not fit
 * (the function then stays). */
int hp_move_emit(const uint8_t *code, uint64_t size, const struct hx_x86_fn *x, uint64_t addr,
		 uint64_t copy, uint8_t *dst, hp_redirect_fn redirect, void *ctx) HX_WUR;

#endif

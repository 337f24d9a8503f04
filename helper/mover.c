/*
 * mover.c - the per-function rules of docs/layout.md and the copy.
 */
#include "mover.h"

#include <errno.h>
#include <string.h>

const char *hp_stay_name(enum hp_stay why)
{
	static const char *const names[HP_STAY_COUNT] = {
		[HP_MOVES] = "moved",
		[HP_STAY_SMALL] = "too small for a patch",
		[HP_STAY_DECODE] = "does not decode to its end",
		[HP_STAY_SHORT_BRANCH] = "short branch leaves it",
		[HP_STAY_PC_READ] = "reads its own address",
		[HP_STAY_PATCH_TARGET] = "branch target under the patch",
		[HP_STAY_FDE] = "not exactly one FDE",
		[HP_STAY_UNWIND] = "unwind records not copyable",
		[HP_STAY_REACH] = "out of reach of the island",
		[HP_STAY_NO_UNWINDER] = "unwinder cannot be told",
		[HP_STAY_LIMIT] = "over the plan's limit",
	};
	return why < HP_STAY_COUNT ? names[why] : "?";
}

enum hp_stay hp_move_check(const struct hx_x86_fn *x, uint64_t addr, uint64_t size)
{
	if (x->bad != HX_X86_OK)
		return HP_STAY_DECODE;
	uint32_t at = hp_patch_at(x);
	if (size < at + HP_PATCH_LEN)
		return HP_STAY_SMALL;
	for (size_t i = 0; i < x->n_refs; i++) {
		const struct hx_x86_ref *r = &x->refs[i];
		bool inside = r->target >= addr && r->target - addr < size;
		if (r->kind == HX_REF_MEM) {
			/* data, or a label kept at its absolute address (computed
			 * goto): the original body runs there, never under the patch */
			uint64_t off = r->target - addr;
			if (inside && off != 0 && off != at && off < at + HP_PATCH_LEN)
				return HP_STAY_PATCH_TARGET;
			continue;
		}
		if (!inside) {
			if (r->width != 4)
				return HP_STAY_SHORT_BRANCH; /* jcc rel8, jrcxz, loop */
			continue;
		}
		uint64_t off = r->target - addr;
		/* a call to itself other than recursion reads its own address
		 * (call next; pop): the copy would read the island's */
		if (r->kind == HX_REF_CALL && off != 0)
			return HP_STAY_PC_READ;
		/* a branch into the bytes the patch will overwrite (endbr64
		 * included): landing on the entry or on the patch itself is fine */
		if (off != 0 && off != at && off < at + HP_PATCH_LEN)
			return HP_STAY_PATCH_TARGET;
	}
	return HP_MOVES;
}

int hp_move_emit(const uint8_t *code, uint64_t size, const struct hx_x86_fn *x, uint64_t addr,
		 uint64_t copy, uint8_t *dst, hp_redirect_fn redirect, void *ctx)
{
	memcpy(dst, code, (size_t)size);
	for (size_t i = 0; i < x->n_refs; i++) {
		const struct hx_x86_ref *r = &x->refs[i];
		bool inside = r->target >= addr && r->target - addr < size;
		if (inside && r->kind != HX_REF_MEM)
			continue; /* both ends move together: the bytes stay */
		uint64_t to = r->target;
		if (r->kind != HX_REF_MEM && redirect)
			to = redirect(ctx, to); /* never a lea: function pointers stay equal */
		uint64_t next = copy + r->insn + r->insn_len;
		if (hx_x86_set_field(dst + r->insn, r, (int64_t)(to - next)) < 0)
			return -ERANGE;
	}
	return 0;
}

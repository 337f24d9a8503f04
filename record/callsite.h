/*
 * callsite.h - is the instruction that ends at a given address a call? And
 * which functions does a function's code call directly?
 *
 * A sampled return address is only worth an edge if the bytes right before
 * it are a call instruction: that is how a stack word or a frame-pointer
 * link is told apart from data or from a skipped frame. x86 cannot be
 * decoded backwards, so this tries every call encoding that could end
 * exactly there (e8 rel32; ff /2 with any ModRM/SIB/displacement, after
 * optional REX and notrack/segment prefixes). A match can be a coincidence
 * of bytes; callers use it as evidence, not proof.
 * Forwards, from a function's entry, zydis decodes the code instruction by
 * instruction (rec_direct_calls): the static call edges.
 * Must never: read outside code[0..len).
 */
#ifndef REC_CALLSITE_H
#define REC_CALLSITE_H

#include "../common/hx.h"

enum rec_call_kind {
	REC_CALL_NONE = 0,
	REC_CALL_DIRECT,   /* e8 rel32: *rel is the displacement from the return address */
	REC_CALL_INDIRECT, /* ff /2 */
};

/* code[0..len) are the bytes before the return address (len <= 15 is
 * enough; fewer near the start of a segment). */
enum rec_call_kind rec_callsite(const uint8_t *code, size_t len, int32_t *rel);

/* Called with the target address of each direct call; a negative return
 * stops the walk and is returned. */
typedef int (*rec_call_target_fn)(void *ctx, uint64_t target);

/* Decode code[0..len), the code of one function whose first byte is at
 * address vaddr, from the start; call cb for every near call with a rel32
 * operand (e8), in order. Stops at the first byte that does not decode
 * (data, or a function cut short): what comes after cannot be trusted.
 * Returns 0, or cb's negative value. */
int rec_direct_calls(const uint8_t *code, size_t len, uint64_t vaddr, rec_call_target_fn cb,
		     void *ctx) HX_WUR;

#endif

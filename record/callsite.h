/*
 * callsite.h - is the instruction that ends at a given address a call?
 *
 * A sampled return address is only worth an edge if the bytes right before
 * it are a call instruction: that is how a stack word or a frame-pointer
 * link is told apart from data or from a skipped frame. x86 cannot be
 * decoded backwards, so this tries every call encoding that could end
 * exactly there (e8 rel32; ff /2 with any ModRM/SIB/displacement, after
 * optional REX and notrack/segment prefixes). A match can be a coincidence
 * of bytes; callers use it as evidence, not proof.
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

#endif

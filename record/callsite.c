/*
 * callsite.c - recognize a call instruction ending at a return address.
 *
 * Only the encodings compilers emit for calls in 64-bit code are tried:
 *   e8 rel32                                        direct call
 *   [3e|2e] [REX] ff /2 modrm [sib] [disp8|disp32]  indirect call
 * (3e is the CET "notrack" prefix.) For ff /2 the length implied by ModRM
 * and SIB must land exactly on the return address; prefixes sit before the
 * ff and need not be looked at.
 * rec_direct_calls decodes forwards with zydis 4 (64-bit mode, where it
 * decodes endbr64 and every other CET instruction by default): each
 * instruction without its operands, which only the calls need.
 * Must never: read outside code[0..len).
 */
#include "callsite.h"

#include <Zydis/Zydis.h>
#include <string.h>

/* Length of ModRM + SIB + displacement starting at m (the ModRM byte), or
 * 0 if the bytes cannot be an ff /2. avail bytes are readable at m. */
static size_t modrm_len(const uint8_t *m, size_t avail)
{
	if (avail < 1 || ((m[0] >> 3) & 7) != 2)
		return 0;
	unsigned mod = m[0] >> 6, rm = m[0] & 7;
	size_t n = 1;
	if (mod == 3)
		return n;
	if (rm == 4) { /* SIB */
		if (avail < 2)
			return 0;
		n++;
		if (mod == 0 && (m[1] & 7) == 5)
			return n + 4; /* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		return n + 4; /* RIP-relative disp32 */
	}
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

enum rec_call_kind rec_callsite(const uint8_t *code, size_t len, int32_t *rel)
{
	if (len >= 5 && code[len - 5] == 0xe8) {
		uint32_t u;
		memcpy(&u, code + len - 4, 4);
		if (rel)
			*rel = (int32_t)u;
		return REC_CALL_DIRECT;
	}
	/* ff /2 is 2..7 bytes long after its prefixes. */
	for (size_t ilen = 2; ilen <= 7 && ilen <= len; ilen++) {
		const uint8_t *op = code + len - ilen;
		if (op[0] == 0xff && modrm_len(op + 1, ilen - 1) == ilen - 1)
			return REC_CALL_INDIRECT; /* prefixes before it change nothing */
	}
	return REC_CALL_NONE;
}

int rec_direct_calls(const uint8_t *code, size_t len, uint64_t vaddr, rec_call_target_fn cb,
		     void *ctx)
{
	ZydisDecoder dec;
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
		return 0;
	ZydisDecoderContext dctx;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op;
	for (size_t off = 0; off < len; off += in.length) {
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&dec, &dctx, code + off, len - off, &in)))
			return 0;
		/* e8 rel32 only: ff /2 has no target in the code, and 16-bit
		 * (66 e8 rel16) calls are not made by compilers for 64-bit code.
		 * The raw immediate tells, so only these calls need their
		 * (first) operand decoded, for the target. */
		if (in.mnemonic != ZYDIS_MNEMONIC_CALL || in.operand_count_visible < 1 ||
		    !in.raw.imm[0].is_relative || in.raw.imm[0].size != 32)
			continue;
		if (ZYAN_FAILED(ZydisDecoderDecodeOperands(&dec, &dctx, &in, &op, 1)))
			return 0; /* as for an instruction that does not decode */
		if (op.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !op.imm.is_relative)
			continue;
		ZyanU64 target;
		if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(&in, &op, vaddr + off, &target)))
			continue;
		int r = cb(ctx, target);
		if (r < 0)
			return r;
	}
	return 0;
}

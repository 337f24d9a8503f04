/*
 * x86.c - decode one function for moving (zydis 4).
 *
 * Every instruction is decoded in zydis' minimal mode first (length,
 * mnemonic, raw fields, and the attribute that says it has a relative
 * operand: three times faster); only those with a relative operand, and
 * jumps (to tell a jump table from a tail call through the GOT), are
 * decoded again in full, with their operands.
 */
#include "x86.h"

#include <Zydis/Zydis.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Far above any compiled function; a bound on hostile input. */
#define MAX_INSNS (1u << 22)
#define MAX_REFS (1u << 20)

static int add_ref(struct hx_x86_fn *f, size_t *cap, const struct hx_x86_ref *r)
{
	if (f->n_refs == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		struct hx_x86_ref *nv = realloc(f->refs, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		f->refs = nv;
		*cap = nc;
	}
	f->refs[f->n_refs++] = *r;
	return 0;
}

/* Every jmp and jcc (the conditional ones are always relative). */
static bool is_jump(ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE:
	case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JLE: case ZYDIS_MNEMONIC_JNB:
	case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE:
	case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JNP: case ZYDIS_MNEMONIC_JNS:
	case ZYDIS_MNEMONIC_JNZ: case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP:
	case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JZ: case ZYDIS_MNEMONIC_JCXZ:
	case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_JRCXZ:
		return true;
	default:
		return false;
	}
}

static bool is_loop_like(ZydisMnemonic m)
{
	return m == ZYDIS_MNEMONIC_JRCXZ || m == ZYDIS_MNEMONIC_JECXZ || m == ZYDIS_MNEMONIC_JCXZ ||
	       m == ZYDIS_MNEMONIC_LOOP || m == ZYDIS_MNEMONIC_LOOPE || m == ZYDIS_MNEMONIC_LOOPNE;
}

/* The relative fields of one instruction at code[off] (address ip). */
static int refs_of(const ZydisDecoder *dec, ZydisDecoderContext *ctx,
		   const ZydisDecodedInstruction *in, uint32_t off, uint64_t ip,
		   struct hx_x86_fn *f, size_t *cap)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	if (ZYAN_FAILED(ZydisDecoderDecodeOperands(dec, ctx, in, ops, ZYDIS_MAX_OPERAND_COUNT)))
		return -EINVAL;
	bool jump = in->meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
		    in->meta.category == ZYDIS_CATEGORY_COND_BR;
	bool call = in->meta.category == ZYDIS_CATEGORY_CALL;
	uint64_t next = ip + in->length;
	for (unsigned i = 0; i < in->operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &ops[i];
		struct hx_x86_ref r = {.insn = off, .insn_len = in->length};
		if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			if (op->mem.base == ZYDIS_REGISTER_EIP) {
				f->bad = HX_X86_EIP_RELATIVE;
				return 0;
			}
			if (op->mem.base != ZYDIS_REGISTER_RIP) {
				if (jump)
					f->indirect_jump = true; /* jmp *table(,%rax,8) */
				continue;
			}
			if (in->raw.disp.size != 32)
				return -EINVAL;
			r.kind = HX_REF_MEM;
			r.field = in->raw.disp.offset;
			r.width = 4;
			r.target = next + (uint64_t)in->raw.disp.value;
		} else if (op->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && op->imm.is_relative) {
			const struct ZydisDecodedInstructionRawImm_ *ri = &in->raw.imm[0];
			if (!ri->is_relative)
				ri = &in->raw.imm[1];
			if (!ri->is_relative || (ri->size != 8 && ri->size != 16 && ri->size != 32))
				return -EINVAL;
			r.kind = call ? HX_REF_CALL : HX_REF_JUMP;
			r.field = ri->offset;
			r.width = (uint8_t)(ri->size / 8);
			r.target = next + (uint64_t)ri->value.s;
		} else {
			if (jump && op->type == ZYDIS_OPERAND_TYPE_REGISTER)
				f->indirect_jump = true; /* jmp *%rax */
			continue;
		}
		int err = add_ref(f, cap, &r);
		if (err < 0)
			return err;
	}
	return 0;
}

int hx_x86_scan(const uint8_t *code, size_t size, uint64_t addr, struct hx_x86_fn *out)
{
	memset(out, 0, sizeof(*out));
	ZydisDecoder dec, fast;
	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisDecoderInit(&fast, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisDecoderEnableMode(&fast, ZYDIS_DECODER_MODE_MINIMAL, ZYAN_TRUE))) {
		out->bad = HX_X86_UNDECODABLE;
		return 0;
	}
	size_t cap = 0;
	ZydisDecoderContext ctx;
	ZydisDecodedInstruction in;
	for (size_t off = 0; off < size && out->bad == HX_X86_OK; off += in.length) {
		if (out->n_insns >= MAX_INSNS || out->n_refs >= MAX_REFS) {
			out->bad = HX_X86_TOO_MANY;
			break;
		}
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&fast, &ctx, code + off, size - off,
							       &in))) {
			out->bad = HX_X86_UNDECODABLE;
			break;
		}
		if (out->n_insns == 0) {
			out->first_len = in.length;
			out->endbr = in.mnemonic == ZYDIS_MNEMONIC_ENDBR64;
		} else if (out->n_insns == 1) {
			out->second_len = in.length;
		}
		out->n_insns++;
		if (is_loop_like(in.mnemonic))
			out->loop_like = true;
		if (!(in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) && !is_jump(in.mnemonic))
			continue;
		ZyanU8 len = in.length;
		if (ZYAN_FAILED(ZydisDecoderDecodeInstruction(&dec, &ctx, code + off, size - off,
							       &in)) || in.length != len) {
			out->bad = HX_X86_UNDECODABLE;
			break;
		}
		int r = refs_of(&dec, &ctx, &in, (uint32_t)off, addr + off, out, &cap);
		if (r == -ENOMEM) {
			hx_x86_free(out);
			return r;
		}
		if (r < 0)
			out->bad = HX_X86_UNDECODABLE;
	}
	return 0;
}

void hx_x86_free(struct hx_x86_fn *f)
{
	free(f->refs);
	f->refs = NULL;
	f->n_refs = 0;
}

int64_t hx_x86_field(const uint8_t *insn, const struct hx_x86_ref *r)
{
	const uint8_t *p = insn + r->field;
	switch (r->width) {
	case 1:
		return (int8_t)p[0];
	case 2: {
		int16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	default: {
		int32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	}
}

int hx_x86_set_field(uint8_t *insn, const struct hx_x86_ref *r, int64_t v)
{
	uint8_t *p = insn + r->field;
	switch (r->width) {
	case 1:
		if (v < INT8_MIN || v > INT8_MAX)
			return -ERANGE;
		p[0] = (uint8_t)(int8_t)v;
		return 0;
	case 2: {
		if (v < INT16_MIN || v > INT16_MAX)
			return -ERANGE;
		int16_t s = (int16_t)v;
		memcpy(p, &s, 2);
		return 0;
	}
	default: {
		if (v < INT32_MIN || v > INT32_MAX)
			return -ERANGE;
		int32_t s = (int32_t)v;
		memcpy(p, &s, 4);
		return 0;
	}
	}
}

int hx_x86_jmp32(uint8_t out[5], uint64_t at, uint64_t to)
{
	int64_t d = (int64_t)(to - (at + 5));
	if (d < INT32_MIN || d > INT32_MAX)
		return -ERANGE;
	int32_t v = (int32_t)d;
	out[0] = 0xe9;
	memcpy(out + 1, &v, 4);
	return 0;
}

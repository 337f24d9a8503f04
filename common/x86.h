/*
 * x86.h - one function's machine code, decoded far enough to move it: the
 * instruction boundaries and every field that is relative to the
 * instruction pointer (RIP-relative memory operands, relative branches and
 * calls), with the absolute address each one reaches.
 *
 * Two users read the same facts: the helper's mover, which decides whether
 * a function can move and writes its copy, and the loader, which decodes the
 * original in the target and the helper's copy side by side and runs the
 * copy only if both say the same thing (docs/layout.md, "Trust").
 * Pure: bytes in, facts out; zydis 4 in 64-bit mode (endbr64 decodes).
 * Must never: read outside code[0..size), or report a function as decoded
 * when its last instruction does not end exactly at size.
 */
#ifndef HX_X86_H
#define HX_X86_H

#include "hx.h"

enum hx_ref_kind {
	HX_REF_MEM = 1,    /* [rip + disp32]: data, a GOT slot, a jump table, a label */
	HX_REF_JUMP,       /* jmp / jcc rel */
	HX_REF_CALL,       /* call rel32 */
};

struct hx_x86_ref {
	uint32_t insn;      /* offset of the instruction in the function */
	uint8_t insn_len;
	uint8_t field;      /* offset of the relative field in the instruction */
	uint8_t width;      /* of the field, bytes: 1, 2 or 4 */
	uint8_t kind;       /* enum hx_ref_kind */
	uint64_t target;    /* the absolute address it reaches, the function being at addr */
};

/* Why a function's code cannot be taken as it is (the first reason met). */
enum hx_x86_bad {
	HX_X86_OK = 0,
	HX_X86_UNDECODABLE,   /* an instruction does not decode, or runs past the end */
	HX_X86_EIP_RELATIVE,  /* [eip + disp]: 32-bit wrap-around addressing */
	HX_X86_TOO_MANY,      /* more instructions or references than we take */
};

struct hx_x86_fn {
	struct hx_x86_ref *refs; /* in code order */
	size_t n_refs;
	uint32_t n_insns;
	uint32_t first_len;      /* length of the first instruction */
	uint32_t second_len;     /* of the second (0 if there is none) */
	bool endbr;              /* starts with endbr64 */
	bool indirect_jump;      /* a jmp through a register or memory (not [rip]) */
	bool loop_like;          /* jrcxz / loop*: rel8 only, never re-encodable in place */
	enum hx_x86_bad bad;
};

/* Decode code[0..size) as one function at address addr. 0 with *out filled
 * (out->bad says whether the code can be taken), or -ENOMEM. */
int hx_x86_scan(const uint8_t *code, size_t size, uint64_t addr, struct hx_x86_fn *out) HX_WUR;
void hx_x86_free(struct hx_x86_fn *f);

/* The 5 bytes of a jmp rel32 at `at` to `to`; -ERANGE if it does not reach. */
int hx_x86_jmp32(uint8_t out[5], uint64_t at, uint64_t to) HX_WUR;

/* Read / write a relative field (sign-extended). */
int64_t hx_x86_field(const uint8_t *insn, const struct hx_x86_ref *r);
/* 0, or -ERANGE if v does not fit the field's width. */
int hx_x86_set_field(uint8_t *insn, const struct hx_x86_ref *r, int64_t v) HX_WUR;

#endif

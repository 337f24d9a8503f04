/*
 * filter.c - classic BPF for seccomp, and the target's filters.
 *
 * The interpreter accepts what the kernel's seccomp checker accepts
 * (seccomp_check_filter): 32-bit loads from struct seccomp_data at aligned
 * offsets, the length, immediates, the 16-word scratch memory, ALU and
 * jumps with constant or X operands, TAX/TXA, returns. Jumps only go
 * forward, so a program always ends; we still bound the steps.
 * Must never: read outside seccomp_data or the scratch memory.
 */
#define _GNU_SOURCE
#include "filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL 0xffff0000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif

static int alu(uint16_t op, uint32_t *a, uint32_t v)
{
	switch (op) {
	case BPF_ADD: *a += v; break;
	case BPF_SUB: *a -= v; break;
	case BPF_MUL: *a *= v; break;
	case BPF_DIV: if (!v) return -EINVAL; *a /= v; break;
	case BPF_MOD: if (!v) return -EINVAL; *a %= v; break;
	case BPF_AND: *a &= v; break;
	case BPF_OR: *a |= v; break;
	case BPF_XOR: *a ^= v; break;
	case BPF_LSH: *a = v < 32 ? *a << v : 0; break;
	case BPF_RSH: *a = v < 32 ? *a >> v : 0; break;
	case BPF_NEG: *a = -*a; break;
	default: return -EINVAL;
	}
	return 0;
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t v, bool *ok)
{
	*ok = true;
	switch (op) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	case BPF_JSET: return (a & v) != 0;
	default: *ok = false; return false;
	}
}

int ld_bpf_run(const struct sock_filter *prog, unsigned len, const struct seccomp_data *d,
	       uint32_t *ret)
{
	uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = {0};
	const uint8_t *data = (const uint8_t *)d;
	if (len == 0 || len > LD_BPF_MAX_INSNS)
		return -EINVAL;
	for (unsigned pc = 0, steps = 0; pc < len && steps <= len; steps++) {
		const struct sock_filter *f = &prog[pc++];
		uint16_t cls = BPF_CLASS(f->code);
		uint32_t v = BPF_SRC(f->code) == BPF_X ? X : f->k;
		switch (cls) {
		case BPF_LD:
		case BPF_LDX: {
			uint32_t *dst = cls == BPF_LD ? &A : &X, mode = BPF_MODE(f->code);
			if (mode == BPF_IMM)
				*dst = f->k;
			else if (mode == BPF_LEN)
				*dst = sizeof(*d);
			else if (mode == BPF_MEM && f->k < BPF_MEMWORDS)
				*dst = mem[f->k];
			else if (mode == BPF_ABS && cls == BPF_LD && BPF_SIZE(f->code) == BPF_W &&
				 !(f->k & 3) && f->k <= sizeof(*d) - 4)
				memcpy(dst, data + f->k, 4);
			else
				return -EINVAL;
			break;
		}
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return -EINVAL;
			mem[f->k] = cls == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			if (alu(BPF_OP(f->code), &A, v) < 0)
				return -EINVAL;
			break;
		case BPF_JMP: {
			/* as the kernel's checker: every jump stays inside */
			if (BPF_OP(f->code) == BPF_JA) {
				if (f->k >= len - pc)
					return -EINVAL;
				pc += f->k;
				break;
			}
			bool ok, taken = jump_taken(BPF_OP(f->code), A, v, &ok);
			if (!ok || f->jt >= len - pc || f->jf >= len - pc)
				return -EINVAL;
			pc += taken ? f->jt : f->jf;
			break;
		}
		case BPF_RET:
			*ret = BPF_RVAL(f->code) == BPF_A ? A : f->k;
			return 0;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				X = A;
			else if (BPF_MISCOP(f->code) == BPF_TXA)
				A = X;
			else
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL; /* ran off the end */
}

int ld_filters_read(pid_t pid, struct ld_filters *f, struct hx_err *e)
{
	memset(f, 0, sizeof(*f));
	for (unsigned long i = 0; i < LD_MAX_FILTERS; i++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)i, NULL);
		if (n < 0 && errno == ENOENT)
			return 0; /* no more filters */
		if (n <= 0 || n > LD_BPF_MAX_INSNS) {
			int err = n < 0 ? -errno : -EINVAL;
			ld_filters_free(f);
			return hx_fail(e, err, "cannot read the program's seccomp filter: %s%s",
				       strerror(-err), err == -EACCES || err == -EPERM
				       ? " (needs CAP_SYS_ADMIN)" : "");
		}
		f->prog[i] = calloc((size_t)n, sizeof(struct sock_filter));
		if (!f->prog[i] || ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)i, f->prog[i]) != n) {
			ld_filters_free(f);
			return hx_fail(e, -EIO, "reading the program's seccomp filter failed");
		}
		f->len[i] = (unsigned)n;
		f->n = i + 1;
	}
	ld_filters_free(f);
	return hx_fail(e, -E2BIG, "more than %d seccomp filters", LD_MAX_FILTERS);
}

void ld_filters_free(struct ld_filters *f)
{
	for (size_t i = 0; i < LD_MAX_FILTERS; i++)
		free(f->prog[i]);
	memset(f, 0, sizeof(*f));
}

int ld_filters_eval(const struct ld_filters *f, const struct seccomp_data *d, uint32_t *ret)
{
	uint32_t best = SECCOMP_RET_ALLOW;
	for (size_t i = 0; i < f->n; i++) {
		uint32_t r;
		if (ld_bpf_run(f->prog[i], f->len[i], d, &r) < 0)
			return -EINVAL;
		/* the kernel keeps the lowest action, compared as signed */
		if ((int32_t)(r & SECCOMP_RET_ACTION_FULL) < (int32_t)(best & SECCOMP_RET_ACTION_FULL))
			best = r;
	}
	*ret = best;
	return 0;
}

bool ld_filters_allow(const struct ld_filters *f, long nr, const uint64_t args[6], uint64_t pc)
{
	struct seccomp_data d = {.nr = (int)nr, .arch = AUDIT_ARCH_X86_64, .instruction_pointer = pc};
	for (int i = 0; i < 6; i++)
		d.args[i] = args[i];
	uint32_t r;
	if (ld_filters_eval(f, &d, &r) < 0)
		return false;
	uint32_t act = r & SECCOMP_RET_ACTION_FULL;
	return act == SECCOMP_RET_ALLOW || act == SECCOMP_RET_LOG;
}

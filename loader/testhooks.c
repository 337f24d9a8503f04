/*
 * testhooks.c - the test build's switches (testhooks.h). Compiled empty in
 * a release build.
 */
#define _GNU_SOURCE
#include "testhooks.h"

#ifdef HUGEXEC_TESTING
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* HUGEXEC_TEST_FAIL_OP: the real calls, but the K-th of one kind fails.
 * The count lives here, test builds only: one tracer, one table. */
static struct {
	int kind; /* 1 ptrace, 2 waitpid, 3 vm */
	unsigned long at, n;
} fail_op;

/* The K-th call of this kind fails with EIO (errno set, true). */
static bool fails(int kind)
{
	if (fail_op.kind != kind || ++fail_op.n != fail_op.at)
		return false;
	errno = EIO;
	return true;
}

static long t_ptrace(int req, pid_t pid, void *addr, void *data)
{
	return fails(1) ? -1 : hx_sysops_real.ptrace(req, pid, addr, data);
}

static pid_t t_waitpid(pid_t pid, int *status, int options)
{
	return fails(2) ? -1 : hx_sysops_real.waitpid(pid, status, options);
}

static ssize_t t_readv(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r,
		       unsigned long rn, unsigned long flags)
{
	return fails(3) ? -1 : hx_sysops_real.vm_readv(pid, l, ln, r, rn, flags);
}

static ssize_t t_writev(pid_t pid, const struct iovec *l, unsigned long ln, const struct iovec *r,
			unsigned long rn, unsigned long flags)
{
	return fails(3) ? -1 : hx_sysops_real.vm_writev(pid, l, ln, r, rn, flags);
}

static ssize_t t_pread(int fd, void *buf, size_t n, off_t off)
{
	return fails(3) ? -1 : hx_sysops_real.pread(fd, buf, n, off);
}

static ssize_t t_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return fails(3) ? -1 : hx_sysops_real.pwrite(fd, buf, n, off);
}

static const struct hx_sysops failing = {t_ptrace, t_waitpid, t_readv, t_writev, t_pread, t_pwrite};

void ld_test_hooks_read(struct ld_tracer *tr)
{
	const char *k = getenv("HUGEXEC_TEST_FAIL_SYSCALL");
	char *end = NULL;
	tr->test.fail_syscall = k ? strtoul(k, &end, 10) : 0;
	tr->test.fail_count = end && *end == ',' ? strtoul(end + 1, NULL, 10) : 1;
	tr->test.debug_escape = getenv("HUGEXEC_TEST_HELPER_ESCAPE") != NULL;
	tr->test.verify_full = true; /* the tests can afford to compare every byte */
	tr->inj.keep_sud = getenv("HUGEXEC_TEST_KEEP_SUD") != NULL;
	tr->test.no_procmap_query = getenv("HUGEXEC_TEST_NO_PROCMAP_QUERY") != NULL;
	tr->test.stuck_call = getenv("HUGEXEC_TEST_STUCK_CALL");
	const char *stop = getenv("HUGEXEC_TEST_ENTRY_STOP");
	tr->test.force_stop = !stop ? LD_BP_NONE : strcmp(stop, "int3") == 0 ? LD_BP_INT3
			    : strcmp(stop, "fault") == 0 ? LD_BP_FAULT
			    : strcmp(stop, "hw") == 0 ? LD_BP_HW : LD_BP_NONE;
	const char *op = getenv("HUGEXEC_TEST_FAIL_OP");
	const char *colon = op ? strchr(op, ':') : NULL;
	if (colon) {
		fail_op.kind = strncmp(op, "ptrace", 6) == 0 ? 1 : strncmp(op, "waitpid", 7) == 0 ? 2
			     : strncmp(op, "vm", 2) == 0 ? 3 : 0;
		fail_op.at = strtoul(colon + 1, NULL, 10);
		tr->inj.ops = &failing;
	}
}

bool ld_test_no_precheck(void)
{
	return getenv("HUGEXEC_TEST_NO_PRECHECK") != NULL;
}

void ld_test_pause(void)
{
	const char *pause = getenv("HUGEXEC_TEST_PAUSE_MS");
	if (pause)
		usleep((useconds_t)strtoul(pause, NULL, 10) * 1000);
}

void ld_test_damage_plan(uint8_t **buf, size_t *len)
{
	const char *evil = getenv("HUGEXEC_TEST_EVIL_PLAN");
	uint8_t *pb = *buf;
	size_t pb_len = *len;
	if (evil && strcmp(evil, "truncate") == 0 && pb_len > 10)
		pb_len -= 10;
	if (evil && strcmp(evil, "oversize") == 0) {
		uint8_t *nb = realloc(pb, pb_len + 100);
		if (nb) {
			memset(nb + pb_len, 0xff, 100);
			pb = nb;
			pb_len += 100;
		}
	}
	if (evil && strcmp(evil, "execve") == 0 && pb_len > sizeof(struct hx_plan_header) +
		    sizeof(struct hx_plan_group) * ((struct hx_plan_header *)pb)->n_groups + 4) {
		size_t at = sizeof(struct hx_plan_header) +
			    sizeof(struct hx_plan_group) * ((struct hx_plan_header *)pb)->n_groups;
		uint32_t op = 59; /* __NR_execve, not a step the vocabulary knows */
		memcpy(pb + at, &op, sizeof(op));
	}
	*buf = pb;
	*len = pb_len;
}

/* A helper that puts code of its choosing into the island (island.c must
 * refuse each): island-code changes one instruction byte of a copy,
 * island-jump retargets a patch into the middle of a copy, island-eh
 * changes a byte of an unwind record, island-personality points a CIE's
 * personality somewhere else. */
static void island_corrupt(struct hx_plan *p, const char *kind)
{
	for (uint32_t i = 0; i < p->n_steps; i++) {
		struct hx_plan_step *s = &p->steps[i];
		if (strcmp(kind, "island-jump") == 0 && s->op == HX_OP_PATCH) {
			s->a[1] += 1;
			return;
		}
		if (s->op != HX_OP_POKE || s->a[2] < 16)
			continue;
		uint8_t *d = p->data + s->a[1];
		if (strcmp(kind, "island-code") == 0) { /* the first copy's first byte */
			for (uint32_t k = i; k < p->n_steps; k++)
				if (p->steps[k].op == HX_OP_MOVED && p->steps[k].a[1] >= s->a[0] &&
				    p->steps[k].a[1] < s->a[0] + s->a[2]) {
					d[p->steps[k].a[1] - s->a[0]] ^= 0x40;
					return;
				}
		}
		if (strcmp(kind, "island-eh") == 0 && (p->steps[i - 1].a[2] & PROT_EXEC) == 0) {
			d[s->a[2] - 5] ^= 0x01; /* the last record's last instruction byte */
			return;
		}
		if (strcmp(kind, "island-personality") == 0 && (p->steps[i - 1].a[2] & PROT_EXEC) == 0) {
			for (uint64_t k = 0; k + 4 < s->a[2]; k++) /* the first "zPLR" CIE */
				if (memcmp(d + k, "zPLR", 5) == 0) {
					d[k + 5 + 1 + 1 + 1 + 1 + 1 + 1] ^= 0x10; /* inside P's pointer */
					return;
				}
		}
	}
}

void ld_test_plan_corrupt(struct ld_tracer *tr)
{
	const char *kind = getenv("HUGEXEC_TEST_EVIL_PLAN");
	struct hx_plan *p = &tr->pl.plan;
	if (!kind || p->n_groups == 0)
		return;
	for (uint32_t i = 0; i < p->n_steps; i++) {
		struct hx_plan_step *s = &p->steps[i];
		if (strcmp(kind, "munmap-stack") == 0 && s->op == HX_OP_MUNMAP) {
			for (size_t k = 0; k < tr->pl.vmas.n; k++)
				if (tr->pl.vmas.v[k].kind == HX_VMA_STACK) {
					s->a[0] = tr->pl.vmas.v[k].start;
					s->a[1] = tr->pl.vmas.v[k].end - tr->pl.vmas.v[k].start;
				}
		}
		if (strcmp(kind, "mprotect-rwx") == 0 && s->op == HX_OP_MPROTECT)
			s->a[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
	}
	island_corrupt(p, kind);
	if (strcmp(kind, "outside") == 0) /* every alternative, so only the region is wrong */
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].addr = 0x200000;
	if (strcmp(kind, "overlap") == 0)
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].alt_of = -1;
	if (strcmp(kind, "wrong-pid") == 0)
		p->pid = 1;
	if (strcmp(kind, "null-region") == 0)
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].addr = 0;
	if (strcmp(kind, "stage-by-stack") == 0) /* every staging area just under [stack] */
		for (uint32_t i = 0; i < p->n_groups; i++) {
			struct hx_plan_group *g = &p->groups[i];
			uint64_t top = 0;
			for (size_t k = 0; k < tr->pl.vmas.n; k++)
				if (tr->pl.vmas.v[k].kind == HX_VMA_STACK)
					top = tr->pl.vmas.v[k].start;
			uint64_t ns = ((top - g->len) & ~((2ull << 20) - 1)) - (2ull << 20);
			for (uint32_t k = 0; g->staging && k < g->n_steps; k++) {
				uint64_t *a0 = &p->steps[g->first_step + k].a[0];
				if (*a0 >= g->staging && *a0 < g->staging + g->len)
					*a0 = *a0 - g->staging + ns;
			}
		}
}
#else
typedef int ld_testhooks_unused; /* an empty file is not C */
#endif

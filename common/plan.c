/*
 * plan.c - building plans in memory, and the names of their parts.
 *
 * The wire encoding lives in plan_codec.c; this file never sees bytes from
 * another process.
 * Must never: produce a group whose steps are not contiguous.
 */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const backing_names[HX_BACK_COUNT] = {
	[HX_BACK_NONE] = "4k",
	[HX_BACK_FILE] = "file",
	[HX_BACK_HUGETLB] = "hugetlb",
	[HX_BACK_THP] = "thp",
};

const char *hx_backing_name(uint32_t backing)
{
	return backing < HX_BACK_COUNT ? backing_names[backing] : "?";
}

static const char *const op_names[HX_OP_COUNT] = {
	[HX_OP_MMAP] = "mmap",
	[HX_OP_MUNMAP] = "munmap",
	[HX_OP_MPROTECT] = "mprotect",
	[HX_OP_MADVISE] = "madvise",
	[HX_OP_MREMAP] = "mremap",
	[HX_OP_COPY] = "copy",
	[HX_OP_TRACER_COPY] = "tracer-copy",
	[HX_OP_NAME] = "name",
	[HX_OP_EVICT] = "evict",
	[HX_OP_CHECK_HUGE] = "check-huge",
	[HX_OP_VERIFY] = "verify",
	[HX_OP_READ_FILE] = "read-file",
	[HX_OP_POKE] = "poke",
	[HX_OP_MOVED] = "moved",
	[HX_OP_EH_REGISTER] = "eh-register",
	[HX_OP_PATCH] = "patch",
};

bool hx_anon_name_char_ok(char c)
{
	return c >= 0x20 && c <= 0x7e && !strchr("\\`$[]", c);
}

bool hx_anon_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > HX_ANON_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!hx_anon_name_char_ok(*s))
			return false;
	return true;
}

const char *hx_op_name(uint32_t op)
{
	return (op > 0 && op < HX_OP_COUNT) ? op_names[op] : "?";
}

bool hx_op_is_syscall(uint32_t op)
{
	switch (op) {
	case HX_OP_MMAP:
	case HX_OP_MUNMAP:
	case HX_OP_MPROTECT:
	case HX_OP_MADVISE:
	case HX_OP_MREMAP:
	case HX_OP_COPY:
	case HX_OP_READ_FILE:
	case HX_OP_NAME:
		return true;
	default:
		return false;
	}
}

void hx_plan_init(struct hx_plan *p, int32_t pid)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->notes_str = HX_NO_STR;
	p->reason_str = HX_NO_STR;
	p->warn_str = HX_NO_STR;
	p->layout_str = HX_NO_STR;
}

void hx_plan_free(struct hx_plan *p)
{
	if (!p)
		return;
	free(p->groups);
	free(p->steps);
	free(p->strings);
	free(p->data);
	memset(p, 0, sizeof(*p));
}

/* Make room for element n of *arr. Capacities are 8, 16, 32...: an array
 * is full exactly when n is one of them. */
static int grow(void **arr, uint32_t n, size_t sz)
{
	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return 0;
	size_t cap = n ? (size_t)n * 2 : 8;
	void *na = realloc(*arr, cap * sz);
	if (!na)
		return -ENOMEM;
	*arr = na;
	return 0;
}

int hx_plan_add_data(struct hx_plan *p, const void *bytes, size_t len, uint32_t *off)
{
	if ((uint64_t)p->data_size + len > HX_PLAN_MAX_DATA)
		return -E2BIG;
	uint8_t *nd = realloc(p->data, p->data_size + len + 1);
	if (!nd)
		return -ENOMEM;
	memcpy(nd + p->data_size, bytes, len);
	p->data = nd;
	*off = p->data_size;
	p->data_size += (uint32_t)len;
	return 0;
}

int hx_plan_add_string(struct hx_plan *p, const char *s, uint32_t *off)
{
	size_t l = strlen(s) + 1;
	if ((uint64_t)p->strings_size + l > HX_PLAN_MAX_STRINGS)
		return -E2BIG;
	char *ns = realloc(p->strings, p->strings_size + l);
	if (!ns)
		return -ENOMEM;
	memcpy(ns + p->strings_size, s, l);
	p->strings = ns;
	*off = p->strings_size;
	p->strings_size += (uint32_t)l;
	return 0;
}

int hx_plan_add_step(struct hx_plan *p, uint32_t op, uint32_t flags, uint64_t a0,
		     uint64_t a1, uint64_t a2, uint64_t a3)
{
	if (p->n_steps >= HX_PLAN_MAX_STEPS)
		return -E2BIG;
	if (grow((void **)&p->steps, p->n_steps, sizeof(*p->steps)))
		return -ENOMEM;
	struct hx_plan_step *s = &p->steps[p->n_steps++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->flags = flags;
	s->a[0] = a0;
	s->a[1] = a1;
	s->a[2] = a2;
	s->a[3] = a3;
	return 0;
}

int hx_plan_add_group(struct hx_plan *p, const struct hx_plan_group *g)
{
	if (p->n_groups >= HX_PLAN_MAX_GROUPS)
		return -E2BIG;
	if (grow((void **)&p->groups, p->n_groups, sizeof(*p->groups)))
		return -ENOMEM;
	struct hx_plan_group *ng = &p->groups[p->n_groups++];
	*ng = *g;
	ng->first_step = p->n_steps;
	ng->n_steps = 0;
	return 0;
}

void hx_plan_close_group(struct hx_plan *p)
{
	if (p->n_groups == 0)
		return;
	struct hx_plan_group *g = &p->groups[p->n_groups - 1];
	g->n_steps = p->n_steps - g->first_step;
}

const char *hx_plan_str(const struct hx_plan *p, uint32_t off)
{
	if (off == HX_NO_STR || off >= p->strings_size)
		return "";
	return p->strings + off;
}

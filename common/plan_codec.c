/*
 * plan_codec.c - the only code that turns a plan into bytes and back.
 *
 * Decoding checks every structural fact before anything else looks at the
 * plan: magic, version, byte order, struct sizes, counts against the
 * bounds, exact total size, groups that partition the steps in order,
 * alternatives that point backwards, known ops and flags, strings that are
 * NUL-terminated and referenced in range.
 * Must never: read outside buf, or return a plan that failed a check.
 */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hx_plan_encode(const struct hx_plan *p, uint8_t **buf, size_t *len)
{
	uint64_t total = sizeof(struct hx_plan_header) +
			 (uint64_t)p->n_groups * sizeof(struct hx_plan_group) +
			 (uint64_t)p->n_steps * sizeof(struct hx_plan_step) + p->strings_size +
			 p->data_size;
	if (total > HX_PLAN_MAX_BYTES)
		return -E2BIG;
	uint8_t *b = calloc(1, (size_t)total);
	if (!b)
		return -ENOMEM;
	struct hx_plan_header h = {
		.magic = HX_PLAN_MAGIC,
		.version = HX_PLAN_VERSION,
		.header_size = sizeof(struct hx_plan_header),
		.total_size = (uint32_t)total,
		.group_size = sizeof(struct hx_plan_group),
		.step_size = sizeof(struct hx_plan_step),
		.n_groups = p->n_groups,
		.n_steps = p->n_steps,
		.strings_size = p->strings_size,
		.flags = p->flags,
		.pid = p->pid,
		.notes_str = p->notes_str,
		.reason_str = p->reason_str,
		.left_bytes = p->left_bytes,
		.warn_str = p->warn_str,
		.data_size = p->data_size,
		.layout_str = p->layout_str,
		.byte_order = HX_BYTE_ORDER_MARK,
	};
	uint8_t *w = b;
	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	if (p->n_groups) {
		memcpy(w, p->groups, p->n_groups * sizeof(struct hx_plan_group));
		w += p->n_groups * sizeof(struct hx_plan_group);
	}
	if (p->n_steps) {
		memcpy(w, p->steps, p->n_steps * sizeof(struct hx_plan_step));
		w += p->n_steps * sizeof(struct hx_plan_step);
	}
	if (p->strings_size) {
		memcpy(w, p->strings, p->strings_size);
		w += p->strings_size;
	}
	if (p->data_size)
		memcpy(w, p->data, p->data_size);
	*buf = b;
	*len = (size_t)total;
	return 0;
}

static bool str_ok(uint32_t off, uint32_t strings_size)
{
	return off == HX_NO_STR || off < strings_size;
}

static int check_header(const struct hx_plan_header *h, size_t len, struct hx_err *e)
{
	if (h->magic != HX_PLAN_MAGIC)
		return hx_fail(e, -EBADMSG, "plan: bad magic");
	if (h->version != HX_PLAN_VERSION)
		return hx_fail(e, -EPROTO, "plan: version %u, expected %u", h->version,
			       HX_PLAN_VERSION);
	if (h->byte_order != HX_BYTE_ORDER_MARK)
		return hx_fail(e, -EBADMSG, "plan: byte order mark mismatch");
	if (h->header_size != sizeof(*h) || h->group_size != sizeof(struct hx_plan_group) ||
	    h->step_size != sizeof(struct hx_plan_step))
		return hx_fail(e, -EBADMSG, "plan: struct sizes differ");
	if (h->n_groups > HX_PLAN_MAX_GROUPS || h->n_steps > HX_PLAN_MAX_STEPS ||
	    h->strings_size > HX_PLAN_MAX_STRINGS || h->data_size > HX_PLAN_MAX_DATA)
		return hx_fail(e, -E2BIG, "plan: too many groups, steps or strings");
	uint64_t want = sizeof(*h) + (uint64_t)h->n_groups * sizeof(struct hx_plan_group) +
			(uint64_t)h->n_steps * sizeof(struct hx_plan_step) + h->strings_size +
			h->data_size;
	if (h->total_size != len || want != len)
		return hx_fail(e, -EBADMSG, "plan: size %zu does not match its header", len);
	if (h->flags != 0)
		return hx_fail(e, -EBADMSG, "plan: unknown flags %#x", h->flags);
	if (!str_ok(h->notes_str, h->strings_size) || !str_ok(h->reason_str, h->strings_size) ||
	    !str_ok(h->warn_str, h->strings_size) || !str_ok(h->layout_str, h->strings_size))
		return hx_fail(e, -EBADMSG, "plan: notes string out of range");
	if (h->left_bytes % HX_HUGE != 0)
		return hx_fail(e, -EBADMSG, "plan: text left out is not a whole number of 2 MB pages");
	return 0;
}

static int check_groups(const struct hx_plan *p, struct hx_err *e)
{
	uint32_t next = 0;
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct hx_plan_group *g = &p->groups[i];
		if (g->first_step != next || g->n_steps == 0 ||
		    (uint64_t)g->first_step + g->n_steps > p->n_steps)
			return hx_fail(e, -EBADMSG, "plan: group %u steps out of order", i);
		next = g->first_step + g->n_steps;
		if (g->alt_of < -1 || g->alt_of >= (int32_t)i)
			return hx_fail(e, -EBADMSG, "plan: group %u alternative of %d", i, g->alt_of);
		if (g->backing == HX_BACK_NONE || g->backing >= HX_BACK_COUNT)
			return hx_fail(e, -EBADMSG, "plan: group %u backing %u", i, g->backing);
		if (g->flags & ~(uint32_t)HX_GROUP_FLAGS_ALL)
			return hx_fail(e, -EBADMSG, "plan: group %u flags %#x", i, g->flags);
		if (!str_ok(g->path_str, p->strings_size) || !str_ok(g->perfmap_str, p->strings_size))
			return hx_fail(e, -EBADMSG, "plan: group %u string out of range", i);
		if (g->heat > HX_HEAT_ALL)
			return hx_fail(e, -EBADMSG, "plan: group %u heat %u out of range", i, g->heat);
	}
	if (next != p->n_steps)
		return hx_fail(e, -EBADMSG, "plan: %u steps belong to no group", p->n_steps - next);
	for (uint32_t i = 0; i < p->n_steps; i++) {
		const struct hx_plan_step *s = &p->steps[i];
		if (s->op == 0 || s->op >= HX_OP_COUNT)
			return hx_fail(e, -EBADMSG, "plan: step %u unknown op %u", i, s->op);
		if (s->flags & ~(uint32_t)HX_STEP_FLAGS_ALL)
			return hx_fail(e, -EBADMSG, "plan: step %u flags %#x", i, s->flags);
		if (s->op == HX_OP_POKE &&
		    (s->a[1] > p->data_size || s->a[2] > p->data_size - s->a[1] || s->a[2] == 0))
			return hx_fail(e, -EBADMSG, "plan: step %u data out of range", i);
		if (s->op == HX_OP_NAME &&
		    (s->a[2] > UINT32_MAX || s->a[2] == HX_NO_STR || s->a[2] >= p->strings_size))
			return hx_fail(e, -EBADMSG, "plan: step %u name out of range", i);
	}
	return 0;
}

int hx_plan_decode(const uint8_t *buf, size_t len, struct hx_plan *out, struct hx_err *e)
{
	struct hx_plan_header h;
	hx_plan_init(out, 0);
	if (len < sizeof(h))
		return hx_fail(e, -EBADMSG, "plan: truncated (%zu bytes)", len);
	memcpy(&h, buf, sizeof(h));
	int r = check_header(&h, len, e);
	if (r < 0)
		return r;
	size_t gbytes = (size_t)h.n_groups * sizeof(struct hx_plan_group);
	size_t sbytes = (size_t)h.n_steps * sizeof(struct hx_plan_step);
	out->pid = h.pid;
	out->flags = h.flags;
	out->notes_str = h.notes_str;
	out->reason_str = h.reason_str;
	out->left_bytes = h.left_bytes;
	out->warn_str = h.warn_str;
	out->layout_str = h.layout_str;
	out->data_size = h.data_size;
	out->n_groups = h.n_groups;
	out->n_steps = h.n_steps;
	out->strings_size = h.strings_size;
	out->groups = malloc(gbytes ? gbytes : 1);
	out->steps = malloc(sbytes ? sbytes : 1);
	out->strings = malloc(h.strings_size ? h.strings_size : 1);
	out->data = malloc(h.data_size ? h.data_size : 1);
	if (!out->groups || !out->steps || !out->strings || !out->data) {
		hx_plan_free(out);
		return hx_fail(e, -ENOMEM, "plan: out of memory");
	}
	const uint8_t *rd = buf + sizeof(h);
	memcpy(out->groups, rd, gbytes);
	rd += gbytes;
	memcpy(out->steps, rd, sbytes);
	rd += sbytes;
	memcpy(out->strings, rd, h.strings_size);
	rd += h.strings_size;
	memcpy(out->data, rd, h.data_size);
	if (h.strings_size && out->strings[h.strings_size - 1] != '\0') {
		hx_plan_free(out);
		return hx_fail(e, -EBADMSG, "plan: strings not terminated");
	}
	r = check_groups(out, e);
	if (r < 0)
		hx_plan_free(out);
	return r;
}

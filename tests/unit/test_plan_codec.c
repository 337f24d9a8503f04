/* test_plan_codec.c - the plan's wire format: round trip and every
 * structural rejection; the request's too. */
#include "fixtures.h"
#include "../../common/plan.h"
#include "../../common/request.h"

#include <errno.h>
#include <stdlib.h>

static void sample(struct hx_plan *p)
{
	hx_plan_init(p, 99);
	uint32_t path, name;
	assert_int_equal(hx_plan_add_string(p, "/bin/x", &path), 0);
	assert_int_equal(hx_plan_add_string(p, "hugexec /bin/x", &name), 0);
	struct hx_plan_group g = {.addr = 0x600000, .len = 0x400000, .backing = HX_BACK_FILE,
				  .alt_of = -1, .path_str = path};
	assert_int_equal(hx_plan_add_group(p, &g), 0);
	assert_int_equal(hx_plan_add_step(p, HX_OP_MADVISE, 0, 0x600000, 0x400000, 14, 0), 0);
	assert_int_equal(hx_plan_add_step(p, HX_OP_CHECK_HUGE, 0, 0x600000, 0x400000, 0, 0), 0);
	hx_plan_close_group(p);
	g.backing = HX_BACK_THP;
	g.alt_of = 0;
	assert_int_equal(hx_plan_add_group(p, &g), 0);
	assert_int_equal(hx_plan_add_step(p, HX_OP_NAME, HX_STEP_OPTIONAL, 0x600000, 0x400000, name, 0), 0);
	hx_plan_close_group(p);
	assert_int_equal(hx_plan_add_string(p, "a note", &p->notes_str), 0);
}

static void encode(const struct hx_plan *p, uint8_t **buf, size_t *len)
{
	assert_int_equal(hx_plan_encode(p, buf, len), 0);
}

static int decode(const uint8_t *buf, size_t len)
{
	struct hx_plan out;
	struct hx_err e = {0};
	int r = hx_plan_decode(buf, len, &out, &e);
	if (r == 0)
		hx_plan_free(&out);
	else
		assert_true(e.msg[0] != '\0');
	return r;
}

static void test_plan_round_trip(void **state)
{
	(void)state;
	struct hx_plan p, q;
	uint8_t *buf;
	size_t len;
	struct hx_err e = {0};
	sample(&p);
	p.left_bytes = 10 * HX_HUGE; /* qualified text that got no group */
	encode(&p, &buf, &len);
	assert_int_equal(hx_plan_decode(buf, len, &q, &e), 0);
	assert_int_equal(q.pid, 99);
	assert_int_equal(q.left_bytes, 10 * HX_HUGE);
	assert_int_equal(q.n_groups, 2);
	assert_int_equal(q.n_steps, 3);
	assert_int_equal(q.groups[1].alt_of, 0);
	assert_int_equal(q.groups[1].first_step, 2);
	assert_memory_equal(q.steps, p.steps, 3 * sizeof(*p.steps));
	assert_string_equal(hx_plan_str(&q, q.groups[0].path_str), "/bin/x");
	assert_string_equal(hx_plan_str(&q, (uint32_t)q.steps[2].a[2]), "hugexec /bin/x");
	assert_string_equal(hx_plan_str(&q, q.notes_str), "a note");
	free(buf);
	hx_plan_free(&p);
	hx_plan_free(&q);
}

static void test_plan_empty_round_trip(void **state)
{
	(void)state;
	struct hx_plan p;
	uint8_t *buf;
	size_t len;
	hx_plan_init(&p, 1);
	encode(&p, &buf, &len);
	assert_int_equal(len, sizeof(struct hx_plan_header));
	assert_int_equal(decode(buf, len), 0);
	free(buf);
	hx_plan_free(&p);
}

/* Patch one field of an encoded plan and expect a refusal. */
static void patched(size_t off, const void *val, size_t n, int want)
{
	struct hx_plan p;
	uint8_t *buf;
	size_t len;
	sample(&p);
	encode(&p, &buf, &len);
	memcpy(buf + off, val, n);
	assert_int_equal(decode(buf, len), want);
	free(buf);
	hx_plan_free(&p);
}

#define HDR(f) offsetof(struct hx_plan_header, f)
#define GRP(i, f) (sizeof(struct hx_plan_header) + (i) * sizeof(struct hx_plan_group) + \
		   offsetof(struct hx_plan_group, f))
#define STP(i, f) (sizeof(struct hx_plan_header) + 2 * sizeof(struct hx_plan_group) + \
		   (i) * sizeof(struct hx_plan_step) + offsetof(struct hx_plan_step, f))

static void test_plan_decode_rejects_header(void **state)
{
	(void)state;
	uint64_t u64 = 0x1234;
	uint16_t v1 = 1; /* before warnings and heat */
	uint32_t big = 100000, one = 1, odd = 3;
	patched(HDR(magic), &u64, 8, -EBADMSG);
	patched(HDR(version), &v1, 2, -EPROTO);
	patched(HDR(byte_order), &u64, 8, -EBADMSG);
	patched(HDR(group_size), &odd, 4, -EBADMSG);
	patched(HDR(n_steps), &big, 4, -E2BIG);
	patched(HDR(n_groups), &one, 4, -EBADMSG);   /* sizes no longer add up */
	patched(HDR(total_size), &one, 4, -EBADMSG);
	patched(HDR(flags), &one, 4, -EBADMSG);
	patched(HDR(notes_str), &big, 4, -EBADMSG);
	patched(HDR(warn_str), &big, 4, -EBADMSG);
	patched(HDR(left_bytes), &u64, 8, -EBADMSG); /* not whole 2 MB pages */
}

static void test_plan_decode_rejects_groups_and_steps(void **state)
{
	(void)state;
	int32_t fwd = 1, neg = -5;
	uint32_t zero = 0, big = 99, bad = 77, unknown_flag = 0x80;
	patched(GRP(0, alt_of), &fwd, 4, -EBADMSG);      /* alternative of a later group */
	patched(GRP(1, alt_of), &neg, 4, -EBADMSG);
	patched(GRP(0, n_steps), &zero, 4, -EBADMSG);
	patched(GRP(1, first_step), &big, 4, -EBADMSG);  /* steps out of order */
	patched(GRP(0, backing), &zero, 4, -EBADMSG);    /* "4k" is not a goal */
	patched(GRP(0, backing), &bad, 4, -EBADMSG);
	patched(GRP(0, flags), &unknown_flag, 4, -EBADMSG);
	patched(GRP(0, path_str), &big, 4, -EBADMSG);
	uint32_t too_hot = HX_HEAT_ALL + 1;
	patched(GRP(0, heat), &too_hot, 4, -EBADMSG);    /* more than all the samples */
	patched(GRP(0, perfmap_str), &big, 4, -EBADMSG);
	patched(STP(0, op), &zero, 4, -EBADMSG);
	patched(STP(0, op), &bad, 4, -EBADMSG);          /* e.g. an "execve" step */
	patched(STP(0, flags), &unknown_flag, 4, -EBADMSG);
	uint64_t far = 1u << 30;
	patched(STP(2, a[2]), &far, 8, -EBADMSG);        /* name string out of range */
}

static void test_plan_decode_rejects_truncation(void **state)
{
	(void)state;
	struct hx_plan p;
	uint8_t *buf;
	size_t len;
	sample(&p);
	encode(&p, &buf, &len);
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(decode(buf, n), 0);
	uint8_t *longer = calloc(1, len + 8);
	memcpy(longer, buf, len);
	assert_int_equal(decode(longer, len + 8), -EBADMSG); /* trailing bytes */
	buf[len - 1] = 'x'; /* strings no longer terminated */
	assert_int_equal(decode(buf, len), -EBADMSG);
	free(longer);
	free(buf);
	hx_plan_free(&p);
}

/* Every single-byte change either decodes to a plan that passed all the
 * checks, or is refused; it never crashes (ASan watches). */
static void test_plan_decode_survives_mutation(void **state)
{
	(void)state;
	struct hx_plan p;
	uint8_t *buf;
	size_t len;
	sample(&p);
	encode(&p, &buf, &len);
	for (size_t i = 0; i < len; i++) {
		uint8_t keep = buf[i];
		for (int v = 0; v < 256; v += 37) {
			buf[i] = (uint8_t)v;
			(void)decode(buf, len);
		}
		buf[i] = keep;
	}
	free(buf);
	hx_plan_free(&p);
}

static void test_request_round_trip(void **state)
{
	(void)state;
	struct hx_request r = {0}, back;
	struct hx_req_file f = {0xfe, 1, 1180, 7, 0};
	r.h.pid = 5;
	r.h.entry = 0x1234;
	r.h.backing_mode = HX_MODE_THP;
	r.h.n_files = 1;
	r.files = &f;
	r.maps = (char *)FIX_NOPIE_MAPS;
	r.only = (char *)"*node*";
	r.exclude = (char *)"";
	r.profile_name = (char *)"/etc/db.prof";
	r.h.profile_fd = 9;
	r.h.stack_rlimit = 8u << 20;
	uint8_t *buf;
	size_t len;
	struct hx_err e = {0};
	assert_int_equal(hx_request_encode(&r, &buf, &len), 0);
	assert_int_equal(hx_request_decode(buf, len, &back, &e), 0);
	assert_int_equal(back.h.pid, 5);
	assert_int_equal(back.h.entry, 0x1234);
	assert_int_equal(back.files[0].inode, 1180);
	assert_int_equal(back.files[0].fd, 7);
	assert_string_equal(back.maps, FIX_NOPIE_MAPS);
	assert_string_equal(back.only, "*node*");
	assert_string_equal(back.exclude, "");
	assert_string_equal(back.profile_name, "/etc/db.prof");
	assert_int_equal(back.h.profile_fd, 9);
	assert_int_equal(back.h.stack_rlimit, 8u << 20);
	hx_request_free(&back);
	for (size_t n = 0; n < len; n++) /* truncated */
		assert_int_not_equal(hx_request_decode(buf, n, &back, &e), 0);
	struct hx_req_header *h = (struct hx_req_header *)buf;
	h->backing_mode = 9;
	assert_int_equal(hx_request_decode(buf, len, &back, &e), -EBADMSG);
	h->backing_mode = HX_MODE_THP;
	h->profile_fd = -1; /* a profile name without its descriptor */
	assert_int_equal(hx_request_decode(buf, len, &back, &e), -EBADMSG);
	free(buf);
}

static void test_pattern_list_match(void **state)
{
	(void)state;
	assert_true(hx_pattern_list_match("*libLLVM*\n/usr/sbin/*", "/usr/sbin/mariadbd"));
	assert_true(hx_pattern_list_match("*libLLVM*", "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"));
	assert_false(hx_pattern_list_match("*libLLVM*", "/usr/lib/libc.so.6"));
	assert_false(hx_pattern_list_match("", "/x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_round_trip),
		cmocka_unit_test(test_plan_empty_round_trip),
		cmocka_unit_test(test_plan_decode_rejects_header),
		cmocka_unit_test(test_plan_decode_rejects_groups_and_steps),
		cmocka_unit_test(test_plan_decode_rejects_truncation),
		cmocka_unit_test(test_plan_decode_survives_mutation),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_pattern_list_match),
	};
	return cmocka_run_group_tests_name("plan_codec", tests, NULL, NULL);
}

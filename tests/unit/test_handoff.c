/* test_handoff.c - loader/handoff.c: the record the launcher's tracer
 * passes to hugexec-core across its exec, at the entry stop. */
#include "fixtures.h"
#include "../../loader/handoff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a tracer holding a program at its entry stop knows. */
static void at_entry(struct ld_tracer *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->pid = 4242;
	tr->stop.entry = 0x555555554abcull;
	tr->stop.interp_base = 0x7f0000000000ull;
	tr->stop.vdso = 0x7fff00000000ull;
	tr->stop.stopped_by = LD_BP_INT3;
	tr->stop.at_entry = true;
	snprintf(tr->stop.settle.note, sizeof(tr->stop.settle.note), "a note");
	tr->follow_until = 123456789;
	tr->followed = 2;
	tr->reported = true;
	tr->t.entry_ns = 987654321;
}

/* The record as written, read back from the pipe. */
static void round_trip(const struct ld_tracer *tr, const char *path, struct ld_handoff *h)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	/* (what ld_handoff_exec writes, without the exec) */
	struct ld_handoff *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	ld_handoff_fill(w, tr, path);
	size_t len = ld_handoff_wire_len(w);
	assert_true(len < 512); /* a few hundred bytes: any pipe holds it */
	assert_int_equal(hx_write_all(p[1], w, len), 0);
	close(p[1]);
	free(w);
	struct hx_err e = {0};
	assert_int_equal(ld_handoff_read(p[0], h, &e), 0);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct ld_tracer tr, back;
	at_entry(&tr);
	struct ld_handoff *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	round_trip(&tr, "/usr/sbin/mariadbd", h);
	assert_int_equal(h->pid, 4242);
	assert_string_equal(h->path, "/usr/sbin/mariadbd");
	memset(&back, 0, sizeof(back));
	ld_handoff_apply(h, &back);
	assert_true(back.stop.at_entry);
	assert_int_equal(back.stop.bp, LD_BP_NONE);
	assert_int_equal(back.stop.entry, tr.stop.entry);
	assert_int_equal(back.stop.interp_base, tr.stop.interp_base);
	assert_int_equal(back.stop.vdso, tr.stop.vdso);
	assert_int_equal(back.stop.stopped_by, LD_BP_INT3);
	assert_string_equal(back.stop.settle.note, "a note");
	assert_int_equal(back.follow_until, 123456789);
	assert_int_equal(back.followed, 2);
	assert_true(back.reported);
	assert_int_equal(back.t.entry_ns, 987654321);
	free(h);
}

/* Another build's record (or a short one) is refused, never applied. */
static void test_refused(void **state)
{
	(void)state;
	struct ld_tracer tr;
	at_entry(&tr);
	struct ld_handoff *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	ld_handoff_fill(h, &tr, "/bin/x");
	for (int k = 0; k < 4; k++) {
		struct ld_handoff bad = *h;
		size_t len = ld_handoff_wire_len(&bad);
		if (k == 0)
			snprintf(bad.version, sizeof(bad.version), "0.0.9");
		else if (k == 1)
			bad.magic ^= 1;
		else if (k == 2)
			len -= 1; /* cut short: the path without its NUL */
		else
			len = sizeof(bad); /* too long: the whole struct */
		int p[2];
		assert_int_equal(pipe(p), 0);
		assert_int_equal(hx_write_all(p[1], &bad, len), 0);
		close(p[1]);
		struct ld_handoff got;
		struct hx_err e = {0};
		assert_int_equal(ld_handoff_read(p[0], &got, &e), -EPROTO);
		assert_non_null(strstr(e.msg, "different builds"));
	}
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("handoff", tests, NULL, NULL);
}

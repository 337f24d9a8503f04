/* test_profile_perfscript.c - importing `perf script` text: the checked-in
 * samples in tests/fixtures (taken on the development machine with perf
 * 6.1: `perf record -e task-clock [-g]` of build/progs/bigtext-pie --hot-mb 1
 * and of tests/tools/threads, then `perf script --no-demangle`), malformed
 * text, and the whole import down to a profile through the sandboxed
 * symbolizer, on this test binary's own symbols. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../record/perfscript.h"
#include "../../record/symbolize.h"

/* The fixtures, from the repository root (where make runs the tests) or
 * relative to this file. */
static char *fixture(const char *name, size_t *len)
{
	char path[512], *text = NULL;
	snprintf(path, sizeof(path), "tests/fixtures/%s", name);
	if (hx_read_file(path, 16 << 20, &text, len) == 0)
		return text;
	const char *me = __FILE__, *slash = strrchr(me, '/');
	snprintf(path, sizeof(path), "%.*s/../fixtures/%s", slash ? (int)(slash - me) : 1,
		 slash ? me : ".", name);
	if (hx_read_file(path, 16 << 20, &text, len) == 0)
		return text;
	fail_msg("fixture %s not found (run from the repository root)", name);
	return NULL;
}

static uint64_t count_sym(const struct rec_raw *raw, const char *prefix, bool leaf)
{
	uint64_t n = 0;
	for (size_t i = 0; i < raw->cap_slots; i++) {
		const struct rec_slot *s = &raw->slots[i];
		const struct rec_loc *l = leaf ? &s->k.ip : &s->k.cand[REC_CANDS - 1];
		const char *name = rec_raw_name_str(raw, l->name);
		if (s->count && name && strncmp(name, prefix, strlen(prefix)) == 0)
			n += s->count;
	}
	return n;
}

static void test_perfscript_bigtext_callchains(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("perfscript-bigtext-g.txt", &len);
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e = {0};
	assert_int_equal(rec_raw_init(&raw, 1000), 0);
	assert_int_equal(prof_perfscript_parse(text, len, "g.txt", &raw, &st, &e), 0);
	assert_int_equal(st.samples, 260);
	assert_int_equal(st.kernel, 3);
	assert_int_equal(st.no_object, 0);
	assert_string_equal(raw.event, "task-clock");
	assert_int_equal(raw.samples, 260);
	assert_int_equal(raw.unattributed, 3);
	assert_true(rec_raw_object_by_path(&raw, "/work/main/build/progs/bigtext-pie") > 0);
	assert_int_equal(count_sym(&raw, "bt_f", true) + count_sym(&raw, "main", true), 256);
	/* a leaf's caller comes from the chain's second frame */
	assert_int_equal(count_sym(&raw, "main", false), 0); /* bigtext's chains stop at the leaf */
	rec_raw_free(&raw);
	free(text);
}

static void test_perfscript_bigtext_plain(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("perfscript-bigtext.txt", &len);
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e = {0};
	assert_int_equal(rec_raw_init(&raw, 1000), 0);
	assert_int_equal(prof_perfscript_parse(text, len, "p.txt", &raw, &st, &e), 0);
	assert_int_equal(st.samples, 150);
	assert_int_equal(st.kernel, 9);
	assert_string_equal(raw.event, "task-clock");
	assert_int_equal(count_sym(&raw, "bt_f", true) + count_sym(&raw, "main", true) +
				 count_sym(&raw, "_dl", true), 141);
	rec_raw_free(&raw);
	free(text);
}

static void test_perfscript_threads(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("perfscript-threads-g.txt", &len);
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e = {0};
	assert_int_equal(rec_raw_init(&raw, 1000), 0);
	assert_int_equal(prof_perfscript_parse(text, len, "t.txt", &raw, &st, &e), 0);
	assert_int_equal(st.samples, 83);
	for (int k = 0; k < 4; k++) {
		char name[8];
		snprintf(name, sizeof(name), "spin%d", k);
		assert_true(count_sym(&raw, name, true) > 0);
	}
	assert_true(count_sym(&raw, "worker", false) > 0); /* spin* <- worker */
	assert_true(rec_raw_object_by_path(&raw, "/usr/lib/x86_64-linux-gnu/libc.so.6") > 0);
	rec_raw_free(&raw);
	free(text);
}

static void test_perfscript_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"", "x.txt: no samples found"},
		{"hugexec-profile 1\nend\n", "x.txt: no samples found"},
		{"\t  401136 main+0x16 (/bin/x)\n", "x.txt:1: a call-chain frame before any sample line"},
		{"a 1 1.0: 1 task-clock:\n\t  401136 main+0x16 (/bin/x)\n\tgarbage\n",
		 "x.txt:3: not a call-chain frame"},
		{"a 1 1.0: 1 task-clock:\n\t  zzzz main+0x16 (/bin/x)\n", "x.txt:2: not a call-chain frame"},
		{"a 1 1.0: 1 task-clock:\n\t  401136 main+0x16 /bin/x)\n", "x.txt:2: not a call-chain frame"},
		{"a 1 1.0: 1 task-clock:\n\t  401136 main+0x16 (/bin/x\n", "x.txt:2: not a call-chain frame"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rec_raw raw;
		struct prof_ps_stats st;
		struct hx_err e = {0};
		assert_int_equal(rec_raw_init(&raw, 100), 0);
		int r = prof_perfscript_parse(bad[i].text, strlen(bad[i].text), "x.txt", &raw, &st, &e);
		if (r != -EINVAL || strncmp(e.msg, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, e.msg, bad[i].want);
		rec_raw_free(&raw);
	}
	static const char nul[] = "a 1 1.0: 1 task-clock: 1 f+0x1 (/x)\n\0\n";
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e = {0};
	assert_int_equal(rec_raw_init(&raw, 100), 0);
	assert_int_equal(prof_perfscript_parse(nul, sizeof(nul) - 1, "x.txt", &raw, &st, &e), -EINVAL);
	assert_string_equal(e.msg, "x.txt:2: NUL byte: not perf script text");
	rec_raw_free(&raw);
}

/* Odd but valid: -F without header fields, C++ names, deleted files,
 * [unknown] symbols, frames without an offset, CRLF. */
static void test_perfscript_variants(void **state)
{
	(void)state;
	static const char text[] =
		"  5f0007 bt_f493+0x7 (/work/bigtext)\n"
		"comm 12 1.5: 1 cycles:u: 401136 std::vector<int>::push_back(int const&)+0x16 (/bin/a b)\r\n"
		"comm 12 1.6: 1 cycles:u: 401136 f+0x16 (/usr/bin/x (deleted))\n"
		"comm 12 1.7: 1 cycles:u: 7f0000001000 [unknown] ([unknown])\n"
		"comm 12 1.8: 1 cycles:u: 401000 [unknown] (/bin/y)\n"
		"comm 12 1.9: 1 cycles:u: 401000 g (/bin/y)\n"
		"comm 12 2.0: 1 cycles:u:\n"
		"\tffffffff81000000 entry_SYSCALL_64+0x10 ([kernel.kallsyms])\n"
		"\t401000 h+0x4 (/bin/y)\n"
		"\n";
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e = {0};
	assert_int_equal(rec_raw_init(&raw, 100), 0);
	assert_int_equal(prof_perfscript_parse(text, sizeof(text) - 1, "v.txt", &raw, &st, &e), 0);
	assert_int_equal(st.samples, 7);
	assert_int_equal(st.kernel, 1);
	assert_int_equal(st.no_object, 1);
	assert_int_equal(st.no_symbol, 1);
	assert_string_equal(raw.event, "cycles:u");
	assert_true(rec_raw_object_by_path(&raw, "/bin/a b") > 0);
	assert_true(rec_raw_object_by_path(&raw, "/usr/bin/x (deleted)") > 0);
	assert_int_equal(count_sym(&raw, "std::vector<int>::push_back(int const&)", true), 1);
	assert_int_equal(count_sym(&raw, "bt_f493", true), 1);
	assert_int_equal(count_sym(&raw, "g", true), 1);
	rec_raw_free(&raw);
}

/* From text naming this binary's own functions to a profile: objects
 * opened here, ELF read by the sandboxed symbolizer. */
static void test_perfscript_import_self(void **state)
{
	(void)state;
	char self[4096], text[16384];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	size_t w = 0;
	for (int i = 0; i < 30; i++)
		w += (size_t)snprintf(text + w, sizeof(text) - w,
				      "t 1 1.%d: 1 task-clock: 1 %s+0x%x (%s)\n", i,
				      i < 20 ? "prof_parse" : "rec_raw_add", i % 8, self);
	w += (size_t)snprintf(text + w, sizeof(text) - w,
			      "t 1 2.0: 1 task-clock: 1 no_such_symbol+0x1 (%s)\n", self);
	w += (size_t)snprintf(text + w, sizeof(text) - w,
			      "t 1 2.1: 1 task-clock: 1 f+0x1 (/nonexistent/lib.so)\n");
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e = {0};
	assert_int_equal(rec_raw_init(&raw, 100), 0);
	assert_int_equal(prof_perfscript_parse(text, w, "self.txt", &raw, &st, &e), 0);
	for (size_t i = 0; i < raw.n_objs; i++)
		raw.objs[i].fd = open(raw.objs[i].path, O_RDONLY | O_CLOEXEC);
	struct prof_profile p;
	char *notes = NULL;
	int r = rec_symbolize(&raw, &p, &notes, &e);
	if (r != 0)
		fail_msg("symbolize: %s", e.msg);
	assert_int_equal(p.n_objs, 1);
	const struct prof_object *o = &p.objs[0];
	assert_string_equal(o->path, self);
	assert_int_equal(o->samples, 31);
	uint64_t parse = 0, add = 0;
	size_t sampled = 0;
	for (size_t i = 0; i < o->n_funcs; i++) {
		bool callee = false; /* functions without samples are listed as static callees */
		for (size_t k = 0; k < o->n_sedges; k++)
			callee = callee || o->sedges[k].callee == o->funcs[i].off;
		assert_true(o->funcs[i].samples > 0 || callee);
		sampled += o->funcs[i].samples > 0;
		if (strcmp(o->funcs[i].name, "prof_parse") == 0)
			parse = o->funcs[i].samples;
		if (strcmp(o->funcs[i].name, "rec_raw_add") == 0)
			add = o->funcs[i].samples;
	}
	assert_int_equal(sampled, 2);
	assert_int_equal(parse, 20);
	assert_int_equal(add, 10);
	assert_int_equal(p.unattributed, 1); /* the file that is not there */
	assert_non_null(notes);
	assert_non_null(strstr(notes, "/nonexistent/lib.so: not symbolized"));
	free(notes);
	prof_free(&p);
	rec_raw_free(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfscript_bigtext_callchains),
		cmocka_unit_test(test_perfscript_bigtext_plain),
		cmocka_unit_test(test_perfscript_threads),
		cmocka_unit_test(test_perfscript_rejects),
		cmocka_unit_test(test_perfscript_variants),
		cmocka_unit_test(test_perfscript_import_self),
	};
	return cmocka_run_group_tests_name("profile_perfscript", tests, NULL, NULL);
}

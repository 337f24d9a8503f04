/* test_profile.c - the profile text format (parse, print, merge, the
 * stale-profile gate), hot-code coverage, C3 and the exporters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../profile/analyze.h"
#include "../../profile/c3.h"
#include "../../profile/export.h"
#include "../../profile/profile.h"

#define ID_A "5750ce6ffe59c8bb1f07aae63a4d213d9440c7da"
#define ID_B "0123456789abcdef0123456789abcdef01234567"

/* A small profile in canonical form. */
static const char CANON[] =
	"hugexec-profile 1\n"
	"# see docs/profile-format.md; offsets are file offsets\n"
	"event task-clock\n"
	"lost 3\n"
	"unattributed 7\n"
	"object " ID_B " /usr/lib/libx.so\n"
	"samples 10\n"
	"func 0x100 16 10 x_only\n"
	"object " ID_A " /opt/app/bin/server\n"
	"samples 100\n"
	"func 0x1000 200 40 main\n"
	"func 0x2000 20 50 hot\\x20leaf\n"
	"func 0x3000 30 5 \\x2d\n"
	"edge 0x1000 0x2000 45\n"
	"edge 0x1000 0x3000 5\n"
	"end\n";

static struct prof_profile parse_ok(const char *text)
{
	struct prof_profile p;
	struct hx_err e = {0};
	int r = prof_parse(text, strlen(text), "t.prof", &p, &e);
	if (r != 0)
		fail_msg("parse failed: %s", e.msg);
	return p;
}

static char *format_ok(struct prof_profile *p)
{
	char *t;
	size_t n;
	assert_int_equal(prof_format(p, &t, &n), 0);
	assert_int_equal(strlen(t), n);
	return t;
}

static void test_profile_round_trip(void **state)
{
	(void)state;
	struct prof_profile p = parse_ok(CANON);
	assert_int_equal(p.n_objs, 2);
	assert_string_equal(p.event, "task-clock");
	assert_int_equal(p.lost, 3);
	assert_int_equal(p.unattributed, 7);
	const struct prof_object *o = prof_find(&p, ID_A);
	assert_non_null(o);
	assert_string_equal(o->path, "/opt/app/bin/server");
	assert_int_equal(o->n_funcs, 3);
	assert_string_equal(prof_func_at(o, 0x2000)->name, "hot leaf");
	assert_string_equal(prof_func_at(o, 0x3000)->name, "-");
	assert_int_equal(prof_total(&p), 117);
	char *t = format_ok(&p);
	assert_string_equal(t, CANON);
	free(t);
	prof_free(&p);
}

/* Any order, comments, blank lines, CRLF, upper-case ids and "0x"-less
 * offsets come back canonical; duplicate edges add up. */
static void test_profile_parse_normalizes(void **state)
{
	(void)state;
	struct prof_profile p = parse_ok(
		"hugexec-profile 1\r\n"
		"\n"
		"   # a comment\n"
		"object " "5750CE6FFE59C8BB1F07AAE63A4D213D9440C7DA" " /opt/app/bin/server\n"
		"samples 100\n"
		"edge 1000 3000 2\n"
		"func 3000 30 5 \\x2d\n"
		"\tfunc  0x2000 20 50   hot\\x20leaf\n"
		"edge 0x1000 0x3000 3\n"
		"func 0x1000 200 40 main\n"
		"edge 0x1000 0x2000 45\n"
		"object " ID_B " /usr/lib/libx.so\n"
		"samples 10\n"
		"func 0x100 16 10 x_only\n"
		"end\n"
		"# comments after the end are fine\n");
	p.lost = 3;
	p.unattributed = 7;
	snprintf(p.event, sizeof(p.event), "task-clock");
	char *t = format_ok(&p);
	assert_string_equal(t, CANON);
	free(t);
	prof_free(&p);
}

/* Names and paths with blanks, backslashes and control bytes survive. */
static void test_profile_escapes(void **state)
{
	(void)state;
	struct prof_profile p, q;
	struct prof_object *o;
	struct hx_err e = {0};
	prof_init(&p);
	assert_int_equal(prof_add_object(&p, ID_A, "", 5, &o), 0);
	assert_int_equal(prof_add_func(o, 0, 1, 2, "a b\\c\td\x7f\x01"), 0);
	assert_int_equal(prof_add_func(o, 8, 1, 3, "operator()(int, char)"), 0);
	assert_int_equal(prof_add_object(&p, ID_A, "/x", 0, NULL), -EEXIST);
	assert_int_equal(prof_add_object(&p, "xyz", "/x", 0, NULL), -EINVAL);
	char longid[2 * PROF_BUILD_ID_MAX + 3];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(prof_add_object(&p, longid, "/x", 0, NULL), -EINVAL);
	longid[2 * PROF_BUILD_ID_MAX] = '\0'; /* the longest there is prints too */
	assert_int_equal(prof_add_object(&p, longid, "/long", 1, NULL), 0);
	char *t = format_ok(&p);
	assert_non_null(strstr(t, "object " ID_A " -\n"));
	assert_non_null(strstr(t, "a\\x20b\\x5cc\\x09d\\x7f\\x01"));
	assert_int_equal(prof_parse(t, strlen(t), "t", &q, &e), 0);
	assert_int_equal(q.n_objs, 2);
	assert_string_equal(q.objs[0].path, "");
	assert_string_equal(q.objs[0].funcs[0].name, "a b\\c\td\x7f\x01");
	assert_string_equal(q.objs[0].funcs[1].name, "operator()(int, char)");
	assert_string_equal(q.objs[1].path, "/long");
	free(t);
	prof_free(&p);
	prof_free(&q);
}

/* Each malformed input fails with the file name, the right line and why. */
static void test_profile_parse_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"", "t.prof:1: empty file"},
		{"hugexec-profile 3\nend\n", "t.prof:1: profile version 3; this hugexec reads versions 1 to 2"},
		{"hugexec-profile 0\nend\n", "t.prof:1: profile version 0"},
		/* static calls: version 2 only, between listed functions */
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 1 f\nfunc 0x2 1 1 g\n"
		 "sedge 0x1 0x2\nend\n", "t.prof:6: 'sedge' needs version 2"},
		{"hugexec-profile 2\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 1 f\nfunc 0x2 1 1 g\n"
		 "sedge 0x1 0x2\nsedge 0x2 0x9\nend\n",
		 "t.prof:7: sedge names 0x9, which is not a function of this object"},
		{"hugexec-profile 2\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 1 f\nsedge 0x1 0x1 3\nend\n",
		 "t.prof:5: expected 'sedge CALLER CALLEE'"},
		{"hugexec-profile 2\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 1 f\nsedge 0x1 zz\nend\n",
		 "t.prof:5: bad function offset"},
		{"hugexec-profile 2\nsedge 0x1 0x2\nend\n", "t.prof:2: 'sedge' before any 'object'"},
		{"hugexec-profile\nend\n", "t.prof:1: expected 'hugexec-profile VERSION'"},
		{"# comment first\nhugexec-profile 1\nend\n", "t.prof:1: not a hugexec profile"},
		{"perf-profile 1\nend\n", "t.prof:1: not a hugexec profile"},
		{"hugexec-profile 1\n", "t.prof:1: no 'end' line"},
		{"hugexec-profile 1\nend\nlost 1\n", "t.prof:3: text after 'end'"},
		{"hugexec-profile 1\nlost x\nend\n", "t.prof:2: bad count"},
		{"hugexec-profile 1\nlost 1\nlost 2\nend\n", "t.prof:3: 'lost' given twice"},
		{"hugexec-profile 1\nlost 99999999999999999999\nend\n", "t.prof:2: bad count"},
		{"hugexec-profile 1\nfrobnicate 1\nend\n", "t.prof:2: unknown keyword 'frobnicate'"},
		{"hugexec-profile 1\nfunc 0x1 1 1 f\nend\n", "t.prof:2: 'func' before any 'object'"},
		{"hugexec-profile 1\nobject abc /x\nsamples 1\nend\n", "t.prof:2: bad build-id"},
		{"hugexec-profile 1\nobject " ID_A "\nsamples 1\nend\n", "t.prof:2: expected 'object BUILDID PATH'"},
		{"hugexec-profile 1\nobject " ID_A " /x\nfunc 0x1 1 1 f\nend\n",
		 "t.prof:3: expected 'samples N' right after 'object'"},
		{"hugexec-profile 1\nobject " ID_A " /x\nend\n", "t.prof:2: object without a 'samples' line"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 1\nsamples 1\nend\n",
		 "t.prof:4: 'samples' given twice"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nobject " ID_A " /y\nsamples 1\nend\n",
		 "t.prof:4: build-id " ID_A " listed twice"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0xg 1 1 f\nend\n",
		 "t.prof:4: bad offset"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x10000000000000000 1 1 f\nend\n",
		 "t.prof:4: bad offset"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0xffffffffffffffff 2 1 f\nend\n",
		 "t.prof:4: bad offset"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0xffffffffffffffff 0 1 f\nend\n",
		 "t.prof:4: bad offset"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x8000000000000000 0 1 f\nend\n",
		 "t.prof:4: bad offset"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x7fffffffffffffff 1 1 f\nend\n",
		 "t.prof:4: bad size: the function would end past the largest file offset"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 x 1 f\nend\n",
		 "t.prof:4: bad size (decimal)"},
		/* duplicate edges add up: the overflow is the second one's fault */
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 1 f\nfunc 0x2 1 1 g\n"
		 "edge 0x1 0x2 18446744073709551615\nedge 0x2 0x1 5\nedge 0x1 0x2 1\n"
		 "object " ID_B " /y\nsamples 1\nend\n",
		 "t.prof:8: edge 0x1 0x2: with the same edge on line 6 its weight passes 2^64"},
		/* totals that show and merge could not add up */
		{"hugexec-profile 1\nunattributed 18446744073709551615\nobject " ID_A " /x\nsamples 1\nend\n",
		 "t.prof:4: the samples of all objects and 'unattributed' add up past 2^64"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 18446744073709551615\n"
		 "object " ID_B " /y\nsamples 0\nobject 00ff /z\nsamples 1\nend\n",
		 "t.prof:7: the samples of all objects and 'unattributed' add up past 2^64"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 1 -1 f\nend\n",
		 "t.prof:4: bad sample count"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 1 1 a\\q\nend\n", "t.prof:4: bad name"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 1 1 a\\x00\nend\n", "t.prof:4: bad name"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 1 1 a\\x2\nend\n", "t.prof:4: bad name"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 1 1 f g\nend\n",
		 "t.prof:4: expected 'func OFFSET SIZE SAMPLES NAME'"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 9\nfunc 0x1 1 1 f\nfunc 0x2 1 1 g\n"
		 "func 0x1 4 1 h\nend\n", "t.prof:6: function at 0x1 listed twice (first on line 4)"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 2 f\nfunc 0x2 1 1 g\nend\n",
		 "t.prof:5: its functions have more samples than their object (2)"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 2 f\nedge 0x1 0x5 1\nend\n",
		 "t.prof:5: edge names 0x5, which is not a function of this object"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 2\nfunc 0x1 1 2 f\nedge 0x1 1\nend\n",
		 "t.prof:5: expected 'edge CALLER CALLEE WEIGHT'"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 2\nend\nend\n", "t.prof:5: text after 'end'"},
		{"hugexec-profile 1\nevent a b\nend\n", "t.prof:2: expected 'event VALUE'"},
		{"hugexec-profile 1\nobject " ID_A " /x\nsamples 1\nlost 1\nend\n",
		 "t.prof:4: 'lost' after the first object"},
		{"hugexec-profile 1\na b c d e f g\nend\n", "t.prof:2: too many fields"},
		{"hugexec-profile 1\nend x\n", "t.prof:2: expected 'end' alone"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prof_profile p;
		struct hx_err e = {0};
		int r = prof_parse(bad[i].text, strlen(bad[i].text), "t.prof", &p, &e);
		if (r != -EINVAL || strncmp(e.msg, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: got %d '%s', want '%s'", i, r, e.msg, bad[i].want);
		assert_int_equal(p.n_objs, 0); /* nothing left behind */
	}
	/* a NUL in the middle, and text that stops in the middle of a line */
	struct prof_profile p;
	struct hx_err e = {0};
	static const char nul[] = "hugexec-profile 1\nlo\0st 1\nend\n";
	assert_int_equal(prof_parse(nul, sizeof(nul) - 1, "t.prof", &p, &e), -EINVAL);
	assert_string_equal(e.msg, "t.prof:2: NUL byte");
	for (size_t n = 0; n < strlen(CANON) - 4; n++)
		assert_int_equal(prof_parse(CANON, n, "t.prof", &p, &e), -EINVAL);
}

static void test_profile_merge(void **state)
{
	(void)state;
	struct prof_profile a = parse_ok(CANON);
	struct prof_profile b = parse_ok(
		"hugexec-profile 1\nevent cpu-clock\nlost 1\nunattributed 2\n"
		"object " ID_A " /other/host/path/server\nsamples 50\n"
		"func 0x1000 200 10 main\nfunc 0x4000 8 30 newfunc\nedge 0x1000 0x4000 30\n"
		"edge 0x1000 0x2000 0\nfunc 0x2000 20 1 hot\\x20leaf\n"
		"object 99999999 /opt/app/bin/server\nsamples 5\nfunc 0x1000 100 5 main\nend\n");
	struct hx_err e = {0};
	assert_int_equal(prof_merge(&a, &b, &e), 0);
	assert_string_equal(a.event, "mixed");
	assert_int_equal(a.lost, 4);
	assert_int_equal(a.unattributed, 9);
	assert_int_equal(a.n_objs, 3); /* another build of server stays apart */
	const struct prof_object *o = prof_find(&a, ID_A);
	assert_int_equal(o->samples, 150);
	assert_string_equal(o->path, "/opt/app/bin/server"); /* the first one's */
	assert_int_equal(o->n_funcs, 4);
	assert_int_equal(prof_func_at(o, 0x1000)->samples, 50);
	assert_int_equal(prof_func_at(o, 0x2000)->samples, 51);
	assert_int_equal(prof_func_at(o, 0x4000)->samples, 30);
	assert_int_equal(o->n_edges, 3);
	assert_int_equal(o->edges[0].weight, 45);
	assert_int_equal(prof_find(&a, "99999999")->samples, 5);
	assert_int_equal(prof_total(&a), 9 + 150 + 10 + 5);
	/* the merged profile is still a valid profile */
	char *t = format_ok(&a);
	struct prof_profile c;
	assert_int_equal(prof_parse(t, strlen(t), "merged", &c, &e), 0);
	free(t);
	prof_free(&c);
	/* overflow is an error, not a wrap */
	struct prof_profile big = parse_ok("hugexec-profile 1\nlost 18446744073709551615\nend\n");
	assert_int_equal(prof_merge(&a, &big, &e), -EOVERFLOW);
	prof_free(&big);
	/* ... also when no one count overflows but the total would: merged
	 * objects of different builds, each within bounds */
	struct prof_profile x = parse_ok("hugexec-profile 1\nunattributed 18446744073709551614\n"
					 "object 00ff /z\nsamples 1\nend\n");
	struct prof_profile y = parse_ok("hugexec-profile 1\nobject 0aff /z\nsamples 1\nend\n");
	uint64_t total = 0;
	assert_int_equal(prof_sum(&x, &total), 0);
	assert_true(total == UINT64_MAX);
	assert_int_equal(prof_merge(&x, &y, &e), -EOVERFLOW);
	assert_int_equal(prof_sum(&x, &total), -EOVERFLOW);
	char *xt;
	size_t xn;
	assert_int_equal(prof_format(&x, &xt, &xn), -EOVERFLOW); /* nothing unreadable is written */
	prof_free(&x);
	prof_free(&y);
	prof_free(&a);
	prof_free(&b);
}

/* Version 2: static calls. Written only when there are some, so that a
 * profile without them stays readable by version-1 readers. */
static void test_profile_static_calls(void **state)
{
	(void)state;
	static const char v2[] =
		"hugexec-profile 2\n"
		"# see docs/profile-format.md; offsets are file offsets\n"
		"lost 0\n"
		"unattributed 0\n"
		"object " ID_A " /opt/app/bin/server\n"
		"samples 10\n"
		"func 0x1000 200 10 main\n"
		"func 0x2000 20 0 helper\n"
		"func 0x3000 20 0 other\n"
		"edge 0x1000 0x3000 4\n"
		"sedge 0x1000 0x2000\n"
		"sedge 0x1000 0x3000\n"
		"end\n";
	struct prof_profile p = parse_ok(v2);
	const struct prof_object *o = prof_find(&p, ID_A);
	assert_int_equal(o->n_sedges, 2);
	assert_int_equal(o->n_edges, 1); /* a static call is not a sampled edge */
	char *t = format_ok(&p);
	assert_string_equal(t, v2);
	free(t);
	/* any order, duplicates dropped */
	struct prof_profile q = parse_ok("hugexec-profile 2\nobject " ID_A " /x\nsamples 3\n"
					 "func 0x1 1 1 f\nfunc 0x2 1 1 g\nsedge 0x2 0x1\n"
					 "sedge 0x1 0x2\nsedge 0x2 0x1\nend\n");
	assert_int_equal(q.objs[0].n_sedges, 2);
	assert_true(q.objs[0].sedges[0].caller == 1 && q.objs[0].sedges[1].caller == 2);
	/* merging unites them: the same call found twice is one */
	struct hx_err e = {0};
	struct prof_profile p2 = parse_ok(v2);
	assert_int_equal(prof_merge(&p, &p2, &e), 0);
	prof_free(&p2);
	assert_int_equal(prof_find(&p, ID_A)->n_sedges, 2);
	assert_int_equal(prof_find(&p, ID_A)->edges[0].weight, 8);
	struct prof_profile m;
	prof_init(&m);
	assert_int_equal(prof_merge(&m, &q, &e), 0);
	assert_int_equal(m.objs[0].n_sedges, 2);
	prof_free(&m);
	/* a version-2 reader takes version 1, and without static calls writes 1 */
	struct prof_profile v1 = parse_ok(CANON);
	t = format_ok(&v1);
	assert_int_equal(strncmp(t, "hugexec-profile 1\n", 18), 0);
	free(t);
	prof_free(&v1);
	prof_free(&q);
	prof_free(&p);
}

static void test_profile_path_matches(void **state)
{
	(void)state;
	const char *p = "/opt/app/bin/server";
	assert_true(prof_path_matches(p, "/opt/app/bin/server", NULL));
	assert_true(prof_path_matches(p, "server", NULL));
	assert_true(prof_path_matches(p, "bin/server", NULL));
	assert_true(prof_path_matches(p, "./bin/server", NULL));
	assert_true(prof_path_matches(p, "././app/bin/server", NULL));
	assert_true(prof_path_matches(p, "../x/server", "/opt/app/bin/server")); /* realpath said so */
	assert_false(prof_path_matches(p, "in/server", NULL));   /* not at a '/' */
	assert_false(prof_path_matches(p, "erver", NULL));
	assert_false(prof_path_matches(p, "/app/bin/server", NULL)); /* absolute: the whole path */
	assert_false(prof_path_matches(p, "../x/server", NULL));
	assert_false(prof_path_matches(p, "", NULL));
	assert_false(prof_path_matches(p, "./", NULL));
	assert_false(prof_path_matches("", "server", NULL));
	assert_true(prof_path_matches("server", "server", NULL));
}

static void test_profile_match_build_id(void **state)
{
	(void)state;
	struct prof_profile p = parse_ok(CANON);
	const struct prof_object *o;
	struct hx_err e = {0};
	uint8_t id[20], other[20];
	for (size_t i = 0; i < 20; i++) {
		unsigned v;
		sscanf(&ID_A[2 * i], "%2x", &v);
		id[i] = (uint8_t)v;
		other[i] = (uint8_t)(v ^ 0x55);
	}
	assert_int_equal(prof_match_build_id(&p, "p.prof", "/srv/server", id, 20, &o, &e), 0);
	assert_string_equal(o->path, "/opt/app/bin/server");
	/* same program, another build: never applied, and the warning says so */
	assert_int_equal(prof_match_build_id(&p, "p.prof", "/srv/server", other, 20, &o, &e), -ESTALE);
	assert_null(o);
	assert_non_null(strstr(e.msg, "p.prof is stale"));
	assert_non_null(strstr(e.msg, "not using it"));
	assert_int_equal(prof_match_build_id(&p, "p.prof", "/bin/ls", other, 20, &o, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no data for /bin/ls"));
	assert_int_equal(prof_match_build_id(&p, "p.prof", "/bin/ls", id, 0, &o, &e), -ENODATA);
	assert_non_null(strstr(e.msg, "has no build-id"));
	prof_free(&p);
}

static void test_profile_save_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/hugexec-unit.XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.prof", dir);
	struct prof_profile p = parse_ok(CANON), q;
	struct hx_err e = {0};
	assert_int_equal(prof_save(&p, path, &e), 0);
	assert_int_equal(prof_load(path, &q, &e), 0);
	char *a = format_ok(&p), *b = format_ok(&q);
	assert_string_equal(a, b);
	free(a);
	free(b);
	prof_free(&q);
	assert_int_equal(prof_load("/nonexistent/p.prof", &q, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/p.prof"));
	snprintf(path, sizeof(path), "%s/missing-dir/p.prof", dir);
	assert_int_not_equal(prof_save(&p, path, &e), 0);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	prof_free(&p);
}

static void test_profile_coverage(void **state)
{
	(void)state;
	/* 100 samples; densities: hot leaf 2.5/B, x_only 0.625/B, main 0.2/B, "-" 0.17/B */
	struct prof_profile p = parse_ok(CANON);
	const struct prof_object *o = prof_find(&p, ID_A);
	struct prof_item *it;
	size_t n;
	assert_int_equal(prof_by_density(&p, o, &it, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(o->funcs[it[0].func].name, "hot leaf");
	assert_string_equal(o->funcs[it[1].func].name, "main");
	struct prof_cover c[4] = {{.permille = 500}, {.permille = 900}, {.permille = 950},
				  {.permille = 990}};
	prof_coverage(it, n, o->samples, c, 4);
	assert_true(c[0].reachable);
	assert_int_equal(c[0].bytes, 20);
	assert_int_equal(c[0].funcs, 1);
	assert_true(c[1].reachable);
	assert_int_equal(c[1].bytes, 220);
	assert_true(c[2].reachable);
	assert_int_equal(c[2].bytes, 250);
	assert_false(c[3].reachable); /* only 95 of 100 samples are in functions */
	free(it);
	assert_int_equal(prof_by_samples(&p, NULL, &it, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(it[0].samples, 50);
	assert_int_equal(it[3].samples, 5);
	free(it);
	prof_free(&p);
}

/* C3 puts a callee right after its heaviest caller's cluster; a cold or
 * improbable caller, or a too-big cluster, keeps them apart. */
static void test_profile_c3_order(void **state)
{
	(void)state;
	struct prof_profile p = parse_ok(
		"hugexec-profile 1\nobject " ID_A " /x\nsamples 1000\n"
		"func 0x100 100 100 a\n"   /* density 1 */
		"func 0x200 10 50 b\n"     /* 5: called by a */
		"func 0x300 10 300 c\n"    /* 30: called by d mostly */
		"func 0x400 100 200 d\n"   /* 2 */
		"func 0x500 10 40 e\n"     /* 4: only 2 of 40 samples from a: improbable */
		"func 0x600 10 10 f\n"     /* 1: called by cold g */
		"func 0x700 10 0 g\n"
		"edge 0x100 0x200 50\nedge 0x400 0x300 250\nedge 0x100 0x300 50\n"
		"edge 0x100 0x500 2\nedge 0x700 0x600 10\nend\n");
	const struct prof_object *o = &p.objs[0];
	const struct prof_c3_params pp = PROF_C3_DEFAULTS;
	size_t *ord, n;
	assert_int_equal(prof_c3_order(o, &pp, &ord, &n), 0);
	const char *want[] = {"d", "c", "e", "a", "b", "f"};
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(o->funcs[ord[i]].name, want[i]);
	free(ord);
	/* clusters may not outgrow max_cluster: nothing merges */
	struct prof_c3_params tiny = {50, 8, 10};
	assert_int_equal(prof_c3_order(o, &tiny, &ord, &n), 0);
	const char *dens[] = {"c", "b", "e", "d", "a", "f"};
	for (size_t i = 0; i < n; i++)
		assert_string_equal(o->funcs[ord[i]].name, dens[i]);
	free(ord);
	prof_free(&p);
}

static void test_profile_export(void **state)
{
	(void)state;
	struct prof_profile p = parse_ok(CANON);
	const struct prof_object *o = prof_find(&p, ID_A);
	char *t;
	size_t n, skipped;
	assert_int_equal(prof_export_symbol_order(o, false, &t, &n, &skipped), 0);
	assert_string_equal(t, "main\n-\n"); /* "hot leaf" cannot be written */
	assert_int_equal(skipped, 1);
	free(t);
	assert_int_equal(prof_export_symbol_order(o, true, &t, &n, &skipped), 0);
	assert_string_equal(t, "main\n-\n");
	free(t);
	assert_int_equal(prof_export_call_graph(o, &t, &n, &skipped), 0);
	assert_string_equal(t, "main - 5\n");
	assert_int_equal(skipped, 1);
	free(t);
	prof_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_round_trip),
		cmocka_unit_test(test_profile_parse_normalizes),
		cmocka_unit_test(test_profile_escapes),
		cmocka_unit_test(test_profile_parse_rejects),
		cmocka_unit_test(test_profile_merge),
		cmocka_unit_test(test_profile_static_calls),
		cmocka_unit_test(test_profile_path_matches),
		cmocka_unit_test(test_profile_match_build_id),
		cmocka_unit_test(test_profile_save_load),
		cmocka_unit_test(test_profile_coverage),
		cmocka_unit_test(test_profile_c3_order),
		cmocka_unit_test(test_profile_export),
	};
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}

/* test_status.c - `hugexec status`: which processes it lists without
 * PIDs (hugexec's marks, not any huge text), [anon:hugexec PATH] names,
 * JSON strings for any bytes, strict PIDs. */
#include "fixtures.h"
#include "../../loader/status.h"
#include "../../loader/jsonreport.h"

#include <errno.h>

/* A PIE's text swapped for a THP copy (as hugexec and node
 * --use-largepages=on both leave it), a JIT heap, libc. */
static const char copied_smaps[] =
	"555500000000-555500001000 r--p 00000000 fe:00 42 /usr/bin/prog\n"
	"VmFlags: rd mr mw me\n"
	"555500001000-555500200000 r-xp 00001000 fe:00 42 /usr/bin/prog\n"
	"VmFlags: rd ex mr mw me\n"
	"555500200000-555500600000 r-xp 00000000 00:00 0 \n"
	"AnonHugePages:      4096 kB\n"
	"VmFlags: rd ex mr mw me hg\n"
	"555500600000-555500700000 r-xp 00600000 fe:00 42 /usr/bin/prog\n"
	"VmFlags: rd ex mr mw me\n"
	"7f0000000000-7f0000100000 r-xp 00000000 00:00 0 \n"
	"VmFlags: rd ex mr mw me\n"
	"7f1000000000-7f1000150000 r-xp 00026000 fe:00 77 /usr/lib/libc.so.6\n"
	"VmFlags: rd ex mr mw me\n";

static void parse(const char *text, struct hx_vmas *m)
{
	assert_int_equal(hx_vmas_parse(text, strlen(text), m), 0);
}

static unsigned marks_with_map(const char *smaps, const char *perfmap)
{
	struct hx_vmas m;
	parse(smaps, &m);
	FILE *f = perfmap ? fmemopen((void *)perfmap, strlen(perfmap), "r") : NULL;
	unsigned marks = ld_status_marks(&m, f);
	if (f)
		fclose(f);
	hx_vmas_free(&m);
	return marks;
}

static void test_marks_copy_alone_is_not_hugexecs(void **state)
{
	(void)state;
	/* node --use-largepages=on, an in-binary remap: no mark */
	assert_int_equal(marks_with_map(copied_smaps, NULL), 0);
}

static void test_marks_perfmap_in_copy(void **state)
{
	(void)state;
	assert_int_equal(marks_with_map(copied_smaps, "555500100000 40 crossing_in\n"
						      "555500300000 40 f\n"),
			 LD_ST_PERFMAP);
}

static void test_marks_perfmap_of_a_jit(void **state)
{
	(void)state;
	/* the JIT heap, the file's own text, libc, junk: none is a copy */
	assert_int_equal(marks_with_map(copied_smaps, "7f0000000100 40 JS:foo\n"
						      "555500001000 40 main\n"
						      "7f1000000000 40 libc_fn\n"
						      "# 555500300000 comment\n"
						      "555500300000\n"),
			 0);
}

static void test_marks_named(void **state)
{
	(void)state;
	const char *smaps =
		"555500001000-555500200000 r-xp 00001000 fe:00 42 /usr/bin/prog\n"
		"555500200000-555500600000 r-xp 00000000 00:00 0 [anon:hugexec /usr/bin/prog]\n"
		"AnonHugePages:      4096 kB\n"
		"7f0000000000-7f0000100000 r-xp 00000000 00:00 0 [anon:jit]\n";
	assert_int_equal(marks_with_map(smaps, NULL), LD_ST_NAMED);
	/* a name of someone else's is no mark */
	assert_int_equal(marks_with_map("7f0000000000-7f0000200000 r-xp 00000000 00:00 0 [anon:other]\n",
					NULL), 0);
}

static void test_marks_file_huge(void **state)
{
	(void)state;
	const char *smaps = "400000-401000 r--p 00000000 fe:00 42 /usr/bin/prog\n"
			    "401000-2600000 r-xp 00001000 fe:00 42 /usr/bin/prog\n"
			    "FilePmdMapped:     32768 kB\n"
			    "VmFlags: rd ex mr mw me hg\n";
	assert_int_equal(marks_with_map(smaps, NULL), LD_ST_FILE_HUGE);
	/* PMD-mapped by the kernel on its own (no MADV_HUGEPAGE): not hugexec */
	const char *by_kernel = "401000-2600000 r-xp 00001000 fe:00 42 /usr/bin/prog\n"
				"FilePmdMapped:     32768 kB\n"
				"VmFlags: rd ex mr mw me\n";
	assert_int_equal(marks_with_map(by_kernel, NULL), 0);
}

static void test_copy_of(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(ld_status_copy_of("[anon:hugexec /usr/bin/x]", buf, sizeof(buf)),
			    "/usr/bin/x");
	assert_string_equal(ld_status_copy_of("[anon:hugexec /a b/c d]", buf, sizeof(buf)),
			    "/a b/c d");
	assert_null(ld_status_copy_of("[anon:hugexec ]", buf, sizeof(buf)));
	assert_null(ld_status_copy_of("[anon:hugexec /no/end", buf, sizeof(buf)));
	assert_null(ld_status_copy_of("[anon:hugexecx /p]", buf, sizeof(buf)));
	assert_null(ld_status_copy_of("[anon:jit]", buf, sizeof(buf)));
	assert_null(ld_status_copy_of("/usr/bin/x", buf, sizeof(buf)));
	assert_null(ld_status_copy_of("[anon:hugexec /0123456789]", buf, 8)); /* does not fit */
	assert_string_equal(ld_status_copy_of("[anon:hugexec /0123]", buf, 6), "/0123");
}

static void expect_json(const char *in, const char *want)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	assert_non_null(f);
	ld_json_str(f, in);
	fclose(f);
	assert_string_equal(out, want);
	free(out);
}

/* --align=aggressive: a window with a library's header, beside its interior
 * copy, below the library's text tail; another library's data right below
 * the window (it used to be named its owner). */
static const char window_maps[] =
	"7f00001e0000-7f00001f0000 r-xp 00010000 fe:00 10 /usr/lib/libm.so.6\n"
	"7f00001f0000-7f0000200000 rw-p 00020000 fe:00 10 /usr/lib/libm.so.6\n"
	"7f0000200000-7f0000400000 r-xp 00000000 00:00 0 \n"
	"7f0000400000-7f0000c00000 r-xp 00000000 00:00 0 \n"
	"7f0000c00000-7f0000c15000 r-xp 00a00000 fe:00 20 /usr/lib/libcrypto.so.3\n"
	"7f0000c15000-7f0000c20000 rw-p 00a15000 fe:00 20 /usr/lib/libcrypto.so.3\n"
	"7f1000000000-7f1000200000 r-xp 00000000 00:00 0 \n"
	"7f1000200000-7f1000210000 r--p 00000000 fe:00 30 /usr/lib/libz.so\n";

static void test_copy_owner(void **state)
{
	(void)state;
	struct hx_vmas m;
	parse(window_maps, &m);
	/* the window (its header included) and the interior: libcrypto's */
	assert_string_equal(ld_status_owner(&m, 2), "/usr/lib/libcrypto.so.3");
	assert_string_equal(ld_status_owner(&m, 3), "/usr/lib/libcrypto.so.3");
	/* a copy right below another file's image is not that file's */
	assert_null(ld_status_owner(&m, 6));
	hx_vmas_free(&m);
	/* the head and tail of its own file on both sides, as hugexec leaves it */
	parse(copied_smaps, &m);
	assert_string_equal(ld_status_owner(&m, 2), "/usr/bin/prog");
	assert_null(ld_status_owner(&m, 4)); /* a JIT heap */
	hx_vmas_free(&m);
}

static void test_json_str(void **state)
{
	(void)state;
	expect_json("plain /usr/bin/x", "\"plain /usr/bin/x\"");
	expect_json("q\"b\\s", "\"q\\\"b\\\\s\"");
	expect_json("\x01\n\x1f\x7f", "\"\\u0001\\u000a\\u001f\\u007f\"");
	/* valid UTF-8 as it is: 2, 3 and 4 bytes */
	expect_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* bytes that are not UTF-8: one \u00XX each */
	expect_json("a\xff" "b", "\"a\\u00ffb\"");
	expect_json("x\xc3", "\"x\\u00c3\"");              /* cut short at the end */
	expect_json("\xc3(", "\"\\u00c3(\"");              /* bad continuation */
	expect_json("\xc0\xaf", "\"\\u00c0\\u00af\"");     /* overlong */
	expect_json("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"");
	expect_json("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");     /* a surrogate */
	expect_json("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
	expect_json("\xe2\x82", "\"\\u00e2\\u0082\"");
}

static void test_parse_pid(void **state)
{
	(void)state;
	pid_t p = 0;
	assert_int_equal(ld_status_parse_pid("1", &p), 0);
	assert_int_equal(p, 1);
	assert_int_equal(ld_status_parse_pid("2147483647", &p), 0);
	assert_int_equal(p, 2147483647);
	assert_int_equal(ld_status_parse_pid("2147483648", &p), -ERANGE);
	assert_int_equal(ld_status_parse_pid("99999999999999999999999", &p), -ERANGE);
	const char *bad[] = {"", "0", "1x", "x1", "-1", "+1", " 1", "1 ", "0x10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ld_status_parse_pid(bad[i], &p) != -EINVAL)
			fail_msg("'%s' was taken for a PID", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks_copy_alone_is_not_hugexecs),
		cmocka_unit_test(test_marks_perfmap_in_copy),
		cmocka_unit_test(test_marks_perfmap_of_a_jit),
		cmocka_unit_test(test_marks_named),
		cmocka_unit_test(test_marks_file_huge),
		cmocka_unit_test(test_copy_of),
		cmocka_unit_test(test_copy_owner),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_parse_pid),
	};
	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}

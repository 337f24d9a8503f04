/* test_report.c - what the loader says: failures for --strict, sizes,
 * printable text; the --report JSON; --profile-dir's file names. */
#include "fixtures.h"
#include "../../inject/stopclass.h"
#include "../../loader/facts.h"
#include "../../loader/jsonreport.h"
#include "../../loader/profdir.h"
#include "../../loader/report.h"
#include "../../loader/resolve.h"
#include "../../loader/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

/* A region only partly on huge pages (THP windows that did not collapse)
 * is a failure for --strict, named with its numbers. */
static void test_first_failure_partial(void **state)
{
	(void)state;
	struct ld_tracer tr;
	memset(&tr, 0, sizeof(tr));
	hx_plan_init(&tr.pl.plan, 1);
	uint32_t path;
	assert_int_equal(hx_plan_add_string(&tr.pl.plan, "/usr/sbin/x", &path), 0);
	struct ld_region_result r[2] = {
		{.addr = 0x200000, .len = 8u << 20, .backing = HX_BACK_FILE, .huge_bytes = 8u << 20,
		 .path_str = path},
		{.addr = 0x1000000, .len = 8u << 20, .backing = HX_BACK_THP, .huge_bytes = 6u << 20,
		 .path_str = path},
	};
	tr.out.regions = r;
	tr.out.n_regions = 1;
	char buf[200];
	assert_null(ld_first_failure(&tr, buf, sizeof(buf)));
	tr.out.n_regions = 2;
	assert_string_equal(ld_first_failure(&tr, buf, sizeof(buf)),
			    "/usr/sbin/x: only 6 MB of 8 MB on 2 MB pages (thp)");
	hx_plan_free(&tr.pl.plan);
}

/* Text that qualified but got no group (a hugetlb pool too small under
 * --backing=hugetlb) is a failure too, with its size and the reason. */
static void test_first_failure_left_out(void **state)
{
	(void)state;
	struct ld_tracer tr;
	memset(&tr, 0, sizeof(tr));
	hx_plan_init(&tr.pl.plan, 1);
	assert_int_equal(hx_plan_add_string(&tr.pl.plan, "--backing=hugetlb needs 15 free hugetlb "
					     "pages, 5 are free", &tr.pl.plan.reason_str), 0);
	char buf[200];
	assert_null(ld_first_failure(&tr, buf, sizeof(buf)));
	tr.pl.plan.left_bytes = 20u << 20;
	assert_string_equal(ld_first_failure(&tr, buf, sizeof(buf)),
			    "20 MB of the text got no 2 MB pages: --backing=hugetlb needs 15 free "
			    "hugetlb pages, 5 are free");
	uint64_t huge, planned;
	ld_totals(&tr, &huge, &planned);
	assert_int_equal(planned, 20u << 20); /* counted against all of it */
	hx_plan_free(&tr.pl.plan);
}

static void test_report_formatting(void **state)
{
	(void)state;
	char b[64];
	assert_string_equal(ld_printable("a\nb\x1b[31m", b, sizeof(b)), "a?b?[31m");
	assert_string_equal(ld_size(2u << 20, b, sizeof(b)), "2 MB");
	assert_string_equal(ld_size(3u << 19, b, sizeof(b)), "1.5 MB");
	assert_string_equal(ld_size(8192, b, sizeof(b)), "8 KB");
}

/* --report's file name: %p, %n, %%; too long is refused, never cut. */
static void test_json_report_path(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(ld_report_path("/var/log/%n-%p.json", 42, "/usr/sbin/mysqld", out,
					sizeof(out)), 0);
	assert_string_equal(out, "/var/log/mysqld-42.json");
	assert_int_equal(ld_report_path("100%%-%x", 1, "p", out, sizeof(out)), 0);
	assert_string_equal(out, "100%-%x");
	assert_int_equal(ld_report_path("/a/very/long/directory/name/%n.json", 1,
					"/bin/a-program-with-a-long-name", out, 32), -ENAMETOOLONG);
}

/* A written report, and the build-id taken from the helper's notes. */
static void test_json_report_written(void **state)
{
	(void)state;
	struct ld_tracer tr;
	memset(&tr, 0, sizeof(tr));
	tr.pl.profile_fd = -1;
	hx_plan_init(&tr.pl.plan, 7);
	uint32_t path;
	assert_int_equal(hx_plan_add_string(&tr.pl.plan, "/usr/sbin/x \"q\"", &path), 0);
	assert_int_equal(hx_plan_add_string(&tr.pl.plan, "program build-id abcd\n/usr/sbin/x: 8 MB "
					     "at 0x200000, build-id 00ff11ee\n",
					     &tr.pl.plan.notes_str), 0);
	struct ld_region_result r = {.addr = 0x200000, .len = 8u << 20, .backing = HX_BACK_THP,
				     .huge_bytes = 8u << 20, .path_str = path};
	tr.out.regions = &r;
	tr.out.n_regions = 1;
	char file[] = "/tmp/hugexec-test-report.XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	close(fd);
	struct hx_err e;
	assert_int_equal(ld_json_report(file, 7, "/usr/sbin/x", LD_OUT_REMAPPED, "", &tr, &e), 0);
	char *text;
	assert_int_equal(hx_read_file(file, 1 << 16, &text, NULL), 0);
	unlink(file);
	assert_non_null(strstr(text, "\"outcome\": \"remapped\""));
	assert_non_null(strstr(text, "\"path\": \"/usr/sbin/x \\\"q\\\"\""));
	assert_non_null(strstr(text, "\"build_id\": \"00ff11ee\""));
	assert_non_null(strstr(text, "\"huge_bytes\": 8388608,"));
	assert_non_null(strstr(text, "\"reason\": null"));
	free(text);
	/* and --profile-dir's: the note, not a look-alike */
	char id[130];
	assert_int_equal(ld_profdir_note_id(&tr.pl.plan, id, sizeof(id)), 0);
	assert_string_equal(id, "abcd");
	hx_plan_free(&tr.pl.plan);
	hx_plan_init(&tr.pl.plan, 7);
	assert_int_equal(hx_plan_add_string(&tr.pl.plan, "x: program build-id abcd\n",
					     &tr.pl.plan.notes_str), 0);
	assert_int_equal(ld_profdir_note_id(&tr.pl.plan, id, sizeof(id)), -ENOENT);
	hx_plan_free(&tr.pl.plan);
}

/* --profile-dir names only build-ids: nothing else is ever opened. */
static void test_profdir_path(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(ld_profdir_path("/p", "00ff", out, sizeof(out)), 0);
	assert_string_equal(out, "/p/00ff.prof");
	static const char *const bad[] = {"", "0", "../x", "00FF", "00ff/..", "zz"};
	for (size_t i = 0; i < HX_ARRAY_LEN(bad); i++)
		assert_int_equal(ld_profdir_path("/p", bad[i], out, sizeof(out)), -EINVAL);
	assert_int_equal(ld_profdir_path("/a/long/dir", "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff",
					 out, sizeof(out)), -ENAMETOOLONG);
	/* the kernel's word on our own executable, where it can give it */
	char hex[130];
	int r = ld_profdir_kernel_id(getpid(), (uint64_t)(uintptr_t)test_profdir_path, hex, sizeof(hex));
	assert_true(r == 0 || r == -ENOTTY || r == -ENOENT);
	if (r == 0)
		assert_true(strlen(hex) >= 2 && strspn(hex, "0123456789abcdef") == strlen(hex));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_report_path),
		cmocka_unit_test(test_json_report_written),
		cmocka_unit_test(test_profdir_path),
		cmocka_unit_test(test_report_formatting),
		cmocka_unit_test(test_first_failure_partial),
		cmocka_unit_test(test_first_failure_left_out),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}

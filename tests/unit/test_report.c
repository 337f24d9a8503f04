/* test_report.c - what the loader says: failures for --strict, sizes,
 * printable text. */
#include "fixtures.h"
#include "../../inject/stopclass.h"
#include "../../loader/facts.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_formatting),
		cmocka_unit_test(test_first_failure_partial),
		cmocka_unit_test(test_first_failure_left_out),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}

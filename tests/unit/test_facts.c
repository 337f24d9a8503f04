/* test_facts.c - machine facts from their text: the THP mode. */
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

static void test_thp_mode_parse(void **state)
{
	(void)state;
	assert_int_equal(ld_thp_mode_parse("always [madvise] never\n"), HX_THP_MADVISE);
	assert_int_equal(ld_thp_mode_parse("[always] madvise never\n"), HX_THP_ALWAYS);
	assert_int_equal(ld_thp_mode_parse("always madvise [never]\n"), HX_THP_NEVER);
	assert_int_equal(ld_thp_mode_parse("garbage"), HX_THP_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thp_mode_parse),
	};
	return cmocka_run_group_tests_name("facts", tests, NULL, NULL);
}

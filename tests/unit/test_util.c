/* test_util.c - common/util.c: fields of /proc/self/status. */
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

static void test_self_status(void **state)
{
	(void)state;
	unsigned long long v = 0;
	assert_int_equal(hx_self_status("Pid", 10, &v), 0);
	assert_int_equal(v, (unsigned long long)getpid());
	assert_int_equal(hx_self_status("CapEff", 16, &v), 0); /* hex, whatever it is */
	assert_int_equal(hx_self_status("NoSuchKey", 10, &v), -ENOENT);
	assert_int_equal(hx_self_status("Pi", 10, &v), -ENOENT); /* a whole key, not a prefix */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_status),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}

/* test_entry.c - AT_* lookup in an auxv image. */
#include "fixtures.h"
#include "../../inject/stopclass.h"
#include "../../loader/facts.h"
#include "../../loader/report.h"
#include "../../loader/resolve.h"
#include "../../loader/entry.h"
#include "../../loader/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_auxv_get(void **state)
{
	(void)state;
	uint64_t v[] = {AT_PHDR, 0x40, AT_ENTRY, 0x401000, AT_BASE, 0x7f00, AT_NULL, 0, AT_HWCAP, 9};
	uint64_t out;
	assert_int_equal(ld_auxv_get((uint8_t *)v, sizeof(v), AT_ENTRY, &out), 0);
	assert_int_equal(out, 0x401000);
	assert_int_equal(ld_auxv_get((uint8_t *)v, sizeof(v), AT_BASE, &out), 0);
	assert_int_equal(out, 0x7f00);
	assert_int_equal(ld_auxv_get((uint8_t *)v, sizeof(v), AT_HWCAP, &out), -ENOENT); /* after AT_NULL */
	assert_int_equal(ld_auxv_get((uint8_t *)v, 20, AT_ENTRY, &out), -ENOENT);       /* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auxv_get),
	};
	return cmocka_run_group_tests_name("entry", tests, NULL, NULL);
}

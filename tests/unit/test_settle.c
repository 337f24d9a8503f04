/* test_settle.c - SIGTRAP's state as the entry stop finds it in /proc/PID/status. */
#include "fixtures.h"
#include "../../loader/settle.h"

#include <errno.h>

static void test_settle_status_trap_bits(void **state)
{
	(void)state;
	bool blk, ign, sec;
	/* SIGTRAP is signal 5: bit 4 (0x10) */
	const char *both = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000010\n"
			   "SigIgn:\t0000000000001010\nSeccomp:\t0\n";
	assert_int_equal(ld_settle_parse_status(both, &blk, &ign, &sec), 0);
	assert_true(blk);
	assert_true(ign);
	assert_false(sec);
	const char *neither = "SigBlk:\tfffffffffffffbef\nSigIgn:\t0000000000000008\nSeccomp:\t2\n";
	assert_int_equal(ld_settle_parse_status(neither, &blk, &ign, &sec), 0);
	assert_false(blk);
	assert_false(ign);
	assert_true(sec);
}

static void test_settle_status_missing_fields(void **state)
{
	(void)state;
	bool blk, ign, sec;
	/* a kernel without seccomp has no Seccomp line: no filter */
	assert_int_equal(ld_settle_parse_status("SigBlk:\t0\nSigIgn:\t0\n", &blk, &ign, &sec), 0);
	assert_false(sec);
	assert_int_equal(ld_settle_parse_status("SigBlk:\t10\n", &blk, &ign, &sec), -EINVAL);
	assert_int_equal(ld_settle_parse_status("", &blk, &ign, &sec), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle_status_trap_bits),
		cmocka_unit_test(test_settle_status_missing_fields),
	};
	return cmocka_run_group_tests_name("settle", tests, NULL, NULL);
}

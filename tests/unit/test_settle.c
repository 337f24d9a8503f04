/* test_settle.c - the signal state the entry stop finds in /proc/PID/status. */
#include "fixtures.h"
#include "../../loader/settle.h"

#include <errno.h>
#include <signal.h>

#define BIT(sig) (1ull << ((sig) - 1))

static void test_settle_status_masks(void **state)
{
	(void)state;
	uint64_t blk, ign;
	bool sec;
	/* SIGTRAP is bit 4 (0x10), SIGSEGV bit 10 (0x400) */
	const char *both = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000000000410\n"
			   "SigIgn:\t0000000000001010\nSeccomp:\t0\n";
	assert_int_equal(ld_settle_parse_status(both, &blk, &ign, &sec), 0);
	assert_true(blk & BIT(SIGTRAP));
	assert_true(blk & BIT(SIGSEGV));
	assert_true(ign & BIT(SIGTRAP));
	assert_false(ign & BIT(SIGSEGV));
	assert_false(sec);
	const char *neither = "SigBlk:\tfffffffffffffbef\nSigIgn:\t0000000000000008\nSeccomp:\t2\n";
	assert_int_equal(ld_settle_parse_status(neither, &blk, &ign, &sec), 0);
	assert_false(blk & BIT(SIGTRAP));
	assert_false(blk & BIT(SIGSEGV));
	assert_int_equal(ign, 0x8);
	assert_true(sec);
}

static void test_settle_status_missing_fields(void **state)
{
	(void)state;
	uint64_t blk, ign;
	bool sec;
	/* a kernel without seccomp has no Seccomp line: no filter */
	assert_int_equal(ld_settle_parse_status("SigBlk:\t0\nSigIgn:\t0\n", &blk, &ign, &sec), 0);
	assert_false(sec);
	assert_int_equal(ld_settle_parse_status("SigBlk:\t10\n", &blk, &ign, &sec), -EINVAL);
	assert_int_equal(ld_settle_parse_status("", &blk, &ign, &sec), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle_status_masks),
		cmocka_unit_test(test_settle_status_missing_fields),
	};
	return cmocka_run_group_tests_name("settle", tests, NULL, NULL);
}

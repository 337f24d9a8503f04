/* test_cli.c - option parsing stops at CMD and refuses what it does not know. */
#include "fixtures.h"
#include "../../common/cli.h"

#include <errno.h>

static int parse(struct ld_opts *o, int argc, char **argv)
{
	struct hx_err e = {0};
	int r = ld_cli_parse(argc, argv, o, &e);
	if (r)
		assert_true(e.msg[0] != '\0');
	return r;
}

static void test_cli_parse_defaults_and_cmd(void **state)
{
	(void)state;
	char *argv[] = {"hugexec", "mysqld", "--verbose", "-q", NULL};
	struct ld_opts o;
	assert_int_equal(parse(&o, 4, argv), 0);
	assert_int_equal(o.cmd_index, 1); /* CMD's own options stay CMD's */
	assert_int_equal(o.verbose, 0);
	assert_false(o.quiet);
	assert_int_equal(o.min_size, LD_DEFAULT_MIN_SIZE);
	assert_int_equal(o.backing, HX_MODE_AUTO);
	assert_int_equal(o.align, HX_ALIGN_CONSERVATIVE);
	assert_int_equal(o.follow_ms, LD_DEFAULT_FOLLOW_MS);
	ld_cli_free(&o);
}

static void test_cli_parse_options(void **state)
{
	(void)state;
	char *argv[] = {"hugexec", "-vv", "--strict", "--dry-run", "--backing=hugetlb",
			"--align", "aggressive", "--min-size=64M", "--only=*a*", "--only", "*b*",
			"--exclude=*c*", "--follow-exec=0.25", "--", "-weird-cmd", "x", NULL};
	struct ld_opts o;
	assert_int_equal(parse(&o, 16, argv), 0);
	assert_int_equal(o.follow_ms, 250);
	assert_int_equal(o.verbose, 2);
	assert_true(o.strict);
	assert_true(o.dry_run);
	assert_int_equal(o.backing, HX_MODE_HUGETLB);
	assert_int_equal(o.align, HX_ALIGN_AGGRESSIVE);
	assert_int_equal(o.min_size, 64u << 20);
	assert_string_equal(o.only, "*a*\n*b*");
	assert_string_equal(o.exclude, "*c*");
	assert_int_equal(o.cmd_index, 14);
	ld_cli_free(&o);
}

static void test_cli_parse_help_version_missing(void **state)
{
	(void)state;
	struct ld_opts o;
	char *a1[] = {"hugexec", "--help", NULL};
	assert_int_equal(parse(&o, 2, a1), 0);
	assert_true(o.help);
	char *a2[] = {"hugexec", "-V", NULL};
	assert_int_equal(parse(&o, 2, a2), 0);
	assert_true(o.version);
	char *a3[] = {"hugexec", "-v", NULL};
	assert_int_equal(parse(&o, 2, a3), 0);
	assert_int_equal(o.cmd_index, 2); /* no CMD: main.c says so */
}

static void test_cli_parse_rejects(void **state)
{
	(void)state;
	struct ld_opts o;
	char *bad[][3] = {
		{"hugexec", "--bogus", "ls"},   {"hugexec", "-x", "ls"},
		{"hugexec", "--backing=zfs", "ls"}, {"hugexec", "--align=wild", "ls"},
		{"hugexec", "--min-size=lots", "ls"}, {"hugexec", "--min-size=-1", "ls"},
		{"hugexec", "--strict=maybe", "ls"}, {"hugexec", "--verbose=9", "ls"},
		{"hugexec", "--follow-exec=-1", "ls"}, {"hugexec", "--follow-exec=2s", "ls"},
		{"hugexec", "--follow-exec=4000", "ls"}, {"hugexec", "--follow-exec=nan", "ls"},
	};
	for (size_t i = 0; i < HX_ARRAY_LEN(bad); i++) {
		char *argv[4] = {bad[i][0], bad[i][1], bad[i][2], NULL};
		assert_int_equal(parse(&o, 3, argv), -EINVAL);
		ld_cli_free(&o);
	}
	char *novalue[] = {"hugexec", "--backing", NULL};
	assert_int_equal(parse(&o, 2, novalue), -EINVAL);
}

static void test_parse_size(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(hx_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(hx_parse_size("2M", &v), 0);
	assert_int_equal(v, 2u << 20);
	assert_int_equal(hx_parse_size("1g", &v), 0);
	assert_int_equal(v, 1u << 30);
	assert_int_equal(hx_parse_size("16KB", &v), 0);
	assert_int_equal(v, 16u << 10);
	assert_int_equal(hx_parse_size("", &v), -EINVAL);
	assert_int_equal(hx_parse_size("2T", &v), -EINVAL);
	assert_int_equal(hx_parse_size("M", &v), -EINVAL);
	assert_int_equal(hx_parse_size("99999999999999999999G", &v), -EINVAL);
	assert_int_equal(hx_parse_size("17179869184G", &v), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_parse_defaults_and_cmd),
		cmocka_unit_test(test_cli_parse_options),
		cmocka_unit_test(test_cli_parse_help_version_missing),
		cmocka_unit_test(test_cli_parse_rejects),
		cmocka_unit_test(test_parse_size),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}

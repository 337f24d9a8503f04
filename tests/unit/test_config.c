/* test_config.c - the configuration file (loader/config.c), settings in
 * rising precedence (loader/settings.c: file, HUGEXEC_OPTIONS, command
 * line), and where each setting is said to come from. */
#include "fixtures.h"
#include "../../loader/config.h"
#include "../../loader/settings.h"

#include <errno.h>
#include <unistd.h>

static const char good[] =
	"# hugexec.conf\n"
	"backing = thp\n"                      /* line 2: before any section: [*] */
	"[*]\n"
	"min-size = 4M\n"                      /* 4 */
	"programs = mysqld node /opt/*/bin/*\n" /* 5 */
	"\n"
	"[mysqld]\n"
	"backing = hugetlb\n"                  /* 8 */
	"strict = yes\n"                       /* 9 */
	"[/usr/sbin/*]\n"
	"  align = aggressive  \n"             /* 11 */
	"perf-map = no\n";                     /* 12 */

static void parse_ok(struct ld_config *c, const char *text)
{
	struct hx_err e = {0};
	int r = ld_config_parse(text, strlen(text), "t.conf", c, &e);
	if (r < 0)
		fail_msg("%s", e.msg);
}

/* Each bad line refuses the whole file, naming the line. */
static void test_config_refuses_a_bad_line_whole(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"backing = thp\nbacking = nope\n", "t.conf:2: --backing: 'nope' is not auto"},
		{"# x\n[mysqld\n", "t.conf:2: a section is [PROGRAM] or [*]"},
		{"backing thp\n", "t.conf:1: expected NAME = VALUE"},
		{"bakcing = thp\n", "t.conf:1: unknown setting 'bakcing'"},
		{"strict = maybe\n", "t.conf:1: strict: 'maybe' is not yes or no"},
		{"[node]\nprograms = node\n", "t.conf:2: programs (the allow list) belongs in [*]"},
		{"= thp\n", "t.conf:1: a value without a name"},
		{"verbose = 9\n", "t.conf:1: verbose: '9' is not 0, 1, 2 or 3"},
		{"help = yes\n", "t.conf:1: unknown setting 'help'"},
		{"backing = thp\x01\n", "t.conf:1: a control character"},
	};
	for (size_t i = 0; i < HX_ARRAY_LEN(bad); i++) {
		struct ld_config c;
		struct hx_err e = {0};
		assert_int_equal(ld_config_parse(bad[i].text, strlen(bad[i].text), "t.conf", &c, &e),
				 -EINVAL);
		if (strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
			fail_msg("case %zu: '%s', expected '%s'", i, e.msg, bad[i].msg);
		assert_null(c.text); /* nothing kept */
	}
	struct ld_config c;
	struct hx_err e = {0};
	assert_int_equal(ld_config_parse("a\0b", 3, "t.conf", &c, &e), -EINVAL);
}

static void test_config_sections_and_sources(void **state)
{
	(void)state;
	struct ld_config c;
	parse_ok(&c, good);
	struct ld_opts o;
	struct hx_err e = {0};
	/* mysqld: [*], then its own section (it wins) */
	ld_cli_defaults(&o);
	assert_int_equal(ld_config_apply(&c, "/usr/local/bin/mysqld", &o, &e), 0);
	assert_int_equal(o.backing, HX_MODE_HUGETLB);
	assert_string_equal(o.from[LD_SET_BACKING], "t.conf:8");
	assert_true(o.strict);
	assert_int_equal(o.min_size, 4u << 20);
	assert_string_equal(o.from[LD_SET_MIN_SIZE], "t.conf:4");
	assert_int_equal(o.align, HX_ALIGN_CONSERVATIVE);
	assert_string_equal(o.from[LD_SET_ALIGN], "");
	ld_cli_free(&o);
	/* by path: [/usr/sbin/...] (and mysqld by name) */
	ld_cli_defaults(&o);
	assert_int_equal(ld_config_apply(&c, "/usr/sbin/mysqld", &o, &e), 0);
	assert_int_equal(o.align, HX_ALIGN_AGGRESSIVE);
	assert_false(o.perf_map);
	assert_string_equal(o.from[LD_SET_PERF_MAP], "t.conf:12");
	ld_cli_free(&o);
	/* another program: [*] only */
	ld_cli_defaults(&o);
	assert_int_equal(ld_config_apply(&c, "/usr/bin/node", &o, &e), 0);
	assert_int_equal(o.backing, HX_MODE_THP);
	assert_string_equal(o.from[LD_SET_BACKING], "t.conf:2");
	assert_false(o.strict);
	ld_cli_free(&o);
	ld_config_free(&c);
}

static void test_config_allow_list(void **state)
{
	(void)state;
	struct ld_config c;
	char why[64];
	parse_ok(&c, good);
	assert_true(ld_config_treats(&c, "/usr/sbin/mysqld", why, sizeof(why)));
	assert_string_equal(why, "mysqld");
	assert_true(ld_config_treats(&c, "/opt/app/bin/server", why, sizeof(why)));
	assert_string_equal(why, "/opt/*/bin/*");
	assert_false(ld_config_treats(&c, "/usr/bin/python3", why, sizeof(why)));
	assert_string_equal(why, "");
	assert_false(ld_config_treats(&c, "/usr/bin/mysqld-helper", why, sizeof(why)));
	ld_config_free(&c);
	parse_ok(&c, "backing = thp\n"); /* no list: every program */
	assert_true(ld_config_treats(&c, "/usr/bin/python3", why, sizeof(why)));
	ld_config_free(&c);
}

/* Built-in < file < HUGEXEC_OPTIONS < command line. */
static void test_settings_precedence(void **state)
{
	(void)state;
	char path[] = "/tmp/hugexec-test-config.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "backing = hugetlb\nalign = aggressive\nmin-size = 8M\nverbose = 1\n"
			   "programs = true\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char *argv[] = {"hugexec", "--min-size=16M", "/bin/true", NULL};
	struct ld_settings s;
	struct ld_opts o;
	struct hx_err e = {0};
	assert_int_equal(ld_settings_load(&s, 3, argv, "/bin/true", path, "--align=conservative -q",
					  &o, &e), 0);
	assert_int_equal(s.n_warn, 0);
	assert_true(s.treated);
	assert_int_equal(o.backing, HX_MODE_HUGETLB);                /* file */
	assert_int_equal(o.align, HX_ALIGN_CONSERVATIVE);            /* variable over file */
	assert_string_equal(o.from[LD_SET_ALIGN], "HUGEXEC_OPTIONS");
	assert_int_equal(o.min_size, 16u << 20);                     /* command line over file */
	assert_string_equal(o.from[LD_SET_MIN_SIZE], "command line");
	assert_true(o.quiet);
	assert_int_equal(o.verbose, 0); /* -q of a higher origin silences the file's verbose */
	assert_int_equal(o.cmd_index, 2);
	ld_cli_free(&o);
	ld_settings_free(&s);
	/* --quiet=yes is -q (it kept the file's verbose: two parsers of flags) */
	assert_int_equal(ld_settings_load(&s, 3, argv, "/bin/true", path, "--quiet=yes", &o, &e), 0);
	assert_true(o.quiet);
	assert_int_equal(o.verbose, 0);
	ld_cli_free(&o);
	ld_settings_free(&s);
	/* not on the list */
	assert_int_equal(ld_settings_load(&s, 3, argv, "/usr/bin/env", path, NULL, &o, &e), 0);
	assert_false(s.treated);
	ld_cli_free(&o);
	ld_settings_free(&s);
	/* a bad variable is left out whole (its good words too), and said */
	assert_int_equal(ld_settings_load(&s, 3, argv, "/bin/true", path, "-q --align=sideways",
					  &o, &e), 0);
	assert_int_equal(s.n_warn, 1);
	assert_non_null(strstr(s.warn[0], "HUGEXEC_OPTIONS: --align: 'sideways'"));
	assert_false(o.quiet);
	assert_int_equal(o.align, HX_ALIGN_AGGRESSIVE);
	ld_cli_free(&o);
	ld_settings_free(&s);
	/* words that are not options, or belong on the command line */
	static const char *const not_options[] = {"/bin/true", "--", "--help", "-V"};
	for (size_t i = 0; i < HX_ARRAY_LEN(not_options); i++) {
		assert_int_equal(ld_settings_load(&s, 3, argv, "/bin/true", path, not_options[i], &o,
						  &e), 0);
		assert_int_equal(s.n_warn, 1);
		ld_cli_free(&o);
		ld_settings_free(&s);
	}
	/* a broken file: left out, said with its line; the rest applies */
	assert_int_equal(truncate(path, 0), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("backing = thp\n[x\n", f);
	fclose(f);
	assert_int_equal(ld_settings_load(&s, 3, argv, "/bin/true", path, "-q", &o, &e), 0);
	assert_int_equal(s.n_warn, 1);
	assert_non_null(strstr(s.warn[0], ":2: a section"));
	assert_non_null(strstr(s.warn[0], "the file is not used"));
	assert_int_equal(o.backing, HX_MODE_AUTO);
	assert_true(o.quiet && s.treated);
	ld_cli_free(&o);
	ld_settings_free(&s);
	/* a named file that is missing is said; the default one is not */
	unlink(path);
	assert_int_equal(ld_settings_load(&s, 3, argv, "/bin/true", path, NULL, &o, &e), 0);
	assert_int_equal(s.n_warn, 1);
	ld_cli_free(&o);
	ld_settings_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refuses_a_bad_line_whole),
		cmocka_unit_test(test_config_sections_and_sources),
		cmocka_unit_test(test_config_allow_list),
		cmocka_unit_test(test_settings_precedence),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

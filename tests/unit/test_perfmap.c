/* test_perfmap.c - the loader's perf map: which helper lines are kept
 * (functions crossing a copy's edges included), and the safe install in a
 * scratch directory: fresh, the program's own, stale, symlinks, hard
 * links, another user's file; the process start time it relies on. */
#include "fixtures.h"
#include "../../loader/facts.h"
#include "../../loader/perfmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool ok(const char *line, uint64_t lo, uint64_t hi)
{
	return ld_perfmap_line_ok(line, strlen(line), lo, hi);
}

static void test_line_ok_overlap(void **state)
{
	(void)state;
	const uint64_t lo = 0x200000, hi = 0x400000;
	assert_true(ok("200000 10 inside", lo, hi));
	assert_true(ok("3ffff0 10 last", lo, hi));
	assert_true(ok("1ffff0 20 starts_before", lo, hi));  /* crosses lo */
	assert_true(ok("3ffff0 100 runs_past", lo, hi));     /* crosses hi */
	assert_true(ok("100000 400000 covers_all", lo, hi)); /* both */
	assert_false(ok("1ffff0 10 ends_at_lo", lo, hi));    /* [.., lo): no byte inside */
	assert_false(ok("400000 10 at_hi", lo, hi));
	assert_false(ok("0 10 far", lo, hi));
	assert_false(ok("3ffff0 0 empty", lo, hi));
	assert_false(ok("ffffffffffffff00 200 wraps", 0, UINT64_MAX));
}

static void test_line_ok_malformed(void **state)
{
	(void)state;
	const uint64_t lo = 0x200000, hi = 0x400000;
	assert_false(ok("# symbols: .symtab", lo, hi));
	assert_false(ok("200000 10", lo, hi));
	assert_false(ok("200000 10 two names", lo, hi));
	assert_false(ok("200000 10 bad\x01name", lo, hi));
	assert_false(ok("200000 10 bad\xc3\xa9name", lo, hi));
	assert_false(ok("zz 10 name", lo, hi));
	assert_false(ok("", lo, hi));
}

static void test_filter_keeps_good_lines(void **state)
{
	(void)state;
	const char *text = "# symbols: .symtab\n"
			   "1ff000 2000 crossing_in\n"
			   "300000 10 inside\n"
			   "500000 10 outside\n"
			   "3ff000 2000 crossing_out\n"
			   "junk\n";
	char *buf = NULL;
	size_t len = 0, lines = 0;
	assert_int_equal(ld_perfmap_filter(text, 0x200000, 0x400000, &buf, &len, &lines), 0);
	assert_int_equal(lines, 3);
	assert_string_equal(buf, "1ff000 2000 crossing_in\n300000 10 inside\n3ff000 2000 crossing_out\n");
	assert_int_equal(len, strlen(buf));
	free(buf);
}

/* --- install ----------------------------------------------------------- */

struct scratch {
	char dir[64], path[128];
	struct ld_pm_owner who;
	struct ld_pm_report rep;
};

static int setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));
	strcpy(s->dir, "/tmp/hx-perfmap-XXXXXX");
	if (!s || !mkdtemp(s->dir))
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/perf-4242.map", s->dir);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s->who = (struct ld_pm_owner){true, geteuid(), getegid(),
				      (int64_t)now.tv_sec * 1000000000 + now.tv_nsec};
	*state = s;
	return 0;
}

/* The directory must hold exactly the names given (no temp files left). */
static void expect_entries(const char *dir, int n)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq %d", dir, n);
	if (system(cmd) != 0)
		fail_msg("%s does not hold exactly %d entries", dir, n);
}

static int teardown(void **state)
{
	struct scratch *s = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
	int r = system(cmd);
	ld_pm_report_free(&s->rep);
	free(s);
	return r == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
	char *text = NULL;
	size_t n;
	assert_int_equal(hx_read_file(path, 1 << 20, &text, &n), 0);
	return text;
}

static void put(const char *path, const char *text, int64_t age_s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	if (age_s) {
		struct timespec t[2];
		clock_gettime(CLOCK_REALTIME, &t[0]);
		t[0].tv_sec -= age_s;
		t[1] = t[0];
		assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
	}
}

/* The one message of the report, at level. */
static void expect_said(const struct ld_pm_report *rep, int level, const char *part)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strstr(rep->msg[i].text, part)) {
			assert_int_equal(rep->msg[i].level, level);
			return;
		}
	fail_msg("no message with \"%s\" (%zu messages, first: %s)", part, rep->n,
		 rep->n ? rep->msg[0].text : "-");
}

static void test_install_fresh(void **state)
{
	struct scratch *s = *state;
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 1);
	char *text = slurp(s->path);
	assert_string_equal(text, "1000 10 f\n");
	free(text);
	struct stat st;
	assert_int_equal(lstat(s->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(s->rep.n, 0);
	expect_entries(s->dir, 1);
}

static void test_install_leaves_own_map(void **state)
{
	struct scratch *s = *state;
	put(s->path, "7f00 10 jit\n", 0); /* written now: after the start */
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 0);
	char *text = slurp(s->path);
	assert_string_equal(text, "7f00 10 jit\n");
	free(text);
	expect_said(&s->rep, LD_PM_V, "its own map; left alone");
	expect_entries(s->dir, 1);
}

static void test_install_unknown_start_is_never_stale(void **state)
{
	struct scratch *s = *state;
	put(s->path, "old\n", 3600);
	s->who.started_ns = 0;
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 0);
	char *text = slurp(s->path);
	assert_string_equal(text, "old\n");
	free(text);
	expect_said(&s->rep, LD_PM_V, "start time is unknown");
}

static void test_install_replaces_stale(void **state)
{
	struct scratch *s = *state;
	put(s->path, "stale\n", 60);
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 1);
	char *text = slurp(s->path);
	assert_string_equal(text, "1000 10 f\n");
	free(text);
	expect_said(&s->rep, LD_PM_VV, "a stale map");
	expect_entries(s->dir, 1);
}

/* Within the margin before the start: maybe written just after it by a
 * coarse clock, so not stale. */
static void test_install_margin(void **state)
{
	struct scratch *s = *state;
	put(s->path, "recent\n", 1);
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 0);
	expect_said(&s->rep, LD_PM_V, "left alone");
}

static void test_install_symlink(void **state)
{
	struct scratch *s = *state;
	char target[160];
	snprintf(target, sizeof(target), "%s/target", s->dir);
	put(target, "precious\n", 60);
	assert_int_equal(symlink(target, s->path), 0);
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 0);
	char *text = slurp(target);
	assert_string_equal(text, "precious\n");
	free(text);
	expect_said(&s->rep, LD_PM_ALWAYS, "is a symbolic link; left alone");
	expect_entries(s->dir, 2);
}

static void test_install_dangling_symlink(void **state)
{
	struct scratch *s = *state;
	char target[160];
	snprintf(target, sizeof(target), "%s/nothing", s->dir);
	assert_int_equal(symlink(target, s->path), 0);
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 0);
	assert_int_equal(access(target, F_OK), -1);
	expect_said(&s->rep, LD_PM_ALWAYS, "is a symbolic link");
}

static void test_install_hard_link(void **state)
{
	struct scratch *s = *state;
	char other[160];
	snprintf(other, sizeof(other), "%s/other", s->dir);
	put(other, "linked\n", 60);
	assert_int_equal(link(other, s->path), 0);
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 0);
	char *text = slurp(other);
	assert_string_equal(text, "linked\n");
	free(text);
	expect_said(&s->rep, LD_PM_ALWAYS, "has 2 hard links");
}

static void test_install_other_owner(void **state)
{
	struct scratch *s = *state;
	put(s->path, "theirs\n", 60);
	s->who.uid = geteuid() + 1; /* the file is not the program's user's */
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep),
			 0);
	char *text = slurp(s->path);
	assert_string_equal(text, "theirs\n");
	free(text);
	expect_said(&s->rep, LD_PM_ALWAYS, "belongs to uid");
}

static void test_install_gives_it_to_the_user(void **state)
{
	struct scratch *s = *state;
	if (geteuid() != 0)
		skip();
	s->who.uid = 65534;
	s->who.gid = 65534;
	assert_int_equal(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep), 1);
	struct stat st;
	assert_int_equal(lstat(s->path, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_install_unknown_owner(void **state)
{
	struct scratch *s = *state;
	s->who.known = false;
	assert_true(ld_perfmap_install(s->dir, 4242, "1000 10 f\n", &s->who, &s->rep) < 0);
	assert_int_equal(access(s->path, F_OK), -1);
	expect_said(&s->rep, LD_PM_ALWAYS, "user is unknown");
	expect_entries(s->dir, 0);
}

static void test_stat_starttime(void **state)
{
	(void)state;
	unsigned long long t = 0;
	/* a comm with spaces and parentheses, as a program may name itself */
	const char *stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 "
			   "987654 1000 100 18446744073709551615\n";
	assert_int_equal(ld_stat_starttime(stat, &t), 0);
	assert_int_equal(t, 987654);
	assert_int_equal(ld_stat_starttime("4242 (x) S 1 2 3", &t), -EINVAL);
	assert_int_equal(ld_stat_starttime("no parenthesis", &t), -EINVAL);
	assert_int_equal(ld_stat_starttime("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12x 1\n", &t),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_ok_overlap),
		cmocka_unit_test(test_line_ok_malformed),
		cmocka_unit_test(test_filter_keeps_good_lines),
		cmocka_unit_test_setup_teardown(test_install_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_leaves_own_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_unknown_start_is_never_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_replaces_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_margin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_dangling_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_hard_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_other_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_gives_it_to_the_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_unknown_owner, setup, teardown),
		cmocka_unit_test(test_stat_starttime),
	};
	return cmocka_run_group_tests_name("perfmap", tests, NULL, NULL);
}

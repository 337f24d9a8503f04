/* test_util.c - common/util.c: /proc/self/status, files, sibling programs. */
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
#include <string.h>
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

static void put(FILE *f, const void *text)
{
	fputs(text, f);
}

/* The report, the undo record: a file replaced whole, never through a
 * link someone put at its name, no temp file left. */
static void test_write_replace(void **state)
{
	(void)state;
	char dir[] = "/tmp/hx-util.XXXXXX", path[64], other[64], *text = NULL;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	struct hx_err e = {0};
	assert_int_equal(hx_write_replace(path, 0600, put, "one\n", &e), 0);
	assert_int_equal(hx_write_replace(path, 0600, put, "two\n", &e), 0);
	assert_int_equal(hx_read_file(path, 100, &text, NULL), 0);
	assert_string_equal(text, "two\n");
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a link at the name is replaced, what it points to is untouched */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(hx_write_replace(path, 0600, put, "three\n", &e), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(access(other, F_OK), -1);
	/* no directory: the error names the file, nothing is left */
	char missing[96];
	snprintf(missing, sizeof(missing), "%s/no/f", dir);
	assert_true(hx_write_replace(missing, 0600, put, "x", &e) < 0);
	assert_non_null(strstr(e.msg, "/no/f"));
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* (fails if a temp file was left) */
}

/* A file of n bytes, 'a' + i % 26 each. */
static void make_file(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	assert_int_equal(fclose(f), 0);
}

/* Read whole, at the sizes around the first (stack) buffer's 4096 bytes,
 * and refused above max. */
static void test_read_file_sizes(void **state)
{
	(void)state;
	char dir[] = "/tmp/hx-util.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 8192, 8193, 20000};
	for (size_t k = 0; k < HX_ARRAY_LEN(sizes); k++) {
		size_t n = sizes[k], len = 99;
		char *text = NULL;
		make_file(path, n);
		assert_int_equal(hx_read_file(path, 1 << 20, &text, &len), 0);
		assert_int_equal(len, n);
		assert_int_equal(strlen(text), n);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(text[i], 'a' + (int)(i % 26));
		free(text);
		if (n > 0) { /* max: exactly n is fine, n - 1 is not */
			assert_int_equal(hx_read_file(path, n, &text, NULL), 0);
			free(text);
			assert_int_equal(hx_read_file(path, n - 1, &text, NULL), -EFBIG);
		}
	}
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* The other program of the pair, found from our own executable. */
static void test_exe_sibling(void **state)
{
	(void)state;
	char self[4096], out[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	const char *base = strrchr(self, '/');
	const char *const rel[] = {"/no-such-program-here", base};
	assert_int_equal(hx_exe_sibling(rel, 2, out, sizeof(out)), 0);
	assert_string_equal(out, self);
	assert_int_equal(hx_exe_sibling(rel, 1, out, sizeof(out)), -ENOENT);
}

static void test_u64_search(void **state)
{
	(void)state;
	const uint64_t a[] = {10, 20, 20, 35};
	assert_int_equal(hx_u64_lower_bound(a, 4, 5), 0);
	assert_int_equal(hx_u64_lower_bound(a, 4, 20), 1);
	assert_int_equal(hx_u64_lower_bound(a, 4, 21), 3);
	assert_int_equal(hx_u64_lower_bound(a, 4, 36), 4);
	assert_true(hx_u64_in(a, 4, 35, 36));
	assert_false(hx_u64_in(a, 4, 21, 35));
	assert_false(hx_u64_in(a, 0, 0, 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_status),
		cmocka_unit_test(test_write_replace),
		cmocka_unit_test(test_read_file_sizes),
		cmocka_unit_test(test_exe_sibling),
		cmocka_unit_test(test_u64_search),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}

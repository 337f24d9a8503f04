/* test_resolve.c - PATH search, the pre-exec check (set-id, 32-bit, foreign,
 * #! chains), and the missing interpreter a failed exec names. */
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

static char dir[64];

static void make_file(const char *name, const void *data, size_t n, mode_t mode)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	chmod(p, mode);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hugexec-unit-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char d2[96];
	snprintf(d2, sizeof(d2), "%s/bin2", dir);
	mkdir(d2, 0755);
	make_file("tool", "#!/bin/sh\n", 10, 0755);
	make_file("data", "plain", 5, 0644);
	make_file("bin2/data", "#!/bin/sh\n", 10, 0755);
	unsigned char elf32[24] = {0x7f, 'E', 'L', 'F', 1, 1, 1};
	elf32[18] = 3; /* EM_386 */
	make_file("elf32", elf32, sizeof(elf32), 0755);
	unsigned char arm[24] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	arm[18] = 183; /* EM_AARCH64 */
	make_file("arm64", arm, sizeof(arm), 0755);
	unsigned char x64[24] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	x64[18] = 62;
	make_file("x64", x64, sizeof(x64), 0755);
	make_file("suid", x64, sizeof(x64), 04755);
	/* scripts whose interpreters are those: "#!DIR/elf32 -x" and so on */
	const char *interps[][2] = {{"s32", "elf32"}, {"ssuid", "suid"}, {"sx64", "x64"},
				    {"snest", "s32"}};
	for (size_t i = 0; i < HX_ARRAY_LEN(interps); i++) {
		char line[160];
		int n = snprintf(line, sizeof(line), "#! %s/%s -x\n", dir, interps[i][1]);
		make_file(interps[i][0], line, (size_t)n, 0755);
	}
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_resolve(void **state)
{
	(void)state;
	char out[256], path[200], want[200];
	snprintf(path, sizeof(path), "/nonexistent:%s:%s/bin2", dir, dir);
	assert_int_equal(ld_resolve("tool", path, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/tool", dir);
	assert_string_equal(out, want);
	/* first match not executable, a later one is: the later one wins */
	assert_int_equal(ld_resolve("data", path, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/bin2/data", dir);
	assert_string_equal(out, want);
	snprintf(path, sizeof(path), "%s", dir);
	assert_int_equal(ld_resolve("data", path, out, sizeof(out)), -EACCES); /* 126 */
	assert_int_equal(ld_resolve("bin2", path, out, sizeof(out)), -EACCES); /* a directory */
	snprintf(want, sizeof(want), "%s/bin2", dir);
	assert_int_equal(ld_resolve(want, path, out, sizeof(out)), -EISDIR); /* named: "Is a directory" */
	assert_int_equal(ld_resolve("nothere", path, out, sizeof(out)), -ENOENT); /* 127 */
	assert_int_equal(ld_resolve("", path, out, sizeof(out)), -ENOENT);
	snprintf(want, sizeof(want), "%s/tool", dir);
	assert_int_equal(ld_resolve(want, "/nonexistent", out, sizeof(out)), 0); /* has a slash */
}

static void test_missing_interpreter(void **state)
{
	(void)state;
	char p[128], out[256];
	snprintf(p, sizeof(p), "%s/badinterp", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("#!  /nonexistent/interp -x\necho\n", f);
	fclose(f);
	assert_int_equal(ld_missing_interpreter(p, out, sizeof(out)), 0);
	assert_string_equal(out, "/nonexistent/interp");
	/* an ELF program names its PT_INTERP (ours: a test binary is dynamic) */
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)getpid());
	assert_int_equal(ld_missing_interpreter(p, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "ld-linux"));
	snprintf(p, sizeof(p), "%s/data", dir); /* neither */
	assert_int_equal(ld_missing_interpreter(p, out, sizeof(out)), -ENOENT);
}

static void test_precheck(void **state)
{
	(void)state;
	char p[128], buf[160];
	snprintf(p, sizeof(p), "%s/x64", dir);
	assert_null(ld_precheck(p, false, buf, sizeof(buf)));
	snprintf(p, sizeof(p), "%s/tool", dir);
	assert_null(ld_precheck(p, false, buf, sizeof(buf))); /* scripts: the interpreter decides */
	snprintf(p, sizeof(p), "%s/elf32", dir);
	assert_non_null(strstr(ld_precheck(p, true, buf, sizeof(buf)), "32-bit"));
	snprintf(p, sizeof(p), "%s/arm64", dir);
	assert_non_null(strstr(ld_precheck(p, true, buf, sizeof(buf)), "machine 183"));
	snprintf(p, sizeof(p), "%s/suid", dir);
	assert_non_null(strstr(ld_precheck(p, false, buf, sizeof(buf)), "setuid"));
	assert_null(ld_precheck(p, true, buf, sizeof(buf))); /* root keeps its privileges */
	/* a script is judged by its interpreter, followed as the kernel does */
	char big[400];
	snprintf(p, sizeof(p), "%s/s32", dir);
	assert_non_null(strstr(ld_precheck(p, true, big, sizeof(big)), "32-bit interpreter"));
	snprintf(p, sizeof(p), "%s/snest", dir);
	assert_non_null(strstr(ld_precheck(p, true, big, sizeof(big)), "32-bit interpreter"));
	snprintf(p, sizeof(p), "%s/ssuid", dir);
	assert_non_null(strstr(ld_precheck(p, false, big, sizeof(big)), "interpreter"));
	assert_non_null(strstr(ld_precheck(p, false, big, sizeof(big)), "setuid"));
	assert_null(ld_precheck(p, true, big, sizeof(big)));
	snprintf(p, sizeof(p), "%s/sx64", dir);
	assert_null(ld_precheck(p, false, big, sizeof(big)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_missing_interpreter, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_precheck, setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}

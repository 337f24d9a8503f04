/* test_elfinfo.c - the helper's ELF readers on real, stripped and hostile
 * files. The hostile ones are made by build/progs/elfmangle and mkelf from
 * a copy of this very test binary. */
#include "fixtures.h"
#include "../../helper/elfinfo.h"
#include "../../helper/elfsyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hugexec-elf-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A copy of ourselves, mangled by elfmangle MODE (or not, if NULL). */
static int mangled(const char *mode, char *path, size_t size)
{
	char cmd[512];
	snprintf(path, size, "%s/%s", dir, mode ? mode : "self");
	snprintf(cmd, sizeof(cmd), "cp /proc/%d/exe %s", (int)getpid(), path);
	assert_int_equal(system(cmd), 0);
	if (mode) {
		snprintf(cmd, sizeof(cmd), "build/progs/elfmangle %s %s", mode, path);
		if (system(cmd) != 0)
			skip(); /* the tool is built by make; run the tests via make test */
	}
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void test_elf_read_self(void **state)
{
	(void)state;
	char p[128];
	int fd = mangled(NULL, p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	assert_int_equal(e.type, ET_DYN);
	assert_int_equal(e.build_id_len, 20);
	bool exec = false;
	for (size_t i = 0; i < e.n_load; i++)
		exec |= (e.load[i].flags & PF_X) != 0;
	assert_true(exec);
	struct hp_symtab t;
	assert_int_equal(hp_symtab_read(fd, &t), 0);
	assert_true(t.full);
	bool found = false;
	for (size_t i = 0; i < t.n; i++)
		found |= strcmp(t.v[i].name, "test_elf_read_self") == 0;
	assert_true(found);
	for (size_t i = 1; i < t.n; i++)
		assert_true(t.v[i - 1].value <= t.v[i].value);
	hp_symtab_free(&t);
	close(fd);
}

static void test_elf_read_without_sections(void **state)
{
	(void)state;
	char p[128];
	int fd = mangled("nosections", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable); /* only program headers are needed */
	assert_int_equal(e.build_id_len, 20);
	struct hp_symtab t;
	assert_int_equal(hp_symtab_read(fd, &t), 0);
	assert_int_equal(t.n, 0);
	hp_symtab_free(&t);
	close(fd);
}

static void test_elf_read_garbage_sections(void **state)
{
	(void)state;
	char p[128];
	int fd = mangled("badsections", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	struct hp_symtab t;
	assert_int_equal(hp_symtab_read(fd, &t), 0);
	assert_int_equal(t.n, 0);
	close(fd);
}

static void test_elf_read_lying_note(void **state)
{
	(void)state;
	char p[128];
	int fd = mangled("lyingnote", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	assert_true(e.build_id_len == 0 || e.build_id_len == 20);
	close(fd);
}

static void test_elf_read_rejects(void **state)
{
	(void)state;
	char p[128];
	int fd = mangled("badphdr", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_false(e.usable);
	assert_string_equal(e.why, "PT_LOAD outside the file");
	close(fd);
	snprintf(p, sizeof(p), "%s/elf32", dir);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "build/progs/mkelf i386 %s", p);
	if (system(cmd) != 0)
		skip();
	fd = open(p, O_RDONLY);
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_false(e.usable);
	assert_string_equal(e.why, "not a 64-bit ELF");
	close(fd);
	fd = open("/etc/hostname", O_RDONLY);
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_false(e.usable);
	struct hp_symtab t;
	assert_int_equal(hp_symtab_read(fd, &t), 0);
	assert_int_equal(t.n, 0);
	close(fd);
	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_false(e.usable);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_read_self),
		cmocka_unit_test(test_elf_read_without_sections),
		cmocka_unit_test(test_elf_read_garbage_sections),
		cmocka_unit_test(test_elf_read_lying_note),
		cmocka_unit_test(test_elf_read_rejects),
	};
	return cmocka_run_group_tests_name("elfinfo", tests, setup, teardown);
}

/* test_elfinfo.c - the helper's ELF readers on real, stripped and hostile
 * files. The hostile ones are made by build/progs/elfmangle and mkelf from
 * a copy of this very test binary; those the kernel refuses to run (a
 * program header table past the end of the file, PN_XNUM) are tested only
 * here, the loadable ones also in tests/integration/t_hostile_elf.sh. */
#include "fixtures.h"
#include "../../common/elfinfo.h"
#include "../../common/elfsyms.h"

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
	assert_false(e.textrel); /* PIC: ld.so never writes into our text */
	bool exec = false;
	for (size_t i = 0; i < e.n_load; i++)
		exec |= (e.load[i].flags & PF_X) != 0;
	assert_true(exec);
	struct hx_elfsyms t;
	assert_int_equal(hx_elfsyms_read(fd, &t), 0);
	assert_false(t.from_dynsym);
	bool found = false;
	for (size_t i = 0; i < t.n_funcs; i++)
		found |= strcmp(t.funcs[i].name, "test_elf_read_self") == 0;
	assert_true(found);
	for (size_t i = 1; i < t.n_funcs; i++)
		assert_true(t.funcs[i - 1].off <= t.funcs[i].off);
	hx_elfsyms_free(&t);
	close(fd);
}

/* A shared object whose text ld.so must relocate (DT_TEXTREL): its modified
 * text pages are its own, so the planner may copy them. */
static void test_elf_read_textrel(void **state)
{
	(void)state;
	char src[128], so[128], cmd[512];
	snprintf(src, sizeof(src), "%s/textrel.s", dir);
	snprintf(so, sizeof(so), "%s/libtextrel.so", dir);
	FILE *f = fopen(src, "w");
	assert_non_null(f);
	fputs(".text\n.globl f\nf: movabs $g, %rax\nret\n.data\ng: .quad 0\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -shared -nostdlib -Wl,-z,notext -o %s %s 2>/dev/null", so, src);
	if (system(cmd) != 0)
		skip();
	int fd = open(so, O_RDONLY);
	assert_true(fd >= 0);
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	assert_true(e.textrel);
	close(fd);
}

/* The offset of a named function of this very program, from its symbols. */
static uint64_t own_func(const char *name)
{
	char p[128];
	int fd = mangled(NULL, p, sizeof(p));
	struct hx_elfsyms t;
	assert_int_equal(hx_elfsyms_read(fd, &t), 0);
	uint64_t off = 0;
	assert_int_equal(hx_elfsyms_byname(&t, name, &off), 0);
	hx_elfsyms_free(&t);
	close(fd);
	return off;
}

/* No section table: no symbols, but .eh_frame_hdr still leads to the FDEs,
 * and every function with one is found, bounded and named by it. */
static void test_elf_read_without_sections(void **state)
{
	(void)state;
	uint64_t self = own_func("test_elf_read_self");
	char p[128];
	int fd = mangled("nosections", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable); /* only program headers are needed */
	assert_int_equal(e.build_id_len, 20);
	struct hx_elfsyms t;
	assert_int_equal(hx_elfsyms_read(fd, &t), 0);
	assert_true(t.n_funcs > 100);
	assert_int_equal(t.n_from_fde, t.n_funcs);
	assert_true(t.n_fdes >= t.n_funcs);
	const struct hx_func *f = hx_elfsyms_find(&t, self);
	assert_non_null(f);
	assert_int_equal(f->off, self);
	assert_true(f->from_fde && f->size > 0);
	uint64_t vaddr;
	assert_int_equal(hx_elfsyms_off_to_vaddr(&t, self, &vaddr), 0);
	char want[32];
	snprintf(want, sizeof(want), "sub_%llx", (unsigned long long)vaddr);
	assert_string_equal(f->name, want);
	hx_elfsyms_free(&t);
	close(fd);
}

/* A section table of garbage: no crash; whatever is found has bounds. */
static void test_elf_read_garbage_sections(void **state)
{
	(void)state;
	char p[128];
	int fd = mangled("badsections", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	struct hx_elfsyms t;
	assert_int_equal(hx_elfsyms_read(fd, &t), 0);
	for (size_t i = 0; i < t.n_funcs; i++)
		assert_true(t.funcs[i].extent > 0 && t.funcs[i].from_fde);
	hx_elfsyms_free(&t);
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
	struct hx_elfsyms t;
	assert_int_equal(hx_elfsyms_read(fd, &t), 0);
	assert_int_equal(t.n_funcs, 0);
	close(fd);
	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_false(e.usable);
	close(fd);
}

/* The PT_LOADs of this very program, for comparison. */
static size_t own_loads(void)
{
	char p[128];
	int fd = mangled(NULL, p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	close(fd);
	return e.n_load;
}

static void test_elf_read_many_phdrs(void **state)
{
	(void)state;
	size_t loads = own_loads();
	char p[128];
	int fd = mangled("manyphdrs", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable); /* 1170 headers, as many as the kernel takes */
	assert_int_equal(e.n_load, loads + 1); /* the one that maps the new table */
	assert_int_equal(e.build_id_len, 20);
	close(fd);
}

static void test_elf_read_overlapping_loads(void **state)
{
	(void)state;
	size_t loads = own_loads();
	char p[128];
	int fd = mangled("overlap", p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	assert_true(e.usable);
	assert_int_equal(e.n_load, loads);
	size_t overlapping = 0;
	for (size_t i = 1; i < e.n_load; i++)
		overlapping += e.load[i - 1].offset + e.load[i - 1].filesz > e.load[i].offset;
	assert_true(overlapping > 0); /* elfmangle did its work */
	for (size_t i = 0; i < e.n_load; i++)
		assert_true(e.load[i].offset + e.load[i].filesz <= e.file_size);
	close(fd);
}

/* Tables the kernel would not load: no crash, no hang, not usable, and
 * no functions either (the one reader takes only files the kernel would
 * map, as the helper and the recorder meet them). */
static void huge_table(const char *mode)
{
	char p[128];
	int fd = mangled(mode, p, sizeof(p));
	struct hp_elf e;
	assert_int_equal(hp_elf_read(fd, &e), 0);
	if (e.usable)
		fail_msg("%s: usable with %zu PT_LOADs", mode, e.n_load);
	assert_non_null(e.why);
	struct hx_elfsyms t;
	assert_int_equal(hx_elfsyms_read(fd, &t), 0);
	assert_int_equal(t.n_funcs, 0);
	hx_elfsyms_free(&t);
	close(fd);
}

static void test_elf_read_huge_phnum(void **state)
{
	(void)state;
	huge_table("hugephnum"); /* 65534 headers from 3 before the end */
	huge_table("xnum");      /* PN_XNUM, section 0 claiming 2^32-1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_read_self),
		cmocka_unit_test(test_elf_read_textrel),
		cmocka_unit_test(test_elf_read_without_sections),
		cmocka_unit_test(test_elf_read_garbage_sections),
		cmocka_unit_test(test_elf_read_lying_note),
		cmocka_unit_test(test_elf_read_rejects),
		cmocka_unit_test(test_elf_read_many_phdrs),
		cmocka_unit_test(test_elf_read_overlapping_loads),
		cmocka_unit_test(test_elf_read_huge_phnum),
	};
	return cmocka_run_group_tests_name("elfinfo", tests, setup, teardown);
}

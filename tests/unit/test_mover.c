/* test_mover.c - helper/mover.c and common/x86.c: which functions may
 * move, and copies of this program's own functions that run and give the
 * same results as their originals. */
#define _GNU_SOURCE
#include "fixtures.h"
#include "../../common/elfsyms.h"
#include "../../common/x86.h"
#include "../../helper/mover.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int bias = 3;

__attribute__((noinline)) static int sq(int x)
{
	return x * x + bias;
}

__attribute__((noinline)) static int sum_sq(int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += sq(i);
	return s;
}

__attribute__((noinline)) static int sw(int op, int x)
{
	switch (op) {
	case 0: return x + 11;
	case 1: return x * 7;
	case 2: return x - 5;
	case 3: return x ^ 0x5a;
	case 4: return x << 3;
	case 5: return x >> 2;
	case 6: return ~x;
	case 7: return x * x;
	default: return -1;
	}
}

static const char *const words = "a string in .rodata";
__attribute__((noinline)) static size_t uses_data(int k)
{
	return strlen(words + (k & 3)) + (size_t)bias;
}

static enum hp_stay check_bytes(const uint8_t *b, size_t n)
{
	struct hx_x86_fn x;
	assert_int_equal(hx_x86_scan(b, n, 0x401000, &x), 0);
	enum hp_stay why = hp_move_check(&x, 0x401000, n);
	hx_x86_free(&x);
	return why;
}

static void test_mover_rules(void **state)
{
	(void)state;
	static const uint8_t ret1[] = {0xc3};
	static const uint8_t short_out[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xeb, 0x10};
	static const uint8_t invalid[] = {0x06, 0x90, 0x90, 0x90, 0x90, 0xc3};
	static const uint8_t pc_read[] = {0xe8, 0, 0, 0, 0, 0x58, 0xc3};
	static const uint8_t into_patch[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xeb, 0xf9};
	static const uint8_t endbr_ok[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x90, 0x90, 0x90, 0x90,
					   0x90, 0xeb, 0xf9, 0xc3};
	static const uint8_t loop_out[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0xe3, 0x40, 0xc3};
	static const uint8_t near_out[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0xe9, 0, 0x10, 0, 0, 0xc3};
	assert_int_equal(check_bytes(ret1, sizeof(ret1)), HP_STAY_SMALL);
	assert_int_equal(check_bytes(short_out, sizeof(short_out)), HP_STAY_SHORT_BRANCH);
	assert_int_equal(check_bytes(invalid, sizeof(invalid)), HP_STAY_DECODE);
	assert_int_equal(check_bytes(pc_read, sizeof(pc_read)), HP_STAY_PC_READ);
	assert_int_equal(check_bytes(into_patch, sizeof(into_patch)), HP_STAY_PATCH_TARGET);
	assert_int_equal(check_bytes(endbr_ok, sizeof(endbr_ok)), HP_MOVES); /* lands on the patch */
	assert_int_equal(check_bytes(loop_out, sizeof(loop_out)), HP_STAY_SHORT_BRANCH);
	assert_int_equal(check_bytes(near_out, sizeof(near_out)), HP_MOVES);
	/* the last instruction must end exactly at the function's end */
	assert_int_equal(check_bytes(near_out, sizeof(near_out) - 2), HP_STAY_DECODE);
	struct hx_x86_fn x;
	assert_int_equal(hx_x86_scan(endbr_ok, sizeof(endbr_ok), 0x401000, &x), 0);
	assert_true(x.endbr);
	assert_int_equal(hp_patch_at(&x), 4);
	hx_x86_free(&x);
	/* a displacement that cannot reach from the copy */
	assert_int_equal(hx_x86_scan(near_out, sizeof(near_out), 0x401000, &x), 0);
	uint8_t out[sizeof(near_out)];
	assert_int_equal(hp_move_emit(near_out, sizeof(near_out), &x, 0x401000, 0x401000 + (5ull << 30),
				      out, NULL, NULL), -ERANGE);
	assert_int_equal(hp_move_emit(near_out, sizeof(near_out), &x, 0x401000, 0x501000, out, NULL,
				      NULL), 0);
	int32_t rel;
	memcpy(&rel, out + 6, 4);
	assert_int_equal(0x501000 + 10 + (int64_t)rel, 0x401000 + 10 + 0x1000); /* same target */
	hx_x86_free(&x);
}

struct fn {
	const char *name;
	uintptr_t addr;
	uint64_t size;
	uint64_t copy;
	struct hx_x86_fn x;
	uint8_t code[4096]; /* as in the file: in memory its entry may be patched
			     * (this test runs under hugexec --move=all too) */
};

struct fns {
	struct fn *v;
	size_t n;
};

static uint64_t redirect(void *ctx, uint64_t target)
{
	const struct fns *f = ctx;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].addr == target)
			return f->v[i].copy;
	return target;
}

/* Free space within 1 GB of the executable for the copies. */
static uint8_t *near_exe(size_t len)
{
	uintptr_t at = ((uintptr_t)sq & ~(uintptr_t)0x1fffff) - ((uintptr_t)256 << 20);
	for (int i = 0; i < 64; i++, at -= (uintptr_t)8 << 20) {
		void *p = mmap((void *)at, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED)
			return p;
	}
	return NULL;
}

static void test_mover_copies_run(void **state)
{
	(void)state;
	static struct fn fns[] = {{"sq", 0, 0, 0, {0}, {0}}, {"sum_sq", 0, 0, 0, {0}, {0}},
				  {"sw", 0, 0, 0, {0}, {0}}, {"uses_data", 0, 0, 0, {0}, {0}}};
	fns[0].addr = (uintptr_t)sq;
	fns[1].addr = (uintptr_t)sum_sq;
	fns[2].addr = (uintptr_t)sw;
	fns[3].addr = (uintptr_t)uses_data;
	size_t n = sizeof(fns) / sizeof(fns[0]);
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct hx_elfsyms s;
	assert_int_equal(hx_elfsyms_read(fd, &s), 0);
	uint8_t *area = near_exe(1 << 20);
	if (!area)
		skip();
	uint64_t cur = (uint64_t)(uintptr_t)area;
	for (size_t i = 0; i < n; i++) {
		uint64_t off;
		assert_int_equal(hx_elfsyms_byname(&s, fns[i].name, &off), 0);
		fns[i].size = hx_elfsyms_find(&s, off)->size;
		assert_true(fns[i].size > 0 && fns[i].size <= sizeof(fns[i].code));
		assert_int_equal(pread(fd, fns[i].code, fns[i].size, (off_t)off), (ssize_t)fns[i].size);
		assert_int_equal(hx_x86_scan(fns[i].code, fns[i].size, fns[i].addr, &fns[i].x), 0);
		if (hp_move_check(&fns[i].x, fns[i].addr, fns[i].size) != HP_MOVES)
			fail_msg("%s may not move: %s", fns[i].name,
				 hp_stay_name(hp_move_check(&fns[i].x, fns[i].addr, fns[i].size)));
		cur += (fns[i].addr - cur) & 63; /* the same offset modulo 64 */
		fns[i].copy = cur;
		cur += fns[i].size + 5;
	}
	struct fns all = {fns, n};
	for (size_t i = 0; i < n; i++) {
		uint8_t *dst = area + (fns[i].copy - (uint64_t)(uintptr_t)area);
		assert_int_equal(hp_move_emit(fns[i].code, fns[i].size, &fns[i].x,
					      fns[i].addr, fns[i].copy, dst, redirect, &all), 0);
		assert_int_equal(hx_x86_jmp32(dst + fns[i].size, fns[i].copy + fns[i].size,
					  fns[i].addr + fns[i].size), 0);
	}
	assert_int_equal(mprotect(area, 1 << 20, PROT_READ | PROT_EXEC), 0);
	int (*c_sq)(int) = (int (*)(int))(uintptr_t)fns[0].copy;
	int (*c_sum)(int) = (int (*)(int))(uintptr_t)fns[1].copy;
	int (*c_sw)(int, int) = (int (*)(int, int))(uintptr_t)fns[2].copy;
	size_t (*c_data)(int) = (size_t (*)(int))(uintptr_t)fns[3].copy;
	assert_int_equal(c_sq(9), sq(9));
	assert_int_equal(c_sum(100), sum_sq(100));
	for (int op = -1; op < 9; op++)
		assert_int_equal(c_sw(op, 1234), sw(op, 1234));
	for (int k = 0; k < 4; k++)
		assert_int_equal(c_data(k), uses_data(k));
	/* sum_sq's copy calls sq's copy, not the original */
	struct hx_x86_fn cx;
	assert_int_equal(hx_x86_scan((const uint8_t *)(uintptr_t)fns[1].copy, fns[1].size, fns[1].copy,
				     &cx), 0);
	bool to_copy = false, to_orig = false;
	for (size_t i = 0; i < cx.n_refs; i++) {
		to_copy |= cx.refs[i].kind == HX_REF_CALL && cx.refs[i].target == fns[0].copy;
		to_orig |= cx.refs[i].kind == HX_REF_CALL && cx.refs[i].target == fns[0].addr;
	}
	assert_true(to_copy && !to_orig);
	hx_x86_free(&cx);
	for (size_t i = 0; i < n; i++)
		hx_x86_free(&fns[i].x);
	munmap(area, 1 << 20);
	hx_elfsyms_free(&s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mover_rules),
		cmocka_unit_test(test_mover_copies_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_ehframe.c - common/ehframe.c: CIE and FDE records read, refused
 * and rebased; the FDEs of this very program. */
#define _GNU_SOURCE
#include "fixtures.h"
#include "../../common/ehframe.h"
#include "../../common/elfsyms.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* A CIE "zPLR" (personality indirect|pcrel|sdata4, LSDA and FDE pcrel|sdata4)
 * at 0, an FDE for [0x1000, 0x1040) with an LSDA at 0x3000 after it, both
 * as mapped at base 0x2000; a zero terminator. Returns the length. */
static size_t records(uint8_t *b)
{
	const uint64_t base = 0x2000;
	size_t n = 0;
	uint8_t cie[] = {
		0, 0, 0, 0,             /* length, below */
		0, 0, 0, 0,             /* CIE id */
		1,                      /* version */
		'z', 'P', 'L', 'R', 0,  /* augmentation */
		1,                      /* code alignment */
		0x78,                   /* data alignment -8 */
		16,                     /* return address column */
		7,                      /* augmentation length */
		0x9b, 0, 0, 0, 0,       /* P: encoding, pointer (below) */
		0x1b,                   /* L */
		0x1b,                   /* R */
		0x0c, 7, 8, 0x90, 1,    /* def_cfa rsp+8, offset rip */
		0, 0, 0, 0, 0, 0,       /* padding to 4 bytes */
	};
	uint32_t l = sizeof(cie) - 4;
	memcpy(cie, &l, 4);
	int32_t pers = (int32_t)(0x4000 - (base + 19)); /* the DW.ref word at 0x4000 */
	memcpy(cie + 19, &pers, 4);
	memcpy(b, cie, sizeof(cie));
	n = sizeof(cie);
	size_t fde_at = n;
	uint8_t fde[] = {
		0, 0, 0, 0,             /* length */
		0, 0, 0, 0,             /* CIE pointer */
		0, 0, 0, 0,             /* pc_begin (pcrel) */
		0x40, 0, 0, 0,          /* pc_range */
		4,                      /* augmentation length */
		0, 0, 0, 0,             /* LSDA (pcrel) */
		0x41, 0x0e, 0x10, 0,    /* advance 1, def_cfa_offset 16, nop */
	};
	l = sizeof(fde) - 4;
	memcpy(fde, &l, 4);
	uint32_t back = (uint32_t)(fde_at + 4);
	memcpy(fde + 4, &back, 4);
	int32_t pc = (int32_t)(0x1000 - (base + fde_at + 8));
	memcpy(fde + 8, &pc, 4);
	int32_t lsda = (int32_t)(0x3000 - (base + fde_at + 17));
	memcpy(fde + 17, &lsda, 4);
	memcpy(b + n, fde, sizeof(fde));
	n += sizeof(fde);
	memset(b + n, 0, 4);
	return n + 4;
}

static void test_eh_records_read(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = records(b);
	struct hx_eh_cie c;
	assert_int_equal(hx_eh_cie_read(b, n, 0x2000, 0, &c), 0);
	assert_int_equal(c.version, 1);
	assert_true(c.aug_z);
	assert_int_equal(c.pers_enc, 0x9b);
	assert_int_equal(c.personality, 0x4000);
	assert_int_equal(c.pers_field, 19);
	assert_int_equal(c.pers_width, 4);
	struct hx_eh_fde *f;
	size_t nf, bad;
	assert_int_equal(hx_eh_fdes(b, n, 0x2000, &f, &nf, &bad), 0);
	assert_int_equal(nf, 1);
	assert_int_equal(bad, 0);
	assert_int_equal(f[0].pc_begin, 0x1000);
	assert_int_equal(f[0].pc_range, 0x40);
	assert_int_equal(f[0].lsda, 0x3000);
	assert_int_equal(f[0].cie_off, 0);
	assert_int_equal(f[0].pc_width, 4);
	/* rebased: the same FDE bytes at another address, pc_begin elsewhere */
	uint8_t copy[64];
	memcpy(copy, b + f[0].off, f[0].len);
	size_t at = f[0].pc_field - f[0].off;
	assert_int_equal(hx_eh_put(copy + at, f[0].len - at, c.fde_enc, 0x9000 + at, 0x5000), 0);
	uint64_t v;
	size_t w;
	assert_int_equal(hx_eh_get(copy, f[0].len, 0x9000, at, c.fde_enc, &v, &w), 0);
	assert_int_equal(v, 0x5000);
	/* out of an sdata4's reach */
	assert_int_equal(hx_eh_put(copy + at, 4, c.fde_enc, 0x9000, 0x900000000ull), -ERANGE);
	free(f);
}

static void test_eh_records_refused(void **state)
{
	(void)state;
	uint8_t b[256], m[256];
	size_t n = records(b);
	struct hx_eh_cie c;
	/* each mangling must make the CIE unreadable */
	struct { size_t at; uint8_t v; } bad[] = {
		{8, 2},      /* version 2 */
		{10, 'X'},   /* unknown augmentation letter */
		{18, 0x50},  /* P encoding: aligned */
		{23, 0x3b},  /* L encoding: datarel */
		{17, 60},    /* augmentation longer than the record */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(m, b, n);
		m[bad[i].at] = bad[i].v;
		assert_int_equal(hx_eh_cie_read(m, n, 0x2000, 0, &c), -EINVAL);
	}
	/* a 64-bit length, a record longer than the buffer, a truncated buffer */
	memcpy(m, b, n);
	memset(m, 0xff, 4);
	assert_int_equal(hx_eh_cie_read(m, n, 0x2000, 0, &c), -EINVAL);
	memcpy(m, b, n);
	m[1] = 0x10;
	assert_int_equal(hx_eh_cie_read(m, n, 0x2000, 0, &c), -EINVAL);
	assert_int_equal(hx_eh_cie_read(b, 20, 0x2000, 0, &c), -EINVAL);
	/* an FDE whose CIE pointer leaves the buffer is skipped, counted */
	memcpy(m, b, n);
	uint32_t far = 0x10000;
	memcpy(m + 36 + 4, &far, 4);
	struct hx_eh_fde *f;
	size_t nf, nbad;
	assert_int_equal(hx_eh_fdes(m, n, 0x2000, &f, &nf, &nbad), 0);
	assert_int_equal(nf, 0);
	assert_int_equal(nbad, 1);
	free(f);
}

/* This program's own FDEs: the one of this very function covers it exactly. */
static void test_eh_own_fdes(void **state)
{
	(void)state;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct hx_elfsyms s;
	assert_int_equal(hx_elfsyms_read(fd, &s), 0);
	assert_true(s.n_fdes > 100);
	uint64_t off, va;
	assert_int_equal(hx_elfsyms_byname(&s, "test_eh_own_fdes", &off), 0);
	assert_int_equal(hx_elfsyms_off_to_vaddr(&s, off, &va), 0);
	const struct hx_func *fn = hx_elfsyms_find(&s, off);
	assert_non_null(fn);
	size_t first;
	assert_int_equal(hx_elfsyms_fdes_in(&s, va, fn->size, &first), 1);
	assert_int_equal(s.fdes[first].pc_begin, va);
	assert_int_equal(s.fdes[first].pc_range, fn->size);
	assert_false(fn->from_fde); /* it has a symbol */
	hx_elfsyms_free(&s);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eh_records_read),
		cmocka_unit_test(test_eh_records_refused),
		cmocka_unit_test(test_eh_own_fdes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

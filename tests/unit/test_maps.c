/* test_maps.c - the /proc/PID/maps and smaps parser. */
#include "fixtures.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

static struct hx_vmas parse_ok(const char *text)
{
	struct hx_vmas m;
	assert_int_equal(hx_vmas_parse(text, strlen(text), &m), 0);
	return m;
}

static void test_vmas_parse_fixture(void **state)
{
	(void)state;
	struct hx_vmas m = parse_ok(FIX_PIE_MAPS);
	assert_int_equal(m.n, 19);
	const struct hx_vma *t = &m.v[1];
	assert_int_equal(t->start, FIX_PIE_TEXT_LO);
	assert_int_equal(t->end, FIX_PIE_TEXT_HI);
	assert_int_equal(t->offset, 0x1000);
	assert_int_equal(t->prot, PROT_READ | PROT_EXEC);
	assert_false(t->shared);
	assert_int_equal(t->dev_major, 0xfe);
	assert_int_equal(t->inode, 1180);
	assert_string_equal(t->path, "/opt/app/bin/server");
	assert_int_equal(t->kind, HX_VMA_FILE);
	assert_int_equal(m.v[4].kind, HX_VMA_HEAP);
	assert_int_equal(m.v[15].kind, HX_VMA_STACK);
	assert_int_equal(m.v[16].kind, HX_VMA_VVAR);
	assert_int_equal(m.v[17].kind, HX_VMA_VDSO);
	assert_int_equal(m.v[18].kind, HX_VMA_VSYSCALL);
	assert_int_equal(m.v[18].prot, PROT_EXEC);
	hx_vmas_free(&m);
}

static void test_vmas_parse_paths(void **state)
{
	(void)state;
	struct hx_vmas m = parse_ok(
		"1000-2000 r-xp 00000000 08:01 12 /path with  spaces/a.so (deleted)\n"
		"2000-3000 rw-p 00000000 00:00 0 [anon:hugexec /x]\n"
		"3000-4000 r-xs 00000000 00:11 99 /anon_hugepage (deleted)\n"
		"4000-5000 ---p 00000000 00:00 0\n");
	assert_int_equal(m.n, 4);
	assert_string_equal(m.v[0].path, "/path with  spaces/a.so");
	assert_true(m.v[0].deleted);
	assert_int_equal(m.v[1].kind, HX_VMA_ANON_NAMED);
	assert_true(m.v[2].shared);
	assert_int_equal(m.v[2].kind, HX_VMA_FILE); /* hugetlbfs has an inode */
	assert_int_equal(m.v[3].kind, HX_VMA_ANON);
	assert_int_equal(m.v[3].prot, 0);
	assert_string_equal(m.v[3].path, "");
	hx_vmas_free(&m);
}

static void test_vmas_parse_smaps_counters(void **state)
{
	(void)state;
	struct hx_vmas m = parse_ok(
		"00400000-00800000 r-xp 00000000 fe:00 7 /bin/x\n"
		"Size:               4096 kB\n"
		"Rss:                4096 kB\n"
		"Anonymous:             8 kB\n"
		"AnonHugePages:         0 kB\n"
		"FilePmdMapped:      2048 kB\n"
		"Shared_Hugetlb:        0 kB\n"
		"Private_Hugetlb:       0 kB\n"
		"THPeligible:    1\n"
		"VmFlags: rd ex mr mw me hg \n"
		"7f0000000000-7f0000400000 r-xp 00000000 00:11 5 /anon_hugepage (deleted)\n"
		"Private_Hugetlb:    4096 kB\n"
		"VmFlags: rd ex mr mw me de ht \n");
	assert_int_equal(m.n, 2);
	assert_true(m.v[0].has_smaps);
	assert_int_equal(m.v[0].rss_kb, 4096);
	assert_int_equal(m.v[0].anonymous_kb, 8);
	assert_int_equal(m.v[0].file_pmd_kb, 2048);
	assert_int_equal(m.v[0].vmflags, HX_VMF_HG);
	assert_int_equal(hx_vma_huge_bytes(&m.v[0]), 2048 * 1024);
	assert_int_equal(m.v[1].vmflags, HX_VMF_HT);
	assert_int_equal(hx_vma_huge_bytes(&m.v[1]), 4096 * 1024);
	hx_vmas_free(&m);
}

static void expect_reject(const char *text)
{
	struct hx_vmas m;
	assert_int_equal(hx_vmas_parse(text, strlen(text), &m), -EINVAL);
}

static void test_vmas_parse_rejects_malformed(void **state)
{
	(void)state;
	expect_reject("2000-1000 r-xp 00000000 00:00 0\n");          /* start > end */
	expect_reject("1000-1000 r-xp 00000000 00:00 0\n");          /* empty */
	expect_reject("1001-2000 r-xp 00000000 00:00 0\n");          /* unaligned */
	expect_reject("1000-2000 rwxq 00000000 00:00 0\n");          /* bad perms */
	expect_reject("1000-2000 r-x 00000000 00:00 0\n");           /* short perms */
	expect_reject("1000-2000 r-xp 0000000g 00:00 0\n");          /* bad hex */
	expect_reject("1000-2000 r-xp 00000000 00:00\n");            /* no inode */
	expect_reject("1000-2000 r-xp 00000000 00:00 0x\n");         /* junk after inode */
	expect_reject("11112222333344445-2000 r-xp 0 00:00 0\n");   /* 17 hex digits */
	expect_reject("3000-4000 r-xp 0 00:00 0\n1000-2000 r-xp 0 00:00 0\n"); /* order */
	expect_reject("1000-3000 r-xp 0 00:00 0\n2000-4000 r-xp 0 00:00 0\n"); /* overlap */
	expect_reject("hello world\n");
	expect_reject("1000-2000 r-xp 0 00:00 0\nRss: lots kB\n");   /* bad counter */
	static const char nul[] = "1000-2000 r-xp 0 00:00 0\n\0";
	struct hx_vmas m;
	assert_int_equal(hx_vmas_parse(nul, sizeof(nul) - 1, &m), -EINVAL);
}

static void test_vmas_parse_empty(void **state)
{
	(void)state;
	struct hx_vmas m = parse_ok("");
	assert_int_equal(m.n, 0);
	hx_vmas_free(&m);
}

static void test_vmas_find(void **state)
{
	(void)state;
	struct hx_vmas m = parse_ok(FIX_PIE_MAPS);
	assert_ptr_equal(hx_vmas_find(&m, FIX_PIE_ENTRY), &m.v[1]);
	assert_ptr_equal(hx_vmas_find(&m, FIX_PIE_TEXT_HI - 1), &m.v[1]);
	assert_ptr_equal(hx_vmas_find(&m, FIX_PIE_TEXT_HI), &m.v[2]);
	assert_null(hx_vmas_find(&m, 0x1000));
	assert_null(hx_vmas_find(&m, 0x55a1e3e15000)); /* gap before the heap */
	assert_true(hx_vmas_range_free(&m, 0x100000000000, 1 << 21));
	assert_false(hx_vmas_range_free(&m, 0x55a1e3e14000, 0x2000));
	hx_vmas_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmas_parse_fixture),
		cmocka_unit_test(test_vmas_parse_paths),
		cmocka_unit_test(test_vmas_parse_smaps_counters),
		cmocka_unit_test(test_vmas_parse_rejects_malformed),
		cmocka_unit_test(test_vmas_parse_empty),
		cmocka_unit_test(test_vmas_find),
	};
	return cmocka_run_group_tests_name("maps", tests, NULL, NULL);
}

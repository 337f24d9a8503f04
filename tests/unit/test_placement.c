/* test_placement.c - where temporary mappings may go (common/placement.c),
 * and the helper's hole finder keeping to the same rule. */
#include "fixtures.h"
#include "../../common/placement.h"

#include <errno.h>

#define MB (UINT64_C(1) << 20)
#define HUGE (2 * MB)

static void parse(const char *text, struct hx_vmas *m)
{
	assert_int_equal(hx_vmas_parse(text, strlen(text), m), 0);
}

static void test_stack_gap(void **state)
{
	(void)state;
	assert_int_equal(hx_stack_gap(0), HX_STACK_GAP_MIN);
	assert_int_equal(hx_stack_gap(8 * MB), HX_STACK_GAP_MIN); /* the usual rlimit */
	assert_int_equal(hx_stack_gap(1024 * MB), 1024 * MB);
	/* unlimited: the kernel's own cap, 5/6 of the address space */
	uint64_t max = hx_stack_gap(UINT64_MAX);
	assert_true(max > (UINT64_C(100) << 40) && max < (UINT64_C(107) << 40));
}

static void test_placement_ok_pie(void **state)
{
	(void)state;
	struct hx_vmas m;
	parse(FIX_PIE_MAPS, &m);
	uint64_t g = hx_stack_gap(0), stack = 0x7ffd6a1a4000, heap_end = 0x55a1e4021000;
	const struct hx_keepout k = hx_keepout_init(&m, 0);
	const struct hx_keepout k2 = hx_keepout_init(&m, 2 * g); /* a stack gap of 2 * g */
	assert_false(hx_placement_ok(&k, 0, HUGE));              /* page 0 */
	assert_false(hx_placement_ok(&k, HUGE - HX_PAGE, HUGE)); /* crosses 2 MB */
	assert_true(hx_placement_ok(&k, HUGE, HUGE));
	assert_false(hx_placement_ok(&k, stack - HUGE, HUGE));
	assert_false(hx_placement_ok(&k, stack - g, HUGE));
	assert_true(hx_placement_ok(&k, stack - g - HUGE, HUGE)); /* just clear */
	assert_false(hx_placement_ok(&k2, stack - g - HUGE, HUGE));
	assert_false(hx_placement_ok(&k, heap_end, HUGE));
	assert_false(hx_placement_ok(&k, heap_end + HX_HEAP_GAP - HX_PAGE, HUGE));
	assert_true(hx_placement_ok(&k, heap_end + HX_HEAP_GAP, HUGE));
	/* with a [heap], the other writable mappings anchor nothing */
	assert_true(hx_placement_ok(&k, 0x7f0000c00000, HUGE));
	assert_false(hx_placement_ok(&k, UINT64_MAX - HX_PAGE + 1, HX_PAGE * 2)); /* wraps */
	hx_vmas_free(&m);
}

static void test_placement_ok_before_brk(void **state)
{
	(void)state;
	struct hx_vmas m;
	parse(FIX_NOPIE_MAPS, &m); /* no [heap] yet */
	const struct hx_keepout k = hx_keepout_init(&m, 0);
	uint64_t data_end = 0x2010000;
	uint64_t room = HX_BRK_RANDOM + HX_HEAP_GAP;
	assert_false(hx_placement_ok(&k, data_end, HUGE));
	assert_false(hx_placement_ok(&k, data_end + room - HUGE, HUGE));
	assert_true(hx_placement_ok(&k, data_end + room, HUGE));
	/* below the data, between 2 MB and the executable: fine */
	assert_true(hx_placement_ok(&k, HUGE, HUGE));
	hx_vmas_free(&m);
}

static void test_placement_clip(void **state)
{
	(void)state;
	struct hx_vmas m;
	parse(FIX_PIE_MAPS, &m);
	const struct hx_keepout k = hx_keepout_init(&m, 0);
	uint64_t g = hx_stack_gap(0), stack = 0x7ffd6a1a4000, heap_end = 0x55a1e4021000;
	/* between [heap] and libbig: the heap's room comes off the bottom */
	uint64_t lo = heap_end, hi = 0x7f0000000000;
	assert_true(hx_placement_clip(&k, &lo, &hi));
	assert_int_equal(lo, heap_end + HX_HEAP_GAP);
	assert_int_equal(hi, 0x7f0000000000);
	/* between ld.so and the stack: the stack's gap comes off the top */
	lo = 0x7f3c8e436000, hi = stack;
	assert_true(hx_placement_clip(&k, &lo, &hi));
	assert_int_equal(lo, 0x7f3c8e436000);
	assert_int_equal(hi, stack - g);
	assert_true(hx_placement_ok(&k, lo, hi - lo));
	/* below the executable: only the low 2 MB goes */
	lo = 0, hi = 0x55a1e1e0f000;
	assert_true(hx_placement_clip(&k, &lo, &hi));
	assert_int_equal(lo, HX_MIN_ADDR);
	/* a gap wholly in the stack's room is nothing */
	lo = stack - 64 * MB, hi = stack;
	assert_false(hx_placement_clip(&k, &lo, &hi));
	hx_vmas_free(&m);
}

/* The widest gap lies under the stack, its middle inside the stack's gap. */
static const char NEAR_STACK[] =
	"7fef00000000-7fef00200000 r-xp 00000000 fe:00 10 /bin/a\n"
	"7fef00400000-7fef00600000 r-xp 00000000 fe:00 11 /lib/c.so\n"
	"7fef10600000-7fef10621000 rw-p 00000000 00:00 0 [stack]\n";

static void test_find_hole_keeps_out(void **state)
{
	(void)state;
	struct hx_vmas m;
	parse(NEAR_STACK, &m);
	const struct hx_keepout k = hx_keepout_init(&m, 0);
	uint64_t a, b, len = 30 * MB, g = hx_stack_gap(0);
	assert_int_equal(hp_find_hole(&m, len, 0, 0, 0, &a), 0);
	assert_true(hx_vmas_range_free(&m, a, len));
	assert_true(hx_placement_ok(&k, a, len));
	assert_true(a + len <= 0x7fef10600000 - g);
	assert_int_equal(hp_find_hole(&m, len, a, len, 0, &b), 0); /* the aside range */
	assert_false(hx_overlaps(a, len, b, len));
	assert_true(hx_placement_ok(&k, b, len));
	/* more than the 128 MB left under the stack's gap: no hole */
	assert_int_equal(hp_find_hole(&m, 130 * MB, 0, 0, 0, &a), -ENOSPC);
	hx_vmas_free(&m);
}

/* The only gap is the brk area of a program that has no [heap] yet. */
static const char BEFORE_BRK[] =
	"00400000-00600000 r-xp 00000000 fe:00 10 /bin/a\n"
	"00600000-00601000 rw-p 00200000 fe:00 10 /bin/a\n"
	"40000000-40021000 rw-p 00000000 00:00 0 [stack]\n";

static void test_find_hole_not_in_brk_room(void **state)
{
	(void)state;
	struct hx_vmas m;
	parse(BEFORE_BRK, &m);
	uint64_t a;
	assert_int_equal(hp_find_hole(&m, 2 * MB, 0, 0, 0, &a), -ENOSPC);
	hx_vmas_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_gap),
		cmocka_unit_test(test_placement_ok_pie),
		cmocka_unit_test(test_placement_ok_before_brk),
		cmocka_unit_test(test_placement_clip),
		cmocka_unit_test(test_find_hole_keeps_out),
		cmocka_unit_test(test_find_hole_not_in_brk_room),
	};
	return cmocka_run_group_tests_name("placement", tests, NULL, NULL);
}

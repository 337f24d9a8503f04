/*
 * placement.h - where hugexec may put a temporary mapping (a staging area,
 * the aside range of the originals) in the target's address space.
 *
 * One rule, used twice: the helper chooses its holes with it and the
 * loader's validator refuses plans that break it. A temporary mapping may
 * outlive its plan (the commit that unmaps the aside range is allowed to
 * fail), so it must never sit where the program itself will grow: not in
 * the low 2 MB (page 0, mmap_min_addr), not in the stack's growth gap, not
 * where the brk heap grows.
 * Must never: call something allowed that the validator would refuse, or
 * the other way round (both sides use only these functions).
 */
#ifndef HX_PLACEMENT_H
#define HX_PLACEMENT_H

#include "hx.h"
#include "maps.h"

/* Nothing of ours, region or temporary, below this: page 0 stays unmapped
 * even for root (who may map under vm.mmap_min_addr), and the low 2 MB is
 * never text or free space a plan needs. */
#define HX_MIN_ADDR HX_HUGE

/* Kept free below the [stack] mapping: the kernel keeps at least 128 MB
 * between the stack top and mmap_base (arch/x86/mm/mmap.c, gap_min), more
 * with a larger RLIMIT_STACK, so the stack may grow that far. */
#define HX_STACK_GAP_MIN ((uint64_t)128 << 20)

/* Kept free above [heap]: room for brk to grow before malloc must fall back
 * to mmap; 64 MB is many times a typical heap at the entry point. */
#define HX_HEAP_GAP ((uint64_t)64 << 20)

/* Before the program's first brk there is no [heap]: the kernel starts the
 * brk area at a random page up to 1 GB above the executable's bss (x86-64,
 * since Linux 6.9; 32 MB before), so above every writable mapping this
 * much plus HX_HEAP_GAP is kept free. */
#define HX_BRK_RANDOM ((uint64_t)1 << 30)

/* How much to keep free below [stack] for a stack soft limit of
 * stack_rlimit bytes (0: unknown), clamped as the kernel clamps its own
 * gap: at least HX_STACK_GAP_MIN, at most 5/6 of the user address space. */
uint64_t hx_stack_gap(uint64_t stack_rlimit);

/* The keep-out zones of one address space, worked out once and then asked
 * about many ranges (the validator per step, the helper per gap). It
 * points at m, which must outlive it and not change. */
struct hx_keepout {
	const struct hx_vmas *m;
	uint64_t stack_gap; /* kept free below [stack]: hx_stack_gap(stack_rlimit) */
	bool heap;          /* m has a [heap]; without one, every writable mapping
			     * anchors a brk zone */
};

/* The keep-out zones of m for a stack soft limit of stack_rlimit bytes
 * (0: unknown). */
struct hx_keepout hx_keepout_init(const struct hx_vmas *m, uint64_t stack_rlimit);

/* May a temporary mapping cover [addr, addr+len) in k's address space?
 * (Only the keep-out rule: whether the range is free is the caller's
 * question.) */
bool hx_placement_ok(const struct hx_keepout *k, uint64_t addr, uint64_t len);

/* Shrink the free range [*lo, *hi) of k's address space (no mapping inside
 * it) to a part that hx_placement_ok accepts; false if nothing is left. */
bool hx_placement_clip(const struct hx_keepout *k, uint64_t *lo, uint64_t *hi);

#endif

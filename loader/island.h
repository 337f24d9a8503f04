/*
 * island.h - may this hot island run? (HX_GROUP_LAYOUT groups)
 *
 * The helper parses profiles and files an attacker may have shaped; it
 * must not be able to make a root service run code of its choosing. So
 * before a layout group runs, the loader checks it twice:
 *   shape  (pure, with the other groups in validate.c): exactly the steps
 *          a layout takes, in order: the island and its records mapped in
 *          free space (placement.h), never writable and executable, each
 *          moved function's original inside the program's text and its
 *          copy inside the island, one patch per moved function, at its
 *          entry (or after its endbr64), jumping to its own copy;
 *   trust  (with the target's memory): every copy decodes to the same
 *          instructions as its original, read from the target, each
 *          relative operand reaching the same absolute address (a direct
 *          branch may reach the copy of a moved function's entry instead);
 *          every other island byte is an int3 or the jmp back to its
 *          original's end; every unwind record is the original's, byte for
 *          byte but for its rebased pointers, which decode to the same
 *          addresses (the personality routine and the LSDA stay the
 *          program's own).
 * The loader writes the patch bytes itself; the helper only names where.
 * Must never: pass an island whose code or records are not the program's.
 */
#ifndef LD_ISLAND_H
#define LD_ISLAND_H

#include "../common/maps.h"
#include "../common/placement.h"
#include "../common/plan.h"

/* Bounds: a moved function (an unwind record: HX_EH_RECORD_MAX). */
#define LD_ISLAND_MAX_FUNC ((uint64_t)1 << 20)

int ld_island_check_shape(const struct hx_plan *p, uint32_t gi, const struct hx_vmas *m,
			  const struct hx_keepout *keep, struct hx_err *e) HX_WUR;

/* Across all the layout groups of p: no code moved by two of them (each
 * group's patches sit in its own moved functions, one each). */
int ld_island_check_all(const struct hx_plan *p, struct hx_err *e) HX_WUR;

/* Reads len bytes of the target at addr; 0 or -errno. */
typedef int (*ld_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

int ld_island_check_code(const struct hx_plan *p, uint32_t gi, ld_read_fn read, void *ctx,
			 struct hx_err *e) HX_WUR;

#endif

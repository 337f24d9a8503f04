/*
 * verify.h - believe nothing we did until /proc says so.
 *
 * Huge pages are checked in /proc/PID/smaps (THP fails silently to 4 KB
 * pages); bytes are compared between the new text and the original kept
 * aside; the final state of every region is read back for the report.
 * Must never: write to the target.
 */
#ifndef LD_VERIFY_H
#define LD_VERIFY_H

#include "tracer.h"

/* 0 if every byte of [addr, addr+len) is mapped by huge pages (some: at
 * least one 2 MB page of it), in mappings that lie wholly inside the
 * range; -EAGAIN (with a message) otherwise. */
int ld_verify_huge(pid_t pid, uint64_t addr, uint64_t len, bool some, struct hx_err *e);

/* Same check on an already parsed smaps: the huge bytes found. */
uint64_t ld_huge_bytes_in(const struct hx_vmas *m, uint64_t addr, uint64_t len);

/* 0 if [a, a+len) and [b, b+len) of the target hold the same bytes: all of
 * them (full), or the first, last and one scattered 4 KB page of every 2 MB
 * page. Reading a THP mapping back through process_vm_readv runs at about
 * 1 GB/s here, which made full checks the largest cost of a launch; the
 * copy itself is one kernel call that either copies everything or fails,
 * and the tests check the whole text end to end. */
int ld_verify_bytes(struct inj_target *t, uint64_t a, uint64_t b, uint64_t len, bool full,
		    struct hx_err *e);

/* Fill tr->out.regions from a fresh smaps and the group results. */
int ld_collect_results(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

#endif

/*
 * selfcheck.h - what a test program can say about its own text: how much
 * of it is on huge pages (from /proc/self/smaps) and a checksum of its
 * bytes (which must not change when hugexec moves it).
 * Must never: print on stdout (that is the program's own output, compared
 * with a plain run); reports go to stderr.
 */
#ifndef SELFCHECK_H
#define SELFCHECK_H

#include <stdint.h>

struct selfcheck {
	uint64_t text_lo, text_hi;   /* [first r-x page of the executable, end of .text) */
	uint64_t text_kb;            /* r-x bytes in that range */
	uint64_t interior_kb;        /* its whole 2 MB pages */
	uint64_t huge_kb;            /* of which on huge pages (any kind) */
	uint64_t anon_kb;            /* of which in anonymous or hugetlb mappings */
	uint64_t code_sum;           /* FNV-1a of the text bytes */
};

int selfcheck_measure(struct selfcheck *s);

/* The same for the loaded shared object whose name contains substr. */
int selfcheck_measure_lib(const char *substr, struct selfcheck *s);

/* One line on stderr: "selfcheck: WHO text_kb=... interior_kb=... huge_kb=...".
 * With SELFCHECK_LIB=NAME it measures that shared object instead of the
 * executable; with SELFCHECK_MAPS=FILE it also copies /proc/self/maps there. */
void selfcheck_report(const char *who);

/* Copy our own text interior onto THP from inside the process (the
 * "in-binary ideal" of the benchmark): build it, seal it, mremap it in. */
int selfcheck_self_remap(void);

#endif

/*
 * status.h - `hugexec status [--json] [PID...]`: did it work?
 *
 * For each process, one line per executable mapping: path, size, KB on
 * 2 MB pages, backing. Without PIDs, only the processes that bear one of
 * hugexec's marks (see status.c). Reads /proc (and /tmp/perf-PID.map)
 * only, so an ordinary user can ask about their own processes.
 * Must never: write anywhere but stdout and stderr.
 */
#ifndef LD_STATUS_H
#define LD_STATUS_H

#include "../common/maps.h"

#include <stdio.h>

int ld_status_main(int argc, char **argv);

/* The parts, for tests. */

/* hugexec's marks on a process (why it is listed without a PID). */
enum {
	LD_ST_NAMED = 1u << 0,     /* a mapping named [anon:hugexec ...] */
	LD_ST_PERFMAP = 1u << 1,   /* its perf map names code inside a copy */
	LD_ST_FILE_HUGE = 1u << 2, /* file text with MADV_HUGEPAGE, PMD-mapped */
};

/* The marks of a process with smaps m; perfmap: its /tmp/perf-PID.map,
 * opened only if its owner may speak for the process, or NULL. */
unsigned ld_status_marks(const struct hx_vmas *m, FILE *perfmap);

/* "[anon:hugexec /usr/bin/x]" -> "/usr/bin/x" in buf; NULL if name is not
 * hugexec's or the path does not fit. */
const char *ld_status_copy_of(const char *name, char *buf, size_t size);

/* The file whose text the anonymous or hugetlb mapping m->v[i] stands in
 * for: the first file mapping reached through the copies beside it, if
 * that file's image holds it; NULL if none (pure, for tests). */
const char *ld_status_owner(const struct hx_vmas *m, size_t i);

/* A PID: decimal digits only, 1..INT_MAX. -EINVAL or -ERANGE. */
int ld_status_parse_pid(const char *s, pid_t *pid) HX_WUR;

#endif

/*
 * procmaps.h - the executable mappings of every recorded process, kept up
 * to date from the kernel's PERF_RECORD_MMAP2/COMM/FORK/EXIT records (or
 * seeded from /proc/PID/maps when attaching), so that a sampled address
 * can be turned into (file, offset) even after the process has exited.
 *
 * hugexec's own work shows here: the text it moved onto huge pages is an
 * anonymous or hugetlb mapping between two pieces of the file. Under
 * hugexec record the kernel reports no mapping for the mremap, so the
 * file's mapping stays in the table, which is right: the bytes and their
 * addresses are the file's. When seeding from /proc/PID/maps such a copy
 * is given back the file and offset of the file mappings right next to it
 * (they agree on address - offset), as `hugexec status` does.
 * Must never: map an address to a file offset through a mapping that does
 * not contain it.
 */
#ifndef REC_PROCMAPS_H
#define REC_PROCMAPS_H

#include "../common/hx.h"

#define REC_OBJ_NONE UINT32_MAX /* rec_map.obj: nothing to symbolize (anonymous) */

struct rec_map {
	uint64_t start, end, pgoff;
	const char *path;  /* interned; "" for anonymous memory */
	uint32_t maj, min;
	uint64_t ino;
	uint32_t obj;      /* rawprof object id once looked up, 0 before */
};

struct rec_proc {
	int32_t pid;
	bool kept;      /* its samples go into the profile */
	uint32_t execs; /* exec()s seen */
	struct rec_map *m; /* sorted by start, disjoint */
	size_t n, cap;
};

struct rec_procs {
	struct rec_proc **p; /* sorted by pid */
	size_t n, cap;
	char **strs;         /* interned paths (open addressing) */
	size_t n_strs, cap_strs;
};

void rec_procs_init(struct rec_procs *ps);
void rec_procs_free(struct rec_procs *ps);

/* The process pid; with create, a new empty one if missing (*out is NULL
 * and 0 returned when missing and !create). */
int rec_procs_get(struct rec_procs *ps, int32_t pid, bool create, struct rec_proc **out) HX_WUR;
void rec_procs_remove(struct rec_procs *ps, int32_t pid);

/* Map [start, start+len) to path at pgoff, replacing what overlapped. */
int rec_proc_map(struct rec_procs *ps, struct rec_proc *p, uint64_t start, uint64_t len,
		 uint64_t pgoff, const char *path, uint32_t maj, uint32_t min, uint64_t ino) HX_WUR;
void rec_proc_clear(struct rec_proc *p);
/* dst gets a copy of src's mappings (fork). */
int rec_proc_copy(struct rec_proc *dst, const struct rec_proc *src) HX_WUR;
struct rec_map *rec_proc_find(struct rec_proc *p, uint64_t addr);

/* Seed p from /proc/PID/maps text (executable mappings only), giving
 * hugexec's anonymous text copies their file back. */
int rec_proc_load_maps(struct rec_procs *ps, struct rec_proc *p, const char *text,
		       size_t len) HX_WUR;

#endif

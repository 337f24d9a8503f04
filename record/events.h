/*
 * events.h - turn the kernel's perf records into aggregated samples.
 *
 * Input: one record at a time, as the ring buffer had it (PERF_RECORD_*,
 * with sample_type IP|TID|TIME|CALLCHAIN[|STACK_USER] and sample_id_all).
 * Side-band records keep the per-process mapping tables (procmaps.h) up to
 * date; a sample becomes a rec_key: its IP and up to three return-address
 * candidates - the two stack words at [rsp] and [rsp+8], then the first
 * link of the frame-pointer chain - each as (object, file offset).
 *
 * Which samples count: a process is "kept" when it is the recorded program.
 * Under `hugexec record -- CMD` the recorder's child first becomes hugexec
 * (exec #1) and then CMD (exec #2), and hugexec forks a tracer and a helper
 * in between; only the root process after keep_after_execs exec()s, and
 * processes it forks after that, are kept. With -p every process is kept.
 * Must never: turn an address into an offset without a mapping holding it,
 * or let a malformed record read past its end.
 */
#ifndef REC_EVENTS_H
#define REC_EVENTS_H

#include "procmaps.h"
#include "rawprof.h"

#include <sys/types.h>

struct rec_events;

/* Open the file behind mapping m of process pid for symbolization: *fd, or
 * -1 and why. Replaceable for tests. */
typedef void (*rec_open_fn)(const struct rec_map *m, int32_t pid, int *fd, char *why,
			    size_t why_size);

struct rec_events {
	struct rec_raw *raw;
	struct rec_procs procs;
	int32_t root;
	uint32_t keep_after_execs;
	bool stack_words;      /* samples carry PERF_SAMPLE_STACK_USER */
	rec_open_fn open_obj;
	uint64_t samples_dropped;  /* from processes not kept (hugexec's own) */
	uint64_t malformed;        /* records that did not parse */
	uint64_t throttled;        /* PERF_RECORD_THROTTLE: the kernel slowed sampling */
	uint32_t *tids, *pids;     /* open-addressing sets of kept threads and processes */
	size_t n_tids, cap_tids, n_pids, cap_pids;
};

/* keep_after_execs: 0 keeps root at once (-p), 2 for `record -- CMD`. */
int rec_events_init(struct rec_events *ev, struct rec_raw *raw, int32_t root,
		    uint32_t keep_after_execs, bool stack_words) HX_WUR;
void rec_events_free(struct rec_events *ev);

/* One record (header included), size bytes. Malformed records are counted
 * and skipped; only a failure to allocate is an error. */
int rec_events_record(struct rec_events *ev, const void *rec, size_t size) HX_WUR;

/* The default opener: /proc/PID/map_files (the very file, even if deleted
 * or replaced), then /proc/PID/root/PATH, then PATH, each checked against
 * the mapping's device and inode. */
void rec_events_open_default(const struct rec_map *m, int32_t pid, int *fd, char *why,
			     size_t why_size);

#endif

/*
 * sampler.h - perf_event_open with a software clock, one ring buffer per
 * CPU, drained in time order.
 *
 * Events: PERF_TYPE_SOFTWARE task-clock (or cpu-clock), user space only,
 * sample_type IP|TID|TIME|CALLCHAIN|STACK_USER (16 bytes of stack: the
 * return address of a leaf that has not pushed a frame), short call chains,
 * plus MMAP2/COMM/FORK/EXIT side-band records. A software clock needs no
 * PMU, so this works in VMs where `perf stat` says cycles are not
 * supported.
 *
 * One event per (task, CPU) with inherit=1: the kernel refuses to mmap an
 * inherited event opened with cpu=-1 ("Don't allow mmap() of inherited
 * per-task counters", perf_mmap), but per-CPU inherited events can be
 * mapped, and the copies the kernel makes for threads and children created
 * later write into their parent's buffer. All events of one CPU share that
 * CPU's buffer (PERF_EVENT_IOC_SET_OUTPUT; the kernel allows sharing only
 * within one CPU). Memory is bounded by the buffers: when one is full the
 * kernel drops samples and says so with PERF_RECORD_LOST, which is counted;
 * where the kernel has PERF_FORMAT_LOST (6.0), each event's own count of
 * lost records is read at the end too, since a loss just before the end is
 * never followed by a PERF_RECORD_LOST.
 * Must never: read a record the kernel is still writing (data_head is read
 * with acquire order, data_tail written with release order), or leave the
 * events enabled after rec_sampler_close.
 */
#ifndef REC_SAMPLER_H
#define REC_SAMPLER_H

#include "../common/hx.h"

#include <sys/types.h>

#define REC_DEFAULT_FREQ 999   /* Hz: not a divisor of common timer rates */
#define REC_DEFAULT_PAGES 64   /* data pages per CPU buffer (256 KB) */
#define REC_STACK_BYTES 16     /* [rsp] and [rsp+8] */
#define REC_MAX_STACK 4        /* call chain entries: IP and a few returns */

struct rec_ring {
	int cpu;
	int fd;          /* the event that owns the buffer */
	void *base;      /* metadata page, then data */
	size_t map_size; /* the whole mapping */
	uint8_t *data;
	uint64_t data_size; /* a power of two */
};

struct rec_sampler_opts {
	unsigned freq;    /* samples per second of CPU time, per thread */
	bool cpu_clock;   /* PERF_COUNT_SW_CPU_CLOCK rather than TASK_CLOCK */
	unsigned pages;   /* data pages per buffer (a power of two) */
};

struct rec_sampler {
	struct rec_sampler_opts o;
	bool stack_words;      /* the kernel took PERF_SAMPLE_STACK_USER */
	bool max_stack;        /* ... and sample_max_stack */
	bool lost_format;      /* ... and read_format PERF_FORMAT_LOST */
	struct rec_ring *rings;
	size_t n_rings;
	int *fds;              /* every event, rings' owners included */
	size_t n_fds, cap_fds;
	uint8_t *batch;        /* records copied out of the rings */
	size_t batch_len, batch_cap;
	struct { uint64_t time; size_t at; } *order;
	size_t cap_order;
};

/* Called for each record of a drain, in time order. */
typedef int (*rec_record_cb)(void *ctx, const void *rec, size_t size);

/* Open one event per online CPU on tid (inherit), each with its buffer.
 * Events start enabled. Errors explain perf_event_paranoid, seccomp and
 * ptrace permission problems in e. */
int rec_sampler_open(struct rec_sampler *s, const struct rec_sampler_opts *o, pid_t tid,
		     struct hx_err *e) HX_WUR;
/* Another task (a thread of an attached process): one event per CPU,
 * output into the buffers opened by rec_sampler_open. -ESRCH if it is gone. */
int rec_sampler_add(struct rec_sampler *s, pid_t tid, struct hx_err *e) HX_WUR;

/* Wait up to timeout_ms for a buffer to pass its watermark. */
void rec_sampler_wait(struct rec_sampler *s, int timeout_ms);

/* Copy out everything in the buffers, sort it by time, hand it to cb. */
int rec_sampler_drain(struct rec_sampler *s, rec_record_cb cb, void *ctx) HX_WUR;

/* Records the kernel dropped, summed over every event as read() reports
 * them (PERF_FORMAT_LOST): -EOPNOTSUPP on kernels before 6.0. Read it after
 * rec_sampler_disable, for a final count. */
int rec_sampler_lost(const struct rec_sampler *s, uint64_t *lost) HX_WUR;

/* a + b, saturating. */
uint64_t rec_lost_add(uint64_t a, uint64_t b);

/* The lost count to report: the larger of what PERF_RECORD_LOST records
 * said and what the events counted (rec_sampler_lost). */
uint64_t rec_lost_total(uint64_t from_records, uint64_t from_counts);

/* Stop sampling (the buffers stay readable). */
void rec_sampler_disable(struct rec_sampler *s);
void rec_sampler_close(struct rec_sampler *s);

/* A message for an errno from perf_event_open (EACCES, EPERM, ENOSYS,...). */
const char *rec_sampler_why(int err, char *buf, size_t size);

#endif

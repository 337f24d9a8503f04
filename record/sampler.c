/*
 * sampler.c - perf events, their ring buffers and the drain.
 *
 * Ring protocol (perf_event_open(2), "mmap layout"): the kernel writes
 * records at data_head and never past data_tail (the buffer is mapped
 * writable, so it stops and counts PERF_RECORD_LOST instead). We read
 * data_head with acquire order so the records before it are visible, copy
 * records out (one may wrap around the end), and publish data_tail with
 * release order so the kernel does not overwrite what we still read.
 * Records from different CPUs are merged by their time (sample_id_all puts
 * one at the end of every non-sample record) so that an mmap is seen
 * before the samples that hit it. A record written to one CPU's buffer
 * just after we read it can still arrive one drain late; that only matters
 * for samples taken in the same instant as an exec or an mmap.
 * Must never: trust a record size without checking it against data_head.
 */
#define _GNU_SOURCE
#include "sampler.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	long r = syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return r < 0 ? -errno : (int)r;
}

static void make_attr(const struct rec_sampler *s, uint64_t data_size, struct perf_event_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = s->o.cpu_clock ? PERF_COUNT_SW_CPU_CLOCK : PERF_COUNT_SW_TASK_CLOCK;
	a->freq = 1;
	a->sample_freq = s->o.freq;
	a->sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN;
	if (s->stack_words) {
		a->sample_type |= PERF_SAMPLE_STACK_USER;
		a->sample_stack_user = REC_STACK_BYTES;
	}
	if (s->max_stack) /* Linux 4.8; without it chains are up to 127 deep */
		a->sample_max_stack = REC_MAX_STACK;
	/* Linux 6.0: read() also says how many records the event lost, even
	 * those lost at the end, which no PERF_RECORD_LOST reports (the kernel
	 * writes one only on a later successful write to the buffer) */
	if (s->lost_format)
		a->read_format = PERF_FORMAT_LOST;
	/* user space only: what perf_event_paranoid=2 allows, and all a layout needs */
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
	a->exclude_callchain_kernel = 1;
	a->inherit = 1;
	a->mmap = 1;
	a->mmap2 = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->sample_id_all = 1;
	a->watermark = 1;
	a->wakeup_watermark = (uint32_t)(data_size / 4);
}

static int add_fd(struct rec_sampler *s, int fd)
{
	if (s->n_fds == s->cap_fds) {
		size_t nc = s->cap_fds ? s->cap_fds * 2 : 16;
		int *n = realloc(s->fds, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->fds = n;
		s->cap_fds = nc;
	}
	s->fds[s->n_fds++] = fd;
	return 0;
}

/* Online CPUs from sysfs ("0-3,6"); all configured ones if unreadable. */
static int online_cpus(int **out, size_t *n)
{
	char *text = NULL;
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	size_t cap = conf > 0 ? (size_t)conf : 1, k = 0;
	if (cap > 4096)
		cap = 4096;
	int *cpus = malloc(cap * sizeof(int));
	if (!cpus)
		return -ENOMEM;
	if (hx_read_file("/sys/devices/system/cpu/online", 4096, &text, NULL) == 0) {
		char *p = text;
		while (*p && k < cap) {
			char *end;
			long a = strtol(p, &end, 10), b = a;
			if (end == p)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			for (long c = a; c <= b && k < cap; c++)
				cpus[k++] = (int)c;
			p = *end == ',' ? end + 1 : end;
			if (*p == '\n')
				break;
		}
		free(text);
	}
	if (k == 0)
		for (k = 0; k < cap; k++)
			cpus[k] = (int)k;
	*out = cpus;
	*n = k;
	return 0;
}

static int map_ring(struct rec_ring *r, unsigned *pages)
{
	long psz = sysconf(_SC_PAGESIZE);
	for (;;) {
		size_t len = (size_t)(*pages + 1) * (size_t)psz;
		void *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (b != MAP_FAILED) {
			struct perf_event_mmap_page *m = b;
			r->base = b;
			r->map_size = len;
			r->data = (uint8_t *)b + (m->data_offset ? m->data_offset : (uint64_t)psz);
			r->data_size = m->data_size ? m->data_size : (uint64_t)*pages * (uint64_t)psz;
			return 0;
		}
		/* EPERM: over perf_event_mlock_kb without CAP_IPC_LOCK; try smaller */
		if ((errno != EPERM && errno != ENOMEM) || *pages <= 2)
			return -errno;
		*pages /= 2;
	}
}

/* Open on the first CPU, dropping optional features the kernel refuses
 * (EINVAL), newest first. */
static int open_first(struct rec_sampler *s, pid_t tid, int cpu)
{
	struct perf_event_attr a;
	for (int attempt = 0;; attempt++) {
		make_attr(s, (uint64_t)s->o.pages * 4096, &a);
		int fd = perf_open(&a, tid, cpu);
		if (fd >= 0 || fd != -EINVAL || attempt == 3)
			return fd;
		if (s->lost_format)
			s->lost_format = false;
		else if (s->max_stack)
			s->max_stack = false;
		else
			s->stack_words = false;
	}
}

int rec_sampler_open(struct rec_sampler *s, const struct rec_sampler_opts *o, pid_t tid,
		     struct hx_err *e)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->stack_words = s->max_stack = s->lost_format = true;
	int *cpus;
	size_t n_cpus;
	if (online_cpus(&cpus, &n_cpus) < 0 ||
	    !(s->rings = calloc(n_cpus, sizeof(*s->rings)))) {
		free(s->rings);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	int r = 0;
	char why[300];
	for (size_t i = 0; i < n_cpus && r == 0; i++) {
		struct perf_event_attr a;
		make_attr(s, (uint64_t)s->o.pages * 4096, &a);
		int fd = s->n_rings == 0 ? open_first(s, tid, cpus[i]) : perf_open(&a, tid, cpus[i]);
		if (fd == -ENODEV || (fd == -EINVAL && s->n_rings > 0))
			continue; /* that CPU went offline */
		if (fd < 0) {
			r = hx_fail(e, fd, "perf_event_open: %s", rec_sampler_why(-fd, why, sizeof(why)));
			break;
		}
		struct rec_ring *ring = &s->rings[s->n_rings];
		ring->cpu = cpus[i];
		ring->fd = fd;
		if ((r = add_fd(s, fd)) < 0) {
			close(fd);
			hx_fail(e, r, "out of memory");
			break;
		}
		if ((r = map_ring(ring, &s->o.pages)) < 0)
			hx_fail(e, r, "mapping the perf ring buffer: %s", strerror(-r));
		else
			s->n_rings++;
	}
	free(cpus);
	if (r == 0 && s->n_rings == 0)
		r = hx_fail(e, -ENODEV, "perf_event_open: no CPU accepted the event");
	if (r < 0)
		rec_sampler_close(s);
	return r;
}

int rec_sampler_add(struct rec_sampler *s, pid_t tid, struct hx_err *e)
{
	char why[300];
	for (size_t i = 0; i < s->n_rings; i++) {
		struct perf_event_attr a;
		make_attr(s, s->rings[i].data_size, &a);
		int fd = perf_open(&a, tid, s->rings[i].cpu);
		if (fd == -ESRCH)
			return -ESRCH;
		if (fd < 0)
			return hx_fail(e, fd, "perf_event_open on thread %d: %s", (int)tid,
				       rec_sampler_why(-fd, why, sizeof(why)));
		if (add_fd(s, fd) < 0) {
			close(fd);
			return hx_fail(e, -ENOMEM, "out of memory");
		}
		if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, s->rings[i].fd) != 0)
			return hx_fail(e, -errno, "PERF_EVENT_IOC_SET_OUTPUT: %s", strerror(errno));
	}
	return 0;
}

void rec_sampler_wait(struct rec_sampler *s, int timeout_ms)
{
	struct pollfd p[64];
	size_t n = s->n_rings < 64 ? s->n_rings : 64;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){.fd = s->rings[i].fd, .events = POLLIN};
	(void)poll(p, n, timeout_ms);
}

/* Copy len bytes at ring offset pos (mod size) into dst. */
static void ring_copy(const struct rec_ring *r, uint64_t pos, void *dst, size_t len)
{
	uint64_t at = pos & (r->data_size - 1);
	size_t first = (size_t)(r->data_size - at) < len ? (size_t)(r->data_size - at) : len;
	memcpy(dst, r->data + at, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}

static int batch_reserve(struct rec_sampler *s, size_t len)
{
	if (s->batch_len + len <= s->batch_cap)
		return 0;
	size_t nc = s->batch_cap ? s->batch_cap : 65536;
	while (nc < s->batch_len + len)
		nc *= 2;
	uint8_t *n = realloc(s->batch, nc);
	if (!n)
		return -ENOMEM;
	s->batch = n;
	s->batch_cap = nc;
	return 0;
}

/* The time of a record: a sample's TIME field, else sample_id's. */
static uint64_t record_time(const uint8_t *rec, size_t size)
{
	struct perf_event_header h;
	uint64_t t = 0;
	memcpy(&h, rec, sizeof(h));
	if (h.type == PERF_RECORD_SAMPLE && size >= 32)
		memcpy(&t, rec + 24, 8); /* header, ip, pid/tid */
	else if (h.type != PERF_RECORD_SAMPLE && size >= sizeof(h) + 16)
		memcpy(&t, rec + size - 8, 8);
	return t;
}

static int drain_ring(struct rec_sampler *s, struct rec_ring *r, size_t *n_rec)
{
	struct perf_event_mmap_page *m = r->base;
	uint64_t head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = m->data_tail;
	int err = 0;
	while (tail < head && err == 0) {
		struct perf_event_header h;
		ring_copy(r, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - tail)
			break; /* cannot happen with a sane kernel: drop the rest */
		if ((err = batch_reserve(s, h.size)) < 0)
			break;
		if (*n_rec == s->cap_order) {
			size_t nc = s->cap_order ? s->cap_order * 2 : 4096;
			void *no = realloc(s->order, nc * sizeof(*s->order));
			if (!no) {
				err = -ENOMEM;
				break;
			}
			s->order = no;
			s->cap_order = nc;
		}
		uint8_t *dst = s->batch + s->batch_len;
		ring_copy(r, tail, dst, h.size);
		s->order[*n_rec].time = record_time(dst, h.size);
		s->order[*n_rec].at = s->batch_len;
		(*n_rec)++;
		s->batch_len += h.size;
		tail += h.size;
	}
	__atomic_store_n(&m->data_tail, head, __ATOMIC_RELEASE);
	return err;
}

static int cmp_order(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b; /* time, then position: a stable order */
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

int rec_sampler_drain(struct rec_sampler *s, rec_record_cb cb, void *ctx)
{
	size_t n = 0;
	int r = 0;
	s->batch_len = 0;
	_Static_assert(sizeof(*s->order) == 16, "order entries are two u64");
	for (size_t i = 0; i < s->n_rings && r == 0; i++)
		r = drain_ring(s, &s->rings[i], &n);
	if (n)
		qsort(s->order, n, sizeof(*s->order), cmp_order);
	for (size_t i = 0; i < n && r == 0; i++) {
		const uint8_t *rec = s->batch + s->order[i].at;
		struct perf_event_header h;
		memcpy(&h, rec, sizeof(h));
		r = cb(ctx, rec, h.size);
	}
	return r;
}

int rec_sampler_lost(const struct rec_sampler *s, uint64_t *lost)
{
	*lost = 0;
	if (!s->lost_format)
		return -EOPNOTSUPP;
	for (size_t i = 0; i < s->n_fds; i++) {
		uint64_t v[2]; /* read_format PERF_FORMAT_LOST alone: value, lost */
		ssize_t n = read(s->fds[i], v, sizeof(v));
		if (n != (ssize_t)sizeof(v))
			return n < 0 ? -errno : -EIO;
		*lost = rec_lost_add(*lost, v[1]);
	}
	return 0;
}

uint64_t rec_lost_add(uint64_t a, uint64_t b)
{
	return hx_add_sat(a, b);
}

uint64_t rec_lost_total(uint64_t from_records, uint64_t from_counts)
{
	/* both count the same losses, the events' counts more of them: never
	 * add them up */
	return from_records > from_counts ? from_records : from_counts;
}

void rec_sampler_disable(struct rec_sampler *s)
{
	for (size_t i = 0; i < s->n_fds; i++)
		(void)ioctl(s->fds[i], PERF_EVENT_IOC_DISABLE, 0);
}

void rec_sampler_close(struct rec_sampler *s)
{
	rec_sampler_disable(s);
	for (size_t i = 0; i < s->n_rings; i++)
		munmap(s->rings[i].base, s->rings[i].map_size);
	for (size_t i = 0; i < s->n_fds; i++)
		close(s->fds[i]);
	free(s->rings);
	free(s->fds);
	free(s->batch);
	free(s->order);
	memset(s, 0, sizeof(*s));
}

const char *rec_sampler_why(int err, char *buf, size_t size)
{
	uint64_t par = 99;
	bool have = hx_read_u64_file("/proc/sys/kernel/perf_event_paranoid", &par) == 0;
	switch (err) {
	case EACCES:
	case EPERM:
		if (have && par > 2 && par < 99)
			snprintf(buf, size, "perf events are not permitted: kernel.perf_event_paranoid is %llu "
				 "(at most 2 lets users sample their own programs; or run with CAP_PERFMON)",
				 (unsigned long long)par);
		else
			snprintf(buf, size, "perf events are not permitted (%s): a seccomp filter "
				 "(containers allow perf_event_open only with CAP_PERFMON), or no "
				 "permission to trace that process", strerror(err));
		break;
	case ENOSYS:
		snprintf(buf, size, "perf events are not available (kernel without "
			 "CONFIG_PERF_EVENTS, or blocked by a seccomp filter)");
		break;
	case ENOENT:
	case EOPNOTSUPP:
		snprintf(buf, size, "this kernel has no software clock event (%s)", strerror(err));
		break;
	case ESRCH:
		snprintf(buf, size, "no such process");
		break;
	case EMFILE:
		snprintf(buf, size, "too many open files (one event per thread and CPU; raise ulimit -n)");
		break;
	default:
		snprintf(buf, size, "%s", strerror(err));
	}
	return buf;
}

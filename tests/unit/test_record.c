/* test_record.c - record/: the recorder's parts that need no perf events:
 * call-site recognition, per-process mapping tables (with hugexec's
 * anonymous text), perf records in, samples out (synthetic records), the
 * sample table, ELF symbols and call edges on this binary's own code, the
 * signal sentinel, the lost-sample count. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../record/callsite.h"
#include "../../profile/profile.h"
#include "../../common/elfsyms.h"
#include "../../record/events.h"
#include "../../record/sampler.h"
#include "../../record/sentinel.h"
#include "../../record/symbolize.h"

/* ---- call sites ---------------------------------------------------------- */

static enum rec_call_kind site(const uint8_t *b, size_t n, int32_t *rel)
{
	return rec_callsite(b, n, rel);
}

static void test_callsite_encodings(void **state)
{
	(void)state;
	int32_t rel = 0;
	const uint8_t direct[] = {0x90, 0xe8, 0x10, 0x00, 0x00, 0x00};
	assert_int_equal(site(direct, sizeof(direct), &rel), REC_CALL_DIRECT);
	assert_int_equal(rel, 0x10);
	const uint8_t back[] = {0xe8, 0xfb, 0xff, 0xff, 0xff};
	assert_int_equal(site(back, sizeof(back), &rel), REC_CALL_DIRECT);
	assert_int_equal(rel, -5);
	static const struct {
		uint8_t b[8];
		size_t n;
	} indirect[] = {
		{{0x41, 0xff, 0x14, 0xc6}, 4},                   /* call *(%r14,%rax,8) */
		{{0xff, 0xd0}, 2},                               /* call *%rax */
		{{0x3e, 0xff, 0xd0}, 3},                         /* notrack call *%rax */
		{{0xff, 0x15, 0x01, 0x02, 0x03, 0x04}, 6},       /* call *disp(%rip) */
		{{0xff, 0x50, 0x08}, 3},                         /* call *0x8(%rax) */
		{{0xff, 0x94, 0x24, 0x00, 0x01, 0x00, 0x00}, 7}, /* call *0x100(%rsp) */
		{{0xff, 0x14, 0x25, 0x00, 0x10, 0x40, 0x00}, 7}, /* call *0x401000 */
		{{0xff, 0x10}, 2},                               /* call *(%rax) */
	};
	for (size_t i = 0; i < sizeof(indirect) / sizeof(indirect[0]); i++)
		if (site(indirect[i].b, indirect[i].n, NULL) != REC_CALL_INDIRECT)
			fail_msg("indirect case %zu not recognized", i);
	const uint8_t mov[] = {0x48, 0x89, 0xe5};
	const uint8_t jmp[] = {0xff, 0xe0};       /* jmp *%rax: /4, not /2 */
	const uint8_t pad[] = {0xcc, 0xcc, 0xc3}; /* ret; int3 padding */
	const uint8_t shortsib[] = {0xff, 0x14}; /* needs its SIB byte */
	assert_int_equal(site(mov, sizeof(mov), NULL), REC_CALL_NONE);
	assert_int_equal(site(jmp, sizeof(jmp), NULL), REC_CALL_NONE);
	assert_int_equal(site(pad, sizeof(pad), NULL), REC_CALL_NONE);
	assert_int_equal(site(shortsib, sizeof(shortsib), NULL), REC_CALL_NONE);
	assert_int_equal(site(direct, 0, NULL), REC_CALL_NONE);
}

/* ---- mapping tables ------------------------------------------------------ */

static void test_procmaps_overlaps(void **state)
{
	(void)state;
	struct rec_procs ps;
	struct rec_proc *p;
	rec_procs_init(&ps);
	assert_int_equal(rec_procs_get(&ps, 7, false, &p), 0);
	assert_null(p);
	assert_int_equal(rec_procs_get(&ps, 7, true, &p), 0);
	assert_int_equal(rec_proc_map(&ps, p, 0x1000, 0x4000, 0, "/a", 1, 2, 3), 0);
	assert_int_equal(rec_proc_map(&ps, p, 0x2000, 0x1000, 0x7000, "/b", 1, 2, 4), 0);
	assert_int_equal(p->n, 3);
	struct rec_map *m = rec_proc_find(p, 0x3500);
	assert_string_equal(m->path, "/a");
	assert_int_equal(0x3500 - m->start + m->pgoff, 0x2500); /* still the file's offset */
	assert_string_equal(rec_proc_find(p, 0x2fff)->path, "/b");
	assert_string_equal(rec_proc_find(p, 0x1000)->path, "/a");
	assert_null(rec_proc_find(p, 0x5000));
	assert_null(rec_proc_find(p, 0xfff));
	/* covering the tail of one and the head of the next */
	assert_int_equal(rec_proc_map(&ps, p, 0x2800, 0x1000, 0, "/c", 0, 0, 0), 0);
	assert_int_equal(p->n, 4);
	assert_int_equal(rec_proc_find(p, 0x3800)->pgoff, 0x2800);
	/* fork copies, exec clears, a big mapping replaces everything */
	struct rec_proc *q;
	assert_int_equal(rec_procs_get(&ps, 3, true, &q), 0);
	assert_int_equal(rec_proc_copy(q, p), 0);
	assert_int_equal(q->n, 4);
	assert_int_equal(rec_proc_map(&ps, p, 0, 0x100000, 0, "/d", 0, 0, 0), 0);
	assert_int_equal(p->n, 1);
	assert_int_equal(rec_proc_map(&ps, p, 0x10, 0, 0, "/d", 0, 0, 0), -EINVAL);
	rec_proc_clear(q);
	assert_null(rec_proc_find(q, 0x1000));
	rec_procs_remove(&ps, 3);
	assert_int_equal(rec_procs_get(&ps, 3, false, &q), 0);
	assert_null(q);
	rec_procs_free(&ps);
}

/* What /proc/PID/maps shows for a program hugexec moved onto THP (taken
 * from a real run) and for hugetlb and named copies. */
static void test_procmaps_hugexec_copies(void **state)
{
	(void)state;
	static const char maps[] =
		"556f36e37000-556f36e68000 r--p 00000000 fe:00 5308588 /work/bigtext-pie\n"
		"556f36e68000-556f37000000 r-xp 00031000 fe:00 5308588 /work/bigtext-pie\n"
		"556f37000000-556f38e00000 r-xp 00000000 00:00 0 \n"
		"556f38e00000-556f38e6a000 r-xp 01fc9000 fe:00 5308588 /work/bigtext-pie\n"
		"556f38e6a000-556f38e6b000 r--p 02033000 fe:00 5308588 /work/bigtext-pie\n"
		"7f0000000000-7f0000200000 r--p 00000000 fe:00 77 /lib/libbig.so\n"
		"7f0000200000-7f0000400000 r-xs 00000000 00:0f 9 /anon_hugepage (deleted)\n"
		"7f0000400000-7f0000600000 r-xp 00400000 fe:00 77 /lib/libbig.so\n"
		"7f1000000000-7f1000200000 r-xp 00000000 00:00 0 [anon:hugexec /lib/libn.so]\n"
		"7f1000200000-7f1000300000 r--p 00300000 fe:00 78 /lib/libn.so\n"
		"7f2000000000-7f2000001000 r--p 00000000 fe:00 90 /lib/one.so\n"
		"7f2000001000-7f2000002000 r-xp 00000000 00:00 0 \n"
		"7f2000002000-7f2000003000 r--p 00000000 fe:00 91 /lib/two.so\n"
		"7ffd6a1f4000-7ffd6a1f6000 r-xp 00000000 00:00 0 [vdso]\n";
	struct rec_procs ps;
	struct rec_proc *p;
	rec_procs_init(&ps);
	assert_int_equal(rec_procs_get(&ps, 1, true, &p), 0);
	assert_int_equal(rec_proc_load_maps(&ps, p, maps, strlen(maps)), 0);
	assert_int_equal(p->n, 8); /* the executable ones */
	struct rec_map *m = rec_proc_find(p, 0x556f37000010);
	assert_string_equal(m->path, "/work/bigtext-pie");
	assert_int_equal(m->pgoff, 0x1c9000);
	assert_int_equal(m->ino, 5308588);
	m = rec_proc_find(p, 0x7f0000200000); /* hugetlb copy: both neighbours agree */
	assert_string_equal(m->path, "/lib/libbig.so");
	assert_int_equal(m->pgoff, 0x200000);
	m = rec_proc_find(p, 0x7f1000000100); /* a named THP copy before its file's data */
	assert_string_equal(m->path, "/lib/libn.so");
	assert_int_equal(m->pgoff, 0x100000);
	assert_string_equal(rec_proc_find(p, 0x7f2000001000)->path, ""); /* neighbours disagree */
	assert_string_equal(rec_proc_find(p, 0x7ffd6a1f4000)->path, "");
	rec_procs_free(&ps);
}

/* ---- perf records in, samples out ---------------------------------------- */

struct rb {
	uint8_t b[512];
	size_t n;
};

static void put(struct rb *r, const void *p, size_t n)
{
	assert_true(r->n + n <= sizeof(r->b));
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void put64(struct rb *r, uint64_t v)
{
	put(r, &v, 8);
}

static void put32(struct rb *r, uint32_t v)
{
	put(r, &v, 4);
}

static void begin(struct rb *r, uint32_t type, uint16_t misc)
{
	struct perf_event_header h = {type, misc, 0};
	r->n = 0;
	put(r, &h, sizeof(h));
}

/* sample_id (pid, tid, time), then the size into the header. */
static void end(struct rb *r, uint32_t pid, bool sample_id)
{
	if (sample_id) {
		put32(r, pid);
		put32(r, pid);
		put64(r, 1);
	}
	uint16_t sz = (uint16_t)r->n;
	memcpy(r->b + 6, &sz, 2);
}

static void feed(struct rec_events *ev, const struct rb *r)
{
	assert_int_equal(rec_events_record(ev, r->b, r->n), 0);
}

static void mmap2(struct rec_events *ev, uint32_t pid, uint64_t addr, uint64_t len,
		  uint64_t pgoff, uint64_t ino, const char *name)
{
	struct rb r;
	char fn[64] = {0};
	begin(&r, PERF_RECORD_MMAP2, 0);
	put32(&r, pid);
	put32(&r, pid);
	put64(&r, addr);
	put64(&r, len);
	put64(&r, pgoff);
	put32(&r, 8);
	put32(&r, 1);
	put64(&r, ino);
	put64(&r, 0);
	put32(&r, 5);
	put32(&r, 2);
	snprintf(fn, sizeof(fn), "%s", name);
	put(&r, fn, (strlen(name) + 8) & ~(size_t)7);
	end(&r, pid, true);
	feed(ev, &r);
}

static void comm_exec(struct rec_events *ev, uint32_t pid)
{
	struct rb r;
	begin(&r, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
	put32(&r, pid);
	put32(&r, pid);
	put(&r, "prog\0\0\0\0", 8);
	end(&r, pid, true);
	feed(ev, &r);
}

static void fork_rec(struct rec_events *ev, uint32_t pid, uint32_t ppid, uint32_t tid)
{
	struct rb r;
	begin(&r, PERF_RECORD_FORK, 0);
	put32(&r, pid);
	put32(&r, ppid);
	put32(&r, tid);
	put32(&r, ppid);
	put64(&r, 1);
	end(&r, pid, true);
	feed(ev, &r);
}

static void sample(struct rec_events *ev, uint32_t pid, uint32_t tid, uint64_t ip,
		   uint64_t ret, uint64_t w0, uint64_t w1)
{
	struct rb r;
	begin(&r, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
	put64(&r, ip);
	put32(&r, pid);
	put32(&r, tid);
	put64(&r, 2);
	put64(&r, 3);
	put64(&r, (uint64_t)PERF_CONTEXT_USER);
	put64(&r, ip);
	put64(&r, ret);
	put64(&r, 16);
	put64(&r, w0);
	put64(&r, w1);
	put64(&r, 16);
	end(&r, pid, false);
	feed(ev, &r);
}

static int opened;

static void stub_open(const struct rec_map *m, int32_t pid, int *fd, char *why, size_t size)
{
	(void)m;
	(void)pid;
	opened++;
	*fd = -1;
	snprintf(why, size, "stub");
}

static const struct rec_slot *only_key(const struct rec_raw *raw)
{
	const struct rec_slot *s = NULL;
	for (size_t i = 0; i < raw->cap_slots; i++)
		if (raw->slots[i].count) {
			assert_null(s);
			s = &raw->slots[i];
		}
	assert_non_null(s);
	return s;
}

/* `record -- CMD`: the recorder's child becomes hugexec (exec 1), which
 * forks its tracer and becomes CMD (exec 2). Only CMD and what it forks
 * count. */
static void test_events_lifecycle(void **state)
{
	(void)state;
	struct rec_raw raw;
	struct rec_events ev;
	assert_int_equal(rec_raw_init(&raw, 100), 0);
	assert_int_equal(rec_events_init(&ev, &raw, 100, 2, true), 0);
	ev.open_obj = stub_open;
	opened = 0;
	sample(&ev, 100, 100, 0x400010, 0, 0, 0);             /* the recorder's own fork */
	comm_exec(&ev, 100);                                  /* hugexec */
	mmap2(&ev, 100, 0x500000, 0x1000, 0, 9, "/usr/bin/hugexec");
	sample(&ev, 100, 100, 0x500010, 0, 0, 0);
	fork_rec(&ev, 200, 100, 200);                         /* its tracer */
	sample(&ev, 200, 200, 0x500010, 0, 0, 0);
	assert_int_equal(ev.samples_dropped, 3);
	assert_int_equal(raw.samples, 0);
	comm_exec(&ev, 100);                                  /* CMD */
	mmap2(&ev, 100, 0x400000, 0x1000, 0x1000, 5, "/bin/app");
	mmap2(&ev, 100, 0x7f0000000000, 0x1000, 0, 0, "//anon");
	sample(&ev, 100, 100, 0x400010, 0x400500, 0x400020, 0x7fff0000);
	fork_rec(&ev, 100, 100, 101);                         /* a thread */
	sample(&ev, 100, 101, 0x400010, 0x400500, 0x400020, 0x7fff0000);
	fork_rec(&ev, 300, 100, 300);                         /* a child of CMD */
	sample(&ev, 300, 300, 0x400010, 0x400500, 0x400020, 0x7fff0000);
	assert_int_equal(raw.samples, 3);
	assert_int_equal(opened, 1); /* one object, opened once */
	const struct rec_slot *s = only_key(&raw);
	assert_int_equal(s->count, 3);
	assert_int_equal(s->k.ip.obj, 1);
	assert_int_equal(s->k.ip.val, 0x1010);
	assert_int_equal(s->k.cand[0].val, 0x1020);
	assert_int_equal(s->k.cand[1].obj, REC_NO_OBJ); /* not in any mapping */
	assert_int_equal(s->k.cand[2].val, 0x1500);
	assert_string_equal(rec_raw_object(&raw, 1)->path, "/bin/app");
	sample(&ev, 100, 100, 0x7f0000000010, 0, 0, 0);       /* anonymous code */
	sample(&ev, 100, 100, 0x10, 0, 0, 0);                 /* nothing mapped */
	assert_int_equal(raw.unattributed, 2);
	assert_int_equal(ev.n_tids, 3);
	assert_int_equal(ev.n_pids, 2);
	/* lost samples are counted; broken records are skipped */
	struct rb r;
	begin(&r, PERF_RECORD_LOST, 0);
	put64(&r, 1);
	put64(&r, 5);
	end(&r, 100, true);
	feed(&ev, &r);
	assert_int_equal(raw.lost, 5);
	begin(&r, PERF_RECORD_SAMPLE, 0);
	put64(&r, 1);
	end(&r, 100, false);
	feed(&ev, &r);
	assert_int_equal(rec_events_record(&ev, r.b, r.n - 1), 0); /* size disagrees */
	r.n = 0;
	begin(&r, PERF_RECORD_SAMPLE, 0);
	put64(&r, 0x400010);
	put32(&r, 100);
	put32(&r, 100);
	put64(&r, 1);
	put64(&r, 1000); /* a chain longer than the record */
	end(&r, 100, false);
	feed(&ev, &r);
	begin(&r, PERF_RECORD_MMAP2, 0); /* a file name without its NUL */
	put32(&r, 100);
	put32(&r, 100);
	for (int i = 0; i < 8; i++)
		put64(&r, 0x4141414141414141ull);
	end(&r, 100, false);
	feed(&ev, &r);
	assert_int_equal(ev.malformed, 4);
	assert_int_equal(raw.samples, 5);
	rec_events_free(&ev);
	rec_raw_free(&raw);
}

/* Past max_keys new keys lose their callers: memory stays bounded. */
static void test_rawprof_bounded(void **state)
{
	(void)state;
	struct rec_raw raw;
	assert_int_equal(rec_raw_init(&raw, 4), 0);
	uint32_t id;
	assert_int_equal(rec_raw_add_object(&raw, "/x", -1, 0, 0, 0, "none", &id), 0);
	for (uint64_t i = 0; i < 5000; i++) {
		struct rec_key k;
		memset(&k, 0, sizeof(k));
		k.ip = (struct rec_loc){id, REC_NAME_OFF, i % 3};
		k.cand[0] = (struct rec_loc){id, REC_NAME_OFF, 1000 + i};
		assert_int_equal(rec_raw_add(&raw, &k, 1), 0);
	}
	assert_true(raw.n_keys <= 4 + 3);
	assert_int_equal(raw.samples, 5000);
	assert_true(raw.dropped_callers >= 5000 - 4);
	uint32_t a, b;
	assert_int_equal(rec_raw_name(&raw, "f", &a), 0);
	assert_int_equal(rec_raw_name(&raw, "g", &b), 0);
	assert_int_not_equal(a, b);
	for (int i = 0; i < 1000; i++) { /* the index grows and still finds them */
		char n[16];
		snprintf(n, sizeof(n), "n%d", i);
		assert_int_equal(rec_raw_name(&raw, n, &b), 0);
	}
	assert_int_equal(rec_raw_name(&raw, "f", &b), 0);
	assert_int_equal(a, b);
	assert_string_equal(rec_raw_name_str(&raw, a), "f");
	rec_raw_free(&raw);
}

/* ---- ELF symbols and edges, on this very binary -------------------------- */

static volatile uintptr_t ret_callee, ret_other;

/* Kept whole and under their own names (gcc could clone them). */
#ifdef __clang__
#define KEEP __attribute__((noinline))
#else
#define KEEP __attribute__((noinline, noclone))
#endif

KEEP static int callee_fn(int x)
{
	ret_callee = (uintptr_t)__builtin_return_address(0);
	return x * 3 + 1;
}

KEEP static int other_fn(int x)
{
	ret_other = (uintptr_t)__builtin_return_address(0);
	return x + 2;
}

KEEP static int caller_fn(int x)
{
	int a = callee_fn(x);
	return a + other_fn(a);
}

static void test_elfsyms_self(void **state)
{
	(void)state;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct hx_elfsyms s;
	assert_int_equal(hx_elfsyms_read(fd, &s), 0);
	assert_true(s.elf.usable);
	assert_true(s.elf.build_id_len > 0);
	assert_false(s.from_dynsym);
	uint64_t off, va;
	assert_int_equal(hx_elfsyms_byname(&s, "callee_fn", &off), 0);
	const struct hx_func *f = hx_elfsyms_find(&s, off);
	assert_non_null(f);
	assert_string_equal(f->name, "callee_fn");
	assert_true(f->size > 0);
	assert_ptr_equal(hx_elfsyms_find(&s, off + f->size - 1), f);
	assert_int_equal(hx_elfsyms_off_to_vaddr(&s, off, &va), 0);
	uint64_t back;
	assert_int_equal(hx_elfsyms_vaddr_to_off(&s, va, &back), 0);
	assert_int_equal(back, off);
	uint8_t b[15];
	assert_int_equal(hx_elfsyms_code_before(&s, off, b, sizeof(b)), 15);
	assert_int_equal(hx_elfsyms_byname(&s, "no_such_function_here", &off), -ENOENT);
	hx_elfsyms_free(&s);
	close(fd);
	/* not an ELF file: unusable, with a reason, and no error */
	char tmp[] = "/tmp/hugexec-unit-elf.XXXXXX";
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	assert_int_equal(hx_elfsyms_read(fd, &s), 0);
	assert_false(s.elf.usable);
	assert_non_null(s.elf.why);
	close(fd);
	unlink(tmp);
}

/* A runtime address of this process as (file offset in our executable). */
static uint64_t self_off(struct rec_proc *p, uintptr_t addr)
{
	struct rec_map *m = rec_proc_find(p, addr);
	assert_non_null(m);
	return addr - m->start + m->pgoff;
}

/* This process with its mappings now, for self_off (free ps after). */
static struct rec_proc *self_proc(struct rec_procs *ps)
{
	char *maps;
	size_t len;
	struct rec_proc *p;
	rec_procs_init(ps);
	assert_int_equal(hx_read_file("/proc/self/maps", 1 << 20, &maps, &len), 0);
	assert_int_equal(rec_procs_get(ps, 1, true, &p), 0);
	assert_int_equal(rec_proc_load_maps(ps, p, maps, len), 0);
	free(maps);
	return p;
}

static const struct prof_func *func_named(const struct prof_object *o, const char *name)
{
	for (size_t i = 0; i < o->n_funcs; i++)
		if (strcmp(o->funcs[i].name, name) == 0)
			return &o->funcs[i];
	return NULL;
}

/* The file offset where caller's direct call to callee returns, read from
 * the file's code (a return address seen at run time may be in a moved
 * copy: hugexec --move=all runs this test too). */
static uint64_t return_off(uint64_t caller, uint64_t callee)
{
	uint8_t code[128];
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, code, sizeof(code), (off_t)caller), (ssize_t)sizeof(code));
	close(fd);
	for (size_t i = 0; i + 5 <= sizeof(code); i++) {
		int32_t rel;
		memcpy(&rel, code + i + 1, 4);
		if (code[i] == 0xe8 && caller + i + 5 + (uint64_t)(int64_t)rel == callee)
			return caller + i + 5;
	}
	fail_msg("no call to %#llx in the code at %#llx", (unsigned long long)callee,
		 (unsigned long long)caller);
	return 0;
}

static void test_symbolize_edges(void **state)
{
	(void)state;
	assert_int_equal(caller_fn(1), 4 + 6);
	struct rec_procs ps;
	struct rec_proc *p = self_proc(&ps);
	uint64_t in_callee = self_off(p, (uintptr_t)callee_fn) + 1;
	uint64_t in_other = self_off(p, (uintptr_t)other_fn) + 1;
	uint64_t at = self_off(p, (uintptr_t)caller_fn);
	uint64_t r_callee = return_off(at, in_callee - 1), r_other = return_off(at, in_other - 1);
	uint64_t not_a_ret = 0x10; /* in the ELF header: no code before it */
	rec_procs_free(&ps);

	struct rec_raw raw;
	uint32_t id;
	assert_int_equal(rec_raw_init(&raw, 100), 0);
	assert_int_equal(rec_raw_add_object(&raw, "/proc/self/exe",
					    open("/proc/self/exe", O_RDONLY | O_CLOEXEC), 0, 0, 0, "",
					    &id), 0);
	struct rec_key k;
	/* [rsp] is the return address of the call to callee_fn: an edge */
	memset(&k, 0, sizeof(k));
	k.ip = (struct rec_loc){id, REC_NAME_OFF, in_callee};
	k.cand[0] = (struct rec_loc){id, REC_NAME_OFF, r_callee};
	assert_int_equal(rec_raw_add(&raw, &k, 7), 0);
	/* a return address of a direct call to another function: a skipped
	 * frame, so no edge from it; the next candidate is not a call site */
	memset(&k, 0, sizeof(k));
	k.ip = (struct rec_loc){id, REC_NAME_OFF, in_callee + 1};
	k.cand[0] = (struct rec_loc){id, REC_NAME_OFF, r_other};
	k.cand[1] = (struct rec_loc){id, REC_NAME_OFF, not_a_ret};
	assert_int_equal(rec_raw_add(&raw, &k, 5), 0);
	/* other_fn called from caller_fn, found in the second stack word */
	memset(&k, 0, sizeof(k));
	k.ip = (struct rec_loc){id, REC_NAME_OFF, in_other};
	k.cand[0] = (struct rec_loc){id, REC_NAME_OFF, not_a_ret};
	k.cand[1] = (struct rec_loc){id, REC_NAME_OFF, r_other};
	assert_int_equal(rec_raw_add(&raw, &k, 3), 0);
	struct prof_profile prof;
	struct hx_err e = {0};
	char *notes = NULL;
	int r = rec_symbolize(&raw, &prof, &notes, &e);
	if (r != 0)
		fail_msg("symbolize: %s", e.msg);
	assert_int_equal(prof.n_objs, 1);
	const struct prof_object *o = &prof.objs[0];
	assert_int_equal(o->samples, 15);
	const struct prof_func *callee = func_named(o, "callee_fn"), *other = func_named(o, "other_fn");
	const struct prof_func *caller = func_named(o, "caller_fn");
	assert_non_null(callee);
	assert_non_null(other);
	assert_non_null(caller); /* listed: it calls, though it has no samples */
	assert_int_equal(callee->samples, 12);
	assert_int_equal(caller->samples, 0);
	assert_int_equal(o->n_edges, 2);
	assert_int_equal(o->edges[0].caller, caller->off);
	assert_int_equal(o->edges[0].callee < o->edges[1].callee ? o->edges[0].weight
								     : o->edges[1].weight,
			 callee->off < other->off ? 7 : 3);
	uint64_t total = o->edges[0].weight + o->edges[1].weight;
	assert_int_equal(total, 10);
	free(notes);
	prof_free(&prof);
	rec_raw_free(&raw);
}

/* ---- static calls ---------------------------------------------------------- */

struct targets {
	uint64_t t[8];
	size_t n;
};

static int take_target(void *ctx, uint64_t target)
{
	struct targets *x = ctx;
	if (x->n == 8)
		return -E2BIG;
	x->t[x->n++] = target;
	return 0;
}

static void test_direct_calls_decode(void **state)
{
	(void)state;
	const uint8_t code[] = {
		0xf3, 0x0f, 0x1e, 0xfa,             /* endbr64 */
		0x55,                               /* push %rbp */
		0xe8, 0x10, 0x00, 0x00, 0x00,       /* call +0x10: 0x1000 + 10 + 0x10 */
		0xff, 0xd0,                         /* call *%rax: no target */
		0x41, 0xff, 0x54, 0x24, 0x08,       /* call *8(%r12) */
		0xe8, 0xec, 0xff, 0xff, 0xff,       /* call -0x14: 0x1000 + 22 - 0x14 */
		0xe9, 0x00, 0x01, 0x00, 0x00,       /* jmp rel32: a tail call, not a call */
		0x5d, 0xc3,                         /* pop %rbp; ret */
	};
	struct targets x = {{0}, 0};
	assert_int_equal(rec_direct_calls(code, sizeof(code), 0x1000, take_target, &x), 0);
	assert_int_equal(x.n, 2);
	assert_true(x.t[0] == 0x1000 + 10 + 0x10);
	assert_true(x.t[1] == 0x1000 + 22 - 0x14);
	/* undecodable bytes stop the walk: nothing after them counts */
	const uint8_t bad[] = {0x90, 0x06, 0xe8, 0x00, 0x00, 0x00, 0x00}; /* 06: no such op in 64-bit mode */
	x.n = 0;
	assert_int_equal(rec_direct_calls(bad, sizeof(bad), 0, take_target, &x), 0);
	assert_int_equal(x.n, 0);
	/* a call cut short by the end of the function is not one */
	x.n = 0;
	assert_int_equal(rec_direct_calls(code, 8, 0x1000, take_target, &x), 0);
	assert_int_equal(x.n, 0);
	/* the callback's error comes back */
	const uint8_t many[] = {0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0,
				0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0,
				0xe8, 0, 0, 0, 0};
	x.n = 0;
	assert_int_equal(rec_direct_calls(many, sizeof(many), 0, take_target, &x), -E2BIG);
}

static const struct prof_sedge *sedge_to(const struct prof_object *o, uint64_t caller,
					 uint64_t callee)
{
	for (size_t i = 0; i < o->n_sedges; i++)
		if (o->sedges[i].caller == caller && o->sedges[i].callee == callee)
			return &o->sedges[i];
	return NULL;
}

/* A sample in caller_fn: its direct calls to callee_fn and other_fn become
 * static calls (the callees listed, with no samples). */
static void test_symbolize_static_calls(void **state)
{
	(void)state;
	assert_int_equal(caller_fn(2), 7 + 9);
	struct rec_procs ps;
	struct rec_proc *p = self_proc(&ps);
	uint64_t in_caller = self_off(p, (uintptr_t)caller_fn) + 1;
	rec_procs_free(&ps);
	struct rec_raw raw;
	uint32_t id;
	assert_int_equal(rec_raw_init(&raw, 100), 0);
	assert_int_equal(rec_raw_add_object(&raw, "/proc/self/exe",
					    open("/proc/self/exe", O_RDONLY | O_CLOEXEC), 0, 0, 0, "",
					    &id), 0);
	struct rec_key k;
	memset(&k, 0, sizeof(k));
	k.ip = (struct rec_loc){id, REC_NAME_OFF, in_caller};
	assert_int_equal(rec_raw_add(&raw, &k, 4), 0);
	struct prof_profile prof;
	struct hx_err e = {0};
	char *notes = NULL;
	int r = rec_symbolize(&raw, &prof, &notes, &e);
	if (r != 0)
		fail_msg("symbolize: %s", e.msg);
	const struct prof_object *o = &prof.objs[0];
	const struct prof_func *caller = func_named(o, "caller_fn");
	const struct prof_func *callee = func_named(o, "callee_fn"), *other = func_named(o, "other_fn");
	assert_non_null(caller);
	assert_non_null(callee);
	assert_non_null(other);
	assert_int_equal(caller->samples, 4);
	assert_int_equal(callee->samples, 0);
	assert_non_null(sedge_to(o, caller->off, callee->off));
	assert_non_null(sedge_to(o, caller->off, other->off));
	assert_int_equal(o->n_edges, 0); /* no stack words: no sampled edge */
	for (size_t i = 0; i < o->n_sedges; i++) /* all from the one sampled function */
		assert_int_equal(o->sedges[i].caller, caller->off);
	free(notes);
	prof_free(&prof);
	rec_raw_free(&raw);
}

/* ---- the signal sentinel ------------------------------------------------- */

static void test_sentinel_parse_pending(void **state)
{
	(void)state;
	uint64_t m = 0;
	const char *st = "Name:\tx\nState:\tS (sleeping)\nSigQ:\t1/100\n"
			 "SigPnd:\t0000000000000002\nShdPnd:\t0000000000004200\nSigBlk:\t0\n";
	assert_int_equal(rec_sentinel_parse_pending(st, &m), 0);
	assert_true(m == ((1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1)) | (1ull << (SIGUSR1 - 1))));
	assert_int_equal(rec_sentinel_parse_pending("Name:\tx\nShdPnd:\t8000000000000000\n", &m), 0);
	assert_true(m == 1ull << 63);
	assert_int_equal(rec_sentinel_parse_pending("Name:\tx\nState:\tR\n", &m), -EINVAL);
	assert_int_equal(rec_sentinel_parse_pending("Name:\tx\nShdPnd:\tzz\n", &m), -EINVAL);
	assert_int_equal(rec_sentinel_parse_pending("Name:\tx\nShdPnd:\t12 3\n", &m), -EINVAL);
	/* a key at the very start is not a line of the file */
	assert_int_equal(rec_sentinel_parse_pending("ShdPnd:\t1\n", &m), -EINVAL);
}

static void test_sentinel_forward(void **state)
{
	(void)state;
	const pid_t child = 1234;
	assert_true(rec_sentinel_forward(true, 99, child, 0));    /* kill <recorder> */
	assert_false(rec_sentinel_forward(true, 99, child, 1));   /* kill -- -PGID */
	assert_true(rec_sentinel_forward(true, 99, child, -ESRCH)); /* no witness: as before */
	assert_false(rec_sentinel_forward(false, 0, child, 0));   /* the terminal */
	assert_false(rec_sentinel_forward(false, 0, child, 1));
	assert_false(rec_sentinel_forward(true, child, child, 0)); /* CMD signalled us */
}

/* The sentinel works asynchronously: wait 10 ms before looking again,
 * unless *tries says it has been 5 s. */
static bool poll_again(int *tries)
{
	if (++*tries > 500)
		return false;
	struct timespec t = {0, 10 * 1000000};
	nanosleep(&t, NULL);
	return true;
}

/* Poll until the sentinel's view of sig is want. */
static int pending_becomes(const struct rec_sentinel *s, int sig, int want)
{
	int r, tries = 0;
	while ((r = rec_sentinel_pending(s, sig)) != want && poll_again(&tries))
		;
	return r;
}

static void test_sentinel_live(void **state)
{
	(void)state;
	struct rec_sentinel s;
	sigset_t watch, old;
	sigemptyset(&watch);
	sigaddset(&watch, SIGUSR1);
	sigaddset(&watch, SIGUSR2);
	sigprocmask(SIG_BLOCK, &watch, &old);
	assert_int_equal(rec_sentinel_start(&s, &watch), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_true(s.pid > 0);
	/* it holds its socket as fd 0 and nothing else */
	char fd1[64];
	snprintf(fd1, sizeof(fd1), "/proc/%d/fd/1", (int)s.pid);
	assert_int_equal(pending_becomes(&s, SIGUSR1, 0), 0);
	int tries = 0;
	while (access(fd1, F_OK) == 0 && poll_again(&tries))
		;
	assert_int_equal(access(fd1, F_OK), -1);
	assert_int_equal(kill(s.pid, SIGUSR1), 0);
	assert_int_equal(pending_becomes(&s, SIGUSR1, 1), 1); /* blocked, so it waits there */
	assert_int_equal(rec_sentinel_pending(&s, SIGUSR2), 0);
	rec_sentinel_consume(&s, SIGUSR2); /* not pending: changes nothing */
	rec_sentinel_consume(&s, SIGUSR1);
	assert_int_equal(pending_becomes(&s, SIGUSR1, 0), 0);
	pid_t pid = s.pid;
	rec_sentinel_stop(&s);
	assert_int_equal(s.pid, 0);
	assert_true(rec_sentinel_pending(&s, SIGUSR1) < 0);
	assert_int_equal(kill(pid, 0), -1); /* reaped */
	rec_sentinel_stop(&s); /* twice is harmless */
}

static void test_lost_total(void **state)
{
	(void)state;
	/* records and counts see the same losses; the counts also the last ones */
	assert_true(rec_lost_total(0, 0) == 0);
	assert_true(rec_lost_total(0, 526) == 526);
	assert_true(rec_lost_total(40, 526) == 526);
	assert_true(rec_lost_total(40, 0) == 40); /* kernels without PERF_FORMAT_LOST */
	assert_true(rec_lost_add(UINT64_MAX - 1, 5) == UINT64_MAX);
	assert_true(rec_lost_add(2, 3) == 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callsite_encodings),
		cmocka_unit_test(test_procmaps_overlaps),
		cmocka_unit_test(test_procmaps_hugexec_copies),
		cmocka_unit_test(test_events_lifecycle),
		cmocka_unit_test(test_rawprof_bounded),
		cmocka_unit_test(test_elfsyms_self),
		cmocka_unit_test(test_symbolize_edges),
		cmocka_unit_test(test_direct_calls_decode),
		cmocka_unit_test(test_symbolize_static_calls),
		cmocka_unit_test(test_sentinel_parse_pending),
		cmocka_unit_test(test_sentinel_forward),
		cmocka_unit_test(test_sentinel_live),
		cmocka_unit_test(test_lost_total),
	};
	return cmocka_run_group_tests_name("profile_record", tests, NULL, NULL);
}

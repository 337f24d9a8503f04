/*
 * events.c - perf records in, rec_keys and mapping updates out.
 *
 * Layouts follow include/uapi/linux/perf_event.h for our sample_type; with
 * sample_id_all every non-sample record ends in {u32 pid, tid; u64 time}.
 * Every field is read with memcpy after a bounds check against the record.
 * Must never: read past the end of a record.
 */
#define _GNU_SOURCE
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SAMPLE_ID_SIZE 16 /* u32 pid, tid; u64 time */

int rec_events_init(struct rec_events *ev, struct rec_raw *raw, int32_t root,
		    uint32_t keep_after_execs, bool stack_words)
{
	memset(ev, 0, sizeof(*ev));
	ev->raw = raw;
	ev->root = root;
	ev->keep_after_execs = keep_after_execs;
	ev->stack_words = stack_words;
	ev->open_obj = rec_events_open_default;
	rec_procs_init(&ev->procs);
	struct rec_proc *p;
	int r = rec_procs_get(&ev->procs, root, true, &p);
	if (r == 0)
		p->kept = keep_after_execs == 0;
	return r;
}

void rec_events_free(struct rec_events *ev)
{
	rec_procs_free(&ev->procs);
	free(ev->tids);
	free(ev->pids);
}

/* Add v (non-zero) to an open-addressing set of u32. */
static int set_add(uint32_t **tab, size_t *n, size_t *cap, uint32_t v)
{
	if ((*n + 1) * 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint32_t *nt = calloc(nc, sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		for (size_t i = 0; i < *cap; i++) {
			if (!(*tab)[i])
				continue;
			size_t j = ((*tab)[i] * 2654435761u) & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = (*tab)[i];
		}
		free(*tab);
		*tab = nt;
		*cap = nc;
	}
	size_t j = (v * 2654435761u) & (*cap - 1);
	while ((*tab)[j] && (*tab)[j] != v)
		j = (j + 1) & (*cap - 1);
	if (!(*tab)[j]) {
		(*tab)[j] = v;
		(*n)++;
	}
	return 0;
}

static bool same_inode(const struct stat *st, const struct rec_map *m)
{
	if (m->ino == 0) /* PERF_RECORD_MMAP has no inode: take the path's word */
		return S_ISREG(st->st_mode);
	return S_ISREG(st->st_mode) && st->st_ino == m->ino && major(st->st_dev) == m->maj &&
	       minor(st->st_dev) == m->min;
}

void rec_events_open_default(const struct rec_map *m, int32_t pid, int *fd, char *why,
			     size_t why_size)
{
	char p[4200];
	struct stat st;
	*fd = -1;
	snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	int f = open(p, O_RDONLY | O_CLOEXEC);
	/* the mapped file itself, even if replaced since; not the hugetlbfs
	 * file behind a hugetlb copy of the text (a regular file too), which
	 * stands for the file m names */
	if (f >= 0 && fstat(f, &st) == 0 && same_inode(&st, m)) {
		*fd = f;
		return;
	}
	if (f >= 0)
		close(f);
	const char *tries[2] = {p, m->path};
	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, m->path);
	bool changed = false;
	for (size_t i = 0; i < 2; i++) {
		f = open(tries[i], O_RDONLY | O_CLOEXEC);
		if (f < 0)
			continue;
		if (fstat(f, &st) == 0 && same_inode(&st, m)) {
			*fd = f;
			return;
		}
		changed = true;
		close(f);
	}
	snprintf(why, why_size, "%s", changed ? "the file changed since it was mapped"
					      : "cannot open it (gone, or no permission)");
}

/* The object of mapping m, opening and adding it on first use. */
static int object_of(struct rec_events *ev, struct rec_map *m, int32_t pid, uint32_t *obj)
{
	if (m->obj) {
		*obj = m->obj;
		return 0;
	}
	if (!m->path[0]) {
		*obj = m->obj = REC_OBJ_NONE;
		return 0;
	}
	struct rec_raw *raw = ev->raw;
	for (size_t i = 0; i < raw->n_objs; i++) { /* the same file, mapped before */
		const struct rec_obj *o = &raw->objs[i];
		if (m->ino ? (o->ino == m->ino && o->dev_major == m->maj && o->dev_minor == m->min)
			   : (o->ino == 0 && strcmp(o->path, m->path) == 0)) {
			*obj = m->obj = (uint32_t)(i + 1);
			return 0;
		}
	}
	int fd;
	char why[96] = "";
	ev->open_obj(m, pid, &fd, why, sizeof(why));
	int r = rec_raw_add_object(raw, m->path, fd, m->maj, m->min, m->ino, why, obj);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	m->obj = *obj;
	return 0;
}

static int locate(struct rec_events *ev, struct rec_proc *p, uint64_t addr, struct rec_loc *l)
{
	memset(l, 0, sizeof(*l));
	struct rec_map *m = addr ? rec_proc_find(p, addr) : NULL;
	if (!m)
		return 0;
	uint32_t obj;
	int r = object_of(ev, m, p->pid, &obj);
	if (r < 0 || obj == REC_OBJ_NONE)
		return r;
	l->obj = obj;
	l->name = REC_NAME_OFF;
	l->val = addr - m->start + m->pgoff;
	return 0;
}

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t take64(struct cursor *c)
{
	uint64_t v = 0;
	if (c->end - c->p < 8) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, 8);
	c->p += 8;
	return v;
}

static uint32_t take32(struct cursor *c)
{
	uint32_t v = 0;
	if (c->end - c->p < 4) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, 4);
	c->p += 4;
	return v;
}

/* The first return address in a user call chain (after the markers and
 * the IP itself), or 0. */
static uint64_t chain_return(struct cursor *c, uint64_t ip)
{
	uint64_t nr = take64(c), ret = 0;
	bool seen_ip = false;
	if (nr > (uint64_t)(c->end - c->p) / 8) {
		c->bad = true;
		return 0;
	}
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t a = take64(c);
		if (a >= (uint64_t)PERF_CONTEXT_MAX || ret)
			continue;
		if (!seen_ip && a == ip)
			seen_ip = true;
		else
			ret = a;
	}
	return ret;
}

static int on_sample(struct rec_events *ev, struct cursor *c)
{
	uint64_t ip = take64(c);
	uint32_t pid = take32(c), tid = take32(c);
	(void)take64(c); /* time */
	uint64_t ret = chain_return(c, ip), words[2] = {0, 0};
	if (ev->stack_words) {
		uint64_t size = take64(c);
		if (size > (uint64_t)(c->end - c->p)) {
			c->bad = true;
		} else if (size) {
			const uint8_t *data = c->p;
			c->p += size;
			uint64_t dyn = take64(c);
			for (size_t i = 0; i < 2 && (i + 1) * 8 <= size && (i + 1) * 8 <= dyn; i++)
				memcpy(&words[i], data + i * 8, 8);
		}
	}
	if (c->bad) {
		ev->malformed++;
		return 0;
	}
	struct rec_proc *p;
	int r = rec_procs_get(&ev->procs, (int32_t)pid, false, &p);
	if (r < 0 || !p || !p->kept) {
		ev->samples_dropped++;
		return r;
	}
	struct rec_key k;
	r = locate(ev, p, ip, &k.ip);
	for (size_t i = 0; r == 0 && i < 2; i++)
		r = locate(ev, p, words[i], &k.cand[i]);
	if (r == 0)
		r = locate(ev, p, ret, &k.cand[2]);
	if (r == 0)
		r = rec_raw_add(ev->raw, &k, 1);
	if (r == 0)
		r = set_add(&ev->tids, &ev->n_tids, &ev->cap_tids, tid ? tid : UINT32_MAX);
	if (r == 0)
		r = set_add(&ev->pids, &ev->n_pids, &ev->cap_pids, pid ? pid : UINT32_MAX);
	return r;
}

/* Text that is not a file of ours to read: anonymous memory (the kernel
 * calls it "//anon"), [vdso], hugetlb and memfd copies. */
static bool anonymous_name(const char *f)
{
	return f[0] != '/' || f[1] == '/' || strncmp(f, "/anon_hugepage", 14) == 0 ||
	       strncmp(f, "/memfd:", 7) == 0 || strncmp(f, "/SYSV", 5) == 0;
}

static int on_mmap(struct rec_events *ev, struct cursor *c, bool v2)
{
	uint32_t pid = take32(c);
	(void)take32(c);
	uint64_t addr = take64(c), len = take64(c), pgoff = take64(c), ino = 0;
	uint32_t maj = 0, min = 0;
	if (v2) {
		maj = take32(c);
		min = take32(c);
		ino = take64(c);
		(void)take64(c); /* ino_generation */
		(void)take32(c); /* prot */
		(void)take32(c); /* flags */
	}
	const char *name = (const char *)c->p;
	size_t room = c->bad || c->end - c->p < SAMPLE_ID_SIZE ? 0
			: (size_t)(c->end - c->p) - SAMPLE_ID_SIZE;
	if (c->bad || strnlen(name, room) == room || len == 0) {
		ev->malformed++;
		return 0;
	}
	bool anon = anonymous_name(name);
	struct rec_proc *p;
	int r = rec_procs_get(&ev->procs, (int32_t)pid, true, &p);
	if (r == 0)
		r = rec_proc_map(&ev->procs, p, addr, len, anon ? 0 : pgoff, anon ? "" : name,
				 anon ? 0 : maj, anon ? 0 : min, anon ? 0 : ino);
	return r == -EINVAL ? (ev->malformed++, 0) : r;
}

static int on_comm(struct rec_events *ev, struct cursor *c, uint16_t misc)
{
	uint32_t pid = take32(c);
	if (c->bad || !(misc & PERF_RECORD_MISC_COMM_EXEC))
		return 0;
	struct rec_proc *p;
	int r = rec_procs_get(&ev->procs, (int32_t)pid, true, &p);
	if (r < 0)
		return r;
	rec_proc_clear(p); /* a new program: none of the old mappings survive */
	p->execs++;
	if ((int32_t)pid == ev->root && p->execs >= ev->keep_after_execs)
		p->kept = true;
	return 0;
}

static int on_fork_exit(struct rec_events *ev, struct cursor *c, bool fork)
{
	uint32_t pid = take32(c), ppid = take32(c), tid = take32(c);
	if (c->bad)
		return 0;
	if (!fork) { /* the thread-group leader is gone: so is the process */
		if (pid == tid && (int32_t)pid != ev->root)
			rec_procs_remove(&ev->procs, (int32_t)pid);
		return 0;
	}
	if (pid == ppid)
		return 0; /* a new thread shares its process's table */
	struct rec_proc *parent, *child;
	int r = rec_procs_get(&ev->procs, (int32_t)ppid, false, &parent);
	if (r == 0)
		r = rec_procs_get(&ev->procs, (int32_t)pid, true, &child);
	if (r < 0 || !parent)
		return r;
	child->kept = parent->kept;
	child->execs = 0;
	return rec_proc_copy(child, parent);
}

int rec_events_record(struct rec_events *ev, const void *rec, size_t size)
{
	struct perf_event_header h;
	if (size < sizeof(h)) {
		ev->malformed++;
		return 0;
	}
	memcpy(&h, rec, sizeof(h));
	if (h.size != size) {
		ev->malformed++;
		return 0;
	}
	struct cursor c = {(const uint8_t *)rec + sizeof(h), (const uint8_t *)rec + size, false};
	switch (h.type) {
	case PERF_RECORD_SAMPLE:
		return on_sample(ev, &c);
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		return on_mmap(ev, &c, h.type == PERF_RECORD_MMAP2);
	case PERF_RECORD_COMM:
		return on_comm(ev, &c, h.misc);
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		return on_fork_exit(ev, &c, h.type == PERF_RECORD_FORK);
	case PERF_RECORD_LOST:
		(void)take64(&c); /* id */
		ev->raw->lost += take64(&c);
		return 0;
	case PERF_RECORD_LOST_SAMPLES:
		ev->raw->lost += take64(&c);
		return 0;
	case PERF_RECORD_THROTTLE:
		ev->throttled++;
		return 0;
	default:
		return 0;
	}
}

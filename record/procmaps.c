/*
 * procmaps.c - per-process executable mapping tables.
 * Must never: keep two overlapping mappings in one table.
 */
#define _GNU_SOURCE
#include "procmaps.h"
#include "../common/maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void rec_procs_init(struct rec_procs *ps)
{
	memset(ps, 0, sizeof(*ps));
}

static void free_proc(struct rec_proc *p)
{
	free(p->m);
	free(p);
}

void rec_procs_free(struct rec_procs *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free_proc(ps->p[i]);
	for (size_t i = 0; i < ps->cap_strs; i++)
		free(ps->strs[i]);
	free(ps->strs);
	free(ps->p);
	rec_procs_init(ps);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static char **str_slot(char **tab, size_t cap, const char *s)
{
	size_t i = (size_t)hash_str(s) & (cap - 1);
	while (tab[i] && strcmp(tab[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* The one copy of s, valid until rec_procs_free. */
static const char *intern(struct rec_procs *ps, const char *s)
{
	if ((ps->n_strs + 1) * 2 > ps->cap_strs) {
		size_t nc = ps->cap_strs ? ps->cap_strs * 2 : 64;
		char **n = calloc(nc, sizeof(*n));
		if (!n)
			return NULL;
		for (size_t i = 0; i < ps->cap_strs; i++)
			if (ps->strs[i])
				*str_slot(n, nc, ps->strs[i]) = ps->strs[i];
		free(ps->strs);
		ps->strs = n;
		ps->cap_strs = nc;
	}
	char **slot = str_slot(ps->strs, ps->cap_strs, s);
	if (!*slot) {
		if (!(*slot = strdup(s)))
			return NULL;
		ps->n_strs++;
	}
	return *slot;
}

static size_t proc_index(const struct rec_procs *ps, int32_t pid)
{
	size_t lo = 0, hi = ps->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ps->p[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int rec_procs_get(struct rec_procs *ps, int32_t pid, bool create, struct rec_proc **out)
{
	size_t i = proc_index(ps, pid);
	*out = NULL;
	if (i < ps->n && ps->p[i]->pid == pid) {
		*out = ps->p[i];
		return 0;
	}
	if (!create)
		return 0;
	if (ps->n == ps->cap) {
		size_t nc = ps->cap ? ps->cap * 2 : 16;
		struct rec_proc **n = realloc(ps->p, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ps->p = n;
		ps->cap = nc;
	}
	struct rec_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	memmove(ps->p + i + 1, ps->p + i, (ps->n - i) * sizeof(*ps->p));
	ps->p[i] = p;
	ps->n++;
	*out = p;
	return 0;
}

void rec_procs_remove(struct rec_procs *ps, int32_t pid)
{
	size_t i = proc_index(ps, pid);
	if (i == ps->n || ps->p[i]->pid != pid)
		return;
	free_proc(ps->p[i]);
	memmove(ps->p + i, ps->p + i + 1, (ps->n - i - 1) * sizeof(*ps->p));
	ps->n--;
}

/* First mapping whose end is above addr. */
static size_t first_ending_after(const struct rec_proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->m[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reserve(struct rec_proc *p, size_t more)
{
	if (p->n + more <= p->cap)
		return 0;
	size_t nc = p->cap ? p->cap * 2 : 32;
	while (nc < p->n + more)
		nc *= 2;
	struct rec_map *n = realloc(p->m, nc * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->m = n;
	p->cap = nc;
	return 0;
}

int rec_proc_map(struct rec_procs *ps, struct rec_proc *p, uint64_t start, uint64_t len,
		 uint64_t pgoff, const char *path, uint32_t maj, uint32_t min, uint64_t ino)
{
	if (len == 0 || start > UINT64_MAX - len)
		return -EINVAL;
	const char *ip = intern(ps, path);
	if (!ip || reserve(p, 2) < 0)
		return -ENOMEM;
	uint64_t end = start + len;
	size_t i = first_ending_after(p, start);
	/* A mapping straddling start keeps its head; one straddling end its tail. */
	if (i < p->n && p->m[i].start < start) {
		struct rec_map head = p->m[i];
		head.end = start;
		if (p->m[i].end > end) { /* the new one is inside it: split in three */
			struct rec_map tail = p->m[i];
			tail.pgoff += end - tail.start;
			tail.start = end;
			memmove(p->m + i + 2, p->m + i + 1, (p->n - i - 1) * sizeof(*p->m));
			p->m[i + 1] = tail;
			p->n++;
		}
		p->m[i] = head;
		i++;
	}
	size_t j = i;
	while (j < p->n && p->m[j].end <= end)
		j++;
	if (j < p->n && p->m[j].start < end) {
		p->m[j].pgoff += end - p->m[j].start;
		p->m[j].start = end;
	}
	/* [i, j) are covered entirely: replace them by the new mapping */
	struct rec_map nm = {start, end, pgoff, ip, maj, min, ino, 0};
	if (j == i) {
		memmove(p->m + i + 1, p->m + i, (p->n - i) * sizeof(*p->m));
		p->n++;
	} else {
		memmove(p->m + i + 1, p->m + j, (p->n - j) * sizeof(*p->m));
		p->n -= j - i - 1;
	}
	p->m[i] = nm;
	return 0;
}

void rec_proc_clear(struct rec_proc *p)
{
	p->n = 0;
}

int rec_proc_copy(struct rec_proc *dst, const struct rec_proc *src)
{
	dst->n = 0;
	if (reserve(dst, src->n) < 0)
		return -ENOMEM;
	if (src->n)
		memcpy(dst->m, src->m, src->n * sizeof(*src->m));
	dst->n = src->n;
	return 0;
}

struct rec_map *rec_proc_find(struct rec_proc *p, uint64_t addr)
{
	size_t i = first_ending_after(p, addr);
	return i < p->n && p->m[i].start <= addr ? &p->m[i] : NULL;
}

static bool real_file(const struct hx_vma *v)
{
	return v->kind == HX_VMA_FILE && v->path[0] == '/' &&
	       !(v->deleted && strcmp(v->path, "/anon_hugepage") == 0) &&
	       strncmp(v->path, "/memfd:", 7) != 0;
}


/* For an executable copy of part of a file (hugexec's anonymous, THP or
 * hugetlb text), the file mapping next to it that it stands for. */
static const struct hx_vma *owner_of_copy(const struct hx_vmas *m, size_t i)
{
	const struct hx_vma *v = &m->v[i];
	const struct hx_vma *prev = i > 0 && m->v[i - 1].end == v->start && real_file(&m->v[i - 1])
					    ? &m->v[i - 1] : NULL;
	const struct hx_vma *next = i + 1 < m->n && m->v[i + 1].start == v->end &&
					    real_file(&m->v[i + 1]) ? &m->v[i + 1] : NULL;
	if (prev && next && (!hx_vma_same_file(prev, next) ||
			     prev->start - prev->offset != next->start - next->offset))
		return NULL; /* they disagree: leave it anonymous */
	return prev ? prev : next;
}

int rec_proc_load_maps(struct rec_procs *ps, struct rec_proc *p, const char *text, size_t len)
{
	struct hx_vmas m;
	int r = hx_vmas_parse(text, len, &m);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < m.n; i++) {
		const struct hx_vma *v = &m.v[i];
		if (!(v->prot & PROT_EXEC))
			continue;
		const struct hx_vma *f = real_file(v) ? v : owner_of_copy(&m, i);
		if (!f) {
			r = rec_proc_map(ps, p, v->start, v->end - v->start, 0, "", 0, 0, 0);
			continue;
		}
		/* the copy sits where the file would: same address - offset */
		uint64_t pgoff = v->start - (f->start - f->offset);
		r = rec_proc_map(ps, p, v->start, v->end - v->start, pgoff, f->path, f->dev_major,
				 f->dev_minor, f->inode);
	}
	hx_vmas_free(&m);
	return r;
}

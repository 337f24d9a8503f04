/*
 * plan_get.c - at the entry stop: look, ask the helper, check its answer.
 *
 * The tracer reads smaps itself (it needs the mappings to validate the plan
 * anyway), opens each mapped executable file and checks that its device
 * and inode are those of the mapping, and hands the helper these
 * descriptors: the helper never opens anything. If no mapping could
 * possibly qualify, the helper is not started at all (a /bin/true costs
 * nothing more than the stops).
 * Must never: pass the helper a file other than the one mapped.
 */
#define _GNU_SOURCE
#include "facts.h"
#include "helperproc.h"
#include "tracer.h"
#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Could this mapping give a region? (The helper decides for real.) */
static bool candidate(const struct hx_vma *v, const struct ld_opts *o)
{
	return v->kind == HX_VMA_FILE && !v->shared && v->prot == (PROT_READ | PROT_EXEC) &&
	       v->end - v->start >= o->min_size &&
	       (o->align == HX_ALIGN_AGGRESSIVE ||
		hx_align_down(v->end, HX_HUGE) > hx_align_up(v->start, HX_HUGE));
}

static bool have_file(const struct ld_tracer *tr, const struct hx_vma *v)
{
	for (size_t i = 0; i < tr->n_files; i++)
		if (tr->files[i].inode == v->inode && tr->files[i].dev_major == v->dev_major &&
		    tr->files[i].dev_minor == v->dev_minor)
			return true;
	return false;
}

/* The mapped file itself: /proc/PID/map_files (exact, needs privilege),
 * else its path, accepted only if device and inode match. */
static int open_mapped(pid_t pid, const struct hx_vma *v)
{
	char mf[96];
	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)v->start, (unsigned long long)v->end);
	int fd = open(mf, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && v->path[0] == '/')
		fd = open(v->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != v->inode ||
	    major(st.st_dev) != v->dev_major || minor(st.st_dev) != v->dev_minor) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static int open_files(struct ld_tracer *tr)
{
	const struct hx_vmas *m = &tr->vmas;
	tr->files = calloc(m->n ? m->n : 1, sizeof(*tr->files));
	if (!tr->files)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (!candidate(v, tr->o) || have_file(tr, v))
			continue;
		int fd = open_mapped(tr->pid, v);
		if (fd < 0)
			continue; /* the helper will say this mapping was left alone */
		tr->files[tr->n_files++] = (struct ld_file){v->dev_major, v->dev_minor, v->inode, fd};
	}
	return 0;
}

/* smaps at the entry stop: parsed for us, as text for the helper. */
static int read_smaps(struct ld_tracer *tr, struct hx_err *e)
{
	char path[64];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)tr->pid);
	int r = hx_read_file(path, 256u << 20, &tr->vmas_text, &len);
	if (r < 0)
		return hx_fail(e, r, "reading %s: %s", path, strerror(-r));
	if ((r = hx_vmas_parse(tr->vmas_text, len, &tr->vmas)) < 0)
		return hx_fail(e, r, "parsing %s: %s", path, strerror(-r));
	return 0;
}

static int build_request(const struct ld_tracer *tr, struct hx_request *rq, struct hx_err *e)
{
	const struct ld_opts *o = tr->o;
	memset(rq, 0, sizeof(*rq));
	rq->h.pid = tr->pid;
	rq->h.backing_mode = o->backing;
	rq->h.entry = tr->entry;
	rq->h.interp_base = tr->interp_base;
	rq->h.min_size = o->min_size;
	rq->h.hugetlb_free = tr->facts.hugetlb_free;
	rq->h.align = o->align;
	rq->h.target_flags = tr->facts.target_flags;
	rq->h.thp_mode = tr->facts.thp_mode;
	rq->h.options = HX_REQ_LIBRARIES | (o->perf_map ? HX_REQ_PERF_MAP : 0u) |
			(tr->debug_escape ? HX_REQ_DEBUG_ESCAPE : 0u);
	rq->h.n_files = (uint32_t)tr->n_files;
	rq->files = calloc(tr->n_files ? tr->n_files : 1, sizeof(*rq->files));
	rq->maps = strdup(tr->vmas_text ? tr->vmas_text : "");
	rq->only = strdup(o->only ? o->only : "");
	rq->exclude = strdup(o->exclude ? o->exclude : "");
	if (!rq->files || !rq->maps || !rq->only || !rq->exclude) {
		hx_request_free(rq);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < tr->n_files; i++)
		rq->files[i] = (struct hx_req_file){tr->files[i].dev_major, tr->files[i].dev_minor,
						    tr->files[i].inode, tr->files[i].fd, 0};
	return 0;
}

int ld_plan_get(struct ld_tracer *tr, struct hx_err *e)
{
	ld_facts_gather(tr->pid, &tr->facts);
	if (tr->facts.threads > 1)
		return hx_fail(e, -EBUSY, "%u threads are running at the entry point; "
			       "text is never moved under a running thread", tr->facts.threads);
	int r = read_smaps(tr, e);
	if (r < 0)
		return r;
	bool any = false;
	for (size_t i = 0; i < tr->vmas.n && !any; i++)
		any = candidate(&tr->vmas.v[i], tr->o);
	if (!any)
		return 0; /* nothing large enough: no plan, no helper */
	if (tr->facts.seccomp)
		return hx_fail(e, -EPERM, "the program runs under a seccomp filter that could "
			       "refuse or punish the system calls hugexec would inject");
	if ((r = open_files(tr)) < 0)
		return hx_fail(e, r, "out of memory");
	struct hx_request rq;
	if ((r = build_request(tr, &rq, e)) < 0)
		return r;
	r = ld_helper_run(&rq, tr->files, tr->n_files, &tr->plan, e);
	hx_request_free(&rq);
	if (r < 0)
		return r;
	tr->have_plan = true;
	return ld_plan_validate(&tr->plan, &tr->vmas, tr->pid, e);
}

/*
 * request_build.c - the helper's request (request_build.h).
 */
#define _GNU_SOURCE
#include "request_build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The program's stack soft limit, for where staging may go (placement.h);
 * 0 when it cannot be read. */
uint64_t ld_stack_rlimit(pid_t pid)
{
	struct rlimit rl;
	if (prlimit(pid, RLIMIT_STACK, NULL, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return (uint64_t)rl.rlim_cur;
}

int ld_request_build(const struct ld_tracer *tr, uint32_t extra, struct hx_request *rq,
		     struct hx_err *e)
{
	const struct ld_opts *o = tr->o;
	memset(rq, 0, sizeof(*rq));
	rq->h.pid = tr->pid;
	rq->h.backing_mode = o->backing;
	rq->h.entry = tr->stop.entry;
	rq->h.interp_base = tr->stop.interp_base;
	rq->h.min_size = o->min_size;
	rq->h.hugetlb_free = tr->pl.facts.hugetlb_free;
	rq->h.align = o->align;
	rq->h.target_flags = tr->pl.facts.target_flags;
	rq->h.thp_mode = tr->pl.facts.thp_mode;
	rq->h.options = HX_REQ_LIBRARIES | extra | (tr->test.debug_escape ? HX_REQ_DEBUG_ESCAPE : 0u);
	if (tr->pl.profile_path[0] && !o->layout_off)
		rq->h.options |= HX_REQ_LAYOUT;
	if (o->move_all)
		rq->h.options |= HX_REQ_MOVE_ALL;
	rq->h.layout_permille = o->layout_permille;
	rq->h.n_files = (uint32_t)tr->pl.n_files;
	rq->files = calloc(tr->pl.n_files ? tr->pl.n_files : 1, sizeof(*rq->files));
	rq->maps = strdup(tr->pl.vmas_text ? tr->pl.vmas_text : "");
	rq->only = strdup(o->only ? o->only : "");
	rq->exclude = strdup(o->exclude ? o->exclude : "");
	rq->h.stack_rlimit = tr->pl.facts.stack_rlimit;
	/* the perf map run asks for the same plan (its groups are matched to
	 * the regions), so with the same profile: it decides the windows */
	bool prof = tr->pl.profile_fd >= 0 && lseek(tr->pl.profile_fd, 0, SEEK_SET) == 0;
	rq->h.profile_fd = prof ? tr->pl.profile_fd : -1;
	rq->profile_name = strdup(prof ? tr->pl.profile_path : "");
	if (!rq->files || !rq->maps || !rq->only || !rq->exclude || !rq->profile_name) {
		hx_request_free(rq);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < tr->pl.n_files; i++)
		rq->files[i] = (struct hx_req_file){tr->pl.files[i].dev_major, tr->pl.files[i].dev_minor,
						    tr->pl.files[i].inode, tr->pl.files[i].fd, 0};
	return 0;
}

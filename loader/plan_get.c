/*
 * plan_get.c - at the entry stop: look, ask the helper, check its answer.
 *
 * The phase, in order: is any mapping worth it (maps, cheap); facts; the
 * registers saved; smaps; what the program's seccomp filters allow
 * (seccomp.c); MDWE (facts.c); the files (files.c); the request
 * (request_build.c); the sandboxed helper (helperproc.c); the plan
 * validated (validate.c). If no mapping could possibly qualify, the helper
 * is not started at all (a /bin/true costs nothing more than the stops).
 * Must never: run the helper's plan unvalidated.
 */
#define _GNU_SOURCE
#include "facts.h"
#include "plan_get.h"
#include "profdir.h"
#include "island.h"
#include "files.h"
#include "candidate.h"
#include "helperproc.h"
#include "request_build.h"
#include "seccomp.h"
#include "testhooks.h"
#include "tracer.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* smaps at the entry stop: parsed for us, as text for the helper. */
static int read_smaps(struct ld_tracer *tr, struct hx_err *e)
{
	char path[64];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)tr->pid);
	int r = hx_read_file(path, 256u << 20, &tr->pl.vmas_text, &len);
	if (r < 0)
		return hx_fail(e, r, "reading %s: %s", path, strerror(-r));
	if ((r = hx_vmas_parse(tr->pl.vmas_text, len, &tr->pl.vmas)) < 0)
		return hx_fail(e, r, "parsing %s: %s", path, strerror(-r));
	return 0;
}

/* The target's memory for island.c, through /proc/PID/mem (never refused
 * by its seccomp filter, and able to read execute-only text), in 64 KB
 * blocks kept in a small direct-mapped cache: the check reads every moved
 * function and three unwind records each, mostly close together. */
#define RC_BLOCK ((uint64_t)64 << 10)
#define RC_SLOTS 64

struct read_cache {
	struct inj_target *t;
	uint64_t at[RC_SLOTS]; /* block address + 1; 0: empty */
	uint8_t *data;         /* RC_SLOTS blocks */
};

static int read_target(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct read_cache *c = ctx;
	uint8_t *out = buf;
	while (len > 0) {
		uint64_t blk = addr & ~(RC_BLOCK - 1), in = addr - blk;
		size_t slot = (size_t)((blk / RC_BLOCK) % RC_SLOTS), n = (size_t)(RC_BLOCK - in);
		uint8_t *d = c->data + slot * RC_BLOCK;
		if (n > len)
			n = len;
		if (c->at[slot] != blk + 1) {
			/* a block may end in unmapped memory: then read just what is asked */
			if (inj_peek(c->t, blk, d, (size_t)RC_BLOCK) < 0) {
				c->at[slot] = 0;
				return inj_peek(c->t, addr, out, len);
			}
			c->at[slot] = blk + 1;
		}
		memcpy(out, d + in, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

/* --profile-dir: DIR/BUILD-ID.prof, if there is one. */
static void profdir_use(struct ld_tracer *tr, const char *id)
{
	char path[sizeof(tr->pl.profile_path)];
	const char *dir = tr->o->profile_dir;
	snprintf(tr->pl.build_id, sizeof(tr->pl.build_id), "%s", id);
	if (ld_profdir_path(dir, id, path, sizeof(path)) < 0)
		return;
	if (access(path, F_OK) != 0) {
		snprintf(tr->pl.info, sizeof(tr->pl.info), "--profile-dir: no profile of build %.80s "
			 "in %.400s", id, dir);
		return;
	}
	snprintf(tr->pl.profile_path, sizeof(tr->pl.profile_path), "%s", path);
	snprintf(tr->pl.info, sizeof(tr->pl.info), "profile %.500s (--profile-dir; the build named "
		 "by %s)", path, tr->pl.profdir_later ? "the helper" : "the kernel");
}

/* The profile to use: --profile, or the one of this build in --profile-dir
 * (the kernel names the build; before 6.11, the helper's first plan). */
static void profile_choose(struct ld_tracer *tr)
{
	const struct ld_opts *o = tr->o;
	char id[LD_BUILD_ID_HEX_MAX + 1];
	if (o->profile) {
		snprintf(tr->pl.profile_path, sizeof(tr->pl.profile_path), "%s", o->profile);
		return;
	}
	/* after a followed exec: nothing of the wrapper's build carries over */
	if (tr->pl.profile_fd >= 0)
		close(tr->pl.profile_fd);
	tr->pl.profile_fd = -1;
	tr->pl.profile_path[0] = tr->pl.build_id[0] = tr->pl.info[0] = '\0';
	tr->pl.profdir_later = false;
	if (!o->profile_dir)
		return;
	int r = tr->test.no_procmap_query ? -ENOTTY
					  : ld_profdir_kernel_id(tr->pid, tr->stop.entry, id, sizeof(id));
	if (r == -ENOTTY)
		tr->pl.profdir_later = true;
	else if (r < 0)
		snprintf(tr->pl.info, sizeof(tr->pl.info), "--profile-dir: the program has no "
			 "build-id (%s)", strerror(-r));
	else
		profdir_use(tr, id);
}

/* Open the files, ask the helper, keep its plan. */
static int plan_once(struct ld_tracer *tr, struct hx_err *e)
{
	int r;
	if ((r = ld_files_open(tr)) < 0)
		return hx_fail(e, r, "out of memory");
	if (tr->pl.profile_path[0] && tr->pl.profile_fd < 0)
		ld_profile_open(tr);
	struct hx_request rq;
	/* no perf map symbols yet: they are read after the program runs on */
	if ((r = ld_request_build(tr, 0, &rq, e)) < 0)
		return r;
	r = ld_helper_run(&rq, tr->pl.files, tr->pl.n_files, &tr->pl.plan, e);
	hx_request_free(&rq);
	return r;
}

/* Before 6.11: the first plan named the build; with a profile of it in
 * --profile-dir, plan again (files and all: a profile brings the small
 * libraries' text in). */
static int plan_again_with_profile(struct ld_tracer *tr, struct hx_err *e)
{
	char id[LD_BUILD_ID_HEX_MAX + 1];
	if (ld_profdir_note_id(&tr->pl.plan, id, sizeof(id)) < 0) {
		tr->pl.profdir_later = false;
		snprintf(tr->pl.info, sizeof(tr->pl.info), "--profile-dir: the program has no build-id");
		return 0;
	}
	profdir_use(tr, id);
	tr->pl.profdir_later = false;
	if (!tr->pl.profile_path[0])
		return 0;
	for (size_t i = 0; i < tr->pl.n_files; i++)
		close(tr->pl.files[i].fd);
	free(tr->pl.files);
	tr->pl.files = NULL;
	tr->pl.n_files = 0;
	hx_plan_free(&tr->pl.plan);
	hx_plan_init(&tr->pl.plan, tr->pid);
	return plan_once(tr, e);
}

int ld_plan_get(struct ld_tracer *tr, struct hx_err *e)
{
	/* (a mapping the launcher's tracer saw qualify still does: a profile
	 * only takes more) */
	bool any = tr->pl.qualified;
	tr->pl.qualified = false;
	profile_choose(tr);
	int r = any ? 0 : ld_worth_it(tr, &any, e);
	if (r < 0 || !any)
		return r; /* nothing large enough: no plan, no helper */
	ld_facts_gather(tr->pid, &tr->pl.facts);
	if (tr->pl.facts.threads != 1 && !tr->attached) /* (attach holds every thread) */
		return hx_fail(e, -EBUSY, tr->pl.facts.threads
			       ? "%u threads are running at the entry point; text is never moved "
				 "under a running thread"
			       : "cannot tell how many threads run (%u): text is never moved under "
				 "a running thread", tr->pl.facts.threads);
	if (tr->pl.facts.vm_sharers > 0)
		return hx_fail(e, -EBUSY, "%d other process%s its memory (made with clone(CLONE_VM)%s"
			       "): text is never moved under a running thread",
			       tr->pl.facts.vm_sharers, tr->pl.facts.vm_sharers == 1 ? " shares" : "es share",
			       tr->attached ? "" : " before the entry point");
	if (tr->pl.facts.vm_sharers < 0)
		return hx_fail(e, -EBUSY, "it has a child process, and whether that one shares its "
			       "memory cannot be told (no kcmp): text is never moved under a running "
			       "thread");
	if ((r = inj_save(&tr->inj, e)) < 0 || (r = read_smaps(tr, e)) < 0)
		return r;
	if (tr->pl.facts.seccomp && (r = ld_seccomp_check(tr, e)) < 0)
		return r;
	if ((r = ld_facts_mdwe(tr, e)) < 0)
		return r;
	tr->pl.facts.stack_rlimit = ld_stack_rlimit(tr->pid);
	if ((r = plan_once(tr, e)) < 0 ||
	    (tr->pl.profdir_later && (r = plan_again_with_profile(tr, e)) < 0))
		return r;
	tr->pl.have_plan = true;
	ld_test_plan_corrupt(tr); /* test builds only */
	struct ld_plan_limits lim = {.hugetlb_free = tr->pl.facts.hugetlb_free,
				     .stack_rlimit = tr->pl.facts.stack_rlimit,
				     .edge_windows = tr->o->align == HX_ALIGN_AGGRESSIVE};
	r = ld_plan_check(&tr->pl.plan, &tr->pl.vmas, tr->pid, &lim, e);
	struct read_cache rc = {.t = &tr->inj};
	for (uint32_t i = 0; r == 0 && i < tr->pl.plan.n_groups; i++) {
		if (!(tr->pl.plan.groups[i].flags & HX_GROUP_LAYOUT))
			continue;
		if (!rc.data && !(rc.data = malloc(RC_SLOTS * RC_BLOCK)))
			r = hx_fail(e, -ENOMEM, "out of memory");
		else
			r = ld_island_check_code(&tr->pl.plan, i, read_target, &rc, e);
	}
	free(rc.data);
	tr->t.plan_ns = hx_now_ns();
	return r;
}

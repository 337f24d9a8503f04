/*
 * release.c - the end of the tracer's work: give the target back exactly
 * as it was at its entry point (or, for --strict, make it exit), and free
 * what the tracer held.
 * Must never: detach when the registers could not be restored exactly.
 */
#define _GNU_SOURCE
#include "tracer.h"
#include "release.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ld_tracer_init(struct ld_tracer *tr, pid_t pid, const struct ld_opts *o)
{
	memset(tr, 0, sizeof(*tr));
	tr->pid = pid;
	tr->pl.profile_fd = -1;
	tr->o = o;
	inj_init(&tr->inj, pid, &hx_sysops_real);
	hx_plan_init(&tr->pl.plan, pid);
}

void ld_tracer_free(struct ld_tracer *tr)
{
	for (size_t i = 0; i < tr->pl.n_files; i++)
		close(tr->pl.files[i].fd);
	if (tr->pl.profile_fd >= 0)
		close(tr->pl.profile_fd);
	free(tr->pl.files);
	free(tr->out.skip);
	free(tr->stop.settle.copy);
	hx_vmas_free(&tr->pl.vmas);
	free(tr->pl.vmas_text);
	hx_plan_free(&tr->pl.plan);
	ld_filters_free(&tr->pl.filters);
	free(tr->out.groups);
	free(tr->out.step_ns);
	free(tr->out.regions);
	inj_close(&tr->inj);
	memset(tr, 0, sizeof(*tr));
}

int ld_release(struct ld_tracer *tr, struct hx_err *e)
{
	int r = inj_restore(&tr->inj, e);
	if (r < 0) {
		e->code = -ENOTRECOVERABLE;
		return e->code;
	}
	return inj_detach(&tr->inj, e);
}

int ld_exit_target(struct ld_tracer *tr, int status, struct hx_err *e)
{
	struct hx_vmas maps = {0};
	const struct hx_vmas *m = &tr->pl.vmas;
	if (m->n == 0) {
		int r = hx_vmas_read(tr->pid, false, &maps, e);
		if (r < 0)
			return r;
		m = &maps;
	}
	int r = inj_exit_group(&tr->inj, m, status, e);
	hx_vmas_free(&maps);
	return r;
}

/*
 * facts.h - probe the machine and the target (see facts.c).
 * Must never: print.
 */
#ifndef LD_FACTS_H
#define LD_FACTS_H

#include "tracer.h"
#include "../common/request.h"

/* At the entry stop: everything but f->owner.started_ns (0). */
void ld_facts_gather(pid_t pid, struct ld_facts *f);

/* f->owner.started_ns, for the perf map's staleness test: pid must still
 * be held (stopped, not reaped), so that it is still this process. */
void ld_facts_started(pid_t pid, struct ld_facts *f);

/* Ask the stopped program (one injected prctl from the vDSO, after
 * inj_save) whether PR_SET_MDWE applies to it; not knowing is no error. */
int ld_facts_mdwe(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

/* "always [madvise] never" -> HX_THP_MADVISE (pure, for tests). */
uint32_t ld_thp_mode_parse(const char *text);

/* starttime (field 22, clock ticks after boot) of a /proc/PID/stat line
 * (pure, for tests); -EINVAL if malformed. */
int ld_stat_starttime(const char *stat, unsigned long long *ticks) HX_WUR;

#endif

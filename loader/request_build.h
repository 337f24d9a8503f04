/*
 * request_build.h - the helper's request for a stopped target: options,
 * facts, the smaps text, the files (descriptors the tracer opened) and the
 * profile.
 */
#ifndef LD_REQUEST_BUILD_H
#define LD_REQUEST_BUILD_H

#include "tracer.h"

/* The request for tr; extra: HX_REQ_* options to add. */
int ld_request_build(const struct ld_tracer *tr, uint32_t extra, struct hx_request *rq,
		     struct hx_err *e) HX_WUR;

/* The program's stack soft limit, for where staging may go (placement.h);
 * 0 when it cannot be read. */
uint64_t ld_stack_rlimit(pid_t pid);

#endif

/*
 * helperproc.h - run the helper as a separate, sandboxed process and get
 * its plan back.
 *
 * The helper is a fork of the tracer that keeps only the request pipe, the
 * plan pipe, stderr and the ELF file descriptors, then enters its sandbox
 * (common/sandbox.c) before reading anything. The plan is read with a size
 * bound and a deadline; a helper that dies, hangs or overflows gives an
 * error, never a plan.
 * Must never: run a step of a plan it did not fully receive and decode.
 */
#ifndef LD_HELPERPROC_H
#define LD_HELPERPROC_H

#include "../common/plan.h"
#include "../common/request.h"
#include "tracer.h"

#define LD_HELPER_TIMEOUT_MS 20000

int ld_helper_run(const struct hx_request *req, const struct ld_file *files, size_t n_files,
		  struct hx_plan *plan, struct hx_err *e) HX_WUR;

#endif

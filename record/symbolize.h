/*
 * symbolize.h - raw samples to a profile: object offsets to functions,
 * return-address candidates to call edges, files to build-ids.
 *
 * The ELF files are those the recorded program mapped, so they may have
 * been shaped by an attacker, and the recorder may run as root: all ELF
 * parsing happens in a forked child that keeps only the objects'
 * descriptors and a pipe, and enters the planner helper's sandbox
 * (common/sandbox.c) before reading a byte. The child writes the profile
 * as text; the parent parses it with the same parser as any profile file,
 * so a compromised child can at worst produce a wrong profile.
 *
 * Edges: a candidate return address counts only if the bytes before it are
 * a call (callsite.h) and, for a direct call, the call goes to the sampled
 * function (or to a stub outside any function, such as the PLT); otherwise
 * it is a skipped frame or stack data, and the next candidate is tried.
 * The caller is the function holding the byte before the return address
 * (a call to a noreturn function may be the last instruction). Edges
 * between two objects cannot be laid out together and are not kept.
 * Static calls: the code of every sampled function is decoded (zydis) and
 * each call rel32 to the entry of another function of the same object
 * becomes a `sedge`; the callee is listed even if it has no samples.
 * Must never: read an ELF file outside the sandbox.
 */
#ifndef REC_SYMBOLIZE_H
#define REC_SYMBOLIZE_H

#include "../profile/profile.h"
#include "rawprof.h"

/* Seconds the sandboxed child may take (a few symbol tables of a big
 * binary take well under one). */
#define REC_SYMBOLIZE_TIMEOUT_S 120

/* Run the symbolizer in a sandboxed child. *notes gets newline-separated
 * warnings (objects without build-id, unreadable files), or NULL. */
int rec_symbolize(const struct rec_raw *raw, struct prof_profile *out, char **notes,
		  struct hx_err *e) HX_WUR;

/* The work itself, in the calling process: the profile text, with notes as
 * "# note: " comment lines after "end". */
int rec_symbolize_text(const struct rec_raw *raw, char **text, size_t *len) HX_WUR;

#endif

/*
 * handoff.h - from the launcher to hugexec-core, at CMD's entry stop.
 *
 * hugexec is two programs. `hugexec`, the launcher, is small and, where
 * musl is installed, static: it starts in 0.1 ms, where a glibc program
 * spends 0.6 ms in glibc's start-up on a VM (its cpuid calls each exit to
 * the hypervisor). It parses the options, forks the tracer and execs CMD;
 * its tracer takes CMD to its entry point (entry.c, settle.c) and follows
 * wrappers (follow.c). Where nothing qualifies (most short commands) it
 * lets CMD go from there. Otherwise it execs hugexec-core (glibc, libelf,
 * zydis, libseccomp), which plans, remaps and lets go: a tracer keeps its
 * tracees across its own exec.
 *
 * Only at the entry stop: the breakpoint is out and nothing of CMD's is
 * borrowed, so PTRACE_O_EXITKILL can be off while the core starts. A core
 * that cannot start (its libraries missing) then leaves CMD to run on
 * unmodified (under --strict the option stays on, and such a core takes
 * CMD down); the core asks for the option again before it borrows
 * anything.
 *
 * What crosses the exec: one record, through a pipe whose read end the
 * core finds in its argv (`hugexec-core --handoff=FD -- ARGS...`, ARGS the
 * launcher's own, parsed again by the core the same way).
 * Must never: let a core read a record of another build (the magic, the
 * size and the version are checked), or leave a descriptor of its own to
 * CMD.
 */
#ifndef LD_HANDOFF_H
#define LD_HANDOFF_H

#include "tracer.h"

/* Where hugexec-core is: beside the launcher (the build tree), else in
 * ../libexec/hugexec/ from it (make install). 0, or -ENOENT, or -ENXIO
 * (our own path unknown: no /proc), with e saying which. */
int ld_core_find(char *path, size_t size, struct hx_err *e) HX_WUR;

/* The launcher's tracer's side, at the entry stop: write what tr knows
 * and exec the core. Returns only if that failed (e says why); tr still
 * holds the program then. */
int ld_handoff_exec(const char *core, const struct ld_tracer *tr, const char *cmd_path,
		    char **argv, struct hx_err *e) HX_WUR;

/* The record. Fixed-size fields only: the launcher may be built with
 * musl and the core with glibc, and both must lay it out alike. */
struct ld_handoff {
	uint64_t magic;
	uint32_t size;          /* sizeof(struct ld_handoff) */
	char version[16];       /* HX_VERSION */
	int32_t pid;            /* CMD, stopped at its entry point */
	int32_t stopped_by;     /* tr->stop.stopped_by */
	uint64_t entry, interp_base, vdso; /* tr->stop's */
	uint64_t follow_until;  /* tr->follow_until */
	uint64_t entry_ns;      /* tr->t.entry_ns: held at its entry since */
	uint32_t followed;      /* tr->followed */
	uint8_t reported;       /* tr->reported */
	uint8_t qualified;      /* tr->pl.qualified: the maps need no second look */
	char note[sizeof(((struct ld_settle *)0)->note)]; /* what the stop left */
	char path[4096];        /* CMD, resolved; last: the record on the pipe
				 * ends with its NUL (ld_handoff_wire_len) */
};
/* The record of what tr knows (ld_handoff_exec writes it). */
void ld_handoff_fill(struct ld_handoff *h, const struct ld_tracer *tr, const char *cmd_path);

/* Its length on the pipe: up to the path's NUL. */
size_t ld_handoff_wire_len(const struct ld_handoff *h);

/* The core's side: the record from fd (closed). 0, or -errno with err set. */
int ld_handoff_read(int fd, struct ld_handoff *h, struct hx_err *err) HX_WUR;
/* Its state into tr, initialised for h->pid: at the entry stop. */
void ld_handoff_apply(const struct ld_handoff *h, struct ld_tracer *tr);

#endif

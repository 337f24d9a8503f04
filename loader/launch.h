/*
 * launch.h - keep the PID: the process that runs hugexec becomes CMD.
 *
 * hugexec forks a child that forks the tracer and exits at once (reaped
 * here), so the tracer is nobody's child in our family and leaves no zombie
 * under the target. The tracer PTRACE_SEIZEs us (we allow it explicitly for
 * Yama with PR_SET_PTRACER), reports back through a pipe, and we execve()
 * CMD ourselves: same PID, parent, session, file descriptors, environment.
 * Must never: leave a descriptor of its own open across the exec, or touch
 * the signal dispositions and mask that CMD inherits.
 */
#ifndef LD_LAUNCH_H
#define LD_LAUNCH_H

#include "../common/hx.h"
#include <sys/ptrace.h>
#include <sys/types.h>

enum ld_role {
	LD_ROLE_TARGET, /* the original process: exec CMD next */
	LD_ROLE_TRACER, /* the tracer: trace *target, then _exit */
};

/* On return: in the target, 0 = traced (exec next) or -errno = not traced
 * (e->msg says why; exec untraced); in the tracer, 0 with *role set. */
int ld_launch(enum ld_role *role, pid_t *target, struct hx_err *e) HX_WUR;

/* The tracer's ptrace options from the attach on: exec events, syscall
 * stops told from signals, and the target killed if the tracer dies while
 * it holds it (entry.c and follow.c change them for a while). */
#define LD_PTRACE_OPTIONS (PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)

#endif

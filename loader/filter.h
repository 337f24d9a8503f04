/*
 * filter.h - ask the target's own seccomp filters before injecting.
 *
 * A program under a seccomp filter (systemd's SystemCallFilter= and
 * MemoryDenyWriteExecute=, container profiles) applies it to every system
 * call it makes, including the ones hugexec injects: a filter that kills
 * on process_vm_readv would kill the program. So the tracer reads the
 * filters (PTRACE_SECCOMP_GET_FILTER, which needs CAP_SYS_ADMIN), runs each
 * would-be call through them with its real arguments, and only injects
 * what they allow. If the filters cannot be read, hugexec does nothing.
 * ld_bpf_run is a small classic-BPF interpreter for seccomp programs.
 * Must never: report "allowed" for a program it could not run to the end.
 */
#ifndef LD_FILTER_H
#define LD_FILTER_H

#include "../common/hx.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#define LD_MAX_FILTERS 64
#define LD_BPF_MAX_INSNS 4096 /* BPF_MAXINSNS */

struct ld_filters {
	struct sock_filter *prog[LD_MAX_FILTERS];
	unsigned len[LD_MAX_FILTERS];
	size_t n;
};

/* Run one program on d. Returns 0 with the filter's return value in *ret,
 * or -EINVAL for a program that is malformed (bad opcode, jump out of
 * range, division by zero, no return). */
int ld_bpf_run(const struct sock_filter *prog, unsigned len, const struct seccomp_data *d,
	       uint32_t *ret) HX_WUR;

/* Read every filter attached to pid (a stopped tracee). */
int ld_filters_read(pid_t pid, struct ld_filters *f, struct hx_err *e) HX_WUR;
void ld_filters_free(struct ld_filters *f);

/* The verdict of all filters together (the most restrictive action wins,
 * as in the kernel); -EINVAL if any program could not be run. */
int ld_filters_eval(const struct ld_filters *f, const struct seccomp_data *d,
		    uint32_t *ret) HX_WUR;

/* True if syscall nr with args, issued from pc, would run unhindered. */
bool ld_filters_allow(const struct ld_filters *f, long nr, const uint64_t args[6], uint64_t pc);

#endif

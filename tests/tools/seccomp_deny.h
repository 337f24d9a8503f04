/*
 * seccomp_deny.h - the seccomp filters of the test tools that imitate a
 * hardened or containerised process (hardened.c, noptrace.c).
 * Every filter allows what it does not name, and matches x86-64 numbers
 * only: i386 calls (another arch) and x32 calls (another number) pass.
 * Must never: leave a process running without the filter it asked for
 * (callers exit when these fail).
 */
#ifndef SECCOMP_DENY_H
#define SECCOMP_DENY_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

/* no_new_privs (so an unprivileged process may load a filter), then prog.
 * 0, or nonzero with errno set. */
static inline int seccomp_install(const struct sock_fprog *prog)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog);
}

/* Syscall nr (x86-64) fails with EPERM from now on, in this process and
 * what it executes; everything else is allowed. */
static inline int deny_eperm(int nr)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (__u32)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	return seccomp_install(&prog);
}

#endif

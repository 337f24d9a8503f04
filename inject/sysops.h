/*
 * sysops.h - the seam between inject/ (and the loader's tracer) and the
 * kernel: ptrace, waitpid and cross-process memory calls go through one
 * table, so a test build can make the N-th call fail with a chosen errno.
 *
 * Must never: keep state outside the table it was handed.
 */
#ifndef INJ_SYSOPS_H
#define INJ_SYSOPS_H

#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

struct hx_sysops {
	long (*ptrace)(int req, pid_t pid, void *addr, void *data);
	pid_t (*waitpid)(pid_t pid, int *status, int options);
	ssize_t (*vm_readv)(pid_t pid, const struct iovec *l, unsigned long ln,
			    const struct iovec *r, unsigned long rn, unsigned long flags);
	ssize_t (*vm_writev)(pid_t pid, const struct iovec *l, unsigned long ln,
			     const struct iovec *r, unsigned long rn, unsigned long flags);
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t off);
};

/* The real system calls. */
extern const struct hx_sysops hx_sysops_real;

#endif

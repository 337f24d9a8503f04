/*
 * probe.h - learn what a seccomp filter allows by trying it, harmlessly.
 *
 * A hardened service (systemd's SystemCallFilter= and
 * MemoryDenyWriteExecute=, a container profile, PR_SET_MDWE) runs hugexec
 * itself under the same filter as the program: the tracer inherits it, so
 * the kernel will not hand it the filter to read (PTRACE_SECCOMP_GET_FILTER
 * refuses a caller in seccomp mode). But filters only ever get added, and
 * the tracer and the program share every filter the program's parent set;
 * if the program added none of its own (same Seccomp_filters count), a
 * call the tracer may make, the program may make too, with the same
 * outcome. So each kind of call hugexec would inject is tried once, on the
 * prober's own memory, in a throw-away child: a clean result means allowed,
 * EPERM or death by SIGSYS means forbidden.
 * Must never: try a call in the tracer itself (a filter may kill it).
 */
#ifndef LD_PROBE_H
#define LD_PROBE_H

#include "../common/hx.h"

enum ld_probe_bit {
	LD_P_MMAP_RW = 1u << 0,
	LD_P_MMAP_RX = 1u << 1,
	LD_P_MMAP_HUGETLB = 1u << 2,
	LD_P_MPROTECT_RX = 1u << 3,
	LD_P_MUNMAP = 1u << 4,
	LD_P_MREMAP = 1u << 5,
	LD_P_MADV_HUGEPAGE = 1u << 6,
	LD_P_MADV_POPULATE = 1u << 7,
	LD_P_MADV_COLLAPSE = 1u << 8,
	LD_P_MADV_DONTNEED = 1u << 9,
	LD_P_SELF_COPY = 1u << 10,    /* process_vm_readv on itself */
	LD_P_VM_WRITE = 1u << 11,     /* process_vm_writev (the tracer's writes) */
	LD_P_PROCMEM = 1u << 12,      /* pread/pwrite of /proc/PID/mem */
	LD_P_NAME = 1u << 13,         /* prctl(PR_SET_VMA) */
	LD_P_MDWE_QUERY = 1u << 14,   /* prctl(PR_GET_MDWE) */
	LD_P_FILE_READ = 1u << 15,    /* openat, fstat, pread64, close of a file */
	LD_P_ALL = (1u << 16) - 1,
};

/* Try every kind of call; returns the bits of those allowed. */
uint32_t ld_probe_all(void);

/* Would the injected call nr(args) be allowed, given the probe bits? */
bool ld_probe_permits(uint32_t bits, long nr, const uint64_t args[6]);

#endif

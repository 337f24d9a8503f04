/*
 * probe.c - try each kind of call in a child (see probe.h).
 *
 * The child does the call on its own memory with arguments of the same
 * shape hugexec will inject (a 2 MB anonymous mapping, r-x, MAP_FIXED
 * moves, the same madvise advice) and exits 0 if the call went through,
 * 1 if it came back with EPERM or EACCES (a filter's usual answer, and
 * MDWE's), 2 for any other error (the kernel's own answer: the call is not
 * filtered). A child killed by SIGSYS means the filter kills on it.
 * Must never: probe with a call that could affect anything outside the
 * child.
 */
#define _GNU_SOURCE
#include "probe.h"
#include "../common/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static long map(int prot, int extra)
{
	return syscall(SYS_mmap, 0, HX_HUGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
}

/* The call for one bit, in the child. Returns the raw syscall result. */
static long try_one(uint32_t bit)
{
	char buf[64] = "x", name[] = "hugexec probe";
	long a = map(PROT_READ | PROT_WRITE, 0);
	if (a == -1 && bit != LD_P_MMAP_RW)
		_exit(3); /* cannot even get memory: inconclusive */
	struct iovec l = {buf, 8}, r = {(void *)a, 8};
	switch (bit) {
	case LD_P_MMAP_RW: return a;
	case LD_P_MMAP_RX: return map(PROT_READ | PROT_EXEC, 0);
	case LD_P_MMAP_HUGETLB: return map(PROT_READ | PROT_WRITE, MAP_HUGETLB | MAP_HUGE_2MB);
	case LD_P_MPROTECT_RX: return syscall(SYS_mprotect, a, HX_HUGE, PROT_READ | PROT_EXEC);
	case LD_P_MUNMAP: return syscall(SYS_munmap, a, HX_HUGE);
	case LD_P_MREMAP: {
		long b = map(PROT_NONE, 0);
		return b == -1 ? -1 : syscall(SYS_mremap, a, HX_HUGE, HX_HUGE, MREMAP_MAYMOVE | MREMAP_FIXED, b);
	}
	case LD_P_MADV_HUGEPAGE: return syscall(SYS_madvise, a, HX_HUGE, MADV_HUGEPAGE);
	case LD_P_MADV_POPULATE: return syscall(SYS_madvise, a, HX_HUGE, MADV_POPULATE_READ);
	case LD_P_MADV_COLLAPSE: return syscall(SYS_madvise, a, HX_HUGE, MADV_COLLAPSE);
	case LD_P_MADV_DONTNEED: return syscall(SYS_madvise, a, HX_HUGE, MADV_DONTNEED);
	case LD_P_SELF_COPY: return syscall(SYS_process_vm_readv, getpid(), &r, 1, &l, 1, 0);
	case LD_P_VM_WRITE: return syscall(SYS_process_vm_writev, getpid(), &l, 1, &r, 1, 0);
	case LD_P_PROCMEM: {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR);
		return fd < 0 ? -1 : syscall(SYS_pwrite64, fd, buf, 8, a);
	}
	case LD_P_NAME: return syscall(SYS_prctl, PR_SET_VMA, PR_SET_VMA_ANON_NAME, a, HX_HUGE, name);
	case LD_P_MDWE_QUERY: return syscall(SYS_prctl, PR_GET_MDWE, 0, 0, 0, 0);
	case LD_P_FILE_READ: { /* all four, as the pread fill makes them */
		struct stat st;
		int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/exe",
				      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0 || syscall(SYS_fstat, fd, &st) != 0 || syscall(SYS_pread64, fd, buf, 8, 0) < 0)
			return -1;
		return syscall(SYS_close, fd);
	}
	}
	return -1;
}

#define PROBE_DEADLINE_MS 1000

static bool allowed(uint32_t bit)
{
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		long r = try_one(bit);
		_exit(r != -1 ? 0 : (errno == EPERM || errno == EACCES) ? 1 : 2);
	}
	/* A call can block for good (a seccomp RET_USER_NOTIF nobody answers)
	 * while the program waits at its entry: a deadline, then it counts as
	 * refused. (Without pidfd_open, 5.3, the wait has none.) */
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int n;
		do
			n = poll(&p, 1, PROBE_DEADLINE_MS);
		while (n < 0 && errno == EINTR);
		close(pfd);
		if (n == 0)
			kill(pid, SIGKILL);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 2);
}

uint32_t ld_probe_all(void)
{
	uint32_t bits = 0;
	for (uint32_t b = 1; b & LD_P_ALL; b <<= 1)
		if (allowed(b))
			bits |= b;
	return bits;
}

static uint32_t advice_bit(uint64_t advice)
{
	switch (advice) {
	case MADV_HUGEPAGE: return LD_P_MADV_HUGEPAGE;
	case MADV_POPULATE_READ: return LD_P_MADV_POPULATE;
	case MADV_COLLAPSE: return LD_P_MADV_COLLAPSE;
	case MADV_DONTNEED: return LD_P_MADV_DONTNEED;
	default: return 0;
	}
}

bool ld_probe_permits(uint32_t bits, long nr, const uint64_t args[6])
{
	uint32_t need = 0;
	switch (nr) {
	case SYS_mmap:
		need = (args[3] & MAP_HUGETLB) ? LD_P_MMAP_HUGETLB
		       : (args[2] & PROT_EXEC) ? LD_P_MMAP_RX : LD_P_MMAP_RW;
		if ((args[2] & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC))
			return false;
		break;
	case SYS_mprotect: need = (args[2] & PROT_EXEC) ? LD_P_MPROTECT_RX : LD_P_MMAP_RW; break;
	case SYS_munmap: need = LD_P_MUNMAP; break;
	case SYS_mremap: need = LD_P_MREMAP; break;
	case SYS_madvise: need = advice_bit(args[2]); break;
	case SYS_process_vm_readv: need = LD_P_SELF_COPY; break;
	case SYS_openat:
	case SYS_fstat:
	case SYS_pread64:
	case SYS_close: need = LD_P_FILE_READ; break;
	case SYS_prctl:
		need = args[0] == PR_SET_VMA ? LD_P_NAME : args[0] == PR_GET_MDWE ? LD_P_MDWE_QUERY : 0;
		break;
	case SYS_exit_group:
		return true;
	}
	return need != 0 && (bits & need) == need;
}

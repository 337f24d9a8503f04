/*
 * hardened.c - run a command the way hardened services run:
 *   hardened mdwe CMD...      PR_SET_MDWE: no executable memory after write
 *   hardened sysmdwe CMD...   systemd's MemoryDenyWriteExecute= (a seccomp
 *                             filter: mprotect/pkey_mprotect with PROT_EXEC
 *                             and mmap with PROT_WRITE|PROT_EXEC fail EPERM)
 *   hardened nocopy CMD...    sysmdwe, and process_vm_readv/writev kill the
 *                             process (a SystemCallFilter= without them)
 *   hardened nofstat CMD...   fstat(2) fails EPERM (glibc itself uses
 *                             newfstatat): one of the calls of hugexec's
 *                             pread fill, which must notice and copy instead
 *   hardened notif CMD...     madvise(MADV_COLLAPSE) goes to a seccomp
 *                             user-notification listener that never answers:
 *                             the call blocks for good (hugexec's probe of it
 *                             must give up, not hang with the program stopped)
 */
#include "seccomp_deny.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define DENY (SECCOMP_RET_ERRNO | EPERM)

static int filter(int kill_copies)
{
	/* Jump offsets count from the next instruction; labels on the right. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), /* 0 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),        /* 1 */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                         /* 2 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),   /* 3 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 3, 0),              /* 4 -> 8 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 2, 0),         /* 5 -> 8 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 3, 6),                  /* 6 -> 10, 13 */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                         /* 7 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),                        /* 8 mprotect */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 6, 7),                /* 9 -> 16, 17 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),                        /* 10 mmap */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),          /* 11 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 3, 4),    /* 12 -> 16, 17 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 1, 0),      /* 13 -> 15 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_writev, 0, 2),     /* 14 -> 15, 17 */
		BPF_STMT(BPF_RET | BPF_K, kill_copies ? SECCOMP_RET_KILL_PROCESS
						      : SECCOMP_RET_ALLOW),           /* 15 */
		BPF_STMT(BPF_RET | BPF_K, DENY),                                      /* 16 */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                         /* 17 */
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	return seccomp_install(&prog);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* The listener stays open (inherited, never read): the call waits. */
static int notif(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MADV_COLLAPSE, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	/* made close-on-exec: kept open across the exec, or calls get ENOSYS */
	return fd < 0 || fcntl((int)fd, F_SETFD, 0) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 125;
	int r;
	if (strcmp(argv[1], "mdwe") == 0)
		r = prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0);
	else if (strcmp(argv[1], "nofstat") == 0)
		r = deny_eperm(SYS_fstat);
	else if (strcmp(argv[1], "notif") == 0)
		r = notif();
	else
		r = filter(strcmp(argv[1], "nocopy") == 0);
	if (r) {
		perror("hardened");
		return 77; /* not supported here */
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}

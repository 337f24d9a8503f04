/*
 * noptrace.c - run a command where ptrace(2) fails with EPERM, as in a
 * container whose seccomp profile forbids it.
 *   noptrace CMD [ARGS...]
 */
#include "seccomp_deny.h"

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || deny_eperm(SYS_ptrace) != 0) {
		perror("noptrace");
		return 125;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}

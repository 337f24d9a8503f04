/*
 * sudlib.c - libsud.so for sud.c: its constructor (run by ld.so before the
 * program's entry point, as a library's are) turns on Syscall User
 * Dispatch for everything outside libc's text, and its SIGSYS handler runs
 * each dispatched call itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif
#define FILTER_ALLOW 0
#define FILTER_BLOCK 1

volatile long sud_handled;
int sud_unsupported;
volatile char sud_selector = 0;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	/* run it from libc (allowed), and return its result in rax */
	long r = syscall(g[REG_RAX], g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8],
			 g[REG_R9]);
	g[REG_RAX] = r == -1 ? -errno : r;
	sud_handled++;
}

/* libc's text: its system calls (and the signal return) are allowed */
static int libc_text(unsigned long *lo, unsigned long *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " r-xp ") && strstr(line, "/libc.so") &&
		    sscanf(line, "%lx-%lx", lo, hi) == 2) {
			found = 0;
			break;
		}
	if (f)
		fclose(f);
	return found;
}

__attribute__((constructor)) static void dispatch_on(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	unsigned long lo, hi;
	if (libc_text(&lo, &hi) < 0 ||
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, lo, hi - lo, (char *)&sud_selector) != 0) {
		sud_unsupported = 1;
		return;
	}
	sud_selector = FILTER_BLOCK;
}


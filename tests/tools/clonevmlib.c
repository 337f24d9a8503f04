/*
 * clonevmlib.c - libclonevm.so for clonevm.c: its constructor, run by ld.so
 * before the program's entry point, starts a process that shares the
 * program's memory (clone(CLONE_VM) without CLONE_THREAD: not a thread, so
 * not in /proc/PID/task) and runs until main tells it to stop. hugexec must
 * see it and leave the text alone, as it does for threads.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>

volatile int clonevm_stop, clonevm_spins;
int clonevm_pid;
static char stack[64 * 1024] __attribute__((aligned(16)));

static int spin(void *arg)
{
	(void)arg;
	while (!clonevm_stop)
		clonevm_spins++;
	return 0;
}

__attribute__((constructor)) static void start(void)
{
	clonevm_pid = clone(spin, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
}

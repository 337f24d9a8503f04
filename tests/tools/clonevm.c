/*
 * clonevm.c - a program whose library's constructor made a process sharing
 * its memory (clonevmlib.c), with 4 MB of generated text for hugexec to
 * remap (t_process.sh). main stops that process and waits for it.
 * Prints "clonevm: started=B reaped=B", exits 0.
 */
#include <stdio.h>
#include <sys/wait.h>

extern volatile int clonevm_stop;
extern int clonevm_pid;

int main(void)
{
	int started = clonevm_pid > 0, st = 0;
	clonevm_stop = 1;
	int reaped = started && waitpid(clonevm_pid, &st, 0) == clonevm_pid;
	printf("clonevm: started=%d reaped=%d\n", started, reaped);
	return 0;
}

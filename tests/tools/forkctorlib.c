/*
 * forkctorlib.c - libforkctor.so for forkctor.c: its constructor, run by ld.so
 * before the program's entry point, forks (as a daemonizing library or a
 * fork server does); the child goes on through ld.so to the entry point
 * and main, untraced. Whatever hugexec armed for its entry stop is in the
 * child's copy of the memory too, and must be gone from it.
 */
#include <unistd.h>

int forkctor_parent, forkctor_child;

__attribute__((constructor)) static void split(void)
{
	forkctor_parent = getpid();
	forkctor_child = fork();
}

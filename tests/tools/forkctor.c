/*
 * forkctor.c - a program whose library forked in its constructor
 * (forkctorlib.c), with 4 MB of generated text for hugexec to remap
 * (t_process.sh). The child prints "forkctor: child ran main" and exits 0;
 * the parent waits for it and prints its wait status. Exits 0.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

extern int forkctor_parent, forkctor_child;

int main(void)
{
	if (getpid() != forkctor_parent) {
		printf("forkctor: child ran main\n");
		return 0;
	}
	int st = -1;
	if (forkctor_child > 0)
		waitpid(forkctor_child, &st, 0);
	printf("forkctor: parent, child status %#x\n", st);
	return 0;
}

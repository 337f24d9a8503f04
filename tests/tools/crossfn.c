/*
 * crossfn.c - functions that cross the edges of the text hugexec copies,
 * for the perf map test: cross_a (3 MB) starts in the first 2 MB of the
 * text and runs into the 2 MB-aligned interior, cross_b (3 MB) starts in
 * the interior and runs past its end. Both must be in the perf map: they
 * name the bytes of the copy they cover. Nothing calls them.
 *   crossfn [--wait]   prints one line (SELFCHECK=1 as the other test
 *                      programs); --wait: then waits for a signal
 * Must never: depend on where it is loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "selfcheck.h"

__asm__(".text\n"
	".globl cross_a\n.type cross_a, @function\ncross_a:\n"
	"\t.fill 0x300000, 1, 0x90\n\tret\n.size cross_a, .-cross_a\n"
	".globl cross_b\n.type cross_b, @function\ncross_b:\n"
	"\t.fill 0x300000, 1, 0x90\n\tret\n.size cross_b, .-cross_b\n");

int main(int argc, char **argv)
{
	puts("crossfn: two 3 MB functions");
	fflush(stdout);
	if (getenv("SELFCHECK"))
		selfcheck_report("crossfn");
	if (argc > 1 && strcmp(argv[1], "--wait") == 0)
		pause();
	return 0;
}

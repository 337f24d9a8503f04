/*
 * thpoff.c - run a command with transparent huge pages disabled for it
 * (PR_SET_THP_DISABLE is inherited across fork and exec): the "no huge
 * pages obtainable" case of the tests.
 *   thpoff CMD [ARGS...]
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
		perror("thpoff");
		return 125;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}

/*
 * status.c - hugexec status (see status.h).
 * Must never: write to a process it looks at.
 */
#include "status.h"

#include <stdio.h>

int ld_status_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "hugexec: status: not implemented yet\n");
	return 125;
}

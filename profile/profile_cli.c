/*
 * profile_cli.c - placeholder until the profile tools land.
 * Must never: pretend to have done anything.
 */
#include "profile_cli.h"

#include <stdio.h>

int prof_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "hugexec: profile: not implemented yet\n");
	return 125;
}

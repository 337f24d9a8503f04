/*
 * record.c - placeholder until the sampler lands.
 * Must never: pretend to record.
 */
#include "record.h"

#include <stdio.h>

int rec_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "hugexec: record: not implemented yet\n");
	return 125;
}

/*
 * bigtext_main.c - the driver of the generated big-text program.
 *
 *   bigtext [--calls N] [--hot-mb H] [--seed S] [--self-remap] [FILE]
 *
 * Calls the functions of the first H MB of text (all by default) in a fixed
 * pseudo-random order, N calls in all, and prints a checksum of the results:
 * the same for the same arguments whatever pages the text sits on.
 * --self-remap first moves its own text onto 2 MB pages from inside (the
 * benchmark's "in-binary ideal"). With SELFCHECK=1 in the environment it
 * reports on stderr how much of its text is on huge pages.
 * Must never: let anything but its arguments change its stdout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selfcheck.h"

typedef uint64_t (*bt_fn)(uint64_t);
extern const bt_fn bt_table[];
extern const unsigned bt_count, bt_stride;

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	unsigned long long calls = 2000000, hot_mb = 0, seed = 42;
	int self_remap = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
			calls = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--hot-mb") == 0 && i + 1 < argc)
			hot_mb = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--self-remap") == 0)
			self_remap = 1;
		else if (argv[i][0] != '-')
			continue; /* run as a #! interpreter: the script's path */
		else {
			fprintf(stderr, "usage: %s [--calls N] [--hot-mb H] [--seed S] [--self-remap]\n",
				argv[0]);
			return 2;
		}
	}
	if (self_remap && selfcheck_self_remap() != 0)
		fprintf(stderr, "bigtext: --self-remap failed\n");
	unsigned n = bt_count;
	if (hot_mb && (hot_mb << 20) / bt_stride < n)
		n = (unsigned)((hot_mb << 20) / bt_stride);
	if (n == 0)
		n = 1;
	unsigned *order = malloc(n * sizeof(*order));
	if (!order)
		return 1;
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	uint64_t s = seed | 1;
	for (unsigned i = n - 1; i > 0; i--) { /* Fisher-Yates */
		unsigned j = (unsigned)(next(&s) % (i + 1));
		unsigned t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	uint64_t acc = seed;
	for (unsigned long long c = 0; c < calls; c++)
		acc = bt_table[order[c % n]](acc);
	printf("bigtext: functions=%u stride=%u calls=%llu checksum=%016llx\n", n, bt_stride,
	       calls, (unsigned long long)acc);
	if (getenv("SELFCHECK"))
		selfcheck_report("bigtext");
	free(order);
	return 0;
}

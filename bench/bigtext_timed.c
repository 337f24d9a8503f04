/*
 * bigtext_timed.c - a timing shell around bench/bigtext_main.c, for the
 * benchmark only (built by bench/wl_bigtext.sh into build/bench/, with
 * bigtext_main.c compiled under -Dmain=bt_main).
 *
 *   bigtext [--calls N] [--hot-mb H] [--seed S] [--self-remap]
 *
 * Same arguments and the same stdout as bigtext. Differences, all on stderr
 * or in timing only:
 *   - --self-remap (the "in-binary ideal") is done here, before the clock
 *     starts, so the measured loop is the same code path in every
 *     configuration; its cost is still in the process's wall time.
 *   - with SELFCHECK=1, the selfcheck line is printed after the clock stops
 *     (its checksum of the whole text would otherwise be timed too).
 *   - always prints "bigtext-time: main_ns=N self_remap=R" on stderr: the
 *     time of bigtext's main (shuffle + calls), R = 1 if self-remap worked.
 *   - built with -DBT_NO_SELFCHECK (the libhugetlbfs relink, whose text is
 *     not contiguous with __executable_start, which selfcheck's checksum
 *     walks through), prints instead "bigtext-pages: text_kb=N huge_kb=N
 *     code_sum=X", counted over the same mappings as selfcheck's huge_kb
 *     (the executable mappings overlapping [__executable_start, etext)),
 *     and checksummed like selfcheck does, so that every configuration's
 *     wall time carries the same work.
 * Must never: change stdout, or time anything but bigtext's own main.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "selfcheck.h"

int bt_main(int argc, char **argv);

#ifdef BT_NO_SELFCHECK
extern char __executable_start[], etext[];

static unsigned long long kb(const char *line, const char *key)
{
	size_t n = strlen(key);
	return strncmp(line, key, n) == 0 ? strtoull(line + n, NULL, 10) : 0;
}

static void pages_report(void)
{
	unsigned long long es = (unsigned long long)(uintptr_t)__executable_start;
	unsigned long long et = (unsigned long long)(uintptr_t)etext, a, b, text = 0, huge = 0;
	unsigned long long lo[64], hi[64], h = 1469598103934665603ull;
	char line[4096], perms[8];
	int in = 0, n = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s ", &a, &b, perms) == 3) { /* a mapping's header */
			in = perms[2] == 'x' && a < et && b > es;
			if (in) {
				text += (b - a) >> 10;
				if (n < 64) {
					lo[n] = a < es ? es : a;
					hi[n++] = b > et ? et : b;
				}
			}
			continue;
		}
		if (in)
			huge += kb(line, "AnonHugePages:") + kb(line, "FilePmdMapped:") +
				kb(line, "Shared_Hugetlb:") + kb(line, "Private_Hugetlb:");
	}
	fclose(f);
	/* the same work as selfcheck's checksum, over the mapped text only */
	for (int i = 0; i < n; i++)
		for (const unsigned char *p = (const unsigned char *)(uintptr_t)lo[i];
		     p < (const unsigned char *)(uintptr_t)hi[i]; p++)
			h = (h ^ *p) * 1099511628211ull;
	fprintf(stderr, "bigtext-pages: text_kb=%llu huge_kb=%llu code_sum=%016llx\n", text, huge, h);
}
#endif

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int self_remap = -1, j = 1;
	for (int i = 1; i < argc; i++) { /* drop --self-remap, keep the rest */
		if (strcmp(argv[i], "--self-remap") == 0)
			self_remap = 0;
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	argc = j;
	if (self_remap == 0)
		self_remap = selfcheck_self_remap() == 0;
	int selfcheck = getenv("SELFCHECK") != NULL;
	unsetenv("SELFCHECK");
	unsigned long long t0 = now_ns();
	int rc = bt_main(argc, argv);
	unsigned long long t1 = now_ns();
	fflush(stdout);
	fprintf(stderr, "bigtext-time: main_ns=%llu self_remap=%d\n", t1 - t0, self_remap);
	if (selfcheck) {
#ifdef BT_NO_SELFCHECK
		pages_report();
#else
		selfcheck_report("bigtext");
#endif
	}
	return rc;
}

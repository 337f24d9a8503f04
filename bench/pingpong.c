/*
 * pingpong.c - what a thread pays at each context switch (the main-thread
 * residue of a launch: docs/residue.md). Two threads pass a byte through
 * two pipes TRIPS times; each side blocks in read, so every trip is two
 * context switches of the driving thread. Built by bench/lib.sh, alone
 * (nothing for hugexec to remap) and with generated text (pingpong-big).
 *
 *   pingpong [TRIPS] [--off-main]
 *
 * --off-main: both threads are new ones (the main thread only waits), the
 * control for a residue that only the main thread could carry.
 * Prints one line:
 *   pingpong: trips=N rt_ns=X best_ns=Y huge_kb=K
 * rt_ns: mean ns per round trip; best_ns: the fastest of the chunks of
 * 2000 trips (less noisy); huge_kb: executable mappings on 2 MB pages
 * (AnonHugePages + FilePmdMapped + *_Hugetlb), from its own smaps.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 2000

static int to_echo[2], to_drive[2];
static long trips = 200000;

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *echo(void *arg)
{
	char c;
	(void)arg;
	for (long i = 0; i < trips; i++)
		if (read(to_echo[0], &c, 1) != 1 || write(to_drive[1], &c, 1) != 1)
			exit(2);
	return NULL;
}

static double mean_ns, best_ns = 1e18;

static void *drive(void *arg)
{
	char c = 'x';
	double t0 = now_ns(), tc = t0;
	(void)arg;
	for (long i = 0; i < trips; i++) {
		if (write(to_echo[1], &c, 1) != 1 || read(to_drive[0], &c, 1) != 1)
			exit(2);
		if ((i + 1) % CHUNK == 0) {
			double t = now_ns();
			if ((t - tc) / CHUNK < best_ns)
				best_ns = (t - tc) / CHUNK;
			tc = t;
		}
	}
	mean_ns = (now_ns() - t0) / (double)trips;
	return NULL;
}

static long huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[4608];
	bool exec = false;
	long sum = 0, kb;
	while (f && fgets(line, sizeof(line), f)) {
		char perm[8];
		if (sscanf(line, "%*x-%*x %7s", perm) == 1 && strchr(line, '-') < strchr(line, ' ')) {
			exec = perm[2] == 'x';
			continue;
		}
		if (exec && (sscanf(line, "AnonHugePages: %ld", &kb) == 1 ||
			     sscanf(line, "FilePmdMapped: %ld", &kb) == 1 ||
			     sscanf(line, "Shared_Hugetlb: %ld", &kb) == 1 ||
			     sscanf(line, "Private_Hugetlb: %ld", &kb) == 1))
			sum += kb;
	}
	if (f)
		fclose(f);
	return sum;
}

int main(int argc, char **argv)
{
	bool off_main = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--off-main") == 0)
			off_main = true;
		else
			trips = atol(argv[i]);
	}
	if (trips < CHUNK || pipe(to_echo) || pipe(to_drive))
		return 2;
	pthread_t e, d;
	if (pthread_create(&e, NULL, echo, NULL))
		return 2;
	if (off_main) {
		if (pthread_create(&d, NULL, drive, NULL))
			return 2;
		pthread_join(d, NULL);
	} else {
		drive(NULL);
	}
	pthread_join(e, NULL);
	printf("pingpong: trips=%ld rt_ns=%.0f best_ns=%.0f huge_kb=%ld\n", trips, mean_ns, best_ns,
	       huge_kb());
	return 0;
}

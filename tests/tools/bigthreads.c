/*
 * bigthreads.c - threads running through a big generated text (the
 * functions of bigtext.S), each checking its own work, for the attach and
 * undo stress test.
 *
 *   bigthreads [--threads T] [--seconds S]
 *
 * Each thread calls the functions in its own pseudo-random order, in
 * rounds of ROUND calls from a fixed seed, and compares each round's
 * result with the one computed before the threads started: a wrong
 * instruction anywhere under it (a half-swapped page, a lost byte) shows
 * as a mismatch. Prints "bigthreads: ok threads=T rounds=N" and exits 0,
 * or names the first mismatch and exits 1. Runs S seconds (default 10),
 * or until SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef uint64_t (*bt_fn)(uint64_t);
extern const bt_fn bt_table[];
extern const unsigned bt_count, bt_stride;

#define ROUND 20000

static volatile sig_atomic_t stop;
static uint64_t expected[64];
static unsigned long rounds[64];
static int bad = -1;

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t one_round(unsigned t)
{
	uint64_t s = 0x9e3779b97f4a7c15ull * (t + 1), acc = t;
	for (unsigned c = 0; c < ROUND; c++)
		acc = bt_table[next(&s) % bt_count](acc);
	return acc;
}

static void *worker(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	while (!stop) {
		if (one_round(t) != expected[t]) {
			bad = (int)t;
			stop = 1;
		}
		rounds[t]++;
	}
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned threads = 8;
	double seconds = 10;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--threads") == 0)
			threads = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
	}
	if (threads < 1 || threads > 64)
		return 2;
	for (unsigned t = 0; t < threads; t++)
		expected[t] = one_round(t);
	signal(SIGTERM, on_term);
	pthread_t th[64];
	for (unsigned t = 0; t < threads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t) != 0)
			return 2;
	printf("bigthreads: running threads=%u\n", threads);
	fflush(stdout);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop) {
		usleep(10000);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
			stop = 1;
	}
	unsigned long total = 0;
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		total += rounds[t];
	}
	if (bad >= 0) {
		printf("bigthreads: MISMATCH in thread %d\n", bad);
		return 1;
	}
	printf("bigthreads: ok threads=%u rounds=%lu\n", threads, total);
	return 0;
}

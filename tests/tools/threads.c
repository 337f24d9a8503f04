/*
 * threads.c - a multi-threaded program whose profile is known by
 * construction, for `hugexec record` tests.
 *
 *   threads [--threads N] [--iters M] [--delay-ms D]
 *
 * Worker k (0 <= k < N <= 8) spins in its own function spin<k> for M
 * iterations, calling the shared leaf mix() every 16th one; so a profile
 * shows whether every thread was sampled (spin0..spin<N-1> all have
 * samples) and has call edges spin<k> -> mix. The workers start after D ms,
 * so `record -p` can attach before they exist. Prints a checksum that only
 * depends on the arguments.
 * Build: cc -O2 -fno-omit-frame-pointer -pthread -o threads threads.c
 * Must never: let anything but its arguments change its stdout.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 8
/* Separate functions that stay separate (gcc could otherwise clone them). */
#ifdef __clang__
#define KEEP __attribute__((noinline))
#else
#define KEEP __attribute__((noinline, noclone))
#endif

static unsigned long long iters = 50000000;

static KEEP uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	return x;
}

/* One function per worker, so samples tell the threads apart. */
#define SPIN(k)                                                                  \
	static KEEP uint64_t spin##k(uint64_t x)                                  \
	{                                                                         \
		for (unsigned long long i = 0; i < iters; i++) {                  \
			x = x * 6364136223846793005ull + 1442695040888963407ull + k; \
			if ((i & 15) == 0)                                        \
				x = mix(x);                                       \
			__asm__ volatile("" : "+r"(x));                           \
		}                                                                 \
		return x;                                                         \
	}
SPIN(0) SPIN(1) SPIN(2) SPIN(3) SPIN(4) SPIN(5) SPIN(6) SPIN(7)

typedef uint64_t (*spin_fn)(uint64_t);
static const spin_fn spins[MAX_THREADS] = {spin0, spin1, spin2, spin3,
					   spin4, spin5, spin6, spin7};

struct job {
	int k;
	uint64_t result;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	j->result = spins[j->k]((uint64_t)j->k + 1);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = 4;
	long delay_ms = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--threads") == 0)
			n = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--iters") == 0)
			iters = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--delay-ms") == 0)
			delay_ms = atol(argv[i + 1]);
	}
	if (n < 1 || n > MAX_THREADS || argc % 2 == 0) {
		fprintf(stderr, "usage: threads [--threads 1-8] [--iters N] [--delay-ms D]\n");
		return 2;
	}
	if (delay_ms > 0) {
		struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
	pthread_t t[MAX_THREADS];
	struct job jobs[MAX_THREADS];
	for (int k = 0; k < n; k++) {
		jobs[k].k = k;
		if (pthread_create(&t[k], NULL, worker, &jobs[k]) != 0) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 1;
		}
	}
	uint64_t sum = 0;
	for (int k = 0; k < n; k++) {
		pthread_join(t[k], NULL);
		sum ^= jobs[k].result;
	}
	printf("threads: %d workers, %llu iterations, checksum %016llx\n", n, iters,
	       (unsigned long long)sum);
	return 0;
}

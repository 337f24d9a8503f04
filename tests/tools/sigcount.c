/*
 * sigcount.c - a program that counts the SIGTERMs and SIGUSR1s it gets,
 * for the tests of how `hugexec record` passes signals on.
 *
 *   sigcount --ready FILE [--grace-ms MS]
 *
 * Installs its handlers, then creates FILE (so a test knows when to send),
 * and spins in work() (so there is something to sample). MS milliseconds
 * after the first SIGTERM (default 500: time for a duplicate to arrive) it
 * prints "sigcount: term=T usr1=U" and exits with status 3. After 60 s
 * without a SIGTERM it gives up the same way with status 4.
 * Build: cc -O2 -o sigcount sigcount.c
 * Must never: print anything but that line on stdout.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t terms, usr1s;

static void on_term(int sig)
{
	(void)sig;
	terms++;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1s++;
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static __attribute__((noinline)) uint64_t work(uint64_t x)
{
	for (int i = 0; i < 100000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

int main(int argc, char **argv)
{
	const char *ready = NULL;
	uint64_t grace = 500;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ready") == 0)
			ready = argv[i + 1];
		else if (strcmp(argv[i], "--grace-ms") == 0)
			grace = strtoull(argv[i + 1], NULL, 10);
	}
	if (!ready || argc % 2 == 0) {
		fprintf(stderr, "usage: sigcount --ready FILE [--grace-ms MS]\n");
		return 2;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(ready);
		return 2;
	}
	close(fd);
	uint64_t start = now_ms(), first_term = 0, x = 1;
	int status = 4;
	for (;;) {
		x = work(x);
		uint64_t t = now_ms();
		if (terms && !first_term)
			first_term = t;
		if (first_term && t - first_term >= grace) {
			status = 3;
			break;
		}
		if (!first_term && t - start > 60000)
			break;
	}
	printf("sigcount: term=%d usr1=%d\n", (int)terms, (int)usr1s);
	return x == 0 ? 5 : status; /* (x keeps work() from being optimized out) */
}

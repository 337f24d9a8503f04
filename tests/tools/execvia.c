/*
 * execvia.c - wrappers that reach exec (or sit in a system call) in the
 * ways a follower must get right (t_follow.sh):
 *   execvia wait MS          sit in epoll_wait(MS), then in sigtimedwait(MS):
 *                            neither may come back early (EINTR) because of us
 *   execvia int80 PROG       execve PROG through the i386 entry (int $0x80)
 *   execvia thread PROG ARG  execve PROG ARG from a second thread
 * Prints what happened; exits 0, or 1 on a failed exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int wait_calls(int ms)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;
	double t0 = now();
	int r = epoll_wait(ep, &ev, 1, ms);
	printf("epoll_wait: %d %s after %.1f s\n", r, r < 0 ? strerror(errno) : "ok", now() - t0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	t0 = now();
	r = sigtimedwait(&set, NULL, &ts);
	printf("sigtimedwait: %d %s after %.1f s\n", r, r < 0 ? strerror(errno) : "ok", now() - t0);
	return 0;
}

/* execve(prog, {prog, NULL}, {NULL}) with the i386 ABI: every pointer
 * must fit in 32 bits. */
static int int80(const char *prog)
{
	char *low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	if (low == MAP_FAILED || strlen(prog) >= 4096)
		return 1;
	strcpy(low, prog);
	uint32_t *argv = (uint32_t *)(low + 4096);
	argv[0] = (uint32_t)(uintptr_t)low;
	argv[1] = 0;
	argv[2] = 0; /* envp: empty */
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(11L), "b"(low), "c"(argv), "d"(argv + 2)
			 : "memory");
	printf("int80 execve: %ld\n", r);
	return 1;
}

static char **targv;

static void *exec_thread(void *arg)
{
	(void)arg;
	execv(targv[0], targv);
	perror("execv");
	exit(1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "wait") == 0)
		return wait_calls(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "int80") == 0)
		return int80(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "thread") == 0) {
		targv = argv + 2;
		pthread_t t;
		if (pthread_create(&t, NULL, exec_thread, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
		return 1;
	}
	fprintf(stderr, "usage: execvia wait MS | int80 PROG | thread PROG [ARGS]\n");
	return 2;
}

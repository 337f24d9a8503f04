/*
 * clonevm.c - a program whose library's constructor made a process sharing
 * its memory (clonevmlib.c), with 4 MB of generated text for hugexec to
 * remap (t_process.sh). main stops that process and waits for it.
 * Prints "clonevm: started=B reaped=B", exits 0.
 * --hold (t_attach.sh): first starts a thread, prints "clonevm: holding"
 * and waits for SIGUSR2: a multi-threaded process whose memory another
 * process shares.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern volatile int clonevm_stop;
extern int clonevm_pid;

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--hold") == 0) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR2);
		sigprocmask(SIG_BLOCK, &s, NULL);
		pthread_t t;
		int sig;
		if (pthread_create(&t, NULL, idle, NULL) != 0)
			return 1;
		printf("clonevm: holding\n");
		fflush(stdout);
		sigwait(&s, &sig);
	}
	int started = clonevm_pid > 0, st = 0;
	clonevm_stop = 1;
	int reaped = started && waitpid(clonevm_pid, &st, 0) == clonevm_pid;
	printf("clonevm: started=%d reaped=%d\n", started, reaped);
	return 0;
}

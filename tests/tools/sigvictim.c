/*
 * sigvictim.c - counts the signals it receives (handlers from siglib.c)
 * and prints the counts: each signal sent once must arrive once.
 *   sigvictim [SECONDS]
 * As the parent of `hugexec ... sigvictim`, it sends the signals while
 * hugexec holds the program and counts the stops it sees with waitpid
 * (only a parent can: a second SIGSTOP would otherwise just hang a
 * shell's wait), continuing each one, with a deadline for everything:
 *   sigvictim watch CMD...
 * prints "watch: stops=N traced=T status=S" (T: stops seen while a tracer
 * was attached); exits 1 on a deadline, after killing CMD.
 * Must never: wait without a deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern volatile sig_atomic_t sig_usr1, sig_winch, sig_cont;

#define TICK_NS (10 * 1000 * 1000)

static void tick(void)
{
	struct timespec ts = {0, TICK_NS};
	nanosleep(&ts, NULL);
}

/* State letter and TracerPid of pid from /proc, 0 if it is gone. */
static char proc_state(pid_t pid, long *tracer)
{
	char path[64], line[256], st = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	*tracer = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "State:", 6) == 0)
			sscanf(line + 6, " %c", &st);
		else if (strncmp(line, "TracerPid:", 10) == 0)
			*tracer = strtol(line + 10, NULL, 10);
	}
	fclose(f);
	return st;
}

/* Until pid is in a tracing stop with a tracer (hugexec holds it). */
static int wait_held(pid_t pid, int ticks)
{
	for (int i = 0; i < ticks; i++) {
		long tracer;
		if (proc_state(pid, &tracer) == 't' && tracer != 0)
			return 0;
		tick();
	}
	return -1;
}

static int watch(char **cmd)
{
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (wait_held(pid, 2000) != 0) {
		kill(pid, SIGKILL);
		printf("watch: never saw the program held by hugexec\n");
		return 1;
	}
	struct timespec settle = {0, 300 * 1000 * 1000};
	nanosleep(&settle, NULL);
	kill(pid, SIGUSR1);
	kill(pid, SIGWINCH);
	kill(pid, SIGSTOP);
	int stops = 0, traced = 0, st = 0;
	for (int i = 0; i < 3000; i++) { /* 30 s */
		pid_t r = waitpid(pid, &st, WUNTRACED | WNOHANG);
		if (r < 0 && errno != EINTR)
			return 1;
		if (r == pid && WIFSTOPPED(st)) {
			long tracer;
			proc_state(pid, &tracer);
			stops++;
			traced += tracer != 0;
			kill(pid, SIGCONT);
		} else if (r == pid) {
			printf("watch: stops=%d traced=%d status=%d\n", stops, traced,
			       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			return 0;
		}
		tick();
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	printf("watch: still running after 30 s (stops=%d traced=%d)\n", stops, traced);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "watch") == 0)
		return watch(argv + 2);
	int secs = argc > 1 ? atoi(argv[1]) : 5;
	for (int i = 0; i < secs * 100 && !(sig_usr1 && sig_winch && sig_cont); i++)
		tick();
	struct timespec dup = {0, 200 * 1000 * 1000}; /* time for a duplicate to show up */
	nanosleep(&dup, NULL);
	printf("usr1=%d winch=%d cont=%d\n", (int)sig_usr1, (int)sig_winch, (int)sig_cont);
	return 0;
}

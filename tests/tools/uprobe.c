/*
 * uprobe.c - run a command with a uprobe on one of its functions, as perf
 * probe, bpftrace or a USDT-based tracer would have it (t_uprobe.sh).
 *
 *   uprobe FILE OFFSET CMD ARGS...
 *
 * Registers a uprobe at OFFSET (hex, a file offset) in FILE through the
 * uprobe PMU (perf_event_open, one event per CPU, every process), runs CMD,
 * waits for it, and prints "uprobe: hits=N status=S" (S: exit status, or
 * 128+signal). The kernel writes an int3 into every mapping of FILE's page
 * (copy-on-write) and knows it as its own: a copy of that page elsewhere
 * would trap with no probe behind it. Exits 2 if the probe cannot be made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CPUS 256

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: uprobe FILE OFFSET CMD ARGS...\n");
		return 2;
	}
	FILE *t = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	int type = -1;
	if (!t || fscanf(t, "%d", &type) != 1) {
		fprintf(stderr, "uprobe: no uprobe PMU\n");
		return 2;
	}
	fclose(t);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	int fds[MAX_CPUS];
	for (long c = 0; c < ncpu; c++) {
		struct perf_event_attr a;
		memset(&a, 0, sizeof(a));
		a.type = (uint32_t)type;
		a.size = sizeof(a);
		a.config1 = (uint64_t)(uintptr_t)argv[1]; /* the path */
		a.config2 = strtoull(argv[2], NULL, 16);  /* the file offset */
		fds[c] = (int)syscall(SYS_perf_event_open, &a, -1, (int)c, -1, 0);
		if (fds[c] < 0) {
			fprintf(stderr, "uprobe: perf_event_open: %s\n", strerror(errno));
			return 2;
		}
	}
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	uint64_t hits = 0;
	for (long c = 0; c < ncpu; c++) {
		uint64_t n = 0;
		if (read(fds[c], &n, sizeof(n)) == (ssize_t)sizeof(n))
			hits += n;
		close(fds[c]);
	}
	printf("uprobe: hits=%llu status=%d\n", (unsigned long long)hits,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

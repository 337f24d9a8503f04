/*
 * ownmap.c - a program that writes its own /tmp/perf-PID.map, as node
 * --perf-basic-prof, the JVM's perf-map-agent and LuaJIT do, with 4 MB of
 * text (linked with generated code) that hugexec can copy.
 *
 *   ownmap [--open-in-main] [--stay] [LINES]
 *
 * Opens /tmp/perf-<pid>.map with O_WRONLY|O_CREAT|O_TRUNC, as node does:
 * by default from .preinit_array, which ld.so runs before it jumps to the
 * entry point (so the file exists, with its first line, when hugexec's
 * tracer stops the program there); with --open-in-main at the start of
 * main, exactly like node. Then it writes the rest of LINES lines (40),
 * one write(2) each, 5 ms apart (about 200 ms in all, while hugexec writes
 * its own map), and prints the same lines on stdout, for the test to
 * compare with the file. --stay: then wait for a signal (a test's cleanup
 * removes maps of processes that are gone).
 * Must never: write the map other than line by line at its own offset.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int map_fd = -1;

/* Line i, formatted by hand: the preinit function runs before libc's own
 * constructors. */
static size_t line_of(int i, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long addr = 0x7f1234500000ull + (unsigned long long)i * 0x140;
	char tmp[32];
	size_t n = 0, k = 0;
	do
		tmp[k++] = hex[addr & 15];
	while (addr >>= 4);
	while (k)
		buf[n++] = tmp[--k];
	memcpy(buf + n, " 140 ownmap_jit_", 16);
	n += 16;
	buf[n++] = (char)('0' + i / 100 % 10);
	buf[n++] = (char)('0' + i / 10 % 10);
	buf[n++] = (char)('0' + i % 10);
	buf[n++] = '\n';
	return n;
}

static void open_map(void)
{
	char path[64] = "/tmp/perf-", num[16];
	int pid = getpid(), k = 0;
	do
		num[k++] = (char)('0' + pid % 10);
	while (pid /= 10);
	size_t n = strlen(path);
	while (k)
		path[n++] = num[--k];
	memcpy(path + n, ".map", 5);
	map_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void write_line(int i)
{
	char buf[64];
	size_t n = line_of(i, buf);
	if (map_fd >= 0 && write(map_fd, buf, n) != (ssize_t)n)
		_exit(3);
}

static int wants_main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--open-in-main") == 0)
			return 1;
	return 0;
}

/* ld.so calls .preinit_array functions with main's arguments. */
static void early(int argc, char **argv, char **envp)
{
	(void)envp;
	if (!wants_main(argc, argv)) {
		open_map();
		write_line(0);
	}
}
__attribute__((section(".preinit_array"), used))
static void (*const preinit)(int, char **, char **) = early;

int main(int argc, char **argv)
{
	int lines = 40, in_main = wants_main(argc, argv), stay = 0;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--stay") == 0)
			stay = 1;
		else if (strcmp(argv[i], "--open-in-main") != 0)
			lines = atoi(argv[i]);
	if (lines < 1 || lines > 999) {
		fprintf(stderr, "usage: ownmap [--open-in-main] [--stay] [LINES (1-999)]\n");
		return 2;
	}
	if (in_main) {
		open_map();
		write_line(0);
	}
	if (map_fd < 0) {
		perror("ownmap: /tmp/perf-PID.map");
		return 1;
	}
	for (int i = 1; i < lines; i++) {
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
		write_line(i);
	}
	close(map_fd);
	for (int i = 0; i < lines; i++) {
		char buf[64];
		fwrite(buf, 1, line_of(i, buf), stdout);
	}
	fflush(stdout);
	if (stay)
		pause();
	return 0;
}

/*
 * inproc_remap.c - libinproc.so for `make bench`: the reference a remap
 * from outside is judged against. Preloaded (LD_PRELOAD), its constructor
 * copies the 2 MB-aligned interior of the main executable's text onto
 * transparent huge pages from inside the process, as node
 * --use-largepages and iodlr do, and moves the copy in place with one
 * mremap. No ptrace, no stop: whatever a launch leaves on a program, this
 * one does not. Silent; does nothing where anything fails.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define HUGE (2ul << 20)

__attribute__((constructor)) static void inproc_remap(void)
{
	char exe[PATH_MAX], line[PATH_MAX + 128], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/maps", "r");
	if (n <= 0 || !f)
		return;
	exe[n] = 0;
	uintptr_t lo = 0, hi = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &a, &b, perm, path) == 4 &&
		    strcmp(perm, "r-xp") == 0 && strcmp(path, exe) == 0) {
			lo = (a + HUGE - 1) & ~(HUGE - 1);
			hi = b & ~(HUGE - 1);
			break;
		}
	}
	fclose(f);
	if (hi <= lo)
		return;
	size_t len = hi - lo;
	uint8_t *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return;
	uint8_t *copy = (uint8_t *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	madvise(copy, len, MADV_HUGEPAGE);
	memcpy(copy, (void *)lo, len);
	if (mprotect(copy, len, PROT_READ | PROT_EXEC) != 0)
		return;
	madvise(copy, len, MADV_COLLAPSE);
	mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)lo);
}

/*
 * selfcheck.c - a program's view of its own text (see selfcheck.h).
 * Must never: write to stdout.
 */
#define _GNU_SOURCE
#include "selfcheck.h"

#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define HUGE ((uint64_t)2 << 20)

static uint64_t kb_field(const char *line, const char *key)
{
	size_t n = strlen(key);
	return strncmp(line, key, n) == 0 ? strtoull(line + n, NULL, 10) : 0;
}

/* Measure the executable mappings that overlap [es, et): the text of one
 * ELF object, including what hugexec put in its place. */
static int measure_range(uint64_t es, uint64_t et, struct selfcheck *s);

static int measure_range(uint64_t es, uint64_t et, struct selfcheck *s)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	memset(s, 0, sizeof(*s));
	char line[4096], perms[8] = "", path[4096];
	bool in = false, anon = false;
	unsigned long long a, b, off, ino;
	while (fgets(line, sizeof(line), f)) {
		int n = 0;
		path[0] = '\0';
		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &a, &b, perms, &off, &ino, &n) == 5) {
			sscanf(line + n, "%4095[^\n]", path);
			in = perms[2] == 'x' && a < et && b > es;
			anon = ino == 0 || strstr(path, "anon_hugepage");
			if (in) {
				if (!s->text_lo || a < s->text_lo)
					s->text_lo = a;
				if (b > s->text_hi)
					s->text_hi = b;
				s->text_kb += (b - a) >> 10;
				if (anon)
					s->anon_kb += (b - a) >> 10;
			}
			continue;
		}
		if (!in)
			continue;
		s->huge_kb += kb_field(line, "AnonHugePages:") + kb_field(line, "FilePmdMapped:") +
			      kb_field(line, "Shared_Hugetlb:") + kb_field(line, "Private_Hugetlb:");
	}
	fclose(f);
	uint64_t lo = (s->text_lo + HUGE - 1) & ~(HUGE - 1), hi = s->text_hi & ~(HUGE - 1);
	s->interior_kb = hi > lo ? (hi - lo) >> 10 : 0;
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)(uintptr_t)es;
	     p < (const unsigned char *)(uintptr_t)et; p++)
		h = (h ^ *p) * 1099511628211ull;
	s->code_sum = h;
	return 0;
}

struct find {
	const char *substr; /* NULL: the program itself (the first object) */
	uint64_t lo, hi;
};

/* The executable PT_LOAD of the object: exactly its code, whatever
 * protection hugexec's aggressive windows gave the pages around it. */
static int find_lib(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find *f = data;
	(void)size;
	if (f->substr && (!info->dlpi_name || !strstr(info->dlpi_name, f->substr)))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			f->lo = info->dlpi_addr + ph->p_vaddr;
			f->hi = f->lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

int selfcheck_measure_lib(const char *substr, struct selfcheck *s)
{
	struct find f = {substr, 0, 0};
	if (!dl_iterate_phdr(find_lib, &f))
		return -1;
	return measure_range(f.lo, f.hi, s);
}

int selfcheck_measure(struct selfcheck *s)
{
	return selfcheck_measure_lib(NULL, s);
}

void selfcheck_report(const char *who)
{
	struct selfcheck s;
	const char *lib = getenv("SELFCHECK_LIB");
	if ((lib ? selfcheck_measure_lib(lib, &s) : selfcheck_measure(&s)) != 0) {
		fprintf(stderr, "selfcheck: %s: cannot read /proc/self/smaps\n", who);
		return;
	}
	fprintf(stderr,
		"selfcheck: %s text_kb=%llu interior_kb=%llu huge_kb=%llu anon_kb=%llu "
		"code_sum=%016llx\n",
		who, (unsigned long long)s.text_kb, (unsigned long long)s.interior_kb,
		(unsigned long long)s.huge_kb, (unsigned long long)s.anon_kb,
		(unsigned long long)s.code_sum);
	const char *maps = getenv("SELFCHECK_MAPS");
	if (maps) { /* a copy of /proc/self/maps for tests that compare layouts */
		FILE *in = fopen("/proc/self/maps", "r"), *out = fopen(maps, "w");
		int c;
		while (in && out && (c = fgetc(in)) != EOF)
			fputc(c, out);
		if (in)
			fclose(in);
		if (out)
			fclose(out);
	}
}

int selfcheck_self_remap(void)
{
	struct selfcheck s;
	if (selfcheck_measure(&s) != 0)
		return -1;
	uint64_t lo = (s.text_lo + HUGE - 1) & ~(HUGE - 1), hi = s.text_hi & ~(HUGE - 1);
	if (hi <= lo)
		return -1;
	size_t len = (size_t)(hi - lo);
	char *raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return -1;
	char *stage = (char *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	madvise(stage, len, MADV_HUGEPAGE);
	memcpy(stage, (void *)(uintptr_t)lo, len);
	if (mprotect(stage, len, PROT_READ | PROT_EXEC) != 0)
		return -1;
	madvise(stage, len, MADV_COLLAPSE);
	/* Atomic: the code running this returns into identical bytes. */
	if (mremap(stage, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)lo) == MAP_FAILED)
		return -1;
	if (stage > raw)
		munmap(raw, (size_t)(stage - raw));
	if (raw + len + HUGE > stage + len)
		munmap(stage + len, (size_t)(raw + len + HUGE - (stage + len)));
	return 0;
}

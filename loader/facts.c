/*
 * facts.c - what the planner must know about the machine and the target
 * that it cannot look up from inside its sandbox: free hugetlb pages, the
 * THP mode, and the target's restrictions (seccomp, MDWE, THP disabled).
 * Everything is probed now, never assumed from a kernel version.
 * Must never: fail hard; an unreadable fact is the conservative value.
 */
#define _GNU_SOURCE
#include "facts.h"
#include "../common/kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define HUGEPAGES_2M "/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

uint32_t ld_thp_mode_parse(const char *text)
{
	static const struct { const char *word; uint32_t mode; } modes[] = {
		{"[always]", HX_THP_ALWAYS},
		{"[madvise]", HX_THP_MADVISE},
		{"[never]", HX_THP_NEVER},
	};
	for (size_t i = 0; i < HX_ARRAY_LEN(modes); i++)
		if (strstr(text, modes[i].word))
			return modes[i].mode;
	return HX_THP_UNKNOWN;
}

static uint64_t hugetlb_free(void)
{
	uint64_t free_pages, resv;
	if (hx_read_u64_file(HUGEPAGES_2M "free_hugepages", &free_pages) < 0 ||
	    hx_read_u64_file(HUGEPAGES_2M "resv_hugepages", &resv) < 0)
		return 0;
	return free_pages > resv ? free_pages - resv : 0;
}

/* The number after "\nKey:" in /proc/PID/status, or dflt. */
static long status_field(const char *text, const char *key, long dflt)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s:", key);
	const char *p = strstr(text, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : dflt;
}

void ld_facts_gather(pid_t pid, struct ld_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->hugetlb_free = hugetlb_free();
	char *text;
	if (hx_read_file(THP_ENABLED, 4096, &text, NULL) == 0) {
		f->thp_mode = ld_thp_mode_parse(text);
		free(text);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f->threads = 0; /* unknown: treated as "not exactly one" */
	if (hx_read_file(path, 1 << 16, &text, NULL) == 0) {
		f->threads = (unsigned)status_field(text, "Threads", 0);
		f->seccomp = status_field(text, "Seccomp", 0) == 2;
		f->seccomp_filters = status_field(text, "Seccomp_filters", -1);
		if (status_field(text, "THP_enabled", 1) == 0) /* PR_SET_THP_DISABLE */
			f->target_flags |= HX_TGT_THP_DISABLED;
		free(text);
	}
	/* MDWE is inherited across fork and exec: the tracer, forked from the
	 * target before its exec, carries the same setting. */
	int mdwe = prctl(PR_GET_MDWE, 0, 0, 0, 0);
	if (mdwe > 0)
		f->target_flags |= HX_TGT_MDWE;
}

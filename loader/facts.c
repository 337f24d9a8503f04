/*
 * facts.c - what the planner must know about the machine and the target
 * that it cannot look up from inside its sandbox: free hugetlb pages, the
 * THP mode, and the target's restrictions (seccomp, MDWE, THP disabled).
 * Everything is probed now, never assumed from a kernel version. Also who
 * the program is and (ld_facts_started, only when a perf map will be
 * written) when its process began, for the perf map written once the
 * program runs on (perfmap.c), when it may have changed user or be gone.
 * Must never: fail hard; an unreadable fact is the conservative value.
 */
#define _GNU_SOURCE
#include "facts.h"

#include <dirent.h>
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include "../common/kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

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

/* The number after "Key:" in /proc/PID/status, or dflt. */
static long status_field(const char *text, const char *key, long dflt)
{
	const char *v = hx_status_value(text, key);
	return v ? strtol(v, NULL, 10) : dflt;
}

/* The second number of "Key:\tREAL\tEFFECTIVE\tSAVED\tFS". */
static bool effective_id(const char *text, const char *key, unsigned long *id)
{
	unsigned long real;
	const char *v = hx_status_value(text, key);
	return v && sscanf(v, "%lu %lu", &real, id) == 2;
}

int ld_stat_starttime(const char *stat, unsigned long long *ticks)
{
	/* "PID (COMM) S PPID ...": COMM may hold spaces and ')', so fields
	 * are counted from the last ')'. starttime is field 22, the 20th
	 * after it. */
	const char *p = strrchr(stat, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (int field = 3; field < 22; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
		if (!*p)
			return -EINVAL;
	}
	char *end;
	errno = 0;
	*ticks = strtoull(p, &end, 10);
	return (end == p || errno || (*end != ' ' && *end != '\n' && *end)) ? -EINVAL : 0;
}

/* When pid's process was created (forked: before hugexec ran in it, so
 * before the program did), in CLOCK_REALTIME ns; 0 if unknown. The kernel
 * keeps it as boot time in clock ticks, rounded down, and the boot time is
 * read after the real time: the result can be early, never late. */
static int64_t process_start(pid_t pid)
{
	char path[64], *text;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (hz <= 0 || hx_read_file(path, 4096, &text, NULL) < 0)
		return 0;
	int r = ld_stat_starttime(text, &ticks);
	free(text);
	if (r < 0 || ticks / (unsigned long long)hz > 1ull << 40) /* not a real uptime */
		return 0;
	int64_t since_boot = (int64_t)(ticks / (unsigned long long)hz) * 1000000000 +
			     (int64_t)(ticks % (unsigned long long)hz) * 1000000000 / hz;
	int64_t boot_at = (int64_t)hx_clock_ns(CLOCK_REALTIME) -
			  (int64_t)hx_clock_ns(CLOCK_BOOTTIME);
	return boot_at + since_boot;
}

void ld_facts_started(pid_t pid, struct ld_facts *f)
{
	f->owner.started_ns = process_start(pid);
}

/* No CONFIG_PROC_CHILDREN: the children of pid, by their parent field in
 * /proc/N/stat, as a "children" file would list them (NULL: no memory). */
static char *children_by_scan(pid_t pid)
{
	DIR *d = opendir("/proc");
	size_t cap = 256, len = 0;
	char *out = d ? malloc(cap) : NULL;
	struct dirent *de;
	while (out && (de = readdir(d)) != NULL) {
		char path[300], *stat;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (hx_read_file(path, 4096, &stat, NULL) < 0)
			continue;
		const char *paren = strrchr(stat, ')');
		long ppid = paren ? strtol(paren + 3, NULL, 10) : 0;
		free(stat);
		if (ppid != pid)
			continue;
		if (len + strlen(de->d_name) + 2 > cap) {
			char *more = realloc(out, cap *= 2);
			if (!more) {
				free(out);
				out = NULL;
				break;
			}
			out = more;
		}
		len += (size_t)sprintf(out + len, "%s ", de->d_name);
	}
	if (out)
		out[len] = 0;
	if (d)
		closedir(d);
	return out;
}

/* Processes that share pid's memory without being its threads: children
 * made with clone(CLONE_VM) (or vfork) by a constructor, which run the
 * same text. Found among the children of each of its threads with
 * kcmp(KCMP_VM); -1 if that cannot be told (a child, and no kcmp). */
static int vm_sharers(pid_t pid)
{
	char path[320], *text;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	bool scanned = false;
	struct dirent *de;
	while (n >= 0 && !scanned && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		/* without the file: all of the process's children at once */
		if (hx_read_file(path, 1 << 16, &text, NULL) < 0 &&
		    (scanned = true, text = children_by_scan(pid)) == NULL) {
			n = -1; /* cannot list them */
			break;
		}
		for (char *s = text, *end; n >= 0 && *s; s = end) {
			long child = strtol(s, &end, 10);
			if (end == s)
				break;
			long same = syscall(SYS_kcmp, (pid_t)pid, (pid_t)child, KCMP_VM, 0, 0);
			if (same == 0)
				n++;
			else if (same < 0 && errno != ESRCH)
				n = -1;
		}
		free(text);
	}
	closedir(d);
	return n;
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
		/* (also for attach, where the threads are held but a process
		 * sharing the memory would run on through the swap) */
		f->vm_sharers = vm_sharers(pid);
		f->seccomp = status_field(text, "Seccomp", 0) == 2;
		f->seccomp_filters = status_field(text, "Seccomp_filters", -1);
		if (status_field(text, "THP_enabled", 1) == 0) /* PR_SET_THP_DISABLE */
			f->target_flags |= HX_TGT_THP_DISABLED;
		/* a user shadow stack (6.6+) would fault on the return of a call
		 * we inject (it returns to a trap no call pushed): no layout */
		const char *feat = hx_status_value(text, "x86_Thread_features");
		if (feat && strstr(feat, "shstk"))
			f->target_flags |= HX_TGT_NO_CALLS;
		unsigned long uid, gid;
		if (effective_id(text, "Uid", &uid) && effective_id(text, "Gid", &gid)) {
			f->owner.known = true;
			f->owner.uid = (uid_t)uid;
			f->owner.gid = (gid_t)gid;
		}
		free(text);
	}
	/* MDWE is inherited across fork and exec: the tracer, forked from the
	 * target before its exec, carries the same setting. */
	int mdwe = prctl(PR_GET_MDWE, 0, 0, 0, 0);
	if (mdwe > 0)
		f->target_flags |= HX_TGT_MDWE;
}

/* PR_SET_MDWE (no exec after write) is a property of the program: ask it
 * with one injected prctl from the vDSO. Failing to ask is not an error:
 * the tracer's own setting (inherited from the same parent) stands. */
int ld_facts_mdwe(struct ld_tracer *tr, struct hx_err *e)
{
	if (inj_use_vdso(&tr->inj, &tr->pl.vmas) < 0)
		return 0;
	const uint64_t a[6] = {PR_GET_MDWE, 0, 0, 0, 0, 0};
	int64_t res;
	int r = inj_syscall(&tr->inj, SYS_prctl, a, &res, e);
	if (r < 0)
		return r;
	if (res > 0 && (res & PR_MDWE_REFUSE_EXEC_GAIN))
		tr->pl.facts.target_flags |= HX_TGT_MDWE;
	return 0;
}

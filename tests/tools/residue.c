/*
 * residue.c - what a program can observe of how it was started, printed
 * so that a plain run and a run under hugexec can be compared line by line
 * (t_residue.sh). Linked with 4 MB of generated text (residue-big) it also
 * has text for hugexec to remap.
 *
 *   residue [--maps]
 *
 * Prints: how many hardware breakpoints it can open on itself (perf, up to
 * 4: a debug-register breakpoint left by a tracer takes a slot), its
 * signal dispositions, mask and pending sets, limits, descriptors, prctl
 * and scheduler state, personality, children, and the private (anonymous)
 * kilobytes of its executable's text mappings that are file-backed; with
 * --maps the shape of its address space (permissions and names, no
 * addresses). Exits 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Four distinct code addresses to watch. */
static void bp0(void) {}
static void bp1(void) {}
static void bp2(void) {}
static void bp3(void) {}

static int hw_breakpoints(void)
{
	void (*const fns[])(void) = {bp0, bp1, bp2, bp3};
	int fds[4], n = 0;
	for (int i = 0; i < 4; i++) {
		struct perf_event_attr a;
		memset(&a, 0, sizeof(a));
		a.type = PERF_TYPE_BREAKPOINT;
		a.size = sizeof(a);
		a.bp_type = HW_BREAKPOINT_X;
		a.bp_addr = (unsigned long)fns[i];
		a.bp_len = sizeof(long);
		a.exclude_kernel = 1;
		a.exclude_hv = 1;
		a.disabled = 1;
		int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
		if (fd < 0) {
			if (n == 0)
				printf("hw-breakpoints-error: %s\n", strerror(errno));
			break;
		}
		fds[n++] = fd;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return n;
}

/* Lines of /proc/self/status that a launcher could change. SigQ counts
 * the user's queued signals system-wide: not ours alone. */
static void status_fields(void)
{
	static const char *const keep[] = {
		"SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm", "CapEff",
		"CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
		"Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed_list",
		"Mems_allowed_list", "Umask", "TracerPid", "THP_enabled", "untag_mask",
		"x86_Thread_features", "x86_Thread_features_locked", "Threads", NULL};
	FILE *f = fopen("/proc/self/status", "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f))
		for (int i = 0; keep[i]; i++) {
			size_t k = strlen(keep[i]);
			if (strncmp(line, keep[i], k) == 0 && line[k] == ':')
				printf("status %s", line);
		}
	if (f)
		fclose(f);
}

static void limits(void)
{
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit l;
		if (getrlimit(r, &l) == 0)
			printf("rlimit %d %llu %llu\n", r, (unsigned long long)l.rlim_cur,
			       (unsigned long long)l.rlim_max);
	}
}

static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int me = d ? dirfd(d) : -1;
	char lines[64][600];
	int n = 0;
	while (d && (de = readdir(d)) && n < 64) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == me)
			continue;
		char p[300], t[256];
		snprintf(p, sizeof(p), "/proc/self/fd/%s", de->d_name);
		ssize_t k = readlink(p, t, sizeof(t) - 1);
		t[k > 0 ? k : 0] = 0;
		/* pipes and sockets are named by inode: the same kind is enough */
		if (strncmp(t, "pipe:", 5) == 0 || strncmp(t, "socket:", 7) == 0)
			*strchr(t, ':') = 0;
		int fl = fcntl(atoi(de->d_name), F_GETFD) | fcntl(atoi(de->d_name), F_GETFL) << 4;
		snprintf(lines[n++], sizeof(lines[0]), "fd %s %s %#x", de->d_name, t, fl);
	}
	if (d)
		closedir(d);
	qsort(lines, (size_t)n, sizeof(lines[0]), (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < n; i++)
		printf("%s\n", lines[i]);
}

static void signals(void)
{
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;
		if (sigaction(s, NULL, &sa) != 0)
			continue;
		const char *h = sa.sa_handler == SIG_DFL ? "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "fn";
		printf("sigaction %d %s %#lx\n", s, h, (unsigned long)sa.sa_flags);
	}
	sigset_t m;
	sigprocmask(SIG_BLOCK, NULL, &m);
	printf("sigmask");
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&m, s) == 1)
			printf(" %d", s);
	printf("\n");
	stack_t ss;
	if (sigaltstack(NULL, &ss) == 0)
		printf("sigaltstack %#x %zu\n", ss.ss_flags, ss.ss_size);
}

static void process_state(void)
{
	int subreaper = 0, pdeath = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0);
	prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
	printf("prctl timerslack %d\n", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	printf("prctl dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	printf("prctl subreaper %d pdeathsig %d\n", subreaper, pdeath);
	printf("prctl no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("prctl thp_disable %d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	printf("prctl keepcaps %d securebits %d\n", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0),
	       prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	printf("prctl mdwe %d\n", prctl(66 /* PR_GET_MDWE */, 0, 0, 0, 0));
	printf("prctl ssb %d\n", prctl(PR_GET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS, 0, 0, 0));
	printf("prctl tsc %d\n", prctl(PR_GET_TSC, &pdeath, 0, 0, 0) == 0 ? pdeath : -1);
	char comm[17] = {0};
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	printf("comm %s\n", comm);
	printf("personality %#x\n", personality(0xffffffff));
	printf("sched policy %d nice %d\n", sched_getscheduler(0), getpriority(PRIO_PROCESS, 0));
	printf("ids %d %d %d %d pgid-is-ppid-or-self %d\n", getuid(), geteuid(), getgid(), getegid(),
	       getpgrp() == getpid() || getpgrp() == getppid());
	char p[64], *text = NULL;
	size_t cap = 0;
	snprintf(p, sizeof(p), "/proc/self/task/%d/children", getpid());
	FILE *f = fopen(p, "r");
	ssize_t n = f ? getline(&text, &cap, f) : -1;
	printf("children [%s]\n", n > 0 ? text : "");
	free(text);
	if (f)
		fclose(f);
}

/* Private kilobytes in the executable's file-backed text: a breakpoint's
 * copy-on-write page would show here. */
static void text_private(bool shape)
{
	char exe[4096], line[4608];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[k > 0 ? k : 0] = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	bool in_text = false;
	long anon = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char perm[8] = "", path[4096] = "";
		unsigned long long a, b, off;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &a, &b, perm, &off, path) >= 4 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in_text = strcmp(perm, "r-xp") == 0 && strcmp(path, exe) == 0;
			if (shape)
				printf("map %s %s\n", perm, path);
			continue;
		}
		long kb;
		if (in_text && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			anon += kb;
	}
	if (f)
		fclose(f);
	printf("text-private-kb %ld\n", anon);
}

int main(int argc, char **argv)
{
	bool shape = argc > 1 && strcmp(argv[1], "--maps") == 0;
	printf("hw-breakpoints %d\n", hw_breakpoints());
	status_fields();
	signals();
	limits();
	fds();
	process_state();
	text_private(shape);
	return 0;
}

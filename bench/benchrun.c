/*
 * benchrun.c - the measuring half of `make bench` (bench/run.sh): what a
 * shell cannot measure well. Built by bench/lib.sh into build/bench/.
 *
 *   benchrun exec [-o OUT] [-e ERR] [-s MS] -- CMD ARGS...
 *       Spawn CMD (stdout to OUT, stderr to ERR, default /dev/null), wait
 *       for it, print one line:
 *         wall_ns=N pid=P status=S utime_us=N stime_us=N maxrss_kb=N [smaps...]
 *       With -s MS, read /proc/PID/smaps of the running process MS ms after
 *       the start (if it is still running) and add the smaps fields below.
 *   benchrun smaps PID
 *       Print the smaps fields of a running process:
 *         pid=N exe=PATH exe_text_kb=N exe_huge_kb=N text_kb=N huge_kb=N
 *       exe_*: the executable mappings inside the main executable's image
 *       (file-backed by it, or anonymous/hugetlb/any mapping put in its
 *       place by a remapper), located from AT_PHDR and its program headers;
 *       text_kb/huge_kb: the same over every mapped ELF object (libraries'
 *       images are the span of their own file mappings). JIT code and other
 *       executable memory outside every image is not counted.
 *       huge = AnonHugePages + FilePmdMapped + Shared_Hugetlb + Private_Hugetlb.
 *   benchrun alt N -- CMD_A... [--- CMD_B... [--- ...]]
 *       Run the commands alternately (A B A B ...), N rounds, output to
 *       /dev/null; print per command one line "alt K: ns ns ns ...".
 *   benchrun memcpy MB REPS
 *       memcpy bandwidth of MB megabytes: "memcpy_mbps=X fresh_mbps=Y",
 *       medians over REPS: into a pre-faulted buffer, and into a fresh
 *       MADV_HUGEPAGE mapping (page faults included, as a remap pays them).
 * Must never: leave a child behind, or print anything but its result lines
 * on stdout (errors go to stderr, exit 2).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAXMAP 65536
#define HUGE_SZ ((size_t)2 << 20)

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* ---- smaps ------------------------------------------------------------ */

struct map {
	unsigned long long lo, hi, ino, huge_kb;
	char perms[8];
	char *path; /* "" for anonymous */
};

struct smaps_sum {
	char exe[PATH_MAX];
	unsigned long long exe_text_kb, exe_huge_kb, text_kb, huge_kb;
	unsigned long long rss_kb, pss_kb; /* the whole process (smaps_rollup) */
};

static unsigned long long kb_field(const char *line, const char *key)
{
	size_t n = strlen(key);
	return strncmp(line, key, n) == 0 ? strtoull(line + n, NULL, 10) : 0;
}

/* A mapping of a real file (not hugetlbfs' anonymous inode, not memfd). */
static int is_file(const struct map *m)
{
	return m->ino != 0 && m->path[0] == '/' && strncmp(m->path, "/anon_hugepage", 14) != 0 &&
	       strncmp(m->path, "/memfd:", 7) != 0 && strncmp(m->path, "/dev/", 5) != 0;
}

static int read_maps(int pid, struct map *maps, int max)
{
	char fn[64], line[8192];
	snprintf(fn, sizeof(fn), "/proc/%d/smaps", pid);
	FILE *f = fopen(fn, "r");
	if (!f)
		return -1;
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b, off, ino;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &a, &b, perms, &off, &ino,
			   &pos) == 5) {
			if (n == max)
				break;
			struct map *m = &maps[n++];
			m->lo = a;
			m->hi = b;
			m->ino = ino;
			m->huge_kb = 0;
			snprintf(m->perms, sizeof(m->perms), "%s", perms);
			line[strcspn(line, "\n")] = '\0';
			m->path = strdup(line + pos);
			continue;
		}
		if (n > 0)
			maps[n - 1].huge_kb += kb_field(line, "AnonHugePages:") +
					       kb_field(line, "FilePmdMapped:") +
					       kb_field(line, "Shared_Hugetlb:") +
					       kb_field(line, "Private_Hugetlb:");
	}
	fclose(f);
	return n;
}

/* The main executable's image [lo, hi): AT_PHDR minus the program headers'
 * own vaddr gives the load bias; PT_LOADs give the extent. */
static int exe_span(int pid, unsigned long long *lo, unsigned long long *hi)
{
	char fn[64];
	unsigned long long at_phdr = 0, v[2];
	snprintf(fn, sizeof(fn), "/proc/%d/auxv", pid);
	FILE *f = fopen(fn, "r");
	if (!f)
		return -1;
	while (fread(v, sizeof(v), 1, f) == 1 && v[0] != AT_NULL)
		if (v[0] == AT_PHDR)
			at_phdr = v[1];
	fclose(f);
	snprintf(fn, sizeof(fn), "/proc/%d/exe", pid);
	f = fopen(fn, "r");
	if (!f || !at_phdr) {
		if (f)
			fclose(f);
		return -1;
	}
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	int ok = fread(&eh, sizeof(eh), 1, f) == 1 && eh.e_phnum > 0 && eh.e_phnum <= 64 &&
		 fseek(f, (long)eh.e_phoff, SEEK_SET) == 0 &&
		 fread(ph, sizeof(ph[0]), eh.e_phnum, f) == eh.e_phnum;
	fclose(f);
	if (!ok)
		return -1;
	long long phdr_vaddr = -1;
	unsigned long long l = ~0ull, h = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_PHDR)
			phdr_vaddr = (long long)ph[i].p_vaddr;
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (phdr_vaddr < 0 && eh.e_phoff >= ph[i].p_offset &&
		    eh.e_phoff < ph[i].p_offset + ph[i].p_filesz)
			phdr_vaddr = (long long)(ph[i].p_vaddr + eh.e_phoff - ph[i].p_offset);
		if (ph[i].p_vaddr < l)
			l = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > h)
			h = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (phdr_vaddr < 0 || h <= l)
		return -1;
	unsigned long long bias = at_phdr - (unsigned long long)phdr_vaddr;
	*lo = (bias + l) & ~0xfffull;
	*hi = (bias + h + 0xfff) & ~0xfffull;
	return 0;
}

static int smaps_summary(int pid, struct smaps_sum *s)
{
	static struct map maps[MAXMAP];
	memset(s, 0, sizeof(*s));
	char fn[64];
	snprintf(fn, sizeof(fn), "/proc/%d/exe", pid);
	ssize_t len = readlink(fn, s->exe, sizeof(s->exe) - 1);
	if (len < 0)
		return -1;
	s->exe[len] = '\0';
	unsigned long long elo = 0, ehi = 0;
	int have_exe = exe_span(pid, &elo, &ehi) == 0;
	int n = read_maps(pid, maps, MAXMAP);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct map *m = &maps[i];
		if (m->perms[2] != 'x' || (m->path[0] == '[' && strncmp(m->path, "[anon:", 6) != 0))
			goto next; /* [vdso], [vsyscall]; keep named anonymous memory */
		int in_exe = have_exe && m->lo >= elo && m->hi <= ehi;
		/* A file mapping of the executable outside its image (V8 maps its
		 * builtins a second time near its code range) is not image text. */
		int in_obj = in_exe || (is_file(m) && strcmp(m->path, s->exe) != 0);
		for (int j = 0; !in_obj && !is_file(m) && j < n; j++) {
			/* anonymous: inside a library's image (the span of its mappings)? */
			if (!is_file(&maps[j]) || strcmp(maps[j].path, s->exe) == 0)
				continue;
			unsigned long long lo = ~0ull, hi = 0;
			for (int k = 0; k < n; k++)
				if (is_file(&maps[k]) && strcmp(maps[k].path, maps[j].path) == 0) {
					lo = maps[k].lo < lo ? maps[k].lo : lo;
					hi = maps[k].hi > hi ? maps[k].hi : hi;
				}
			in_obj = m->lo >= lo && m->hi <= hi;
		}
		if (in_exe) {
			s->exe_text_kb += (m->hi - m->lo) >> 10;
			s->exe_huge_kb += m->huge_kb;
		}
		if (in_obj) {
			s->text_kb += (m->hi - m->lo) >> 10;
			s->huge_kb += m->huge_kb;
		}
		if (getenv("BENCHRUN_DEBUG"))
			fprintf(stderr, "  %llx-%llx %s huge=%llu exe=%d obj=%d %s\n", m->lo, m->hi,
				m->perms, m->huge_kb, in_exe, in_obj, m->path);
	next:;
	}
	for (int i = 0; i < n; i++)
		free(maps[i].path);
	return 0;
}

/* Rss and Pss of the whole process, 0 if unreadable. */
static void rollup(int pid, struct smaps_sum *s)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/smaps_rollup", pid);
	FILE *f = fopen(p, "r");
	s->rss_kb = s->pss_kb = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Rss: %llu kB", &s->rss_kb);
		sscanf(line, "Pss: %llu kB", &s->pss_kb);
	}
	fclose(f);
}

static void print_smaps(int pid, const struct smaps_sum *s)
{
	printf("pid=%d exe=%s exe_text_kb=%llu exe_huge_kb=%llu text_kb=%llu huge_kb=%llu rss_kb=%llu "
	       "pss_kb=%llu", pid, s->exe, s->exe_text_kb, s->exe_huge_kb, s->text_kb, s->huge_kb,
	       s->rss_kb, s->pss_kb);
}

/* ---- spawning --------------------------------------------------------- */

static pid_t spawn(char **argv, const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "benchrun: %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

static int cmd_exec(int argc, char **argv)
{
	const char *out = "/dev/null", *err = "/dev/null";
	long smaps_ms = -1;
	int i = 2;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (i + 1 >= argc)
			return 2;
		if (strcmp(argv[i], "-o") == 0)
			out = argv[++i];
		else if (strcmp(argv[i], "-e") == 0)
			err = argv[++i];
		else if (strcmp(argv[i], "-s") == 0)
			smaps_ms = strtol(argv[++i], NULL, 10);
		else
			return 2;
	}
	if (i + 1 >= argc)
		return 2;
	unsigned long long t0 = now_ns();
	pid_t pid = spawn(argv + i + 1, out, err);
	if (pid < 0)
		return 2;
	struct smaps_sum s;
	int have_smaps = 0;
	if (smaps_ms >= 0) {
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		long long left = (long long)(t0 + (unsigned long long)smaps_ms * 1000000ull - now_ns());
		int r = pfd >= 0 ? poll(&p, 1, left > 0 ? (int)(left / 1000000) : 0) : -1;
		if (r == 0) { /* still running at the deadline */
			have_smaps = smaps_summary(pid, &s) == 0;
			rollup(pid, &s);
		}
		if (pfd >= 0)
			close(pfd);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
		;
	unsigned long long t1 = now_ns();
	printf("wall_ns=%llu pid=%d status=%d utime_us=%lld stime_us=%lld maxrss_kb=%ld", t1 - t0, pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss);
	if (have_smaps) {
		printf(" ");
		print_smaps(pid, &s);
	} else if (smaps_ms >= 0) {
		printf(" smaps=none");
	}
	printf("\n");
	return 0;
}

static int cmd_alt(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0)
		return 2;
	long rounds = strtol(argv[2], NULL, 10);
	char **cmds[16];
	int ncmd = 0;
	cmds[ncmd++] = &argv[4];
	for (int i = 4; i < argc; i++)
		if (strcmp(argv[i], "---") == 0) {
			argv[i] = NULL;
			if (ncmd < 16)
				cmds[ncmd++] = &argv[i + 1];
		}
	unsigned long long *ns = calloc((size_t)(rounds * ncmd), sizeof(*ns));
	if (!ns || rounds <= 0)
		return 2;
	for (long r = 0; r < rounds; r++)
		for (int c = 0; c < ncmd; c++) {
			unsigned long long t0 = now_ns();
			pid_t pid = spawn(cmds[c], "/dev/null", "/dev/null");
			if (pid < 0)
				return 2;
			int status;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			ns[r * ncmd + c] = now_ns() - t0;
		}
	for (int c = 0; c < ncmd; c++) {
		printf("alt %d:", c);
		for (long r = 0; r < rounds; r++)
			printf(" %llu", ns[r * ncmd + c]);
		printf("\n");
	}
	free(ns);
	return 0;
}

/* ---- memcpy ------------------------------------------------------------ */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static char *huge_alloc(size_t len, char **raw)
{
	*raw = mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED)
		return NULL;
	char *p = (char *)(((uintptr_t)*raw + HUGE_SZ - 1) & ~(uintptr_t)(HUGE_SZ - 1));
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static int cmd_memcpy(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	size_t len = strtoull(argv[2], NULL, 10) << 20;
	int reps = atoi(argv[3]);
	if (len == 0 || reps <= 0 || reps > 1000)
		return 2;
	char *rs, *rd, *src = huge_alloc(len, &rs), *dst = huge_alloc(len, &rd);
	double hot[1000], fresh[1000];
	if (!src || !dst)
		return 2;
	for (size_t i = 0; i < len; i++)
		src[i] = (char)(i * 131);
	memset(dst, 0, len);
	for (int r = 0; r < reps; r++) {
		unsigned long long t0 = now_ns();
		memcpy(dst, src, len);
		hot[r] = (double)len / 1048576.0 / ((double)(now_ns() - t0) / 1e9);
		char *raw, *d;
		t0 = now_ns();
		d = huge_alloc(len, &raw);
		if (!d)
			return 2;
		memcpy(d, src, len);
		fresh[r] = (double)len / 1048576.0 / ((double)(now_ns() - t0) / 1e9);
		if (d[len - 1] != src[len - 1] || dst[len / 2] != src[len / 2])
			return 2;
		munmap(raw, len + HUGE_SZ);
	}
	qsort(hot, (size_t)reps, sizeof(double), cmp_d);
	qsort(fresh, (size_t)reps, sizeof(double), cmp_d);
	printf("memcpy_mbps=%.0f fresh_mbps=%.0f\n", hot[reps / 2], fresh[reps / 2]);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;
	if (argc >= 2 && strcmp(argv[1], "exec") == 0)
		rc = cmd_exec(argc, argv);
	else if (argc >= 3 && strcmp(argv[1], "smaps") == 0) {
		struct smaps_sum s;
		int pid = atoi(argv[2]);
		if (smaps_summary(pid, &s) == 0) {
			rollup(pid, &s);
			print_smaps(pid, &s);
			printf("\n");
			rc = 0;
		} else {
			fprintf(stderr, "benchrun: cannot read smaps of %d\n", pid);
			rc = 1;
		}
	} else if (argc >= 2 && strcmp(argv[1], "alt") == 0)
		rc = cmd_alt(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "memcpy") == 0)
		rc = cmd_memcpy(argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: benchrun exec|smaps|alt|memcpy ... (see bench/benchrun.c)\n");
	return rc;
}

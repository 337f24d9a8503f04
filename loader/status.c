/*
 * status.c - `hugexec status [--json] [PID...]`: did it work?
 *
 * For each process, one line per executable mapping: address range, size,
 * KB on 2 MB pages and backing, read from /proc/PID/smaps:
 *   hugetlb   a hugetlb mapping (Private/Shared_Hugetlb)
 *   thp       anonymous memory on transparent huge pages (AnonHugePages)
 *   file-thp  the file's own page cache mapped by PMDs (FilePmdMapped)
 *   4k        none of it on huge pages
 * Anonymous and hugetlb text has no name of its own; it is shown as a copy
 * of the file its [anon:hugexec PATH] name gives, else of the file mapped
 * next to it, through other copies beside it (hugexec's swap keeps the
 * file's head and tail in place; --align=aggressive windows sit beside its
 * interior), if the copy lies inside that file's image.
 *
 * Given PIDs, any process is shown. Without, only processes with text
 * hugexec remapped, known by one of its marks (LD_ST_*):
 *   a) a mapping named [anon:hugexec ...] (kernels with
 *      CONFIG_ANON_VMA_NAME);
 *   b) /tmp/perf-PID.map, a regular file owned by the process's real,
 *      effective or saved uid or by root, with a line whose address lies
 *      in a copy: executable anonymous or hugetlb memory right next to a
 *      file's mapping (a JIT's own map names its code heap; but a runtime
 *      that copies its own text and logs code inside it, as node
 *      --use-largepages=on --perf-basic-prof does for V8's builtins, is
 *      listed too);
 *   c) file text with MADV_HUGEPAGE set (VmFlags "hg": hugexec's file
 *      backing) and mapped by PMDs.
 * Text that a program copied onto huge pages itself (node
 * --use-largepages=on, libhugetlbfs, an in-binary remap) bears none of
 * these and is not listed.
 * Must never: write to a process it looks at, or need privileges to look at
 * one's own processes.
 */
#define _GNU_SOURCE
#include "status.h"
#include "jsonreport.h"
#include "report.h"
#include "attach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HX_NAME_PREFIX "[anon:hugexec "

struct row {
	const struct hx_vma *v;
	const char *backing;
	const char *path;    /* the file, or the file this is a copy of */
	bool copy;           /* anonymous or hugetlb text in place of a file's */
	bool island;         /* a layout's hot island (its perf map mark) */
	char named[256];     /* the path from an [anon:hugexec PATH] name */
};

/* The islands a perf map marks (HX_ISLAND_MARK lines), at most a few. */
#define MAX_ISLANDS 16
struct islands {
	uint64_t at[MAX_ISLANDS];
	char what[MAX_ISLANDS][160]; /* "hot island: N functions, ..." */
	size_t n;
};

static bool is_text(const struct hx_vma *v)
{
	return (v->prot & PROT_EXEC) && v->kind != HX_VMA_VDSO && v->kind != HX_VMA_VSYSCALL;
}

static bool is_hugetlb(const struct hx_vma *v)
{
	return v->private_hugetlb_kb || v->shared_hugetlb_kb || (v->vmflags & HX_VMF_HT);
}

static const char *backing_of(const struct hx_vma *v)
{
	if (is_hugetlb(v))
		return "hugetlb";
	if (v->anon_huge_kb)
		return "thp";
	if (v->file_pmd_kb)
		return "file-thp";
	return "4k";
}

const char *ld_status_copy_of(const char *name, char *buf, size_t size)
{
	size_t pre = strlen(HX_NAME_PREFIX), n = strlen(name);
	if (n <= pre + 1 || strncmp(name, HX_NAME_PREFIX, pre) != 0 || name[n - 1] != ']' ||
	    n - pre - 1 >= size)
		return NULL;
	memcpy(buf, name + pre, n - pre - 1);
	buf[n - pre - 1] = '\0';
	return buf;
}

/* A file's own mapping (not hugetlb memory, which has an inode too). */
static bool real_file(const struct hx_vma *v)
{
	return v->kind == HX_VMA_FILE && !is_hugetlb(v) && strcmp(v->path, "/anon_hugepage") != 0;
}

/* Executable anonymous or hugetlb memory: a copy, if a file owns it. */
static bool copy_kind(const struct hx_vma *v)
{
	return is_text(v) && (v->kind == HX_VMA_ANON || is_hugetlb(v));
}

/* Does file mapping f's image - from its base (start - offset) to the end
 * of the file's last mapping - hold [v->start, v->end)? A library mapped
 * right below or above a copy is not its owner. */
static bool image_holds(const struct hx_vmas *m, const struct hx_vma *f, const struct hx_vma *v)
{
	uint64_t base = f->start - f->offset, end = 0;
	for (size_t k = 0; k < m->n; k++)
		if (real_file(&m->v[k]) && hx_vma_same_file(&m->v[k], f) && m->v[k].end > end)
			end = m->v[k].end;
	return f->start >= f->offset && v->start >= base && v->end <= end;
}

/* From m->v[i] through the copies right beside it (a region and its
 * --align=aggressive windows lie side by side), below it (down) or above,
 * to the first file mapping; NULL if the run ends before one. */
static const struct hx_vma *file_beside(const struct hx_vmas *m, size_t i, bool down)
{
	for (size_t j = i;;) {
		if (down ? j == 0 : j + 1 >= m->n)
			return NULL;
		size_t k = down ? j - 1 : j + 1;
		const struct hx_vma *w = &m->v[k];
		if (down ? w->end != m->v[j].start : w->start != m->v[j].end)
			return NULL;
		if (real_file(w))
			return w;
		if (!copy_kind(w))
			return NULL;
		j = k;
	}
}

const char *ld_status_owner(const struct hx_vmas *m, size_t i)
{
	for (int down = 1; down >= 0; down--) {
		const struct hx_vma *f = file_beside(m, i, down);
		if (f && image_holds(m, f, &m->v[i]))
			return f->path;
	}
	return NULL;
}

/* Executable anonymous or hugetlb memory where a file's text was. */
static bool is_copy(const struct hx_vmas *m, size_t i)
{
	return copy_kind(&m->v[i]) && ld_status_owner(m, i);
}

static void classify(const struct hx_vmas *m, size_t i, const struct islands *is, struct row *r)
{
	const struct hx_vma *v = &m->v[i];
	*r = (struct row){.v = v, .backing = backing_of(v), .path = v->path};
	for (size_t k = 0; is && k < is->n && v->kind != HX_VMA_FILE; k++)
		if (is->at[k] >= v->start && is->at[k] < v->end) {
			r->island = true;
			r->path = is->what[k];
			return;
		}
	if (v->kind == HX_VMA_ANON_NAMED && ld_status_copy_of(v->path, r->named, sizeof(r->named))) {
		r->copy = true;
		r->path = r->named; /* the name says whose copy it is */
	} else if (v->kind == HX_VMA_ANON || is_hugetlb(v)) {
		const char *f = ld_status_owner(m, i);
		r->copy = f != NULL;
		r->path = f ? f : is_hugetlb(v) ? "[hugetlb]" : "[anonymous]";
	}
}

/* The island a perf map line marks, if it is one: "ADDR 1 hugexec.island:
 * functions=N,kb=K[,samples=S%]" inside executable anonymous memory of m;
 * *is gets "hot island: N functions, K KB[, S% of the profile's samples]". */
static bool island_line(const struct hx_vmas *m, const char *line, unsigned long long at,
			struct islands *is)
{
	const char *name = strstr(line, " " HX_ISLAND_MARK);
	const struct hx_vma *v = hx_vmas_find(m, at);
	unsigned long n, kb;
	double share = -1;
	if (!name || !v || !is_text(v) || v->kind == HX_VMA_FILE ||
	    sscanf(name + 1 + strlen(HX_ISLAND_MARK), "functions=%lu,kb=%lu,samples=%lf", &n, &kb,
		   &share) < 2)
		return false;
	if (is && is->n < MAX_ISLANDS) {
		int w = snprintf(is->what[is->n], sizeof(is->what[0]), "hot island: %lu functions, %lu KB",
				 n, kb);
		if (share >= 0 && w > 0 && (size_t)w < sizeof(is->what[0]))
			snprintf(is->what[is->n] + w, sizeof(is->what[0]) - (size_t)w,
				 ", %.1f%% of the profile's samples", share);
		is->at[is->n++] = at;
	}
	return true;
}

/* Does a line of the perf map start inside one of m's copies, or mark an
 * island? The islands go to *is (may be NULL). */
static bool perfmap_names_copy(const struct hx_vmas *m, FILE *map, struct islands *is)
{
	char line[4096];
	bool any = false;
	while (fgets(line, sizeof(line), map)) {
		char *end;
		errno = 0;
		unsigned long long at = strtoull(line, &end, 16);
		if (end == line || errno || *end != ' ')
			continue;
		const struct hx_vma *v = hx_vmas_find(m, at);
		if (island_line(m, line, at, is) || (v && is_copy(m, (size_t)(v - m->v)))) {
			any = true;
			if (!is)
				return true;
		}
	}
	return any;
}

unsigned ld_status_marks(const struct hx_vmas *m, FILE *perfmap)
{
	unsigned marks = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (!is_text(v))
			continue;
		if (v->kind == HX_VMA_ANON_NAMED && strncmp(v->path, HX_NAME_PREFIX,
							    strlen(HX_NAME_PREFIX)) == 0)
			marks |= LD_ST_NAMED;
		if (real_file(v) && (v->vmflags & HX_VMF_HG) && v->file_pmd_kb > 0)
			marks |= LD_ST_FILE_HUGE;
	}
	if (perfmap && perfmap_names_copy(m, perfmap, NULL))
		marks |= LD_ST_PERFMAP;
	return marks;
}

/* Real, effective and saved uid of pid, from /proc/PID/status. */
static int uids_of(pid_t pid, unsigned long uid[3])
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (hx_read_file(path, 1 << 16, &text, NULL) < 0)
		return -1;
	const char *u = hx_status_value(text, "Uid");
	int r = u && sscanf(u, "%lu %lu %lu", &uid[0], &uid[1], &uid[2]) == 3 ? 0 : -1;
	free(text);
	return r;
}

/* pid's perf map, if it is a regular file of the process's user or of
 * root (nobody else's claims about a process count); else NULL. */
static FILE *open_perfmap(pid_t pid)
{
	char path[64];
	unsigned long uid[3];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)pid);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || uids_of(pid, uid) < 0 ||
	    (st.st_uid != 0 && st.st_uid != uid[0] && st.st_uid != uid[1] && st.st_uid != uid[2])) {
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

static const char *comm_of(pid_t pid, char *buf, size_t size)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	if (hx_read_file(path, 256, &text, NULL) == 0) {
		text[strcspn(text, "\n")] = '\0';
		ld_printable(text, buf, size);
		free(text);
	}
	return buf;
}

int ld_status_parse_pid(const char *s, pid_t *pid)
{
	long long v = 0;
	if (!*s)
		return -EINVAL;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		v = v * 10 + (*c - '0');
		if (v > INT_MAX)
			return -ERANGE;
	}
	if (v == 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* The executable mappings of m as rows, with the totals in kB. */
static size_t rows_of(const struct hx_vmas *m, const struct islands *is, struct row *rows,
		      uint64_t *text, uint64_t *huge)
{
	size_t n = 0;
	*text = *huge = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (!is_text(&m->v[i]))
			continue;
		classify(m, i, is, &rows[n]);
		if (!rows[n].island) { /* copies of functions already counted */
			*text += (rows[n].v->end - rows[n].v->start) >> 10;
			*huge += hx_vma_huge_bytes(rows[n].v) >> 10;
		}
		n++;
	}
	return n;
}

static void print_text(FILE *out, pid_t pid, const struct row *r, size_t n, uint64_t text,
		       uint64_t huge)
{
	char comm[64], path[512];
	const char *state = ld_undo_state(pid);
	fprintf(out, "%d %s%s%s\n", (int)pid, comm_of(pid, comm, sizeof(comm)),
		state ? ": " : "", !state ? "" : strcmp(state, "attached") == 0
		? "attached (hugexec undo puts the file's text back)" : "undone (its text is the file's)");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %012llx-%012llx %9llu KB %9llu KB huge  %-8s %s%s\n",
			(unsigned long long)r[i].v->start, (unsigned long long)r[i].v->end,
			(unsigned long long)((r[i].v->end - r[i].v->start) >> 10),
			(unsigned long long)(hx_vma_huge_bytes(r[i].v) >> 10), r[i].backing,
			r[i].copy ? "copy of " : "", ld_printable(r[i].path, path, sizeof(path)));
	fprintf(out, "  total: %llu KB of text, %llu KB on 2 MB pages\n", (unsigned long long)text,
		(unsigned long long)huge);
}

static void print_json(FILE *out, pid_t pid, const struct row *r, size_t n, uint64_t text,
		       uint64_t huge, bool first)
{
	char comm[64];
	fprintf(out, "%s\n  {\"pid\": %d, \"comm\": ", first ? "" : ",", (int)pid);
	ld_json_str(out, comm_of(pid, comm, sizeof(comm)));
	fprintf(out, ", \"mappings\": [");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s\n    {\"start\": \"0x%llx\", \"end\": \"0x%llx\", \"size_kb\": %llu, "
			"\"huge_kb\": %llu, \"backing\": \"%s\", \"copy\": %s, \"island\": %s, "
			"\"path\": ",
			i ? "," : "", (unsigned long long)r[i].v->start, (unsigned long long)r[i].v->end,
			(unsigned long long)((r[i].v->end - r[i].v->start) >> 10),
			(unsigned long long)(hx_vma_huge_bytes(r[i].v) >> 10), r[i].backing,
			r[i].copy ? "true" : "false", r[i].island ? "true" : "false");
		ld_json_str(out, r[i].path);
		fputc('}', out);
	}
	const char *state = ld_undo_state(pid);
	fprintf(out, "],\n   \"text_kb\": %llu, \"huge_kb\": %llu, \"attach\": %s%s%s}",
		(unsigned long long)text, (unsigned long long)huge, state ? "\"" : "",
		state ? state : "null", state ? "\"" : "");
}

/* Is pid hugexec's doing? Its islands (from the perf map) go to *is. */
static bool listed(pid_t pid, const struct hx_vmas *m, struct islands *is)
{
	FILE *map = open_perfmap(pid);
	bool named = map && perfmap_names_copy(m, map, is);
	if (map)
		fclose(map);
	return named || ld_status_marks(m, NULL) != 0;
}

/* 0 shown or skipped, 1 not readable (reason on stderr when asked for by
 * PID). */
static int one(pid_t pid, bool json, bool explicit_pid, bool *first)
{
	struct hx_vmas m;
	struct hx_err e = {0};
	if (hx_vmas_read(pid, true, &m, &e) < 0) {
		if (explicit_pid)
			fprintf(stderr, "hugexec: status: %d: %s\n", (int)pid, e.msg);
		return 1;
	}
	struct islands is = {.n = 0};
	if (listed(pid, &m, &is) || explicit_pid) {
		struct row *rows = calloc(m.n ? m.n : 1, sizeof(*rows));
		uint64_t text = 0, huge = 0;
		size_t n = rows ? rows_of(&m, &is, rows, &text, &huge) : 0;
		if (json)
			print_json(stdout, pid, rows, n, text, huge, *first);
		else
			print_text(stdout, pid, rows, n, text, huge);
		*first = false;
		free(rows);
	}
	hx_vmas_free(&m);
	return 0;
}

static int every_process(bool json, bool *first)
{
	DIR *d = opendir("/proc");
	if (!d) {
		fprintf(stderr, "hugexec: status: /proc: %s\n", strerror(errno));
		return 1;
	}
	struct dirent *de;
	pid_t pid;
	while ((de = readdir(d)) != NULL)
		if (ld_status_parse_pid(de->d_name, &pid) == 0)
			(void)one(pid, json, false, first);
	closedir(d);
	return 0;
}

int ld_status_main(int argc, char **argv)
{
	bool json = false, first = true, pids = false;
	int rc = 0;
	pid_t pid;
	for (int i = 1; i < argc; i++) {
		char nm[64];
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			puts("Usage: hugexec status [--json] [PID...]");
			return 0;
		} else if (ld_status_parse_pid(argv[i], &pid) < 0) {
			fprintf(stderr, "hugexec: status: '%s' is not a PID\n",
				ld_printable(argv[i], nm, sizeof(nm)));
			return 125;
		}
	}
	if (json)
		fputs("{\"processes\": [", stdout);
	for (int i = 1; i < argc; i++)
		if (ld_status_parse_pid(argv[i], &pid) == 0) {
			pids = true;
			rc |= one(pid, json, true, &first);
		}
	if (!pids)
		rc |= every_process(json, &first);
	if (json)
		fputs("\n]}\n", stdout);
	return rc;
}

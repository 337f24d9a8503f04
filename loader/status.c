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
 * of the file mapped right next to it (hugexec's swap keeps the file's
 * head and tail in place). Without PIDs, every readable process that shows
 * hugexec's marks is listed: text named [anon:hugexec ...], anonymous or
 * hugetlb executable memory next to a file's text, or file text with
 * MADV_HUGEPAGE set and PMD-mapped.
 * Must never: write to a process it looks at, or need privileges to look at
 * one's own processes.
 */
#define _GNU_SOURCE
#include "status.h"
#include "../common/maps.h"
#include "report.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct row {
	const struct hx_vma *v;
	const char *backing;
	const char *path;    /* the file, or the file this is a copy of */
	bool copy;           /* anonymous or hugetlb text in place of a file's */
	bool marked;         /* looks like hugexec's work */
};

static bool is_text(const struct hx_vma *v)
{
	return (v->prot & PROT_EXEC) && v->kind != HX_VMA_VDSO && v->kind != HX_VMA_VSYSCALL;
}

static const char *backing_of(const struct hx_vma *v)
{
	if (v->private_hugetlb_kb || v->shared_hugetlb_kb || (v->vmflags & HX_VMF_HT))
		return "hugetlb";
	if (v->anon_huge_kb)
		return "thp";
	if (v->file_pmd_kb)
		return "file-thp";
	return "4k";
}

/* The file whose text an anonymous mapping at index i replaced: the file
 * mapping that ends where it starts, or starts where it ends. */
static const char *neighbour_file(const struct hx_vmas *m, size_t i)
{
	const struct hx_vma *v = &m->v[i];
	if (i > 0 && m->v[i - 1].kind == HX_VMA_FILE && m->v[i - 1].end == v->start &&
	    strcmp(m->v[i - 1].path, "/anon_hugepage") != 0)
		return m->v[i - 1].path;
	if (i + 1 < m->n && m->v[i + 1].kind == HX_VMA_FILE && m->v[i + 1].start == v->end &&
	    strcmp(m->v[i + 1].path, "/anon_hugepage") != 0)
		return m->v[i + 1].path;
	return NULL;
}

static struct row classify(const struct hx_vmas *m, size_t i)
{
	const struct hx_vma *v = &m->v[i];
	struct row r = {v, backing_of(v), v->path, false, false};
	bool hugetlb = strcmp(r.backing, "hugetlb") == 0;
	if (v->kind == HX_VMA_ANON_NAMED && strncmp(v->path, "[anon:hugexec ", 14) == 0) {
		r.copy = r.marked = true;
		r.path = v->path; /* the name says whose copy it is */
	} else if (v->kind == HX_VMA_ANON || hugetlb) {
		const char *f = neighbour_file(m, i);
		r.copy = f != NULL;
		r.marked = f != NULL && (hx_vma_huge_bytes(v) > 0 || hugetlb);
		r.path = f ? f : (hugetlb ? "[hugetlb]" : "[anonymous]");
	} else if (v->kind == HX_VMA_FILE) {
		r.marked = (v->vmflags & HX_VMF_HG) && v->file_pmd_kb > 0;
	}
	return r;
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

/* JSON string body: quotes, backslashes and control bytes escaped. */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* The executable mappings of m as rows, with the totals in kB. */
static size_t rows_of(const struct hx_vmas *m, struct row *rows, uint64_t *text, uint64_t *huge)
{
	size_t n = 0;
	*text = *huge = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (!is_text(&m->v[i]))
			continue;
		rows[n] = classify(m, i);
		*text += (rows[n].v->end - rows[n].v->start) >> 10;
		*huge += hx_vma_huge_bytes(rows[n].v) >> 10;
		n++;
	}
	return n;
}

static void print_text(FILE *out, pid_t pid, const struct row *r, size_t n, uint64_t text,
		       uint64_t huge)
{
	char comm[64], path[512];
	fprintf(out, "%d %s\n", (int)pid, comm_of(pid, comm, sizeof(comm)));
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
	json_str(out, comm_of(pid, comm, sizeof(comm)));
	fprintf(out, ", \"mappings\": [");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s\n    {\"start\": \"0x%llx\", \"end\": \"0x%llx\", \"size_kb\": %llu, "
			"\"huge_kb\": %llu, \"backing\": \"%s\", \"copy\": %s, \"path\": ",
			i ? "," : "", (unsigned long long)r[i].v->start, (unsigned long long)r[i].v->end,
			(unsigned long long)((r[i].v->end - r[i].v->start) >> 10),
			(unsigned long long)(hx_vma_huge_bytes(r[i].v) >> 10), r[i].backing,
			r[i].copy ? "true" : "false");
		json_str(out, r[i].path);
		fputc('}', out);
	}
	fprintf(out, "],\n   \"text_kb\": %llu, \"huge_kb\": %llu}", (unsigned long long)text,
		(unsigned long long)huge);
}

static bool marked(const struct hx_vmas *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (is_text(&m->v[i]) && classify(m, i).marked)
			return true;
	return false;
}

/* 0 shown, 1 not readable (reason on stderr when asked for by PID). */
static int one(pid_t pid, bool json, bool explicit_pid, bool *first)
{
	struct hx_vmas m;
	struct hx_err e = {0};
	if (hx_vmas_read(pid, true, &m, &e) < 0) {
		if (explicit_pid)
			fprintf(stderr, "hugexec: status: %d: %s\n", (int)pid, e.msg);
		return 1;
	}
	if (explicit_pid || marked(&m)) {
		struct row *rows = calloc(m.n ? m.n : 1, sizeof(*rows));
		uint64_t text = 0, huge = 0;
		size_t n = rows ? rows_of(&m, rows, &text, &huge) : 0;
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

int ld_status_main(int argc, char **argv)
{
	bool json = false, first = true, pids = false;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			puts("Usage: hugexec status [--json] [PID...]");
			return 0;
		} else if (!isdigit((unsigned char)argv[i][0])) {
			fprintf(stderr, "hugexec: status: '%s' is not a PID\n", argv[i]);
			return 125;
		}
	}
	if (json)
		fputs("{\"processes\": [", stdout);
	for (int i = 1; i < argc; i++)
		if (isdigit((unsigned char)argv[i][0])) {
			pids = true;
			rc |= one((pid_t)atoi(argv[i]), json, true, &first);
		}
	if (!pids) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		while (d && (de = readdir(d)) != NULL)
			if (isdigit((unsigned char)de->d_name[0]))
				(void)one((pid_t)atoi(de->d_name), json, false, &first);
		if (d)
			closedir(d);
	}
	if (json)
		fputs("\n]}\n", stdout);
	return rc;
}

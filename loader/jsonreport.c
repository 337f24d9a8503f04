/*
 * jsonreport.c - the --report JSON (jsonreport.h; schema in
 * docs/report.md). Everything in it comes from the tracer's own results,
 * read back from smaps after the plan ran; build-ids come from the
 * helper's notes ("PATH: N MB at ADDR, build-id HEX"), checked to be hex.
 * Must never: write text from outside unescaped.
 */
#define _GNU_SOURCE
#include "jsonreport.h"
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void ld_json_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	while (*s) {
		size_t n = *s >= 0x80 ? utf8_len(s) : 1;
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\u%04x", *s);
		else if (n == 0)
			/* A byte that is not UTF-8 (paths are bytes): written as
			 * the code point of the same number, U+0080..U+00FF, so
			 * the output stays valid JSON and the byte can be told
			 * back (as Latin-1), though not from that character
			 * written in proper UTF-8. */
			fprintf(out, "\\u%04x", *s);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

static const char *const outcome_names[] = {"remapped", "partial", "unchanged",
					    "dry-run", "stopped", "gone"};

int ld_report_path(const char *pattern, pid_t pid, const char *program, char *out, size_t n)
{
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	size_t w = 0;
	for (const char *p = pattern; *p; p++) {
		char piece[256];
		if (p[0] == '%' && p[1] == 'p')
			snprintf(piece, sizeof(piece), "%d", (int)pid), p++;
		else if (p[0] == '%' && p[1] == 'n')
			snprintf(piece, sizeof(piece), "%s", base), p++;
		else if (p[0] == '%' && p[1] == '%')
			snprintf(piece, sizeof(piece), "%%"), p++;
		else
			snprintf(piece, sizeof(piece), "%c", *p);
		size_t k = strlen(piece);
		if (w + k + 1 > n)
			return -ENAMETOOLONG;
		memcpy(out + w, piece, k + 1);
		w += k;
	}
	if (n)
		out[w] = '\0';
	return 0;
}

/* The build-id the helper noted for the region at addr, or "". */
static void build_id_of(const struct hx_plan *p, uint64_t addr, char *out, size_t n)
{
	char key[64];
	out[0] = '\0';
	if (p->notes_str == HX_NO_STR)
		return;
	snprintf(key, sizeof(key), " at %#llx, build-id ", (unsigned long long)addr);
	const char *at = strstr(hx_plan_str(p, p->notes_str), key);
	if (!at)
		return;
	at += strlen(key);
	size_t k = 0;
	while (k + 1 < n && isxdigit((unsigned char)at[k]))
		out[k] = at[k], k++;
	out[k] = '\0';
}

static void str_or_null(FILE *f, const char *s)
{
	if (s && *s)
		ld_json_str(f, s);
	else
		fputs("null", f);
}

static void regions(FILE *f, const struct ld_tracer *tr)
{
	const struct hx_plan *p = &tr->pl.plan;
	fputs("  \"regions\": [", f);
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		char id[130];
		build_id_of(p, r->addr, id, sizeof(id));
		fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
		str_or_null(f, hx_plan_str(p, r->path_str));
		fputs(", \"build_id\": ", f);
		str_or_null(f, id);
		fprintf(f, ", \"address\": \"%#llx\", \"bytes\": %llu, \"huge_bytes\": %llu, "
			"\"backing\": \"%s\", \"kind\": \"%s\"",
			(unsigned long long)r->addr, (unsigned long long)r->len,
			(unsigned long long)r->huge_bytes, hx_backing_name(r->backing),
			r->island ? "island" : r->edge ? "window" : "text");
		if (r->island)
			fprintf(f, ", \"functions\": %u, \"moved_bytes\": %llu", r->functions,
				(unsigned long long)r->moved_bytes);
		fputc('}', f);
	}
	fputs(tr->out.n_regions ? "\n  ],\n" : "],\n", f);
}

static void layout(FILE *f, const struct ld_tracer *tr)
{
	struct ld_layout_totals t = ld_layout_totals(tr);
	unsigned islands = t.islands;
	uint64_t funcs = t.functions, bytes = t.moved_bytes, len = t.bytes;
	double share = t.share;
	if (!islands) {
		fputs("  \"layout\": null,\n", f);
		return;
	}
	fprintf(f, "  \"layout\": {\"islands\": %u, \"functions\": %llu, \"moved_bytes\": %llu, "
		"\"island_bytes\": %llu, \"profile_share\": ", islands, (unsigned long long)funcs,
		(unsigned long long)bytes, (unsigned long long)len);
	if (tr->pl.profile_fd >= 0)
		fprintf(f, "%.4f},\n", share);
	else
		fputs("null},\n", f);
}

/* Warnings: what -v would add to the summary, one string each. */
static void warnings(FILE *f, const struct ld_tracer *tr)
{
	char buf[700];
	const char *w[4];
	size_t n = 0;
	if (tr && tr->pl.warn[0])
		w[n++] = tr->pl.warn;
	if (tr && tr->pl.have_plan && tr->pl.plan.warn_str != HX_NO_STR)
		w[n++] = hx_plan_str(&tr->pl.plan, tr->pl.plan.warn_str);
	if (tr && tr->out.regions && ld_first_failure(tr, buf, sizeof(buf)))
		w[n++] = buf;
	fputs("  \"warnings\": [", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		ld_json_str(f, w[i]);
	}
	fputs("]\n", f);
}

static void body(FILE *f, pid_t pid, const char *program, enum ld_outcome_kind outcome,
		 const char *why, const struct ld_tracer *tr)
{
	fprintf(f, "{\n  \"schema\": \"hugexec-report/1\",\n  \"version\": \"%s\",\n  \"pid\": %d,\n"
		"  \"program\": ", HX_VERSION, (int)pid);
	ld_json_str(f, program);
	fprintf(f, ",\n  \"outcome\": \"%s\",\n  \"reason\": ", outcome_names[outcome]);
	str_or_null(f, why);
	fputs(",\n", f);
	uint64_t huge = 0, planned = 0;
	if (tr)
		ld_totals(tr, &huge, &planned);
	fprintf(f, "  \"text_bytes\": %llu,\n  \"huge_bytes\": %llu,\n", (unsigned long long)planned,
		(unsigned long long)huge);
	if (tr) {
		regions(f, tr);
		layout(f, tr);
		const struct ld_times *t = &tr->t;
		double plan = t->plan_ns > t->entry_ns ? (double)(t->plan_ns - t->entry_ns) / 1e6 : 0;
		double apply = t->done_ns > t->plan_ns ? (double)(t->done_ns - t->plan_ns) / 1e6 : 0;
		fprintf(f, "  \"times_ms\": {\"plan\": %.3f, \"apply\": %.3f, \"held\": %.3f},\n", plan,
			apply, plan + apply);
		fprintf(f, "  \"syscalls\": %lu,\n", tr->inj.n_syscalls);
	} else {
		fputs("  \"regions\": [],\n  \"layout\": null,\n  \"times_ms\": null,\n"
		      "  \"syscalls\": 0,\n", f);
	}
	warnings(f, tr);
	fputs("}\n", f);
}

struct report {
	pid_t pid;
	const char *program, *why;
	enum ld_outcome_kind outcome;
	const struct ld_tracer *tr;
};

static void fill(FILE *f, const void *ctx)
{
	const struct report *r = ctx;
	body(f, r->pid, r->program, r->outcome, r->why, r->tr);
}

int ld_json_report(const char *pattern, pid_t pid, const char *program,
		   enum ld_outcome_kind outcome, const char *why, const struct ld_tracer *tr,
		   struct hx_err *e)
{
	char path[4096];
	if (ld_report_path(pattern, pid, program, path, sizeof(path)) < 0)
		return hx_fail(e, -ENAMETOOLONG, "--report: the file name is too long");
	const struct report r = {pid, program, why, outcome, tr};
	return hx_write_replace(path, 0644, fill, &r, e) < 0 ? hx_wrap(e, "--report") : 0;
}

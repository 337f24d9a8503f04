/*
 * report.c - the wording of hugexec's output (see report.h).
 * Must never: print a byte from outside without ld_printable().
 */
#define _GNU_SOURCE
#include "report.h"
#include "../common/kernel.h"

#include <string.h>
#include <sys/mman.h>

const char *ld_printable(const char *s, char *buf, size_t size)
{
	size_t i = 0;
	for (; s[i] && i + 1 < size; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

const char *ld_size(uint64_t b, char *buf, size_t size)
{
	if (b >= (1u << 20) && b % (1u << 20) == 0)
		snprintf(buf, size, "%llu MB", (unsigned long long)(b >> 20));
	else if (b >= (1u << 20))
		snprintf(buf, size, "%.1f MB", (double)b / (1 << 20));
	else
		snprintf(buf, size, "%llu KB", (unsigned long long)(b >> 10));
	return buf;
}

static const char *advice_name(uint64_t a)
{
	switch (a) {
	case MADV_HUGEPAGE: return "MADV_HUGEPAGE";
	case MADV_DONTNEED: return "MADV_DONTNEED";
	case MADV_POPULATE_READ: return "MADV_POPULATE_READ";
	case MADV_COLLAPSE: return "MADV_COLLAPSE";
	default: return "?";
	}
}

static void step_line(FILE *out, const struct hx_plan *p, const struct hx_plan_step *s)
{
	char sz[32], txt[128];
	const uint64_t *a = s->a;
	const char *opt = (s->flags & HX_STEP_OPTIONAL) ? "  (optional)" : "";
	switch (s->op) {
	case HX_OP_MMAP:
		fprintf(out, "      mmap      %#llx %s %s%s%s%s\n", (unsigned long long)a[0],
			ld_size(a[1], sz, sizeof(sz)),
			(a[2] & PROT_WRITE) ? "rw-" : (a[2] & PROT_EXEC) ? "r-x" : "r--",
			(a[3] & MAP_HUGETLB) ? " hugetlb" : " anonymous", "", opt);
		break;
	case HX_OP_MADVISE:
		fprintf(out, "      madvise   %#llx %s %s%s\n", (unsigned long long)a[0],
			ld_size(a[1], sz, sizeof(sz)), advice_name(a[2]), opt);
		break;
	case HX_OP_MPROTECT:
		fprintf(out, "      mprotect  %#llx %s %s%s\n", (unsigned long long)a[0],
			ld_size(a[1], sz, sizeof(sz)), (a[2] & PROT_EXEC) ? "r-x" : "rw-", opt);
		break;
	case HX_OP_MREMAP:
		fprintf(out, "      mremap    %#llx -> %#llx %s%s\n", (unsigned long long)a[0],
			(unsigned long long)a[2], ld_size(a[1], sz, sizeof(sz)), opt);
		break;
	case HX_OP_COPY:
	case HX_OP_READ_FILE:
	case HX_OP_TRACER_COPY:
	case HX_OP_VERIFY:
		fprintf(out, "      %-9s %#llx <- %#llx %s%s\n", hx_op_name(s->op),
			(unsigned long long)a[0], (unsigned long long)a[1],
			ld_size(a[2], sz, sizeof(sz)), opt);
		break;
	case HX_OP_POKE:
		fprintf(out, "      poke      %#llx %s%s\n", (unsigned long long)a[0],
			ld_size(a[2], sz, sizeof(sz)), opt);
		break;
	case HX_OP_EH_REGISTER:
		fprintf(out, "      eh-register %#llx %s (unwind records)%s\n", (unsigned long long)a[0],
			ld_size(a[1], sz, sizeof(sz)), opt);
		break;
	case HX_OP_NAME:
		fprintf(out, "      name      %#llx \"%s\"%s\n", (unsigned long long)a[0],
			ld_printable(hx_plan_str(p, (uint32_t)a[2]), txt, sizeof(txt)), opt);
		break;
	default:
		fprintf(out, "      %-9s %#llx %s%s\n", hx_op_name(s->op), (unsigned long long)a[0],
			ld_size(a[1], sz, sizeof(sz)), opt);
	}
}

void ld_report_plan(FILE *out, const char *name, const struct hx_plan *p)
{
	char nm[256], path[512], sz[32];
	fprintf(out, "hugexec: %s: plan: %u group%s, %u steps\n", ld_printable(name, nm, sizeof(nm)),
		p->n_groups, p->n_groups == 1 ? "" : "s", p->n_steps);
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct hx_plan_group *g = &p->groups[i];
		fprintf(out, "  group %u%s: %s %#llx %s -> %s", i,
			g->alt_of >= 0 ? " (if the one before fails)" : "",
			ld_printable(hx_plan_str(p, g->path_str), path, sizeof(path)),
			(unsigned long long)g->addr, ld_size(g->len, sz, sizeof(sz)),
			hx_backing_name(g->backing));
		if (g->staging)
			fprintf(out, ", staged at %#llx", (unsigned long long)g->staging);
		fputc('\n', out);
		for (uint32_t k = 0; k < g->n_steps; k++) {
			const struct hx_plan_step *st = &p->steps[g->first_step + k];
			if (st->op != HX_OP_MOVED && st->op != HX_OP_PATCH) {
				step_line(out, p, st);
				continue;
			}
			/* a layout's runs of moved functions and patches: counted */
			uint32_t n = 0;
			uint64_t bytes = 0;
			for (; k < g->n_steps && p->steps[g->first_step + k].op == st->op; k++, n++)
				bytes += p->steps[g->first_step + k].a[2];
			k--;
			if (st->op == HX_OP_MOVED)
				fprintf(out, "      moved     %u functions, %s\n", n,
					ld_size(bytes, sz, sizeof(sz)));
			else
				fprintf(out, "      patch     %u entries (jmp rel32 to the copy)\n", n);
		}
	}
}

void ld_report_lines(FILE *out, const char *name, const char *prefix, const char *text)
{
	char nm[256], line[600];
	const char *s = text;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char raw[600];
		if (n >= sizeof(raw))
			n = sizeof(raw) - 1;
		memcpy(raw, s, n);
		raw[n] = '\0';
		fprintf(out, "hugexec: %s: %s%s\n", ld_printable(name, nm, sizeof(nm)), prefix,
			ld_printable(raw, line, sizeof(line)));
		s = nl ? nl + 1 : s + n;
	}
}

void ld_report_notes(FILE *out, const char *name, const struct hx_plan *p)
{
	ld_report_lines(out, name, "note: ", hx_plan_str(p, p->notes_str));
}

void ld_totals(const struct ld_tracer *tr, uint64_t *huge, uint64_t *planned)
{
	*huge = *planned = 0;
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		if (tr->out.regions[i].island)
			continue; /* not the program's text: said on its own */
		*huge += tr->out.regions[i].huge_bytes;
		*planned += tr->out.regions[i].len;
	}
	*planned += tr->pl.plan.left_bytes; /* qualified, no way to huge pages */
}

/* "thp 16 MB, file 4 MB" */
static void by_backing(const struct ld_tracer *tr, char *buf, size_t size)
{
	size_t w = 0;
	buf[0] = '\0';
	for (uint32_t b = HX_BACK_FILE; b < HX_BACK_COUNT; b++) {
		uint64_t sum = 0;
		for (size_t i = 0; i < tr->out.n_regions; i++)
			if (tr->out.regions[i].backing == b && !tr->out.regions[i].island)
				sum += tr->out.regions[i].huge_bytes;
		if (!sum || w >= size)
			continue;
		char sz[32];
		w += (size_t)snprintf(buf + w, size - w, "%s%s %s", w ? ", " : "", hx_backing_name(b),
				      ld_size(sum, sz, sizeof(sz)));
	}
}

const char *ld_layout_failure(const struct ld_tracer *tr, char *buf, size_t size)
{
	for (uint32_t g = 0; g < tr->pl.plan.n_groups && tr->out.groups; g++)
		if ((tr->pl.plan.groups[g].flags & HX_GROUP_LAYOUT) &&
		    tr->out.groups[g].state == LD_G_FAILED) {
			snprintf(buf, size, "layout: an island was not installed (%s)%s",
				 tr->out.groups[g].why.msg, tr->out.island_kept ? "; it stays mapped, "
				 "never entered: the unwinder may hold its records" : "");
			return buf;
		}
	return NULL;
}

const char *ld_first_failure(const struct ld_tracer *tr, char *buf, size_t size)
{
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		if (r->island)
			continue; /* a layout that failed is said on its own; text stays */
		if (r->backing != HX_BACK_NONE && r->huge_bytes < r->len) {
			/* THP windows that would not collapse stay small */
			char path[300], a[32], b[32];
			snprintf(buf, size, "%s: only %s of %s on 2 MB pages (%s)",
				 ld_printable(hx_plan_str(&tr->pl.plan, r->path_str), path, sizeof(path)),
				 ld_size(r->huge_bytes, a, sizeof(a)), ld_size(r->len, b, sizeof(b)),
				 hx_backing_name(r->backing));
			return buf;
		}
		if (r->backing != HX_BACK_NONE)
			continue;
		snprintf(buf, size, "a region stayed on 4 KB pages");
		for (uint32_t g = 0; g < tr->pl.plan.n_groups; g++)
			if (tr->pl.plan.groups[g].addr == tr->out.regions[i].addr &&
			    tr->out.groups[g].state == LD_G_FAILED) {
				char path[300];
				snprintf(buf, size, "%s: %s: %s",
					 ld_printable(hx_plan_str(&tr->pl.plan, tr->out.regions[i].path_str),
						      path, sizeof(path)),
					 hx_backing_name(tr->pl.plan.groups[g].backing), tr->out.groups[g].why.msg);
			}
		return buf;
	}
	if (tr->pl.plan.left_bytes) {
		char sz[32];
		const struct hx_plan *p = &tr->pl.plan;
		snprintf(buf, size, "%s of the text got no 2 MB pages: %s",
			 ld_size(p->left_bytes, sz, sizeof(sz)),
			 p->reason_str != HX_NO_STR ? hx_plan_str(p, p->reason_str)
						    : "no way to huge pages");
		return buf;
	}
	return NULL;
}

double ld_profile_share(const struct ld_tracer *tr)
{
	double share = 0;
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		if (r->island)
			continue;
		share += (double)r->heat / HX_HEAT_ALL * ((double)r->huge_bytes / (double)r->len);
	}
	return share;
}

struct ld_layout_totals ld_layout_totals(const struct ld_tracer *tr)
{
	struct ld_layout_totals t = {0};
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		if (!r->island || !r->functions)
			continue;
		t.islands++;
		t.functions += r->functions;
		t.moved_bytes += r->moved_bytes;
		t.huge_bytes += r->huge_bytes;
		t.bytes += r->len;
		t.share += (double)r->heat / HX_HEAT_ALL;
	}
	return t;
}

void ld_layout_summary(const struct ld_tracer *tr, char *buf, size_t size)
{
	struct ld_layout_totals t = ld_layout_totals(tr);
	uint64_t funcs = t.functions, bytes = t.moved_bytes, huge = t.huge_bytes, len = t.bytes;
	unsigned islands = t.islands;
	double share = t.share;
	buf[0] = '\0';
	if (!islands)
		return;
	char sz1[32], sz2[32], sz3[32];
	int w = snprintf(buf, size, "layout: %llu functions (%s) in %u island%s, %s of %s on 2 MB "
			 "pages", (unsigned long long)funcs, ld_size(bytes, sz1, sizeof(sz1)), islands,
			 islands == 1 ? "" : "s", ld_size(huge, sz2, sizeof(sz2)),
			 ld_size(len, sz3, sizeof(sz3)));
	if (w > 0 && (size_t)w < size && tr->pl.profile_fd >= 0 && share > 0)
		snprintf(buf + w, size - (size_t)w, ", %.1f%% of the profile's samples", share * 100);
}

void ld_report_summary(FILE *out, const char *name, const struct ld_tracer *tr)
{
	char nm[256], sz1[32], sz2[32], how[160];
	uint64_t huge, planned;
	ld_totals(tr, &huge, &planned);
	by_backing(tr, how, sizeof(how));
	double ms = (double)(tr->t.done_ns - tr->t.entry_ns) / 1e6;
	uint64_t edges = 0;
	for (size_t i = 0; i < tr->out.n_regions; i++)
		edges += tr->out.regions[i].edge ? tr->out.regions[i].huge_bytes : 0;
	char more[192] = "", sz3[32];
	if (edges)
		snprintf(more, sizeof(more), ", %s more from --align=aggressive",
			 ld_size(edges, sz3, sizeof(sz3)));
	/* --profile, when it was used: how much of it runs on 2 MB pages now */
	if (tr->pl.profile_fd >= 0 && tr->pl.plan.warn_str == HX_NO_STR) {
		size_t w = strlen(more);
		snprintf(more + w, sizeof(more) - w, ", %.1f%% of the profile's samples",
			 ld_profile_share(tr) * 100.0);
	}
	size_t regions = 0;
	for (size_t i = 0; i < tr->out.n_regions; i++)
		regions += !tr->out.regions[i].island;
	char lay[200];
	ld_layout_summary(tr, lay, sizeof(lay));
	if (regions == 0 && lay[0]) { /* only a layout: small programs, --move=all */
		fprintf(out, "hugexec: %s: %s, %lu syscalls, %.1f ms\n",
			ld_printable(name, nm, sizeof(nm)), lay, tr->inj.n_syscalls, ms);
		return;
	}
	fprintf(out, "hugexec: %s: %s of %s of text on 2 MB pages%s%s%s%s, %zu region%s%s%s, "
		"%lu syscalls, %.1f ms\n", ld_printable(name, nm, sizeof(nm)),
		ld_size(huge, sz1, sizeof(sz1)), ld_size(planned, sz2, sizeof(sz2)),
		how[0] ? " (" : "", how, how[0] ? ")" : "", more, regions,
		regions == 1 ? "" : "s", lay[0] ? "; " : "", lay, tr->inj.n_syscalls, ms);
}

void ld_report_regions(FILE *out, const char *name, const struct ld_tracer *tr)
{
	char nm[256], path[512], sz1[32], sz2[32];
	ld_printable(name, nm, sizeof(nm));
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		fprintf(out, "hugexec: %s: %s %#llx %s: %s on 2 MB pages (%s)\n", nm,
			ld_printable(hx_plan_str(&tr->pl.plan, r->path_str), path, sizeof(path)),
			(unsigned long long)r->addr, ld_size(r->len, sz1, sizeof(sz1)),
			ld_size(r->huge_bytes, sz2, sizeof(sz2)), hx_backing_name(r->backing));
	}
	double plan_ms = (double)(tr->t.plan_ns - tr->t.entry_ns) / 1e6;
	fprintf(out, "hugexec: %s: time: %.1f ms to plan and validate", nm, plan_ms);
	for (uint32_t g = 0; g < tr->pl.plan.n_groups && tr->out.groups && tr->out.step_ns; g++) {
		if (tr->out.groups[g].state == LD_G_NOT_RUN)
			continue;
		const struct hx_plan_group *pg = &tr->pl.plan.groups[g];
		uint64_t sum = 0;
		for (uint32_t k = 0; k < pg->n_steps; k++)
			sum += tr->out.step_ns[pg->first_step + k];
		fprintf(out, "; group %u %.1f ms (", g, (double)sum / 1e6);
		for (uint32_t k = 0; k < pg->n_steps; k++) /* the steps that cost something */
			if (tr->out.step_ns[pg->first_step + k] >= 500000)
				fprintf(out, "%s%s %.1f", k ? " " : "",
					hx_op_name(tr->pl.plan.steps[pg->first_step + k].op),
					(double)tr->out.step_ns[pg->first_step + k] / 1e6);
		fputc(')', out);
	}
	fputc('\n', out);
	for (uint32_t g = 0; g < tr->pl.plan.n_groups && tr->out.groups; g++)
		if (tr->out.groups[g].state == LD_G_FAILED)
			fprintf(out, "hugexec: %s: group %u (%s) rolled back at step %d: %s\n", nm, g,
				hx_backing_name(tr->pl.plan.groups[g].backing), tr->out.groups[g].failed_step,
				tr->out.groups[g].why.msg);
}

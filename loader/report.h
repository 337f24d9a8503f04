/*
 * report.h - turn plans and outcomes into the lines hugexec prints.
 *
 * Formatting only: main.c hands in the stream and decides when anything is
 * printed. Text from outside (paths, helper notes) is made printable first.
 * Must never: print unless called with a stream.
 */
#ifndef LD_REPORT_H
#define LD_REPORT_H

#include <stdio.h>
#include "tracer.h"

/* Copy s into buf with control bytes replaced by '?'. */
const char *ld_printable(const char *s, char *buf, size_t size);

/* "16 MB", "1.5 MB", "512 KB". */
const char *ld_size(uint64_t bytes, char *buf, size_t size);

/* The plan, one line per group and per step (-vv, --dry-run). */
void ld_report_plan(FILE *out, const char *name, const struct hx_plan *p);

/* Each line of text as "hugexec: NAME: PREFIXline", made printable. */
void ld_report_lines(FILE *out, const char *name, const char *prefix, const char *text);

/* The helper's notes, one per line, prefixed. */
void ld_report_notes(FILE *out, const char *name, const struct hx_plan *p);

/* One line: what is on 2 MB pages now, how, and how long it took (-v). */
void ld_report_summary(FILE *out, const char *name, const struct ld_tracer *tr);
/* "layout: N functions (K) in M islands, ..." for the summary line, or ""
 * when no island is in place. */
void ld_layout_summary(const struct ld_tracer *tr, char *buf, size_t size);

/* One line per region and per failed group (-vv). */
void ld_report_regions(FILE *out, const char *name, const struct ld_tracer *tr);

/* The first failed group's reason, or NULL if every region went huge. */
const char *ld_first_failure(const struct ld_tracer *tr, char *buf, size_t size);

/* Why the first layout group that failed did, or NULL. */
const char *ld_layout_failure(const struct ld_tracer *tr, char *buf, size_t size);

/* --profile: the share (0..1) of the profile's samples that fall in text
 * now on huge pages (a region partly huge counts in proportion). */
double ld_profile_share(const struct ld_tracer *tr);

/* Bytes now on huge pages, and bytes planned, over all regions. */
void ld_totals(const struct ld_tracer *tr, uint64_t *huge, uint64_t *planned);

/* The hot islands that were installed, added up. */
struct ld_layout_totals {
	unsigned islands;
	uint64_t functions, moved_bytes, bytes, huge_bytes;
	double share; /* of the profile's samples */
};
struct ld_layout_totals ld_layout_totals(const struct ld_tracer *tr);

#endif

/*
 * jsonreport.h - `--report=FILE`: what one launch did, as one JSON object,
 * for CI jobs to archive and compare (schema: docs/report.md).
 *
 * Written before the program is let go (a job that reads the file after
 * the command returns finds it complete), to FILE.PID.tmp (created, never
 * opened if there) then renamed.
 * FILE may hold %p (the program's PID) and %n (its file name).
 * Must never: hold the program longer than writing a small file takes,
 * or fail the launch: a report that cannot be written is one error line.
 */
#ifndef LD_JSONREPORT_H
#define LD_JSONREPORT_H

#include "tracer.h"

/* What became of the launch. */
enum ld_outcome_kind {
	LD_OUT_REMAPPED,   /* every qualifying byte of text on 2 MB pages */
	LD_OUT_PARTIAL,    /* some of it */
	LD_OUT_UNCHANGED,  /* runs unmodified (why says why) */
	LD_OUT_DRY_RUN,    /* --dry-run: planned, not run */
	LD_OUT_STOPPED,    /* not let run: --strict, or it could not be restored */
	LD_OUT_GONE,       /* it ended before its entry point */
};

/* Write the report for pid. tr is NULL when no tracer ran (the program
 * was not traced at all); why is "" or the reason. */
int ld_json_report(const char *pattern, pid_t pid, const char *program,
		   enum ld_outcome_kind outcome, const char *why, const struct ld_tracer *tr,
		   struct hx_err *e) HX_WUR;

/* str as a JSON string, quoted; valid JSON whatever the bytes (also
 * `hugexec status --json`'s). */
void ld_json_str(FILE *out, const char *str);

/* The file name pattern expanded (pure, for tests). -ENAMETOOLONG. */
int ld_report_path(const char *pattern, pid_t pid, const char *program, char *out, size_t n);

#endif

/*
 * perfmap.h - write /tmp/perf-PID.map for text that became anonymous, so
 * that perf, bcc and other symbolizers still name its functions.
 *
 * The map is written after the program was let go, and the program may
 * write its own map under the same name (node --perf-basic-prof, the JVM's
 * perf-map-agent, LuaJIT): hugexec never truncates or writes into a file
 * that may be the program's. The whole map is built in memory, written to
 * a fresh file of a random name in the same directory (O_CREAT|O_EXCL|
 * O_NOFOLLOW, 0600, owned by the program's user) and hard-linked to the
 * name: link() fails if the name exists, and never follows a symlink
 * there. An existing file is replaced only when it is a stale map: a
 * regular file of the program's user, with one link, last written before
 * the program's process was created (LD_PM_STALE_MARGIN_NS earlier, for
 * coarse file clocks). Anything else is left alone, with a message saying
 * why. A program that later opens the name with "w" truncates our whole
 * file; with "a" it appends after it: both leave a well-formed map.
 * Must never: follow a symlink, write through a hard link, write into an
 * existing file, or change a file that belongs to someone else.
 */
#ifndef LD_PERFMAP_H
#define LD_PERFMAP_H

#include "tracer.h"

/* A file changed this long before the process was created is stale for
 * sure: file times come from a coarse clock (up to a tick behind) and some
 * file systems keep only seconds (FAT: two). */
#define LD_PM_STALE_MARGIN_NS (2 * 1000000000LL)

/* From which verbosity on a message is shown. The perf map stage runs once
 * the program runs on, so its messages may land amid the program's output:
 * by default only errors and refusals, one line each. */
enum ld_pm_level {
	LD_PM_ALWAYS = 0, /* an error, or a refusal (a symlink, another user's file...) */
	LD_PM_V = 1,      /* -v: why the map is missing or partial */
	LD_PM_VV = 2,     /* -vv: what was written */
};

struct ld_pm_msg {
	int level;        /* enum ld_pm_level */
	char text[600];   /* one line, without "perf map: "; raw bytes (paths) */
};

/* What the perf map stage did, for main.c to print. */
struct ld_pm_report {
	struct ld_pm_msg *msg;  /* in order */
	size_t n;
};

/* Once the program runs on (off its critical path): ask the helper for the
 * symbols of the regions that ended as copies, keep the lines that name a
 * function overlapping them, and install dir/perf-PID.map ("/tmp"
 * normally). Never fails as such: what happened is in *rep (free it with
 * ld_pm_report_free even so). */
void ld_perfmap_run(const struct ld_tracer *tr, const char *dir, struct ld_pm_report *rep);
void ld_pm_report_free(struct ld_pm_report *rep);

/* Will ld_perfmap_run have a map to write: did some region end as a copy? */
bool ld_perfmap_wanted(const struct ld_tracer *tr);

/* The parts, for tests. */

/* Does line (n bytes, no newline) read "START SIZE NAME" in hex, with a
 * printable name and [START, START+SIZE) overlapping [lo, hi)? */
bool ld_perfmap_line_ok(const char *line, size_t n, uint64_t lo, uint64_t hi);

/* Append the good lines of text (the helper's, untrusted) for [lo, hi) to
 * *buf (malloc'd, *len bytes, terminated), counting them in *lines. */
int ld_perfmap_filter(const char *text, uint64_t lo, uint64_t hi, char **buf, size_t *len,
		      size_t *lines) HX_WUR;

/* Install text as dir/perf-PID.map as described above. Returns 1 if
 * written, 0 if an existing file was left alone, -errno on failure; a
 * message in rep either way but the plain success. */
int ld_perfmap_install(const char *dir, pid_t pid, const char *text, const struct ld_pm_owner *who,
		       struct ld_pm_report *rep);

#endif

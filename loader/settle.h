/*
 * settle.h - put back what stopping at the entry point changed.
 *
 * The int3 that stops a dynamically linked program at its entry (entry.c)
 * changes two things the program could notice:
 *  - SIGTRAP. The kernel delivers the trap as a forced signal, and a
 *    forced signal that is blocked or ignored is first unblocked and reset
 *    to SIG_DFL. A supervisor may start a program with SIGTRAP ignored or
 *    blocked; exec keeps both. ld_settle_after() blocks it again (ptrace)
 *    and ignores it again (an injected rt_sigaction).
 *  - The entry page. Writing the int3 made a private copy of a file page;
 *    once the byte is back, an injected madvise(MADV_DONTNEED) drops the
 *    copy and the next touch maps the file's page again. Only when the page
 *    was the file's at the exec event and holds the same bytes now: a
 *    uprobe's int3 or ld.so's text relocations stay.
 * Under a seccomp filter nothing is injected here: an ignored SIGTRAP is
 * then a reason not to stop at all (fail open), and the page stays a
 * private copy with the file's bytes (said with -vv).
 * Must never: inject into a program whose filter might kill it for it.
 */
#ifndef LD_SETTLE_H
#define LD_SETTLE_H

#include "tracer.h"

/* At the exec event, before the breakpoint is written: note SIGTRAP's
 * state and the entry page. Fails (nothing changed) if the stop could not
 * be undone. */
int ld_settle_before(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

/* A new exec: what was noted belongs to the old image. */
void ld_settle_forget(struct ld_tracer *tr);

/* At the entry stop, the breakpoint removed: put SIGTRAP and the page
 * back. Fails only if the injection itself broke. */
int ld_settle_after(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

/* Pure, for tests: SIGTRAP's state from a /proc/PID/status text.
 * -EINVAL if a field is missing. */
int ld_settle_parse_status(const char *status, bool *blocked, bool *ignored, bool *seccomp) HX_WUR;

#endif

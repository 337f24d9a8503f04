/*
 * settle.h - put back what stopping at the entry point changed.
 *
 * The stop of a dynamically linked program (entry.c) raises a signal the
 * kernel forces: SIGSEGV when ld.so jumps to the unmapped address we put in
 * AT_ENTRY, SIGTRAP for the int3 fallback. A forced signal that is blocked
 * or ignored is first unblocked and reset to SIG_DFL, and a supervisor may
 * start a program with either ignored or blocked (exec keeps both).
 * ld_settle_after() blocks it again (ptrace) and ignores it again (an
 * injected rt_sigaction).
 * The int3 fallback also turns the entry page into a private copy of the
 * file's; once the byte is back an injected madvise(MADV_DONTNEED) drops
 * the copy and the next touch maps the file's page again. Only when the
 * page was the file's at the exec event and holds the same bytes now: a
 * uprobe's int3 or ld.so's text relocations stay.
 * Under a seccomp filter nothing is injected here: an ignored stop signal
 * is then a reason not to stop at all (fail open), and the page stays a
 * private copy with the file's bytes (said with -vv).
 * Must never: inject into a program whose filter might kill it for it.
 */
#ifndef LD_SETTLE_H
#define LD_SETTLE_H

#include "tracer.h"

/* At the exec event, before anything is armed: note the signal state. */
int ld_settle_before(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

/* The stop will raise sig. Fails (nothing changed) if it could not be
 * undone afterwards. */
int ld_settle_expect(struct ld_tracer *tr, int sig, struct hx_err *e) HX_WUR;

/* The int3 fallback: keep the entry page's bytes if they are the file's. */
void ld_settle_keep_page(struct ld_tracer *tr);

/* The int3 was not written after all: nothing to drop. */
void ld_settle_forget_page(struct ld_tracer *tr);

/* A new exec: what was noted belongs to the old image. */
void ld_settle_forget(struct ld_tracer *tr);

/* At the entry stop, the breakpoint removed: put the signal and the page
 * back. Fails only if the injection itself broke. */
int ld_settle_after(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

/* Pure, for tests: blocked and ignored signal masks (bit sig-1) and
 * whether a seccomp filter applies, from a /proc/PID/status text.
 * -EINVAL if a signal field is missing. */
int ld_settle_parse_status(const char *status, uint64_t *blocked, uint64_t *ignored,
			   bool *seccomp) HX_WUR;

#endif

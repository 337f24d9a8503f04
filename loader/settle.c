/*
 * settle.c - put back what stopping at the entry point changed (settle.h).
 */
#define _GNU_SOURCE
#include "settle.h"
#include "entry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SIG_BIT(sig) (1ull << ((sig) - 1))
#define PM_PRESENT (1ull << 63)
#define PM_FILE (1ull << 61) /* a file page (or shared anonymous) */
#define RED_ZONE 128

/* The two signals an entry stop raises, by name (sigabbrev_np is glibc's:
 * the launcher may be built with musl). */
static const char *sig_name(int sig)
{
	return sig == SIGTRAP ? "TRAP" : sig == SIGSEGV ? "SEGV" : "a signal";
}

int ld_settle_parse_status(const char *status, uint64_t *blocked, uint64_t *ignored,
			   bool *seccomp)
{
	const char *blk = hx_status_value(status, "SigBlk");
	const char *ign = hx_status_value(status, "SigIgn");
	const char *sec = hx_status_value(status, "Seccomp");
	if (!blk || !ign)
		return -EINVAL;
	*blocked = strtoull(blk, NULL, 16);
	*ignored = strtoull(ign, NULL, 16);
	/* no Seccomp line: a kernel without seccomp */
	*seccomp = sec && strtoul(sec, NULL, 10) != 0;
	return 0;
}

/* Is the page at addr still the file's (or not yet faulted in)? */
static bool page_is_files(pid_t pid, uint64_t addr)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uint64_t pm = 0;
	ssize_t n = pread(fd, &pm, sizeof(pm), (off_t)(addr / HX_PAGE * sizeof(pm)));
	close(fd);
	return n == (ssize_t)sizeof(pm) && (!(pm & PM_PRESENT) || (pm & PM_FILE));
}

void ld_settle_forget(struct ld_tracer *tr)
{
	free(tr->stop.settle.copy);
	memset(&tr->stop.settle, 0, sizeof(tr->stop.settle));
}

/* pid's signal state from /proc/PID/status; caught (SigCgt) if wanted. */
static int read_status(pid_t pid, uint64_t *blk, uint64_t *ign, uint64_t *caught, bool *seccomp)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int r = hx_read_file(path, 1 << 16, &text, NULL);
	if (r < 0)
		return r;
	const char *c = hx_status_value(text, "SigCgt");
	r = ld_settle_parse_status(text, blk, ign, seccomp);
	if (r == 0 && caught)
		r = c ? (*caught = strtoull(c, NULL, 16), 0) : -EINVAL;
	free(text);
	return r;
}

int ld_settle_before(struct ld_tracer *tr, struct hx_err *e)
{
	struct ld_settle *s = &tr->stop.settle;
	ld_settle_forget(tr);
	int r = read_status(tr->pid, &s->blocked, &s->ignored, NULL, &s->seccomp);
	if (r < 0)
		return hx_fail(e, r, "reading the program's signal state: %s", strerror(-r));
	s->noted = true;
	return 0;
}

int ld_settle_expect(struct ld_tracer *tr, int sig, struct hx_err *e)
{
	struct ld_settle *s = &tr->stop.settle;
	s->sig = sig;
	if ((s->ignored & SIG_BIT(sig)) && !tr->stop.vdso)
		return hx_fail(e, -ENOENT, "%s is ignored and the program has no vDSO to ignore it "
			       "again from: stopping it would reset it for good", sig_name(sig));
	if ((s->ignored & SIG_BIT(sig)) && s->seccomp)
		return hx_fail(e, -EPERM, "%s is ignored and the program runs under seccomp: "
			       "stopping it at its entry point would reset %s for good",
			       sig_name(sig), sig_name(sig));
	return 0;
}

void ld_settle_forget_page(struct ld_tracer *tr)
{
	free(tr->stop.settle.copy);
	tr->stop.settle.copy = NULL;
}

void ld_settle_keep_page(struct ld_tracer *tr)
{
	struct ld_settle *s = &tr->stop.settle;
	s->page = tr->stop.entry & ~(uint64_t)(HX_PAGE - 1);
	if (page_is_files(tr->pid, s->page) && (s->copy = malloc(HX_PAGE)) != NULL &&
	    inj_peek(&tr->inj, s->page, s->copy, HX_PAGE) < 0) {
		free(s->copy);
		s->copy = NULL;
	}
}

/* Does the entry page hold what it held at the exec event? */
static bool page_unchanged(struct ld_tracer *tr)
{
	uint8_t *now = malloc(HX_PAGE);
	bool same = now && inj_peek(&tr->inj, tr->stop.settle.page, now, HX_PAGE) == 0 &&
		    memcmp(now, tr->stop.settle.copy, HX_PAGE) == 0;
	free(now);
	return same;
}

/* rt_sigaction(sig, {SIG_IGN}) in the target, the struct placed below
 * its stack's red zone (and put back afterwards). After exec an ignored
 * signal has no flags, no mask and no restorer: this is all of it. */
static int ignore_again(struct ld_tracer *tr, int64_t *ret, struct hx_err *e)
{
	const uint64_t act[4] = {(uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0};
	uint64_t saved[4];
	uint64_t at = (tr->inj.regs.rsp - RED_ZONE - sizeof(act)) & ~(uint64_t)15;
	int r = inj_peek(&tr->inj, at, saved, sizeof(saved));
	if (r == 0)
		r = inj_poke(&tr->inj, at, act, sizeof(act));
	if (r < 0)
		return hx_fail(e, r, "writing to the program's stack: %s", strerror(-r));
	const uint64_t a[6] = {(uint64_t)tr->stop.settle.sig, at, 0, sizeof(uint64_t), 0, 0};
	r = inj_syscall(&tr->inj, SYS_rt_sigaction, a, ret, e);
	int r2 = inj_poke(&tr->inj, at, saved, sizeof(saved));
	if (r == 0 && r2 < 0)
		r = hx_fail(e, r2, "restoring the program's stack: %s", strerror(-r2));
	return r;
}

/* A syscall instruction in the vDSO, found from AT_SYSINFO_EHDR without
 * reading the maps (this runs at every launch): the vDSO's first pages. */
static int vdso_syscall(struct ld_tracer *tr)
{
	return tr->stop.vdso ? inj_use_syscall_in(&tr->inj, tr->stop.vdso, 2) : -ENOENT;
}

static int inject(struct ld_tracer *tr, bool ignore, bool drop_page, struct hx_err *e)
{
	struct ld_settle *s = &tr->stop.settle;
	int64_t ret = 0;
	int r = vdso_syscall(tr);
	if (r < 0)
		return hx_fail(e, r, "no system call instruction in the vDSO");
	if ((r = inj_save(&tr->inj, e)) < 0)
		return r;
	/* the plan's calls are counted (and fault-injected) from 1 as before */
	unsigned long counted = tr->inj.n_syscalls;
	if (ignore && (r = ignore_again(tr, &ret, e)) == 0 && ret < 0)
		r = hx_fail(e, (int)ret, "ignoring %s again: %s", sig_name(s->sig),
			    strerror((int)-ret));
	if (r == 0 && drop_page) {
		const uint64_t a[6] = {s->page, HX_PAGE, MADV_DONTNEED, 0, 0, 0};
		r = inj_syscall(&tr->inj, SYS_madvise, a, &ret, e);
		if (r == 0 && ret < 0)
			snprintf(s->note, sizeof(s->note), "the entry page stays a private copy: "
				 "madvise: %s", strerror((int)-ret));
	}
	tr->inj.n_syscalls = counted;
	struct hx_err e2;
	int r2 = inj_restore(&tr->inj, &e2);
	if (r == 0 && r2 < 0) {
		*e = e2;
		r = r2;
	}
	/* Restored: these registers belong to this stop only. A later release
	 * (after the program ran on, followed to another exec) must not put
	 * them back. Signals held back meanwhile go now: no inj_detach() may
	 * follow (a wrapper is followed with PTRACE_CONT). */
	if (r2 == 0) {
		tr->inj.saved = false;
		inj_resend_held(&tr->inj);
	}
	return r;
}

int ld_settle_after(struct ld_tracer *tr, struct hx_err *e)
{
	struct ld_settle *s = &tr->stop.settle;
	int r;
	if (!s->noted || !s->sig)
		return 0; /* no breakpoint: the program started at its entry */
	bool was_blocked = s->blocked & SIG_BIT(s->sig), was_ignored = s->ignored & SIG_BIT(s->sig);
	bool drop_page = s->copy && page_unchanged(tr);
	if (!was_blocked && !was_ignored && !drop_page)
		return 0; /* nothing to put back */
	/* As things are now: only what the forced signal left (SIG_DFL,
	 * unblocked) is put back; a handler a constructor installed, or a
	 * mask it changed, stays. A filter installed since forbids injecting. */
	uint64_t now_blk = 0, now_ign = 0, now_cgt = 0;
	bool now_seccomp = true;
	if (read_status(tr->pid, &now_blk, &now_ign, &now_cgt, &now_seccomp) < 0)
		return hx_fail(e, -EIO, "cannot read the program's signal state at its entry point");
	bool dfl = !((now_ign | now_cgt) & SIG_BIT(s->sig));
	was_blocked = was_blocked && dfl && !(now_blk & SIG_BIT(s->sig));
	was_ignored = was_ignored && dfl;
	if (was_blocked) {
		uint64_t mask;
		if ((r = ld_pt(tr, PTRACE_GETSIGMASK, (void *)sizeof(mask), &mask)) < 0 ||
		    (mask |= SIG_BIT(s->sig),
		     (r = ld_pt(tr, PTRACE_SETSIGMASK, (void *)sizeof(mask), &mask)) < 0))
			return hx_fail(e, r, "blocking %s again: %s", sig_name(s->sig),
				       strerror(-r));
	}
	if (drop_page && now_seccomp) {
		snprintf(s->note, sizeof(s->note), "the entry page stays a private copy of the "
			 "file's: the program runs under seccomp");
		drop_page = false;
	} else if (s->copy && !drop_page) {
		snprintf(s->note, sizeof(s->note), "the entry page was changed before the entry "
			 "point (text relocations, a uprobe): it stays as it is");
	}
	if (was_ignored && now_seccomp)
		return hx_fail(e, -EPERM, "a seccomp filter installed before the entry point forbids "
			       "ignoring %s again", sig_name(s->sig));
	if (!was_ignored && !drop_page)
		return 0;
	return inject(tr, was_ignored, drop_page, e);
}

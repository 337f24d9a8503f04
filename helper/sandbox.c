/*
 * sandbox.c - the helper's seccomp allowlist (libseccomp).
 *
 * Each allowed system call names who needs it. libseccomp reports errors as
 * negative values, so every result is checked with < 0. The filter applies
 * to the native x86-64 ABI only; the default action kills the whole helper,
 * which the loader sees as "helper killed" and fails open.
 * Must never: allow open, exec, ptrace, sockets, or PROT_EXEC memory.
 */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HP_SANITIZED 1
#endif
#endif
#ifndef HP_SANITIZED
#define HP_SANITIZED 0
#endif

/* The helper has no secrets to lose, but as root it should not keep root's
 * file access if the filter ever had a hole: become nobody. Best effort (a
 * user namespace may have no mapping for 65534); the filter is what counts. */
static void drop_root(void)
{
	if (geteuid() != 0)
		return;
	const gid_t nobody = 65534;
	if (setgroups(0, NULL) == 0 && setresgid(nobody, nobody, nobody) == 0)
		(void)!setresuid(nobody, nobody, nobody);
}

static int allow(scmp_filter_ctx ctx, int nr)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

/* Any failing rule leaves r negative (the results are 0 or -errno). */
static int build_rules(scmp_filter_ctx ctx, int out_fd)
{
	int r = 0;
	/* the request pipe (read) and the ELF files (libelf uses pread) */
	r |= allow(ctx, SCMP_SYS(read));
	r |= allow(ctx, SCMP_SYS(pread64));
	r |= allow(ctx, SCMP_SYS(lseek));
	/* libelf and elfinfo ask for the size of an open file (glibc's fstat
	 * is newfstatat(fd, "", AT_EMPTY_PATH): never a path) */
	r |= allow(ctx, SCMP_SYS(fstat));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
			      SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* libelf's elf_begin checks that the descriptor is open */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
			      SCMP_A1(SCMP_CMP_EQ, F_GETFD, 0));
	/* glibc's malloc seeds itself on first use (no side effects) */
	r |= allow(ctx, SCMP_SYS(getrandom));
	/* glibc's qsort sizes its buffer by the machine's memory (read only) */
	r |= allow(ctx, SCMP_SYS(sysinfo));
	/* the plan goes out on one descriptor only */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
			      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)out_fd, 0));
	if (HP_SANITIZED) { /* test builds: ASan's runtime and its reports */
		r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
				      SCMP_A0(SCMP_CMP_EQ, 2, 0));
		r |= allow(ctx, SCMP_SYS(sigaltstack));
	}
	/* malloc: memory, but never executable */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r |= allow(ctx, SCMP_SYS(munmap));
	r |= allow(ctx, SCMP_SYS(mremap));
	r |= allow(ctx, SCMP_SYS(brk));
	r |= allow(ctx, SCMP_SYS(madvise));
	/* the end */
	r |= allow(ctx, SCMP_SYS(exit_group));
	r |= allow(ctx, SCMP_SYS(exit));
	return r < 0 ? -EINVAL : 0;
}

int hp_sandbox_enter(int out_fd, struct hx_err *e)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return hx_fail(e, -errno, "no_new_privs: %s", strerror(errno));
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!HP_SANITIZED) { /* stderr may be a terminal: nothing to read there */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 2) < 0)
			close(2);
		if (null > 2)
			close(null);
	}
	drop_root();
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return hx_fail(e, -ENOMEM, "seccomp_init failed");
	int r = build_rules(ctx, out_fd);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return hx_fail(e, r, "loading the seccomp filter: %s", strerror(-r));
	return 0;
}

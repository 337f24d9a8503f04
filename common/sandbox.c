/*
 * sandbox.c - the helper's seccomp allowlist (libseccomp).
 *
 * Shared by the planner helper and the recorder's symbolizer. Each allowed
 * system call names who needs it. libseccomp reports errors as negative
 * values, so every result is checked with < 0. The filter applies to the
 * native x86-64 ABI only; the default action kills the whole helper, which
 * the loader sees as "helper killed" and fails open.
 * Must never: allow a call that takes a path (open, stat, exec, ...),
 * ptrace, signals to others, sockets, shared or PROT_EXEC memory.
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

static int allow_if(scmp_filter_ctx ctx, int nr, struct scmp_arg_cmp cmp)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, cmp);
}

/* Reading what is already open. No call that takes a path is allowed:
 * seccomp cannot see the path string, so a "descriptor only" flag such as
 * AT_EMPTY_PATH would still let a non-empty path be looked up. */
static int file_rules(scmp_filter_ctx ctx)
{
	int r = 0;
	/* the request pipe (helper.c read_exact) */
	r |= allow(ctx, SCMP_SYS(read));
	/* the symbolizer's code bytes (record/) from the ELF files it holds */
	r |= allow(ctx, SCMP_SYS(pread64));
	/* the type and size of an open file (elfinfo.c fd_size): the old
	 * fstat takes a descriptor and nothing else; lseek(SEEK_END) when a
	 * filter hugexec was started under refuses fstat */
	r |= allow(ctx, SCMP_SYS(fstat));
	r |= allow(ctx, SCMP_SYS(lseek));
	/* Not newfstatat, glibc's fstat(): it would look up a path if given
	 * one. Every ELF reader goes through a read-only view (elfinfo.h), so
	 * libelf never asks. */
	return r;
}

/* Memory: malloc and free, the read-only file views (elfinfo.c), never
 * executable, never shared. */
static int memory_rules(scmp_filter_ctx ctx)
{
	int r = 0;
	/* malloc's large blocks and arenas, hp_elf_view's file mapping */
	r |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
			      SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_TYPE, MAP_PRIVATE));
	/* free of those blocks, hp_elf_view_close */
	r |= allow(ctx, SCMP_SYS(munmap));
	/* realloc of a block that malloc mapped (glibc mremap_chunk) */
	r |= allow_if(ctx, SCMP_SYS(mremap), SCMP_A3(SCMP_CMP_EQ, MREMAP_MAYMOVE, 0));
	/* malloc's main arena */
	r |= allow(ctx, SCMP_SYS(brk));
	/* free giving pages back (glibc heap trimming), and glibc's
	 * glibc.malloc.hugetlb=1 tunable on new heap memory */
	r |= allow_if(ctx, SCMP_SYS(madvise), SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED, 0));
	r |= allow_if(ctx, SCMP_SYS(madvise), SCMP_A2(SCMP_CMP_EQ, MADV_HUGEPAGE, 0));
	return r;
}

/* Any failing rule leaves r negative (the results are 0 or -errno). */
static int build_rules(scmp_filter_ctx ctx, int out_fd)
{
	int r = file_rules(ctx) | memory_rules(ctx);
	/* glibc's qsort sizes its buffer by the machine's memory (read only) */
	r |= allow(ctx, SCMP_SYS(sysinfo));
	/* the plan (or the symbolizer's text) goes out on one descriptor only */
	r |= allow_if(ctx, SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)out_fd, 0));
	/* the end: exit() and _exit() */
	r |= allow(ctx, SCMP_SYS(exit_group));
	if (HP_SANITIZED) { /* test builds: ASan's runtime and its reports */
		r |= allow_if(ctx, SCMP_SYS(write), SCMP_A0(SCMP_CMP_EQ, 2, 0));
		r |= allow(ctx, SCMP_SYS(sigaltstack));
		/* its allocator's shadow and metadata mappings */
		r |= allow_if(ctx, SCMP_SYS(madvise), SCMP_A2(SCMP_CMP_EQ, MADV_NOHUGEPAGE, 0));
		r |= allow_if(ctx, SCMP_SYS(madvise), SCMP_A2(SCMP_CMP_EQ, MADV_DONTDUMP, 0));
	}
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

/* test_sandbox.c - the helper's seccomp allowlist: what it lets through
 * works (including the ELF readers on a real file), no call can look up a
 * path, and anything else kills the process (SIGSYS). Each probe runs in
 * its own child. */
#define _GNU_SOURCE
#include "fixtures.h"
#include "../../common/elfinfo.h"
#include "../../common/elfsyms.h"
#include "../../common/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECRET "/etc/passwd" /* exists and is readable everywhere */

struct fds {
	int in, out; /* the request pipe's read end, the plan pipe's write end */
	int other;   /* a descriptor the sandbox must not write to */
	int exe;     /* this program, opened before the sandbox, as the loader does */
};

/* A probe returns what the call it makes returned: < 0 is a refusal. */
typedef long probe_fn(const struct fds *f);

/* A filter hugexec itself may have been started under (as in
 * t_hardened_targets): fstat fails with EPERM, everything else is allowed. */
static int refuse_fstat(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -1;
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fstat), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

/* Runs p inside the sandbox in a child (under refuse_fstat too if
 * outer_filter); returns its wait status: exit 0 if p returned >= 0, exit
 * 1 if it returned < 0, or death by a signal. */
static int run_probe_in(probe_fn *p, bool outer_filter)
{
	int out[2], in[2];
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(in), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fds f = {in[0], out[1], in[1], open("/proc/self/exe", O_RDONLY)};
		struct hx_err e;
		if (f.exe < 0 || (outer_filter && refuse_fstat() < 0) ||
		    hp_sandbox_enter(out[1], &e) < 0)
			_exit(99);
		syscall(SYS_exit_group, p(&f) < 0 ? 1 : 0);
	}
	close(out[1]);
	close(in[0]);
	close(out[0]);
	close(in[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int run_probe(probe_fn *p)
{
	return run_probe_in(p, false);
}

#define expect_allowed(p) expect_status(p, #p, 0)
#define expect_killed(p) expect_status(p, #p, 1)
#define expect_refused(p) expect_status(p, #p, 2)

/* how 0: a clean exit; 1: death by SIGSYS; 2: either that or the call
 * returned an error (a path lookup that fails, killed or not). */
static void expect_status(probe_fn *p, const char *name, int how)
{
	int st = run_probe(p);
	bool killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
	bool ok = how == 0 ? WIFEXITED(st) && WEXITSTATUS(st) == 0
		: how == 1 ? killed
			   : killed || (WIFEXITED(st) && WEXITSTATUS(st) == 1);
	if (!ok)
		fail_msg("%s: status %#x, expected %s", name, st,
			 how == 0 ? "a clean exit" : how == 1 ? "death by SIGSYS" : "a refusal");
}

/* ---- what the helper does ------------------------------------------------ */

static long write_out(const struct fds *f) { return syscall(SYS_write, f->out, "x", 1); }
static long read_in(const struct fds *f) { char c; return syscall(SYS_read, f->in, &c, 0); }
static long fstat_fd(const struct fds *f)
{
	struct stat st;
	long r = syscall(SYS_fstat, f->exe, &st);
	return r == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? 0 : -1;
}
static long mmap_anon(const struct fds *f)
{
	(void)f;
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 1, 1 << 20);
	return madvise(p, 1 << 20, MADV_DONTNEED) == 0 && munmap(p, 1 << 20) == 0 ? 0 : -1;
}
static long lseek_fd(const struct fds *f) { return syscall(SYS_lseek, f->exe, 0, SEEK_END); }
static long malloc_big(const struct fds *f)
{
	(void)f;
	char *p = malloc(64 << 20); /* mmap'd by malloc; realloc may mremap it */
	if (!p)
		return -1;
	memset(p, 1, 4096);
	char *q = realloc(p, 128 << 20);
	if (!q)
		return -1;
	free(q);
	return 0;
}
/* The readers of common/elfinfo.c and common/elfsyms.c on this very program. */
static long elf_readers(const struct fds *f)
{
	struct hp_elf e;
	struct hx_elfsyms t;
	if (hp_elf_read(f->exe, &e) != 0 || !e.usable || e.build_id_len == 0 || e.n_load == 0)
		return -1;
	if (hx_elfsyms_read(f->exe, &t) != 0 || t.n_funcs == 0)
		return -1;
	bool found = false;
	for (size_t i = 0; i < t.n_funcs; i++)
		found |= strcmp(t.funcs[i].name, "elf_readers") == 0;
	hx_elfsyms_free(&t);
	return found ? 0 : -1;
}

static void test_sandbox_allows_its_work(void **state)
{
	(void)state;
	expect_allowed(write_out);
	expect_allowed(read_in);
	expect_allowed(fstat_fd);
	expect_allowed(lseek_fd);
	expect_allowed(mmap_anon);
	expect_allowed(malloc_big);
	expect_allowed(elf_readers);
}

/* Under a filter that refuses fstat (the helper inherits hugexec's), the
 * readers learn the file's size with lseek instead. */
static void test_sandbox_readers_without_fstat(void **state)
{
	(void)state;
	int st = run_probe_in(fstat_fd, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		fail_msg("fstat under the outer filter: status %#x, expected a refusal", st);
	st = run_probe_in(elf_readers, true);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("elf_readers without fstat: status %#x, expected a clean exit", st);
}

/* ---- no call may look up a path ------------------------------------------ */

static char buf[4096] __attribute__((aligned(64)));
static long p_open(const struct fds *f) { (void)f; return syscall(SYS_open, SECRET, O_RDONLY); }
static long p_openat(const struct fds *f)
{
	(void)f;
	return syscall(SYS_openat, AT_FDCWD, SECRET, O_RDONLY);
}
static long p_openat2(const struct fds *f)
{
	(void)f;
	struct open_how how = {.flags = O_RDONLY};
	return syscall(SYS_openat2, AT_FDCWD, SECRET, &how, sizeof(how));
}
static long p_stat(const struct fds *f) { (void)f; return syscall(SYS_stat, SECRET, buf); }
static long p_lstat(const struct fds *f) { (void)f; return syscall(SYS_lstat, SECRET, buf); }
/* The audit's probe: AT_EMPTY_PATH does not stop a non-empty path. */
static long p_newfstatat_empty(const struct fds *f)
{
	(void)f;
	struct stat st = {.st_size = -7};
	long r = syscall(SYS_newfstatat, AT_FDCWD, SECRET, &st, AT_EMPTY_PATH);
	return r == -1 && st.st_size == -7 ? -1 : 0; /* (the filter kills it) */
}
static long p_newfstatat(const struct fds *f)
{
	(void)f;
	return syscall(SYS_newfstatat, AT_FDCWD, SECRET, buf, 0);
}
/* glibc's own fstat(): newfstatat on a descriptor, refused as well */
static long p_glibc_fstat(const struct fds *f)
{
	struct stat st;
	return fstat(f->exe, &st);
}
static long p_statx(const struct fds *f)
{
	(void)f;
	return syscall(SYS_statx, AT_FDCWD, SECRET, AT_EMPTY_PATH, 0xfff, buf);
}
static long p_readlink(const struct fds *f)
{
	(void)f;
	return syscall(SYS_readlink, "/proc/self/exe", buf, sizeof(buf));
}
static long p_readlinkat(const struct fds *f)
{
	(void)f;
	return syscall(SYS_readlinkat, AT_FDCWD, SECRET, buf, sizeof(buf));
}
static long p_access(const struct fds *f) { (void)f; return syscall(SYS_access, SECRET, R_OK); }
static long p_faccessat(const struct fds *f)
{
	(void)f;
	return syscall(SYS_faccessat, AT_FDCWD, SECRET, R_OK);
}
static long p_faccessat2(const struct fds *f)
{
	(void)f;
	return syscall(SYS_faccessat2, AT_FDCWD, SECRET, R_OK, AT_EMPTY_PATH);
}
static long p_statfs(const struct fds *f) { (void)f; return syscall(SYS_statfs, SECRET, buf); }
static long p_getxattr(const struct fds *f)
{
	(void)f;
	return syscall(SYS_getxattr, SECRET, "security.selinux", buf, sizeof(buf));
}
static long p_chdir(const struct fds *f) { (void)f; return syscall(SYS_chdir, "/etc"); }
static long p_name_to_handle(const struct fds *f)
{
	(void)f;
	int mount_id;
	*(unsigned *)buf = 128; /* handle_bytes */
	return syscall(SYS_name_to_handle_at, AT_FDCWD, SECRET, buf, &mount_id, 0);
}

static void test_sandbox_no_path_lookup(void **state)
{
	(void)state;
	expect_refused(p_open);
	expect_refused(p_openat);
	expect_refused(p_openat2);
	expect_refused(p_stat);
	expect_refused(p_lstat);
	expect_refused(p_newfstatat_empty);
	expect_refused(p_newfstatat);
	expect_refused(p_glibc_fstat);
	expect_refused(p_statx);
	expect_refused(p_readlink);
	expect_refused(p_readlinkat);
	expect_refused(p_access);
	expect_refused(p_faccessat);
	expect_refused(p_faccessat2);
	expect_refused(p_statfs);
	expect_refused(p_getxattr);
	expect_refused(p_chdir);
	expect_refused(p_name_to_handle);
}

/* ---- everything else kills ----------------------------------------------- */

static long p_execve(const struct fds *f)
{
	(void)f;
	return syscall(SYS_execve, "/bin/true", NULL, NULL);
}
static long p_ptrace(const struct fds *f)
{
	(void)f;
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
}
static long p_socket(const struct fds *f)
{
	(void)f;
	return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}
static long p_mmap_exec(const struct fds *f)
{
	(void)f;
	return syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static long p_mmap_shared(const struct fds *f)
{
	(void)f;
	return syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}
static long p_mprotect_exec(const struct fds *f)
{
	(void)f;
	return syscall(SYS_mprotect, buf, sizeof(buf), PROT_READ | PROT_EXEC);
}
static long p_mprotect(const struct fds *f) /* not needed at all */
{
	(void)f;
	return syscall(SYS_mprotect, buf, sizeof(buf), PROT_READ);
}
static long p_mremap_fixed(const struct fds *f)
{
	(void)f;
	void *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return syscall(SYS_mremap, p, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (char *)p + 4096);
}
static long madv(int advice)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0; /* not the refusal being tested */
	memset(p, 1, 4096);
	return syscall(SYS_madvise, p, 4096, advice);
}
static long p_madv_hwpoison(const struct fds *f) { (void)f; return madv(MADV_HWPOISON); }
static long p_madv_soft_offline(const struct fds *f) { (void)f; return madv(101); } /* MADV_SOFT_OFFLINE */
static long p_madv_remove(const struct fds *f) { (void)f; return madv(MADV_REMOVE); }
static long p_madv_pageout(const struct fds *f) { (void)f; return madv(MADV_PAGEOUT); }
static long p_madv_wipeonfork(const struct fds *f) { (void)f; return madv(MADV_WIPEONFORK); }
static long p_write_other(const struct fds *f) { return syscall(SYS_write, f->other, "x", 1); }
static long p_kill(const struct fds *f) { (void)f; return syscall(SYS_kill, getppid(), 0); }
static long p_getppid(const struct fds *f) { (void)f; return syscall(SYS_getppid); }
static long p_fcntl_setfl(const struct fds *f)
{
	return syscall(SYS_fcntl, f->in, F_SETFL, O_NONBLOCK);
}
static long p_fcntl_getfd(const struct fds *f) { return syscall(SYS_fcntl, f->in, F_GETFD); }
static long p_exit_thread(const struct fds *f) { (void)f; return syscall(SYS_exit, 0); }

static void test_sandbox_kills_the_rest(void **state)
{
	(void)state;
	expect_killed(p_execve);
	expect_killed(p_ptrace);
	expect_killed(p_socket);
	expect_killed(p_mmap_exec);
	expect_killed(p_mmap_shared);
	expect_killed(p_mprotect_exec);
	expect_killed(p_mprotect);
	expect_killed(p_mremap_fixed);
	expect_killed(p_madv_hwpoison);
	expect_killed(p_madv_soft_offline);
	expect_killed(p_madv_remove);
	expect_killed(p_madv_pageout);
	expect_killed(p_madv_wipeonfork);
	expect_killed(p_write_other);
	expect_killed(p_kill);
	expect_killed(p_getppid);
	expect_killed(p_fcntl_setfl);
	expect_killed(p_fcntl_getfd); /* libelf's elf_begin asked; no reader uses it now */
	expect_killed(p_newfstatat_empty);
	expect_killed(p_glibc_fstat);
	expect_killed(p_exit_thread);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_allows_its_work),
		cmocka_unit_test(test_sandbox_readers_without_fstat),
		cmocka_unit_test(test_sandbox_no_path_lookup),
		cmocka_unit_test(test_sandbox_kills_the_rest),
	};
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}

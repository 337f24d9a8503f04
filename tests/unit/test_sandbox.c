/* test_sandbox.c - the helper's seccomp allowlist: what it lets through
 * works, anything else kills the process (SIGSYS), each probe in its own
 * child. */
#include "fixtures.h"
#include "../../helper/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum probe { P_WRITE_OUT, P_READ, P_MMAP_RW, P_OPEN, P_EXECVE, P_PTRACE, P_SOCKET, P_MMAP_EXEC,
	     P_MPROTECT_EXEC, P_WRITE_OTHER, P_KILL, P_GETPPID, P_FCNTL_SETFL };

/* Runs probe p inside the sandbox in a child; returns its wait status. */
static int run_probe(enum probe p)
{
	int out[2], in[2];
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(in), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hx_err e;
		if (hp_sandbox_enter(out[1], &e) < 0)
			_exit(99);
		char c = 'x';
		long r = 0;
		switch (p) {
		case P_WRITE_OUT: r = syscall(SYS_write, out[1], &c, 1); break;
		case P_READ: r = syscall(SYS_read, in[0], &c, 0); break;
		case P_MMAP_RW: r = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -1; break;
		case P_OPEN: r = syscall(SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY); break;
		case P_EXECVE: r = syscall(SYS_execve, "/bin/true", NULL, NULL); break;
		case P_PTRACE: r = syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0); break;
		case P_SOCKET: r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); break;
		case P_MMAP_EXEC: r = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); break;
		case P_MPROTECT_EXEC: r = syscall(SYS_mprotect, &c, 1, PROT_READ | PROT_EXEC); break;
		case P_WRITE_OTHER: r = syscall(SYS_write, in[1], &c, 1); break;
		case P_KILL: r = syscall(SYS_kill, getppid(), 0); break;
		case P_GETPPID: r = syscall(SYS_getppid); break;
		case P_FCNTL_SETFL: r = syscall(SYS_fcntl, in[0], F_SETFL, O_NONBLOCK); break;
		}
		syscall(SYS_exit_group, r < 0 ? 1 : 0);
	}
	close(out[1]);
	close(in[0]);
	close(out[0]);
	close(in[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_allowed(enum probe p)
{
	int st = run_probe(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("probe %d: status %#x, expected a clean exit", p, st);
}

static void expect_killed(enum probe p)
{
	int st = run_probe(p);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		fail_msg("probe %d: status %#x, expected death by SIGSYS", p, st);
}

static void test_sandbox_allows_its_work(void **state)
{
	(void)state;
	expect_allowed(P_WRITE_OUT);
	expect_allowed(P_READ);
	expect_allowed(P_MMAP_RW);
}

static void test_sandbox_kills_the_rest(void **state)
{
	(void)state;
	expect_killed(P_OPEN);
	expect_killed(P_EXECVE);
	expect_killed(P_PTRACE);
	expect_killed(P_SOCKET);
	expect_killed(P_MMAP_EXEC);
	expect_killed(P_MPROTECT_EXEC);
	expect_killed(P_WRITE_OTHER);
	expect_killed(P_KILL);
	expect_killed(P_GETPPID);
	expect_killed(P_FCNTL_SETFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_allows_its_work),
		cmocka_unit_test(test_sandbox_kills_the_rest),
	};
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}

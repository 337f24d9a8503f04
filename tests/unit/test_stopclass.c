/* test_stopclass.c - what a wait status from a seized tracee means. */
#include "fixtures.h"
#include "../../inject/stopclass.h"
#include "../../loader/facts.h"
#include "../../loader/report.h"
#include "../../loader/resolve.h"
#include "../../loader/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

/* Wait statuses as the kernel encodes them. */
#define EXITED(c) ((c) << 8)
#define KILLED(s) (s)
#define STOPPED(s, ev) (0x7f | ((s) << 8) | ((ev) << 16))

static void test_classify(void **state)
{
	(void)state;
	struct inj_stop s = inj_classify(EXITED(42));
	assert_int_equal(s.kind, INJ_STOP_EXITED);
	assert_int_equal(s.code, 42);
	s = inj_classify(KILLED(SIGKILL));
	assert_int_equal(s.kind, INJ_STOP_KILLED);
	assert_int_equal(s.sig, SIGKILL);
	s = inj_classify(STOPPED(SIGTRAP | 0x80, 0));
	assert_int_equal(s.kind, INJ_STOP_SYSCALL);
	s = inj_classify(STOPPED(SIGTRAP, PTRACE_EVENT_EXEC));
	assert_int_equal(s.kind, INJ_STOP_EXEC);
	s = inj_classify(STOPPED(SIGSTOP, PTRACE_EVENT_STOP));
	assert_int_equal(s.kind, INJ_STOP_GROUP);
	assert_int_equal(s.sig, SIGSTOP);
	s = inj_classify(STOPPED(SIGTRAP, PTRACE_EVENT_STOP)); /* PTRACE_INTERRUPT / LISTEN wake */
	assert_int_equal(s.kind, INJ_STOP_GROUP);
	s = inj_classify(STOPPED(SIGUSR1, 0));
	assert_int_equal(s.kind, INJ_STOP_SIGNAL);
	assert_int_equal(s.sig, SIGUSR1);
	s = inj_classify(STOPPED(SIGTRAP, 0)); /* breakpoints arrive as plain SIGTRAP */
	assert_int_equal(s.kind, INJ_STOP_SIGNAL);
	s = inj_classify(STOPPED(SIGTRAP, PTRACE_EVENT_CLONE));
	assert_int_equal(s.kind, INJ_STOP_EVENT);
	s = inj_classify(0xffff); /* continued */
	assert_int_equal(s.kind, INJ_STOP_UNKNOWN);
	assert_true(inj_is_stop_signal(SIGTSTP));
	assert_false(inj_is_stop_signal(SIGCONT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests_name("stopclass", tests, NULL, NULL);
}

/*
 * stopclass.c - decode wait statuses of a seized tracee (see ptrace(2),
 * "Stopped states"). Under PTRACE_SEIZE a group-stop is reported as
 * PTRACE_EVENT_STOP with the stopping signal in WSTOPSIG.
 * Must never: guess; anything unexpected is INJ_STOP_UNKNOWN.
 */
#define _GNU_SOURCE
#include "stopclass.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int inj_is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

struct inj_stop inj_classify(int status)
{
	struct inj_stop s = {.kind = INJ_STOP_UNKNOWN};
	if (WIFEXITED(status)) {
		s.kind = INJ_STOP_EXITED;
		s.code = WEXITSTATUS(status);
		return s;
	}
	if (WIFSIGNALED(status)) {
		s.kind = INJ_STOP_KILLED;
		s.sig = WTERMSIG(status);
		return s;
	}
	if (!WIFSTOPPED(status))
		return s;
	int sig = WSTOPSIG(status);
	int event = (status >> 16) & 0xff;
	s.sig = sig;
	if (sig == (SIGTRAP | 0x80) && event == 0) {
		s.kind = INJ_STOP_SYSCALL;
		s.sig = SIGTRAP;
		return s;
	}
	if (event == 0) {
		s.kind = INJ_STOP_SIGNAL;
		return s;
	}
	s.event = event;
	if (event == PTRACE_EVENT_EXEC && sig == SIGTRAP)
		s.kind = INJ_STOP_EXEC;
	else if (event == PTRACE_EVENT_STOP)
		s.kind = INJ_STOP_GROUP;
	else if (sig == SIGTRAP)
		s.kind = INJ_STOP_EVENT;
	return s;
}

/*
 * stopclass.h - what a wait status from a PTRACE_SEIZE'd tracee means.
 *
 * Pure: (status) -> struct inj_stop, unit-tested with synthetic statuses.
 * Each kind's comment says what the tracer does next. The tracer always
 * uses PTRACE_O_TRACESYSGOOD, so syscall stops carry SIGTRAP|0x80.
 * Must never: call into the kernel.
 */
#ifndef INJ_STOPCLASS_H
#define INJ_STOPCLASS_H

enum inj_stop_kind {
	INJ_STOP_EXITED,    /* gone: exit status in code; nothing more to do */
	INJ_STOP_KILLED,    /* gone: killed by sig */
	INJ_STOP_SYSCALL,   /* syscall entry or exit stop: our injection */
	INJ_STOP_EXEC,      /* PTRACE_EVENT_EXEC: a new program image */
	INJ_STOP_GROUP,     /* PTRACE_EVENT_STOP: group-stop (sig) or interrupt */
	INJ_STOP_EVENT,     /* another PTRACE_EVENT_*: resume */
	INJ_STOP_SIGNAL,    /* signal-delivery-stop for sig: deliver or defer */
	INJ_STOP_UNKNOWN,   /* not a stop we asked for: treat as an error */
};

struct inj_stop {
	enum inj_stop_kind kind;
	int sig;   /* the signal, for SIGNAL, GROUP and KILLED */
	int event; /* PTRACE_EVENT_*, for EXEC, GROUP and EVENT */
	int code;  /* exit status, for EXITED */
};

struct inj_stop inj_classify(int status);

/* True for the signals whose default action stops the process. */
int inj_is_stop_signal(int sig);

#endif

/*
 * sentinel.h - tell a signal sent to the recorder alone from one sent to
 * its whole process group or cgroup.
 *
 * `hugexec record -- CMD` passes on to CMD the signals a user sends to the
 * recorder (kill PID), so that killing the recorder stops the program as it
 * would stop a plain run. A signal sent to the whole group (kill -- -PGID,
 * os.killpg, systemd's KillMode=control-group) has reached CMD already and
 * must not be passed on a second time. siginfo cannot tell the two apart
 * (both are SI_USER with the sender's pid), so a witness does: the sentinel
 * is a tiny child of the recorder, in its process group and cgroup, that
 * blocks the watched signals and sleeps. A signal that is pending in the
 * sentinel too was sent to more than the recorder. The recorder then asks
 * the sentinel (one byte on a pipe) to take that signal off its pending
 * set with sigtimedwait, so that the next one is judged afresh.
 *
 * The sentinel holds no descriptor but the pipe (not CMD's stdio), is
 * killed by the kernel if the recorder dies (PR_SET_PDEATHSIG), is reaped
 * by rec_sentinel_stop, and is never a child of CMD.
 * Must never: outlive the recorder, or take a signal off its pending set
 * that the recorder has not judged.
 */
#ifndef REC_SENTINEL_H
#define REC_SENTINEL_H

#include "../common/hx.h"

#include <signal.h>
#include <sys/types.h>

/* What the recorder waits, when a signal is not (yet) pending in the
 * sentinel, before it believes the signal was for it alone: systemd signals
 * the processes of a cgroup one kill() at a time. */
#define REC_SENTINEL_SETTLE_MS 20

struct rec_sentinel {
	pid_t pid;    /* 0: none (then every user signal counts as the recorder's own) */
	int nudge_fd; /* write end of the pipe: one byte, a signal number, per request */
};

/* Fork the sentinel, watching the signals in *watch (standard signals,
 * 1..63). The caller must have them blocked across the call. */
int rec_sentinel_start(struct rec_sentinel *s, const sigset_t *watch) HX_WUR;

/* 1 if sig is pending in the sentinel, 0 if not, -errno if it cannot be
 * told (no sentinel, or it is gone). */
int rec_sentinel_pending(const struct rec_sentinel *s, int sig);

/* Ask the sentinel to take sig off its pending set (if it is there). */
void rec_sentinel_consume(const struct rec_sentinel *s, int sig);

/* Kill and reap it. */
void rec_sentinel_stop(struct rec_sentinel *s);

/* The signals pending for a process (ShdPnd) or its thread (SigPnd) in the
 * text of /proc/PID/status, as a mask (bit sig-1). -EINVAL if neither line
 * is there or one does not parse. */
int rec_sentinel_parse_pending(const char *status, uint64_t *mask) HX_WUR;

/* Is a signal the recorder got, from a user (kill, sigqueue: si_code <= 0)
 * or not (the terminal), from sender, to be passed on to CMD (pid child)?
 * group is rec_sentinel_pending's answer. */
bool rec_sentinel_forward(bool from_user, pid_t sender, pid_t child, int group);

#endif

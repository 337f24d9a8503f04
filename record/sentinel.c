/*
 * sentinel.c - the witness of group-wide signals (sentinel.h).
 *
 * The sentinel is a fork of the recorder: it stays in the recorder's
 * process group and cgroup, which is the point. Its requests come over a
 * socketpair rather than a pipe only so that the recorder's send() can say
 * MSG_NOSIGNAL: a sentinel that died must not kill the recorder by SIGPIPE.
 * Must never: block the recorder (its sends are non-blocking), or keep a
 * descriptor other than its end of the socketpair.
 */
#define _GNU_SOURCE
#include "sentinel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In the sentinel: nothing but the request socket, as fd 0; then take
 * each signal asked for off the pending set, until the recorder is gone. */
static void sentinel_main(int in, const sigset_t *watch, pid_t parent)
{
	sigprocmask(SIG_BLOCK, watch, NULL); /* already blocked by the caller; be sure */
	/* SIGKILL when the recorder dies; it may have died before this call */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(0);
	(void)prctl(PR_SET_NAME, "record-sentinel");
	if (dup2(in, 0) < 0)
		_exit(0);
	/* (the listing of /proc/self/fd first: opened after 1 and 2 were
	 * closed, it would take fd 1 for a moment) */
	hx_close_except(NULL, 0);
	close(1); /* CMD's stdout and stderr: never held open by us */
	close(2);
	for (;;) {
		unsigned char b;
		ssize_t n = read(0, &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			_exit(0); /* the recorder closed its end */
		if (b == 0 || b >= 64 || sigismember(watch, b) != 1)
			continue;
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, b);
		const struct timespec zero = {0, 0};
		(void)sigtimedwait(&one, NULL, &zero); /* EAGAIN if it was not there */
	}
}

int rec_sentinel_start(struct rec_sentinel *s, const sigset_t *watch)
{
	int sp[2];
	s->pid = 0;
	s->nudge_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
		return -errno;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(sp[1]);
		sentinel_main(sp[0], watch, parent);
	}
	int err = errno;
	close(sp[0]);
	if (pid < 0) {
		close(sp[1]);
		return -err;
	}
	s->pid = pid;
	s->nudge_fd = sp[1];
	return 0;
}

/* The hex mask after "KEY:" on a line of status after the first (which is
 * Name:); -ENOENT if there is no such line. */
static int mask_line(const char *status, const char *key, uint64_t *mask)
{
	const char *nl = strchr(status, '\n');
	const char *p = nl ? hx_status_value(nl + 1, key) : NULL;
	if (!p)
		return -ENOENT;
	while (*p == ' ' || *p == '\t')
		p++;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 16);
	if (end == p || errno || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	*mask = v;
	return 0;
}

int rec_sentinel_parse_pending(const char *status, uint64_t *mask)
{
	uint64_t shared = 0, own = 0;
	int a = mask_line(status, "ShdPnd", &shared);
	int b = mask_line(status, "SigPnd", &own);
	if (a == -EINVAL || b == -EINVAL || (a < 0 && b < 0))
		return -EINVAL;
	*mask = shared | own;
	return 0;
}

int rec_sentinel_pending(const struct rec_sentinel *s, int sig)
{
	char path[48], *text;
	uint64_t mask;
	if (s->pid <= 0 || sig < 1 || sig > 64)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)s->pid);
	int r = hx_read_file(path, 65536, &text, NULL);
	if (r < 0)
		return r;
	r = rec_sentinel_parse_pending(text, &mask);
	if (r == 0 && strstr(text, "\nState:\tZ")) /* dead: it no longer takes signals */
		r = -ESRCH;
	free(text);
	return r < 0 ? r : (int)((mask >> (sig - 1)) & 1);
}

void rec_sentinel_consume(const struct rec_sentinel *s, int sig)
{
	unsigned char b = (unsigned char)sig;
	if (s->pid > 0 && sig > 0 && sig < 64)
		(void)send(s->nudge_fd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void rec_sentinel_stop(struct rec_sentinel *s)
{
	if (s->pid <= 0)
		return; /* never started (its fd may be a zeroed 0, not ours) */
	kill(s->pid, SIGKILL);
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(s->nudge_fd);
	s->pid = 0;
	s->nudge_fd = -1;
}

bool rec_sentinel_forward(bool from_user, pid_t sender, pid_t child, int group)
{
	/* group < 0 (no witness): as before the sentinel, a user's signal is
	 * taken to be for the recorder alone */
	return from_user && sender != child && group != 1;
}

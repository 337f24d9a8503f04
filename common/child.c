/*
 * child.c - the fork, the pipes, the deadline and the reaping of a worker
 * child (see child.h).
 * Must never: block without a deadline.
 */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: keep c->keep plus its two pipe ends, then work. */
static void run_child(const struct hx_child *c, int in_fd, int out_fd)
{
	int *keep = calloc(c->n_keep + 2, sizeof(int));
	if (!keep)
		_exit(1);
	keep[0] = in_fd;
	keep[1] = out_fd;
	memcpy(keep + 2, c->keep, c->n_keep * sizeof(int));
	hx_close_except(keep, c->n_keep + 2);
	free(keep);
	signal(SIGPIPE, SIG_DFL);
	/* _exit: no atexit handlers (LeakSanitizer's would need ptrace) */
	_exit(c->work(c->arg, in_fd, out_fd));
}

/* Wait until fd is ready for ev or the deadline passes. */
static int wait_fd(int fd, short ev, uint64_t deadline_ns)
{
	uint64_t now = hx_now_ns();
	if (now >= deadline_ns)
		return -ETIMEDOUT;
	struct pollfd p = {.fd = fd, .events = ev};
	(void)poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
	return 0;
}

/* Write everything before the deadline (fd is non-blocking): a child that
 * stops reading (stopped by someone, stuck) must not hold us. */
static int write_bounded(int fd, const uint8_t *b, size_t len, uint64_t deadline_ns)
{
	while (len) {
		ssize_t r = write(fd, b, len);
		if (r > 0) {
			b += r;
			len -= (size_t)r;
		} else if (r < 0 && errno != EINTR && errno != EAGAIN) {
			return -errno;
		} else if (wait_fd(fd, POLLOUT, deadline_ns) < 0) {
			return -ETIMEDOUT;
		}
	}
	return 0;
}

/* Read until EOF, at most max bytes, before the deadline. */
static int read_bounded(int fd, uint8_t **out, size_t *len, size_t max, uint64_t deadline_ns)
{
	size_t cap = 65536, n = 0;
	uint8_t *b = malloc(cap + 1);
	int r = b ? 0 : -ENOMEM;
	while (r == 0) {
		if (n == cap) {
			uint8_t *nb = cap >= max ? NULL : realloc(b, cap * 2 + 1);
			if (!nb) {
				r = cap >= max ? -E2BIG : -ENOMEM;
				break;
			}
			b = nb;
			cap *= 2;
		}
		ssize_t got = read(fd, b + n, cap - n);
		if (got > 0)
			n += (size_t)got;
		else if (got == 0)
			break;
		else if (errno != EINTR && errno != EAGAIN)
			r = -errno;
		else
			r = wait_fd(fd, POLLIN, deadline_ns);
	}
	if (r < 0) {
		free(b);
		return r;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static int reap(const struct hx_child *c, pid_t pid, struct hx_err *e)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return hx_fail(e, -errno, "waiting for the %s: %s", c->who, strerror(errno));
	if (WIFSIGNALED(st))
		return hx_fail(e, -ECHILD, "%s killed by signal %d (%s)%s", c->who, WTERMSIG(st),
			       strsignal(WTERMSIG(st)),
			       WTERMSIG(st) == SIGSYS ? ": it broke out of its sandbox" : "");
	int s = WEXITSTATUS(st);
	if (s != 0)
		return hx_fail(e, -ECHILD, "%s failed (status %d)%s%s", c->who, s,
			       (size_t)s < c->n_exit_why && c->exit_why[s] ? ": " : "",
			       (size_t)s < c->n_exit_why && c->exit_why[s] ? c->exit_why[s] : "");
	return 0;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

int hx_child_run(const struct hx_child *c, uint8_t **out, size_t *len, struct hx_err *e)
{
	int in[2] = {-1, -1}, o[2] = {-1, -1};
	if ((c->input && pipe2(in, O_CLOEXEC) != 0) || pipe2(o, O_CLOEXEC) != 0) {
		int err = -errno;
		close_pair(in);
		return hx_fail(e, err, "pipe: %s", strerror(-err));
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (in[1] >= 0)
			close(in[1]);
		close(o[0]);
		run_child(c, in[0], o[1]);
	}
	if (in[0] >= 0)
		close(in[0]);
	close(o[1]);
	if (pid < 0) {
		int err = -errno;
		if (in[1] >= 0)
			close(in[1]);
		close(o[0]);
		return hx_fail(e, err, "fork: %s", strerror(-err));
	}
	uint64_t deadline = hx_now_ns() + c->timeout_ms * 1000000;
	int w = 0, r;
	if (in[1] >= 0) {
		(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
		w = write_bounded(in[1], c->input, c->input_len, deadline);
		close(in[1]);
	}
	(void)fcntl(o[0], F_SETFL, O_NONBLOCK);
	r = w == -ETIMEDOUT ? w : read_bounded(o[0], out, len, c->max_output, deadline);
	close(o[0]);
	if (r < 0) /* late, too much, or broken: it must not hold us */
		kill(pid, SIGKILL);
	int rr = reap(c, pid, e);
	if (r == 0 && (rr < 0 || w < 0)) { /* output from a child that failed: not ours */
		free(*out);
		*out = NULL;
		*len = 0;
	}
	if (r == -ETIMEDOUT)
		return hx_fail(e, r, "the %s did not finish within %llu ms", c->who,
			       (unsigned long long)c->timeout_ms);
	if (rr < 0)
		return rr;
	if (r < 0)
		return hx_fail(e, r, "reading the %s's output: %s", c->who, strerror(-r));
	if (w < 0)
		return hx_fail(e, w, "sending the %s its input: %s", c->who, strerror(-w));
	return 0;
}

/*
 * helperproc.c - fork the helper, feed it, collect and decode its plan.
 * Must never: wait for the helper without a deadline.
 */
#define _GNU_SOURCE
#include "helperproc.h"
#include "../helper/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(int in_r, int out_w, const struct ld_file *files, size_t n_files, int other1,
		   int other2)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* The helper. */
	close(other1);
	close(other2);
	int *keep = calloc(n_files + 2, sizeof(int));
	if (!keep)
		_exit(3);
	keep[0] = in_r;
	keep[1] = out_w;
	for (size_t i = 0; i < n_files; i++)
		keep[i + 2] = files[i].fd;
	hx_close_except(keep, n_files + 2);
	free(keep);
	signal(SIGPIPE, SIG_DFL);
	_exit(hp_main(in_r, out_w));
}

/* Write everything before the deadline (fd is non-blocking): a helper
 * that stops reading (stopped by someone, stuck) must not hold us. */
static int write_bounded(int fd, const uint8_t *b, size_t len, uint64_t deadline_ns)
{
	while (len) {
		ssize_t r = write(fd, b, len);
		if (r > 0) {
			b += r;
			len -= (size_t)r;
			continue;
		}
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		uint64_t now = hx_now_ns();
		if (now >= deadline_ns)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		(void)poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
	}
	return 0;
}

/* Read until EOF, at most max bytes, before the deadline. */
static int read_bounded(int fd, uint8_t **out, size_t *len, size_t max, uint64_t deadline_ns)
{
	size_t cap = 65536, n = 0;
	uint8_t *b = malloc(cap);
	if (!b)
		return -ENOMEM;
	for (;;) {
		uint64_t now = hx_now_ns();
		if (now >= deadline_ns) {
			free(b);
			return -ETIMEDOUT;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue; /* the deadline check above ends it */
		if (n == cap) {
			if (cap >= max) {
				free(b);
				return -E2BIG;
			}
			cap *= 2;
			uint8_t *nb = realloc(b, cap);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;
			free(b);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = b;
	*len = n;
	return 0;
}

static int reap(pid_t pid, struct hx_err *e)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return hx_fail(e, -errno, "waiting for the helper: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return hx_fail(e, -ECHILD, "helper killed by signal %d (%s)%s", WTERMSIG(status),
			       strsignal(WTERMSIG(status)),
			       WTERMSIG(status) == SIGSYS ? ": it broke out of its sandbox" : "");
	if (WEXITSTATUS(status) != 0)
		return hx_fail(e, -ECHILD, "helper failed (status %d)%s", WEXITSTATUS(status),
			       WEXITSTATUS(status) == 2 ? ": could not enter its sandbox" : "");
	return 0;
}

int ld_helper_run(const struct hx_request *req, const struct ld_file *files, size_t n_files,
		  struct hx_plan *plan, struct hx_err *e)
{
	int in[2], out[2];
	uint8_t *rq, *pb = NULL;
	size_t rq_len, pb_len = 0;
	int r = hx_request_encode(req, &rq, &rq_len);
	if (r < 0)
		return hx_fail(e, r, "encoding the request: %s", strerror(-r));
	if (pipe2(in, O_CLOEXEC) != 0) {
		free(rq);
		return hx_fail(e, -errno, "pipe: %s", strerror(errno));
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		free(rq);
		return hx_fail(e, r, "pipe: %s", strerror(-r));
	}
	pid_t pid = spawn(in[0], out[1], files, n_files, in[1], out[0]);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		r = hx_fail(e, -errno, "fork: %s", strerror(errno));
	} else {
		uint64_t deadline = hx_now_ns() + (uint64_t)LD_HELPER_TIMEOUT_MS * 1000000;
		(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
		int w = write_bounded(in[1], rq, rq_len, deadline);
		close(in[1]);
		in[1] = -1;
		r = w == -ETIMEDOUT ? w : read_bounded(out[0], &pb, &pb_len, HX_PLAN_MAX_BYTES, deadline);
		if (r == -ETIMEDOUT)
			kill(pid, SIGKILL);
		int rr = reap(pid, e);
		if (rr < 0)
			r = rr;
		else if (r < 0)
			hx_fail(e, r, "reading the plan: %s", strerror(-r));
		else if (w < 0)
			r = hx_fail(e, w, "sending the request: %s", strerror(-w));
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	free(rq);
#ifdef HUGEXEC_TESTING
	/* Test builds: a compromised helper's message, damaged in transit. */
	const char *evil = getenv("HUGEXEC_TEST_EVIL_PLAN");
	if (r == 0 && evil && strcmp(evil, "truncate") == 0 && pb_len > 10)
		pb_len -= 10;
	if (r == 0 && evil && strcmp(evil, "oversize") == 0) {
		uint8_t *nb = realloc(pb, pb_len + 100);
		if (nb) {
			memset(nb + pb_len, 0xff, 100);
			pb = nb;
			pb_len += 100;
		}
	}
	if (r == 0 && evil && strcmp(evil, "execve") == 0 && pb_len > sizeof(struct hx_plan_header) +
		    sizeof(struct hx_plan_group) * ((struct hx_plan_header *)pb)->n_groups + 4) {
		size_t at = sizeof(struct hx_plan_header) +
			    sizeof(struct hx_plan_group) * ((struct hx_plan_header *)pb)->n_groups;
		uint32_t op = 59; /* __NR_execve, not a step the vocabulary knows */
		memcpy(pb + at, &op, sizeof(op));
	}
#endif
	if (r == 0)
		r = hx_plan_decode(pb, pb_len, plan, e);
	free(pb);
	return r;
}

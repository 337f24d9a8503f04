/*
 * logsink.c - hugexec's messages to a file or to syslog (logsink.h).
 * A syslog line is what would have been one line on stderr, without its
 * "hugexec: " prefix (syslog's ident says it).
 */
#define _GNU_SOURCE
#include "logsink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

/* The stream's cookie: a line being put together. */
struct sys_line {
	char buf[1024];
	size_t n;
};

static void flush_line(struct sys_line *l)
{
	if (!l->n)
		return;
	l->buf[l->n] = '\0';
	const char *msg = strncmp(l->buf, "hugexec: ", 9) == 0 ? l->buf + 9 : l->buf;
	syslog(LOG_DAEMON | LOG_INFO, "%s", msg);
	l->n = 0;
}

static ssize_t sys_write(void *cookie, const char *data, size_t size)
{
	struct sys_line *l = cookie;
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' || l->n + 1 >= sizeof(l->buf))
			flush_line(l);
		if (data[i] != '\n')
			l->buf[l->n++] = data[i];
	}
	return (ssize_t)size;
}

static int sys_close(void *cookie)
{
	flush_line(cookie);
	return 0;
}

int ld_log_setup(struct ld_opts *o, struct hx_err *e)
{
	FILE *f = NULL;
	if (o->syslog) {
		static struct sys_line line; /* (the one stream; lives as long as the process) */
		cookie_io_functions_t io = {.write = sys_write, .close = sys_close};
		openlog("hugexec", LOG_PID, LOG_DAEMON);
		f = fopencookie(&line, "w", io);
	} else if (o->log) {
		/* never through a link someone put there, never blocking on a FIFO */
		int fd = open(o->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
				      O_NONBLOCK, 0644);
		if (fd < 0)
			return hx_fail(e, -errno, "--log: %s: %s", o->log, strerror(errno));
		struct stat st;
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return hx_fail(e, -EINVAL, "--log: %s: not a regular file", o->log);
		}
		(void)fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);
		if (!(f = fdopen(fd, "a")))
			close(fd);
	} else {
		return 0;
	}
	if (!f)
		return hx_fail(e, -ENOMEM, "--log: out of memory");
	setvbuf(f, NULL, _IOLBF, 0); /* whole lines, none left in a buffer at fork */
	o->msg = f;
	if (o->verbose == 0 && !o->quiet)
		o->verbose = 1; /* a log gets the summary line of every launch */
	return 0;
}

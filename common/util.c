/*
 * util.c - the small helpers declared in hx.h: error records, sizes, clocks,
 * whole-file reads of procfs/sysfs.
 *
 * Must never: print. Errors go into struct hx_err or the return value.
 */
#define _GNU_SOURCE
#include "hx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int hx_fail(struct hx_err *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return code;
}

int hx_wrap(struct hx_err *e, const char *fmt, ...)
{
	if (!e)
		return -EINVAL;
	char both[sizeof(e->msg) * 2];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(both, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return e->code;
	size_t at = strlen(both);
	snprintf(both + at, sizeof(both) - at, ": %s", e->msg);
	memcpy(e->msg, both, sizeof(e->msg) - 1);
	e->msg[sizeof(e->msg) - 1] = '\0';
	return e->code;
}

uint64_t hx_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int hx_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int hx_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			cap = cap * 2 > max ? max : cap * 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			free(buf);
			close(fd);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int hx_read_u64_file(const char *path, uint64_t *out)
{
	char *text;
	int r = hx_read_file(path, 4096, &text, NULL);
	if (r < 0)
		return r;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	r = (errno || end == text) ? -EINVAL : 0;
	free(text);
	if (r == 0)
		*out = v;
	return r;
}

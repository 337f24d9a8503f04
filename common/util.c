/*
 * util.c - the small helpers declared in hx.h: error records, sizes, clocks,
 * whole-file reads of procfs/sysfs.
 *
 * Must never: print. Errors go into struct hx_err or the return value.
 */
#define _GNU_SOURCE
#include "hx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

uint64_t hx_clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t hx_now_ns(void)
{
	return hx_clock_ns(CLOCK_MONOTONIC);
}

int hx_grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	if (nc > SIZE_MAX / sz)
		return -ENOMEM;
	void *na = realloc(*arr, nc * sz);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

int hx_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

size_t hx_u64_lower_bound(const uint64_t *a, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool hx_u64_in(const uint64_t *a, size_t n, uint64_t lo, uint64_t hi)
{
	size_t i = hx_u64_lower_bound(a, n, lo);
	return i < n && a[i] < hi;
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

/* Read until len bytes or the end of the file: how many, or -errno. */
static ssize_t read_up_to(int fd, char *buf, size_t len)
{
	size_t n = 0;
	while (n < len) {
		ssize_t r = read(fd, buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int hx_read_fd(int fd, size_t max, char **out, size_t *len)
{
	/* Most files read here are small /proc files (auxv, status, the maps
	 * of a short command): read on the stack first and allocated at their
	 * size, which a small-size allocator serves from its heap (musl's
	 * maps and unmaps a large block each time: 15 us a read here). */
	char first[4096];
	ssize_t got = read_up_to(fd, first, sizeof(first));
	if (got < 0)
		return (int)got;
	size_t n = (size_t)got, cap = sizeof(first);
	if (n > max)
		return -EFBIG;
	char *buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, first, n);
	while (n == cap && cap <= max) { /* full: room for max bytes and one more, to see the end */
		size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		char *nb = realloc(buf, ncap + 1);
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		cap = ncap;
		if ((got = read_up_to(fd, buf + n, cap - n)) < 0) {
			free(buf);
			return (int)got;
		}
		n += (size_t)got;
	}
	if (n > max) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int hx_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = hx_read_fd(fd, max, out, len);
	close(fd);
	return r;
}

int hx_write_replace(const char *path, unsigned mode, void (*fill)(FILE *f, const void *ctx),
		     const void *ctx, struct hx_err *e)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp))
		return hx_fail(e, -ENAMETOOLONG, "%s: the name is too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return hx_fail(e, -err, "%s: %s", tmp, strerror(err));
	}
	fill(f, ctx);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		unlink(tmp);
		return hx_fail(e, -EIO, "writing %s failed", tmp);
	}
	if (rename(tmp, path) < 0) {
		int err = errno;
		unlink(tmp);
		return hx_fail(e, -err, "%s: %s", path, strerror(err));
	}
	return 0;
}

int hx_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

const char *hx_status_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ':')
			return p + kl + 1;
	return NULL;
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

static bool kept(int fd, const int *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* Closing while reading /proc/self/fd would disturb the listing, so
 * collect a batch, close it, and look again until a pass finds nothing.
 * Without /proc, close_range(2) every gap between the kept ones. */
void hx_close_except(const int *keep, size_t n)
{
	for (;;) {
		DIR *d = opendir("/proc/self/fd");
		if (!d) {
			unsigned lo = 3;
			for (unsigned fd = 3; fd <= 65536; fd++)
				if (kept((int)fd, keep, n)) {
					if (fd > lo)
						(void)syscall(SYS_close_range, lo, fd - 1, 0);
					lo = fd + 1;
				}
			(void)syscall(SYS_close_range, lo, ~0U, 0);
			return;
		}
		int dfd = dirfd(d), victims[256];
		size_t nv = 0;
		struct dirent *de;
		while ((de = readdir(d)) != NULL && nv < HX_ARRAY_LEN(victims)) {
			int fd = atoi(de->d_name);
			if (de->d_name[0] != '.' && fd > 2 && fd != dfd && !kept(fd, keep, n))
				victims[nv++] = fd;
		}
		closedir(d);
		for (size_t i = 0; i < nv; i++)
			close(victims[i]);
		if (nv == 0)
			return;
	}
}

const char *hx_opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);
	if (strncmp(a, lng, n) == 0 && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0))
		return *i + 1 < argc ? argv[++*i] : "";
	return NULL;
}

int hx_self_status(const char *key, int base, unsigned long long *out)
{
	return hx_status_number("/proc/self/status", key, base, out);
}

int hx_proc_exe(pid_t pid, char *buf, size_t size)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int hx_status_number(const char *path, const char *key, int base, unsigned long long *out)
{
	char *text;
	int r = hx_read_file(path, 1 << 16, &text, NULL);
	if (r < 0)
		return r;
	const char *v = hx_status_value(text, key);
	if (v)
		*out = strtoull(v, NULL, base);
	free(text);
	return v ? 0 : -ENOENT;
}

int hx_exe_sibling(const char *const *rel, size_t n, char *out, size_t size)
{
	char dir[4096];
	if (hx_proc_exe(getpid(), dir, sizeof(dir)) < 0)
		return -ENXIO; /* our own path unknown (no /proc?) */
	char *slash = strrchr(dir, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out, size, "%s%s", dir, rel[i]);
		if (w > 0 && (size_t)w < size && access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/*
 * perfmap.c - the safe writer of /tmp/perf-PID.map (see perfmap.h).
 * Must never: open the path without O_NOFOLLOW.
 */
#define _GNU_SOURCE
#include "perfmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Effective uid and gid of pid, from /proc/PID/status. */
static int owner_of(pid_t pid, uid_t *uid, gid_t *gid)
{
	char path[64], *text;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int r = hx_read_file(path, 1 << 16, &text, NULL);
	if (r < 0)
		return r;
	unsigned long ru, eu, rg, eg;
	const char *u = strstr(text, "\nUid:"), *g = strstr(text, "\nGid:");
	r = (u && g && sscanf(u, "\nUid: %lu %lu", &ru, &eu) == 2 &&
	     sscanf(g, "\nGid: %lu %lu", &rg, &eg) == 2) ? 0 : -EINVAL;
	free(text);
	if (r == 0) {
		*uid = (uid_t)eu;
		*gid = (gid_t)eg;
	}
	return r;
}

static int open_map(const char *path, uid_t uid, struct hx_err *e)
{
	/* 0600: the runtime addresses of every function would otherwise tell
	 * any local user where a root service's code is (ASLR). perf runs as
	 * the owner or root. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 || errno != EEXIST) {
		if (fd < 0)
			return hx_fail(e, -errno, "%s: %s", path, strerror(errno));
		return fd;
	}
	/* It exists: only a stale map of our own user may be reused. */
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != uid) {
		if (fd >= 0)
			close(fd);
		return hx_fail(e, -EEXIST, "%s exists and is not a stale map of this user; "
			       "not writing it", path);
	}
	if (fchmod(fd, 0600) != 0 || ftruncate(fd, 0) != 0) {
		int err = -errno;
		close(fd);
		return hx_fail(e, err, "%s: %s", path, strerror(-err));
	}
	return fd;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int ld_perfmap_write(const struct ld_tracer *tr, const char *dir, struct hx_err *e)
{
	size_t lines = 0;
	for (size_t i = 0; i < tr->n_regions; i++) {
		const struct ld_region_result *r = &tr->regions[i];
		if ((r->backing == HX_BACK_THP || r->backing == HX_BACK_HUGETLB) &&
		    r->perfmap_str != HX_NO_STR)
			lines++;
	}
	if (lines == 0)
		return 0;
	uid_t uid;
	gid_t gid;
	if (owner_of(tr->pid, &uid, &gid) < 0)
		return hx_fail(e, -ESRCH, "cannot read the program's user");
	char path[256];
	snprintf(path, sizeof(path), "%s/perf-%d.map", dir, (int)tr->pid);
	int fd = open_map(path, uid, e);
	if (fd < 0)
		return fd;
	int r = 0;
	lines = 0;
	for (size_t i = 0; i < tr->n_regions && r == 0; i++) {
		const struct ld_region_result *rr = &tr->regions[i];
		if ((rr->backing != HX_BACK_THP && rr->backing != HX_BACK_HUGETLB) ||
		    rr->perfmap_str == HX_NO_STR)
			continue;
		const char *text = hx_plan_str(&tr->plan, rr->perfmap_str);
		for (const char *c = text; *c; c++)
			lines += *c == '\n';
		r = write_all(fd, text, strlen(text));
	}
	if (r == 0 && geteuid() == 0 && fchown(fd, uid, gid) != 0)
		r = -errno;
	if (close(fd) != 0 && r == 0)
		r = -errno;
	if (r < 0)
		return hx_fail(e, r, "%s: %s", path, strerror(-r));
	return (int)(lines > INT32_MAX ? INT32_MAX : lines);
}

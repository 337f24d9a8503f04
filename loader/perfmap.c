/*
 * perfmap.c - the safe writer of /tmp/perf-PID.map (see perfmap.h).
 * Must never: open the path without O_NOFOLLOW.
 */
#define _GNU_SOURCE
#include "perfmap.h"
#include "helperproc.h"

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

/* One line of the helper's text, checked: "START SIZE NAME" in hex, the
 * function inside [lo, hi), a printable name. Appended to out if good. */
static bool good_line(const char *line, size_t n, uint64_t lo, uint64_t hi)
{
	char buf[1024], name[1024];
	unsigned long long at, size;
	int used = 0;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (sscanf(buf, "%llx %llx %1023s%n", &at, &size, name, &used) != 3 || (size_t)used != n)
		return false;
	if (at < lo || at >= hi || size == 0 || size > hi - at)
		return false;
	for (const char *c = name; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return false;
	return true;
}

/* The good lines of text for region [lo, hi), appended to *buf. */
static int append_region(const char *text, uint64_t lo, uint64_t hi, char **buf, size_t *len,
			 size_t *lines)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		if (good_line(text, n, lo, hi)) {
			char *nb = realloc(*buf, *len + n + 2);
			if (!nb)
				return -ENOMEM;
			memcpy(nb + *len, text, n);
			nb[*len + n] = '\n';
			*len += n + 1;
			nb[*len] = '\0';
			*buf = nb;
			(*lines)++;
		}
		text += nl ? n + 1 : n;
	}
	return 0;
}

static bool is_copy(const struct ld_region_result *r)
{
	return r->backing == HX_BACK_THP || r->backing == HX_BACK_HUGETLB;
}

/* Lines of plan p (from the helper, not trusted) for the copied regions. */
static int collect(const struct ld_tracer *tr, const struct hx_plan *p, char **buf, size_t *lines)
{
	size_t len = 0;
	*buf = NULL;
	*lines = 0;
	for (size_t i = 0; i < tr->n_regions; i++) {
		const struct ld_region_result *r = &tr->regions[i];
		if (!is_copy(r))
			continue;
		for (uint32_t g = 0; g < p->n_groups; g++)
			if (p->groups[g].addr == r->addr && p->groups[g].len == r->len &&
			    p->groups[g].perfmap_str != HX_NO_STR) {
				int err = append_region(hx_plan_str(p, p->groups[g].perfmap_str), r->addr,
							r->addr + r->len, buf, &len, lines);
				if (err < 0)
					return err;
				break;
			}
	}
	return 0;
}

static int write_map(pid_t pid, const char *dir, const char *text, struct hx_err *e)
{
	/* The program's user now; if it is already gone (a short run), ours:
	 * the tracer has the credentials the program started with. */
	uid_t uid = geteuid();
	gid_t gid = getegid();
	(void)owner_of(pid, &uid, &gid);
	char path[256];
	snprintf(path, sizeof(path), "%s/perf-%d.map", dir, (int)pid);
	int fd = open_map(path, uid, e);
	if (fd < 0)
		return fd;
	int r = write_all(fd, text, strlen(text));
	if (r == 0 && geteuid() == 0 && fchown(fd, uid, gid) != 0)
		r = -errno;
	if (close(fd) != 0 && r == 0)
		r = -errno;
	return r < 0 ? hx_fail(e, r, "%s: %s", path, strerror(-r)) : 0;
}

/* The helper's notes about symbols ("...: perf map: N symbols..."). */
static char *symbol_notes(const struct hx_plan *p)
{
	const char *s = hx_plan_str(p, p->notes_str);
	size_t cap = strlen(s) + 1, w = 0;
	char *out = malloc(cap);
	while (out && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
		if (memmem(s, n, ": perf map: ", 12)) {
			memcpy(out + w, s, n);
			w += n;
		}
		s += n;
	}
	if (out)
		out[w] = '\0';
	return out;
}

int ld_perfmap_after(const struct ld_tracer *tr, const char *dir, char **notes, struct hx_err *e)
{
	*notes = NULL;
	bool any = false;
	for (size_t i = 0; i < tr->n_regions; i++)
		any |= is_copy(&tr->regions[i]);
	if (!any)
		return 0;
	struct hx_request rq;
	struct hx_plan p;
	int r = ld_request_build(tr, HX_REQ_PERF_MAP, &rq, e);
	if (r < 0)
		return r;
	r = ld_helper_run(&rq, tr->files, tr->n_files, &p, e);
	hx_request_free(&rq);
	if (r < 0)
		return r;
	char *text = NULL;
	size_t lines = 0;
	r = collect(tr, &p, &text, &lines);
	*notes = symbol_notes(&p);
	hx_plan_free(&p);
	if (r == 0 && lines > 0)
		r = write_map(tr->pid, dir, text, e);
	else if (r < 0)
		hx_fail(e, r, "out of memory");
	free(text);
	return r < 0 ? r : (int)(lines > INT32_MAX ? INT32_MAX : lines);
}

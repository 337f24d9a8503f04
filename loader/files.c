/*
 * files.c - the files the helper gets (files.h).
 */
#define _GNU_SOURCE
#include "files.h"
#include "candidate.h"
#include "../profile/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static bool have_file(const struct ld_tracer *tr, const struct hx_vma *v)
{
	for (size_t i = 0; i < tr->pl.n_files; i++)
		if (hx_vma_of_file(v, tr->pl.files[i].dev_major, tr->pl.files[i].dev_minor, tr->pl.files[i].inode))
			return true;
	return false;
}

/* The mapped file itself: /proc/PID/map_files (exact, needs privilege),
 * else its path, accepted only if device and inode match. */
static int open_mapped(pid_t pid, const struct hx_vma *v)
{
	char mf[96];
	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)v->start, (unsigned long long)v->end);
	int fd = open(mf, O_RDONLY | O_CLOEXEC);
	/* By path only if the mapped file is still there; never block on a
	 * FIFO someone put in its place (the program is stopped meanwhile). */
	if (fd < 0 && v->path[0] == '/' && !v->deleted)
		fd = open(v->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    !hx_vma_of_file(v, major(st.st_dev), minor(st.st_dev), st.st_ino)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int ld_files_open(struct ld_tracer *tr)
{
	const struct hx_vmas *m = &tr->pl.vmas;
	tr->pl.files = calloc(m->n ? m->n : 1, sizeof(*tr->pl.files));
	if (!tr->pl.files)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (!ld_candidate_tr(tr, v) || have_file(tr, v))
			continue;
		int fd = open_mapped(tr->pid, v);
		if (fd < 0)
			continue; /* the helper will say this mapping was left alone */
		tr->pl.files[tr->pl.n_files++] = (struct ld_file){v->dev_major, v->dev_minor, v->inode, fd};
	}
	return 0;
}

/* --profile: opened here, with the user's own rights, for the helper to
 * parse in its sandbox. Trouble opening it is a warning: the program runs
 * with plain huge pages, as with a stale profile. */
void ld_profile_open(struct ld_tracer *tr)
{
	const char *path = tr->pl.profile_path;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	const char *why = fd < 0 ? strerror(errno)
			  : fstat(fd, &st) != 0 ? strerror(errno)
			  : !S_ISREG(st.st_mode) ? "not a regular file"
			  : (uint64_t)st.st_size > PROF_FILE_MAX ? "too large" : NULL;
	if (why) {
		snprintf(tr->pl.warn, sizeof(tr->pl.warn), "warning: profile %.450s: %s; not used", path, why);
		if (fd >= 0)
			close(fd);
		return;
	}
	tr->pl.profile_fd = fd;
}

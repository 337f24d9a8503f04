/*
 * handoff.c - the launcher's tracer becomes hugexec-core (handoff.h).
 */
#define _GNU_SOURCE
#include "handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HANDOFF_MAGIC 0x31666f646e616878ull /* "hxandof1" */
#define CORE_NAME "hugexec-core"

_Static_assert(sizeof(HX_VERSION) <= sizeof(((struct ld_handoff *)0)->version),
	       "HX_VERSION must fit the record's version field whole");

extern char **environ;

int ld_core_find(char *path, size_t size, struct hx_err *e)
{
	static const char *const where[] = {"/" CORE_NAME, "/../libexec/hugexec/" CORE_NAME};
	int r = hx_exe_sibling(where, HX_ARRAY_LEN(where), path, size);
	if (r == -ENXIO)
		return hx_fail(e, r, "%s cannot be found: /proc/self/exe cannot be read (is /proc "
			       "mounted?)", CORE_NAME);
	if (r < 0)
		return hx_fail(e, r, "%s is not installed beside hugexec", CORE_NAME);
	return 0;
}

void ld_handoff_fill(struct ld_handoff *h, const struct ld_tracer *tr, const char *cmd_path)
{
	memset(h, 0, sizeof(*h));
	h->magic = HANDOFF_MAGIC;
	h->size = sizeof(*h);
	snprintf(h->version, sizeof(h->version), "%s", HX_VERSION);
	h->pid = tr->pid;
	h->stopped_by = tr->stop.stopped_by;
	h->entry = tr->stop.entry;
	h->interp_base = tr->stop.interp_base;
	h->vdso = tr->stop.vdso;
	h->follow_until = tr->follow_until;
	h->entry_ns = tr->t.entry_ns;
	h->followed = tr->followed;
	h->reported = tr->reported;
	h->qualified = tr->pl.qualified;
	snprintf(h->note, sizeof(h->note), "%s", tr->stop.settle.note);
	snprintf(h->path, sizeof(h->path), "%s", cmd_path);
}

int ld_handoff_exec(const char *core, const struct ld_tracer *tr, const char *cmd_path,
		    char **argv, struct hx_err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return hx_fail(e, -errno, "pipe: %s", strerror(errno));
	/* the read end crosses the exec, above 0-2 (which may be closed) */
	int rd = fcntl(p[0], F_DUPFD, 3);
	int err = rd < 0 ? -errno : 0;
	close(p[0]);
	struct ld_handoff *h = err ? NULL : malloc(sizeof(*h));
	if (!err && !h)
		err = -ENOMEM;
	if (!err) {
		/* The record up to the path's end, a few hundred bytes: an
		 * empty pipe holds it (at least one page, even for a user past
		 * pipe-user-pages-soft). Never blocking: nobody reads before
		 * the exec, so a pipe too small for it is a failure. */
		ld_handoff_fill(h, tr, cmd_path);
		size_t len = ld_handoff_wire_len(h);
		ssize_t w = fcntl(p[1], F_SETFL, O_NONBLOCK) == 0 ? write(p[1], h, len) : -1;
		err = w == (ssize_t)len ? 0 : w < 0 ? -errno : -EMSGSIZE;
		free(h);
	}
	close(p[1]);
	size_t n = 0;
	while (argv[n])
		n++;
	char fdarg[32];
	char **nargv = err ? NULL : calloc(n + 3, sizeof(char *));
	if (!err && !nargv)
		err = -ENOMEM;
	if (!err) {
		snprintf(fdarg, sizeof(fdarg), "--handoff=%d", rd);
		nargv[0] = argv[0];
		nargv[1] = fdarg;
		nargv[2] = "--";
		memcpy(nargv + 3, argv + 1, n * sizeof(char *)); /* with its NULL */
		execve(core, nargv, environ);
		err = -errno;
		free(nargv);
	}
	if (rd >= 0)
		close(rd);
	return hx_fail(e, err, "starting %s: %s", core, strerror(-err));
}

int ld_handoff_read(int fd, struct ld_handoff *h, struct hx_err *err)
{
	size_t got = 0;
	memset(h, 0, sizeof(*h)); /* (a path without its NUL then fails the length) */
	while (got < sizeof(*h)) {
		ssize_t n = read(fd, (char *)h + got, sizeof(*h) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	size_t head = offsetof(struct ld_handoff, path);
	if (got <= head || got != ld_handoff_wire_len(h) || h->magic != HANDOFF_MAGIC ||
	    h->size != sizeof(*h) || strncmp(h->version, HX_VERSION, sizeof(h->version)) != 0)
		return hx_fail(err, -EPROTO, "the launcher's record does not match this %s (%s): "
			       "hugexec and %s come from different builds", CORE_NAME, HX_VERSION,
			       CORE_NAME);
	h->note[sizeof(h->note) - 1] = '\0';
	return 0;
}

size_t ld_handoff_wire_len(const struct ld_handoff *h)
{
	size_t head = offsetof(struct ld_handoff, path);
	return head + strnlen(h->path, sizeof(h->path) - 1) + 1;
}

void ld_handoff_apply(const struct ld_handoff *h, struct ld_tracer *tr)
{
	tr->stop.at_entry = true;
	tr->stop.stopped_by = (enum ld_bp)h->stopped_by;
	tr->stop.entry = h->entry;
	tr->stop.interp_base = h->interp_base;
	tr->stop.vdso = h->vdso;
	tr->follow_until = h->follow_until;
	tr->t.entry_ns = h->entry_ns;
	tr->followed = h->followed;
	tr->reported = h->reported;
	tr->pl.qualified = h->qualified;
	snprintf(tr->stop.settle.note, sizeof(tr->stop.settle.note), "%s", h->note);
}

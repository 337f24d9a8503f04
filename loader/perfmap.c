/*
 * perfmap.c - the perf map stage and its safe writer (see perfmap.h).
 *
 * Race left open, by necessity: a program that opens a stale map (one
 * from before its process existed) with "w" in the microseconds between
 * our check of that file and our unlink of it writes into the removed
 * file. Nothing can close it: the kernel has no "replace if unchanged".
 * Must never: open an existing file for writing, or create a file without
 * O_EXCL|O_NOFOLLOW.
 */
#define _GNU_SOURCE
#include "perfmap.h"
#include "symfile.h"
#include "helperproc.h"
#include "request_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(struct ld_pm_report *rep, int level, const char *fmt, ...) HX_PRINTF(3, 4);
static void say(struct ld_pm_report *rep, int level, const char *fmt, ...)
{
	struct ld_pm_msg m = {.level = level};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->msg[i].text, m.text) == 0)
			return; /* one line per file, however many regions it has */
	struct ld_pm_msg *nm = realloc(rep->msg, (rep->n + 1) * sizeof(*nm));
	if (!nm)
		return; /* out of memory: a message less */
	rep->msg = nm;
	rep->msg[rep->n++] = m;
}

void ld_pm_report_free(struct ld_pm_report *rep)
{
	free(rep->msg);
	memset(rep, 0, sizeof(*rep));
}

/* --- the lines ------------------------------------------------------- */

bool ld_perfmap_line_ok(const char *line, size_t n, uint64_t lo, uint64_t hi)
{
	char buf[1024], name[1024];
	unsigned long long at, size;
	int used = 0;
	if (n == 0 || n >= sizeof(buf) || line[0] == '#')
		return false;
	memcpy(buf, line, n);
	buf[n] = '\0';
	if (sscanf(buf, "%llx %llx %1023s%n", &at, &size, name, &used) != 3 || (size_t)used != n)
		return false;
	/* any overlap: a function that starts before the copy or ends after
	 * it still names the bytes of the copy it covers */
	if (size == 0 || at + size < at || !hx_overlaps(lo, hi - lo, at, size))
		return false;
	for (const char *c = name; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return false;
	return true;
}

int ld_perfmap_filter(const char *text, uint64_t lo, uint64_t hi, char **buf, size_t *len,
		      size_t *lines)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		if (ld_perfmap_line_ok(text, n, lo, hi)) {
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

/* --- installing the file --------------------------------------------- */

/* A new file of a random name in dir, for us alone; its name in tmp. */
static int make_temp(const char *dir, pid_t pid, char *tmp, size_t size)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned long long rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return -errno;
		snprintf(tmp, size, "%s/.hugexec-perf-%d.%016llx", dir, (int)pid, rnd);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

/* The content, mode 0600 whatever the umask (the program must be able to
 * reopen it with "w"; function addresses would tell any local user where
 * a root service's code is), and the program's user. */
static int fill(int fd, const void *bytes, size_t len, const struct ld_pm_owner *who)
{
	int r = hx_write_all(fd, bytes, len);
	if (r == 0 && fchmod(fd, 0600) != 0)
		r = -errno;
	if (r == 0 && geteuid() == 0 && fchown(fd, who->uid, who->gid) != 0)
		r = -errno;
	else if (r == 0 && geteuid() != 0 && who->uid != geteuid())
		r = -EPERM; /* it would not be the program's user's */
	return r;
}

/* Link the file we wrote (by descriptor: whatever now sits at its temp
 * name does not matter) to path. EEXIST if path exists, even as a
 * dangling symlink. */
static int link_fd(int fd, const char *path)
{
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

enum verdict { V_GONE, V_STALE, V_OWN, V_REFUSE };

/* Must the existing file st be left alone whatever its age? Why in why. */
static bool refused(const struct stat *st, const struct ld_pm_owner *who, char *why, size_t n)
{
	if (S_ISLNK(st->st_mode))
		snprintf(why, n, "is a symbolic link");
	else if (!S_ISREG(st->st_mode))
		snprintf(why, n, "is not a regular file");
	else if (st->st_nlink != 1)
		snprintf(why, n, "has %lu hard links", (unsigned long)st->st_nlink);
	else if (st->st_uid != who->uid)
		snprintf(why, n, "belongs to uid %u, not to the program's (%u)",
			 (unsigned)st->st_uid, (unsigned)who->uid);
	else
		return false;
	return true;
}

/* What the existing path is; why in buf (for V_OWN and V_REFUSE). */
static enum verdict judge(const char *path, const struct ld_pm_owner *who, char *why, size_t n)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		int err = errno;
		snprintf(why, n, "cannot be looked at (%s)", strerror(err));
		return err == ENOENT ? V_GONE : V_REFUSE;
	}
	if (refused(&st, who, why, n))
		return V_REFUSE;
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (who->started_ns != 0 && mtime < who->started_ns - LD_PM_STALE_MARGIN_NS)
		return V_STALE; /* older than the process: a previous one's with this PID */
	snprintf(why, n, "%s", who->started_ns == 0
		 ? "may be the program's own (its start time is unknown)"
		 : "was written since the program started: its own map");
	return V_OWN;
}

/* Link fd to path, replacing a stale map. 1 linked, 0 left alone. */
static int place(int fd, const char *path, const struct ld_pm_owner *who, struct ld_pm_report *rep)
{
	char why[200];
	for (int tries = 0; tries < 3; tries++) {
		int r = link_fd(fd, path);
		if (r != -EEXIST)
			return r == 0 ? 1 : r;
		switch (judge(path, who, why, sizeof(why))) {
		case V_GONE:
			continue;
		case V_STALE:
			if (unlink(path) != 0 && errno != ENOENT)
				return -errno;
			if ((r = link_fd(fd, path)) == 0)
				say(rep, LD_PM_VV, "replaced %s, a stale map from before the program started",
				    path);
			else if (r == -EEXIST) /* the program made its own meanwhile */
				say(rep, LD_PM_V, "%s appeared as hugexec replaced a stale one: the "
				    "program's own map; left alone", path);
			return r == 0 ? 1 : r == -EEXIST ? 0 : r;
		case V_OWN:
			say(rep, LD_PM_V, "%s %s; left alone", path, why);
			return 0;
		case V_REFUSE:
			say(rep, LD_PM_ALWAYS, "%s %s; left alone, not writing it", path, why);
			return 0;
		}
	}
	say(rep, LD_PM_ALWAYS, "%s keeps changing; left alone, not writing it", path);
	return 0;
}

/* Remove our temp name, if it still is ours. */
static void drop_temp(int fd, const char *tmp)
{
	struct stat ours, now;
	if (fstat(fd, &ours) == 0 && lstat(tmp, &now) == 0 && ours.st_dev == now.st_dev &&
	    ours.st_ino == now.st_ino)
		unlink(tmp);
}

/* Install len bytes as path (a file of the program's user, as above). */
static int install(const char *dir, const char *path, pid_t pid, const void *bytes, size_t len,
		   const struct ld_pm_owner *who, struct ld_pm_report *rep)
{
	char tmp[560];
	if (!who->known) {
		say(rep, LD_PM_ALWAYS, "%s: the program's user is unknown; not writing it", path);
		return -ESRCH;
	}
	int fd = make_temp(dir, pid, tmp, sizeof(tmp));
	if (fd < 0) {
		say(rep, LD_PM_ALWAYS, "a new file in %s: %s", dir, strerror(-fd));
		return fd;
	}
	int r = fill(fd, bytes, len, who);
	if (r == 0)
		r = place(fd, path, who, rep);
	drop_temp(fd, tmp);
	close(fd); /* written with write(2): nothing buffered to lose */
	if (r < 0)
		say(rep, LD_PM_ALWAYS, "%s: %s", path, strerror(-r));
	return r;
}

int ld_perfmap_install(const char *dir, pid_t pid, const char *text, const struct ld_pm_owner *who,
		       struct ld_pm_report *rep)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/perf-%d.map", dir, (int)pid);
	return install(dir, path, pid, text, strlen(text), who, rep);
}

/* gdb's symbol file of each island in place (symfile.h): its functions
 * from the helper's lines, its records from the plan that ran. */
static void symfiles(const struct ld_tracer *tr, const char *dir, struct ld_pm_report *rep)
{
	const struct hx_plan *run = &tr->pl.plan;
	char path[512];
	unsigned next = 0; /* hugexec-PID.sym, then hugexec-PID.1.sym, ... */
	snprintf(path, sizeof(path), "%s/hugexec-%d.sym", dir, (int)tr->pid);
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		const char *lines = NULL;
		const struct hx_plan_step *blob = NULL;
		if (!r->island || !r->functions)
			continue;
		for (uint32_t g = 0; g < run->n_groups && !blob; g++) {
			const struct hx_plan_group *rg = &run->groups[g];
			if (rg->addr != r->addr || !(rg->flags & HX_GROUP_LAYOUT))
				continue;
			if (rg->perfmap_str != HX_NO_STR)
				lines = hx_plan_str(run, rg->perfmap_str);
			for (uint32_t k = 0, pokes = 0; k < rg->n_steps && !blob; k++)
				if (run->steps[rg->first_step + k].op == HX_OP_POKE && ++pokes == 2)
					blob = &run->steps[rg->first_step + k]; /* the records */
		}
		uint8_t *elf;
		size_t len;
		if (!lines || !blob ||
		    ld_symfile_build(lines, r->addr, r->addr + r->len, run->data + blob->a[1],
				     (size_t)blob->a[2], blob->a[0], &elf, &len) < 0)
			continue;
		/* one island per file: the executable's, the libraries' would
		 * need a second name; gdb takes several with add-symbol-file */
		if (install(dir, path, tr->pid, elf, len, &tr->pl.facts.owner, rep) == 1)
			say(rep, LD_PM_VV, "gdb: add-symbol-file %s", path);
		free(elf);
		snprintf(path, sizeof(path), "%s/hugexec-%d.%u.sym", dir, (int)tr->pid, ++next);
	}
}

/* --- the stage ------------------------------------------------------- */

static bool is_copy(const struct ld_region_result *r)
{
	return r->backing == HX_BACK_THP || r->backing == HX_BACK_HUGETLB;
}

/* Note a file whose symbols are missing or partial (the header line). */
static void note_source(const char *lines, const char *path, size_t found, struct ld_pm_report *rep)
{
	if (strncmp(lines, HX_PERFMAP_NONE, strlen(HX_PERFMAP_NONE)) == 0)
		say(rep, LD_PM_V, "%s has no symbols (stripped): its copied text is not in the map",
		    path);
	else if (strncmp(lines, HX_PERFMAP_FDE, strlen(HX_PERFMAP_FDE)) == 0)
		say(rep, LD_PM_V, "%s has no symbols (stripped): only functions with unwind records "
		    "are in the map, named sub_ADDR (%zu)", path, found);
	else if (strncmp(lines, HX_PERFMAP_DYNSYM, strlen(HX_PERFMAP_DYNSYM)) == 0)
		say(rep, LD_PM_V, "%s is stripped: its exported symbols (.dynsym) are in the map, "
		    "and its other functions with unwind records as sub_ADDR",
		    path);
	else
		say(rep, LD_PM_VV, "%s: %zu symbols", path, found);
}

/* The lines of plan p (the helper's, not trusted) for the copied regions. */
static int collect(const struct ld_tracer *tr, const struct hx_plan *p, char **buf, size_t *lines,
		   struct ld_pm_report *rep)
{
	size_t len = 0;
	for (size_t i = 0; i < tr->out.n_regions; i++) {
		const struct ld_region_result *r = &tr->out.regions[i];
		const char *path = hx_plan_str(&tr->pl.plan, r->path_str), *text = NULL;
		if (!is_copy(r))
			continue;
		/* an island's lines came with the plan that ran; the text's come
		 * from the perf map run's plan p */
		const struct hx_plan *from = r->island ? &tr->pl.plan : p;
		for (uint32_t g = 0; g < from->n_groups && !text; g++)
			if (from->groups[g].addr == r->addr && from->groups[g].len == r->len &&
			    from->groups[g].perfmap_str != HX_NO_STR)
				text = hx_plan_str(from, from->groups[g].perfmap_str);
		if (!text) {
			say(rep, LD_PM_V, "no symbols could be read for %s", path);
			continue;
		}
		size_t before = *lines;
		int err = ld_perfmap_filter(text, r->addr, r->addr + r->len, buf, &len, lines);
		if (err < 0)
			return err;
		note_source(text, path, *lines - before, rep);
	}
	return 0;
}

bool ld_perfmap_wanted(const struct ld_tracer *tr)
{
	for (size_t i = 0; i < tr->out.n_regions; i++)
		if (is_copy(&tr->out.regions[i]))
			return true;
	return false; /* file-backed text keeps its name: perf needs no map */
}

void ld_perfmap_run(const struct ld_tracer *tr, const char *dir, struct ld_pm_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	if (!ld_perfmap_wanted(tr))
		return;
	struct hx_request rq;
	struct hx_plan p;
	struct hx_err e = {0};
	/* the helper reads symbols only for copied text: islands bring theirs */
	bool text = false;
	for (size_t i = 0; i < tr->out.n_regions; i++)
		text |= is_copy(&tr->out.regions[i]) && !tr->out.regions[i].island;
	hx_plan_init(&p, tr->pid);
	int r = text ? ld_request_build(tr, HX_REQ_PERF_MAP, &rq, &e) : 0;
	if (r == 0 && text) {
		r = ld_helper_run(&rq, tr->pl.files, tr->pl.n_files, &p, &e);
		hx_request_free(&rq);
	}
	if (r < 0) {
		say(rep, LD_PM_ALWAYS, "%s", e.msg);
		return;
	}
	char *map = NULL;
	size_t lines = 0;
	r = collect(tr, &p, &map, &lines, rep);
	symfiles(tr, dir, rep);
	hx_plan_free(&p);
	if (r < 0)
		say(rep, LD_PM_ALWAYS, "out of memory");
	else if (lines > 0 && ld_perfmap_install(dir, tr->pid, map, &tr->pl.facts.owner, rep) == 1)
		say(rep, LD_PM_VV, "%zu symbols in %s/perf-%d.map", lines, dir, (int)tr->pid);
	free(map);
}

/*
 * helper.c - the helper process's main line.
 *
 * The sandbox goes up before the first read: everything after it, the
 * request and the ELF files, is treated as hostile. A failure to plan is
 * reported as an empty plan whose notes say why, so the loader can tell the
 * user; a crash or a sandbox kill is seen by the loader as a dead helper.
 * Must never: write anything but one plan to out_fd.
 */
#define _GNU_SOURCE
#include "helper.h"
#include "../common/elfinfo.h"
#include "../common/elfsyms.h"
#include "planner.h"
#include "../profile/profile.h"
#include "../common/sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int read_exact(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		got += (size_t)r;
	}
	return 0;
}

static int read_request(int fd, struct hx_request *req, struct hx_err *e)
{
	struct hx_req_header h;
	int r = read_exact(fd, (uint8_t *)&h, sizeof(h));
	if (r < 0)
		return hx_fail(e, r, "reading the request: %s", strerror(-r));
	uint64_t max = sizeof(h) + (uint64_t)HX_REQ_MAX_FILES * sizeof(struct hx_req_file) +
		       3ull * HX_REQ_MAX_TEXT;
	if (h.total_size < sizeof(h) || h.total_size > max)
		return hx_fail(e, -EBADMSG, "request: bad size %u", h.total_size);
	uint8_t *buf = malloc(h.total_size);
	if (!buf)
		return hx_fail(e, -ENOMEM, "request: out of memory");
	memcpy(buf, &h, sizeof(h));
	r = read_exact(fd, buf + sizeof(h), h.total_size - sizeof(h));
	if (r == 0)
		r = hx_request_decode(buf, h.total_size, req, e);
	else
		hx_fail(e, r, "reading the request: %s", strerror(-r));
	free(buf);
	return r;
}

static int read_symbols(const struct hp_input *in, size_t file, struct hx_elfsyms *out)
{
	return hx_elfsyms_read(in->fds[file], out);
}

static int plan_from(const struct hx_request *req, struct hx_plan *plan, struct hx_err *e)
{
	struct hx_vmas vmas;
	int r = hx_vmas_parse(req->maps, req->h.maps_len, &vmas);
	if (r < 0)
		return hx_fail(e, r, "request: unparsable maps");
	struct hp_file *files = calloc(req->h.n_files ? req->h.n_files : 1, sizeof(*files));
	int *fds = calloc(req->h.n_files ? req->h.n_files : 1, sizeof(*fds));
	if (!files || !fds) {
		free(files);
		free(fds);
		hx_vmas_free(&vmas);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < req->h.n_files && r == 0; i++) {
		files[i].dev_major = req->files[i].dev_major;
		files[i].dev_minor = req->files[i].dev_minor;
		files[i].inode = req->files[i].inode;
		fds[i] = req->files[i].fd;
		r = hp_elf_read(fds[i], &files[i].elf);
	}
	/* --profile: hostile input like the ELF files; a bad one is a warning
	 * in the plan and changes nothing else */
	struct prof_profile prof;
	struct hx_err pe = {0};
	bool have_prof = false;
	prof_init(&prof);
	if (r == 0 && req->h.profile_name_len)
		have_prof = prof_load_fd(req->h.profile_fd, req->profile_name, &prof, &pe) == 0;
	if (r == 0) {
		struct hp_input in = {
			.req = &req->h,
			.only = req->only,
			.exclude = req->exclude,
			.vmas = &vmas,
			.files = files,
			.n_files = req->h.n_files,
			.read_symbols = read_symbols,
			.fds = fds,
			.profile = have_prof ? &prof : NULL,
			.profile_name = req->profile_name,
			.profile_error = req->h.profile_name_len && !have_prof ? pe.msg : NULL,
		};
		r = hp_plan_build(&in, plan, e);
	} else {
		hx_fail(e, r, "reading ELF files: %s", strerror(-r));
	}
	prof_free(&prof);
	free(files);
	free(fds);
	hx_vmas_free(&vmas);
	return r;
}

/* An empty plan that carries the reason, so the loader can say it. */
static int failure_plan(int32_t pid, const struct hx_err *e, struct hx_plan *plan)
{
	char text[sizeof(e->msg) + 16];
	snprintf(text, sizeof(text), "helper: %s", e->msg);
	hx_plan_init(plan, pid);
	return hx_plan_add_string(plan, text, &plan->reason_str);
}

int hp_main(int in_fd, int out_fd)
{
	struct hx_err e = {0};
	if (hp_sandbox_enter(out_fd, &e) < 0)
		return 2; /* without the sandbox, no target data is read */
	struct hx_request req;
	struct hx_plan plan;
	int r = read_request(in_fd, &req, &e);
	if (r == 0 && (req.h.options & HX_REQ_DEBUG_ESCAPE))
		(void)syscall(SYS_getppid); /* forbidden: the filter kills us here */
	if (r == 0) {
		r = plan_from(&req, &plan, &e);
		if (r < 0)
			r = failure_plan(req.h.pid, &e, &plan);
		hx_request_free(&req);
	} else {
		r = failure_plan(0, &e, &plan);
	}
	if (r < 0)
		return 3;
	uint8_t *buf;
	size_t len;
	r = hx_plan_encode(&plan, &buf, &len);
	hx_plan_free(&plan);
	if (r < 0)
		return 3;
	r = hx_write_all(out_fd, buf, len);
	free(buf);
	return r < 0 ? 4 : 0;
}

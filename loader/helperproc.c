/*
 * helperproc.c - fork the helper, feed it, collect and decode its plan.
 * Must never: wait for the helper without a deadline.
 */
#define _GNU_SOURCE
#include "helperproc.h"
#include "testhooks.h"
#include "../common/child.h"
#include "../helper/helper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* In the helper process: its main line, on the request pipe. */
static int helper_work(void *arg, int in_fd, int out_fd)
{
	(void)arg;
	return hp_main(in_fd, out_fd);
}

int ld_helper_run(const struct hx_request *req, const struct ld_file *files, size_t n_files,
		  struct hx_plan *plan, struct hx_err *e)
{
	static const char *const why[] = {[2] = "could not enter its sandbox",
					  [3] = "out of memory", [4] = "could not write its plan"};
	uint8_t *rq, *pb = NULL;
	size_t rq_len, pb_len = 0;
	int r = hx_request_encode(req, &rq, &rq_len);
	if (r < 0)
		return hx_fail(e, r, "encoding the request: %s", strerror(-r));
	int *keep = calloc(n_files + 1, sizeof(int));
	if (!keep) {
		free(rq);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	size_t n_keep = 0;
	for (size_t i = 0; i < n_files; i++)
		keep[n_keep++] = files[i].fd;
	if (req->h.profile_name_len || (req->profile_name && *req->profile_name))
		keep[n_keep++] = req->h.profile_fd;
	struct hx_child c = {
		.who = "helper",
		.keep = keep,
		.n_keep = n_keep,
		.work = helper_work,
		.input = rq,
		.input_len = rq_len,
		.max_output = HX_PLAN_MAX_BYTES,
		.timeout_ms = LD_HELPER_TIMEOUT_MS,
		.exit_why = why,
		.n_exit_why = HX_ARRAY_LEN(why),
	};
	r = hx_child_run(&c, &pb, &pb_len, e);
	free(keep);
	free(rq);
	if (r == 0)
		ld_test_damage_plan(&pb, &pb_len); /* test builds: a message damaged in transit */
	if (r == 0)
		r = hx_plan_decode(pb, pb_len, plan, e);
	free(pb);
	return r;
}

/*
 * child.h - run work in a forked child that keeps only the descriptors it
 * needs, feed it an input, collect its output with a size bound and a
 * deadline, and reap it. Both the planner helper and the recorder's
 * symbolizer run this way: the child enters its sandbox itself (the work
 * function's first act), so that everything it reads is read inside it.
 * Must never: wait for the child without a deadline, or return output the
 * child did not finish writing (a child that dies or overruns is an error).
 */
#ifndef HX_CHILD_H
#define HX_CHILD_H

#include "hx.h"

struct hx_child {
	const char *who;           /* for messages: "helper", "symbolizer" */
	const int *keep;           /* descriptors the child keeps besides 0-2 and its pipes */
	size_t n_keep;
	/* Runs in the child (after the other descriptors are closed); in_fd is
	 * -1 without input. Its return value is the child's exit status. */
	int (*work)(void *arg, int in_fd, int out_fd);
	void *arg;
	const uint8_t *input;      /* written to in_fd before the output is read */
	size_t input_len;
	size_t max_output;
	uint64_t timeout_ms;       /* for writing the input and reading the output */
	const char *const *exit_why; /* exit_why[status]: what a non-zero status means */
	size_t n_exit_why;
};

/* The child's whole output in *out (malloc'd, NUL-terminated, *len bytes
 * before the NUL), or -errno with e saying what went wrong. */
int hx_child_run(const struct hx_child *c, uint8_t **out, size_t *len, struct hx_err *e) HX_WUR;

#endif

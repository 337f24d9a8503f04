/*
 * sandbox.h - shut the helper in before it reads a byte of target data.
 *
 * Order: no_new_privs, not dumpable, drop root to nobody (best effort),
 * then a default-kill seccomp allowlist: read what is already open,
 * allocate memory (private, never executable), write the plan to one
 * descriptor, exit. No call that takes a path is allowed, and every call
 * not allowed kills (newfstatat too, which glibc's fstat() uses), so
 * nothing can be opened, looked up, executed, traced or sent anywhere.
 * Must never: return 0 without the filter loaded.
 */
#ifndef HP_SANDBOX_H
#define HP_SANDBOX_H

#include "hx.h"

/* out_fd is the only descriptor the helper may write to (plus stderr when
 * built with sanitizers, whose reports go there). */
int hp_sandbox_enter(int out_fd, struct hx_err *e) HX_WUR;

#endif

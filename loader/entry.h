/*
 * entry.h - from the exec event to the entry point (entry.c), and the
 * ptrace helpers the other phases share.
 */
#ifndef LD_ENTRY_H
#define LD_ENTRY_H

#include "tracer.h"

int ld_entry_wait_exec(struct ld_tracer *tr, struct hx_err *e) HX_WUR;
/* ptrace on the target: 0 or -errno. */
int ld_pt(struct ld_tracer *tr, int req, void *addr, void *data);
/* LD_PTRACE_OPTIONS, with or without PTRACE_O_EXITKILL (off while
 * nothing of the program's is borrowed: following a wrapper, or while
 * hugexec-core starts). 0 or -errno. */
int ld_set_options(struct ld_tracer *tr, bool exitkill);
/* Let a stop that is not ours go on as if we were not there, resuming
 * with how (PTRACE_CONT, or PTRACE_SYSCALL to stop at the next call). */
int ld_pass_through(struct ld_tracer *tr, const struct inj_stop *s, int how) HX_WUR;
int ld_entry_run(struct ld_tracer *tr, struct hx_err *e) HX_WUR;
/* How the last entry stop was made, for -vv. */
const char *ld_entry_how(const struct ld_tracer *tr);
/* AT_* lookup in a /proc/PID/auxv image; -ENOENT if absent. */
int ld_auxv_get(const uint8_t *buf, size_t len, uint64_t type, uint64_t *val) HX_WUR;

/* AT_ENTRY, AT_BASE, AT_SYSINFO_EHDR from /proc/PID/auxv into tr->stop (the
 * entry stop's, and attach's for a process long past it). */
int ld_stop_read_auxv(struct ld_tracer *tr, struct hx_err *e) HX_WUR;

#endif

/*
 * perfmap.h - write /tmp/perf-PID.map for text that became anonymous, so
 * that perf, bcc and other symbolizers still name its functions.
 *
 * Root writing a predictable name in /tmp must not be tricked: the file is
 * created with O_CREAT|O_EXCL|O_NOFOLLOW; an existing file is reused only
 * if it is a regular file with one link, owned by the program's user (a
 * stale map of a previous process with the same PID); anything else is
 * refused with a note. The file belongs to the program's user, as perf
 * requires.
 * Must never: follow a symlink, write through a hard link, or change a file
 * that belongs to someone else.
 */
#ifndef LD_PERFMAP_H
#define LD_PERFMAP_H

#include "tracer.h"

/* Returns the number of lines written (0: nothing to write) or -errno with
 * e describing the refusal. dir is normally "/tmp". */
int ld_perfmap_write(const struct ld_tracer *tr, const char *dir, struct hx_err *e);

#endif

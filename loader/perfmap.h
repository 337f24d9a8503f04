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

/* Once the program runs on (off its critical path): ask the helper for the
 * symbols of the regions that ended as copies, keep the lines that name a
 * function inside them, and write dir/perf-PID.map ("/tmp" normally).
 * Returns the number of lines written (0: nothing to write) or -errno with
 * e saying why. */
int ld_perfmap_after(const struct ld_tracer *tr, const char *dir, char **notes, struct hx_err *e);
/* *notes (malloc'd, may stay NULL): the helper's lines about symbols, per
 * file ("N symbols", "stripped"), for -vv. */

#endif

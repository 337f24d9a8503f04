/*
 * logsink.h - `--log=FILE` and `--syslog`: hugexec's own lines go there
 * instead of stderr, for services whose stderr nobody reads. With either,
 * every launch logs its one summary line (-v), failures included.
 *
 * Only the stream hugexec prints to (o->msg) changes, in hugexec's process
 * image: the program's descriptor 2 is never touched (the exec discards
 * the stream; the tracer is a process of its own).
 * Must never: print anything itself, or fail a launch: a log that cannot
 * be opened is said on stderr once, and stderr stays.
 */
#ifndef LD_LOGSINK_H
#define LD_LOGSINK_H

#include "../common/cli.h"

/* Point o->msg at the log o asks for (none: nothing to do), and make
 * it -v unless -q. 0, or -errno with e (o->msg unchanged). */
int ld_log_setup(struct ld_opts *o, struct hx_err *e);

#endif

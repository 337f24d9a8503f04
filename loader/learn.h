/*
 * learn.h - `--learn=SECONDS` (with --profile-dir): a program whose build
 * has no profile in the directory is sampled while it runs, at a low rate
 * (LD_LEARN_HZ), until it exits or SECONDS have passed, and the profile is
 * saved as DIR/BUILD-ID.prof: its next start gets the layout.
 *
 * Runs in the tracer process once the program was let go: off its path,
 * at the recorder's cost (about 0.2% of a busy thread at this rate). The
 * tracer has nothing more to say by then: anything the recorder would
 * print goes nowhere, as a line after the program's exit would land in
 * whatever its parent runs next.
 * Must never: leave a partial profile under the final name (a temporary
 * file is renamed when complete), or replace one that appeared meanwhile.
 */
#ifndef LD_LEARN_H
#define LD_LEARN_H

#include "../common/hx.h"

#include <sys/types.h>

#define LD_LEARN_HZ 99 /* samples per second per thread */

/* Sample pid for at most seconds, save dir/build_id.prof. 0, or -errno. */
int ld_learn(pid_t pid, const char *dir, const char *build_id, unsigned seconds);

#endif

/*
 * profdir.h - `--profile-dir=DIR`: the profile of this build of the
 * program is DIR/BUILD-ID.prof, BUILD-ID the main executable's GNU
 * build-id in lowercase hex (what `hugexec profile show` prints for it,
 * and the name `--learn` saves under). One directory serves every build
 * of a fleet; a profile of another build is never even opened.
 *
 * The build-id comes from the kernel (PROCMAP_QUERY on /proc/PID/maps,
 * Linux 6.11): the tracer parses no ELF file. On an older kernel it comes
 * from the helper's first plan (its "program build-id" note), and the
 * plan is made again with the profile.
 * Must never: open a file in DIR whose name is not a build-id.
 */
#ifndef LD_PROFDIR_H
#define LD_PROFDIR_H

#include "../common/plan.h"

#include <sys/types.h>

#define LD_BUILD_ID_HEX_MAX 128 /* 64 bytes of id: more than any linker writes */

/* The build-id of the file mapped at addr in pid, as hex (hex: at least
 * 2 * 64 + 1 bytes). -ENOTTY: the kernel cannot say (before 6.11);
 * -ENOENT: the file has none. */
int ld_profdir_kernel_id(pid_t pid, uint64_t addr, char *hex, size_t n);

/* The build-id the helper noted for the program (HX_NOTE_PROGRAM_ID). */
int ld_profdir_note_id(const struct hx_plan *p, char *hex, size_t n);

/* DIR/HEX.prof. -EINVAL if hex is not 2..128 hex digits, -ENAMETOOLONG. */
int ld_profdir_path(const char *dir, const char *hex, char *out, size_t n);

#endif

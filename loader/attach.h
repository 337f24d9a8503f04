/*
 * attach.h - zero downtime: `hugexec attach [OPTIONS] PID` gives a running,
 * multi-threaded process the launch's huge-page treatment, and `hugexec
 * undo PID` puts its original file-backed text back.
 *
 * attach: the leader is seized and runs the same plan a launch would,
 * made by the same sandboxed helper and checked by the same validator,
 * while the other threads run on (the copies, the island and its unwind
 * registration: a call given up after CALL_TIMEOUT_MS, as it may wait
 * for a lock the leader held when stopped). Every thread is seized and
 * held (threads born meanwhile are seized by the kernel as they come) for
 * a layout's entry patches - a patch whose bytes hold a thread's
 * instruction pointer, or a word of its stack, is left out - and from the
 * first swap on: each region is swapped by one mremap, so a thread that
 * stood in it finds the same bytes at the same addresses. A thread
 * stopped inside a system call has the call restarted as the kernel would
 * have (its registers are saved in their restarted form). What was
 * swapped or patched is written to /tmp/hugexec-PID.undo (mode 0600): the
 * regions, the patched pages outside them, their files' identity, the
 * islands.
 * undo: each region still holding a copy, and each patched page, gets its
 * file mapped back over it (MAP_FIXED, one call: again the same bytes at
 * the same addresses, but for the patches), only if the file at the
 * recorded path is still the one that was mapped (device, inode, size,
 * modification time); otherwise that region is refused, with a message.
 * Islands stay (a thread may return into one).
 * Must never: let a thread run while a region is between its two
 * mremaps or a patch is half written, resume a thread inside a patch, or
 * detach a thread with registers other than its own.
 */
#ifndef LD_ATTACH_H
#define LD_ATTACH_H

#include <sys/types.h>

/* argv[0] is "attach" or "undo". Exit status: 0 done (or nothing to do),
 * 1 refused or failed (the process runs on unchanged), 2 usage. */
int ld_attach_main(int argc, char **argv);
int ld_undo_main(int argc, char **argv);

/* What the undo record of pid says: "attached", "undone", or NULL (none,
 * or one older than the process: another one's, the PID was reused). */
const char *ld_undo_state(pid_t pid);

/* The undo record of pid: "/tmp/hugexec-PID.undo". */
#define LD_UNDO_PATH_FMT "/tmp/hugexec-%d.undo"

#endif

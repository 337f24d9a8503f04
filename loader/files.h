/*
 * files.h - what the tracer opens for the helper, which never opens
 * anything: each mapped executable file that could give a region (checked
 * to be the very file mapped, by device and inode), and the --profile file
 * (with the invoking user's own rights).
 * Must never: pass the helper a file other than the one mapped.
 */
#ifndef LD_FILES_H
#define LD_FILES_H

#include "tracer.h"

/* Open the candidates' files into tr->pl.files. 0, or -ENOMEM; a file that
 * cannot be opened is left out (the helper says its mapping was left
 * alone). */
int ld_files_open(struct ld_tracer *tr) HX_WUR;

/* Open tr->pl.profile_path into tr->pl.profile_fd; trouble is a warning in
 * tr->pl.warn. */
void ld_profile_open(struct ld_tracer *tr);

#endif

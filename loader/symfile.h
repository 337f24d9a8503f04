/*
 * symfile.h - an ELF symbol file of a hot island, for gdb.
 *
 * gdb knows nothing of the island: it shows its frames as "??" and cannot
 * unwind through them. `add-symbol-file /tmp/hugexec-PID.sym` gives it the
 * moved functions' names and sizes at their copies' addresses (.symtab)
 * and the copies' unwind records at their runtime address (.eh_frame,
 * whose pc-relative pointers are then right as they are). The file has
 * sections only: .text (NOBITS, the island), .eh_frame, .symtab, .strtab.
 * Pure: lines and bytes in, the file's bytes out; perfmap.c installs it
 * the way it installs the perf map.
 * Must never: emit a symbol outside the island, or a name that is not one
 * printable token (the lines come from the helper).
 */
#ifndef LD_SYMFILE_H
#define LD_SYMFILE_H

#include "../common/hx.h"

/* The file for the island [lo, hi) from perf map lines ("START SIZE
 * NAME", only those inside the island are taken) and the unwind records
 * eh[0..eh_len) mapped at eh_addr. *out is malloc'd. 0, -ENOENT (no
 * function inside the island) or -ENOMEM. */
int ld_symfile_build(const char *lines, uint64_t lo, uint64_t hi, const uint8_t *eh, size_t eh_len,
		     uint64_t eh_addr, uint8_t **out, size_t *len) HX_WUR;

#endif

/*
 * dynsym.h - find a function a shared library exports, in the target's
 * memory: what ld.so would bind a call to it to, without ld.so.
 *
 * The loader needs a few entry points of the program's own libraries to
 * call in it (libgcc_s's __register_frame, libc's dlopen). It reads them
 * the way ld.so does, from the mapped ELF header, PT_DYNAMIC and the GNU
 * hash table, all through /proc/PID/mem; never a file, never the helper
 * (whose answers are not trusted with what the target runs).
 * Must never: read without a bound, or return an address outside the
 * library's own executable mappings.
 */
#ifndef LD_DYNSYM_H
#define LD_DYNSYM_H

#include "../common/maps.h"
#include "../inject/inject.h"

/* The first mapping (file offset 0) of the library whose file name is
 * soname (the last path component), or NULL. */
const struct hx_vma *ld_lib_of(const struct hx_vmas *m, const char *soname);

/* The runtime address of the function name that the library mapped at
 * base (its first mapping) exports. 0, -ENOENT (not exported), or -EINVAL
 * (what is mapped there does not read as an ELF library). */
int ld_dynsym(struct inj_target *t, const struct hx_vmas *m, uint64_t base, const char *name,
	      uint64_t *addr) HX_WUR;

#endif

/*
 * resolve.h - find CMD the way execvp(3) does, and decide before exec
 * whether tracing it is safe and useful.
 *
 * Must never: decide to trace a program that tracing would change (a
 * setuid/setgid/file-capability binary run by a non-root user loses its
 * privileges under ptrace).
 */
#ifndef LD_RESOLVE_H
#define LD_RESOLVE_H

#include "../common/hx.h"

/* Resolve cmd against path_env (NULL: the default "/bin:/usr/bin").
 * Returns 0 with the file in out, -ENOENT (none found: exit 127) or
 * -EACCES (found, not executable: exit 126) or -EISDIR (cmd, with a slash,
 * is a directory: exit 126). */
int ld_resolve(const char *cmd, const char *path_env, char *out, size_t outlen) HX_WUR;

/* NULL if the program may be traced; else why it runs untraced (static
 * text or written into buf). A "#!" script is judged by the interpreter
 * the kernel will run, followed as the kernel does. */
const char *ld_precheck(const char *path, bool privileged, char *buf, size_t buflen);

/* After execve(path) failed with ENOENT although path is there: the
 * interpreter that is missing, as named on its "#!" line or in its ELF
 * PT_INTERP, in out. 0 if found, -ENOENT if path names none. */
int ld_missing_interpreter(const char *path, char *out, size_t outlen) HX_WUR;

#endif

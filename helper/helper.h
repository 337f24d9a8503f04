/*
 * helper.h - the planner process: sandbox, request in, plan out.
 *
 * The loader forks, arranges the descriptors (request pipe, plan pipe, the
 * mapped ELF files it opened) and calls hp_main() in the child, which never
 * returns to loader code: the caller _exit()s with its result.
 * Must never: act on the target. It only reads what it was given and writes
 * one plan.
 */
#ifndef HP_HELPER_H
#define HP_HELPER_H

/* Returns the exit status for the helper process (0: a plan was written,
 * possibly empty with notes saying why). */
int hp_main(int in_fd, int out_fd);

#endif

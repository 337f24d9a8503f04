/*
 * profile_cli.h - `hugexec profile show|merge|import|export`.
 * Must never: write a profile it did not fully parse and check.
 */
#ifndef PROF_PROFILE_CLI_H
#define PROF_PROFILE_CLI_H

/* argv[0] is "profile". Returns the exit status for hugexec. */
int prof_main(int argc, char **argv);

#endif

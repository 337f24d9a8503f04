/*
 * record.h - `hugexec record`: sample a program without a hardware PMU and
 * write a profile (see docs/profile-format.md).
 *
 *   hugexec record -o FILE [--freq HZ] [--duration SECONDS] -- CMD ARGS...
 *   hugexec record -o FILE -p PID [--duration SECONDS]
 * Must never: change the recorded program's output, exit status or signals.
 */
#ifndef REC_RECORD_H
#define REC_RECORD_H

/* argv[0] is "record". Returns the exit status for hugexec. */
int rec_main(int argc, char **argv);

#endif

/*
 * status.h - `hugexec status [--json] [PID...]`: did it work?
 *
 * For each process, one line per executable mapping: path, size, KB on
 * 2 MB pages, backing. Reads /proc only, so an ordinary user can ask about
 * their own processes.
 * Must never: write anywhere but stdout and stderr.
 */
#ifndef LD_STATUS_H
#define LD_STATUS_H

int ld_status_main(int argc, char **argv);

#endif

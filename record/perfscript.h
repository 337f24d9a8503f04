/*
 * perfscript.h - read the text `perf script` prints, so that profiles taken
 * elsewhere (with real hardware events, or on hosts without hugexec) can be
 * used.
 *
 * Accepted: the default output, with or without -g call chains, and -F
 * field lists that keep ip, sym, symoff and dso:
 *   comm  1234  56.789:   250000 task-clock:   401136 main+0x16 (/usr/bin/x)
 *   comm  1234  56.789:   250000 task-clock:
 *   <TAB>  401136 leaf+0x16 (/usr/bin/x)
 *   <TAB>  4011f0 main+0x40 (/usr/bin/x)
 *   (blank line)
 * A frame is located by symbol name and offset (sym+0xOFF), never by its
 * address: perf prints runtime addresses on sample lines and file-relative
 * ones in call chains, and that has changed between versions. Frames in
 * the kernel, [vdso], anonymous memory or without a symbol count as
 * samples of no function. Only the first two frames are used: the leaf
 * (where the time went) and its caller (an edge, checked like the
 * recorder's frame-pointer links). Use `perf script --no-demangle` for C++:
 * demangled names do not match the symbol table.
 * The output has no build-ids: the binaries are read when the samples are
 * symbolized (rec_symbolize), from their paths or from files the user
 * names instead.
 * Must never: accept a line it does not understand without naming it.
 */
#ifndef PROF_PERFSCRIPT_H
#define PROF_PERFSCRIPT_H

#include "rawprof.h"

struct prof_ps_stats {
	uint64_t samples;   /* sample blocks */
	uint64_t kernel;    /* whose leaf was in the kernel */
	uint64_t no_object; /* leaf in [vdso], [unknown] or anonymous memory */
	uint64_t no_symbol; /* leaf in a file, but without sym+0xOFF */
};

/* Parse text into raw: objects by the dso path perf printed (fd -1; the
 * caller opens them), locations by symbol name and offset. Errors name
 * "NAME:LINE". */
int prof_perfscript_parse(const char *text, size_t len, const char *name, struct rec_raw *raw,
			  struct prof_ps_stats *st, struct hx_err *e) HX_WUR;

#endif

/*
 * cli.h - the command line of `hugexec [OPTIONS] [--] CMD [ARGS...]`.
 *
 * Pure: argv in, options out (no printing; errors come back in hx_err).
 * Options end at the first non-option word, as with env(1) and nice(1), so
 * CMD's own options are never taken for ours.
 * Must never: read the environment (main.c applies HUGEXEC_* variables).
 */
#ifndef LD_CLI_H
#define LD_CLI_H

#include "hx.h"
#include "request.h"

/* The settings, for telling where each came from (hugexec config). */
enum ld_setting {
	LD_SET_VERBOSE, LD_SET_QUIET, LD_SET_STRICT, LD_SET_DRY_RUN, LD_SET_PERF_MAP,
	LD_SET_MIN_SIZE, LD_SET_BACKING, LD_SET_ALIGN, LD_SET_ONLY, LD_SET_EXCLUDE,
	LD_SET_FOLLOW, LD_SET_PROFILE, LD_SET_LAYOUT, LD_SET_LAYOUT_SHARE, LD_SET_MOVE,
	LD_SET_REPORT, LD_SET_PROFILE_DIR, LD_SET_LEARN, LD_SET_LOG, LD_SET_SYSLOG, LD_SET_COUNT
};

struct ld_opts {
	int verbose;            /* -v: 1 summary line; -vv: the plan too */
	bool quiet;             /* -q: no notes */
	bool strict;            /* --strict: failure to remap = exit 125 */
	bool dry_run;           /* --dry-run: print the plan, change nothing */
	bool help, version;
	bool perf_map;          /* --no-perf-map clears it */
	uint64_t min_size;      /* --min-size */
	uint32_t backing;       /* enum hx_backing_mode */
	uint32_t align;         /* enum hx_align_mode */
	char *only;             /* newline-separated globs (--only, repeatable) */
	char *exclude;          /* newline-separated globs (--exclude) */
	uint32_t follow_ms;     /* --follow-exec: how long to wait for a wrapper's exec */
	bool follow_ms_set;     /* given on the command line (else a default) */
	const char *profile;    /* --profile FILE (points into argv), or NULL */
	const char *profile_dir; /* --profile-dir DIR: DIR/BUILD-ID.prof, or NULL */
	uint32_t learn_s;       /* --learn=SECONDS: record a build without a profile; 0 off */
	const char *log;        /* --log FILE: our lines there, not on stderr */
	bool syslog;            /* --syslog: our lines to syslog */
	bool layout_off;        /* --layout=off */
	uint32_t layout_permille; /* --layout-share, per 1000 */
	bool move_all;          /* --move=all */
	const char *report;     /* --report FILE (%p, %n expanded), or NULL */
	FILE *msg;              /* where hugexec's lines go: stderr, or the stream
				 * of --log or --syslog (logsink.h) */
	int cmd_index;          /* argv index of CMD; argc if missing */
	const char *source;     /* where the words being parsed come from */
	char from[LD_SET_COUNT][80]; /* where each setting came from ("" built-in) */
};

#define LD_DEFAULT_MIN_SIZE ((uint64_t)2 << 20)
#define LD_DEFAULT_LAYOUT_PERMILLE 990u
/* env, nice, numactl, taskset exec their command within milliseconds; a
 * shell script's `exec` at its end may take longer. */
#define LD_DEFAULT_FOLLOW_MS 2000u /* 500 for a tracer that must watch
					      * every system call (follow.c) */
#define LD_MAX_FOLLOW_MS 3600000u

/* Parse argv[1..]. Returns 0 (see opts->help/version/cmd_index) or
 * -EINVAL with e->msg naming the bad option. */
int ld_cli_parse(int argc, char **argv, struct ld_opts *opts, struct hx_err *e) HX_WUR;
void ld_cli_free(struct ld_opts *opts);

/* The built-in settings (what ld_cli_parse starts from). */
void ld_cli_defaults(struct ld_opts *o);

/* Parse argv[1..] on top of o (a configuration applied first); source
 * names them ("command line"). */
int ld_cli_parse_more(int argc, char **argv, struct ld_opts *o, const char *source,
		      struct hx_err *e) HX_WUR;

/* n words that must all be options (HUGEXEC_OPTIONS), on top of o. */
int ld_cli_parse_words(int n, char **words, struct ld_opts *o, const char *source,
		       struct hx_err *e) HX_WUR;

/* One setting by its long name, as a configuration file gives it: a flag
 * takes yes or no (verbose a level, 0 to 3). value must outlive o. */
int ld_cli_set(struct ld_opts *o, const char *name, const char *value, const char *source,
	       struct hx_err *e) HX_WUR;

/* Setting s: its name, and its value as text (for hugexec config). */
const char *ld_cli_setting_name(enum ld_setting s);
void ld_cli_show(const struct ld_opts *o, enum ld_setting s, char *buf, size_t n);

/* The --help text. */
const char *ld_cli_usage(void);

#endif

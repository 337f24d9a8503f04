/*
 * cli.c - parse hugexec's options (by hand: no getopt global state, no
 * printing, and options stop at the first word that is not one).
 * Must never: consume a word that belongs to CMD.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: hugexec [OPTIONS] [--] CMD [ARGS...]\n"
	"       hugexec status [--json] [PID...]        what is on 2 MB pages, per process\n"
	"       hugexec record -o FILE [OPTIONS] -- CMD [ARGS...] | -p PID\n"
	"                                               sample where a program spends its time\n"
	"       hugexec profile show|merge|import|export|check ...   work with profiles\n"
	"       hugexec config [OPTIONS] [CMD]          the settings CMD would get, and whence\n"
	"       hugexec attach [OPTIONS] PID | undo PID  the same for a running process, and back\n"
	"       (each subcommand takes --help)\n"
	"Run CMD with its machine code on 2 MB pages. CMD keeps hugexec's PID,\n"
	"output and exit status; any problem leaves it running unmodified.\n"
	"\n"
	"  -v, --verbose        one summary line on stderr; -vv also the plan\n"
	"  -q, --quiet          no notes on stderr when hugexec cannot help\n"
	"      --strict         if text that qualifies stays on 4 KB pages, exit 125\n"
	"                       before CMD runs (no such text: CMD runs; -v says why)\n"
	"      --dry-run        print the plan and run CMD unmodified\n"
	"      --backing=MODE   auto (default), file, hugetlb or thp\n"
	"      --align=MODE     conservative (default): whole 2 MB pages inside each\n"
	"                       mapping; aggressive: also the partial pages at the ends\n"
	"      --min-size=SIZE  leave mappings smaller than SIZE alone (default 2M)\n"
	"      --only=GLOB      remap only mappings whose path matches (repeatable)\n"
	"      --exclude=GLOB   never remap mappings whose path matches (repeatable)\n"
	"      --no-perf-map    do not write /tmp/perf-PID.map for text that was copied\n"
	"      --profile=FILE   a saved profile (hugexec record): its hottest functions\n"
	"                       are copied together into a hot island on 2 MB pages\n"
	"                       (each original entry jumps there), its hottest 2 MB\n"
	"                       windows get the scarce hugetlb pages first; a profile\n"
	"                       of another build is not used\n"
	"      --profile-dir=DIR\n"
	"                       the profile of this build of CMD, if DIR has one:\n"
	"                       DIR/BUILD-ID.prof (the executable's build-id, hex)\n"
	"      --learn=SECONDS  with --profile-dir, when DIR has no profile of this build:\n"
	"                       sample CMD (99 Hz) until it exits or for SECONDS, and save\n"
	"                       DIR/BUILD-ID.prof for its next start (0: off)\n"
	"      --layout=off     with --profile: no island, only the hugetlb choice\n"
	"      --layout-share=PCT\n"
	"                       the island takes the hottest functions that cover PCT%\n"
	"                       of the profile's samples (default 99)\n"
	"      --move=all       testing: move every function that may move, no profile\n"
	"      --report=FILE    write what this launch did as JSON (docs/report.md), before\n"
	"                       CMD runs; %p in FILE is CMD's PID, %n its file name\n"
	"      --log=FILE       hugexec's lines to FILE (appended), not stderr; every\n"
	"                       launch then logs its summary line, as with -v\n"
	"      --syslog         the same to syslog (daemon facility, ident hugexec)\n"
	"      --follow-exec=SECONDS\n"
	"                       when CMD has nothing to remap (env, nice, numactl, a\n"
	"                       #!/usr/bin/env script), wait this long for the program it\n"
	"                       execs and remap that one (default 2, or 0.5 without\n"
	"                       CAP_SYS_PTRACE; 0: do not wait)\n"
	"  -h, --help           this text\n"
	"  -V, --version        the version\n"
	"\n"
	"Settings also come from a configuration file (HUGEXEC_CONFIG, default\n"
	"/etc/hugexec.conf: defaults, per-program sections, an allow list) and from\n"
	"HUGEXEC_OPTIONS (options as above); the command line wins over both, the\n"
	"variable over the file. HUGEXEC_DISABLE=1 runs CMD untouched.\n"
	"Exit status: CMD's; 125 hugexec failed (usage, --strict); 126 CMD not\n"
	"executable; 127 CMD not found.\n";

const char *ld_cli_usage(void)
{
	return usage;
}

/* Append glob to a newline-separated list. */
static int add_pattern(char **list, const char *glob, struct hx_err *e)
{
	if (!*glob || strchr(glob, '\n') || strlen(glob) >= 4096) /* see hx_pattern_list_match */
		return hx_fail(e, -EINVAL, "invalid pattern '%.64s'", glob);
	size_t old = *list ? strlen(*list) : 0, add = strlen(glob);
	char *n = realloc(*list, old + add + 2);
	if (!n)
		return hx_fail(e, -ENOMEM, "out of memory");
	if (old)
		n[old++] = '\n';
	memcpy(n + old, glob, add + 1);
	*list = n;
	return 0;
}

static const char *const backings[HX_MODE_COUNT] = {"auto", "file", "hugetlb", "thp"};
static const char *const aligns[HX_ALIGN_COUNT] = {"conservative", "aggressive"};

static const char *const setting_names[LD_SET_COUNT] = {
	"verbose", "quiet", "strict", "dry-run", "perf-map", "min-size", "backing", "align",
	"only", "exclude", "follow-exec", "profile", "layout", "layout-share", "move", "report",
	"profile-dir", "learn", "log", "syslog",
};

const char *ld_cli_setting_name(enum ld_setting s)
{
	return (unsigned)s < LD_SET_COUNT ? setting_names[s] : "?";
}

/* Setting s was just given: say by whom. */
static void mark(struct ld_opts *o, enum ld_setting s)
{
	snprintf(o->from[s], sizeof(o->from[s]), "%s", o->source ? o->source : "command line");
}

/* Was setting s last given by the same origin as the words being parsed
 * now (the same file, the variable, the command line)? A setting that
 * adds up (-v, --only, --exclude) adds within one origin; a higher one
 * starts it afresh. */
static bool same_origin(const struct ld_opts *o, enum ld_setting s)
{
	const char *now = o->source ? o->source : "command line", *was = o->from[s];
	size_t n = strcspn(now, ":");
	return was[0] && strncmp(was, now, n) == 0 && (was[n] == ':' || was[n] == '\0');
}

static void more_verbose(struct ld_opts *o)
{
	o->verbose = same_origin(o, LD_SET_VERBOSE) ? o->verbose + 1 : 1;
	mark(o, LD_SET_VERBOSE);
}

/* -q over a -v of a lower origin (a file's verbose = 1, then -q) */
static void quiet(struct ld_opts *o)
{
	if (o->from[LD_SET_VERBOSE][0] && !same_origin(o, LD_SET_VERBOSE))
		o->verbose = 0;
	o->quiet = true;
	mark(o, LD_SET_QUIET);
}

static int pick(const char *val, const char *const *names, size_t n, uint32_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(val, names[i]) == 0) {
			*out = (uint32_t)i;
			return 0;
		}
	return -EINVAL;
}

static int long_option(const char *name, const char *val, struct ld_opts *o, struct hx_err *e)
{
	if (strcmp(name, "backing") == 0) {
		if (pick(val, backings, HX_MODE_COUNT, &o->backing) < 0)
			return hx_fail(e, -EINVAL, "--backing: '%s' is not auto, file, hugetlb or thp", val);
		mark(o, LD_SET_BACKING);
	} else if (strcmp(name, "align") == 0) {
		if (pick(val, aligns, HX_ALIGN_COUNT, &o->align) < 0)
			return hx_fail(e, -EINVAL, "--align: '%s' is not conservative or aggressive", val);
		mark(o, LD_SET_ALIGN);
	} else if (strcmp(name, "min-size") == 0) {
		if (hx_parse_size(val, &o->min_size) < 0)
			return hx_fail(e, -EINVAL, "--min-size: '%s' is not a size like 4M", val);
		mark(o, LD_SET_MIN_SIZE);
	} else if (strcmp(name, "follow-exec") == 0) {
		char *end;
		errno = 0;
		double secs = strtod(val, &end);
		if (errno || end == val || *end || !(secs >= 0) || secs * 1000 > LD_MAX_FOLLOW_MS)
			return hx_fail(e, -EINVAL, "--follow-exec: '%s' is not a number of seconds "
				       "(0 to 3600)", val);
		o->follow_ms = (uint32_t)(secs * 1000 + 0.5);
		o->follow_ms_set = true;
		mark(o, LD_SET_FOLLOW);
	} else if (strcmp(name, "profile") == 0) {
		o->profile = *val ? val : NULL; /* (empty: none, over a lower origin's) */
		mark(o, LD_SET_PROFILE);
	} else if (strcmp(name, "layout") == 0) {
		if (strcmp(val, "off") != 0 && strcmp(val, "on") != 0)
			return hx_fail(e, -EINVAL, "--layout: '%s' is not on or off", val);
		o->layout_off = strcmp(val, "off") == 0;
		mark(o, LD_SET_LAYOUT);
	} else if (strcmp(name, "layout-share") == 0) {
		char *end;
		errno = 0;
		double pct = strtod(val, &end);
		if (errno || end == val || *end || !(pct > 0) || pct > 100)
			return hx_fail(e, -EINVAL, "--layout-share: '%s' is not a percentage "
				       "above 0, at most 100", val);
		o->layout_permille = (uint32_t)(pct * 10 + 0.5);
		if (o->layout_permille == 0)
			o->layout_permille = 1;
		mark(o, LD_SET_LAYOUT_SHARE);
	} else if (strcmp(name, "profile-dir") == 0) {
		o->profile_dir = *val ? val : NULL;
		mark(o, LD_SET_PROFILE_DIR);
	} else if (strcmp(name, "learn") == 0) {
		char *end;
		errno = 0;
		unsigned long secs = strtoul(val, &end, 10);
		if (errno || end == val || *end || *val == '-' || secs > 86400)
			return hx_fail(e, -EINVAL, "--learn: '%s' is not a number of seconds "
				       "(0 to 86400)", val);
		o->learn_s = (uint32_t)secs;
		mark(o, LD_SET_LEARN);
	} else if (strcmp(name, "log") == 0) {
		o->log = *val ? val : NULL;
		mark(o, LD_SET_LOG);
	} else if (strcmp(name, "report") == 0) {
		o->report = *val ? val : NULL;
		mark(o, LD_SET_REPORT);
	} else if (strcmp(name, "move") == 0) {
		if (strcmp(val, "all") != 0 && strcmp(val, "profile") != 0)
			return hx_fail(e, -EINVAL, "--move: '%s' is not all or profile", val);
		o->move_all = strcmp(val, "all") == 0;
		mark(o, LD_SET_MOVE);
	} else if (strcmp(name, "only") == 0 || strcmp(name, "exclude") == 0) {
		bool only = name[0] == 'o';
		enum ld_setting k = only ? LD_SET_ONLY : LD_SET_EXCLUDE;
		char **list = only ? &o->only : &o->exclude;
		if (!same_origin(o, k)) { /* a higher origin's list replaces */
			free(*list);
			*list = NULL;
		}
		mark(o, k);
		return *val ? add_pattern(list, val, e) : 0; /* (empty: none) */
	} else {
		return hx_fail(e, -EINVAL, "unknown option --%s", name);
	}
	return 0;
}

static bool takes_value(const char *name)
{
	static const char *const with[] = {"backing", "align", "min-size", "only", "exclude",
					   "follow-exec", "profile", "layout", "layout-share", "move",
					   "report", "profile-dir", "learn", "log"};
	for (size_t i = 0; i < HX_ARRAY_LEN(with); i++)
		if (strcmp(name, with[i]) == 0)
			return true;
	return false;
}

static int yes_no(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
										      "off", "0"};
	for (size_t i = 0; i < HX_ARRAY_LEN(yes); i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

/* The settings that are yes or no: --NAME, --NAME=yes|no, NAME = yes|no.
 * 1 if name is not one, -EINVAL for a value that is neither. */
static int set_flag(struct ld_opts *o, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
		enum ld_setting s;
	} flags[] = {
		{"quiet", offsetof(struct ld_opts, quiet), LD_SET_QUIET},
		{"strict", offsetof(struct ld_opts, strict), LD_SET_STRICT},
		{"dry-run", offsetof(struct ld_opts, dry_run), LD_SET_DRY_RUN},
		{"perf-map", offsetof(struct ld_opts, perf_map), LD_SET_PERF_MAP},
		{"syslog", offsetof(struct ld_opts, syslog), LD_SET_SYSLOG},
	};
	for (size_t i = 0; i < HX_ARRAY_LEN(flags); i++) {
		if (strcmp(name, flags[i].name) != 0)
			continue;
		if (yes_no(value, (bool *)((char *)o + flags[i].off)) < 0)
			return -EINVAL;
		mark(o, flags[i].s);
		if (flags[i].s == LD_SET_QUIET && o->quiet)
			quiet(o);
		return 0;
	}
	return 1;
}

static int flag(const char *name, struct ld_opts *o)
{
	if (strcmp(name, "verbose") == 0)
		more_verbose(o);
	else if (strcmp(name, "help") == 0)
		o->help = true;
	else if (strcmp(name, "version") == 0)
		o->version = true;
	else if (strcmp(name, "no-perf-map") == 0)
		return set_flag(o, "perf-map", "no");
	else if (set_flag(o, name, "yes") != 0)
		return -EINVAL;
	return 0;
}

/* "--name", "--name=value" or "--name value"; *i advances past a value. */
static int parse_long(int argc, char **argv, int *i, struct ld_opts *o, struct hx_err *e)
{
	char name[64];
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n == 0 || n >= sizeof(name))
		return hx_fail(e, -EINVAL, "unknown option %s", argv[*i]);
	memcpy(name, arg, n);
	name[n] = '\0';
	if (!takes_value(name)) {
		/* --strict=no, --perf-map=yes, --verbose=2: a flag set either way,
		 * over a lower origin's (the file, HUGEXEC_OPTIONS) */
		if (eq && strcmp(name, "help") != 0 && strcmp(name, "version") != 0) {
			return ld_cli_set(o, name, eq + 1, o->source, e);
		}
		if (eq || flag(name, o) < 0)
			return hx_fail(e, -EINVAL, "unknown option %s", argv[*i]);
		return 0;
	}
	const char *val = eq ? eq + 1 : NULL;
	if (!val) {
		if (*i + 1 >= argc)
			return hx_fail(e, -EINVAL, "option --%s needs a value", name);
		val = argv[++*i];
	}
	return long_option(name, val, o, e);
}

static int parse_short(const char *arg, struct ld_opts *o, struct hx_err *e)
{
	for (const char *c = arg + 1; *c; c++) {
		switch (*c) {
		case 'v': more_verbose(o); break;
		case 'q': quiet(o); break;
		case 'h': o->help = true; break;
		case 'V': o->version = true; break;
		default: return hx_fail(e, -EINVAL, "unknown option -%c", *c);
		}
	}
	return 0;
}

void ld_cli_defaults(struct ld_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->msg = stderr;
	o->min_size = LD_DEFAULT_MIN_SIZE;
	o->backing = HX_MODE_AUTO;
	o->align = HX_ALIGN_CONSERVATIVE;
	o->perf_map = true;
	o->follow_ms = LD_DEFAULT_FOLLOW_MS;
	o->layout_permille = LD_DEFAULT_LAYOUT_PERMILLE;
}

int ld_cli_parse_more(int argc, char **argv, struct ld_opts *o, const char *source,
		      struct hx_err *e)
{
	o->source = source;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* CMD */
		if (a[1] == '-')
			r = parse_long(argc, argv, &i, o, e);
		else
			r = parse_short(a, o, e);
		if (r < 0)
			return r;
	}
	o->cmd_index = i;
	return 0;
}

int ld_cli_parse(int argc, char **argv, struct ld_opts *o, struct hx_err *e)
{
	ld_cli_defaults(o);
	return ld_cli_parse_more(argc, argv, o, "command line", e);
}

int ld_cli_parse_words(int n, char **words, struct ld_opts *o, const char *source,
		       struct hx_err *e)
{
	for (int i = 0; i < n; i++)
		if (strcmp(words[i], "--") == 0)
			return hx_fail(e, -EINVAL, "'--' ends options on the command line only");
	/* as an argv: word 0 is skipped */
	char **argv = calloc((size_t)n + 2, sizeof(*argv));
	if (!argv)
		return hx_fail(e, -ENOMEM, "out of memory");
	argv[0] = (char *)"";
	memcpy(argv + 1, words, (size_t)n * sizeof(*argv));
	bool help = o->help, version = o->version;
	int r = ld_cli_parse_more(n + 1, argv, o, source, e);
	if (r == 0 && o->cmd_index <= n)
		r = hx_fail(e, -EINVAL, "'%s' is not an option", argv[o->cmd_index]);
	else if (r == 0 && (o->help != help || o->version != version))
		r = hx_fail(e, -EINVAL, "--help and --version belong on the command line");
	free(argv);
	return r;
}

int ld_cli_set(struct ld_opts *o, const char *name, const char *value, const char *source,
	       struct hx_err *e)
{
	o->source = source;
	if (takes_value(name))
		return long_option(name, value, o, e);
	int r = set_flag(o, name, value);
	if (r < 0)
		return hx_fail(e, -EINVAL, "%s: '%s' is not yes or no", name, value);
	if (r == 0)
		return 0;
	if (strcmp(name, "verbose") == 0) {
		if (strlen(value) != 1 || value[0] < '0' || value[0] > '3')
			return hx_fail(e, -EINVAL, "verbose: '%s' is not 0, 1, 2 or 3", value);
		o->verbose = value[0] - '0';
		mark(o, LD_SET_VERBOSE);
		return 0;
	}
	return hx_fail(e, -EINVAL, "unknown setting '%s'", name);
}

void ld_cli_show(const struct ld_opts *o, enum ld_setting s, char *buf, size_t n)
{
	switch (s) {
	case LD_SET_VERBOSE: snprintf(buf, n, "%d", o->verbose); break;
	case LD_SET_QUIET: snprintf(buf, n, "%s", o->quiet ? "yes" : "no"); break;
	case LD_SET_STRICT: snprintf(buf, n, "%s", o->strict ? "yes" : "no"); break;
	case LD_SET_DRY_RUN: snprintf(buf, n, "%s", o->dry_run ? "yes" : "no"); break;
	case LD_SET_PERF_MAP: snprintf(buf, n, "%s", o->perf_map ? "yes" : "no"); break;
	case LD_SET_MIN_SIZE:
		if (o->min_size % ((uint64_t)1 << 20) == 0)
			snprintf(buf, n, "%lluM", (unsigned long long)(o->min_size >> 20));
		else
			snprintf(buf, n, "%lluK", (unsigned long long)(o->min_size >> 10));
		break;
	case LD_SET_BACKING:
		snprintf(buf, n, "%s", o->backing < HX_MODE_COUNT ? backings[o->backing] : "?");
		break;
	case LD_SET_ALIGN:
		snprintf(buf, n, "%s", o->align < HX_ALIGN_COUNT ? aligns[o->align] : "?");
		break;
	case LD_SET_ONLY:
	case LD_SET_EXCLUDE: {
		const char *l = s == LD_SET_ONLY ? o->only : o->exclude;
		snprintf(buf, n, "%s", l ? l : "-");
		for (char *c = buf; *c; c++) /* one line: the globs, space-separated */
			*c = *c == '\n' ? ' ' : *c;
		break;
	}
	case LD_SET_FOLLOW:
		if (o->follow_ms_set)
			snprintf(buf, n, "%u.%03u", o->follow_ms / 1000, o->follow_ms % 1000);
		else
			snprintf(buf, n, "default (2, or 0.5 without CAP_SYS_PTRACE)");
		break;
	case LD_SET_PROFILE: snprintf(buf, n, "%s", o->profile ? o->profile : "-"); break;
	case LD_SET_LAYOUT: snprintf(buf, n, "%s", o->layout_off ? "off" : "on"); break;
	case LD_SET_LAYOUT_SHARE:
		snprintf(buf, n, "%u.%u", o->layout_permille / 10, o->layout_permille % 10);
		break;
	case LD_SET_MOVE: snprintf(buf, n, "%s", o->move_all ? "all" : "profile"); break;
	case LD_SET_REPORT: snprintf(buf, n, "%s", o->report ? o->report : "-"); break;
	case LD_SET_PROFILE_DIR: snprintf(buf, n, "%s", o->profile_dir ? o->profile_dir : "-"); break;
	case LD_SET_LOG: snprintf(buf, n, "%s", o->log ? o->log : "-"); break;
	case LD_SET_SYSLOG: snprintf(buf, n, "%s", o->syslog ? "yes" : "no"); break;
	case LD_SET_LEARN:
		if (o->learn_s)
			snprintf(buf, n, "%u", o->learn_s);
		else
			snprintf(buf, n, "off");
		break;
	default: snprintf(buf, n, "?");
	}
}

void ld_cli_free(struct ld_opts *o)
{
	free(o->only);
	free(o->exclude);
	o->only = o->exclude = NULL;
}

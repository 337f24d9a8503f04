/*
 * config.h - hugexec's settings from outside its command line: the
 * configuration file and the HUGEXEC_OPTIONS variable (config.c parses,
 * settings.c reads them and tells where each setting came from).
 *
 * The file (docs/usage.md, "Configuration"):
 *
 *   # a comment (at the start, or after a blank); blank lines are ignored
 *   [*]                          every program (also the lines before any
 *   backing = thp                section): a long option without "--",
 *   programs = mysqld node       NAME = VALUE; a flag takes yes or no
 *   [mysqld]                     a program by file name, or by path
 *   backing = hugetlb            ([/usr/sbin/mysqld]); globs allowed
 *
 * `programs` (in [*] only) is the allow list: globs on the executable's
 * file name or path; a program that matches none runs untouched, without
 * a tracer. Later lines win over earlier ones, a program's section over
 * [*] wherever it stands.
 * Pure: text in, a parsed file out; applying it only sets options.
 * Must never: print, read the environment, or accept a line it cannot
 * apply (a file with one bad line is refused whole, with its line number).
 */
#ifndef LD_CONFIG_H
#define LD_CONFIG_H

#include "../common/cli.h"

struct ld_cfg_line {
	unsigned lineno;
	const char *section;   /* "*" or a program glob */
	const char *key;
	const char *value;
};

struct ld_config {
	const char *file;      /* its name, for sources and messages */
	char *text;            /* private copy; the lines point into it */
	struct ld_cfg_line *lines;
	size_t n;
	const char *programs;  /* the allow list (space-separated globs), or NULL */
	unsigned programs_line;
};

#define LD_CONFIG_MAX (1u << 20) /* bytes: a config file is small */

/* Parse text (len bytes, from file) into c. -EINVAL with "FILE:LINE: why"
 * in e on any line that is not a valid setting. */
int ld_config_parse(const char *text, size_t len, const char *file, struct ld_config *c,
		    struct hx_err *e) HX_WUR;
void ld_config_free(struct ld_config *c);

/* Is the program at path (absolute) on the allow list? true without one;
 * why (n bytes) gets the glob that matched, or "". */
bool ld_config_treats(const struct ld_config *c, const char *path, char *why, size_t n);

/* Apply [*], then the sections that match path, to o (each setting's
 * source: "FILE:LINE"). */
int ld_config_apply(const struct ld_config *c, const char *path, struct ld_opts *o,
		    struct hx_err *e) HX_WUR;

#endif

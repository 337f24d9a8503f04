/*
 * config.c - parse the configuration file (format in config.h) and apply
 * it to a program's options.
 *
 * Every line is checked when the file is parsed, by applying it to a
 * scratch set of options: a file with a typo is refused whole, with the
 * line, rather than half applied.
 * Must never: keep a pointer into the caller's text (the file is copied).
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

/* One "key = value" line of section sec, checked on scratch options. */
static int add_line(struct ld_config *c, unsigned lineno, const char *sec, char *line,
		    struct hx_err *e)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return hx_fail(e, -EINVAL, "%s:%u: expected NAME = VALUE or [PROGRAM]", c->file, lineno);
	*eq = '\0';
	char *key = trim(line), *val = trim(eq + 1);
	if (!*key)
		return hx_fail(e, -EINVAL, "%s:%u: a value without a name", c->file, lineno);
	if (strcmp(key, "programs") == 0) {
		if (strcmp(sec, "*") != 0)
			return hx_fail(e, -EINVAL, "%s:%u: programs (the allow list) belongs in [*]",
				       c->file, lineno);
		c->programs = val;
		c->programs_line = lineno;
		return 0;
	}
	struct ld_opts scratch;
	struct hx_err se;
	ld_cli_defaults(&scratch);
	int r = ld_cli_set(&scratch, key, val, "", &se);
	ld_cli_free(&scratch);
	if (r < 0)
		return hx_fail(e, -EINVAL, "%s:%u: %s", c->file, lineno, se.msg);
	if (c->n % 16 == 0) {
		struct ld_cfg_line *nl = realloc(c->lines, (c->n + 16) * sizeof(*nl));
		if (!nl)
			return hx_fail(e, -ENOMEM, "out of memory");
		c->lines = nl;
	}
	c->lines[c->n++] = (struct ld_cfg_line){lineno, sec, key, val};
	return 0;
}

int ld_config_parse(const char *text, size_t len, const char *file, struct ld_config *c,
		    struct hx_err *e)
{
	memset(c, 0, sizeof(*c));
	c->file = file;
	if (len > LD_CONFIG_MAX)
		return hx_fail(e, -EFBIG, "%s: larger than %u bytes", file, LD_CONFIG_MAX);
	if (memchr(text, '\0', len))
		return hx_fail(e, -EINVAL, "%s: not a text file", file);
	if (!(c->text = malloc(len + 1)))
		return hx_fail(e, -ENOMEM, "out of memory");
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	const char *sec = "*";
	unsigned lineno = 0;
	int r = 0;
	for (char *p = c->text, *next; p && r == 0; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		/* a comment: '#' at the start or after a blank */
		for (char *h = strchr(p, '#'); h; h = strchr(h + 1, '#'))
			if (h == p || h[-1] == ' ' || h[-1] == '\t') {
				*h = '\0';
				break;
			}
		char *line = trim(p);
		if (!printable(line))
			r = hx_fail(e, -EINVAL, "%s:%u: a control character", file, lineno);
		else if (!*line)
			continue;
		else if (*line == '[') {
			size_t n = strlen(line);
			if (n < 3 || line[n - 1] != ']')
				r = hx_fail(e, -EINVAL, "%s:%u: a section is [PROGRAM] or [*]", file, lineno);
			line[n - 1] = '\0';
			sec = trim(line + 1);
		} else {
			r = add_line(c, lineno, sec, line, e);
		}
	}
	if (r < 0)
		ld_config_free(c);
	return r;
}

void ld_config_free(struct ld_config *c)
{
	free(c->text);
	free(c->lines);
	memset(c, 0, sizeof(*c));
}

/* A glob names a program by its file name, or (with a '/') by its path. */
static bool names(const char *glob, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return fnmatch(glob, strchr(glob, '/') ? path : base, 0) == 0;
}

bool ld_config_treats(const struct ld_config *c, const char *path, char *why, size_t n)
{
	if (n)
		why[0] = '\0';
	if (!c->programs)
		return true;
	char glob[256];
	for (const char *p = c->programs; *p;) {
		size_t k = strcspn(p, " \t");
		if (k && k < sizeof(glob)) {
			memcpy(glob, p, k);
			glob[k] = '\0';
			if (names(glob, path)) {
				snprintf(why, n, "%s", glob);
				return true;
			}
		}
		p += k;
		p += strspn(p, " \t");
	}
	return false;
}

static int apply_section(const struct ld_config *c, const char *path, bool defaults,
			 struct ld_opts *o, struct hx_err *e)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct ld_cfg_line *l = &c->lines[i];
		bool star = strcmp(l->section, "*") == 0;
		if (star != defaults || (!star && !names(l->section, path)))
			continue;
		char src[80];
		snprintf(src, sizeof(src), "%s:%u", c->file, l->lineno);
		struct hx_err se;
		if (ld_cli_set(o, l->key, l->value, src, &se) < 0)
			return hx_fail(e, -EINVAL, "%s: %s", src, se.msg);
	}
	return 0;
}

int ld_config_apply(const struct ld_config *c, const char *path, struct ld_opts *o,
		    struct hx_err *e)
{
	int r = apply_section(c, path, true, o, e);
	if (r == 0)
		r = apply_section(c, path, false, o, e);
	o->source = NULL; /* (it pointed at a line's name on our stack) */
	return r;
}

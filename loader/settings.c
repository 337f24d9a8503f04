/*
 * settings.c - put a launch's settings together from the file, the
 * environment and the command line (settings.h), and `hugexec config`.
 * Must never: print (but ld_config_main, the command that shows them).
 */
#define _GNU_SOURCE
#include "settings.h"
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void warn(struct ld_settings *s, const char *what, const char *why)
{
	if (s->n_warn < (int)HX_ARRAY_LEN(s->warn))
		snprintf(s->warn[s->n_warn++], sizeof(s->warn[0]), "%.400s; %s", what, why);
}

/* The file's text, never blocking (a FIFO named by mistake would hold CMD
 * back forever): a regular file, or /dev/null. */
static int read_text(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return -errno;
	int r = fstat(fd, &st) < 0 ? -errno : 0;
	if (r == 0 && !S_ISREG(st.st_mode) &&
	    !(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) /* (/dev/null: empty) */
		r = -EINVAL;
	if (r == 0)
		r = hx_read_fd(fd, LD_CONFIG_MAX + 1, text, len);
	close(fd);
	return r;
}

static void read_config(struct ld_settings *s, const char *conf_path)
{
	snprintf(s->file, sizeof(s->file), "%s", conf_path ? conf_path : LD_CONFIG_DEFAULT);
	char *text;
	size_t len;
	int r = read_text(s->file, &text, &len);
	if (r == -ENOENT && !conf_path)
		return; /* no file is the usual case */
	if (r < 0) {
		char what[600];
		snprintf(what, sizeof(what), "%.500s: %s", s->file,
			 r == -EINVAL ? "not a regular file" : strerror(-r));
		warn(s, what, "no configuration file used");
		return;
	}
	struct hx_err e;
	if (ld_config_parse(text, len, s->file, &s->cfg, &e) < 0)
		warn(s, e.msg, "the file is not used");
	else
		s->have_cfg = true;
	free(text);
}

/* HUGEXEC_OPTIONS: words separated by blanks (no quoting: a value with a
 * blank goes in the file). Checked alone first: a bad word leaves it all
 * out, and nothing of it half applied. */
static int read_env(struct ld_settings *s, const char *env_opts)
{
	if (!env_opts || !*env_opts)
		return 0;
	if (!(s->env = strdup(env_opts)))
		return -ENOMEM;
	size_t max = strlen(s->env) / 2 + 1;
	if (!(s->words = calloc(max, sizeof(*s->words))))
		return -ENOMEM;
	for (char *save = NULL, *w = strtok_r(s->env, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save))
		s->words[s->n_words++] = w;
	struct ld_opts trial;
	struct hx_err e;
	ld_cli_defaults(&trial);
	int r = ld_cli_parse_words(s->n_words, s->words, &trial, "HUGEXEC_OPTIONS", &e);
	ld_cli_free(&trial);
	if (r < 0) {
		char what[600];
		snprintf(what, sizeof(what), "HUGEXEC_OPTIONS: %.500s", e.msg);
		warn(s, what, "the variable is not used");
		s->n_words = 0;
	}
	return 0;
}

/* The program's path made absolute, for sections and the allow list
 * (not through symlinks: [python3] is python3 even if it links to
 * python3.11). */
static void absolute(const char *path, char *out, size_t n)
{
	char cwd[4096];
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(out, n, "%s", path);
	else
		snprintf(out, n, "%.2000s/%.2000s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

int ld_settings_load(struct ld_settings *s, int argc, char **argv, const char *path,
		     const char *conf_path, const char *env_opts, struct ld_opts *o,
		     struct hx_err *e)
{
	memset(s, 0, sizeof(*s));
	if (path) {
		absolute(path, s->program, sizeof(s->program));
		path = s->program;
	}
	ld_cli_defaults(o);
	read_config(s, conf_path);
	struct hx_err ce;
	if (s->have_cfg && ld_config_apply(&s->cfg, path ? path : "", o, &ce) < 0)
		warn(s, ce.msg, "the file is not used"); /* (checked at parse: not seen) */
	s->treated = !s->have_cfg || !path ||
		     ld_config_treats(&s->cfg, path, s->treated_by, sizeof(s->treated_by));
	if (read_env(s, env_opts) < 0)
		return hx_fail(e, -ENOMEM, "out of memory");
	int r = 0;
	if (s->n_words)
		r = ld_cli_parse_words(s->n_words, s->words, o, "HUGEXEC_OPTIONS", e);
	if (r == 0)
		r = ld_cli_parse_more(argc, argv, o, "command line", e);
	return r;
}

void ld_settings_free(struct ld_settings *s)
{
	if (s->have_cfg)
		ld_config_free(&s->cfg);
	free(s->env);
	free(s->words);
	memset(s, 0, sizeof(*s));
}

static const char config_usage[] =
	"Usage: hugexec config [OPTIONS] [CMD]\n"
	"Show the settings a launch of CMD would use, and where each comes from:\n"
	"the built-in default, the configuration file (HUGEXEC_CONFIG, default\n"
	LD_CONFIG_DEFAULT "), HUGEXEC_OPTIONS or OPTIONS (as on a launch's command\n"
	"line). Without CMD, the settings for every program. Exit status 1 when the\n"
	"file or HUGEXEC_OPTIONS cannot be used (a launch would leave it out).\n";

int ld_config_main(int argc, char **argv)
{
	struct ld_opts o;
	struct hx_err e = {0};
	if (ld_cli_parse(argc, argv, &o, &e) < 0) {
		fprintf(stderr, "hugexec config: %s\n", e.msg);
		return 2;
	}
	if (o.help) {
		fputs(config_usage, stdout);
		return 0;
	}
	char path[4096] = "";
	const char *cmd = o.cmd_index < argc ? argv[o.cmd_index] : NULL;
	if (cmd && ld_resolve(cmd, getenv("PATH"), path, sizeof(path)) < 0) {
		fprintf(stderr, "hugexec config: %s: command not found\n", cmd);
		ld_cli_free(&o);
		return 2;
	}
	ld_cli_free(&o);
	struct ld_settings s;
	/* (the options end where CMD starts) */
	int r = ld_settings_load(&s, cmd ? o.cmd_index : argc, argv, cmd ? path : NULL,
				 getenv("HUGEXEC_CONFIG"), getenv("HUGEXEC_OPTIONS"), &o, &e);
	if (r < 0) {
		fprintf(stderr, "hugexec config: %s\n", e.msg);
		ld_settings_free(&s);
		return 2;
	}
	for (int i = 0; i < s.n_warn; i++)
		printf("error     %s\n", s.warn[i]);
	printf("program   %s\n", cmd ? s.program : "(any)");
	printf("file      %s%s\n", s.file, s.have_cfg ? "" : s.n_warn ? " (not used)" : " (none)");
	if (!s.have_cfg || !s.cfg.programs)
		printf("treated   yes (no allow list)\n");
	else if (!cmd)
		printf("treated   only: %s (%s:%u)\n", s.cfg.programs, s.file, s.cfg.programs_line);
	else if (s.treated)
		printf("treated   yes: matches '%s' (%s:%u)\n", s.treated_by, s.file,
		       s.cfg.programs_line);
	else
		printf("treated   no: runs untouched, not in programs (%s:%u)\n", s.file,
		       s.cfg.programs_line);
	for (int k = 0; k < LD_SET_COUNT; k++) {
		char val[512];
		ld_cli_show(&o, (enum ld_setting)k, val, sizeof(val));
		printf("%-13s %-28s %s\n", ld_cli_setting_name((enum ld_setting)k), val,
		       o.from[k][0] ? o.from[k] : "built-in");
	}
	int rc = s.n_warn ? 1 : 0;
	ld_cli_free(&o);
	ld_settings_free(&s);
	return rc;
}

/*
 * settings.h - a launch's settings, in rising precedence: built-in, the
 * configuration file (its [*], then the program's sections), the
 * HUGEXEC_OPTIONS variable, the command line. And `hugexec config
 * [OPTIONS] [CMD]`, which prints them with where each came from.
 *
 * A configuration file or a HUGEXEC_OPTIONS that cannot be used is left
 * out whole, with one line for the caller to say: CMD still runs.
 * Must never: let a broken file or variable stop CMD from running.
 */
#ifndef LD_SETTINGS_H
#define LD_SETTINGS_H

#include "config.h"

#define LD_CONFIG_DEFAULT "/etc/hugexec.conf"

struct ld_settings {
	struct ld_config cfg;      /* the file, when it was read and is valid */
	bool have_cfg;
	char file[4096];           /* its path */
	char program[4096];        /* the program's absolute path, "" none */
	char *env;                 /* HUGEXEC_OPTIONS, split in place */
	char **words;
	int n_words;
	char warn[2][600];         /* what could not be used, one line each */
	int n_warn;
	bool treated;              /* on the allow list (or there is none) */
	char treated_by[256];      /* the glob that put it there, "" none */
};

/* o: the settings for the program at path (absolute; NULL: [*] only),
 * from conf_path (NULL: LD_CONFIG_DEFAULT, which may be missing),
 * env_opts (HUGEXEC_OPTIONS or NULL) and argv. argv was parsed alone
 * before (its errors are the caller's): it cannot fail here. */
int ld_settings_load(struct ld_settings *s, int argc, char **argv, const char *path,
		     const char *conf_path, const char *env_opts, struct ld_opts *o,
		     struct hx_err *e) HX_WUR;
void ld_settings_free(struct ld_settings *s);

/* hugexec config [OPTIONS] [CMD]: argv[0] is "config". Exit status: 0, or
 * 1 when the file or the variable cannot be used (it checks them). */
int ld_config_main(int argc, char **argv);

#endif

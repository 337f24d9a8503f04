/* fuzz_config.c - libFuzzer target: the configuration file parser
 * (/etc/hugexec.conf is outside input), then applying what it accepted to
 * a program's options, which must then never fail. */
#include "../../loader/config.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ld_config c;
	struct hx_err e;
	if (ld_config_parse((const char *)data, size, "fuzz.conf", &c, &e) < 0)
		return 0;
	struct ld_opts o;
	char why[64];
	ld_cli_defaults(&o);
	if (ld_config_apply(&c, "/usr/sbin/mysqld", &o, &e) < 0)
		abort(); /* every line was checked when parsed */
	(void)ld_config_treats(&c, "/usr/sbin/mysqld", why, sizeof(why));
	ld_cli_free(&o);
	ld_config_free(&c);
	return 0;
}

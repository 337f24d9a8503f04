/*
 * learn.c - record a program that has no profile yet (learn.h), with the
 * recorder of `hugexec record -p`.
 */
#define _GNU_SOURCE
#include "learn.h"
#include "profdir.h"
#include "../record/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ld_learn(pid_t pid, const char *dir, const char *build_id, unsigned seconds)
{
	char final[4096], tmp[4200], spid[16], hz[16], secs[16];
	int r = ld_profdir_path(dir, build_id, final, sizeof(final));
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, build_id, (int)pid);
	snprintf(spid, sizeof(spid), "%d", (int)pid);
	snprintf(hz, sizeof(hz), "%d", LD_LEARN_HZ);
	snprintf(secs, sizeof(secs), "%u", seconds);
	/* nothing of ours may reach the program's stderr any more */
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	char *argv[] = {"record", "-q", "-p", spid, "-F", hz, "-d", secs, "-o", tmp, NULL};
	r = rec_main((int)HX_ARRAY_LEN(argv) - 1, argv);
	struct stat st;
	if (r != 0 || stat(tmp, &st) != 0 || st.st_size == 0) {
		unlink(tmp);
		return -EIO;
	}
	/* link, not rename: a profile someone saved meanwhile stays */
	r = link(tmp, final) == 0 ? 0 : -errno;
	unlink(tmp);
	return r == -EEXIST ? 0 : r;
}

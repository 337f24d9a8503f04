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
	/* Nothing of ours may reach the program's stderr any more, and the
	 * program's descriptors we inherited (a readiness pipe, a socket) must
	 * not stay open in us while it runs: the other end would wait for
	 * their close. */
	hx_close_except(NULL, 0); /* (all but 0, 1 and 2) */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		for (int fd = 0; fd <= 2; fd++)
			dup2(null, fd);
		if (null > 2)
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

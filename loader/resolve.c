/*
 * resolve.c - PATH search and the pre-exec check of the program file.
 *
 * The search follows execvp: a name with a slash is used as is; otherwise
 * each PATH entry is tried in order (an empty entry is the current
 * directory), the first executable regular file wins, and a file that
 * exists but cannot be executed only matters if nothing else is found.
 * Must never: follow a different rule than the exec that comes after it.
 */
#define _GNU_SOURCE
#include "resolve.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* 0 if executable regular file, -EACCES if present but not, -ENOENT. */
static int probe(const char *file)
{
	struct stat st;
	if (stat(file, &st) != 0)
		return (errno == EACCES) ? -EACCES : -ENOENT;
	if (!S_ISREG(st.st_mode) || faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) != 0)
		return -EACCES;
	return 0;
}

int ld_resolve(const char *cmd, const char *path_env, char *out, size_t outlen)
{
	if (!*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		if (strlen(cmd) >= outlen)
			return -ENAMETOOLONG;
		strcpy(out, cmd);
		return probe(cmd);
	}
	const char *p = path_env ? path_env : "/bin:/usr/bin";
	int result = -ENOENT;
	for (;;) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		char cand[4096];
		int n = dl ? snprintf(cand, sizeof(cand), "%.*s/%s", (int)dl, p, cmd)
			   : snprintf(cand, sizeof(cand), "%s", cmd);
		if (n > 0 && (size_t)n < sizeof(cand)) {
			int r = probe(cand);
			if (r == 0) {
				if ((size_t)n >= outlen)
					return -ENAMETOOLONG;
				memcpy(out, cand, (size_t)n + 1);
				return 0;
			}
			if (r == -EACCES)
				result = -EACCES;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	return result;
}

static bool has_file_caps(const char *path)
{
	return getxattr(path, "security.capability", NULL, 0) > 0;
}

const char *ld_precheck(const char *path, bool privileged, char *buf, size_t buflen)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL; /* the exec will report it */
	bool suid = (st.st_mode & S_ISUID) || ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP));
	if (!privileged && (suid || has_file_caps(path)))
		return "setuid, setgid or file-capability program: tracing would drop its privileges";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return privileged ? NULL : "program file is not readable";
	unsigned char h[EI_NIDENT + 4];
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n < (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0)
		return NULL; /* a script, or something exec will judge */
	if (h[EI_CLASS] != ELFCLASS64)
		return "32-bit program: only x86-64 code is remapped";
	unsigned machine = h[EI_DATA] == ELFDATA2LSB ? (unsigned)(h[18] | h[19] << 8)
						     : (unsigned)(h[18] << 8 | h[19]);
	if (machine != EM_X86_64) {
		snprintf(buf, buflen, "not an x86-64 program (ELF machine %u)", machine);
		return buf;
	}
	return NULL;
}

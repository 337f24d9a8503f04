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

/* 0 if executable regular file, -EACCES if present but not (-EISDIR for
 * a directory, which a shell names so), -ENOENT. */
static int probe(const char *file)
{
	struct stat st;
	if (stat(file, &st) != 0)
		return (errno == EACCES) ? -EACCES : -ENOENT;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
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
			if (r == -EACCES || r == -EISDIR)
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

/* The interpreter named on a "#!" line, as the kernel reads it (the
 * first line, at most 255 bytes, the path ends at a blank); 0 if found. */
static int interpreter(const unsigned char *h, size_t n, char *out, size_t outlen)
{
	if (n < 3 || h[0] != '#' || h[1] != '!')
		return -ENOEXEC;
	size_t i = 2, j;
	while (i < n && (h[i] == ' ' || h[i] == '\t'))
		i++;
	for (j = i; j < n && h[j] != ' ' && h[j] != '\t' && h[j] != '\n' && h[j] != 0; j++)
		;
	if (j == i || j - i >= outlen)
		return -ENOEXEC;
	memcpy(out, h + i, j - i);
	out[j - i] = 0;
	return 0;
}

/* One file of the chain the kernel will run: the file itself, or, for a
 * script, its interpreter (whose setuid bits are the ones that count). */
static const char *check_one(const char *path, bool privileged, int depth, char *buf,
			     size_t buflen)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL; /* the exec will report it (a FIFO must not block us) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	unsigned char h[256];
	ssize_t n = fd >= 0 ? read(fd, h, sizeof(h)) : -1;
	if (fd >= 0)
		close(fd);
	char interp[256];
	/* Linux ignores set-id bits on scripts; the interpreter's apply. The
	 * kernel gives up after a few levels (ELOOP); we follow up to 8. */
	if (n > 0 && interpreter(h, (size_t)n, interp, sizeof(interp)) == 0)
		return depth < 8 ? check_one(interp, privileged, depth + 1, buf, buflen) : NULL;
	bool suid = (st.st_mode & S_ISUID) || ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP));
	if (!privileged && (suid || has_file_caps(path))) {
		snprintf(buf, buflen, "%s%s is a setuid, setgid or file-capability program: "
			 "tracing would drop its privileges", depth ? "its interpreter " : "",
			 depth ? path : "it");
		return buf;
	}
	if (fd < 0)
		return privileged ? NULL : depth ? "interpreter file is not readable"
						 : "program file is not readable";
	if (n < EI_NIDENT + 4 || memcmp(h, ELFMAG, SELFMAG) != 0)
		return NULL; /* something exec will judge */
	const char *who = depth ? "interpreter" : "program";
	if (h[EI_CLASS] != ELFCLASS64) {
		snprintf(buf, buflen, "32-bit %s: only x86-64 code is remapped", who);
		return buf;
	}
	unsigned machine = h[EI_DATA] == ELFDATA2LSB ? (unsigned)(h[18] | h[19] << 8)
						     : (unsigned)(h[18] << 8 | h[19]);
	if (machine != EM_X86_64) {
		snprintf(buf, buflen, "not an x86-64 %s (ELF machine %u)", who, machine);
		return buf;
	}
	return NULL;
}

/* PT_INTERP of a 64-bit little-endian ELF image h (n bytes read of the
 * file at fd). */
static int elf_interp(int fd, const unsigned char *h, size_t n, char *out, size_t outlen)
{
	Elf64_Ehdr eh;
	if (n < sizeof(eh) || memcmp(h, ELFMAG, SELFMAG) != 0 || h[EI_CLASS] != ELFCLASS64)
		return -ENOENT;
	memcpy(&eh, h, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 1024)
		return -ENOENT;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return -ENOENT;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > outlen)
			return -ENOENT;
		if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz ||
		    out[ph.p_filesz - 1] != 0)
			return -ENOENT;
		return 0;
	}
	return -ENOENT;
}

int ld_missing_interpreter(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -ENOENT;
	unsigned char h[256];
	ssize_t n = read(fd, h, sizeof(h));
	int r = n <= 0 ? -ENOENT
		       : interpreter(h, (size_t)n, out, outlen) == 0 ? 0
								      : elf_interp(fd, h, (size_t)n, out, outlen);
	close(fd);
	return r;
}

const char *ld_precheck(const char *path, bool privileged, char *buf, size_t buflen)
{
	return check_one(path, privileged, 0, buf, buflen);
}

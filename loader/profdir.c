/*
 * profdir.c - which profile of --profile-dir is this program's (profdir.h).
 */
#define _GNU_SOURCE
#include "profdir.h"
#include "../common/kernel.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int hex_of(const uint8_t *id, size_t len, char *hex, size_t n)
{
	if (len == 0)
		return -ENOENT;
	if (2 * len + 1 > n)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return 0;
}

int ld_profdir_kernel_id(pid_t pid, uint64_t addr, char *hex, size_t n)
{
	char path[64];
	uint8_t id[LD_BUILD_ID_HEX_MAX / 2];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct hx_procmap_query q = {.size = sizeof(q), .query_addr = addr,
				     .build_id_size = sizeof(id),
				     .build_id_addr = (uint64_t)(uintptr_t)id};
	int r = ioctl(fd, HX_PROCMAP_QUERY, &q) < 0 ? -errno : 0;
	close(fd);
	if (r == -EINVAL || r == -ENOTTY || r == -ENOSYS)
		return -ENOTTY; /* no such ioctl here */
	if (r < 0)
		return r;
	return hex_of(id, q.build_id_size <= sizeof(id) ? q.build_id_size : 0, hex, n);
}

static bool is_hex_id(const char *s, size_t len)
{
	if (len < 2 || len > LD_BUILD_ID_HEX_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

int ld_profdir_note_id(const struct hx_plan *p, char *hex, size_t n)
{
	if (p->notes_str == HX_NO_STR)
		return -ENOENT;
	const char *notes = hx_plan_str(p, p->notes_str);
	const char *at = strstr(notes, HX_NOTE_PROGRAM_ID);
	if (!at || (at != notes && at[-1] != '\n'))
		return -ENOENT;
	at += strlen(HX_NOTE_PROGRAM_ID);
	size_t len = strspn(at, "0123456789abcdef");
	if (!is_hex_id(at, len) || (at[len] != '\n' && at[len] != '\0'))
		return -ENOENT;
	if (len + 1 > n)
		return -ENAMETOOLONG;
	memcpy(hex, at, len);
	hex[len] = '\0';
	return 0;
}

int ld_profdir_path(const char *dir, const char *hex, char *out, size_t n)
{
	if (!is_hex_id(hex, strlen(hex)))
		return -EINVAL;
	int w = snprintf(out, n, "%s/%s.prof", dir, hex);
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

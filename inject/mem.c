/*
 * mem.c - read and write the target's memory from the tracer.
 *
 * process_vm_readv/writev are the fast path and obey the target's page
 * protections. /proc/PID/mem is the fallback for reads and the only way to
 * write into a non-writable mapping (the kernel's FOLL_FORCE, allowed to
 * the tracer); such a write copies the page, so it is never used on text
 * that stays mapped.
 * Must never: write to an address the caller did not name.
 */
#define _GNU_SOURCE
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int mem_fd(struct inj_target *t)
{
	if (t->mem_fd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)t->pid);
		t->mem_fd = open(path, O_RDWR | O_CLOEXEC);
		if (t->mem_fd < 0)
			return -errno;
	}
	return t->mem_fd;
}

static int via_procmem(struct inj_target *t, uint64_t addr, void *buf, size_t len, bool wr)
{
	int fd = mem_fd(t);
	if (fd < 0)
		return fd;
	size_t done = 0;
	while (done < len) {
		ssize_t r = wr ? t->ops->pwrite(fd, (char *)buf + done, len - done,
						(off_t)(addr + done))
			       : t->ops->pread(fd, (char *)buf + done, len - done,
					       (off_t)(addr + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += (size_t)r;
	}
	return 0;
}

static int via_vm(struct inj_target *t, uint64_t addr, void *buf, size_t len, bool wr)
{
	size_t done = 0;
	while (done < len) {
		struct iovec l = {(char *)buf + done, len - done};
		struct iovec r = {(void *)(uintptr_t)(addr + done), len - done};
		ssize_t n = wr ? t->ops->vm_writev(t->pid, &l, 1, &r, 1, 0)
			       : t->ops->vm_readv(t->pid, &l, 1, &r, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int inj_read(struct inj_target *t, uint64_t addr, void *buf, size_t len)
{
	if (t->no_vm)
		return via_procmem(t, addr, buf, len, false);
	int r = via_vm(t, addr, buf, len, false);
	if (r == -ENOSYS || r == -EPERM)
		r = via_procmem(t, addr, buf, len, false);
	return r;
}

int inj_write(struct inj_target *t, uint64_t addr, const void *buf, size_t len)
{
	if (t->no_vm)
		return via_procmem(t, addr, (void *)buf, len, true);
	return via_vm(t, addr, (void *)buf, len, true);
}

int inj_peek(struct inj_target *t, uint64_t addr, void *buf, size_t len)
{
	return via_procmem(t, addr, buf, len, false);
}

int inj_poke(struct inj_target *t, uint64_t addr, const void *buf, size_t len)
{
	return via_procmem(t, addr, (void *)buf, len, true);
}

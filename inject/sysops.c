/*
 * sysops.c - the default sysops table: straight to the kernel.
 * Must never: add behaviour; tests rely on this being a pass-through.
 */
#define _GNU_SOURCE
#include "sysops.h"

#include <sys/wait.h>
#include <unistd.h>

static long real_ptrace(int req, pid_t pid, void *addr, void *data)
{
	return ptrace(req, pid, addr, data); /* (glibc's prototype takes an enum) */
}

const struct hx_sysops hx_sysops_real = {
	.ptrace = real_ptrace,
	.waitpid = waitpid,
	.vm_readv = process_vm_readv,
	.vm_writev = process_vm_writev,
	.pread = pread,
	.pwrite = pwrite,
};

/*
 * seccomp.c - what the program's seccomp filters let us inject (seccomp.h).
 */
#define _GNU_SOURCE
#include "seccomp.h"
#include "probe.h"
#include "../common/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool permit(void *ctx, long nr, const uint64_t args[6], uint64_t pc)
{
	const struct ld_tracer *tr = ctx;
	return tr->pl.probed ? ld_probe_permits(tr->pl.probe_bits, nr, args)
			  : ld_filters_allow(&tr->pl.filters, nr, args, pc);
}

static bool allowed(struct ld_tracer *tr, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4)
{
	const uint64_t a[6] = {a0, a1, a2, a3, a4, 0};
	return permit(tr, nr, a, 0);
}

/* How many seccomp filters hugexec itself runs under (-1: unknown). */
static long own_filters(void)
{
	unsigned long long n = 0;
	int r = hx_self_status("Seccomp_filters", 10, &n);
	return r == 0 || r == -ENOENT ? (long)n : -1;
}

/* The program runs under seccomp, which applies to what we inject too.
 * Learn what its filters allow - by probing when we share them (the usual
 * case: a hardened service), by reading them when we do not - then decide
 * which way of building new text is open, and from now on ask before
 * every injected call. */
int ld_seccomp_check(struct ld_tracer *tr, struct hx_err *e)
{
	long mine = own_filters();
	if (mine > 0 && mine == tr->pl.facts.seccomp_filters) {
		tr->pl.probe_bits = ld_probe_all();
		tr->pl.probed = true;
		/* our own reads and writes of its memory are calls too */
		tr->inj.no_vm = !(tr->pl.probe_bits & LD_P_SELF_COPY) || !(tr->pl.probe_bits & LD_P_VM_WRITE);
		if (tr->inj.no_vm && !(tr->pl.probe_bits & LD_P_PROCMEM))
			return hx_fail(e, -EPERM, "the seccomp filter forbids every way to read the "
				       "program's memory");
	} else if (mine == 0) {
		if (ld_filters_read(tr->pid, &tr->pl.filters, e) < 0)
			return hx_wrap(e, "the program runs under seccomp");
	} else {
		return hx_fail(e, -EPERM, "the program added seccomp filters of its own (%ld, "
			       "hugexec runs under %ld); cannot tell what they allow",
			       tr->pl.facts.seccomp_filters, mine);
	}
	const uint64_t a = 0x7f0000000000, l = HX_HUGE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	const uint64_t rw = PROT_READ | PROT_WRITE, rx = PROT_READ | PROT_EXEC;
	bool moves = allowed(tr, SYS_mremap, a, l, l, MREMAP_MAYMOVE | MREMAP_FIXED, a + 2 * l) &&
		     allowed(tr, SYS_munmap, a, l, 0, 0, 0) &&
		     allowed(tr, SYS_mmap, 0, HX_PAGE, rw, anon, (uint64_t)-1);
	bool mprot = allowed(tr, SYS_mprotect, a, l, rx, 0, 0);
	bool self_copy = allowed(tr, SYS_process_vm_readv, (uint64_t)tr->pid, a, 1, a, 1);
	bool rw_path = allowed(tr, SYS_mmap, a, l, rw, anon | MAP_FIXED_NOREPLACE, (uint64_t)-1) &&
		       mprot && self_copy;
	bool rx_path = allowed(tr, SYS_mmap, a, l, rx, anon | MAP_FIXED_NOREPLACE, (uint64_t)-1);
	/* unmodified text is pread by the program from its own file */
	bool file_read = allowed(tr, SYS_openat, (uint64_t)AT_FDCWD, a, O_RDONLY, 0, 0) &&
			 allowed(tr, SYS_fstat, 0, a, 0, 0, 0) &&
			 allowed(tr, SYS_pread64, 0, a, l, 0, 0) && allowed(tr, SYS_close, 0, 0, 0, 0, 0);
	if (!moves)
		return hx_fail(e, -EPERM, "the program's seccomp filter forbids mremap, munmap or mmap");
	if (!rw_path && !rx_path)
		return hx_fail(e, -EPERM, "the program's seccomp filter forbids building new text");
	if (!mprot)
		tr->pl.facts.target_flags |= HX_TGT_NO_MPROTECT_EXEC;
	if (!self_copy)
		tr->pl.facts.target_flags |= HX_TGT_NO_SELF_COPY;
	if (!file_read)
		tr->pl.facts.target_flags |= HX_TGT_NO_FILE_READ;
	/* registering unwind records calls into the program's unwinder, whose
	 * own system calls (malloc's) no probe can vouch for: no layout */
	tr->pl.facts.target_flags |= HX_TGT_NO_CALLS;
	tr->inj.permit = permit;
	tr->inj.permit_ctx = tr;
	return 0;
}

/* test_filter.c - the seccomp BPF interpreter against filters libseccomp
 * compiles (as systemd does), malformed programs, and the probe table. */
#include "fixtures.h"
#include "../../loader/filter.h"
#include "../../loader/probe.h"

#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* systemd's MemoryDenyWriteExecute=, plus a kill on process_vm_readv. */
static unsigned compile(struct sock_filter **out)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	assert_non_null(ctx);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mprotect), 1,
					  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 1,
					  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC,
						  PROT_WRITE | PROT_EXEC)), 0);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(process_vm_readv), 0), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(seccomp_export_bpf(ctx, p[1]), 0);
	close(p[1]);
	seccomp_release(ctx);
	struct sock_filter *f = malloc(4096 * sizeof(*f));
	ssize_t n = read(p[0], f, 4096 * sizeof(*f));
	close(p[0]);
	assert_true(n > 0 && n % (ssize_t)sizeof(*f) == 0);
	*out = f;
	return (unsigned)(n / (ssize_t)sizeof(*f));
}

static uint32_t verdict(const struct ld_filters *fs, long nr, uint64_t a2)
{
	struct seccomp_data d = {.nr = (int)nr, .arch = AUDIT_ARCH_X86_64};
	d.args[2] = a2;
	uint32_t r;
	assert_int_equal(ld_filters_eval(fs, &d, &r), 0);
	return r & SECCOMP_RET_ACTION_FULL;
}

static void test_bpf_run_libseccomp_filter(void **state)
{
	(void)state;
	struct ld_filters fs = {0};
	fs.len[0] = compile(&fs.prog[0]);
	fs.n = 1;
	assert_int_equal(verdict(&fs, SYS_mprotect, PROT_READ | PROT_EXEC), SECCOMP_RET_ERRNO);
	assert_int_equal(verdict(&fs, SYS_mprotect, PROT_READ), SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(&fs, SYS_mmap, PROT_READ | PROT_WRITE), SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(&fs, SYS_mmap, PROT_READ | PROT_EXEC), SECCOMP_RET_ALLOW);
	assert_int_equal(verdict(&fs, SYS_mmap, PROT_WRITE | PROT_EXEC), SECCOMP_RET_ERRNO);
	assert_int_equal(verdict(&fs, SYS_process_vm_readv, 0), SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(verdict(&fs, SYS_mremap, 0), SECCOMP_RET_ALLOW);
	const uint64_t rx[6] = {0, 4096, PROT_READ | PROT_EXEC, 0, 0, 0};
	assert_false(ld_filters_allow(&fs, SYS_mprotect, rx, 0));
	assert_true(ld_filters_allow(&fs, SYS_mmap, rx, 0));
	/* a second, stricter filter wins over the first */
	struct sock_filter deny_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1)};
	fs.prog[1] = deny_all;
	fs.len[1] = 1;
	fs.n = 2;
	assert_int_equal(verdict(&fs, SYS_mremap, 0), SECCOMP_RET_ERRNO);
	assert_int_equal(verdict(&fs, SYS_process_vm_readv, 0), SECCOMP_RET_KILL_PROCESS);
	free(fs.prog[0]);
}

static int run1(struct sock_filter *f, unsigned n)
{
	struct seccomp_data d = {.nr = 1, .arch = AUDIT_ARCH_X86_64};
	uint32_t r;
	return ld_bpf_run(f, n, &d, &r);
}

static void test_bpf_run_rejects_malformed(void **state)
{
	(void)state;
	struct sock_filter nothing[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)}; /* no return */
	assert_int_equal(run1(nothing, 1), -EINVAL);
	struct sock_filter far[] = {BPF_STMT(BPF_JMP | BPF_JA, 5), BPF_STMT(BPF_RET | BPF_K, 0)};
	assert_int_equal(run1(far, 2), -EINVAL);
	struct sock_filter div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				     BPF_STMT(BPF_RET | BPF_K, 0)};
	assert_int_equal(run1(div0, 2), -EINVAL);
	struct sock_filter oob[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
				    BPF_STMT(BPF_RET | BPF_K, 0)};
	assert_int_equal(run1(oob, 2), -EINVAL);
	struct sock_filter odd[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
				    BPF_STMT(BPF_RET | BPF_K, 0)};
	assert_int_equal(run1(odd, 2), -EINVAL);
	struct sock_filter mem[] = {BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 0)};
	assert_int_equal(run1(mem, 2), -EINVAL);
	struct sock_filter bad[] = {{0xffff, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 0)};
	assert_int_equal(run1(bad, 2), -EINVAL);
	assert_int_equal(run1(bad, 0), -EINVAL);
	struct sock_filter ok[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_LDX | BPF_MEM, 3), BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
	struct seccomp_data d = {0};
	uint32_t r;
	assert_int_equal(ld_bpf_run(ok, HX_ARRAY_LEN(ok), &d, &r), 0);
	assert_int_equal(r, 2 * sizeof(struct seccomp_data));
	/* a filter that cannot be run never allows anything */
	struct ld_filters fs = {.prog = {nothing}, .len = {1}, .n = 1};
	const uint64_t z[6] = {0};
	assert_false(ld_filters_allow(&fs, SYS_mremap, z, 0));
}

static void test_probe_permits(void **state)
{
	(void)state;
	const uint64_t rx_map[6] = {0, 1 << 21, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0};
	const uint64_t rw_map[6] = {0, 1 << 21, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0};
	const uint64_t ht_map[6] = {0, 1 << 21, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_HUGETLB, 0, 0};
	const uint64_t wx_map[6] = {0, 1 << 21, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE, 0, 0};
	const uint64_t hp[6] = {0, 1 << 21, MADV_HUGEPAGE, 0, 0, 0};
	const uint64_t rm[6] = {0, 1 << 21, MADV_REMOVE, 0, 0, 0};
	uint32_t all = LD_P_ALL;
	assert_true(ld_probe_permits(all, SYS_mmap, rx_map));
	assert_false(ld_probe_permits(all, SYS_mmap, wx_map)); /* never W+X, whatever the probes said */
	assert_false(ld_probe_permits(all, SYS_madvise, rm));  /* not a kind we probed */
	assert_false(ld_probe_permits(all, SYS_execve, rm));
	assert_true(ld_probe_permits(LD_P_MMAP_RW, SYS_mmap, rw_map));
	assert_false(ld_probe_permits(LD_P_MMAP_RW, SYS_mmap, rx_map));
	assert_false(ld_probe_permits(LD_P_MMAP_RW, SYS_mmap, ht_map));
	assert_true(ld_probe_permits(LD_P_MADV_HUGEPAGE, SYS_madvise, hp));
	assert_true(ld_probe_permits(0, SYS_exit_group, hp));
	/* the pread fill's four calls stand or fall together */
	assert_true(ld_probe_permits(LD_P_FILE_READ, SYS_openat, hp));
	assert_true(ld_probe_permits(LD_P_FILE_READ, SYS_pread64, hp));
	assert_false(ld_probe_permits(LD_P_ALL & ~LD_P_FILE_READ, SYS_close, hp));
	assert_false(ld_probe_permits(LD_P_ALL & ~LD_P_FILE_READ, SYS_fstat, hp));
}

static void test_probe_all_unfiltered(void **state)
{
	(void)state;
	/* Not under seccomp here: everything a kernel without a filter allows
	 * comes back allowed (hugetlb and collapse may fail for other reasons,
	 * which still counts as "not filtered"). */
	uint32_t bits = ld_probe_all();
	uint32_t want = LD_P_MMAP_RW | LD_P_MMAP_RX | LD_P_MPROTECT_RX | LD_P_MUNMAP | LD_P_MREMAP |
			LD_P_MADV_HUGEPAGE | LD_P_MADV_DONTNEED | LD_P_SELF_COPY | LD_P_VM_WRITE |
			LD_P_PROCMEM | LD_P_FILE_READ;
	if ((bits & want) != want)
		fail_msg("probe bits %#x, want at least %#x", bits, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bpf_run_libseccomp_filter),
		cmocka_unit_test(test_bpf_run_rejects_malformed),
		cmocka_unit_test(test_probe_permits),
		cmocka_unit_test(test_probe_all_unfiltered),
	};
	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}

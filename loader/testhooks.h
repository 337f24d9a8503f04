/*
 * testhooks.h - the test build's switches (HUGEXEC_TESTING), all in one
 * place; in a release build every one is an empty inline function, so no
 * production file holds an #ifdef for tests. Read from the environment:
 *   HUGEXEC_TEST_FAIL_SYSCALL=K[,N]  the target's injected call K (and the
 *                                    N - 1 after it) "fails" with EIO
 *   HUGEXEC_TEST_FAIL_OP=KIND:K      the tracer's own K-th call of KIND
 *                                    (ptrace, waitpid, vm: process_vm_*)
 *                                    fails with EIO: the injection breaks
 *   HUGEXEC_TEST_HELPER_ESCAPE       the helper tries to break out
 *   HUGEXEC_TEST_KEEP_SUD            Syscall User Dispatch left on (as a
 *                                    kernel before 6.4)
 *   HUGEXEC_TEST_NO_PROCMAP_QUERY    --profile-dir as on a kernel before
 *                                    6.11 (the helper names the build)
 *   HUGEXEC_TEST_ENTRY_STOP=int3|fault|hw  force an entry stop
 *   HUGEXEC_TEST_NO_PRECHECK         let the tracer judge the program
 *   HUGEXEC_TEST_PAUSE_MS=MS         hold the target before the plan runs
 *   HUGEXEC_TEST_EVIL_PLAN=KIND      what a compromised helper could send:
 *                                    truncate, oversize, execve (damaged in
 *                                    transit), munmap-stack, mprotect-rwx,
 *                                    outside, overlap, wrong-pid,
 *                                    null-region, stage-by-stack (made of
 *                                    the real plan); island-code,
 *                                    island-jump, island-eh,
 *                                    island-personality (a tampered hot
 *                                    island); the validator or the
 *                                    island's check must refuse every one
 * The test build also compares every byte of new text (verify_full).
 */
#ifndef LD_TESTHOOKS_H
#define LD_TESTHOOKS_H

#include "tracer.h"

#ifdef HUGEXEC_TESTING
void ld_test_hooks_read(struct ld_tracer *tr);
bool ld_test_no_precheck(void);
void ld_test_pause(void);
void ld_test_damage_plan(uint8_t **buf, size_t *len);
void ld_test_plan_corrupt(struct ld_tracer *tr);
#else
static inline void ld_test_hooks_read(struct ld_tracer *tr)
{
	(void)tr;
}
static inline bool ld_test_no_precheck(void)
{
	return false;
}
static inline void ld_test_pause(void)
{
}
static inline void ld_test_damage_plan(uint8_t **buf, size_t *len)
{
	(void)buf;
	(void)len;
}
static inline void ld_test_plan_corrupt(struct ld_tracer *tr)
{
	(void)tr;
}
#endif

#endif

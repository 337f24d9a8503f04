/* fuzz_bpf.c - libFuzzer target: the seccomp BPF interpreter the tracer
 * runs the program's filters through. The first 64 bytes are the
 * seccomp_data, the rest the program. */
#include "../../loader/filter.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seccomp_data d;
	if (size < sizeof(d))
		return 0;
	memcpy(&d, data, sizeof(d));
	size_t n = (size - sizeof(d)) / sizeof(struct sock_filter);
	if (n > LD_BPF_MAX_INSNS)
		n = LD_BPF_MAX_INSNS;
	struct sock_filter prog[LD_BPF_MAX_INSNS];
	memcpy(prog, data + sizeof(d), n * sizeof(prog[0]));
	uint32_t r;
	if (ld_bpf_run(prog, (unsigned)n, &d, &r) == 0 && r == 0x12345678)
		return 0; /* (the result itself does not matter) */
	return 0;
}

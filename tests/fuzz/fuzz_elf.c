/* fuzz_elf.c - libFuzzer target: the helper's ELF reader (program headers,
 * build-id note) and symbol reader, on hostile files. */
#define _GNU_SOURCE
#include "../../common/elfinfo.h"
#include "../../common/elfsyms.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		struct hp_elf e;
		if (hp_elf_read(fd, &e) == 0 && e.usable)
			for (size_t i = 0; i < e.n_load; i++)
				(void)hp_elf_range_is_exec(&e, e.load[i].offset, e.load[i].filesz);
		struct hx_elfsyms t;
		if (hx_elfsyms_read(fd, &t) == 0) {
			for (size_t i = 0; i < t.n_funcs; i++)
				if (strlen(t.funcs[i].name) == 0)
					abort();
			hx_elfsyms_free(&t);
		}
	}
	close(fd);
	return 0;
}

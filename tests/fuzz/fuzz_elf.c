/* fuzz_elf.c - libFuzzer target: the helper's ELF reader (program headers,
 * build-id note) and symbol reader, on hostile files. */
#define _GNU_SOURCE
#include "../../common/elfinfo.h"
#include "../../helper/elfsyms.h"

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
		struct hp_symtab t;
		if (hp_symtab_read(fd, &t) == 0) {
			for (size_t i = 0; i < t.n; i++)
				if (strlen(t.v[i].name) == 0)
					abort();
			hp_symtab_free(&t);
		}
	}
	close(fd);
	return 0;
}

/* fuzz_ehframe.c - libFuzzer target: the .eh_frame record reader (a file's
 * section, the target's memory as the loader re-reads it), and the
 * rebasing writer on what it read. */
#include "../../common/ehframe.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hx_eh_fde *f;
	size_t n, bad;
	uint64_t base = 0x400000;
	if (hx_eh_fdes(data, size, base, &f, &n, &bad) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i].off + f[i].len > size || f[i].pc_range == 0)
			abort();
		uint8_t *copy = malloc(f[i].len);
		if (!copy)
			break;
		memcpy(copy, data + f[i].off, f[i].len);
		struct hx_eh_cie c;
		if (hx_eh_cie_read(data, size, base, f[i].cie_off, &c) == 0) {
			size_t at = f[i].pc_field - f[i].off;
			if (hx_eh_put(copy + at, f[i].len - at, c.fde_enc, base + f[i].pc_field,
				      f[i].pc_begin + 4096) == 0 &&
			    memcmp(copy + at, data + f[i].pc_field, f[i].pc_width) == 0)
				abort(); /* a pointer moved by 4096 must change */
		}
		free(copy);
	}
	free(f);
	return 0;
}

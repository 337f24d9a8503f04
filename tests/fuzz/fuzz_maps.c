/* fuzz_maps.c - libFuzzer target: the /proc/PID/maps and smaps parser, and
 * the lookups built on its result. */
#include "../../common/maps.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hx_vmas m;
	if (hx_vmas_parse((const char *)data, size, &m) != 0)
		return 0;
	for (size_t i = 0; i < m.n; i++) {
		if (hx_vmas_find(&m, m.v[i].start) != &m.v[i])
			abort(); /* sorted and disjoint, or the parser was wrong */
		(void)hx_vma_huge_bytes(&m.v[i]);
	}
	hx_vmas_free(&m);
	return 0;
}

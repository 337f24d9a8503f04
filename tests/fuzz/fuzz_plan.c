/* fuzz_plan.c - libFuzzer target: the plan decoder, and the validator on
 * whatever decodes (against a fixed target layout), and for a layout group
 * the island's trust check against target memory that reads as the
 * input's own bytes. A plan that passes the validator must survive a
 * re-encode unchanged. */
#include "../../common/plan.h"
#include "../../loader/island.h"
#include "../../loader/validate.h"
#include "../unit/fixture_maps.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *d;
	size_t n;
};

/* Any address reads as the input, cyclically: hostile originals and
 * records of any shape. */
static int read_input(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct mem *m = ctx;
	if (!m->n)
		return -1;
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = m->d[(addr + i) % m->n];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hx_vmas m; /* parsed once: the fuzzer's own cache */
	if (!m.n && hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &m) != 0)
		abort();
	struct hx_plan p;
	struct hx_err e;
	if (hx_plan_decode(data, size, &p, &e) != 0)
		return 0;
	struct mem mem = {data, size};
	for (uint32_t i = 0; i < p.n_groups; i++)
		if (p.groups[i].flags & HX_GROUP_LAYOUT)
			(void)!ld_island_check_code(&p, i, read_input, &mem, &e);
	if (ld_plan_check(&p, &m, p.pid, &LD_PLAN_ANY, &e) == 0) {
		uint8_t *buf;
		size_t len;
		if (hx_plan_encode(&p, &buf, &len) != 0 || len != size || memcmp(buf, data, size) != 0)
			abort();
		free(buf);
	}
	hx_plan_free(&p);
	return 0;
}

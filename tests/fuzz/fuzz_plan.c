/* fuzz_plan.c - libFuzzer target: the plan decoder, and the validator on
 * whatever decodes (against a fixed target layout). A plan that passes
 * both must survive a re-encode unchanged. */
#include "../../common/plan.h"
#include "../../loader/validate.h"
#include "../unit/fixture_maps.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hx_vmas m; /* parsed once: the fuzzer's own cache */
	if (!m.n && hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &m) != 0)
		abort();
	struct hx_plan p;
	struct hx_err e;
	if (hx_plan_decode(data, size, &p, &e) != 0)
		return 0;
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

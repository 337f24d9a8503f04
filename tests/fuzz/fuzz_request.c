/* fuzz_request.c - libFuzzer target: the request decoder the sandboxed
 * helper runs on its input, and the planner on what decodes. */
#include "../../common/request.h"
#include "../../helper/planner.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hx_request r;
	struct hx_err e;
	if (hx_request_decode(data, size, &r, &e) != 0)
		return 0;
	struct hx_vmas m;
	if (hx_vmas_parse(r.maps, r.h.maps_len, &m) == 0) {
		struct hp_input in = {.req = &r.h, .only = r.only, .exclude = r.exclude, .vmas = &m};
		struct hx_plan p;
		if (hp_plan_build(&in, &p, &e) == 0)
			hx_plan_free(&p);
		hx_vmas_free(&m);
	}
	hx_request_free(&r);
	return 0;
}

/*
 * fuzz_perfscript.c - libFuzzer target for the `perf script` importer's
 * text parser (the text comes from other machines and perf versions).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/fuzz/fuzz_perfscript.c record/perfscript.c record/rawprof.c \
 *     common/util.c -o /tmp/fuzz_perfscript
 *   /tmp/fuzz_perfscript -max_total_time=60 tests/fuzz/corpus/perfscript
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../record/perfscript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct hx_err e;
	if (rec_raw_init(&raw, 64) != 0)
		return 0;
	if (prof_perfscript_parse((const char *)data, size, "fuzz", &raw, &st, &e) == 0) {
		if (st.samples != raw.samples || raw.unattributed > raw.samples)
			abort();
		for (size_t i = 0; i < raw.cap_slots; i++) {
			const struct rec_slot *s = &raw.slots[i];
			if (s->count && (s->k.ip.obj > raw.n_objs ||
					 (s->k.ip.name != REC_NAME_UNKNOWN && s->k.ip.name > raw.n_names)))
				abort();
		}
	}
	rec_raw_free(&raw);
	return 0;
}

/*
 * hotness.h - how hot the chosen text is, from a saved profile (--profile).
 *
 * The profile is outside input: parsed by profile/profile.c's checked
 * parser inside the sandbox, and matched to the mapped files by build-id
 * only (prof_match_build_id), never by path or name. Samples count where a
 * function starts: offsets in the profile are file offsets, turned into
 * addresses through the mapping that holds them.
 * Must never: let data recorded for another build of a file count for it.
 */
#ifndef HP_HOTNESS_H
#define HP_HOTNESS_H

#include "planner.h"

struct prof_profile;
struct prof_object;

struct hp_hot {
	const struct prof_object **obj; /* per in->files[i]: its data, or NULL */
	uint64_t total;                 /* all samples of the profile; 0: no profile */
	uint64_t matched;               /* samples in the matched objects */
};

/* Match prof (may be NULL: then *h says "no profile") to in's files. The
 * main executable's trouble (stale, another program's, no build-id) goes
 * to *warnings, a library's to *notes; one line each. */
int hp_hot_init(const struct hp_input *in, const struct prof_profile *prof, const char *name,
		struct hp_hot *h, char **warnings, char **notes) HX_WUR;
void hp_hot_free(struct hp_hot *h);

/* Samples of functions that start in [addr, addr+len) of mapping v. */
uint64_t hp_hot_samples(const struct hp_hot *h, const struct hp_input *in, const struct hx_vma *v,
			uint64_t addr, uint64_t len);

#endif

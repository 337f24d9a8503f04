/*
 * rawprof.h - samples as collected, before symbolization: counts of
 * distinct (IP, caller candidates) keys, each location an ELF object and a
 * file offset in it (or a symbol name and an offset from it, for imported
 * perf script text), plus the objects with a descriptor open on each.
 *
 * Both the recorder and the perf-script importer fill one of these; the
 * symbolizer (symbolize.h) turns it into a profile. Memory is bounded: past
 * max_keys distinct keys, new keys lose their caller candidates (counted in
 * dropped_callers), and IP-only keys are bounded by the code size.
 * Must never: hold a runtime address that has not been turned into an
 * object and an offset (the key has no field for one).
 */
#ifndef REC_RAWPROF_H
#define REC_RAWPROF_H

#include "../common/hx.h"

#define REC_NO_OBJ 0               /* loc.obj: no object (anonymous, vdso, kernel) */
#define REC_NAME_OFF 0             /* loc.name: val is a file offset */
#define REC_NAME_UNKNOWN UINT32_MAX /* loc.name: in the object, offset unknown */
#define REC_CANDS 3                /* caller candidates per sample */

struct rec_loc {
	uint32_t obj;  /* 1-based index into rec_raw.objs, or REC_NO_OBJ */
	uint32_t name; /* REC_NAME_OFF, REC_NAME_UNKNOWN, or a 1-based name id */
	uint64_t val;  /* file offset, or offset from the named symbol */
};

/* One sample's identity. cand[] are return-address candidates, best first:
 * cand[0] and cand[1] the stack words at [rsp] and [rsp+8] (recorder only),
 * cand[2] the first link of the frame-pointer chain (the recorder's, or
 * perf script's second frame). Unused ones are zero. The symbolizer trusts
 * cand[2] only where the sampled function keeps a frame. */
struct rec_key {
	struct rec_loc ip;
	struct rec_loc cand[REC_CANDS];
};
_Static_assert(sizeof(struct rec_key) == 64, "rec_key has no padding (it is hashed as bytes)");

struct rec_obj {
	char *path;
	int fd;               /* -1 when the file could not be opened */
	uint32_t dev_major, dev_minor;
	uint64_t ino;         /* 0 when unknown (imports) */
	char why[96];         /* why fd is -1 */
};

struct rec_slot {
	struct rec_key k;
	uint64_t count; /* 0 = empty slot */
};

struct rec_raw {
	struct rec_obj *objs;
	size_t n_objs, cap_objs;
	struct rec_slot *slots;
	size_t n_keys, cap_slots, max_keys;
	char **names;
	size_t n_names, cap_names;
	uint32_t *name_index;    /* open addressing: name id, 0 = empty */
	size_t cap_index;
	uint64_t samples;         /* all samples added, attributed or not */
	uint64_t unattributed;    /* in no object at all */
	uint64_t lost;            /* dropped by the kernel */
	uint64_t dropped_callers; /* kept without caller candidates (key table full) */
	char event[64];
};

int rec_raw_init(struct rec_raw *r, size_t max_keys) HX_WUR;
/* Frees everything and closes the objects' descriptors. */
void rec_raw_free(struct rec_raw *r);

/* Add an object; takes ownership of fd (may be -1, then why says why).
 * *id is its 1-based index. */
int rec_raw_add_object(struct rec_raw *r, const char *path, int fd, uint32_t dev_major,
		       uint32_t dev_minor, uint64_t ino, const char *why, uint32_t *id) HX_WUR;
/* The object with this path (imports), 0 if none. */
uint32_t rec_raw_object_by_path(const struct rec_raw *r, const char *path);
const struct rec_obj *rec_raw_object(const struct rec_raw *r, uint32_t id);

/* Intern a symbol name; *id is 1-based. */
int rec_raw_name(struct rec_raw *r, const char *name, uint32_t *id) HX_WUR;
const char *rec_raw_name_str(const struct rec_raw *r, uint32_t id);

/* Count n samples of key k (k.ip.obj == REC_NO_OBJ counts as unattributed). */
int rec_raw_add(struct rec_raw *r, const struct rec_key *k, uint64_t n) HX_WUR;

#endif

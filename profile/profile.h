/*
 * profile.h - the in-memory profile and its text form (docs/profile-format.md).
 *
 * A profile says where a program spent its time, keyed so that it survives
 * ASLR, other hosts and time: per ELF object its build-id (the key), its
 * path (informative only), its total samples; per function its file offset,
 * size, samples and name; per call edge the caller's and callee's function
 * offsets and a weight; per static call (a direct call found in the code of
 * a sampled function, version 2) the two offsets. Never a runtime address.
 *
 * The text parser treats its input as hostile (profiles travel between
 * hosts and are edited by hand): every error names the file and the line.
 * Printing is canonical (sorted, one spelling per value), so two profiles of
 * the same run are byte-identical and diffs between runs are small.
 * Must never: accept a profile it did not fully check, or apply one whose
 * build-id differs from the binary's (prof_match_build_id decides that).
 */
#ifndef PROF_PROFILE_H
#define PROF_PROFILE_H

#include "../common/hx.h"

/* The newest version read and written. A profile is written as version 1
 * when it has no static calls, so that older readers still take it. */
#define PROF_VERSION 2
#define PROF_VERSION_MIN 1
#define PROF_MAGIC "hugexec-profile"
/* 64 bytes of build-id, as common/elfinfo.h allows (SHA-1 ids are 20). */
#define PROF_BUILD_ID_MAX 64
#define PROF_EVENT_MAX 63
/* prof_load refuses bigger files: a profile of every function of a 1 GB
 * text is well under this. */
#define PROF_FILE_MAX ((size_t)512 << 20)

struct prof_func {
	uint64_t off;     /* file offset of the first byte */
	uint64_t size;    /* bytes; 0 when the symbol table did not say */
	uint64_t samples; /* samples whose IP was inside */
	char *name;       /* the symbol's name, raw bytes, NUL-terminated */
};

struct prof_edge {
	uint64_t caller, callee; /* offsets of functions of the same object */
	uint64_t weight;         /* samples in callee whose first return address was in caller */
};

/* A direct call (call rel32) from caller's code to callee's entry, found by
 * decoding the code rather than by sampling: it says the call exists, not
 * how often it runs. */
struct prof_sedge {
	uint64_t caller, callee; /* offsets of functions of the same object */
};

struct prof_object {
	char build_id[2 * PROF_BUILD_ID_MAX + 1]; /* lower-case hex */
	char *path;
	uint64_t samples; /* all samples in this object, in functions or not */
	struct prof_func *funcs;
	size_t n_funcs, cap_funcs;
	struct prof_edge *edges;
	size_t n_edges, cap_edges;
	struct prof_sedge *sedges; /* static calls, version 2 */
	size_t n_sedges, cap_sedges;
};

struct prof_profile {
	char event[PROF_EVENT_MAX + 1]; /* "task-clock", ...; "" unknown, "mixed" after merges */
	uint64_t lost;                  /* samples the kernel dropped (ring buffer full) */
	uint64_t unattributed;          /* samples in no object with a build-id */
	struct prof_object *objs;
	size_t n_objs, cap_objs;
};

void prof_init(struct prof_profile *p);
void prof_free(struct prof_profile *p);

/* Parse text (len bytes, need not be NUL-terminated). name is used in
 * messages: "NAME:LINE: what is wrong". On success *out is normalized. */
int prof_parse(const char *text, size_t len, const char *name, struct prof_profile *out,
	       struct hx_err *e) HX_WUR;

/* Read and parse a file; or, from an open descriptor (to its end), a
 * profile called name in messages. */
int prof_load(const char *path, struct prof_profile *out, struct hx_err *e) HX_WUR;
int prof_load_fd(int fd, const char *name, struct prof_profile *out, struct hx_err *e) HX_WUR;

/* The canonical text of p (normalizes p first). *out is malloc'd and
 * NUL-terminated. */
int prof_format(struct prof_profile *p, char **out, size_t *len) HX_WUR;

/* Write the canonical text to path atomically (a temporary file in the same
 * directory, then rename): a reader never sees half a profile. */
int prof_save(struct prof_profile *p, const char *path, struct hx_err *e) HX_WUR;

/* Building. build_id is hex (any case, 2..128 digits, even). The object is
 * new; adding one whose build-id is already there is -EEXIST. */
int prof_add_object(struct prof_profile *p, const char *build_id, const char *path,
		    uint64_t samples, struct prof_object **out) HX_WUR;
int prof_add_func(struct prof_object *o, uint64_t off, uint64_t size, uint64_t samples,
		  const char *name) HX_WUR;
int prof_add_edge(struct prof_object *o, uint64_t caller, uint64_t callee,
		  uint64_t weight) HX_WUR;
int prof_add_sedge(struct prof_object *o, uint64_t caller, uint64_t callee) HX_WUR;
/* Free object i (< n_objs) and close the gap; the others keep their order.
 * The profile's totals are the caller's business. */
void prof_remove_object(struct prof_profile *p, size_t i);

/* Sort objects by build-id, functions by offset, edges and static calls by
 * (caller, callee); add up duplicate functions and edges, drop duplicate
 * static calls. Returns -EOVERFLOW if a sum does not fit. */
int prof_normalize(struct prof_profile *p) HX_WUR;

/* Add src into dst: objects with the same build-id merge (samples, function
 * samples and edge weights add up, static calls are united); others are
 * copied as they are, so two builds of one program stay apart. lost and
 * unattributed add up; event becomes "mixed" if they differ. The total
 * must stay below 2^64 (-EOVERFLOW). src must not be dst. */
int prof_merge(struct prof_profile *dst, const struct prof_profile *src,
	       struct hx_err *e) HX_WUR;

const struct prof_object *prof_find(const struct prof_profile *p, const char *build_id_hex);
/* The function of o at exactly off, or NULL (o must be normalized). */
const struct prof_func *prof_func_at(const struct prof_object *o, uint64_t off);
/* The index of o's first function at or after off (n_funcs if none). */
size_t prof_func_from(const struct prof_object *o, uint64_t off);
/* Sum of all objects' samples plus unattributed (saturating; a profile
 * that prof_parse or prof_merge accepted never saturates). */
uint64_t prof_total(const struct prof_profile *p);
/* The same, or -EOVERFLOW if it does not fit in 64 bits. */
int prof_sum(const struct prof_profile *p, uint64_t *total) HX_WUR;

/* Does name (given by a user) designate an object recorded under path:
 * the same string, the same file here (real: name through realpath(3), or
 * NULL), or - for a relative name - the end of path from a '/' on
 * ("server", "bin/server" and "./bin/server" all name /opt/app/bin/server;
 * "in/server" does not)? */
bool prof_path_matches(const char *path, const char *name, const char *real);

/* Bytes to lower-case hex (buf at least 2*len+1). */
void prof_hex(const uint8_t *id, size_t len, char *buf, size_t size);

/*
 * The stale-profile gate, for the launcher's --profile option: may the data
 * in p be applied to the binary at bin_path whose build-id is id[0..len)?
 *   0        yes; *out is that binary's object
 *   -ENODATA the binary has no build-id: nothing can be matched safely
 *   -ESTALE  p has data for a binary of that name, but another build
 *   -ENOENT  p has nothing for this binary
 * On every error e->msg is the warning to show, naming profile_name; the
 * caller then runs the binary without a layout (plain huge pages).
 */
int prof_match_build_id(const struct prof_profile *p, const char *profile_name,
			const char *bin_path, const uint8_t *id, size_t len,
			const struct prof_object **out, struct hx_err *e) HX_WUR;

#endif

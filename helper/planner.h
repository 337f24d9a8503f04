/*
 * planner.h - decide which text goes on huge pages and how, as a plan.
 *
 * Pure: the input is the request (mappings, options, machine facts) plus
 * what elfinfo read from each mapped file; the output is a plan. No I/O, so
 * tests drive it with captured maps text and synthetic ELF facts.
 * Must never: plan a step outside a mapping it chose, a staging area that
 * overlaps anything mapped, or a writable and executable mapping.
 */
#ifndef HP_PLANNER_H
#define HP_PLANNER_H

#include "../common/maps.h"
#include "../common/plan.h"
#include "../common/request.h"
#include "../common/elfinfo.h"

struct hp_file {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	struct hp_elf elf;
};

struct hx_elfsyms;
struct prof_profile;

struct hp_input {
	const struct hx_req_header *req;
	const char *only;    /* newline-separated globs; "" = all */
	const char *exclude; /* newline-separated globs */
	const struct hx_vmas *vmas;
	const struct hp_file *files;
	size_t n_files;
	/* Symbols of files[i], for perf maps (NULL: none). The one place the
	 * planner reaches outside its inputs, so tests can leave it out. */
	int (*read_symbols)(const struct hp_input *in, size_t file, struct hx_elfsyms *out);
	const int *fds;      /* for read_symbols: the descriptor of files[i] */
	/* --profile: parsed (NULL: none), its name for messages, or why it
	 * could not be read or parsed (then profile is NULL). */
	const struct prof_profile *profile;
	const char *profile_name;
	const char *profile_error;
};

#define HP_MAX_PIECES 8

/* A mapped part of a region: at entry, one mapping (or part of one). */
struct hp_piece {
	uint64_t start, len;
};

/* One stretch of text chosen for huge pages: 2 MB aligned, made of the
 * pieces that are mapped (an interior is one piece; an aggressive window
 * may hold headers, text and .rodata pieces with holes between). */
struct hp_region {
	uint64_t addr, len;
	uint64_t file_offset;  /* of addr, for reports */
	size_t vma;            /* index of the r-x mapping it serves */
	bool main_exe;
	bool congruent;        /* vaddr == file offset (mod 2 MB): file THP possible */
	bool edge;             /* an --align=aggressive window */
	struct hp_piece piece[HP_MAX_PIECES];
	size_t n_pieces;
};

/* Add a step to plan p, returning from the calling function on failure
 * (the planner's and the layout's group builders). */
#define HP_STEP(op, fl, a0, a1, a2, a3)                                        \
	do {                                                                   \
		int r_ = hx_plan_add_step(p, (op), (fl), (a0), (a1), (a2), (a3)); \
		if (r_ < 0)                                                    \
			return r_;                                             \
	} while (0)

/* The 2 MB-aligned interior of [start, end); *len = 0 if there is none. */
void hp_interior(uint64_t start, uint64_t end, uint64_t *addr, uint64_t *len);

/* Append a line to a malloc'd notes string. */
int hp_note(char **notes, const char *fmt, ...) HX_PRINTF(2, 3);

/* The ELF facts for the file mapped by v, or NULL. */
const struct hp_file *hp_find_file(const struct hp_input *in, const struct hx_vma *v);

/* Text changed in memory by someone other than the program (a uprobe's
 * int3), not by its own text relocations: a copy must not carry it. */
bool hp_foreign_changes(const struct hp_input *in, const struct hx_vma *v);

/* Choose the regions: each eligible r-x mapping's interior, and with
 * --align=aggressive its edge windows (see regions.c). *notes collects one
 * line per mapping left out and why (malloc'd, may stay NULL). */
int hp_select_regions(const struct hp_input *in, struct hp_region **out, size_t *n,
		      char **notes) HX_WUR;

/* A 2 MB-aligned free range of len bytes far from every mapping (in the
 * middle of the widest gap), not overlapping [avoid, avoid+avoid_len), and
 * outside the keep-out zones of common/placement.h (stack gap, heap room;
 * stack_rlimit: the program's RLIMIT_STACK, 0 if unknown). */
int hp_find_hole(const struct hx_vmas *m, uint64_t len, uint64_t avoid, uint64_t avoid_len,
		 uint64_t stack_rlimit, uint64_t *out) HX_WUR;

/* The whole plan. */
int hp_plan_build(const struct hp_input *in, struct hx_plan *out, struct hx_err *e) HX_WUR;

#endif

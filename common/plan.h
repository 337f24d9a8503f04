/*
 * plan.h - the plan: what the helper asks the loader to make the target do.
 *
 * A plan is data, never code: an ordered list of steps from a small
 * vocabulary, grouped into transactions ("groups"), one group per attempt to
 * put one region of text on huge pages. A group either completes or is
 * rolled back by the loader, and leaves the address space as it found it
 * apart from the backing of its region. A group may be an alternative to an
 * earlier one (alt_of): it runs only if that one failed.
 *
 * Wire format (one pipe message, host byte order, fixed-width fields):
 *   header | groups[n_groups] | steps[n_steps] | strings[strings_size]
 *          | data[data_size]
 * Strings are NUL-terminated and referenced by byte offset; data holds
 * the bytes a layout writes (the island's code, its unwind records),
 * referenced by offset and length.
 * plan_codec.c is the only code that reads or writes these bytes; the
 * loader's validate.c decides whether a decoded plan may run.
 * Must never: change a field's meaning without bumping HX_PLAN_VERSION.
 */
#ifndef HX_PLAN_H
#define HX_PLAN_H

#include "hx.h"

#define HX_PLAN_MAGIC UINT64_C(0x31304e414c505848) /* "HXPLAN01" */
#define HX_PLAN_VERSION 4
/* hx_plan_group.heat: a profile's samples are counted per 100,000 */
#define HX_HEAT_ALL 100000u
#define HX_BYTE_ORDER_MARK UINT64_C(0x0102030405060708)
#define HX_NO_STR UINT32_MAX

/* Bounds: far above any real plan, low enough to reject garbage early. */
#define HX_PLAN_MAX_GROUPS 4096u
#define HX_PLAN_MAX_STEPS 65536u
#define HX_PLAN_MAX_STRINGS (32u << 20)
#define HX_PLAN_MAX_DATA (64u << 20)
#define HX_PLAN_MAX_BYTES (128u << 20)
/* Steps of one group that change the address space (mmap, mremap): each
 * needs a slot in the executor's undo log. */
#define HX_PLAN_MAX_UNDO 32u

/* How a region ends up backed. */
enum hx_backing {
	HX_BACK_NONE = 0,  /* 4 KB pages (nothing done) */
	HX_BACK_FILE = 1,  /* the file's own page cache, PMD-mapped */
	HX_BACK_HUGETLB = 2,
	HX_BACK_THP = 3,   /* anonymous copy on transparent huge pages */
	HX_BACK_COUNT
};

const char *hx_backing_name(uint32_t backing);

/* Step vocabulary. a[] meanings are listed per op. */
enum hx_op {
	HX_OP_MMAP = 1,      /* a0 addr, a1 len, a2 prot, a3 flags: anonymous only */
	HX_OP_MUNMAP,        /* a0 addr, a1 len */
	HX_OP_MPROTECT,      /* a0 addr, a1 len, a2 prot */
	HX_OP_MADVISE,       /* a0 addr, a1 len, a2 advice */
	HX_OP_MREMAP,        /* a0 old, a1 len, a2 new: MREMAP_MAYMOVE|MREMAP_FIXED */
	HX_OP_COPY,          /* a0 dst, a1 src, a2 len: target's process_vm_readv on itself */
	HX_OP_TRACER_COPY,   /* a0 dst, a1 src, a2 len: the tracer copies through /proc/PID/mem */
	HX_OP_NAME,          /* a0 addr, a1 len, a2 string: PR_SET_VMA_ANON_NAME */
	HX_OP_EVICT,         /* a0 addr, a1 len: the tracer drops that file range's page cache */
	HX_OP_CHECK_HUGE,    /* a0 addr, a1 len, a2 HX_CHECK_*: loader checks smaps; not
			      * huge = failure */
	HX_OP_VERIFY,        /* a0 addr, a1 reference addr, a2 len: bytes must be equal */
	HX_OP_READ_FILE,     /* a0 dst, a1 src, a2 len: the target reads src's bytes from
			      * its file (pread), else copies them as HX_OP_COPY */
	/* The layout (HX_GROUP_LAYOUT groups; docs/layout.md): */
	HX_OP_POKE,          /* a0 dst, a1 data offset, a2 len: the tracer writes plan data
			      * into a mapping of the group (through /proc/PID/mem) */
	HX_OP_MOVED,         /* a0 original entry, a1 copy, a2 size, a3 the original's FDE
			      * (0: none): a declaration the loader checks, no action */
	HX_OP_EH_REGISTER,   /* a0 unwind records (a zero-terminated run), a1 len: the
			      * loader calls the target's __register_frame on them */
	HX_OP_PATCH,         /* a0 where, a1 to: the loader writes jmp rel32 to a1 at a0 */
	HX_OP_COUNT
};

const char *hx_op_name(uint32_t op);

/* The kernel's rule for PR_SET_VMA_ANON_NAME names, kept by the planner
 * and checked by the validator: 1..HX_ANON_NAME_MAX printable bytes, none
 * of \ ` $ [ ]. */
#define HX_ANON_NAME_MAX 79
bool hx_anon_name_char_ok(char c);
bool hx_anon_name_ok(const char *s);

/* True for ops the target executes as a system call. */
bool hx_op_is_syscall(uint32_t op);

/* a2 of HX_OP_CHECK_HUGE. THP comes 2 MB window by window (MADV_COLLAPSE
 * can fail for one where memory is fragmented); when it is the last
 * alternative, every window that did collapse is worth keeping. */
enum { HX_CHECK_ALL = 0, HX_CHECK_SOME = 1 };

enum {
	HX_STEP_OPTIONAL = 1u << 0, /* a failure is noted, not rolled back */
	HX_STEP_FLAGS_ALL = HX_STEP_OPTIONAL,
};

enum {
	HX_GROUP_MAIN_EXE = 1u << 0, /* region belongs to the main executable */
	HX_GROUP_RX_STAGING = 1u << 1, /* staging is r-x from the start (MDWE) */
	HX_GROUP_EDGE = 1u << 2,       /* an --align=aggressive window */
	HX_GROUP_LAYOUT = 1u << 3,     /* a hot island: addr/len its mapping */
	HX_GROUP_FLAGS_ALL = (1u << 4) - 1,
};

struct hx_plan_header {
	uint64_t magic;
	uint16_t version;
	uint16_t header_size;
	uint32_t total_size;
	uint32_t group_size;
	uint32_t step_size;
	uint32_t n_groups;
	uint32_t n_steps;
	uint32_t strings_size;
	uint32_t flags;
	int32_t pid;
	uint32_t notes_str;  /* newline-separated notes for -vv, or HX_NO_STR */
	uint64_t byte_order; /* HX_BYTE_ORDER_MARK */
	uint32_t reason_str; /* why text that qualified got no group, or HX_NO_STR */
	uint32_t warn_str;   /* warnings shown without -v (a stale profile), or HX_NO_STR */
	uint64_t left_bytes; /* text that qualified but got no group (reason_str says why) */
	uint32_t data_size;
	uint32_t layout_str; /* the layout's summary for -v, or HX_NO_STR */
};
_Static_assert(sizeof(struct hx_plan_header) == 80, "plan header layout");

struct hx_plan_group {
	uint64_t addr, len;      /* the region: 2 MB aligned */
	uint64_t file_offset;    /* file offset of addr (for reports) */
	uint64_t staging;        /* where a copy is built (0 for file backing) */
	uint32_t backing;        /* enum hx_backing this group produces */
	int32_t alt_of;          /* -1, or the group whose failure runs this one */
	uint32_t first_step;
	uint32_t n_steps;
	uint32_t path_str;       /* the file's path, for reports */
	uint32_t flags;          /* HX_GROUP_* */
	uint32_t perfmap_str;    /* perf map lines for the region's symbols, or HX_NO_STR */
	uint32_t heat;           /* --profile: per 100,000 of its samples in this region */
};
_Static_assert(sizeof(struct hx_plan_group) == 64, "plan group layout");

/* Each perfmap_str starts with one of these lines, saying where its
 * symbols came from (the loader notes stripped files); perf map lines
 * ("START SIZE NAME", hex) follow. */
#define HX_PERFMAP_SYMTAB "# symbols: .symtab\n"
#define HX_PERFMAP_DYNSYM "# symbols: .dynsym\n" /* stripped: exported ones only */
#define HX_PERFMAP_NONE "# symbols: none\n"     /* fully stripped */
/* The name of the perf map line on an island's trap byte (layout.c), one
 * token as perf map names are: "hugexec.island:functions=N,kb=K" and, with
 * a profile, ",samples=S%" (its share of the profile's samples). */
#define HX_ISLAND_MARK "hugexec.island:"
/* The helper's first note, when the program's file has a build-id: what
 * --profile-dir names its profiles by, on a kernel that cannot tell. */
#define HX_NOTE_PROGRAM_ID "program build-id "
#define HX_PERFMAP_FDE "# symbols: .eh_frame\n" /* no symbols: unwind records' bounds, sub_ADDR */

struct hx_plan_step {
	uint32_t op;
	uint32_t flags;
	uint64_t a[4];
};
_Static_assert(sizeof(struct hx_plan_step) == 40, "plan step layout");

/* A plan in memory: the wire structs, owned arrays. */
struct hx_plan {
	int32_t pid;
	uint32_t flags;
	uint32_t notes_str;
	uint32_t reason_str;
	uint32_t warn_str;
	uint32_t layout_str;
	uint64_t left_bytes;
	struct hx_plan_group *groups;
	uint32_t n_groups;
	struct hx_plan_step *steps;
	uint32_t n_steps;
	char *strings;
	uint32_t strings_size;
	uint8_t *data;
	uint32_t data_size;
};

void hx_plan_init(struct hx_plan *p, int32_t pid);
void hx_plan_free(struct hx_plan *p);

/* Builders (used by the helper and by tests). Return 0 or -ENOMEM/-E2BIG. */
int hx_plan_add_string(struct hx_plan *p, const char *s, uint32_t *off) HX_WUR;
int hx_plan_add_step(struct hx_plan *p, uint32_t op, uint32_t flags, uint64_t a0,
		     uint64_t a1, uint64_t a2, uint64_t a3) HX_WUR;
/* Append len bytes to the plan's data; *off where they start. */
int hx_plan_add_data(struct hx_plan *p, const void *bytes, size_t len, uint32_t *off) HX_WUR;
/* Opens a group whose steps are the ones added until the next group. */
int hx_plan_add_group(struct hx_plan *p, const struct hx_plan_group *g) HX_WUR;
/* Sets n_steps of the last group from the steps added since it opened. */
void hx_plan_close_group(struct hx_plan *p);

/* The string at off, or "" if off is HX_NO_STR. Only valid on decoded or
 * built plans (offsets checked). */
const char *hx_plan_str(const struct hx_plan *p, uint32_t off);

/* Serialise; *buf is malloc'd. */
int hx_plan_encode(const struct hx_plan *p, uint8_t **buf, size_t *len) HX_WUR;

/* Parse and check structure (sizes, counts, bounds, known ops and flags,
 * string termination). Semantics (addresses) are the loader's job. */
int hx_plan_decode(const uint8_t *buf, size_t len, struct hx_plan *out,
		   struct hx_err *e) HX_WUR;

#endif

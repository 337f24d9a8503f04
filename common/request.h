/*
 * request.h - what the loader tells the helper: the target's mappings, the
 * facts about the machine and the target the helper cannot look up from
 * inside its sandbox, the user's options, and which inherited file
 * descriptors hold which mapped files.
 *
 * Wire format (one pipe message, host byte order):
 *   header | files[n_files] | maps text | only patterns | exclude patterns
 *          | profile name
 * The profile (--profile), like the ELF files, travels as a descriptor the
 * loader opened; its name is only for messages.
 * Pattern lists are newline-separated globs.
 * Must never: carry anything the helper could use to act on the target;
 * it is read by the sandboxed side, which treats every byte as hostile.
 */
#ifndef HX_REQUEST_H
#define HX_REQUEST_H

#include "hx.h"

#define HX_REQ_MAGIC UINT64_C(0x3130305145525848) /* "HXREQ001" */
#define HX_REQ_VERSION 3
#define HX_REQ_MAX_FILES 4096u
#define HX_REQ_MAX_TEXT (64u << 20)
#define HX_REQ_MAX_NAME 4096u

enum hx_backing_mode {
	HX_MODE_AUTO = 0,
	HX_MODE_FILE,
	HX_MODE_HUGETLB,
	HX_MODE_THP,
	HX_MODE_COUNT
};

enum hx_align_mode {
	HX_ALIGN_CONSERVATIVE = 0,
	HX_ALIGN_AGGRESSIVE,
	HX_ALIGN_COUNT
};

enum hx_thp_mode {
	HX_THP_UNKNOWN = 0, /* no sysfs file: THP not built in */
	HX_THP_ALWAYS,
	HX_THP_MADVISE,
	HX_THP_NEVER,
	HX_THP_COUNT
};

/* What the loader learned about the target that changes the recipe. */
enum {
	HX_TGT_MDWE = 1u << 0,         /* PR_SET_MDWE: no exec after write */
	HX_TGT_NO_MPROTECT_EXEC = 1u << 1, /* seccomp refuses mprotect(PROT_EXEC) */
	HX_TGT_NO_SELF_COPY = 1u << 2, /* seccomp refuses process_vm_readv */
	HX_TGT_THP_DISABLED = 1u << 3, /* PR_SET_THP_DISABLE: no THP, no file THP */
	HX_TGT_NO_FILE_READ = 1u << 4, /* seccomp: the target may not open/pread its files */
	HX_TGT_NO_CALLS = 1u << 5,     /* no function may be called in it (a seccomp filter):
					* no unwind registration, so no layout */
	HX_TGT_ALL = (1u << 6) - 1,
};

enum {
	HX_REQ_LIBRARIES = 1u << 0,     /* shared libraries too, not only the executable */
	HX_REQ_DEBUG_ESCAPE = 1u << 1,  /* tests: helper makes a forbidden syscall */
	HX_REQ_PERF_MAP = 1u << 2,      /* give copies perf map lines (/tmp/perf-PID.map) */
	HX_REQ_LAYOUT = 1u << 3,        /* --profile: install the hot functions' layout */
	HX_REQ_MOVE_ALL = 1u << 4,      /* --move=all: every function that may move (tests) */
	HX_REQ_OPTIONS_ALL = (1u << 5) - 1,
};

struct hx_req_header {
	uint64_t magic;
	uint16_t version;
	uint16_t header_size;
	uint32_t total_size;
	int32_t pid;
	uint32_t backing_mode;   /* enum hx_backing_mode */
	uint64_t entry;          /* AT_ENTRY of the target */
	uint64_t interp_base;    /* AT_BASE: the dynamic loader, left alone */
	uint64_t min_size;       /* smallest mapping worth remapping */
	uint64_t hugetlb_free;   /* free, unreserved 2 MB hugetlb pages */
	uint32_t align;          /* enum hx_align_mode */
	uint32_t target_flags;   /* HX_TGT_* */
	uint32_t thp_mode;       /* enum hx_thp_mode */
	uint32_t options;        /* HX_REQ_* */
	uint32_t n_files;
	uint32_t maps_len;
	uint32_t only_len;
	uint32_t exclude_len;
	uint64_t byte_order;
	uint64_t stack_rlimit;   /* the target's RLIMIT_STACK soft limit, 0 unknown */
	int32_t profile_fd;      /* --profile, opened by the loader; only */
	uint32_t profile_name_len; /* when it has a name (never 0 bytes long) */
	uint32_t layout_permille; /* the share of the samples the layout covers, 1..1000 */
	uint32_t reserved;
};
_Static_assert(sizeof(struct hx_req_header) == 120, "request header layout");

/* One mapped file the loader opened and verified (device and inode match
 * the mapping's), passed to the helper as an inherited descriptor. */
struct hx_req_file {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	int32_t fd;
	uint32_t reserved;
};
_Static_assert(sizeof(struct hx_req_file) == 24, "request file layout");

struct hx_request {
	struct hx_req_header h;
	struct hx_req_file *files;
	char *maps;    /* NUL-terminated, maps_len bytes before the NUL */
	char *only;    /* NUL-terminated pattern list ("" = everything) */
	char *exclude; /* NUL-terminated pattern list */
	char *profile_name; /* NUL-terminated; "" without a profile */
};

void hx_request_free(struct hx_request *r);

int hx_request_encode(const struct hx_request *r, uint8_t **buf, size_t *len) HX_WUR;
int hx_request_decode(const uint8_t *buf, size_t len, struct hx_request *out,
		      struct hx_err *e) HX_WUR;

/* True if path matches one of the newline-separated globs in list. */
bool hx_pattern_list_match(const char *list, const char *path);

#endif

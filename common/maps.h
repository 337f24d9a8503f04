/*
 * maps.h - the target's address space as /proc/PID/maps or /proc/PID/smaps
 * describe it.
 *
 * The parser is pure (text in, table out) so that tests and fuzzers feed it
 * captured or hostile text. It accepts both formats: smaps is maps plus
 * "Key: value" lines after each mapping. The loader reads smaps once at the
 * entry stop and again to verify; the helper gets the same text in its
 * request.
 * Must never: accept a line it did not fully understand as a mapping header,
 * or point outside its own copy of the text.
 */
#ifndef HX_MAPS_H
#define HX_MAPS_H

#include "hx.h"
#include <sys/types.h>

enum hx_vma_kind {
	HX_VMA_ANON,      /* no file, no name */
	HX_VMA_FILE,      /* inode != 0: a file (includes hugetlbfs, memfd) */
	HX_VMA_HEAP,      /* [heap] */
	HX_VMA_STACK,     /* [stack] */
	HX_VMA_VDSO,      /* [vdso] */
	HX_VMA_VVAR,      /* [vvar], [vvar_vclock] */
	HX_VMA_VSYSCALL,  /* [vsyscall] */
	HX_VMA_ANON_NAMED,/* [anon:NAME] (PR_SET_VMA_ANON_NAME) */
	HX_VMA_SPECIAL,   /* any other [name] */
};

/* VmFlags of interest (smaps only). */
enum {
	HX_VMF_HG = 1u << 0, /* MADV_HUGEPAGE */
	HX_VMF_NH = 1u << 1, /* MADV_NOHUGEPAGE */
	HX_VMF_HT = 1u << 2, /* hugetlb */
};

struct hx_vma {
	uint64_t start, end;     /* [start, end), page aligned */
	uint64_t offset;         /* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	uint32_t prot;           /* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;             /* 's' rather than 'p' */
	bool deleted;            /* path ended in " (deleted)" (removed from path) */
	enum hx_vma_kind kind;
	const char *path;        /* "" when anonymous; points into hx_vmas.text */

	/* smaps counters in kB; all 0 when parsed from maps */
	bool has_smaps;
	uint64_t rss_kb, anonymous_kb, swap_kb, anon_huge_kb, file_pmd_kb;
	uint64_t shared_hugetlb_kb, private_hugetlb_kb;
	uint32_t vmflags;
};

struct hx_vmas {
	struct hx_vma *v;
	size_t n;
	char *text; /* private copy of the parsed text; paths point in here */
};

/* Parse maps or smaps text. On success *out owns its memory (hx_vmas_free).
 * Mappings must come in increasing, non-overlapping order, as the kernel
 * prints them. */
int hx_vmas_parse(const char *text, size_t len, struct hx_vmas *out) HX_WUR;
void hx_vmas_free(struct hx_vmas *m);

/* Read and parse /proc/PID/smaps (with_counters) or /proc/PID/maps. */
int hx_vmas_read(pid_t pid, bool with_counters, struct hx_vmas *out,
		 struct hx_err *e) HX_WUR;

/* The mapping that contains addr, or NULL. */
const struct hx_vma *hx_vmas_find(const struct hx_vmas *m, uint64_t addr);

/* Bytes of [start,end) that smaps reports as mapped by huge pages of any
 * kind (AnonHugePages + FilePmdMapped + *_Hugetlb). */
uint64_t hx_vma_huge_bytes(const struct hx_vma *v);

/* True when smaps says no page of v differs from its file: none is
 * anonymous (copied on write) in memory, none swapped out (modified pages
 * are the only private file pages that can be swapped). Unknown = false. */
bool hx_vma_clean(const struct hx_vma *v);

/* The one test of file identity: device and inode (a path can be replaced).
 * hx_vma_of_file: is v a mapping of the file (dev_major, dev_minor, inode)?
 * hx_vma_same_file: do a and b (either may be NULL: no) map the same file? */
bool hx_vma_of_file(const struct hx_vma *v, uint32_t dev_major, uint32_t dev_minor,
		    uint64_t inode);
bool hx_vma_same_file(const struct hx_vma *a, const struct hx_vma *b);

/* True when v is program text as hugexec means it: a private file mapping
 * that is exactly r-x (never writable, never shared). */
bool hx_vma_is_text(const struct hx_vma *v);

/* True when nothing in [addr, addr+len) is mapped. */
bool hx_vmas_range_free(const struct hx_vmas *m, uint64_t addr, uint64_t len);

#endif

/*
 * ehframe.h - the call-frame records of .eh_frame (CIEs and FDEs), read and
 * rebased.
 *
 * Three users: the ELF symbol reader takes function bounds from FDEs where
 * a file has no symbols for them (stripped libraries keep .eh_frame); the
 * layout builder copies a moved function's CIE and FDE next to its copy,
 * rebased, so that unwinders find the copy; the loader re-reads the
 * original records in the target and checks every rebased record against
 * them before it registers any.
 * Input is hostile everywhere (a file, the helper's plan): every length is
 * checked against the buffer, pointer encodings outside the small set
 * compilers emit are refused, and so are 64-bit record lengths.
 * Must never: read outside [buf, buf+size), or accept a record whose
 * fields it cannot decode.
 */
#ifndef HX_EHFRAME_H
#define HX_EHFRAME_H

#include "hx.h"

/* The largest CIE or FDE a moved function may have (the loader reads the
 * originals back with this bound; compilers' largest are a few KB: 7956
 * bytes in libclang-cpp 14). */
#define HX_EH_RECORD_MAX (64u << 10)

#define HX_DW_EH_PE_omit 0xff
#define HX_DW_EH_PE_pcrel 0x10
#define HX_DW_EH_PE_indirect 0x80

struct hx_eh_cie {
	size_t off, len;          /* the record in the buffer, length field included */
	uint8_t version;          /* 1 or 3 */
	uint8_t fde_enc;          /* R: pc_begin encoding (absptr when absent) */
	uint8_t lsda_enc;         /* L, or omit */
	uint8_t pers_enc;         /* P, or omit */
	bool aug_z;               /* 'z': FDEs carry an augmentation length */
	bool signal_frame;        /* 'S' */
	size_t pers_field;        /* offset in the buffer of P's pointer (0: none) */
	uint8_t pers_width;       /* its bytes */
	uint64_t personality;     /* P decoded (the address of the pointer if indirect) */
};

struct hx_eh_fde {
	size_t off, len;          /* the record in the buffer, length field included */
	size_t cie_off;           /* its CIE's record in the buffer */
	uint64_t pc_begin, pc_range;
	size_t pc_field;          /* offset in the buffer of pc_begin */
	size_t lsda_field;        /* offset in the buffer of the LSDA pointer (0: none) */
	uint8_t pc_width, lsda_width; /* their bytes */
	uint64_t lsda;            /* decoded (0: none) */
};

/* The CIE at buf[off], buf being mapped at address base. 0 or -EINVAL
 * (not a CIE, truncated, an encoding or augmentation we do not take). */
int hx_eh_cie_read(const uint8_t *buf, size_t size, uint64_t base, size_t off,
		   struct hx_eh_cie *out) HX_WUR;

/* The FDE at buf[off] with its CIE already read. 0 or -EINVAL. */
int hx_eh_fde_read(const uint8_t *buf, size_t size, uint64_t base, size_t off,
		   const struct hx_eh_cie *cie, struct hx_eh_fde *out) HX_WUR;

/* The same without checking which CIE the FDE names (for an FDE read on
 * its own, its CIE read from elsewhere): the caller checks that. */
int hx_eh_fde_decode(const uint8_t *buf, size_t size, uint64_t base, size_t off,
		     const struct hx_eh_cie *cie, struct hx_eh_fde *out) HX_WUR;

/* The CIE an FDE at buf[off] names: the offset of its record, or -EINVAL. */
int hx_eh_fde_cie_off(const uint8_t *buf, size_t size, size_t off, size_t *cie_off) HX_WUR;

/* Every FDE of a whole .eh_frame section at address base (the zero
 * terminator or the end of the buffer ends it). Records that cannot be
 * read are skipped, counted in *bad (may be NULL); FDEs with a zero
 * pc_begin or range (discarded link-once code) are left out. Sorted by
 * pc_begin. *out is malloc'd. -ENOMEM only. */
int hx_eh_fdes(const uint8_t *buf, size_t size, uint64_t base, struct hx_eh_fde **out,
	       size_t *n, size_t *bad) HX_WUR;

/* Write pointer value v at dst (field address at) in encoding enc:
 * 0 or -ERANGE if it does not fit, -EINVAL for an encoding we do not
 * write (the same set hx_eh_*_read accept, less indirect targets, whose
 * pointer word stays where it is). */
int hx_eh_put(uint8_t *dst, size_t room, uint8_t enc, uint64_t at, uint64_t v) HX_WUR;

/* Decode the pointer at buf[off] (field address base+off) in encoding
 * enc; *len its size. 0 or -EINVAL. */
int hx_eh_get(const uint8_t *buf, size_t size, uint64_t base, size_t off, uint8_t enc,
	      uint64_t *v, size_t *len) HX_WUR;

#endif

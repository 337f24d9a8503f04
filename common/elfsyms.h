/*
 * elfsyms.h - the functions of one ELF file, by file offset and by name:
 * the one symbol reader of hugexec (the recorder, `profile show`, the
 * helper's perf maps and its layout).
 *
 * Reads .symtab, or .dynsym when the file is stripped, keeping STT_FUNC
 * symbols that lie in an executable PT_LOAD, and converts their addresses
 * to file offsets (the profile's key; runtime addresses never leave the
 * recorder). Aliases (several names at one address) become one function,
 * named by the global one; every name stays findable by hx_elfsyms_byname.
 * Code no symbol covers but an .eh_frame FDE does (a library stripped to
 * .dynsym keeps the FDEs of all its functions) becomes a function named
 * sub_<address>, as disassemblers name them, bounded by its FDE.
 * Runs inside the symbolizer's and the helper's sandboxes on a descriptor
 * opened beforehand; the file may have been shaped by an attacker.
 * Must never: trust a count, size or offset in the file without checking
 * it against what libelf read and the file's real size.
 */
#ifndef HX_ELFSYMS_H
#define HX_ELFSYMS_H

#include "ehframe.h"
#include "elfinfo.h"

struct hx_func {
	uint64_t off;    /* file offset of the entry */
	uint64_t size;   /* st_size; 0 if the symbol table did not say */
	uint64_t extent; /* bytes attributed to it: size, or up to the next function */
	const char *name;
	bool from_fde;   /* no symbol: named and bounded by its FDE */
};

struct hx_symname {
	const char *name;
	uint64_t off; /* file offset of that symbol */
};

struct hx_elfsyms {
	struct hp_elf elf;       /* build-id and PT_LOADs */
	int fd;                  /* not owned */
	struct hx_func *funcs;  /* sorted by off, one per offset */
	size_t n_funcs;
	struct hx_symname *names;  /* sorted by name, all aliases */
	size_t n_names;
	char *pool;              /* the names */
	bool from_dynsym;
	size_t n_from_fde;       /* functions only an FDE told of */
	/* .eh_frame, kept for the layout: its bytes as mapped at ELF address
	 * eh_vaddr, and its FDEs sorted by pc_begin (ELF addresses). */
	uint8_t *eh;
	size_t eh_size;
	uint64_t eh_vaddr;
	struct hx_eh_fde *fdes;
	size_t n_fdes;
};

/* Read fd. Problems with the file come back in out->elf.usable/why (0 is
 * returned); only a failure to allocate is an error. */
int hx_elfsyms_read(int fd, struct hx_elfsyms *out) HX_WUR;
void hx_elfsyms_free(struct hx_elfsyms *s);

/* The FDEs whose ranges overlap ELF addresses [vaddr, vaddr+len): the
 * index of the first in s->fdes and their count. */
size_t hx_elfsyms_fdes_in(const struct hx_elfsyms *s, uint64_t vaddr, uint64_t len,
			  size_t *first);

/* The function whose extent holds file offset off, or NULL. */
const struct hx_func *hx_elfsyms_find(const struct hx_elfsyms *s, uint64_t off);

/* The file offset of a named symbol's entry; -ENOENT if there is none. */
int hx_elfsyms_byname(const struct hx_elfsyms *s, const char *name, uint64_t *off) HX_WUR;

/* ELF virtual address <-> file offset through the executable PT_LOADs. */
int hx_elfsyms_vaddr_to_off(const struct hx_elfsyms *s, uint64_t vaddr, uint64_t *off) HX_WUR;
int hx_elfsyms_off_to_vaddr(const struct hx_elfsyms *s, uint64_t off, uint64_t *vaddr) HX_WUR;

/* Up to want bytes of code that end right before file offset off (inside
 * the same executable PT_LOAD); returns how many were read into buf. */
size_t hx_elfsyms_code_before(const struct hx_elfsyms *s, uint64_t off, uint8_t *buf,
			       size_t want);
/* Up to want bytes of code from file offset off on (same segment). */
size_t hx_elfsyms_code_at(const struct hx_elfsyms *s, uint64_t off, uint8_t *buf, size_t want);

#endif

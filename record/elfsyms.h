/*
 * elfsyms.h - the functions of one ELF file, by file offset and by name.
 *
 * Reads .symtab, or .dynsym when the file is stripped, keeping STT_FUNC
 * symbols that lie in an executable PT_LOAD, and converts their addresses
 * to file offsets (the profile's key; runtime addresses never leave the
 * recorder). Aliases (several names at one address) become one function,
 * named by the global one; every name stays findable by rec_elfsyms_byname.
 * Runs inside the symbolizer's sandbox on a descriptor opened beforehand;
 * the file may have been shaped by an attacker.
 * Must never: trust a count, size or offset in the file without checking
 * it against what libelf read and the file's real size.
 */
#ifndef REC_ELFSYMS_H
#define REC_ELFSYMS_H

#include "../common/elfinfo.h"

struct rec_func {
	uint64_t off;    /* file offset of the entry */
	uint64_t size;   /* st_size; 0 if the symbol table did not say */
	uint64_t extent; /* bytes attributed to it: size, or up to the next function */
	const char *name;
};

struct rec_name {
	const char *name;
	uint64_t off; /* file offset of that symbol */
};

struct rec_elfsyms {
	struct hp_elf elf;       /* build-id and PT_LOADs */
	int fd;                  /* not owned */
	struct rec_func *funcs;  /* sorted by off, one per offset */
	size_t n_funcs;
	struct rec_name *names;  /* sorted by name, all aliases */
	size_t n_names;
	char *pool;              /* the names */
	bool from_dynsym;
};

/* Read fd. Problems with the file come back in out->elf.usable/why (0 is
 * returned); only a failure to allocate is an error. */
int rec_elfsyms_read(int fd, struct rec_elfsyms *out) HX_WUR;
void rec_elfsyms_free(struct rec_elfsyms *s);

/* The function whose extent holds file offset off, or NULL. */
const struct rec_func *rec_elfsyms_find(const struct rec_elfsyms *s, uint64_t off);

/* The file offset of a named symbol's entry; -ENOENT if there is none. */
int rec_elfsyms_byname(const struct rec_elfsyms *s, const char *name, uint64_t *off) HX_WUR;

/* ELF virtual address <-> file offset through the executable PT_LOADs. */
int rec_elfsyms_vaddr_to_off(const struct rec_elfsyms *s, uint64_t vaddr, uint64_t *off) HX_WUR;
int rec_elfsyms_off_to_vaddr(const struct rec_elfsyms *s, uint64_t off, uint64_t *vaddr) HX_WUR;

/* Up to want bytes of code that end right before file offset off (inside
 * the same executable PT_LOAD); returns how many were read into buf. */
size_t rec_elfsyms_code_before(const struct rec_elfsyms *s, uint64_t off, uint8_t *buf,
			       size_t want);
/* Up to want bytes of code from file offset off on (same segment). */
size_t rec_elfsyms_code_at(const struct rec_elfsyms *s, uint64_t off, uint8_t *buf, size_t want);

#endif

/*
 * elfsyms.h - the function symbols of an ELF file (.symtab, else .dynsym),
 * for perf maps and, later, layouts.
 *
 * Runs inside the helper's sandbox on hostile files: a lying section table,
 * names that are not terminated, sizes that overflow.
 * Must never: return a symbol whose name is not a terminated, printable
 * string, or read outside the section data libelf handed back.
 */
#ifndef HP_ELFSYMS_H
#define HP_ELFSYMS_H

#include "../common/hx.h"

struct hp_sym {
	uint64_t value;  /* st_value: virtual address in the file's layout */
	uint64_t size;
	const char *name; /* into hp_symtab.names */
};

struct hp_symtab {
	struct hp_sym *v;
	size_t n;
	char *names;     /* owned copy of all names */
	bool full;       /* from .symtab; false: only .dynsym (stripped file) */
};

#define HP_SYMS_MAX 2000000u /* far above any real program */

/* Read STT_FUNC symbols with a size, sorted by value. An unreadable or
 * symbol-less file gives n = 0 and returns 0; -ENOMEM only. */
int hp_symtab_read(int fd, struct hp_symtab *out) HX_WUR;
void hp_symtab_free(struct hp_symtab *t);

#endif

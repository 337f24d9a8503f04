/*
 * symfile.c - write the island's symbol file (symfile.h) by hand: an ELF
 * header, the section contents, the section header table. No program
 * headers: gdb's add-symbol-file reads sections at their own addresses.
 */
#include "symfile.h"
#include "../common/plan.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More functions than any island holds; a bound on the helper's lines. */
#define MAX_SYMS 1000000u

struct buf {
	uint8_t *d;
	size_t n, cap;
};

static int put(struct buf *b, const void *src, size_t n)
{
	if (b->n + n > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->n + n)
			nc *= 2;
		uint8_t *nd = realloc(b->d, nc);
		if (!nd)
			return -ENOMEM;
		b->d = nd;
		b->cap = nc;
	}
	memcpy(b->d + b->n, src, n);
	b->n += n;
	return 0;
}

static int align8(struct buf *b)
{
	static const uint8_t zero[8];
	return put(b, zero, (8 - b->n % 8) % 8);
}

/* Symbols and their names from the lines inside [lo, hi). */
static int symbols(const char *lines, uint64_t lo, uint64_t hi, struct buf *sym, struct buf *str,
		   size_t *n)
{
	Elf64_Sym null = {0};
	int r = put(sym, &null, sizeof(null));
	if (r == 0)
		r = put(str, "", 1);
	*n = 0;
	for (const char *l = lines; r == 0 && *l && *n < MAX_SYMS;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[1100], name[1024];
		unsigned long long at, size;
		int used = 0;
		if (len < sizeof(line)) {
			memcpy(line, l, len);
			line[len] = '\0';
			bool ok = sscanf(line, "%llx %llx %1023s%n", &at, &size, name, &used) == 3 &&
				  (size_t)used == len && size > 0 && at >= lo && at + size <= hi &&
				  at + size > at && strncmp(name, HX_ISLAND_MARK, strlen(HX_ISLAND_MARK)) != 0;
			for (const char *c = name; ok && *c; c++)
				ok = *c > 0x20 && *c < 0x7f;
			if (ok) {
				Elf64_Sym s = {.st_name = (Elf64_Word)str->n,
					       .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
					       .st_shndx = 1, .st_value = at, .st_size = size};
				r = put(str, name, strlen(name) + 1);
				if (r == 0)
					r = put(sym, &s, sizeof(s));
				(*n)++;
			}
		}
		l += nl ? len + 1 : len;
	}
	return r;
}

int ld_symfile_build(const char *lines, uint64_t lo, uint64_t hi, const uint8_t *eh, size_t eh_len,
		     uint64_t eh_addr, uint8_t **out, size_t *len)
{
	struct buf sym = {0}, str = {0}, f = {0};
	size_t n = 0;
	int r = symbols(lines, lo, hi, &sym, &str, &n);
	if (r == 0 && n == 0)
		r = -ENOENT;
	static const char shstr[] = "\0.text\0.eh_frame\0.symtab\0.strtab\0.shstrtab";
	enum { N_TEXT = 1, N_EH = 7, N_SYMTAB = 17, N_STRTAB = 25, N_SHSTRTAB = 33 };
	Elf64_Ehdr eh_hdr = {0};
	size_t eh_off = 0, sym_off = 0, str_off = 0, shstr_off = 0;
	if (r == 0)
		r = put(&f, &eh_hdr, sizeof(eh_hdr)); /* filled in below */
	if (r == 0 && (r = align8(&f)) == 0) {
		eh_off = f.n;
		r = put(&f, eh, eh_len);
	}
	if (r == 0 && (r = align8(&f)) == 0) {
		sym_off = f.n;
		r = put(&f, sym.d, sym.n);
	}
	if (r == 0) {
		str_off = f.n;
		r = put(&f, str.d, str.n);
	}
	if (r == 0) {
		shstr_off = f.n;
		r = put(&f, shstr, sizeof(shstr));
	}
	size_t sh_off = 0;
	if (r == 0 && (r = align8(&f)) == 0) {
		sh_off = f.n;
		const Elf64_Shdr sh[6] = {
			{0},
			{.sh_name = N_TEXT, .sh_type = SHT_NOBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			 .sh_addr = lo, .sh_offset = eh_off, .sh_size = hi - lo, .sh_addralign = 16},
			{.sh_name = N_EH, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			 .sh_addr = eh_addr, .sh_offset = eh_off, .sh_size = eh_len, .sh_addralign = 8},
			{.sh_name = N_SYMTAB, .sh_type = SHT_SYMTAB, .sh_offset = sym_off, .sh_size = sym.n,
			 .sh_link = 4, .sh_info = 1, .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Sym)},
			{.sh_name = N_STRTAB, .sh_type = SHT_STRTAB, .sh_offset = str_off, .sh_size = str.n,
			 .sh_addralign = 1},
			{.sh_name = N_SHSTRTAB, .sh_type = SHT_STRTAB, .sh_offset = shstr_off,
			 .sh_size = sizeof(shstr), .sh_addralign = 1},
		};
		r = put(&f, sh, sizeof(sh));
	}
	free(sym.d);
	free(str.d);
	if (r < 0) {
		free(f.d);
		return r;
	}
	Elf64_Ehdr *h = (Elf64_Ehdr *)(void *)f.d;
	memcpy(h->e_ident, ELFMAG, SELFMAG);
	h->e_ident[EI_CLASS] = ELFCLASS64;
	h->e_ident[EI_DATA] = ELFDATA2LSB;
	h->e_ident[EI_VERSION] = EV_CURRENT;
	h->e_ident[EI_OSABI] = ELFOSABI_NONE;
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_shoff = sh_off;
	h->e_shentsize = sizeof(Elf64_Shdr);
	h->e_shnum = 6;
	h->e_shstrndx = 5;
	*out = f.d;
	*len = f.n;
	return 0;
}

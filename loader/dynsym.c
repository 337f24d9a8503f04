/*
 * dynsym.c - a GNU-hash lookup in a library mapped in the target.
 *
 * ld.so relocates the address fields of a library's .dynamic in place
 * (x86-64 keeps it writable until RELRO), so a field below the load base
 * is still a link-time address and gets the base added. Every count and
 * offset read is bounded; a symbol must land in an r-x mapping of the
 * same file.
 */
#define _GNU_SOURCE
#include "dynsym.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#define MAX_PHDRS 64
#define MAX_DYN 512
#define MAX_CHAIN 4096
#define MAX_BUCKETS (1u << 24)

const struct hx_vma *ld_lib_of(const struct hx_vmas *m, const char *soname)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (v->kind != HX_VMA_FILE || v->offset != 0)
			continue;
		const char *slash = strrchr(v->path, '/');
		if (strcmp(slash ? slash + 1 : v->path, soname) == 0)
			return v;
	}
	return NULL;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (uint8_t)*s;
	return h;
}

static int rd(struct inj_target *t, uint64_t a, void *buf, size_t n)
{
	return inj_peek(t, a, buf, n) < 0 ? -EINVAL : 0;
}

/* Is [a, a+1) in an r-x mapping of the file mapped at base? */
static bool in_text_of(const struct hx_vmas *m, uint64_t base, uint64_t a)
{
	const struct hx_vma *lib = hx_vmas_find(m, base), *v = hx_vmas_find(m, a);
	return lib && v && hx_vma_is_text(v) && hx_vma_same_file(lib, v);
}

int ld_dynsym(struct inj_target *t, const struct hx_vmas *m, uint64_t base, const char *name,
	      uint64_t *addr)
{
	Elf64_Ehdr eh;
	if (rd(t, base, &eh, sizeof(eh)) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_DYN ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS)
		return -EINVAL;
	Elf64_Phdr ph[MAX_PHDRS];
	if (rd(t, base + eh.e_phoff, ph, eh.e_phnum * sizeof(*ph)) < 0)
		return -EINVAL;
	uint64_t lowest = UINT64_MAX, dyn = 0, dyn_sz = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < lowest)
			lowest = ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC) {
			dyn = ph[i].p_vaddr;
			dyn_sz = ph[i].p_memsz;
		}
	}
	if (!dyn || lowest == UINT64_MAX)
		return -EINVAL;
	uint64_t bias = base - (lowest & ~(uint64_t)4095);
	Elf64_Dyn d[MAX_DYN];
	size_t nd = dyn_sz / sizeof(Elf64_Dyn);
	if (nd > MAX_DYN)
		nd = MAX_DYN;
	if (nd == 0 || rd(t, bias + dyn, d, nd * sizeof(*d)) < 0)
		return -EINVAL;
	uint64_t gnu = 0, symtab = 0, strtab = 0, strsz = 0;
	for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++) {
		uint64_t v = d[i].d_un.d_ptr;
		switch (d[i].d_tag) {
		case DT_GNU_HASH: gnu = v; break;
		case DT_SYMTAB: symtab = v; break;
		case DT_STRTAB: strtab = v; break;
		case DT_STRSZ: strsz = v; break;
		default: break;
		}
	}
	if (!gnu || !symtab || !strtab)
		return -EINVAL;
	if (gnu < bias) /* not relocated in place */
		gnu += bias;
	if (symtab < bias)
		symtab += bias;
	if (strtab < bias)
		strtab += bias;
	uint32_t hdr[4];
	if (rd(t, gnu, hdr, sizeof(hdr)) < 0 || hdr[0] == 0 || hdr[0] > MAX_BUCKETS ||
	    hdr[2] > MAX_BUCKETS)
		return -EINVAL;
	uint32_t nb = hdr[0], symoff = hdr[1], bloom = hdr[2];
	uint32_t h = gnu_hash(name);
	uint64_t buckets = gnu + 16 + (uint64_t)bloom * 8, chain = buckets + (uint64_t)nb * 4;
	uint32_t idx;
	if (rd(t, buckets + (uint64_t)(h % nb) * 4, &idx, 4) < 0)
		return -EINVAL;
	if (idx < symoff)
		return -ENOENT;
	size_t nl = strlen(name);
	for (unsigned k = 0; k < MAX_CHAIN; k++, idx++) {
		uint32_t ch;
		if (rd(t, chain + (uint64_t)(idx - symoff) * 4, &ch, 4) < 0)
			return -EINVAL;
		if ((ch | 1) == (h | 1)) {
			Elf64_Sym s;
			char got[256];
			if (nl + 1 > sizeof(got) || rd(t, symtab + (uint64_t)idx * sizeof(s), &s,
							 sizeof(s)) < 0)
				return -EINVAL;
			if ((strsz == 0 || s.st_name + nl < strsz) &&
			    rd(t, strtab + s.st_name, got, nl + 1) == 0 && memcmp(got, name, nl + 1) == 0 &&
			    s.st_shndx != SHN_UNDEF && ELF64_ST_TYPE(s.st_info) == STT_FUNC) {
				if (!in_text_of(m, base, bias + s.st_value))
					return -EINVAL;
				*addr = bias + s.st_value;
				return 0;
			}
		}
		if (ch & 1)
			break;
	}
	return -ENOENT;
}

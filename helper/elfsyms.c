/*
 * elfsyms.c - function symbols with libelf.
 *
 * Prefers .symtab (every function) and falls back to .dynsym (exported
 * ones: what a stripped binary still has). Names are copied out and made
 * printable; symbols without a size are skipped (perf cannot place them).
 * Must never: trust sh_link, st_name or sh_size without libelf's checks.
 */
#include "elfsyms.h"
#include "../common/elfinfo.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b)
{
	const struct hp_sym *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

static Elf_Scn *find_table(Elf *elf, Elf64_Word type, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL)
		if (gelf_getshdr(scn, sh) && sh->sh_type == type && sh->sh_entsize)
			return scn;
	return NULL;
}

/* Copy the names of table scn into out; two passes (size, then fill). */
static int collect(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct hp_symtab *out)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || sh->sh_entsize == 0)
		return 0;
	size_t count = d->d_size / sizeof(Elf64_Sym), n = 0, bytes = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t used = 0;
		n = 0;
		for (size_t i = 0; i < count && n < HP_SYMS_MAX; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    s.st_size == 0 || s.st_shndx == SHN_UNDEF || s.st_value + s.st_size < s.st_value)
				continue;
			const char *nm = elf_strptr(elf, sh->sh_link, s.st_name);
			if (!nm || !*nm)
				continue;
			size_t l = strnlen(nm, 4096);
			if (pass == 1) {
				char *dst = out->names + used;
				for (size_t k = 0; k < l; k++)
					dst[k] = (nm[k] > 0x20 && nm[k] < 0x7f) ? nm[k] : '?';
				dst[l] = '\0';
				out->v[n] = (struct hp_sym){s.st_value, s.st_size, NULL};
				out->v[n].name = (const char *)(uintptr_t)used; /* offset for now */
			}
			used += l + 1;
			n++;
		}
		if (pass == 0) {
			bytes = used;
			out->v = malloc((n ? n : 1) * sizeof(*out->v));
			out->names = malloc(bytes ? bytes : 1);
			if (!out->v || !out->names)
				return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++)
		out->v[i].name = out->names + (uintptr_t)out->v[i].name;
	out->n = n;
	qsort(out->v, n, sizeof(*out->v), by_value);
	return 0;
}

int hp_symtab_read(int fd, struct hp_symtab *out)
{
	memset(out, 0, sizeof(*out));
	struct hp_elf_view v;
	int r = hp_elf_view_open(fd, &v);
	if (r < 0)
		return r == -ENOMEM ? r : 0; /* not a file libelf can read: no symbols */
	Elf *elf = v.elf;
	GElf_Shdr sh;
	Elf_Scn *scn = find_table(elf, SHT_SYMTAB, &sh);
	out->full = scn != NULL;
	if (!scn)
		scn = find_table(elf, SHT_DYNSYM, &sh);
	r = scn ? collect(elf, scn, &sh, out) : 0;
	hp_elf_view_close(&v);
	if (r < 0)
		hp_symtab_free(out);
	return r;
}

void hp_symtab_free(struct hp_symtab *t)
{
	free(t->v);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

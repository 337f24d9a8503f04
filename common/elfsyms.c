/*
 * elfsyms.c - function symbols of an ELF file with libelf.
 *
 * libelf reads a private read-only mapping of the file (hp_elf_view, as
 * the helper's readers do), so it never asks for the file's size by a call
 * that could take a path, which the sandbox refuses; one view serves the
 * header, the segments and the symbols. If the file shrinks while mapped,
 * a read past the new end is a SIGBUS: the symbolizer child dies, and no
 * profile is written. The symbol section is bounded by the file size and
 * its entry size checked; names come from elf_strptr, which checks its own
 * bounds. Hostile contents can at worst give wrong names or offsets, which
 * end up as wrong numbers in a profile, never a crash.
 * Must never: index outside what libelf returned.
 */
#define _GNU_SOURCE
#include "elfsyms.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* More symbols than this in one table is not a real program. */
#define MAX_SYMS (16u << 20)
/* A function without st_size gets the bytes up to the next one, at most
 * this many (hand-written assembly often has no .size). */
#define MAX_IMPLIED_EXTENT ((uint64_t)64 << 10)

struct cand {
	uint64_t off, size;
	size_t name_at;
	int rank; /* 0 global, 1 weak, 2 local: which alias names the function;
		   * RANK_FDE: no symbol, an FDE */
};

#define RANK_FDE 3

struct collect {
	struct cand *c;
	size_t n, cap;
	char *pool;
	size_t pool_len, pool_cap;
};

static const struct hp_segment *exec_seg_vaddr(const struct hp_elf *e, uint64_t vaddr)
{
	for (size_t i = 0; i < e->n_load; i++) {
		const struct hp_segment *s = &e->load[i];
		if ((s->flags & PF_X) && vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
			return s;
	}
	return NULL;
}

/* The executable segment holding file offset off; at_end allows off to be
 * the segment's end (a return address after a final call). */
static const struct hp_segment *exec_seg_off(const struct hp_elf *e, uint64_t off, bool at_end)
{
	for (size_t i = 0; i < e->n_load; i++) {
		const struct hp_segment *s = &e->load[i];
		if ((s->flags & PF_X) && off >= s->offset &&
		    (off - s->offset < s->filesz || (at_end && off - s->offset == s->filesz)))
			return s;
	}
	return NULL;
}

int hx_elfsyms_vaddr_to_off(const struct hx_elfsyms *s, uint64_t vaddr, uint64_t *off)
{
	const struct hp_segment *g = exec_seg_vaddr(&s->elf, vaddr);
	if (!g)
		return -ENOENT;
	*off = vaddr - g->vaddr + g->offset;
	return 0;
}

int hx_elfsyms_off_to_vaddr(const struct hx_elfsyms *s, uint64_t off, uint64_t *vaddr)
{
	const struct hp_segment *g = exec_seg_off(&s->elf, off, true);
	if (!g)
		return -ENOENT;
	*vaddr = off - g->offset + g->vaddr;
	return 0;
}

static int add_cand(struct collect *c, uint64_t off, uint64_t size, const char *name, int rank)
{
	size_t nl = strlen(name) + 1;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		struct cand *nn = realloc(c->c, nc * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		c->c = nn;
		c->cap = nc;
	}
	if (c->pool_len + nl > c->pool_cap) {
		size_t nc = c->pool_cap ? c->pool_cap : 4096;
		while (nc < c->pool_len + nl)
			nc *= 2;
		char *np = realloc(c->pool, nc);
		if (!np)
			return -ENOMEM;
		c->pool = np;
		c->pool_cap = nc;
	}
	memcpy(c->pool + c->pool_len, name, nl);
	c->c[c->n++] = (struct cand){off, size, c->pool_len, rank};
	c->pool_len += nl;
	return 0;
}

/* The symbol table to use: .symtab if there is a usable one, else .dynsym. */
static Elf_Scn *pick_symtab(Elf *elf, uint64_t file_size, GElf_Shdr *sh, bool *dyn)
{
	Elf_Scn *scn = NULL, *best = NULL;
	GElf_Shdr h;
	size_t shnum;
	if (elf_getshdrnum(elf, &shnum) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &h) || (h.sh_type != SHT_SYMTAB && h.sh_type != SHT_DYNSYM))
			continue;
		if (h.sh_entsize != sizeof(Elf64_Sym) || h.sh_link == 0 || h.sh_link >= shnum ||
		    h.sh_offset > file_size || h.sh_size > file_size - h.sh_offset ||
		    h.sh_size < 2 * sizeof(Elf64_Sym))
			continue;
		if (!best || h.sh_type == SHT_SYMTAB) {
			best = scn;
			*sh = h;
			*dyn = h.sh_type == SHT_DYNSYM;
		}
	}
	return best;
}

static int collect_syms(Elf *elf, struct hx_elfsyms *out, struct collect *c)
{
	GElf_Shdr sh;
	memset(&sh, 0, sizeof(sh));
	Elf_Scn *scn = pick_symtab(elf, out->elf.file_size, &sh, &out->from_dynsym);
	if (!scn)
		return 0;
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return 0;
	size_t n = d->d_size / sizeof(Elf64_Sym);
	if (n > MAX_SYMS)
		n = MAX_SYMS;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS || sym.st_value == 0)
			continue;
		const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
		uint64_t off;
		if (!name || !*name || hx_elfsyms_vaddr_to_off(out, sym.st_value, &off) < 0)
			continue;
		int b = GELF_ST_BIND(sym.st_info);
		int r = add_cand(c, off, sym.st_size, name, b == STB_GLOBAL ? 0 : b == STB_WEAK ? 1 : 2);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->name_at < y->name_at ? -1 : x->name_at > y->name_at;
}

static int cmp_name(const void *a, const void *b)
{
	const struct hx_symname *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* .eh_frame as the section table gives it, else through PT_GNU_EH_FRAME
 * (.eh_frame_hdr's pointer; the records then run to the end of their
 * segment, or to their zero terminator). Bounds checked against the view. */
static bool find_eh(const struct hp_elf_view *v, const struct hp_elf *e, uint64_t *off,
		    uint64_t *size, uint64_t *vaddr)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(v->elf, &shstrndx) == 0) {
		GElf_Shdr h;
		while ((scn = elf_nextscn(v->elf, scn)) != NULL) {
			const char *name;
			if (!gelf_getshdr(scn, &h) || h.sh_type == SHT_NOBITS ||
			    !(name = elf_strptr(v->elf, shstrndx, h.sh_name)) ||
			    strcmp(name, ".eh_frame") != 0)
				continue;
			if (h.sh_offset > v->size || h.sh_size > v->size - h.sh_offset)
				return false;
			*off = h.sh_offset;
			*size = h.sh_size;
			*vaddr = h.sh_addr;
			return true;
		}
	}
	size_t phnum;
	if (elf_getphdrnum(v->elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(v->elf, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		const uint8_t *hdr = v->map;
		if (ph.p_offset > v->size || v->size - ph.p_offset < 12 || hdr[ph.p_offset] != 1)
			return false; /* version, 3 encodings, and up to 8 bytes of pointer */
		uint64_t at;
		size_t w;
		if (hx_eh_get(hdr + ph.p_offset, 8 + 4, ph.p_vaddr, 4, hdr[ph.p_offset + 1], &at,
			      &w) < 0)
			return false;
		for (size_t k = 0; k < e->n_load; k++) {
			const struct hp_segment *g = &e->load[k];
			if (at >= g->vaddr && at - g->vaddr < g->filesz) {
				*off = at - g->vaddr + g->offset;
				*size = g->filesz - (at - g->vaddr);
				*vaddr = at;
				return *off <= v->size && *size <= v->size - *off;
			}
		}
		return false;
	}
	return false;
}

static int cmp_cand(const void *a, const void *b);

/* Keep .eh_frame and its FDEs; code that no symbol covers but an FDE does
 * becomes a function of its own. */
static int collect_fdes(const struct hp_elf_view *v, struct hx_elfsyms *out, struct collect *c)
{
	uint64_t off, size, vaddr;
	if (!find_eh(v, &out->elf, &off, &size, &vaddr) || size == 0)
		return 0;
	out->eh = malloc((size_t)size);
	if (!out->eh)
		return -ENOMEM;
	memcpy(out->eh, (const uint8_t *)v->map + off, (size_t)size);
	out->eh_size = (size_t)size;
	out->eh_vaddr = vaddr;
	int r = hx_eh_fdes(out->eh, out->eh_size, vaddr, &out->fdes, &out->n_fdes, NULL);
	if (r < 0)
		return r;
	size_t nsym = c->n;
	if (nsym)
		qsort(c->c, nsym, sizeof(*c->c), cmp_cand);
	for (size_t i = 0; i < out->n_fdes; i++) {
		const struct hx_eh_fde *f = &out->fdes[i];
		uint64_t fo;
		if (hx_elfsyms_vaddr_to_off(out, f->pc_begin, &fo) < 0)
			continue;
		size_t lo = 0, hi = nsym; /* the last symbol at or before fo */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->c[mid].off <= fo)
				lo = mid + 1;
			else
				hi = mid;
		}
		bool covered = false;
		for (size_t k = lo; k > 0 && !covered && lo - k < 8; k--) {
			const struct cand *s = &c->c[k - 1];
			covered = s->off == fo || fo - s->off < s->size;
		}
		if (covered || (i > 0 && out->fdes[i - 1].pc_begin == f->pc_begin))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "sub_%llx", (unsigned long long)f->pc_begin);
		if ((r = add_cand(c, fo, f->pc_range, name, RANK_FDE)) < 0)
			return r;
		out->n_from_fde++;
	}
	return 0;
}

/* The end of the executable segment that holds off (for implied sizes). */
static uint64_t seg_end(const struct hp_elf *e, uint64_t off)
{
	const struct hp_segment *g = exec_seg_off(e, off, false);
	return g ? g->offset + g->filesz : off;
}

static int build_tables(struct hx_elfsyms *s, struct collect *c)
{
	s->pool = c->pool;
	c->pool = NULL;
	s->names = malloc((c->n ? c->n : 1) * sizeof(*s->names));
	s->funcs = malloc((c->n ? c->n : 1) * sizeof(*s->funcs));
	if (!s->names || !s->funcs)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++)
		s->names[i] = (struct hx_symname){s->pool + c->c[i].name_at, c->c[i].off};
	s->n_names = c->n;
	if (c->n)
		qsort(s->names, c->n, sizeof(*s->names), cmp_name);
	if (c->n)
		qsort(c->c, c->n, sizeof(*c->c), cmp_cand);
	size_t w = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (w && s->funcs[w - 1].off == c->c[i].off)
			continue; /* an alias: the first after sorting names it */
		s->funcs[w++] = (struct hx_func){c->c[i].off, c->c[i].size, c->c[i].size,
						  s->pool + c->c[i].name_at,
						  c->c[i].rank == RANK_FDE};
	}
	s->n_funcs = w;
	for (size_t i = 0; i < w; i++) {
		struct hx_func *f = &s->funcs[i];
		if (f->size)
			continue;
		uint64_t end = seg_end(&s->elf, f->off);
		if (i + 1 < w && s->funcs[i + 1].off < end)
			end = s->funcs[i + 1].off;
		f->extent = end - f->off > MAX_IMPLIED_EXTENT ? MAX_IMPLIED_EXTENT : end - f->off;
	}
	return 0;
}

int hx_elfsyms_read(int fd, struct hx_elfsyms *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = fd;
	struct hp_elf_view v;
	int r = hp_elf_view_open(fd, &v);
	if (r < 0) {
		out->elf.why = hp_elf_view_why(r);
		return 0;
	}
	hp_elf_read_view(&v, &out->elf);
	if (!out->elf.usable) {
		hp_elf_view_close(&v);
		return 0;
	}
	struct collect c = {0};
	r = collect_syms(v.elf, out, &c);
	if (r == 0)
		r = collect_fdes(&v, out, &c);
	hp_elf_view_close(&v);
	if (r == 0)
		r = build_tables(out, &c);
	free(c.c);
	free(c.pool);
	if (r < 0)
		hx_elfsyms_free(out);
	return r;
}

void hx_elfsyms_free(struct hx_elfsyms *s)
{
	free(s->funcs);
	free(s->names);
	free(s->pool);
	free(s->eh);
	free(s->fdes);
	s->eh = NULL;
	s->fdes = NULL;
	s->n_fdes = s->eh_size = s->n_from_fde = 0;
	s->funcs = NULL;
	s->names = NULL;
	s->pool = NULL;
	s->n_funcs = s->n_names = 0;
}

size_t hx_elfsyms_fdes_in(const struct hx_elfsyms *s, uint64_t vaddr, uint64_t len,
			  size_t *first)
{
	size_t lo = 0, hi = s->n_fdes; /* first FDE starting at or after vaddr + len */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->fdes[mid].pc_begin < vaddr + len)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0, at = lo;
	/* FDEs do not nest in compiler output; a few steps back find one that
	 * starts before vaddr and reaches into it */
	for (size_t k = lo; k > 0 && lo - k < 64; k--) {
		const struct hx_eh_fde *f = &s->fdes[k - 1];
		if (hx_overlaps(vaddr, len, f->pc_begin, f->pc_range)) {
			n++;
			at = k - 1;
		} else if (f->pc_begin + f->pc_range <= vaddr && lo >= 8 && k < lo - 8) {
			break;
		}
	}
	*first = at;
	return n;
}

const struct hx_func *hx_elfsyms_find(const struct hx_elfsyms *s, uint64_t off)
{
	size_t lo = 0, hi = s->n_funcs;
	while (lo < hi) { /* first function starting after off */
		size_t mid = lo + (hi - lo) / 2;
		if (s->funcs[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* A few steps back for a bigger function that encloses a smaller one. */
	for (size_t k = 0; k < 8 && lo > 0; k++, lo--) {
		const struct hx_func *f = &s->funcs[lo - 1];
		if (off - f->off < f->extent)
			return f;
	}
	return NULL;
}

int hx_elfsyms_byname(const struct hx_elfsyms *s, const char *name, uint64_t *off)
{
	size_t lo = 0, hi = s->n_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->names[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->n_names || strcmp(s->names[lo].name, name) != 0)
		return -ENOENT;
	*off = s->names[lo].off;
	return 0;
}

size_t hx_elfsyms_code_before(const struct hx_elfsyms *s, uint64_t off, uint8_t *buf,
			       size_t want)
{
	const struct hp_segment *g = exec_seg_off(&s->elf, off, true);
	if (!g || off == g->offset)
		return 0;
	uint64_t from = off - g->offset < want ? g->offset : off - want;
	size_t n = (size_t)(off - from);
	ssize_t r = pread(s->fd, buf, n, (off_t)from);
	if (r != (ssize_t)n)
		return 0;
	return n;
}

size_t hx_elfsyms_code_at(const struct hx_elfsyms *s, uint64_t off, uint8_t *buf, size_t want)
{
	const struct hp_segment *g = exec_seg_off(&s->elf, off, false);
	if (!g)
		return 0;
	uint64_t left = g->offset + g->filesz - off;
	size_t n = left < want ? (size_t)left : want;
	ssize_t r = pread(s->fd, buf, n, (off_t)off);
	return r == (ssize_t)n ? n : 0;
}

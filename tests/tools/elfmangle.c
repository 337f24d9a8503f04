/*
 * elfmangle.c - damage an ELF64 file in ways an attacker could.
 * The kernel still runs these (it reads only the program headers):
 *   elfmangle nosections FILE   drop the section table (as sstrip does)
 *   elfmangle badsections FILE  point the section table at garbage
 *   elfmangle lyingnote FILE    make the build-id note claim a huge size
 *   elfmangle manyphdrs FILE    move the program headers to the end of the
 *                               file, padded with PT_NULL to the most the
 *                               kernel takes (64 KB: 1170 headers), mapped
 *                               by one more PT_LOAD
 *   elfmangle overlap FILE      stretch each PT_LOAD over the next one
 *                               where their offsets and addresses agree (the
 *                               later mapping wins, so the image is the same)
 * The kernel refuses these (for the reader's tests):
 *   elfmangle badphdr FILE      make a PT_LOAD reach past the end of the file
 *   elfmangle hugephnum FILE    65534 program headers, starting 3 headers
 *                               before the end of the file
 *   elfmangle xnum FILE         e_phnum PN_XNUM (65535): the count is in
 *                               section 0's sh_info, which claims 2^32-1
 * Must never: write outside FILE.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KERNEL_MAX_PHNUM (65536 / sizeof(Elf64_Phdr)) /* fs/binfmt_elf.c load_elf_phdrs */
#define PAGE 4096u

static int rw(int fd, void *buf, size_t n, off_t off, int wr)
{
	ssize_t r = wr ? pwrite(fd, buf, n, off) : pread(fd, buf, n, off);
	return r == (ssize_t)n ? 0 : -1;
}

static Elf64_Phdr *read_phdrs(int fd, const Elf64_Ehdr *eh)
{
	Elf64_Phdr *ph = calloc(eh->e_phnum ? eh->e_phnum : 1, sizeof(*ph));
	if (ph && rw(fd, ph, eh->e_phnum * sizeof(*ph), (off_t)eh->e_phoff, 0) != 0) {
		free(ph);
		return NULL;
	}
	return ph;
}

/* Modes that change only the ELF header (and section 0). */
static int header_mode(const char *mode, int fd, Elf64_Ehdr *eh, off_t size)
{
	if (strcmp(mode, "nosections") == 0) {
		eh->e_shoff = 0;
		eh->e_shnum = 0;
		eh->e_shstrndx = 0;
	} else if (strcmp(mode, "badsections") == 0) {
		eh->e_shoff = (Elf64_Off)size - 100;
		eh->e_shnum = 0x7fff;
		eh->e_shstrndx = 0x7ffe;
	} else if (strcmp(mode, "hugephnum") == 0) {
		eh->e_phnum = PN_XNUM - 1;
		eh->e_phoff = (Elf64_Off)size - 3 * sizeof(Elf64_Phdr) - 4;
	} else if (strcmp(mode, "xnum") == 0) {
		Elf64_Shdr s0;
		if (eh->e_shoff == 0 || rw(fd, &s0, sizeof(s0), (off_t)eh->e_shoff, 0) != 0)
			return 1;
		s0.sh_info = 0xffffffffu;
		if (rw(fd, &s0, sizeof(s0), (off_t)eh->e_shoff, 1) != 0)
			return 1;
		eh->e_phnum = PN_XNUM;
	} else {
		return -1;
	}
	return rw(fd, eh, sizeof(*eh), 0, 1) ? 1 : 0;
}

/* The first note at off claims a huge descriptor. */
static int lying_note(int fd, off_t off)
{
	Elf64_Nhdr nh;
	if (rw(fd, &nh, sizeof(nh), off, 0) != 0)
		return 1;
	nh.n_descsz = 0x7fffffff;
	return rw(fd, &nh, sizeof(nh), off, 1) ? 1 : 0;
}

/* Modes that change the first program header of a kind. */
static int phdr_mode(const char *mode, int fd, const Elf64_Ehdr *eh, off_t size)
{
	Elf64_Phdr *ph = read_phdrs(fd, eh);
	int r = 1;
	for (int i = 0; ph && i < eh->e_phnum; i++) {
		if (strcmp(mode, "lyingnote") == 0 && ph[i].p_type == PT_NOTE) {
			r = lying_note(fd, (off_t)ph[i].p_offset);
			break;
		}
		if (strcmp(mode, "badphdr") == 0 && ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			ph[i].p_filesz = (Elf64_Xword)size * 4;
			r = rw(fd, ph, eh->e_phnum * sizeof(*ph), (off_t)eh->e_phoff, 1) ? 1 : 0;
			break;
		}
	}
	free(ph);
	return r;
}

/* Each PT_LOAD without bss covers the next PT_LOAD too when both map the
 * file at the same offset-to-address distance. */
static int overlap(int fd, const Elf64_Ehdr *eh)
{
	Elf64_Phdr *ph = read_phdrs(fd, eh);
	int prev = -1, changed = 0;
	for (int i = 0; ph && i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		Elf64_Phdr *p = prev >= 0 ? &ph[prev] : NULL;
		if (p && p->p_filesz == p->p_memsz && ph[i].p_offset > p->p_offset &&
		    p->p_vaddr - p->p_offset == ph[i].p_vaddr - ph[i].p_offset) {
			p->p_filesz = p->p_memsz = ph[i].p_offset + ph[i].p_filesz - p->p_offset;
			changed++;
		}
		prev = i;
	}
	int r = ph && changed &&
		rw(fd, ph, eh->e_phnum * sizeof(*ph), (off_t)eh->e_phoff, 1) == 0 ? 0 : 1;
	free(ph);
	return r;
}

/* The new table at the page-aligned end of the file: the old headers with
 * one PT_LOAD (read-only, after the last one, above every segment) that
 * maps the table, and PT_PHDR pointing at it, then PT_NULL up to the
 * kernel's limit. */
static int manyphdrs(int fd, Elf64_Ehdr *eh, off_t size)
{
	const size_t n = KERNEL_MAX_PHNUM, bytes = n * sizeof(Elf64_Phdr);
	Elf64_Phdr *old = read_phdrs(fd, eh), *ph = calloc(n, sizeof(*ph));
	if (!old || !ph || eh->e_phnum + 1u > n)
		return 1;
	Elf64_Off off = ((Elf64_Off)size + PAGE - 1) & ~(Elf64_Off)(PAGE - 1);
	Elf64_Addr top = 0;
	int last = -1;
	for (int i = 0; i < eh->e_phnum; i++)
		if (old[i].p_type == PT_LOAD) {
			last = i;
			if (old[i].p_vaddr + old[i].p_memsz > top)
				top = old[i].p_vaddr + old[i].p_memsz;
		}
	if (last < 0)
		return 1;
	Elf64_Addr va = ((top + PAGE - 1) & ~(Elf64_Addr)(PAGE - 1)) + PAGE;
	size_t w = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		ph[w] = old[i];
		if (ph[w].p_type == PT_PHDR)
			ph[w] = (Elf64_Phdr){PT_PHDR, PF_R, off, va, va, bytes, bytes, 8};
		if (i == last)
			ph[++w] = (Elf64_Phdr){PT_LOAD, PF_R, off, va, va, bytes, bytes, PAGE};
		w++;
	}
	eh->e_phoff = off;
	eh->e_phnum = (Elf64_Half)n;
	int r = rw(fd, ph, bytes, (off_t)off, 1) || rw(fd, eh, sizeof(*eh), 0, 1) ? 1 : 0;
	free(old);
	free(ph);
	return r;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int fd = open(argv[2], O_RDWR);
	Elf64_Ehdr eh;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || rw(fd, &eh, sizeof(eh), 0, 0) != 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return 1;
	const char *mode = argv[1];
	int r = header_mode(mode, fd, &eh, st.st_size);
	if (r >= 0)
		return r;
	if (strcmp(mode, "overlap") == 0)
		return overlap(fd, &eh);
	if (strcmp(mode, "manyphdrs") == 0)
		return manyphdrs(fd, &eh, st.st_size);
	return phdr_mode(mode, fd, &eh, st.st_size);
}

/*
 * elfinfo.c - read program headers and the build-id with libelf.
 *
 * libelf reads a private read-only mapping of the file (hp_elf_view), so
 * it knows the file's real size without asking and checks every offset
 * against it; we check every header field we use once more. Sections are
 * not needed here, so an sstrip-ed or garbage section table does not
 * matter; neither does a program header table that runs past the end of
 * the file (libelf refuses to read it).
 * Must never: index outside what libelf returned.
 */
#define _GNU_SOURCE
#include "elfinfo.h"

#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The size of the open file fd, by calls that take a descriptor and
 * nothing else. glibc's fstat() is newfstatat(fd, "", AT_EMPTY_PATH) since
 * 2.33, and that call looks up a non-empty path even with AT_EMPTY_PATH:
 * the sandbox refuses it. The old fstat system call (on x86-64 the
 * kernel's struct stat is glibc's) also says whether fd is a regular file.
 * A seccomp filter hugexec itself was started under may refuse it (the
 * helper inherits it): then lseek, which leaves non-files to mmap to
 * refuse, and puts the offset back. */
_Static_assert(sizeof(struct stat) == 144, "x86-64 struct stat");
static int fd_size(int fd, size_t *size)
{
	struct stat st;
	if (syscall(SYS_fstat, fd, &st) == 0) {
		*size = (size_t)st.st_size;
		return S_ISREG(st.st_mode) ? 0 : -ENOTSUP;
	}
	if (errno != EPERM && errno != ENOSYS)
		return -errno;
	off_t at = lseek(fd, 0, SEEK_CUR), end = lseek(fd, 0, SEEK_END);
	if (at < 0 || end < 0)
		return -ENOTSUP;
	(void)lseek(fd, at, SEEK_SET);
	*size = (size_t)end;
	return 0;
}

int hp_elf_view_open(int fd, struct hp_elf_view *v)
{
	memset(v, 0, sizeof(*v));
	size_t size = 0;
	int r = fd_size(fd, &size);
	if (r < 0)
		return r;
	if (size == 0)
		return -ENODATA;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	/* libelf writes into the image only when asked to change the file
	 * (elf_update, elf_flag*), which nothing here does: native byte order
	 * is read in place, any other converted into copies it allocates */
	Elf *elf = elf_memory(map, size);
	if (!elf) {
		munmap(map, size);
		return -EINVAL;
	}
	*v = (struct hp_elf_view){elf, map, size};
	return 0;
}

void hp_elf_view_close(struct hp_elf_view *v)
{
	if (v->elf)
		elf_end(v->elf);
	if (v->map)
		munmap(v->map, v->size);
	memset(v, 0, sizeof(*v));
}

static bool fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* A small segment's bytes (at most 1 MB, inside the file) as libelf's
 * type, or NULL. */
static Elf_Data *segment_data(Elf *elf, const GElf_Phdr *ph, const struct hp_elf *out,
			      Elf_Type type)
{
	if (!fits(ph->p_offset, ph->p_filesz, out->file_size) || ph->p_filesz == 0 ||
	    ph->p_filesz > (1u << 20))
		return NULL;
	return elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, type);
}

/* Scan one PT_NOTE segment for NT_GNU_BUILD_ID. */
static void read_build_id(Elf *elf, const GElf_Phdr *ph, struct hp_elf *out)
{
	Elf_Data *d = segment_data(elf, ph, out, ELF_T_NHDR);
	if (!d)
		return;
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	while (off < d->d_size &&
	       (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4) != 0)
			continue;
		if (nh.n_descsz == 0 || nh.n_descsz > HP_BUILD_ID_MAX ||
		    desc_off + nh.n_descsz > d->d_size)
			continue;
		memcpy(out->build_id, (const char *)d->d_buf + desc_off, nh.n_descsz);
		out->build_id_len = nh.n_descsz;
		return;
	}
}

/* DT_TEXTREL, or DF_TEXTREL in DT_FLAGS, in the PT_DYNAMIC segment. */
static void read_textrel(Elf *elf, const GElf_Phdr *ph, struct hp_elf *out)
{
	Elf_Data *d = segment_data(elf, ph, out, ELF_T_DYN);
	if (!d)
		return;
	size_t n = d->d_size / sizeof(Elf64_Dyn);
	for (size_t i = 0; i < n; i++) {
		GElf_Dyn dyn;
		if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			return;
		if (dyn.d_tag == DT_TEXTREL || (dyn.d_tag == DT_FLAGS && (dyn.d_un.d_val & DF_TEXTREL)))
			out->textrel = true;
	}
}

static const char *check_header(Elf *elf, struct hp_elf *out)
{
	if (elf_kind(elf) != ELF_K_ELF)
		return "not an ELF file";
	if (gelf_getclass(elf) != ELFCLASS64)
		return "not a 64-bit ELF";
	GElf_Ehdr eh;
	if (!gelf_getehdr(elf, &eh))
		return "unreadable ELF header";
	if (eh.e_machine != EM_X86_64)
		return "not an x86-64 ELF";
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return "not an executable or shared object";
	out->type = eh.e_type;
	return NULL;
}

/* Real files have two or three notes segments. libelf keeps a copy of
 * each one it reads at an unaligned offset until elf_end, so a table of
 * thousands of notes would cost thousands of copies: look at a few. */
#define MAX_NOTE_SEGMENTS 16
/* The kernel takes at most 64 KB of program headers (1170). libelf counts
 * only the headers inside the file and reads none of a table that runs
 * past its end. */
#define MAX_PHDRS 4096

static const char *read_segments(Elf *elf, struct hp_elf *out)
{
	size_t n, notes = 0, dynamic = 0;
	if (elf_getphdrnum(elf, &n) != 0 || n == 0)
		return "no program headers";
	if (n > MAX_PHDRS)
		return "implausible number of program headers";
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return "unreadable program header";
		if (ph.p_type == PT_NOTE && out->build_id_len == 0 && notes++ < MAX_NOTE_SEGMENTS)
			read_build_id(elf, &ph, out);
		if (ph.p_type == PT_DYNAMIC && !dynamic++)
			read_textrel(elf, &ph, out);
		if (ph.p_type != PT_LOAD)
			continue;
		if (!fits(ph.p_offset, ph.p_filesz, out->file_size) || ph.p_memsz < ph.p_filesz)
			return "PT_LOAD outside the file";
		if (out->n_load == HP_ELF_MAX_LOADS)
			return "too many PT_LOAD segments";
		struct hp_segment *s = &out->load[out->n_load++];
		s->offset = ph.p_offset;
		s->vaddr = ph.p_vaddr;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->align = ph.p_align;
		s->flags = ph.p_flags;
	}
	return out->n_load ? NULL : "no PT_LOAD segment";
}

const char *hp_elf_view_why(int err)
{
	switch (err) {
	case -ENOTSUP: return "not a regular file";
	case -ENODATA: return "empty file";
	case -EINVAL: return "not an ELF file";
	default: return "could not map the file";
	}
}

void hp_elf_read_view(const struct hp_elf_view *v, struct hp_elf *out)
{
	memset(out, 0, sizeof(*out));
	out->file_size = v->size;
	const char *why = check_header(v->elf, out);
	if (!why)
		why = read_segments(v->elf, out);
	out->usable = (why == NULL);
	out->why = why;
}

int hp_elf_read(int fd, struct hp_elf *out)
{
	struct hp_elf_view v;
	int r = hp_elf_view_open(fd, &v);
	if (r < 0) {
		memset(out, 0, sizeof(*out));
		out->why = hp_elf_view_why(r);
		return 0;
	}
	hp_elf_read_view(&v, out);
	hp_elf_view_close(&v);
	return 0;
}

void hp_elf_build_id_hex(const struct hp_elf *e, char *buf, size_t size)
{
	size_t w = 0;
	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < e->build_id_len && w + 3 <= size; i++)
		w += (size_t)snprintf(buf + w, size - w, "%02x", e->build_id[i]);
}

bool hp_elf_range_is_exec(const struct hp_elf *e, uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < e->n_load; i++) {
		const struct hp_segment *s = &e->load[i];
		if (!(s->flags & PF_X))
			continue;
		uint64_t lo = hx_align_down(s->offset, HX_PAGE);
		uint64_t hi = hx_align_up(s->offset + s->filesz, HX_PAGE);
		if (off >= lo && off + len <= hi)
			return true;
	}
	return false;
}

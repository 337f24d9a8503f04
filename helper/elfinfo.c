/*
 * elfinfo.c - read program headers and the build-id with libelf.
 *
 * libelf is opened in ELF_C_READ mode (pread into memory, no mapping of a
 * file that could shrink under us). Every header field we use is checked
 * against the file size; sections are not needed here, so an sstrip-ed or
 * garbage section table does not matter.
 * Must never: index outside what libelf returned.
 */
#include "elfinfo.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Scan one PT_NOTE segment for NT_GNU_BUILD_ID. */
static void read_build_id(Elf *elf, const GElf_Phdr *ph, struct hp_elf *out)
{
	if (!fits(ph->p_offset, ph->p_filesz, out->file_size) || ph->p_filesz == 0 ||
	    ph->p_filesz > (1u << 20))
		return;
	Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
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

static const char *read_segments(Elf *elf, struct hp_elf *out)
{
	size_t n;
	if (elf_getphdrnum(elf, &n) != 0 || n == 0)
		return "no program headers";
	if (n > 4096)
		return "implausible number of program headers";
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return "unreadable program header";
		if (ph.p_type == PT_NOTE && out->build_id_len == 0)
			read_build_id(elf, &ph, out);
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

int hp_elf_read(int fd, struct hp_elf *out)
{
	memset(out, 0, sizeof(*out));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		out->why = "not a regular file";
		return 0;
	}
	out->file_size = (uint64_t)st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		out->why = "libelf unusable";
		return 0;
	}
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		out->why = "not an ELF file";
		return 0;
	}
	const char *why = check_header(elf, out);
	if (!why)
		why = read_segments(elf, out);
	elf_end(elf);
	out->usable = (why == NULL);
	out->why = why;
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

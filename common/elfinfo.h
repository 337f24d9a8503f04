/*
 * elfinfo.h - the facts about one mapped ELF file that planning needs:
 * class and machine, loadable segments, build-id.
 *
 * Runs inside the helper's sandbox on a file descriptor the loader opened;
 * the file may have been shaped by an attacker (stripped section table,
 * overlapping or huge program headers, a lying note).
 * Must never: trust a size or offset in the file without checking it
 * against the file's real size, or ask for that size by a call that takes
 * a path (the sandbox allows only the descriptor-only fstat and lseek).
 */
#ifndef HP_ELFINFO_H
#define HP_ELFINFO_H

#include "hx.h"

#include <libelf.h>

#define HP_ELF_MAX_LOADS 32
#define HP_BUILD_ID_MAX 64

struct hp_segment {
	uint64_t offset, vaddr, filesz, memsz, align;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct hp_elf {
	bool usable;           /* ELF64, x86-64, program headers readable */
	const char *why;       /* static reason when !usable */
	uint16_t type;         /* ET_EXEC, ET_DYN */
	uint64_t file_size;
	uint8_t build_id[HP_BUILD_ID_MAX];
	size_t build_id_len;
	struct hp_segment load[HP_ELF_MAX_LOADS];
	size_t n_load;
	/* DT_TEXTREL or DF_TEXTREL: ld.so writes relocations into its text,
	 * so modified text pages are the program's own */
	bool textrel;
};

/* libelf on a whole file, read-only: the helper maps it (private,
 * PROT_READ) and hands libelf the mapping and its exact size
 * (elf_memory). elf_begin(fd) would ask for the size itself with glibc's
 * fstat, which is newfstatat(fd, "", AT_EMPTY_PATH): a call that can take
 * a path, which the sandbox refuses. If the file shrinks while mapped, a
 * read past the new end is a SIGBUS: the helper dies and the loader runs
 * the program unchanged. */
struct hp_elf_view {
	Elf *elf;
	void *map;
	size_t size;
};

/* 0 with v->elf set; else v is cleared and the result is -ENOTSUP (not a
 * regular file), -ENODATA (empty), -EINVAL (libelf refuses the image), or
 * the error of fstat or mmap (-ENOMEM: out of address space). */
int hp_elf_view_open(int fd, struct hp_elf_view *v) HX_WUR;
void hp_elf_view_close(struct hp_elf_view *v);

/* The reason to give (a static string) for hp_elf_view_open's error err. */
const char *hp_elf_view_why(int err);

/* Read the header and segments of an open view (v->elf set), for a reader
 * that goes on to use the view. Problems with the file come back as
 * usable=false with a reason. */
void hp_elf_read_view(const struct hp_elf_view *v, struct hp_elf *out);

/* Read fd (from offset 0): open a view, read it, close it. Problems with
 * the file come back as usable=false with a reason (hp_elf_view_why's when
 * it cannot be mapped); the return value is always 0 today. */
int hp_elf_read(int fd, struct hp_elf *out) HX_WUR;

/* The build-id as lower-case hex in buf (at least 2*HP_BUILD_ID_MAX+1). */
void hp_elf_build_id_hex(const struct hp_elf *e, char *buf, size_t size);

/* True if the file range [off, off+len) lies inside one executable PT_LOAD
 * (page-rounded, as the kernel maps it). */
bool hp_elf_range_is_exec(const struct hp_elf *e, uint64_t off, uint64_t len);

#endif

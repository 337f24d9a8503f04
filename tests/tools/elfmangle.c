/*
 * elfmangle.c - damage an ELF64 file in ways an attacker could while it
 * stays loadable (the kernel reads only the program headers):
 *   elfmangle nosections FILE   drop the section table (as sstrip does)
 *   elfmangle badsections FILE  point the section table at garbage
 *   elfmangle lyingnote FILE    make the build-id note claim a huge size
 *   elfmangle badphdr FILE      make a PT_LOAD reach past the end of the file
 *                               (not loadable: for the reader's tests only)
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rw(int fd, void *buf, size_t n, off_t off, int wr)
{
	ssize_t r = wr ? pwrite(fd, buf, n, off) : pread(fd, buf, n, off);
	return r == (ssize_t)n ? 0 : -1;
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
	if (strcmp(argv[1], "nosections") == 0) {
		eh.e_shoff = 0;
		eh.e_shnum = 0;
		eh.e_shstrndx = 0;
		return rw(fd, &eh, sizeof(eh), 0, 1) ? 1 : 0;
	}
	if (strcmp(argv[1], "badsections") == 0) {
		eh.e_shoff = (Elf64_Off)st.st_size - 100;
		eh.e_shnum = 0x7fff;
		eh.e_shstrndx = 0x7ffe;
		return rw(fd, &eh, sizeof(eh), 0, 1) ? 1 : 0;
	}
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t at = (off_t)(eh.e_phoff + (Elf64_Off)i * sizeof(ph));
		if (rw(fd, &ph, sizeof(ph), at, 0) != 0)
			return 1;
		if (strcmp(argv[1], "lyingnote") == 0 && ph.p_type == PT_NOTE) {
			Elf64_Nhdr nh; /* first note of the segment: make it lie */
			if (rw(fd, &nh, sizeof(nh), (off_t)ph.p_offset, 0) != 0)
				return 1;
			nh.n_descsz = 0x7fffffff;
			return rw(fd, &nh, sizeof(nh), (off_t)ph.p_offset, 1) ? 1 : 0;
		}
		if (strcmp(argv[1], "badphdr") == 0 && ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
			ph.p_filesz = (Elf64_Xword)st.st_size * 4;
			return rw(fd, &ph, sizeof(ph), at, 1) ? 1 : 0;
		}
	}
	return 1;
}

/*
 * mkelf.c - write tiny ELF files for the bad-input tests.
 *   mkelf i386 FILE     a 32-bit x86 program that exits with status 7
 *   mkelf aarch64 FILE  a 64-bit ARM header (the kernel here cannot run it)
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int i386_prog(FILE *f)
{
	static const unsigned char code[] = {
		0xb8, 1, 0, 0, 0,  /* mov eax, 1 (exit) */
		0xbb, 7, 0, 0, 0,  /* mov ebx, 7 */
		0xcd, 0x80,        /* int 0x80 */
	};
	const Elf32_Addr base = 0x08048000;
	const size_t off = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr);
	Elf32_Ehdr eh = {
		.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS32, ELFDATA2LSB, EV_CURRENT},
		.e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
		.e_entry = base + (Elf32_Addr)off, .e_phoff = sizeof(Elf32_Ehdr),
		.e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1,
	};
	Elf32_Phdr ph = {.p_type = PT_LOAD, .p_vaddr = base, .p_paddr = base,
			 .p_filesz = (Elf32_Word)(off + sizeof(code)),
			 .p_memsz = (Elf32_Word)(off + sizeof(code)),
			 .p_flags = PF_R | PF_X, .p_align = 0x1000};
	return fwrite(&eh, sizeof(eh), 1, f) == 1 && fwrite(&ph, sizeof(ph), 1, f) == 1 &&
	       fwrite(code, sizeof(code), 1, f) == 1 ? 0 : 1;
}

static int aarch64_header(FILE *f)
{
	Elf64_Ehdr eh = {
		.e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT},
		.e_type = ET_EXEC, .e_machine = EM_AARCH64, .e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr),
	};
	return fwrite(&eh, sizeof(eh), 1, f) == 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	FILE *f = fopen(argv[2], "wb");
	if (!f)
		return 1;
	int r = strcmp(argv[1], "i386") == 0 ? i386_prog(f) : aarch64_header(f);
	if (fclose(f) != 0)
		r = 1;
	chmod(argv[2], 0755);
	return r;
}

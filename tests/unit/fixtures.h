/*
 * fixtures.h - captured /proc/PID/maps and smaps text for the unit tests,
 * trimmed to what matters, and helpers to build planner inputs from them.
 */
#ifndef TEST_FIXTURES_H
#define TEST_FIXTURES_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/maps.h"
#include "../../helper/planner.h"

#include "fixture_maps.h"

/* An ELF fact sheet for a file whose executable PT_LOAD covers
 * [off, off+size) and that is otherwise unremarkable. */
static inline struct hp_file fix_file(uint32_t inode, uint64_t off, uint64_t size)
{
	struct hp_file f;
	memset(&f, 0, sizeof(f));
	f.dev_major = 0xfe;
	f.dev_minor = 0;
	f.inode = inode;
	f.elf.usable = true;
	f.elf.type = ET_DYN;
	f.elf.n_load = 1;
	f.elf.load[0].offset = off;
	f.elf.load[0].filesz = size;
	f.elf.load[0].memsz = size;
	f.elf.load[0].flags = PF_R | PF_X;
	f.elf.build_id_len = 4;
	memcpy(f.elf.build_id, "\xde\xad\xbe\xef", 4);
	return f;
}

#endif

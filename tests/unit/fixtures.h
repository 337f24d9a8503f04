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

/* Parse maps text as the smaps the loader sends: every mapping with
 * "Anonymous: 0 kB", except anon_kb for the one starting at anon_at. */
static inline int fix_parse_smaps(const char *maps, uint64_t anon_at, unsigned anon_kb,
				  struct hx_vmas *m)
{
	char buf[16384];
	size_t w = 0;
	for (const char *l = maps; *l && w + 600 < sizeof(buf);) {
		const char *nl = strchr(l, '\n');
		size_t n = (size_t)(nl - l) + 1;
		memcpy(buf + w, l, n);
		w += n;
		unsigned long long start = strtoull(l, NULL, 16);
		w += (size_t)snprintf(buf + w, sizeof(buf) - w, "Anonymous: %u kB\n",
				      start == anon_at ? anon_kb : 0);
		l = nl + 1;
	}
	return hx_vmas_parse(buf, w, m);
}

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

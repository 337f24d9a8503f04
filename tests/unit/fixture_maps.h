/*
 * fixture_maps.h - captured /proc/PID/maps text shared by the unit tests
 * and the fuzz tools, and that text turned into smaps (no test framework
 * needed).
 */
#ifndef TEST_FIXTURE_MAPS_H
#define TEST_FIXTURE_MAPS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/maps.h"

/* A PIE with 30 MB of text at the entry stop (not 2 MB congruent), libc,
 * a 9 MB library that the kernel placed 2 MB aligned, ld.so, heap, stack,
 * vvar and vDSO. Taken from a real run, addresses kept. */
static const char FIX_PIE_MAPS[] =
	"55a1e1e0f000-55a1e1e10000 r--p 00000000 fe:00 1180 /opt/app/bin/server\n"
	"55a1e1e10000-55a1e3e12000 r-xp 00001000 fe:00 1180 /opt/app/bin/server\n"
	"55a1e3e12000-55a1e3e13000 r--p 02003000 fe:00 1180 /opt/app/bin/server\n"
	"55a1e3e13000-55a1e3e15000 rw-p 02004000 fe:00 1180 /opt/app/bin/server\n"
	"55a1e4000000-55a1e4021000 rw-p 00000000 00:00 0 [heap]\n"
	"7f0000000000-7f0000200000 r--p 00000000 fe:00 2200 /opt/app/lib/libbig.so\n"
	"7f0000200000-7f0000b00000 r-xp 00200000 fe:00 2200 /opt/app/lib/libbig.so\n"
	"7f0000b00000-7f0000c00000 rw-p 00b00000 fe:00 2200 /opt/app/lib/libbig.so\n"
	"7f3c8e228000-7f3c8e24e000 r--p 00000000 fe:00 3300 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f3c8e24e000-7f3c8e3a3000 r-xp 00026000 fe:00 3300 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f3c8e3a3000-7f3c8e3f6000 r--p 0017b000 fe:00 3300 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f3c8e3f6000-7f3c8e3fc000 rw-p 001ce000 fe:00 3300 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f3c8e404000-7f3c8e405000 r--p 00000000 fe:00 4400 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7f3c8e405000-7f3c8e42a000 r-xp 00001000 fe:00 4400 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7f3c8e434000-7f3c8e436000 rw-p 00030000 fe:00 4400 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n"
	"7ffd6a1a4000-7ffd6a1c5000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd6a1f0000-7ffd6a1f4000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffd6a1f4000-7ffd6a1f6000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

#define FIX_PIE_ENTRY 0x55a1e1e10100ull
#define FIX_PIE_INTERP 0x7f3c8e404000ull
#define FIX_PIE_TEXT_LO 0x55a1e1e10000ull
#define FIX_PIE_TEXT_HI 0x55a1e3e12000ull

/* A non-PIE at 0x400000: text at 0x401000, file offset 0x1000 (congruent). */
static const char FIX_NOPIE_MAPS[] =
	"00400000-00401000 r--p 00000000 fe:00 77 /usr/local/bin/node\n"
	"00401000-01e00000 r-xp 00001000 fe:00 77 /usr/local/bin/node\n"
	"01e00000-02000000 r--p 01a00000 fe:00 77 /usr/local/bin/node\n"
	"02000000-02010000 rw-p 01c00000 fe:00 77 /usr/local/bin/node\n"
	"7ffd6a1a4000-7ffd6a1c5000 rw-p 00000000 00:00 0 [stack]\n"
	"7ffd6a1f4000-7ffd6a1f6000 r-xp 00000000 00:00 0 [vdso]\n";

#define FIX_NOPIE_ENTRY 0x401200ull

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

#endif

/* mkseeds.c - write the seed corpora of the fuzz targets from the unit
 * tests' fixtures (run once; the seeds are kept in git):
 *   mkseeds DIR   ->  DIR/maps/ DIR/plan/ DIR/request/ */
#include "../../common/plan.h"
#include "../../common/request.h"
#include "../../helper/planner.h"
#include "../unit/fixture_maps.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void put(const char *dir, const char *sub, const char *name, const void *d, size_t n)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0)
		exit(1);
}

static struct hp_file file(uint32_t ino, uint64_t off, uint64_t size)
{
	struct hp_file f;
	memset(&f, 0, sizeof(f));
	f.dev_major = 0xfe;
	f.inode = ino;
	f.elf.usable = true;
	f.elf.n_load = 1;
	f.elf.load[0] = (struct hp_segment){off, 0, size, size, 0x1000, PF_R | PF_X};
	return f;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const char *dir = argv[1];
	put(dir, "maps", "pie", FIX_PIE_MAPS, strlen(FIX_PIE_MAPS));
	put(dir, "maps", "nopie", FIX_NOPIE_MAPS, strlen(FIX_NOPIE_MAPS));
	static const char smaps[] = "00400000-00800000 r-xp 00000000 fe:00 7 /bin/x\nRss: 4096 kB\n"
				    "AnonHugePages: 0 kB\nFilePmdMapped: 2048 kB\nVmFlags: rd ex hg \n";
	put(dir, "maps", "smaps", smaps, sizeof(smaps) - 1);
	struct hx_vmas m;
	if (hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &m) != 0)
		return 1;
	struct hx_req_header h = {.pid = 4242, .entry = FIX_PIE_ENTRY, .interp_base = FIX_PIE_INTERP,
				  .min_size = 2u << 20, .thp_mode = HX_THP_MADVISE, .hugetlb_free = 20,
				  .options = HX_REQ_LIBRARIES};
	struct hp_file files[] = {file(1180, 0x1000, 0x2002000), file(2200, 0x200000, 0x900000)};
	for (int aggressive = 0; aggressive < 2; aggressive++) {
		h.align = aggressive ? HX_ALIGN_AGGRESSIVE : HX_ALIGN_CONSERVATIVE;
		struct hp_input in = {.req = &h, .only = "", .exclude = "", .vmas = &m, .files = files,
				      .n_files = 2};
		struct hx_plan p;
		struct hx_err e;
		uint8_t *buf;
		size_t len;
		if (hp_plan_build(&in, &p, &e) != 0 || hx_plan_encode(&p, &buf, &len) != 0)
			return 1;
		put(dir, "plan", aggressive ? "aggressive" : "auto", buf, len);
		free(buf);
		hx_plan_free(&p);
	}
	struct hx_req_file rf = {0xfe, 0, 1180, 3, 0};
	struct hx_request rq = {.h = h, .files = &rf, .maps = (char *)FIX_PIE_MAPS, .only = (char *)"",
				.exclude = (char *)"*libc*"};
	rq.h.n_files = 1;
	uint8_t *buf;
	size_t len;
	if (hx_request_encode(&rq, &buf, &len) != 0)
		return 1;
	put(dir, "request", "pie", buf, len);
	free(buf);
	hx_vmas_free(&m);
	return 0;
}

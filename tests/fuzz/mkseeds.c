/* mkseeds.c - write the seed corpora of the fuzz targets from the unit
 * tests' fixtures (run once; the seeds are kept in git):
 *   mkseeds DIR   ->  DIR/maps/ DIR/plan/ DIR/request/
 * The plan seeds cover every group kind and every op the planner emits,
 * plus two refused plans from the audit of issue 5. */
#include "../../common/elfsyms.h"
#include "../../common/plan.h"
#include "../../common/request.h"
#include "../../helper/planner.h"
#include "../unit/fixture_maps.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* One planner plan as a seed; mangle (may be NULL) edits it first. */
static void plan_seed(const char *dir, const char *name, const struct hx_req_header *h,
		      const struct hx_vmas *m, const struct hp_file *files, size_t n_files,
		      void (*mangle)(struct hx_plan *p, const struct hx_vmas *m))
{
	struct hp_input in = {.req = h, .only = "", .exclude = "", .vmas = m, .files = files,
			      .n_files = n_files};
	struct hx_plan p;
	struct hx_err e;
	uint8_t *buf;
	size_t len;
	if (hp_plan_build(&in, &p, &e) != 0 || p.n_groups == 0)
		exit(1);
	if (mangle)
		mangle(&p, m);
	if (hx_plan_encode(&p, &buf, &len) != 0)
		exit(1);
	put(dir, "plan", name, buf, len);
	free(buf);
	hx_plan_free(&p);
}

/* The auditor's plans: a region at page 0, staging under the stack. */
static void null_region(struct hx_plan *p, const struct hx_vmas *m)
{
	(void)m; /* the first chain only, so the regions do not overlap */
	for (uint32_t i = 0; i < p->n_groups && (i == 0 || p->groups[i].alt_of >= 0); i++)
		p->groups[i].addr = 0;
}

static void stage_by_stack(struct hx_plan *p, const struct hx_vmas *m)
{
	uint64_t stack = 0;
	for (size_t k = 0; k < m->n; k++)
		if (m->v[k].kind == HX_VMA_STACK)
			stack = m->v[k].start;
	for (uint32_t i = 0; i < p->n_groups; i++) {
		struct hx_plan_group *g = &p->groups[i];
		uint64_t s = hx_align_down(stack - g->len, HX_HUGE) - HX_HUGE;
		for (uint32_t k = 0; g->staging && k < g->n_steps; k++) {
			uint64_t *a0 = &p->steps[g->first_step + k].a[0];
			if (*a0 >= g->staging && *a0 < g->staging + g->len)
				*a0 = *a0 - g->staging + s;
		}
	}
}

/* Plans of every group kind (file, file after eviction, hugetlb, THP;
 * main executable, library, edge window, r-x staging) and every op. */
static void plan_seeds(const char *dir)
{
	/* clean and nopie: smaps with no page modified (clean text, so the
	 * planner reads pieces from their file and may evict) */
	struct hx_vmas pie, clean, nopie;
	if (hx_vmas_parse(FIX_PIE_MAPS, strlen(FIX_PIE_MAPS), &pie) != 0 ||
	    fix_parse_smaps(FIX_PIE_MAPS, 0, 0, &clean) != 0 ||
	    fix_parse_smaps(FIX_NOPIE_MAPS, 0, 0, &nopie) != 0)
		exit(1);
	const struct hx_req_header base = {.pid = 4242, .entry = FIX_PIE_ENTRY,
					   .interp_base = FIX_PIE_INTERP, .min_size = 2u << 20,
					   .thp_mode = HX_THP_MADVISE, .hugetlb_free = 20,
					   .options = HX_REQ_LIBRARIES};
	const struct hp_file files[] = {file(1180, 0x1000, 0x2002000), file(2200, 0x200000, 0x900000)};
	struct hx_req_header h = base;
	/* auto: hugetlb then THP for the executable (copied from memory),
	 * file then THP for the library */
	plan_seed(dir, "auto", &h, &pie, files, 2, NULL);
	h.align = HX_ALIGN_AGGRESSIVE; /* and edge windows */
	plan_seed(dir, "aggressive", &h, &pie, files, 2, NULL);
	h = base; /* clean text: pread fills, file after eviction */
	plan_seed(dir, "clean", &h, &clean, files, 2, NULL);
	h.options = 0; /* the executable alone: passes the fuzz target's validator */
	plan_seed(dir, "clean-exe", &h, &clean, files, 2, NULL);
	h = base; /* MDWE: r-x staging filled by the tracer */
	h.target_flags = HX_TGT_MDWE;
	plan_seed(dir, "mdwe", &h, &pie, files, 2, NULL);
	h.align = HX_ALIGN_AGGRESSIVE;
	plan_seed(dir, "mdwe-aggressive", &h, &pie, files, 2, NULL);
	h = base; /* one backing each */
	h.backing_mode = HX_MODE_HUGETLB;
	h.hugetlb_free = 100;
	plan_seed(dir, "hugetlb", &h, &pie, files, 2, NULL);
	h.backing_mode = HX_MODE_THP;
	plan_seed(dir, "thp", &h, &pie, files, 2, NULL);
	h.backing_mode = HX_MODE_FILE;
	plan_seed(dir, "file", &h, &clean, files, 2, NULL);
	/* a non-PIE (file route for the executable) with its windows */
	h = base;
	h.entry = FIX_NOPIE_ENTRY;
	h.interp_base = 0;
	h.align = HX_ALIGN_AGGRESSIVE;
	const struct hp_file exe[] = {file(77, 0x1000, 0x1e00000 - 0x401000)};
	plan_seed(dir, "nopie", &h, &nopie, exe, 1, NULL);
	/* refused: what a compromised helper sent in the audit */
	h = base;
	plan_seed(dir, "evil-null-region", &h, &pie, files, 2, null_region);
	plan_seed(dir, "evil-stage-by-stack", &h, &pie, files, 2, stage_by_stack);
	hx_vmas_free(&pie);
	hx_vmas_free(&clean);
	hx_vmas_free(&nopie);
}

/* .eh_frame seeds: this program's own (its first 16 KB), and a run that
 * ends without a terminator. */
static void eh_seeds(const char *dir)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct hx_elfsyms s;
	if (fd < 0 || hx_elfsyms_read(fd, &s) != 0 || s.eh_size < 64)
		exit(1);
	size_t n = s.eh_size < 16384 ? s.eh_size : 16384;
	put(dir, "ehframe", "self", s.eh, n);
	put(dir, "ehframe", "unterminated", s.eh, n > 200 ? 200 : n);
	hx_elfsyms_free(&s);
	close(fd);
}

/* A layout group as the planner writes one (island, records, moved
 * functions, registration, patches): its ops and its data for the plan
 * decoder. */
static void layout_seed(const char *dir)
{
	struct hx_plan p;
	hx_plan_init(&p, 4242);
	static const uint8_t code[32] = {0x55, 0x5d, 0xc3, 0xe9, 0, 0, 0, 0, 0xcc};
	static const uint8_t blob[8] = {0};
	uint32_t c, b;
	const uint64_t isl = 0x55a000000000ull, anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	struct hx_plan_group g = {.addr = isl, .len = 2u << 20, .backing = HX_BACK_THP, .alt_of = -1,
				  .path_str = HX_NO_STR, .perfmap_str = HX_NO_STR,
				  .flags = HX_GROUP_LAYOUT};
	if (hx_plan_add_data(&p, code, sizeof(code), &c) || hx_plan_add_data(&p, blob, sizeof(blob), &b) ||
	    hx_plan_add_group(&p, &g) ||
	    hx_plan_add_step(&p, HX_OP_MMAP, 0, isl, 2u << 20, PROT_READ | PROT_EXEC, anon) ||
	    hx_plan_add_step(&p, HX_OP_POKE, 0, isl, c, sizeof(code), 0) ||
	    hx_plan_add_step(&p, HX_OP_MMAP, 0, isl + (2u << 20), 4096, PROT_READ, anon) ||
	    hx_plan_add_step(&p, HX_OP_POKE, 0, isl + (2u << 20), b, sizeof(blob), 0) ||
	    hx_plan_add_step(&p, HX_OP_MOVED, 0, FIX_PIE_ENTRY, isl, 3, FIX_PIE_ENTRY + 0x100000) ||
	    hx_plan_add_step(&p, HX_OP_EH_REGISTER, 0, isl + (2u << 20), sizeof(blob), isl + 8, isl) ||
	    hx_plan_add_step(&p, HX_OP_PATCH, 0, FIX_PIE_ENTRY, isl, 0, 0))
		exit(1);
	hx_plan_close_group(&p);
	uint8_t *buf;
	size_t len;
	if (hx_plan_encode(&p, &buf, &len) != 0)
		exit(1);
	put(dir, "plan", "layout", buf, len);
	free(buf);
	hx_plan_free(&p);
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
	plan_seeds(dir);
	layout_seed(dir);
	eh_seeds(dir);
	struct hx_req_header h = {.pid = 4242, .entry = FIX_PIE_ENTRY, .interp_base = FIX_PIE_INTERP,
				  .min_size = 2u << 20, .thp_mode = HX_THP_MADVISE, .hugetlb_free = 20,
				  .options = HX_REQ_LIBRARIES, .align = HX_ALIGN_AGGRESSIVE};
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
	return 0;
}

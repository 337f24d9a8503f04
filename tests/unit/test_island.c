/* test_island.c - the loader's checks of a hot island (loader/island.c)
 * against a helper that would put code of its choosing into a program.
 * One good island is built the way the helper builds it (the real mover
 * on a small function of a fake target); each test breaks one thing and
 * checks that the loader refuses the plan. */
#define _GNU_SOURCE
#include "fixtures.h"
#include "../../common/ehframe.h"
#include "../../common/kernel.h"
#include "../../common/x86.h"
#include "../../helper/mover.h"
#include "../../loader/island.h"
#include "../../loader/validate.h"

#include <errno.h>
#include <sys/mman.h>

#define PID 4242
/* the fake target: a file mapped r-x at TEXT, r-- at EH, stack far above */
#define TEXT 0x555555400000ull
#define EH 0x555555600000ull
#define ORIG (TEXT + 0x1010)
#define ISL 0x555540000000ull
#define BLOB (ISL + (2ull << 20))
#define DATA 0x555555800000ull
#define CALLEE (TEXT + 0x2000)

static const char MAPS[] =
	"555555400000-555555500000 r-xp 00000000 fe:00 77 /opt/app\n"
	"555555600000-555555603000 r--p 00200000 fe:00 77 /opt/app\n"
	"555555800000-555555801000 rw-p 00400000 fe:00 77 /opt/app\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";

/* push rbp; lea rax,[rip+DATA]; call CALLEE; pop rbp; ret */
static void function(uint8_t *f)
{
	static const uint8_t code[15] = {0x55, 0x48, 0x8d, 0x05, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0, 0x5d, 0xc3};
	memcpy(f, code, sizeof(code));
	int32_t d = (int32_t)(DATA - (ORIG + 8));
	memcpy(f + 4, &d, 4);
	int32_t c = (int32_t)(CALLEE - (ORIG + 13));
	memcpy(f + 9, &c, 4);
}

/* The original CIE (zPLR) at EH and the FDE of ORIG right after it, fde_len
 * bytes long (28, or more: padded with DW_CFA_nop). Returns their length. */
static size_t eh_records(uint8_t *b, size_t fde_len)
{
	uint8_t cie[36] = {32, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'P', 'L', 'R', 0, 1, 0x78, 16, 7,
			   0x9b, 0, 0, 0, 0, 0x1b, 0x1b, 0x0c, 7, 8, 0x90, 1, 0, 0, 0, 0, 0, 0};
	int32_t pers = (int32_t)((DATA + 0x100) - (EH + 19));
	memcpy(cie + 19, &pers, 4);
	uint8_t fde[28] = {24, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 4,
			   0, 0, 0, 0, 0x41, 0x0e, 0x10, 0, 0, 0, 0};
	int32_t pc = (int32_t)(ORIG - (EH + 36 + 8));
	memcpy(fde + 8, &pc, 4);
	int32_t lsda = (int32_t)((EH + 0x800) - (EH + 36 + 17));
	memcpy(fde + 17, &lsda, 4);
	uint32_t l = (uint32_t)(fde_len - 4);
	memcpy(fde, &l, 4);
	memcpy(b, cie, sizeof(cie));
	memset(b + 36, 0, fde_len);
	memcpy(b + 36, fde, sizeof(fde));
	return 36 + fde_len;
}

struct target {
	uint8_t text[0x3000]; /* at TEXT */
	uint8_t eh[0x3000];   /* at EH */
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct target *t = ctx;
	if (addr >= TEXT && addr + len <= TEXT + sizeof(t->text))
		memcpy(buf, t->text + (addr - TEXT), len);
	else if (addr >= EH && addr + len <= EH + sizeof(t->eh))
		memcpy(buf, t->eh + (addr - EH), len);
	else
		return -EFAULT;
	return 0;
}

struct fx {
	struct target t;
	struct hx_vmas m;
	struct hx_plan p;
	uint64_t copy;
	uint32_t code_off, blob_off;
	size_t used, blen;
};

enum { S_MAP, S_POKE, S_MAPB, S_POKEB, S_MOVED, S_REG, S_PATCH, S_CHECK };

/* code: 15 bytes of another function (a hostile helper's choice of what
 * to move: the real mover would keep it home), or NULL for function(). */
static void build_code(struct fx *f, size_t fde_len, const uint8_t *code)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(hx_vmas_parse(MAPS, strlen(MAPS), &f->m), 0);
	if (code)
		memcpy(f->t.text + (ORIG - TEXT), code, 15);
	else
		function(f->t.text + (ORIG - TEXT));
	size_t eh_len = eh_records(f->t.eh, fde_len);
	/* the island: the copy at the same offset modulo 64, its jmp back, int3s */
	uint8_t isl[256];
	memset(isl, 0xcc, sizeof(isl));
	f->copy = ISL + (ORIG & 63);
	struct hx_x86_fn x;
	assert_int_equal(hx_x86_scan(f->t.text + (ORIG - TEXT), 15, ORIG, &x), 0);
	if (!code) /* a hostile helper moves what it likes */
		assert_int_equal(hp_move_check(&x, ORIG, 15), HP_MOVES);
	assert_int_equal(hp_move_emit(f->t.text + (ORIG - TEXT), 15, &x, ORIG, f->copy,
				      isl + (f->copy - ISL), NULL, NULL), 0);
	hx_x86_free(&x);
	assert_int_equal(hx_x86_jmp32(isl + (f->copy - ISL) + 15, f->copy + 15, ORIG + 15), 0);
	f->used = (size_t)(f->copy - ISL) + 15 + 5 + 1;
	/* the records: the CIE and FDE copied, pointers re-encoded */
	static uint8_t blob[0x3000];
	memcpy(blob, f->t.eh, eh_len);
	struct hx_eh_cie c;
	assert_int_equal(hx_eh_cie_read(f->t.eh, eh_len, EH, 0, &c), 0);
	assert_int_equal(hx_eh_put(blob + 19, 4, c.pers_enc, BLOB + 19, c.personality), 0);
	assert_int_equal(hx_eh_put(blob + 36 + 8, 4, c.fde_enc, BLOB + 36 + 8, f->copy), 0);
	assert_int_equal(hx_eh_put(blob + 36 + 17, 4, c.lsda_enc, BLOB + 36 + 17, EH + 0x800), 0);
	memset(blob + eh_len, 0, 4);
	f->blen = eh_len + 4;
	hx_plan_init(&f->p, PID);
	assert_int_equal(hx_plan_add_data(&f->p, isl, f->used, &f->code_off), 0);
	assert_int_equal(hx_plan_add_data(&f->p, blob, f->blen, &f->blob_off), 0);
	struct hx_plan_group g = {.addr = ISL, .len = 2ull << 20, .backing = HX_BACK_THP,
				  .alt_of = -1, .path_str = HX_NO_STR, .perfmap_str = HX_NO_STR,
				  .flags = HX_GROUP_LAYOUT};
	assert_int_equal(hx_plan_add_group(&f->p, &g), 0);
	const uint64_t anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_MMAP, 0, ISL, 2ull << 20, PROT_READ | PROT_EXEC, anon), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_POKE, 0, ISL, f->code_off, f->used, 0), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_MMAP, 0, BLOB, 0x4000, PROT_READ, anon), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_POKE, 0, BLOB, f->blob_off, f->blen, 0), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_MOVED, 0, ORIG, f->copy, 15, EH + 36), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_EH_REGISTER, 0, BLOB, f->blen,
					  ISL + f->used - 1, f->copy), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_PATCH, 0, ORIG, f->copy, 0, 0), 0);
	assert_int_equal(hx_plan_add_step(&f->p, HX_OP_CHECK_HUGE, HX_STEP_OPTIONAL, ISL, 2ull << 20,
					  HX_CHECK_SOME, 0), 0);
	hx_plan_close_group(&f->p);
}

static void build_fde(struct fx *f, size_t fde_len)
{
	build_code(f, fde_len, NULL);
}

static void build(struct fx *f)
{
	build_fde(f, 28);
}

/* A second island moving the same function, its records and code at
 * other addresses (the same bytes: the copy is position-independent here
 * but for its call and lea, rebuilt for the new place). */
static void second_island(struct fx *f, uint64_t delta)
{
	const struct hx_plan_group g0 = f->p.groups[0];
	struct hx_plan_group g = g0;
	g.addr -= delta;
	assert_int_equal(hx_plan_add_group(&f->p, &g), 0);
	for (uint32_t k = 0; k < g0.n_steps; k++) {
		struct hx_plan_step st = f->p.steps[g0.first_step + k];
		if (st.op == HX_OP_MMAP || st.op == HX_OP_POKE || st.op == HX_OP_CHECK_HUGE)
			st.a[0] -= delta;
		else if (st.op == HX_OP_MOVED || st.op == HX_OP_PATCH)
			st.a[1] -= delta;
		else if (st.op == HX_OP_EH_REGISTER) {
			st.a[0] -= delta;
			st.a[2] -= delta;
			st.a[3] -= delta;
		}
		assert_int_equal(hx_plan_add_step(&f->p, st.op, st.flags, st.a[0], st.a[1], st.a[2],
						  st.a[3]), 0);
	}
	hx_plan_close_group(&f->p);
}

static void done(struct fx *f)
{
	hx_plan_free(&f->p);
	hx_vmas_free(&f->m);
}

/* 0 if the loader would run it, else the error, its message in why. */
static int verdict(struct fx *f, char *why, size_t size)
{
	struct hx_err e = {0};
	int r = ld_plan_check(&f->p, &f->m, PID, &LD_PLAN_ANY, &e);
	if (r == 0)
		r = ld_island_check_code(&f->p, 0, fake_read, &f->t, &e);
	snprintf(why, size, "%s", e.msg);
	return r;
}

static void refused(struct fx *f, const char *want)
{
	char why[400];
	if (verdict(f, why, sizeof(why)) == 0)
		fail_msg("accepted; expected \"%s\"", want);
	if (!strstr(why, want))
		fail_msg("refused for \"%s\"; expected \"%s\"", why, want);
	done(f);
}

static void test_island_good(void **state)
{
	(void)state;
	struct fx f;
	build(&f);
	char why[400];
	if (verdict(&f, why, sizeof(why)) != 0)
		fail_msg("a good island refused: %s", why);
	done(&f);
}

/* An FDE of 5000 bytes (libclang-cpp 14 has one of 7956): read back whole
 * (the loader once took at most 4 KB, and refused the whole island). */
static void test_island_big_record(void **state)
{
	(void)state;
	struct fx f;
	build_fde(&f, 5000);
	char why[400];
	if (verdict(&f, why, sizeof(why)) != 0)
		fail_msg("an island with a 5000-byte FDE refused: %s", why);
	done(&f);
}

/* What the helper may not do even where each island alone passes: two
 * islands patching one function (their jmps would overlap); a copy that
 * branches under a patch, or calls into its own middle (a hostile helper
 * moving functions the mover keeps home). */
static void test_island_hostile_helper(void **state)
{
	(void)state;
	struct fx f;
	build(&f);
	second_island(&f, 8ull << 20);
	refused(&f, "two islands move the same code");
	/* push rbp; mov rbp,rsp; pop rbp; jmp F+1 (under the patch); nops; ret */
	static const uint8_t under[15] = {0x55, 0x48, 0x89, 0xe5, 0x5d, 0xeb, 0xfa, 0x90, 0x90,
					  0x90, 0x90, 0x90, 0x90, 0x90, 0xc3};
	build_code(&f, 28, under);
	refused(&f, "reaches into a patch");
	/* push rbp; call next; pop rax; pop rbp; nops; ret: reads its own address */
	static const uint8_t pcread[15] = {0x55, 0xe8, 0, 0, 0, 0, 0x58, 0x5d, 0x90, 0x90,
					   0x90, 0x90, 0x90, 0x90, 0xc3};
	build_code(&f, 28, pcread);
	refused(&f, "calls into itself");
	/* a jump into the middle of an instruction (its displacement bytes,
	 * which the helper sets in the copy): lea rax,[rip+x] at 6, jmp to 9 */
	static const uint8_t mid[15] = {0x55, 0x90, 0x90, 0x90, 0x90, 0x90, 0x48, 0x8d, 0x05,
					0, 0, 0, 0, 0xeb, 0xfa};
	build_code(&f, 28, mid);
	refused(&f, "lands in a relative field");
}

static uint8_t *island(struct fx *f)
{
	return f->p.data + f->code_off;
}

static struct hx_plan_step *step(struct fx *f, int k)
{
	return &f->p.steps[f->p.groups[0].first_step + (uint32_t)k];
}

static void test_island_other_code(void **state)
{
	(void)state;
	struct fx f;
	build(&f);
	island(&f)[f.copy - ISL] = 0x53; /* push rbx for push rbp */
	refused(&f, "a copy's bytes differ from its original's");
	build(&f);
	int32_t d;
	memcpy(&d, island(&f) + (f.copy - ISL) + 9, 4);
	d += 0x100; /* the call goes elsewhere */
	memcpy(island(&f) + (f.copy - ISL) + 9, &d, 4);
	refused(&f, "reaches another address");
	build(&f);
	memcpy(&d, island(&f) + (f.copy - ISL) + 4, 4);
	d -= 8; /* the lea reads other data */
	memcpy(island(&f) + (f.copy - ISL) + 4, &d, 4);
	refused(&f, "reaches another address");
	build(&f);
	island(&f)[0] = 0x90; /* padding that is not int3 */
	refused(&f, "not int3");
	build(&f);
	island(&f)[f.copy - ISL + 15] = 0xc3; /* no jmp back after the copy */
	refused(&f, "jmp back");
	build(&f);
	step(&f, S_REG)->a[2] = f.copy; /* the trap in the copy */
	refused(&f, "trap");
}

static void test_island_patches(void **state)
{
	(void)state;
	struct fx f;
	build(&f);
	step(&f, S_PATCH)->a[1] = f.copy + 1; /* into the middle of its copy */
	refused(&f, "a patch is not at a moved function's entry");
	build(&f);
	step(&f, S_PATCH)->a[0] = ORIG + 1; /* not at the entry */
	refused(&f, "a patch is not at a moved function's entry");
	build(&f);
	step(&f, S_PATCH)->a[0] = ORIG + 4; /* after an endbr64 that is not there */
	step(&f, S_PATCH)->a[1] = f.copy + 4;
	refused(&f, "endbr64");
	build(&f);
	*step(&f, S_CHECK) = *step(&f, S_PATCH); /* two patches for one function */
	refused(&f, "not one patch per moved function");
}

static void test_island_places(void **state)
{
	(void)state;
	struct fx f;
	build(&f);
	step(&f, S_MAP)->a[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
	refused(&f, "not mapped r-x");
	build(&f);
	step(&f, S_MAPB)->a[2] = PROT_READ | PROT_EXEC; /* executable records */
	refused(&f, "read-only");
	build(&f);
	step(&f, S_MOVED)->a[0] = DATA; /* "moving" writable data */
	refused(&f, "not inside the program's text");
	build(&f);
	step(&f, S_MOVED)->a[1] = ISL + (4ull << 20); /* a copy outside the island */
	refused(&f, "not inside the island");
	build(&f);
	f.p.groups[0].addr = TEXT; /* an island over the program's text */
	step(&f, S_MAP)->a[0] = TEXT;
	step(&f, S_POKE)->a[0] = TEXT;
	refused(&f, "free space");
	build(&f);
	step(&f, S_REG)->a[0] = EH; /* register records that are not the island's */
	refused(&f, "unwind registration");
}

static void test_island_records(void **state)
{
	(void)state;
	struct fx f;
	build(&f);
	uint8_t *blob = f.p.data + f.blob_off;
	int32_t v;
	memcpy(&v, blob + 19, 4);
	v += 16; /* another personality routine */
	memcpy(blob + 19, &v, 4);
	refused(&f, "CIE is not the original's");
	build(&f);
	blob = f.p.data + f.blob_off;
	blob[36 + 22] = 0x0f; /* another CFA program */
	refused(&f, "FDE is not the original's");
	build(&f);
	blob = f.p.data + f.blob_off;
	memcpy(&v, blob + 36 + 17, 4);
	v += 64; /* another LSDA */
	memcpy(blob + 36 + 17, &v, 4);
	refused(&f, "not the original function's");
	build(&f);
	blob = f.p.data + f.blob_off;
	memcpy(&v, blob + 36 + 8, 4);
	v += 1; /* the FDE of no copy */
	memcpy(blob + 36 + 8, &v, 4);
	refused(&f, "not for exactly one copy");
	build(&f);
	step(&f, S_MOVED)->a[3] = EH + 0x400; /* the original FDE is elsewhere: garbage */
	refused(&f, "original");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_island_good),
		cmocka_unit_test(test_island_big_record),
		cmocka_unit_test(test_island_hostile_helper),
		cmocka_unit_test(test_island_other_code),
		cmocka_unit_test(test_island_patches),
		cmocka_unit_test(test_island_places),
		cmocka_unit_test(test_island_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

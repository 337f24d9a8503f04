/*
 * plan_get.c - at the entry stop: look, ask the helper, check its answer.
 *
 * The tracer reads smaps itself (it needs the mappings to validate the plan
 * anyway), opens each mapped executable file and checks that its device
 * and inode are those of the mapping, and hands the helper these
 * descriptors: the helper never opens anything. If no mapping could
 * possibly qualify, the helper is not started at all (a /bin/true costs
 * nothing more than the stops).
 * Must never: pass the helper a file other than the one mapped.
 */
#define _GNU_SOURCE
#include "facts.h"
#include "helperproc.h"
#include "probe.h"
#include "report.h"
#include "tracer.h"
#include "validate.h"
#include "../common/kernel.h"
#include "../profile/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Could this mapping give a region? (The helper decides for real.) */
static bool candidate(const struct hx_vma *v, const struct ld_opts *o)
{
	return hx_vma_is_text(v) && v->end - v->start >= o->min_size &&
	       (o->align == HX_ALIGN_AGGRESSIVE ||
		hx_align_down(v->end, HX_HUGE) > hx_align_up(v->start, HX_HUGE));
}

static bool have_file(const struct ld_tracer *tr, const struct hx_vma *v)
{
	for (size_t i = 0; i < tr->n_files; i++)
		if (tr->files[i].inode == v->inode && tr->files[i].dev_major == v->dev_major &&
		    tr->files[i].dev_minor == v->dev_minor)
			return true;
	return false;
}

/* The mapped file itself: /proc/PID/map_files (exact, needs privilege),
 * else its path, accepted only if device and inode match. */
static int open_mapped(pid_t pid, const struct hx_vma *v)
{
	char mf[96];
	snprintf(mf, sizeof(mf), "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)v->start, (unsigned long long)v->end);
	int fd = open(mf, O_RDONLY | O_CLOEXEC);
	/* By path only if the mapped file is still there; never block on a
	 * FIFO someone put in its place (the program is stopped meanwhile). */
	if (fd < 0 && v->path[0] == '/' && !v->deleted)
		fd = open(v->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != v->inode ||
	    major(st.st_dev) != v->dev_major || minor(st.st_dev) != v->dev_minor) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static int open_files(struct ld_tracer *tr)
{
	const struct hx_vmas *m = &tr->vmas;
	tr->files = calloc(m->n ? m->n : 1, sizeof(*tr->files));
	if (!tr->files)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		const struct hx_vma *v = &m->v[i];
		if (!candidate(v, tr->o) || have_file(tr, v))
			continue;
		int fd = open_mapped(tr->pid, v);
		if (fd < 0)
			continue; /* the helper will say this mapping was left alone */
		tr->files[tr->n_files++] = (struct ld_file){v->dev_major, v->dev_minor, v->inode, fd};
	}
	return 0;
}

static bool permit(void *ctx, long nr, const uint64_t args[6], uint64_t pc)
{
	const struct ld_tracer *tr = ctx;
	return tr->probed ? ld_probe_permits(tr->probe_bits, nr, args)
			  : ld_filters_allow(&tr->filters, nr, args, pc);
}

static bool allowed(struct ld_tracer *tr, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4)
{
	const uint64_t a[6] = {a0, a1, a2, a3, a4, 0};
	return permit(tr, nr, a, 0);
}

/* How many seccomp filters hugexec itself runs under (-1: unknown). */
static long own_filters(void)
{
	unsigned long long n = 0;
	int r = hx_self_status("Seccomp_filters", 10, &n);
	return r == 0 || r == -ENOENT ? (long)n : -1;
}

/* The program runs under seccomp, which applies to what we inject too.
 * Learn what its filters allow - by probing when we share them (the usual
 * case: a hardened service), by reading them when we do not - then decide
 * which way of building new text is open, and from now on ask before
 * every injected call. */
static int check_seccomp(struct ld_tracer *tr, struct hx_err *e)
{
	long mine = own_filters();
	if (mine > 0 && mine == tr->facts.seccomp_filters) {
		tr->probe_bits = ld_probe_all();
		tr->probed = true;
		/* our own reads and writes of its memory are calls too */
		tr->inj.no_vm = !(tr->probe_bits & LD_P_SELF_COPY) || !(tr->probe_bits & LD_P_VM_WRITE);
		if (tr->inj.no_vm && !(tr->probe_bits & LD_P_PROCMEM))
			return hx_fail(e, -EPERM, "the seccomp filter forbids every way to read the "
				       "program's memory");
	} else if (mine == 0) {
		if (ld_filters_read(tr->pid, &tr->filters, e) < 0)
			return hx_wrap(e, "the program runs under seccomp");
	} else {
		return hx_fail(e, -EPERM, "the program added seccomp filters of its own (%ld, "
			       "hugexec runs under %ld); cannot tell what they allow",
			       tr->facts.seccomp_filters, mine);
	}
	const uint64_t a = 0x7f0000000000, l = HX_HUGE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	const uint64_t rw = PROT_READ | PROT_WRITE, rx = PROT_READ | PROT_EXEC;
	bool moves = allowed(tr, SYS_mremap, a, l, l, MREMAP_MAYMOVE | MREMAP_FIXED, a + 2 * l) &&
		     allowed(tr, SYS_munmap, a, l, 0, 0, 0) &&
		     allowed(tr, SYS_mmap, 0, HX_PAGE, rw, anon, (uint64_t)-1);
	bool mprot = allowed(tr, SYS_mprotect, a, l, rx, 0, 0);
	bool self_copy = allowed(tr, SYS_process_vm_readv, (uint64_t)tr->pid, a, 1, a, 1);
	bool rw_path = allowed(tr, SYS_mmap, a, l, rw, anon | MAP_FIXED_NOREPLACE, (uint64_t)-1) &&
		       mprot && self_copy;
	bool rx_path = allowed(tr, SYS_mmap, a, l, rx, anon | MAP_FIXED_NOREPLACE, (uint64_t)-1);
	/* unmodified text is pread by the program from its own file */
	bool file_read = allowed(tr, SYS_openat, (uint64_t)AT_FDCWD, a, O_RDONLY, 0, 0) &&
			 allowed(tr, SYS_fstat, 0, a, 0, 0, 0) &&
			 allowed(tr, SYS_pread64, 0, a, l, 0, 0) && allowed(tr, SYS_close, 0, 0, 0, 0, 0);
	if (!moves)
		return hx_fail(e, -EPERM, "the program's seccomp filter forbids mremap, munmap or mmap");
	if (!rw_path && !rx_path)
		return hx_fail(e, -EPERM, "the program's seccomp filter forbids building new text");
	if (!mprot)
		tr->facts.target_flags |= HX_TGT_NO_MPROTECT_EXEC;
	if (!self_copy)
		tr->facts.target_flags |= HX_TGT_NO_SELF_COPY;
	if (!file_read)
		tr->facts.target_flags |= HX_TGT_NO_FILE_READ;
	tr->inj.permit = permit;
	tr->inj.permit_ctx = tr;
	return 0;
}

/* PR_SET_MDWE (no exec after write) is a property of the program: ask it
 * with one injected prctl from the vDSO. Failing to ask is not an error:
 * the tracer's own setting (inherited from the same parent) stands. */
static int query_mdwe(struct ld_tracer *tr, struct hx_err *e)
{
	if (inj_use_vdso(&tr->inj, &tr->vmas) < 0)
		return 0;
	const uint64_t a[6] = {PR_GET_MDWE, 0, 0, 0, 0, 0};
	int64_t res;
	int r = inj_syscall(&tr->inj, SYS_prctl, a, &res, e);
	if (r < 0)
		return r;
	if (res > 0 && (res & PR_MDWE_REFUSE_EXEC_GAIN))
		tr->facts.target_flags |= HX_TGT_MDWE;
	return 0;
}

/* smaps at the entry stop: parsed for us, as text for the helper. */
static int read_smaps(struct ld_tracer *tr, struct hx_err *e)
{
	char path[64];
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)tr->pid);
	int r = hx_read_file(path, 256u << 20, &tr->vmas_text, &len);
	if (r < 0)
		return hx_fail(e, r, "reading %s: %s", path, strerror(-r));
	if ((r = hx_vmas_parse(tr->vmas_text, len, &tr->vmas)) < 0)
		return hx_fail(e, r, "parsing %s: %s", path, strerror(-r));
	return 0;
}

/* --profile: opened here, with the user's own rights, for the helper to
 * parse in its sandbox. Trouble opening it is a warning: the program runs
 * with plain huge pages, as with a stale profile. */
static void open_profile(struct ld_tracer *tr)
{
	const char *path = tr->o->profile;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	const char *why = fd < 0 ? strerror(errno)
			  : fstat(fd, &st) != 0 ? strerror(errno)
			  : !S_ISREG(st.st_mode) ? "not a regular file"
			  : (uint64_t)st.st_size > PROF_FILE_MAX ? "too large" : NULL;
	if (why) {
		snprintf(tr->warn, sizeof(tr->warn), "warning: profile %s: %s; not used", path, why);
		if (fd >= 0)
			close(fd);
		return;
	}
	tr->profile_fd = fd;
}

/* The program's stack soft limit, for where staging may go (placement.h);
 * 0 when it cannot be read. */
static uint64_t stack_rlimit(pid_t pid)
{
	struct rlimit rl;
	if (prlimit(pid, RLIMIT_STACK, NULL, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	return (uint64_t)rl.rlim_cur;
}

int ld_request_build(const struct ld_tracer *tr, uint32_t extra, struct hx_request *rq,
		     struct hx_err *e)
{
	const struct ld_opts *o = tr->o;
	memset(rq, 0, sizeof(*rq));
	rq->h.pid = tr->pid;
	rq->h.backing_mode = o->backing;
	rq->h.entry = tr->entry;
	rq->h.interp_base = tr->interp_base;
	rq->h.min_size = o->min_size;
	rq->h.hugetlb_free = tr->facts.hugetlb_free;
	rq->h.align = o->align;
	rq->h.target_flags = tr->facts.target_flags;
	rq->h.thp_mode = tr->facts.thp_mode;
	rq->h.options = HX_REQ_LIBRARIES | extra | (tr->debug_escape ? HX_REQ_DEBUG_ESCAPE : 0u);
	rq->h.n_files = (uint32_t)tr->n_files;
	rq->files = calloc(tr->n_files ? tr->n_files : 1, sizeof(*rq->files));
	rq->maps = strdup(tr->vmas_text ? tr->vmas_text : "");
	rq->only = strdup(o->only ? o->only : "");
	rq->exclude = strdup(o->exclude ? o->exclude : "");
	rq->h.stack_rlimit = tr->facts.stack_rlimit;
	/* the perf map run asks for the same plan (its groups are matched to
	 * the regions), so with the same profile: it decides the windows */
	bool prof = tr->profile_fd >= 0 && lseek(tr->profile_fd, 0, SEEK_SET) == 0;
	rq->h.profile_fd = prof ? tr->profile_fd : -1;
	rq->profile_name = strdup(prof ? o->profile : "");
	if (!rq->files || !rq->maps || !rq->only || !rq->exclude || !rq->profile_name) {
		hx_request_free(rq);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < tr->n_files; i++)
		rq->files[i] = (struct hx_req_file){tr->files[i].dev_major, tr->files[i].dev_minor,
						    tr->files[i].inode, tr->files[i].fd, 0};
	return 0;
}

#ifdef HUGEXEC_TESTING
/* Test builds: what a compromised helper could ask for. The validator must
 * refuse every one of these. */
static void evil_plan(struct ld_tracer *tr)
{
	const char *kind = getenv("HUGEXEC_TEST_EVIL_PLAN");
	struct hx_plan *p = &tr->plan;
	if (!kind || p->n_groups == 0)
		return;
	for (uint32_t i = 0; i < p->n_steps; i++) {
		struct hx_plan_step *s = &p->steps[i];
		if (strcmp(kind, "munmap-stack") == 0 && s->op == HX_OP_MUNMAP) {
			for (size_t k = 0; k < tr->vmas.n; k++)
				if (tr->vmas.v[k].kind == HX_VMA_STACK) {
					s->a[0] = tr->vmas.v[k].start;
					s->a[1] = tr->vmas.v[k].end - tr->vmas.v[k].start;
				}
		}
		if (strcmp(kind, "mprotect-rwx") == 0 && s->op == HX_OP_MPROTECT)
			s->a[2] = PROT_READ | PROT_WRITE | PROT_EXEC;
	}
	if (strcmp(kind, "outside") == 0) /* every alternative, so only the region is wrong */
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].addr = 0x200000;
	if (strcmp(kind, "overlap") == 0)
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].alt_of = -1;
	if (strcmp(kind, "wrong-pid") == 0)
		p->pid = 1;
	if (strcmp(kind, "null-region") == 0)
		for (uint32_t i = 0; i < p->n_groups; i++)
			p->groups[i].addr = 0;
	if (strcmp(kind, "stage-by-stack") == 0) /* every staging area just under [stack] */
		for (uint32_t i = 0; i < p->n_groups; i++) {
			struct hx_plan_group *g = &p->groups[i];
			uint64_t top = 0;
			for (size_t k = 0; k < tr->vmas.n; k++)
				if (tr->vmas.v[k].kind == HX_VMA_STACK)
					top = tr->vmas.v[k].start;
			uint64_t ns = ((top - g->len) & ~((2ull << 20) - 1)) - (2ull << 20);
			for (uint32_t k = 0; g->staging && k < g->n_steps; k++) {
				uint64_t *a0 = &p->steps[g->first_step + k].a[0];
				if (*a0 >= g->staging && *a0 < g->staging + g->len)
					*a0 = *a0 - g->staging + ns;
			}
		}
}
#endif

/* Is there any mapping worth a helper? (maps, not smaps: cheap, and most
 * short commands stop here, costing only the stops.) If not, say why in
 * tr->none_why: the options, or the sizes. */
static int worth_it(struct ld_tracer *tr, bool *any, struct hx_err *e)
{
	struct hx_vmas maps;
	int r = hx_vmas_read(tr->pid, false, &maps, e);
	uint64_t largest = 0, whole = 0; /* largest r-x file mapping; with a whole 2 MB page */
	*any = false;
	for (size_t i = 0; r == 0 && i < maps.n && !*any; i++) {
		const struct hx_vma *v = &maps.v[i];
		*any = candidate(v, tr->o);
		if (v->kind != HX_VMA_FILE || v->prot != (PROT_READ | PROT_EXEC))
			continue;
		uint64_t len = v->end - v->start;
		largest = len > largest ? len : largest;
		if (hx_align_down(v->end, HX_HUGE) > hx_align_up(v->start, HX_HUGE) && len > whole)
			whole = len;
	}
	hx_vmas_free(&maps);
	char a[32], b[32];
	if (r == 0 && !*any && whole)
		snprintf(tr->none_why, sizeof(tr->none_why), "no executable mapping reaches "
			 "--min-size=%s (the largest with a whole 2 MB page: %s)",
			 ld_size(tr->o->min_size, a, sizeof(a)), ld_size(whole, b, sizeof(b)));
	else if (r == 0 && !*any)
		snprintf(tr->none_why, sizeof(tr->none_why), "no executable mapping holds a whole "
			 "2 MB page (the largest: %s)", ld_size(largest, a, sizeof(a)));
	return r;
}

int ld_plan_get(struct ld_tracer *tr, struct hx_err *e)
{
	bool any;
	int r = worth_it(tr, &any, e);
	if (r < 0 || !any)
		return r; /* nothing large enough: no plan, no helper */
	ld_facts_gather(tr->pid, &tr->facts);
	if (tr->facts.threads != 1)
		return hx_fail(e, -EBUSY, tr->facts.threads
			       ? "%u threads are running at the entry point; text is never moved "
				 "under a running thread"
			       : "cannot tell how many threads run (%u): text is never moved under "
				 "a running thread", tr->facts.threads);
	if (tr->facts.vm_sharers > 0)
		return hx_fail(e, -EBUSY, "%d other process%s its memory (made with clone(CLONE_VM) "
			       "before the entry point): text is never moved under a running thread",
			       tr->facts.vm_sharers, tr->facts.vm_sharers == 1 ? " shares" : "es share");
	if (tr->facts.vm_sharers < 0)
		return hx_fail(e, -EBUSY, "it has a child process, and whether that one shares its "
			       "memory cannot be told (no kcmp): text is never moved under a running "
			       "thread");
	if ((r = inj_save(&tr->inj, e)) < 0 || (r = read_smaps(tr, e)) < 0)
		return r;
	if (tr->facts.seccomp && (r = check_seccomp(tr, e)) < 0)
		return r;
	if ((r = query_mdwe(tr, e)) < 0)
		return r;
	if ((r = open_files(tr)) < 0)
		return hx_fail(e, r, "out of memory");
	if (tr->o->profile && tr->profile_fd < 0)
		open_profile(tr);
	tr->facts.stack_rlimit = stack_rlimit(tr->pid);
	struct hx_request rq;
	/* no perf map symbols yet: they are read after the program runs on */
	if ((r = ld_request_build(tr, 0, &rq, e)) < 0)
		return r;
	r = ld_helper_run(&rq, tr->files, tr->n_files, &tr->plan, e);
	hx_request_free(&rq);
	if (r < 0)
		return r;
	tr->have_plan = true;
#ifdef HUGEXEC_TESTING
	evil_plan(tr);
#endif
	struct ld_plan_limits lim = {.hugetlb_free = tr->facts.hugetlb_free,
				     .stack_rlimit = tr->facts.stack_rlimit,
				     .edge_windows = tr->o->align == HX_ALIGN_AGGRESSIVE};
	r = ld_plan_check(&tr->plan, &tr->vmas, tr->pid, &lim, e);
	tr->t_plan_ns = hx_now_ns();
	return r;
}

/*
 * tracer.h - the tracer process's view of the target, and its phases.
 *
 *   ld_entry_wait_exec()   the exec event of CMD
 *   ld_entry_run()         run to AT_ENTRY: ld.so has mapped the libraries,
 *                          no instruction of the program has run
 *   ld_plan_get()          read smaps, gather facts, run the helper,
 *                          validate its plan
 *   ld_follow_exec()       nothing to remap: wait for a wrapper's exec, then
 *                          run the new image to its entry point the same way
 *   ld_apply()             execute the plan (rollback per group), verify
 *   ld_release()           restore registers and mask, detach
 *   ld_exit_target()       --strict: make the target exit with a status
 * Each phase leaves the target stopped on failure, so the caller chooses
 * between letting it go (fail open) and --strict. Only main.c prints.
 * This header holds the state the phases share; each phase's functions are
 * declared in its own header (entry.h, follow.h, plan_get.h, apply.h,
 * release.h).
 * Must never: detach with a breakpoint armed or registers borrowed.
 */
#ifndef LD_TRACER_H
#define LD_TRACER_H

#include "../common/maps.h"
#include "../common/plan.h"
#include "../common/request.h"
#include "../inject/inject.h"
#include "../inject/stopclass.h"
#include "../common/cli.h"
#include "filter.h"

/* How the program is stopped at its entry (entry.c). */
enum ld_bp {
	LD_BP_NONE,   /* at the exit of its execve, or not armed */
	LD_BP_FAULT,  /* its AT_ENTRY on the stack points at an unmapped page */
	LD_BP_INT3,   /* an int3 at the entry */
	LD_BP_HW,     /* a debug register (leaves a perf event: last resort) */
};

/* Who gets the perf map and since when the program could have written one
 * (perfmap.c). */
struct ld_pm_owner {
	bool known;
	uid_t uid;               /* the program's effective uid and gid */
	gid_t gid;
	int64_t started_ns;      /* CLOCK_REALTIME when the process was created; 0: unknown,
				  * nothing is stale */
};

/* Machine and target facts the planner needs but cannot look up itself. */
struct ld_facts {
	uint64_t hugetlb_free;   /* free minus reserved 2 MB pages */
	uint32_t thp_mode;       /* enum hx_thp_mode */
	uint32_t target_flags;   /* HX_TGT_* */
	bool seccomp;            /* the target runs under a seccomp filter */
	long seccomp_filters;    /* how many */
	unsigned threads;
	int vm_sharers;          /* other processes on its memory (clone CLONE_VM); -1 unknown */
	uint64_t stack_rlimit;   /* RLIMIT_STACK soft limit, 0 unknown (placement.h) */
	/* The perf map's owner, read at the entry stop, and its start time,
	 * read before the program is let go (ld_facts_started): the program
	 * may have changed user or be gone when the map is written. */
	struct ld_pm_owner owner;
};

/* A file the tracer opened (for the helper, and for eviction). */
struct ld_file {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	int fd;
};

enum ld_group_state {
	LD_G_NOT_RUN = 0, /* its alternative succeeded, or it never came up */
	LD_G_OK,
	LD_G_FAILED,      /* rolled back; the next alternative may run */
};

struct ld_group_result {
	uint32_t state;
	int failed_step;   /* index in the plan, -1 if none */
	struct hx_err why;
	unsigned optional_failures;
};

/* What became of each region, read from smaps after the plan ran. */
struct ld_region_result {
	uint64_t addr, len;
	bool edge;             /* an --align=aggressive window */
	bool island;           /* a layout's hot island, not the program's text */
	uint32_t functions;    /* island: functions moved into it (0: it failed) */
	uint64_t moved_bytes;  /* island: their bytes */
	uint32_t backing;      /* enum hx_backing actually in place */
	uint64_t huge_bytes;   /* of [addr, addr+len) on huge pages */
	uint32_t heat;         /* --profile: its share of the samples (plan group heat) */
	uint32_t path_str;
};

/* What the entry stop changed and must put back (settle.h). */
struct ld_settle {
	bool noted;              /* a breakpoint was set in this image */
	int sig;                 /* the signal the stop raises (SIGSEGV, SIGTRAP) */
	uint64_t blocked, ignored;  /* signal masks as found at the exec event */
	bool seccomp;
	uint64_t page;           /* int3: the entry page */
	uint8_t *copy;           /* its bytes at the exec event, if they were the file's */
	char note[160];          /* what stayed changed, for -vv ("" nothing) */
};

/* The entry stop (entry.c, settle.c). */
struct ld_stop {
	uint64_t entry, interp_base;
	uint64_t vdso;              /* AT_SYSINFO_EHDR, 0 if none */
	enum ld_bp bp;
	uint8_t bp_byte;
	uint64_t bp_slot;           /* LD_BP_FAULT: where AT_ENTRY's value sits on the stack */
	enum ld_bp stopped_by;      /* how the last entry stop was made */
	bool at_entry;              /* stopped there (ld_entry_run), not at an exec event */
	struct ld_settle settle;
};

/* What planning gathers (plan_get.c, facts.c, files.c, seccomp.c). */
struct ld_planning {
	struct hx_vmas vmas;        /* smaps at the entry stop */
	char *vmas_text;            /* the same, as read (for the helper) */
	struct ld_facts facts;
	struct ld_file *files;
	size_t n_files;
	int profile_fd;                  /* the profile, opened for the helper; -1 */
	char profile_path[4096];         /* the profile in use: --profile, or found in
					  * --profile-dir ("" none) */
	bool profdir_later;              /* --profile-dir, and the kernel could not name
					  * the build: ask the helper's plan */
	char info[600];                  /* -v: which profile --profile-dir chose, or why none */
	char build_id[130];              /* --profile-dir: the program's build-id, hex ("" unknown) */
	char warn[600];                  /* a warning to show without -v ("" none) */
	struct hx_plan plan;
	bool have_plan;
	bool qualified;                  /* at this entry stop, a mapping is known to
					  * qualify (the launcher's tracer saw it) */
	char none_why[200];              /* no plan: why no mapping qualified */
	struct ld_filters filters;       /* the target's seccomp filters, when readable */
	uint32_t probe_bits;             /* else what probing showed (probe.h) */
	bool probed;
};

/* What running the plan did (apply.c, verify.c; report.c tells it). */
struct ld_outcome {
	struct ld_group_result *groups;  /* one per plan group */
	uint64_t *step_ns;               /* how long each plan step took (-vv) */
	struct ld_region_result *regions;
	size_t n_regions;
	bool rolled_back_any;
	uint64_t scratch_left;           /* a scratch page that could not be unmapped */
	uint64_t aside_addr, aside_len;  /* old text that could not be unmapped (it stays) */
	uint64_t left_addr, left_len;    /* a copy or island of ours that a rollback could not
					  * unmap (unused: it stays) */
	bool island_kept;                /* a failed layout could not be fully undone: its
					  * island stays mapped, whole, with its records */
	bool unregistered;               /* attach: an island's unwind records were not
					  * registered (no libgcc_s in the program) */
	uint64_t *skip;                  /* attach: entry patches not written (a thread stood
					  * in their bytes), sorted */
	size_t n_skip;
};

struct ld_times {
	uint64_t entry_ns;               /* at the entry stop */
	uint64_t plan_ns;                /* plan validated */
	uint64_t done_ns;                /* plan run */
};

/* Test builds only (main.c's test_hooks reads HUGEXEC_TEST_*). */
struct ld_test_switches {
	unsigned long fail_syscall;      /* HUGEXEC_TEST_FAIL_SYSCALL=K[,N] */
	unsigned long fail_count;
	bool debug_escape;               /* HUGEXEC_TEST_HELPER_ESCAPE */
	bool verify_full;                /* compare every byte, not spot checks */
	enum ld_bp force_stop;           /* HUGEXEC_TEST_ENTRY_STOP */
	bool no_procmap_query;           /* HUGEXEC_TEST_NO_PROCMAP_QUERY */
	const char *stuck_call;          /* HUGEXEC_TEST_STUCK_CALL=FN: attach's unwinder
					  * registration calls libc's FN instead (pause:
					  * a call that never returns) */
};

struct ld_tracer;

/* attach.c's hold discipline, asked by apply.c (a launch leaves it
 * empty: its only thread is held throughout). The copies, the island and
 * its unwind registration are made while the other threads run; every
 * thread is held for an entry patch and for the swaps. */
struct ld_holds {
	/* Every thread held (if not already), then for gi >= 0, the layout
	 * group about to write its patches: each patch a thread stands in is
	 * added to out.skip (it is not written); for gi < 0, the first swap:
	 * held from then on, and the plan's ranges must be as they were. <0:
	 * the step must not run (the group rolls back, the plan stops). */
	int (*hold)(struct ld_tracer *tr, void *ctx, int gi, struct hx_err *e);
	/* After a layout group: the others run again (not once the swaps began). */
	void (*let_go)(struct ld_tracer *tr, void *ctx);
	void *ctx;
	bool swapping;                   /* hold(-1) was asked */
};

struct ld_tracer {
	pid_t pid;
	const struct ld_opts *o;
	struct inj_target inj;
	unsigned followed;               /* execs followed from a wrapper (follow.c) */
	uint64_t follow_until;           /* until when (hx_now_ns), 0 not yet: one budget
					  * for all the execs */
	bool reported;                   /* --report written (before following a wrapper) */
	bool attached;                   /* hugexec attach: more than one thread may be (attach.c) */
	struct ld_holds holds;           /* attach: which threads are held when */
	struct ld_stop stop;
	struct ld_planning pl;
	struct ld_outcome out;
	struct ld_times t;
	struct ld_test_switches test;
};

void ld_tracer_init(struct ld_tracer *tr, pid_t pid, const struct ld_opts *o);
void ld_tracer_free(struct ld_tracer *tr);

/* The exit status --strict gives a program that must not run. */
#define LD_EXIT_STRICT 125

#endif

/*
 * hx.h - basics shared by every part of hugexec: sizes, alignment, attributes
 * and the error record that deep code fills in instead of printing.
 *
 * Conventions used everywhere:
 *   - functions return 0 or a negative errno; results come back through
 *     out-parameters;
 *   - only the commands' front files talk to the user (loader/main.c, and
 *     the status, record and profile commands: loader/status.c,
 *     record/record.c, record/profile_cli.c); deeper code describes a
 *     failure in a struct hx_err and returns.
 * Must never: hold mutable state (this header and util.c have none).
 */
#ifndef HX_H
#define HX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdbool.h>
#include <time.h>

#define HX_VERSION "0.1.0"

#define HX_PAGE ((uint64_t)4096)
#define HX_HUGE ((uint64_t)2 << 20) /* the only huge page size we plan for */

#define HX_WUR __attribute__((warn_unused_result))
#define HX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define HX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t hx_align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static inline uint64_t hx_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static inline bool hx_is_aligned(uint64_t v, uint64_t a)
{
	return (v & (a - 1)) == 0;
}

/* a + b, or UINT64_MAX if that does not fit: for counts that are shown,
 * where the largest value says "at least this many". */
static inline uint64_t hx_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Half-open ranges [a, a+alen) and [b, b+blen) share at least one byte. */
static inline bool hx_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Why something failed, for the one line the user will see. code is a
 * negative errno; msg is a short phrase without a trailing newline.
 */
struct hx_err {
	int code;
	char msg[320];
};

/* Fill e (if not NULL) and return code, so callers can `return hx_fail(...)`. */
int hx_fail(struct hx_err *e, int code, const char *fmt, ...) HX_PRINTF(3, 4);

/* Prefix an existing message: "what: <old message>". */
int hx_wrap(struct hx_err *e, const char *fmt, ...) HX_PRINTF(2, 3);

/* A clock in nanoseconds; hx_now_ns is CLOCK_MONOTONIC. */
uint64_t hx_clock_ns(clockid_t clock);
uint64_t hx_now_ns(void);

/* Room for one more element of size sz in *arr, which holds n of *cap:
 * the capacity doubles (from 16). 0, or -ENOMEM (*arr unchanged). */
int hx_grow(void **arr, size_t n, size_t *cap, size_t sz) HX_WUR;

/* qsort/bsearch order of uint64_t values. */
int hx_cmp_u64(const void *a, const void *b);
/* In a[n], sorted: the index of the first value >= key (n if none). */
size_t hx_u64_lower_bound(const uint64_t *a, size_t n, uint64_t key);
/* ... and whether a value lies in [lo, hi). */
bool hx_u64_in(const uint64_t *a, size_t n, uint64_t lo, uint64_t hi);

/* Parse "64M", "2m", "4096", "1G" into bytes. Returns 0 or -EINVAL. */
int hx_parse_size(const char *s, uint64_t *out) HX_WUR;

/* Read a whole small file (procfs, sysfs) into a NUL-terminated malloc'd
 * buffer of at most max bytes (-EFBIG if there are more). */
int hx_read_file(const char *path, size_t max, char **out, size_t *len) HX_WUR;
/* The same from an open descriptor, to its end. */
int hx_read_fd(int fd, size_t max, char **out, size_t *len) HX_WUR;

/* Write all of buf (retrying short writes and EINTR); 0 or -errno (-EIO
 * if the descriptor takes no more). */
int hx_write_all(int fd, const void *buf, size_t len) HX_WUR;

/* Replace path whole: fill(f, ctx) writes a new file of our own beside it
 * (PATH.PID.tmp, O_EXCL|O_NOFOLLOW: never a file or link someone put
 * there), renamed over path (which replaces path itself, never what it
 * links to). 0, or -errno with e ("FILE: why"). */
int hx_write_replace(const char *path, unsigned mode, void (*fill)(FILE *f, const void *ctx),
		     const void *ctx, struct hx_err *e) HX_WUR;

/* The value after "KEY:" in /proc/PID/status text (leading blanks kept),
 * or NULL if there is no such line. */
const char *hx_status_value(const char *text, const char *key);

/* Read one unsigned decimal integer from a sysfs-style file. */
int hx_read_u64_file(const char *path, uint64_t *out) HX_WUR;

/* The number after "KEY:" in a /proc status file (path), read in base
 * (10, or 16 for the capability masks). -ENOENT if there is no such line. */
int hx_status_number(const char *path, const char *key, int base, unsigned long long *out) HX_WUR;
/* The same in /proc/self/status. */
int hx_self_status(const char *key, int base, unsigned long long *out) HX_WUR;

/* The executable of process pid (/proc/PID/exe) into buf: 0 or -errno. */
int hx_proc_exe(pid_t pid, char *buf, size_t size) HX_WUR;
/* hugexec is two programs (loader/handoff.h): the first of rel[] (paths
 * from the directory of our own executable, each starting with "/") that
 * is an executable file, into out. 0, -ENOENT, or -ENXIO if our own path
 * cannot be read (/proc not mounted). */
int hx_exe_sibling(const char *const *rel, size_t n, char *out, size_t size) HX_WUR;

/* In a freshly forked child about to be sandboxed: close every descriptor
 * above 2 except keep[]. */
void hx_close_except(const int *keep, size_t n);

/* Subcommand option parsing: "--name=value", "--name value" or
 * "-x value". Returns the value (advancing *i past it), "" if the value is
 * missing, or NULL if argv[*i] is not this option. */
const char *hx_opt_value(int argc, char **argv, int *i, const char *shrt, const char *lng);

#endif

/*
 * profile.c - the profile text format: parser, printer, merge, stale check.
 *
 * The grammar (docs/profile-format.md has the full description):
 *   hugexec-profile 1
 *   event NAME | lost N | unattributed N        (optional, before objects)
 *   object BUILDID PATH
 *   samples N                                    (right after its object)
 *   func OFFSET SIZE SAMPLES NAME                (any number)
 *   edge CALLER CALLEE WEIGHT                    (any number)
 *   sedge CALLER CALLEE                          (version 2: any number)
 *   end
 * Lines are split on blanks; names and paths escape bytes <= 0x20, 0x7f and
 * '\' as \xHH, so every field is one token. '#' starts a comment line.
 * The parser keeps line numbers of the current object's functions and edges
 * aside, so duplicates and dangling edges are reported at their line.
 * Version 2 only adds `sedge` (static calls); the printer writes version 1
 * for a profile without them, so that older readers still take it.
 * Must never: read outside [text, text+len), or trust a count to size an
 * allocation (all growth is by what was actually parsed).
 */
#define _GNU_SOURCE
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- building ------------------------------------------------------------ */

void prof_init(struct prof_profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void free_object(struct prof_object *o)
{
	for (size_t i = 0; i < o->n_funcs; i++)
		free(o->funcs[i].name);
	free(o->funcs);
	free(o->edges);
	free(o->sedges);
	free(o->path);
}

void prof_remove_object(struct prof_profile *p, size_t i)
{
	free_object(&p->objs[i]);
	memmove(&p->objs[i], &p->objs[i + 1], (p->n_objs - i - 1) * sizeof(*p->objs));
	p->n_objs--;
}

void prof_free(struct prof_profile *p)
{
	for (size_t i = 0; i < p->n_objs; i++)
		free_object(&p->objs[i]);
	free(p->objs);
	prof_init(p);
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Normalize a hex build-id into out (lower case); -EINVAL if malformed. */
static int canon_build_id(const char *s, size_t len, char *out)
{
	if (len < 2 || len > 2 * PROF_BUILD_ID_MAX || len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(s[i]))
			return -EINVAL;
		out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
	}
	out[len] = '\0';
	return 0;
}

const struct prof_object *prof_find(const struct prof_profile *p, const char *build_id_hex)
{
	char want[2 * PROF_BUILD_ID_MAX + 1];
	if (canon_build_id(build_id_hex, strlen(build_id_hex), want) < 0)
		return NULL;
	for (size_t i = 0; i < p->n_objs; i++)
		if (strcmp(p->objs[i].build_id, want) == 0)
			return &p->objs[i];
	return NULL;
}

int prof_add_object(struct prof_profile *p, const char *build_id, const char *path,
		    uint64_t samples, struct prof_object **out)
{
	struct prof_object o;
	memset(&o, 0, sizeof(o));
	if (canon_build_id(build_id, strlen(build_id), o.build_id) < 0)
		return -EINVAL;
	if (prof_find(p, o.build_id))
		return -EEXIST;
	if (hx_grow((void **)&p->objs, p->n_objs, &p->cap_objs, sizeof(o)) < 0)
		return -ENOMEM;
	o.path = strdup(path ? path : "");
	if (!o.path)
		return -ENOMEM;
	o.samples = samples;
	p->objs[p->n_objs] = o;
	if (out)
		*out = &p->objs[p->n_objs];
	p->n_objs++;
	return 0;
}

int prof_add_func(struct prof_object *o, uint64_t off, uint64_t size, uint64_t samples,
		  const char *name)
{
	if (!name || !*name || size > UINT64_MAX - off)
		return -EINVAL;
	if (hx_grow((void **)&o->funcs, o->n_funcs, &o->cap_funcs, sizeof(*o->funcs)) < 0)
		return -ENOMEM;
	char *n = strdup(name);
	if (!n)
		return -ENOMEM;
	o->funcs[o->n_funcs++] = (struct prof_func){off, size, samples, n};
	return 0;
}

int prof_add_edge(struct prof_object *o, uint64_t caller, uint64_t callee, uint64_t weight)
{
	if (hx_grow((void **)&o->edges, o->n_edges, &o->cap_edges, sizeof(*o->edges)) < 0)
		return -ENOMEM;
	o->edges[o->n_edges++] = (struct prof_edge){caller, callee, weight};
	return 0;
}

int prof_add_sedge(struct prof_object *o, uint64_t caller, uint64_t callee)
{
	if (hx_grow((void **)&o->sedges, o->n_sedges, &o->cap_sedges, sizeof(*o->sedges)) < 0)
		return -ENOMEM;
	o->sedges[o->n_sedges++] = (struct prof_sedge){caller, callee};
	return 0;
}

static int add_u64(uint64_t *a, uint64_t b)
{
	if (*a > UINT64_MAX - b)
		return -EOVERFLOW;
	*a += b;
	return 0;
}

int prof_sum(const struct prof_profile *p, uint64_t *total)
{
	uint64_t t = p->unattributed;
	for (size_t i = 0; i < p->n_objs; i++)
		if (add_u64(&t, p->objs[i].samples) < 0)
			return -EOVERFLOW;
	*total = t;
	return 0;
}

uint64_t prof_total(const struct prof_profile *p)
{
	/* a saturating sum: with unsigned terms, one saturates exactly when
	 * the whole sum does not fit */
	uint64_t t;
	return prof_sum(p, &t) == 0 ? t : UINT64_MAX;
}

void prof_hex(const uint8_t *id, size_t len, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	size_t w = 0;
	for (size_t i = 0; i < len && w + 2 < size; i++) {
		buf[w++] = digits[id[i] >> 4];
		buf[w++] = digits[id[i] & 15];
	}
	if (size)
		buf[w] = '\0';
}

/* ---- normalizing ----------------------------------------------------------- */

static int cmp_obj(const void *a, const void *b)
{
	return strcmp(((const struct prof_object *)a)->build_id,
		      ((const struct prof_object *)b)->build_id);
}

/* By offset; among duplicates the one that survives comes first: the
 * bigger size, then the smaller name (a total order, so the result does
 * not depend on qsort's whims). */
static int cmp_func(const void *a, const void *b)
{
	const struct prof_func *x = a, *y = b;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_edge(const void *a, const void *b)
{
	const struct prof_edge *x = a, *y = b;
	if (x->caller != y->caller)
		return x->caller < y->caller ? -1 : 1;
	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	return 0;
}

static int cmp_sedge(const void *a, const void *b)
{
	const struct prof_sedge *x = a, *y = b;
	if (x->caller != y->caller)
		return x->caller < y->caller ? -1 : 1;
	return x->callee < y->callee ? -1 : x->callee > y->callee;
}

static void normalize_sedges(struct prof_object *o)
{
	if (o->n_sedges)
		qsort(o->sedges, o->n_sedges, sizeof(*o->sedges), cmp_sedge);
	size_t w = 0;
	for (size_t i = 0; i < o->n_sedges; i++)
		if (!w || cmp_sedge(&o->sedges[w - 1], &o->sedges[i]) != 0)
			o->sedges[w++] = o->sedges[i];
	o->n_sedges = w;
}

static int normalize_object(struct prof_object *o)
{
	if (o->n_funcs)
		qsort(o->funcs, o->n_funcs, sizeof(*o->funcs), cmp_func);
	size_t w = 0;
	for (size_t i = 0; i < o->n_funcs; i++) {
		if (w && o->funcs[w - 1].off == o->funcs[i].off) {
			if (add_u64(&o->funcs[w - 1].samples, o->funcs[i].samples) < 0)
				return -EOVERFLOW;
			free(o->funcs[i].name);
			continue;
		}
		o->funcs[w++] = o->funcs[i];
	}
	o->n_funcs = w;
	if (o->n_edges)
		qsort(o->edges, o->n_edges, sizeof(*o->edges), cmp_edge);
	w = 0;
	for (size_t i = 0; i < o->n_edges; i++) {
		if (w && cmp_edge(&o->edges[w - 1], &o->edges[i]) == 0) {
			if (add_u64(&o->edges[w - 1].weight, o->edges[i].weight) < 0)
				return -EOVERFLOW;
			continue;
		}
		o->edges[w++] = o->edges[i];
	}
	o->n_edges = w;
	normalize_sedges(o);
	return 0;
}

static void sort_objects(struct prof_profile *p)
{
	if (p->n_objs)
		qsort(p->objs, p->n_objs, sizeof(*p->objs), cmp_obj);
}

int prof_normalize(struct prof_profile *p)
{
	sort_objects(p);
	for (size_t i = 0; i < p->n_objs; i++) {
		int r = normalize_object(&p->objs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

size_t prof_func_from(const struct prof_object *o, uint64_t off)
{
	size_t lo = 0, hi = o->n_funcs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->funcs[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct prof_func *prof_func_at(const struct prof_object *o, uint64_t off)
{
	size_t i = prof_func_from(o, off);
	return i < o->n_funcs && o->funcs[i].off == off ? &o->funcs[i] : NULL;
}

/* ---- printing ------------------------------------------------------------ */

struct sbuf {
	char *b;
	size_t n, cap;
	int err;
};

static void sb_add(struct sbuf *s, const char *p, size_t len)
{
	if (s->err)
		return;
	if (s->n + len + 1 > s->cap) {
		size_t nc = s->cap ? s->cap : 4096;
		while (nc < s->n + len + 1)
			nc *= 2;
		char *nb = realloc(s->b, nc);
		if (!nb) {
			s->err = -ENOMEM;
			return;
		}
		s->b = nb;
		s->cap = nc;
	}
	memcpy(s->b + s->n, p, len);
	s->n += len;
	s->b[s->n] = '\0';
}

static void sb_printf(struct sbuf *s, const char *fmt, ...) HX_PRINTF(2, 3);
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		s->err = -EINVAL; /* only short numeric lines go through here */
		return;
	}
	sb_add(s, tmp, (size_t)n);
}

/* One token: bytes <= 0x20, 0x7f and '\' become \xHH; "" is "-" and a
 * lone "-" is escaped so that the two stay apart. */
static void sb_token(struct sbuf *s, const char *str)
{
	if (!*str) {
		sb_add(s, "-", 1);
		return;
	}
	if (strcmp(str, "-") == 0) {
		sb_add(s, "\\x2d", 4);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
		if (*c <= 0x20 || *c == 0x7f || *c == '\\') {
			char esc[5];
			snprintf(esc, sizeof(esc), "\\x%02x", *c);
			sb_add(s, esc, 4);
		} else {
			sb_add(s, (const char *)c, 1);
		}
	}
}

static void print_object(struct sbuf *s, const struct prof_object *o)
{
	sb_add(s, "object ", 7);
	sb_add(s, o->build_id, strlen(o->build_id)); /* up to 128 digits: not via sb_printf */
	sb_add(s, " ", 1);
	sb_token(s, o->path);
	sb_printf(s, "\nsamples %llu\n", (unsigned long long)o->samples);
	for (size_t i = 0; i < o->n_funcs; i++) {
		const struct prof_func *f = &o->funcs[i];
		sb_printf(s, "func 0x%llx %llu %llu ", (unsigned long long)f->off,
			  (unsigned long long)f->size, (unsigned long long)f->samples);
		sb_token(s, f->name);
		sb_add(s, "\n", 1);
	}
	for (size_t i = 0; i < o->n_edges; i++) {
		const struct prof_edge *d = &o->edges[i];
		sb_printf(s, "edge 0x%llx 0x%llx %llu\n", (unsigned long long)d->caller,
			  (unsigned long long)d->callee, (unsigned long long)d->weight);
	}
	for (size_t i = 0; i < o->n_sedges; i++)
		sb_printf(s, "sedge 0x%llx 0x%llx\n", (unsigned long long)o->sedges[i].caller,
			  (unsigned long long)o->sedges[i].callee);
}

/* The oldest version that can say everything in p. */
static int version_for(const struct prof_profile *p)
{
	for (size_t i = 0; i < p->n_objs; i++)
		if (p->objs[i].n_sedges)
			return 2;
	return PROF_VERSION_MIN;
}

int prof_format(struct prof_profile *p, char **out, size_t *len)
{
	uint64_t total;
	int r = prof_normalize(p);
	if (r == 0)
		r = prof_sum(p, &total); /* never write what prof_parse would refuse */
	if (r < 0)
		return r;
	struct sbuf s = {0};
	sb_printf(&s, "%s %d\n", PROF_MAGIC, version_for(p));
	sb_add(&s, "# see docs/profile-format.md; offsets are file offsets\n", 55);
	if (p->event[0]) {
		sb_add(&s, "event ", 6);
		sb_token(&s, p->event);
		sb_add(&s, "\n", 1);
	}
	sb_printf(&s, "lost %llu\nunattributed %llu\n", (unsigned long long)p->lost,
		  (unsigned long long)p->unattributed);
	for (size_t i = 0; i < p->n_objs; i++)
		print_object(&s, &p->objs[i]);
	sb_add(&s, "end\n", 4);
	if (s.err) {
		free(s.b);
		return s.err;
	}
	*out = s.b;
	if (len)
		*len = s.n;
	return 0;
}

int prof_save(struct prof_profile *p, const char *path, struct hx_err *e)
{
	char *text;
	size_t len;
	int r = prof_format(p, &text, &len);
	if (r < 0)
		return hx_fail(e, r, "%s: %s", path, strerror(-r));
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (!tmp) {
		free(text);
		return hx_fail(e, -ENOMEM, "out of memory");
	}
	snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		r = hx_fail(e, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	mode_t um = umask(0); /* mkstemp makes 0600; give what open(0666) would */
	umask(um);
	if (fchmod(fd, 0666 & ~um) != 0 || (r = hx_write_all(fd, text, len)) < 0) {
		r = r < 0 ? r : -errno;
		close(fd);
		unlink(tmp);
		hx_fail(e, r, "writing %s: %s", path, strerror(-r));
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		r = hx_fail(e, -errno, "writing %s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	free(text);
	return r;
}

/* ---- parsing --------------------------------------------------------------- */

#define MAX_TOKENS 6

struct tok {
	const char *s;
	size_t len;
};

struct parser {
	const char *name;
	size_t line;
	struct prof_profile *out;
	struct hx_err *e;
	bool have_obj, need_samples, seen_end, seen_meta[3];
	uint64_t version;           /* from the first line */
	size_t obj;                 /* index of the current object */
	size_t obj_line;            /* line of its 'object' */
	size_t *fline, *eline, *sline; /* lines of its funcs, edges and static calls */
	size_t cap_fline, cap_eline, cap_sline;
	uint64_t total;             /* unattributed and the objects' samples so far */
};

static int perr(struct parser *ps, const char *fmt, ...) HX_PRINTF(2, 3);
static int perr(struct parser *ps, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hx_fail(ps->e, -EINVAL, "%s:%zu: %s", ps->name, ps->line, msg);
}

static bool tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);
	return t->len == n && memcmp(t->s, word, n) == 0;
}

static int parse_dec(const struct tok *t, uint64_t *out)
{
	uint64_t v = 0;
	if (t->len == 0)
		return -EINVAL;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		if (c < '0' || c > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(c - '0');
	}
	*out = v;
	return 0;
}

static int parse_hex(const struct tok *t, uint64_t *out)
{
	const char *s = t->s;
	size_t n = t->len;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 16)
		return n ? -ERANGE : -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!is_hex(c))
			return -EINVAL;
		unsigned d = c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Undo sb_token's escapes into a new string; NULL on a bad escape, a raw
 * control byte, a NUL, or no memory (*nomem tells which). */
static char *unescape(const struct tok *t, bool *nomem)
{
	*nomem = false;
	if (t->len == 1 && t->s[0] == '-')
		return strdup("");
	char *o = malloc(t->len + 1);
	if (!o) {
		*nomem = true;
		return NULL;
	}
	size_t w = 0;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		if (c == '\\') {
			uint64_t v = 0;
			struct tok h = {t->s + i + 2, 2};
			if (i + 3 >= t->len || t->s[i + 1] != 'x' || parse_hex(&h, &v) < 0 || v == 0)
				goto bad;
			c = (char)v;
			i += 3;
		} else if ((unsigned char)c <= 0x20 || c == 0x7f) {
			goto bad;
		}
		o[w++] = c;
	}
	o[w] = '\0';
	return o;
bad:
	free(o);
	return NULL;
}

/* Split [s, end) on blanks; -E2BIG if there are more than MAX_TOKENS. */
static int tokenize(const char *s, const char *end, struct tok *t, size_t *n)
{
	*n = 0;
	while (s < end) {
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end)
			break;
		const char *b = s;
		while (s < end && *s != ' ' && *s != '\t')
			s++;
		if (*n == MAX_TOKENS)
			return -E2BIG;
		t[(*n)++] = (struct tok){b, (size_t)(s - b)};
	}
	return 0;
}

static struct prof_object *cur(struct parser *ps)
{
	return &ps->out->objs[ps->obj];
}

/* A function (key: its offset) or an edge (key: caller, callee), with its
 * weight and the line it came from. */
struct keyline {
	uint64_t a, b, weight;
	size_t line;
};

static int cmp_keyline(const void *a, const void *b)
{
	const struct keyline *x = a, *y = b;
	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Repeated keys of the current object, each an error at its line: a
 * function offset listed twice; an edge listed again (the weights add up)
 * once the sum passes 2^64. */
static int check_repeats(struct parser *ps, const struct prof_object *o, bool edges)
{
	size_t n = edges ? o->n_edges : o->n_funcs;
	if (n < 2)
		return 0;
	struct keyline *k = malloc(n * sizeof(*k));
	if (!k)
		return hx_fail(ps->e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		k[i] = edges ? (struct keyline){o->edges[i].caller, o->edges[i].callee,
						o->edges[i].weight, ps->eline[i]}
			     : (struct keyline){o->funcs[i].off, 0, 0, ps->fline[i]};
	qsort(k, n, sizeof(*k), cmp_keyline);
	uint64_t sum = k[0].weight;
	size_t first = 0;
	int r = 0;
	for (size_t i = 1; i < n && r == 0; i++) {
		if (k[i].a != k[first].a || k[i].b != k[first].b) {
			sum = k[i].weight;
			first = i;
		} else if (!edges) {
			ps->line = k[i].line;
			r = perr(ps, "function at 0x%llx listed twice (first on line %zu)",
				 (unsigned long long)k[i].a, k[first].line);
		} else if (add_u64(&sum, k[i].weight) < 0) {
			ps->line = k[i].line;
			r = perr(ps, "edge 0x%llx 0x%llx: with the same edge on line %zu its weight "
				 "passes 2^64", (unsigned long long)k[i].a, (unsigned long long)k[i].b,
				 k[first].line);
		}
	}
	free(k);
	return r;
}

/* An edge or static call (what) from caller to callee must join two
 * functions of o (sorted); else an error at its line. */
static int check_ends(struct parser *ps, const struct prof_object *o, const char *what,
		      uint64_t caller, uint64_t callee, size_t line)
{
	const struct prof_func *a = prof_func_at(o, caller), *b = prof_func_at(o, callee);
	if (a && b)
		return 0;
	ps->line = line;
	return perr(ps, "%s names 0x%llx, which is not a function of this object", what,
		    (unsigned long long)(a ? callee : caller));
}

/* Checks that need the whole object: samples present, function samples
 * within the object's, no duplicate functions, no dangling edges, edge
 * weights that add up. */
static int close_object(struct parser *ps)
{
	if (!ps->have_obj)
		return 0;
	ps->have_obj = false;
	struct prof_object *o = cur(ps);
	if (ps->need_samples) {
		ps->line = ps->obj_line;
		return perr(ps, "object without a 'samples' line after it");
	}
	uint64_t sum = 0;
	for (size_t i = 0; i < o->n_funcs; i++)
		if (add_u64(&sum, o->funcs[i].samples) < 0 || sum > o->samples) {
			ps->line = ps->fline[i];
			return perr(ps, "its functions have more samples than their object (%llu)",
				    (unsigned long long)o->samples);
		}
	int r = check_repeats(ps, o, false);
	if (r < 0)
		return r;
	if (o->n_funcs) /* sorted, so that prof_func_at works; edges keep their order */
		qsort(o->funcs, o->n_funcs, sizeof(*o->funcs), cmp_func);
	for (size_t i = 0; r == 0 && i < o->n_edges; i++)
		r = check_ends(ps, o, "edge", o->edges[i].caller, o->edges[i].callee, ps->eline[i]);
	for (size_t i = 0; r == 0 && i < o->n_sedges; i++)
		r = check_ends(ps, o, "sedge", o->sedges[i].caller, o->sedges[i].callee, ps->sline[i]);
	if (r == 0)
		r = check_repeats(ps, o, true);
	if (r < 0)
		return r;
	return normalize_object(o) < 0 ? perr(ps, "edge weights overflow") : 0;
}

static int line_object(struct parser *ps, const struct tok *t, size_t n)
{
	if (n != 3)
		return perr(ps, "expected 'object BUILDID PATH'");
	char id[2 * PROF_BUILD_ID_MAX + 1];
	if (canon_build_id(t[1].s, t[1].len, id) < 0)
		return perr(ps, "bad build-id (2 to %d hex digits, even)", 2 * PROF_BUILD_ID_MAX);
	int r = close_object(ps);
	if (r < 0)
		return r;
	bool nomem;
	char *path = unescape(&t[2], &nomem);
	if (!path)
		return nomem ? hx_fail(ps->e, -ENOMEM, "out of memory") : perr(ps, "bad path");
	r = prof_add_object(ps->out, id, path, 0, NULL);
	free(path);
	if (r == -EEXIST)
		return perr(ps, "build-id %s listed twice", id);
	if (r < 0)
		return hx_fail(ps->e, r, "out of memory");
	ps->obj = ps->out->n_objs - 1;
	ps->obj_line = ps->line;
	ps->have_obj = ps->need_samples = true;
	return 0;
}

static int remember_line(size_t **arr, size_t n, size_t *cap, size_t line)
{
	if (hx_grow((void **)arr, n, cap, sizeof(**arr)) < 0)
		return -ENOMEM;
	(*arr)[n] = line;
	return 0;
}

static int line_func(struct parser *ps, const struct tok *t, size_t n)
{
	uint64_t off, size, samples;
	if (n != 5)
		return perr(ps, "expected 'func OFFSET SIZE SAMPLES NAME'");
	/* file offsets are off_t: past INT64_MAX is no offset at all */
	if (parse_hex(&t[1], &off) < 0 || off > (uint64_t)INT64_MAX)
		return perr(ps, "bad offset (hex, at most 0x7fffffffffffffff)");
	if (parse_dec(&t[2], &size) < 0)
		return perr(ps, "bad size (decimal)");
	if (size > (uint64_t)INT64_MAX - off)
		return perr(ps, "bad size: the function would end past the largest file offset");
	if (parse_dec(&t[3], &samples) < 0)
		return perr(ps, "bad sample count (decimal)");
	bool nomem;
	char *name = unescape(&t[4], &nomem);
	if (!name || !*name) {
		free(name);
		return nomem ? hx_fail(ps->e, -ENOMEM, "out of memory") : perr(ps, "bad name");
	}
	struct prof_object *o = cur(ps);
	int r = remember_line(&ps->fline, o->n_funcs, &ps->cap_fline, ps->line);
	if (r == 0)
		r = prof_add_func(o, off, size, samples, name);
	free(name);
	return r < 0 ? hx_fail(ps->e, r, "out of memory") : 0;
}

static int line_edge(struct parser *ps, const struct tok *t, size_t n)
{
	uint64_t a, b, w;
	if (n != 4)
		return perr(ps, "expected 'edge CALLER CALLEE WEIGHT'");
	if (parse_hex(&t[1], &a) < 0 || parse_hex(&t[2], &b) < 0)
		return perr(ps, "bad function offset (hex)");
	if (parse_dec(&t[3], &w) < 0)
		return perr(ps, "bad weight (decimal)");
	struct prof_object *o = cur(ps);
	int r = remember_line(&ps->eline, o->n_edges, &ps->cap_eline, ps->line);
	if (r == 0)
		r = prof_add_edge(o, a, b, w);
	return r < 0 ? hx_fail(ps->e, r, "out of memory") : 0;
}

static int line_sedge(struct parser *ps, const struct tok *t, size_t n)
{
	uint64_t a, b;
	if (ps->version < 2)
		return perr(ps, "'sedge' needs version 2 (a first line '%s 2')", PROF_MAGIC);
	if (n != 3)
		return perr(ps, "expected 'sedge CALLER CALLEE'");
	if (parse_hex(&t[1], &a) < 0 || parse_hex(&t[2], &b) < 0)
		return perr(ps, "bad function offset (hex)");
	struct prof_object *o = cur(ps);
	int r = remember_line(&ps->sline, o->n_sedges, &ps->cap_sline, ps->line);
	if (r == 0)
		r = prof_add_sedge(o, a, b);
	return r < 0 ? hx_fail(ps->e, r, "out of memory") : 0;
}

/* event / lost / unattributed: once each, before the first object. */
static int line_meta(struct parser *ps, const struct tok *t, size_t n, int which)
{
	static const char *const names[3] = {"event", "lost", "unattributed"};
	if (n != 2)
		return perr(ps, "expected '%s VALUE'", names[which]);
	if (ps->out->n_objs)
		return perr(ps, "'%s' after the first object", names[which]);
	if (ps->seen_meta[which])
		return perr(ps, "'%s' given twice", names[which]);
	ps->seen_meta[which] = true;
	if (which == 0) {
		bool nomem;
		char *ev = unescape(&t[1], &nomem);
		if (!ev || strlen(ev) > PROF_EVENT_MAX) {
			free(ev);
			return nomem ? hx_fail(ps->e, -ENOMEM, "out of memory") : perr(ps, "bad event name");
		}
		snprintf(ps->out->event, sizeof(ps->out->event), "%s", ev);
		free(ev);
		return 0;
	}
	uint64_t *dst = which == 1 ? &ps->out->lost : &ps->out->unattributed;
	if (parse_dec(&t[1], dst) < 0)
		return perr(ps, "bad count (decimal)");
	/* before any object, so the total so far is just this */
	if (which == 2)
		ps->total = *dst;
	return 0;
}

static int line_header(struct parser *ps, const struct tok *t, size_t n)
{
	uint64_t v;
	if (n < 1 || !tok_is(&t[0], PROF_MAGIC))
		return perr(ps, "not a hugexec profile (the first line must be '%s %d')", PROF_MAGIC,
			    PROF_VERSION);
	if (n != 2 || parse_dec(&t[1], &v) < 0)
		return perr(ps, "expected '%s VERSION'", PROF_MAGIC);
	if (v < PROF_VERSION_MIN || v > PROF_VERSION)
		return perr(ps, "profile version %llu; this hugexec reads versions %d to %d",
			    (unsigned long long)v, PROF_VERSION_MIN, PROF_VERSION);
	ps->version = v;
	return 0;
}

static int one_line(struct parser *ps, const struct tok *t, size_t n)
{
	if (ps->seen_end)
		return perr(ps, "text after 'end'");
	if (ps->line == 1)
		return line_header(ps, t, n);
	if (tok_is(&t[0], "end")) {
		ps->seen_end = true;
		return n == 1 ? close_object(ps) : perr(ps, "expected 'end' alone");
	}
	if (tok_is(&t[0], "object"))
		return line_object(ps, t, n);
	if (tok_is(&t[0], "event") || tok_is(&t[0], "lost") || tok_is(&t[0], "unattributed"))
		return line_meta(ps, t, n, tok_is(&t[0], "event") ? 0 : tok_is(&t[0], "lost") ? 1 : 2);
	bool is_samples = tok_is(&t[0], "samples");
	if (!is_samples && !tok_is(&t[0], "func") && !tok_is(&t[0], "edge") &&
	    !tok_is(&t[0], "sedge"))
		return perr(ps, "unknown keyword '%.*s'", (int)(t[0].len > 40 ? 40 : t[0].len),
			    t[0].s);
	if (!ps->have_obj)
		return perr(ps, "'%.*s' before any 'object'", (int)t[0].len, t[0].s);
	if (is_samples != ps->need_samples)
		return perr(ps, is_samples ? "'samples' given twice for one object"
					   : "expected 'samples N' right after 'object'");
	if (is_samples) {
		ps->need_samples = false;
		if (n != 2 || parse_dec(&t[1], &cur(ps)->samples) < 0)
			return perr(ps, "expected 'samples N'");
		/* show and merge add these up: all must fit in 64 bits together */
		return add_u64(&ps->total, cur(ps)->samples) < 0
			       ? perr(ps, "the samples of all objects and 'unattributed' add up past 2^64")
			       : 0;
	}
	if (tok_is(&t[0], "sedge"))
		return line_sedge(ps, t, n);
	return tok_is(&t[0], "func") ? line_func(ps, t, n) : line_edge(ps, t, n);
}

static bool printable_keyword(const struct tok *t)
{
	for (size_t i = 0; i < t->len; i++)
		if ((unsigned char)t->s[i] < 0x20 || (unsigned char)t->s[i] >= 0x7f)
			return false;
	return true;
}

static int parse_lines(struct parser *ps, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		ps->line++;
		if (memchr(p, '\0', (size_t)(le - p)))
			return perr(ps, "NUL byte");
		const char *ce = (le > p && le[-1] == '\r') ? le - 1 : le; /* CRLF */
		const char *first = p;
		while (first < ce && (*first == ' ' || *first == '\t'))
			first++;
		struct tok t[MAX_TOKENS];
		size_t n = 0;
		if (first < ce && *first != '#' && tokenize(p, ce, t, &n) < 0)
			return perr(ps, "too many fields");
		p = nl ? nl + 1 : end;
		if (n == 0) { /* blank or comment */
			if (ps->line == 1)
				return perr(ps, "not a hugexec profile (the first line must be '%s %d')",
					    PROF_MAGIC, PROF_VERSION);
			continue;
		}
		if (!printable_keyword(&t[0]))
			return perr(ps, "unknown keyword");
		int r = one_line(ps, t, n);
		if (r < 0)
			return r;
	}
	if (ps->line == 0) {
		ps->line = 1;
		return perr(ps, "empty file");
	}
	if (!ps->seen_end)
		return perr(ps, "no 'end' line: the profile is truncated");
	return 0;
}

int prof_parse(const char *text, size_t len, const char *name, struct prof_profile *out,
	       struct hx_err *e)
{
	struct parser ps;
	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.out = out;
	ps.e = e;
	prof_init(out);
	int r = parse_lines(&ps, text, len);
	if (r == 0) /* close_object normalized each object already */
		sort_objects(out);
	free(ps.fline);
	free(ps.eline);
	free(ps.sline);
	if (r < 0)
		prof_free(out);
	return r;
}

/* The text (from a file, or read from fd when path is NULL), parsed. */
static int load(const char *path, int fd, const char *name, struct prof_profile *out,
		struct hx_err *e)
{
	char *text;
	size_t len;
	prof_init(out);
	int r = path ? hx_read_file(path, PROF_FILE_MAX, &text, &len)
		     : hx_read_fd(fd, PROF_FILE_MAX, &text, &len);
	if (r < 0)
		return hx_fail(e, r, "%s: %s", name,
			       r == -EFBIG ? "too big for a profile" : strerror(-r));
	r = prof_parse(text, len, name, out, e);
	free(text);
	return r;
}

int prof_load(const char *path, struct prof_profile *out, struct hx_err *e)
{
	return load(path, -1, path, out, e);
}

int prof_load_fd(int fd, const char *name, struct prof_profile *out, struct hx_err *e)
{
	return load(NULL, fd, name, out, e);
}

/* ---- merging and matching ------------------------------------------------ */

static struct prof_object *find_mut(struct prof_profile *p, const char *id)
{
	for (size_t i = 0; i < p->n_objs; i++)
		if (strcmp(p->objs[i].build_id, id) == 0)
			return &p->objs[i];
	return NULL;
}

static int merge_object(struct prof_profile *dst, const struct prof_object *s)
{
	struct prof_object *d = find_mut(dst, s->build_id);
	int r = 0;
	if (!d)
		r = prof_add_object(dst, s->build_id, s->path, 0, &d);
	if (r == 0)
		r = add_u64(&d->samples, s->samples);
	for (size_t i = 0; r == 0 && i < s->n_funcs; i++)
		r = prof_add_func(d, s->funcs[i].off, s->funcs[i].size, s->funcs[i].samples,
				  s->funcs[i].name);
	for (size_t i = 0; r == 0 && i < s->n_edges; i++)
		r = prof_add_edge(d, s->edges[i].caller, s->edges[i].callee, s->edges[i].weight);
	for (size_t i = 0; r == 0 && i < s->n_sedges; i++)
		r = prof_add_sedge(d, s->sedges[i].caller, s->sedges[i].callee);
	return r;
}

int prof_merge(struct prof_profile *dst, const struct prof_profile *src, struct hx_err *e)
{
	int r = add_u64(&dst->lost, src->lost);
	if (r == 0)
		r = add_u64(&dst->unattributed, src->unattributed);
	if (strcmp(dst->event, src->event) != 0)
		snprintf(dst->event, sizeof(dst->event), "mixed");
	for (size_t i = 0; r == 0 && i < src->n_objs; i++)
		r = merge_object(dst, &src->objs[i]);
	if (r == 0)
		r = prof_normalize(dst);
	uint64_t total;
	if (r == 0)
		r = prof_sum(dst, &total);
	if (r < 0)
		return hx_fail(e, r, "merging: %s", r == -EOVERFLOW ? "counts overflow" : strerror(-r));
	return 0;
}

bool prof_path_matches(const char *path, const char *name, const char *real)
{
	if (strcmp(path, name) == 0 || (real && strcmp(path, real) == 0))
		return true;
	if (name[0] == '/')
		return false;
	while (strncmp(name, "./", 2) == 0)
		name += 2;
	size_t pl = strlen(path), nl = strlen(name);
	return nl > 0 && nl < pl && path[pl - nl - 1] == '/' && strcmp(path + pl - nl, name) == 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

int prof_match_build_id(const struct prof_profile *p, const char *profile_name,
			const char *bin_path, const uint8_t *id, size_t len,
			const struct prof_object **out, struct hx_err *e)
{
	char hex[2 * PROF_BUILD_ID_MAX + 1];
	*out = NULL;
	if (len == 0 || len > PROF_BUILD_ID_MAX)
		return hx_fail(e, -ENODATA,
			       "%s has no build-id, so profile %s cannot be matched to it; not using it",
			       bin_path, profile_name);
	prof_hex(id, len, hex, sizeof(hex));
	const struct prof_object *o = prof_find(p, hex);
	if (o) {
		*out = o;
		return 0;
	}
	for (size_t i = 0; i < p->n_objs; i++) {
		const struct prof_object *s = &p->objs[i];
		if (strcmp(s->path, bin_path) == 0 ||
		    strcmp(base_name(s->path), base_name(bin_path)) == 0)
			return hx_fail(e, -ESTALE,
				       "profile %s is stale: it was recorded for build-id %s of %s, "
				       "but %s is build-id %s; not using it",
				       profile_name, s->build_id, s->path, bin_path, hex);
	}
	return hx_fail(e, -ENOENT, "profile %s has no data for %s (build-id %s); not using it",
		       profile_name, bin_path, hex);
}

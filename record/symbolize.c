/*
 * symbolize.c - the sandboxed symbolizer and the work it does.
 *
 * The child is a fork of the recorder (or importer), so the raw samples are
 * already in its memory; only ELF files are read, through descriptors the
 * parent opened. Nothing in the child may open files or translate error
 * messages (strerror can load a locale): the sandbox would kill it.
 * Must never: let the parent use the child's output without parsing it.
 */
#define _GNU_SOURCE
#include "symbolize.h"
#include "../common/child.h"
#include "../common/sandbox.h"
#include "callsite.h"
#include "../common/elfsyms.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes of code looked at before a return address: the longest call is
 * 7 bytes plus prefixes. */
#define CALL_WINDOW 15
/* Bytes of one function decoded for its static calls, at most: bigger
 * functions are machine-made tables more often than code worth laying out. */
#define MAX_DECODE ((size_t)1 << 20)
#define MAX_NOTES_BYTES 4096

struct sobj {
	struct hx_elfsyms s;
	bool usable;
	uint64_t samples;
	uint64_t *fsamples; /* per s.funcs */
	bool *listed;       /* goes into the profile: has samples or calls */
	struct prof_edge *edges;
	size_t n_edges, cap_edges;
};

struct ctx {
	const struct rec_raw *raw;
	struct sobj *o; /* per raw object, 0-based */
	uint64_t unattributed;
	char notes[MAX_NOTES_BYTES];
	size_t notes_len;
};

static void note(struct ctx *c, const char *fmt, ...) HX_PRINTF(2, 3);
static void note(struct ctx *c, const char *fmt, ...)
{
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	if (c->notes_len + n + 10 >= sizeof(c->notes))
		return;
	memcpy(c->notes + c->notes_len, "# note: ", 8);
	memcpy(c->notes + c->notes_len + 8, line, n);
	c->notes_len += n + 9;
	c->notes[c->notes_len - 1] = '\n';
}

static int open_objects(struct ctx *c)
{
	const struct rec_raw *raw = c->raw;
	c->o = calloc(raw->n_objs ? raw->n_objs : 1, sizeof(*c->o));
	if (!c->o)
		return -ENOMEM;
	for (size_t i = 0; i < raw->n_objs; i++) {
		const struct rec_obj *ro = &raw->objs[i];
		struct sobj *so = &c->o[i];
		if (ro->fd < 0) {
			note(c, "%s: not symbolized: %s", ro->path, ro->why);
			continue;
		}
		int r = hx_elfsyms_read(ro->fd, &so->s);
		if (r < 0)
			return r;
		if (!so->s.elf.usable) {
			note(c, "%s: not symbolized: %s", ro->path, so->s.elf.why);
			continue;
		}
		if (so->s.elf.build_id_len == 0) {
			note(c, "%s has no build-id, so its samples cannot be keyed (link with --build-id)",
			     ro->path);
			continue;
		}
		so->fsamples = calloc(so->s.n_funcs + 1, sizeof(*so->fsamples));
		so->listed = calloc(so->s.n_funcs + 1, sizeof(*so->listed));
		if (!so->fsamples || !so->listed)
			return -ENOMEM;
		so->usable = true;
	}
	return 0;
}

/* loc -> (object index, file offset). -ESRCH: no usable object;
 * -ENOENT: the object, but no known offset. */
static int resolve(const struct ctx *c, const struct rec_loc *l, size_t *oi, uint64_t *off)
{
	if (l->obj == REC_NO_OBJ || l->obj > c->raw->n_objs || !c->o[l->obj - 1].usable)
		return -ESRCH;
	*oi = l->obj - 1;
	if (l->name == REC_NAME_OFF) {
		*off = l->val;
		return 0;
	}
	const char *name = rec_raw_name_str(c->raw, l->name);
	uint64_t base;
	if (!name || hx_elfsyms_byname(&c->o[*oi].s, name, &base) < 0 || l->val > UINT64_MAX - base)
		return -ENOENT;
	*off = base + l->val;
	return 0;
}

enum verdict { V_NEXT, V_STOP, V_CALLER };

/*
 * Is the frame-pointer chain's first link the callee's own return address?
 * Only if the callee keeps a frame (push %rbp, then mov %rsp,%rbp within
 * its first bytes, after an optional endbr64), the sample is past that
 * prologue, and not on the final ret (rbp is the caller's again there).
 * Otherwise the link belongs to the caller's frame and names the caller's
 * caller: the "skipped frame" that misattributes arcs (layout.md 1.3).
 */
static bool fp_link_valid(const struct hx_elfsyms *s, const struct hx_func *f, uint64_t ip_off)
{
	uint8_t b[24], at[2];
	size_t n = hx_elfsyms_code_at(s, f->off, b, sizeof(b)), i = 0;
	if (n >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		i = 4; /* endbr64 */
	if (i >= n || b[i] != 0x55)
		return false;
	size_t end = 0;
	for (size_t k = i + 1; k + 3 <= n && !end; k++)
		if (b[k] == 0x48 && ((b[k + 1] == 0x89 && b[k + 2] == 0xe5) ||
				     (b[k + 1] == 0x8b && b[k + 2] == 0xec)))
			end = k + 3;
	if (!end || ip_off < f->off + end)
		return false;
	size_t m = hx_elfsyms_code_at(s, ip_off, at, sizeof(at));
	return !(m >= 1 && at[0] == 0xc3) && !(m >= 2 && at[0] == 0xf3 && at[1] == 0xc3);
}

/* Is candidate l (the fp-chain link when fp_link) the return address of a
 * call to callee, sampled at ip_off in object ci? */
static enum verdict judge(const struct ctx *c, const struct rec_loc *l, size_t ci,
			  const struct hx_func *callee, uint64_t ip_off, bool fp_link,
			  const struct hx_func **caller)
{
	size_t oi;
	uint64_t off, va, tgt_off;
	if (resolve(c, l, &oi, &off) < 0 || off == 0)
		return V_NEXT;
	if (fp_link && !fp_link_valid(&c->o[ci].s, callee, ip_off))
		return V_NEXT;
	const struct hx_elfsyms *s = &c->o[oi].s;
	uint8_t code[CALL_WINDOW];
	size_t n = hx_elfsyms_code_before(s, off, code, sizeof(code));
	int32_t rel = 0;
	enum rec_call_kind k = rec_callsite(code, n, &rel);
	if (k == REC_CALL_NONE)
		return V_NEXT;
	if (k == REC_CALL_DIRECT && oi == ci && hx_elfsyms_off_to_vaddr(s, off, &va) == 0 &&
	    hx_elfsyms_vaddr_to_off(s, va + (uint64_t)(int64_t)rel, &tgt_off) == 0) {
		const struct hx_func *t = hx_elfsyms_find(s, tgt_off);
		if (t && t != callee)
			return V_NEXT; /* calls something else: a frame was skipped */
	}
	if (oi != ci)
		return V_STOP; /* a real caller, but in another object */
	*caller = hx_elfsyms_find(s, off - 1);
	return *caller ? V_CALLER : V_STOP;
}

static int add_edge(struct sobj *so, uint64_t a, uint64_t b, uint64_t w)
{
	if (so->n_edges == so->cap_edges) {
		size_t nc = so->cap_edges ? so->cap_edges * 2 : 64;
		struct prof_edge *n = realloc(so->edges, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		so->edges = n;
		so->cap_edges = nc;
	}
	so->edges[so->n_edges++] = (struct prof_edge){a, b, w};
	return 0;
}

struct caller {
	struct sobj *so;
	struct prof_object *po; /* gets the static calls */
	const struct hx_func *f;
};

/* A direct call in f's code to address target: a static call if target is
 * the entry of another function of the object (not the PLT, not the middle
 * of a function, not f itself). */
static int on_call_target(void *arg, uint64_t target)
{
	const struct caller *x = arg;
	const struct hx_elfsyms *s = &x->so->s;
	uint64_t off;
	if (hx_elfsyms_vaddr_to_off(s, target, &off) < 0)
		return 0;
	const struct hx_func *t = hx_elfsyms_find(s, off);
	if (!t || t->off != off || t == x->f)
		return 0;
	x->so->listed[t - s->funcs] = true;
	return prof_add_sedge(x->po, x->f->off, t->off);
}

/* The static calls of every sampled function of so, into po: its code,
 * decoded. Their callees become listed. */
static int static_calls(struct sobj *so, struct prof_object *po)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	int r = 0;
	for (size_t k = 0; k < so->s.n_funcs && r == 0; k++) {
		const struct hx_func *f = &so->s.funcs[k];
		uint64_t want = f->size ? f->size : f->extent, va;
		if (!so->fsamples[k] || want == 0 || hx_elfsyms_off_to_vaddr(&so->s, f->off, &va) < 0)
			continue;
		size_t len = want < MAX_DECODE ? (size_t)want : MAX_DECODE;
		if (len > cap) {
			uint8_t *nb = realloc(buf, len);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap = len;
		}
		size_t n = hx_elfsyms_code_at(&so->s, f->off, buf, len);
		struct caller x = {so, po, f};
		r = rec_direct_calls(buf, n, va, on_call_target, &x);
	}
	free(buf);
	return r;
}

static int one_key(struct ctx *c, const struct rec_slot *sl)
{
	size_t oi;
	uint64_t off;
	int r = resolve(c, &sl->k.ip, &oi, &off);
	if (r == -ESRCH) {
		c->unattributed += sl->count;
		return 0;
	}
	struct sobj *so = &c->o[oi];
	so->samples += sl->count;
	const struct hx_func *f = r == 0 ? hx_elfsyms_find(&so->s, off) : NULL;
	if (!f)
		return 0;
	size_t fi = (size_t)(f - so->s.funcs);
	so->fsamples[fi] += sl->count;
	so->listed[fi] = true;
	for (size_t i = 0; i < REC_CANDS; i++) {
		const struct hx_func *caller = NULL;
		/* cand[REC_CANDS - 1] is the frame-pointer link (rawprof.h) */
		enum verdict v = judge(c, &sl->k.cand[i], oi, f, off, i == REC_CANDS - 1, &caller);
		if (v == V_STOP)
			break;
		if (v == V_CALLER) {
			so->listed[caller - so->s.funcs] = true;
			return add_edge(so, caller->off, f->off, sl->count);
		}
	}
	return 0;
}

static int emit_object(struct ctx *c, size_t i, struct prof_profile *out)
{
	struct sobj *so = &c->o[i];
	struct prof_profile one;
	struct prof_object *po;
	char id[2 * PROF_BUILD_ID_MAX + 1];
	prof_init(&one);
	prof_hex(so->s.elf.build_id, so->s.elf.build_id_len, id, sizeof(id));
	int r = prof_add_object(&one, id, c->raw->objs[i].path, so->samples, &po);
	if (r == 0) /* first: the functions called get listed */
		r = static_calls(so, po);
	for (size_t k = 0; r == 0 && k < so->s.n_funcs; k++)
		if (so->listed[k])
			r = prof_add_func(po, so->s.funcs[k].off, so->s.funcs[k].size, so->fsamples[k],
					  so->s.funcs[k].name);
	for (size_t k = 0; r == 0 && k < so->n_edges; k++)
		r = prof_add_edge(po, so->edges[k].caller, so->edges[k].callee, so->edges[k].weight);
	/* merging keys by build-id: one file seen under two paths is one object */
	if (r == 0)
		r = prof_merge(out, &one, NULL);
	prof_free(&one);
	return r;
}

static int build_profile(struct ctx *c, struct prof_profile *out)
{
	const struct rec_raw *raw = c->raw;
	snprintf(out->event, sizeof(out->event), "%s", raw->event);
	for (size_t i = 0; i < raw->cap_slots; i++) {
		if (!raw->slots[i].count)
			continue;
		int r = one_key(c, &raw->slots[i]);
		if (r < 0)
			return r;
	}
	int r = 0;
	for (size_t i = 0; r == 0 && i < raw->n_objs; i++)
		if (c->o[i].usable && c->o[i].samples)
			r = emit_object(c, i, out);
	/* after the merges, which would otherwise add these up again */
	snprintf(out->event, sizeof(out->event), "%s", raw->event);
	out->lost = raw->lost;
	out->unattributed = raw->unattributed + c->unattributed;
	return r;
}

int rec_symbolize_text(const struct rec_raw *raw, char **text, size_t *len)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->raw = raw;
	struct prof_profile p;
	prof_init(&p);
	int r = open_objects(c);
	if (r == 0)
		r = build_profile(c, &p);
	char *t = NULL;
	size_t n = 0;
	if (r == 0)
		r = prof_format(&p, &t, &n);
	if (r == 0 && c->notes_len) {
		char *nt = realloc(t, n + c->notes_len + 1);
		if (!nt) {
			r = -ENOMEM;
		} else {
			t = nt;
			memcpy(t + n, c->notes, c->notes_len);
			n += c->notes_len;
			t[n] = '\0';
		}
	}
	if (r == 0) {
		*text = t;
		*len = n;
	} else {
		free(t);
	}
	prof_free(&p);
	for (size_t i = 0; c->o && i < raw->n_objs; i++) {
		hx_elfsyms_free(&c->o[i].s);
		free(c->o[i].fsamples);
		free(c->o[i].listed);
		free(c->o[i].edges);
	}
	free(c->o);
	free(c);
	return r;
}

/* ---- the sandboxed child ------------------------------------------------- */

/* Exit codes of the child, for the parent's message. */
enum { CHILD_OK = 0, CHILD_NOMEM = 1, CHILD_SANDBOX = 2, CHILD_WORK = 3, CHILD_WRITE = 4 };

/* In the symbolizer process (descriptors already trimmed to the ELF files
 * and the output pipe): sandbox first, then read the files. */
static int child_work(void *arg, int in_fd, int out_fd)
{
	const struct rec_raw *raw = arg;
	(void)in_fd;
	struct hx_err e;
	if (hp_sandbox_enter(out_fd, &e) < 0)
		return CHILD_SANDBOX;
	char *text;
	size_t len;
	int r = rec_symbolize_text(raw, &text, &len);
	if (r < 0)
		return r == -ENOMEM ? CHILD_NOMEM : CHILD_WORK;
	return hx_write_all(out_fd, text, len) == 0 ? CHILD_OK : CHILD_WRITE;
}

/* The "# note: " lines after "end", made printable, one per line. */
static char *take_notes(const char *text, size_t len)
{
	const char *end = text + len, *p = text;
	char *out = calloc(1, MAX_NOTES_BYTES + 1);
	size_t w = 0;
	if (!out)
		return NULL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le - p > 8 && memcmp(p, "# note: ", 8) == 0)
			for (const char *q = p + 8; q <= le && w < MAX_NOTES_BYTES; q++)
				out[w++] = q == le ? '\n' : (*q >= 0x20 && *q < 0x7f) ? *q : '?';
		p = nl ? nl + 1 : end;
	}
	if (w == 0) {
		free(out);
		return NULL;
	}
	return out;
}

int rec_symbolize(const struct rec_raw *raw, struct prof_profile *out, char **notes,
		  struct hx_err *e)
{
	static const char *const why[] = {"", "out of memory", "could not enter its sandbox",
					  "failed", "could not write its output"};
	*notes = NULL;
	prof_init(out);
	int *keep = calloc(raw->n_objs + 1, sizeof(int));
	if (!keep)
		return hx_fail(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < raw->n_objs; i++)
		keep[i] = raw->objs[i].fd;
	struct hx_child c = {
		.who = "symbolizer",
		.keep = keep,
		.n_keep = raw->n_objs,
		.work = child_work,
		.arg = (void *)raw,
		.max_output = PROF_FILE_MAX,
		.timeout_ms = (uint64_t)REC_SYMBOLIZE_TIMEOUT_S * 1000,
		.exit_why = why,
		.n_exit_why = HX_ARRAY_LEN(why),
	};
	uint8_t *text = NULL;
	size_t len = 0;
	int r = hx_child_run(&c, &text, &len, e);
	free(keep);
	if (r == 0) {
		r = prof_parse((const char *)text, len, "symbolizer output", out, e);
		if (r == 0)
			*notes = take_notes((const char *)text, len);
	}
	free(text);
	return r;
}

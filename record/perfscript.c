/*
 * perfscript.c - `perf script` text to raw samples.
 *
 * Line kinds: a line starting with a tab is a call-chain frame of the
 * current sample; a blank line ends a sample; any other line starts a new
 * sample, and carries its only frame at the end when perf ran without -g.
 * A frame is "ADDR SYM[+0xOFF] (DSO)"; the DSO is the last parenthesized
 * group (found by matching parentheses backwards, so "(/x (deleted))" and
 * C++ names with parentheses work).
 * Must never: read outside [text, text+len).
 */
#define _GNU_SOURCE
#include "perfscript.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 4096

struct span {
	const char *s;
	size_t n;
};

struct frame {
	bool ok;
	struct span sym; /* without +0xOFF */
	bool has_off;
	uint64_t off;
	struct span dso;
	uint64_t addr;
};

struct ps {
	const char *name;
	size_t line;
	struct rec_raw *raw;
	struct prof_ps_stats *st;
	struct hx_err *e;
	bool in_sample;
	size_t n_frames;
	struct frame f[2]; /* leaf and caller */
	char event[64];
	bool mixed;
};

static int perr(struct ps *p, const char *fmt, ...) HX_PRINTF(2, 3);
static int perr(struct ps *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hx_fail(p->e, -EINVAL, "%s:%zu: %s", p->name, p->line, msg);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(struct span x)
{
	while (x.n && blank(*x.s)) {
		x.s++;
		x.n--;
	}
	while (x.n && (blank(x.s[x.n - 1]) || x.s[x.n - 1] == '\r'))
		x.n--;
	return x;
}

static bool parse_hex(struct span x, uint64_t *v)
{
	if (x.n > 2 && x.s[0] == '0' && x.s[1] == 'x') {
		x.s += 2;
		x.n -= 2;
	}
	if (x.n == 0 || x.n > 16)
		return false;
	uint64_t r = 0;
	for (size_t i = 0; i < x.n; i++) {
		char c = x.s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		r = r << 4 | d;
	}
	*v = r;
	return true;
}

/* "SYM+0xOFF" or "SYM" or "[unknown]" into f. */
static void split_sym(struct span sym, struct frame *f)
{
	f->sym = sym;
	f->has_off = false;
	for (size_t i = sym.n; i-- > 0;) {
		if (sym.s[i] != '+')
			continue;
		struct span off = {sym.s + i + 1, sym.n - i - 1};
		if (off.n > 2 && off.s[0] == '0' && off.s[1] == 'x' && parse_hex(off, &f->off)) {
			f->sym.n = i;
			f->has_off = true;
		}
		break;
	}
	if (f->sym.n == 9 && memcmp(f->sym.s, "[unknown]", 9) == 0)
		f->sym.n = 0;
}

/* Parse "... ADDR SYM (DSO)" at the end of x. With whole, x must be just
 * the frame; otherwise the address is the first hex word after the last
 * word that ends in ':' (the event name), or the first word. */
static bool parse_frame(struct span x, bool whole, struct frame *f)
{
	memset(f, 0, sizeof(*f));
	x = trim(x);
	if (x.n < 4 || x.s[x.n - 1] != ')')
		return false;
	size_t depth = 0, open = SIZE_MAX;
	for (size_t i = x.n; i-- > 0;) {
		if (x.s[i] == ')')
			depth++;
		else if (x.s[i] == '(' && --depth == 0) {
			open = i;
			break;
		}
	}
	if (open == SIZE_MAX || open == 0 || x.s[open - 1] != ' ')
		return false;
	f->dso = (struct span){x.s + open + 1, x.n - open - 2};
	struct span head = trim((struct span){x.s, open});
	size_t start = 0;
	if (!whole) /* skip the header fields: after the last "word:" */
		for (size_t i = 0; i + 1 < head.n; i++)
			if (head.s[i] == ':' && blank(head.s[i + 1]))
				start = i + 1;
	head = trim((struct span){head.s + start, head.n - start});
	size_t sp = 0;
	while (sp < head.n && !blank(head.s[sp]))
		sp++;
	if (!parse_hex((struct span){head.s, sp}, &f->addr))
		return false;
	split_sym(trim((struct span){head.s + sp, head.n - sp}), f);
	f->ok = true;
	return true;
}

/* The event name: the last word ending in ':' that is not the time. */
static void note_event(struct ps *p, struct span line)
{
	struct span ev = {NULL, 0};
	size_t i = 0;
	while (i < line.n) {
		while (i < line.n && blank(line.s[i]))
			i++;
		size_t b = i;
		while (i < line.n && !blank(line.s[i]))
			i++;
		bool timeish = true; /* "1569.187188:" is the time */
		for (size_t k = b; k + 1 < i; k++)
			timeish = timeish && ((line.s[k] >= '0' && line.s[k] <= '9') || line.s[k] == '.');
		if (i - b >= 2 && line.s[i - 1] == ':' && !timeish)
			ev = (struct span){line.s + b, i - b - 1};
	}
	if (!ev.n || ev.n >= sizeof(p->event))
		return;
	if (!p->event[0])
		memcpy(p->event, ev.s, ev.n);
	else if (strlen(p->event) != ev.n || memcmp(p->event, ev.s, ev.n) != 0)
		p->mixed = true;
}

static bool is_kernel(const struct frame *f)
{
	return f->addr >= 0xffff800000000000ull ||
	       (f->dso.n >= 8 && memcmp(f->dso.s, "[kernel.", 8) == 0);
}

static bool is_file(const struct frame *f)
{
	return f->dso.n > 1 && f->dso.s[0] == '/';
}

static int copy_span(struct span x, char *buf, size_t size)
{
	if (x.n >= size || memchr(x.s, '\0', x.n))
		return -ENAMETOOLONG;
	memcpy(buf, x.s, x.n);
	buf[x.n] = '\0';
	return 0;
}

/* Frame f as a rec_loc: the object (added on first sight) and symbol. */
static int locate(struct ps *p, const struct frame *f, bool need_off, struct rec_loc *l)
{
	char path[MAX_NAME], sym[MAX_NAME];
	memset(l, 0, sizeof(*l));
	if (!f->ok || is_kernel(f) || !is_file(f) || copy_span(f->dso, path, sizeof(path)) < 0)
		return 0;
	uint32_t obj = rec_raw_object_by_path(p->raw, path);
	int r = 0;
	if (!obj)
		r = rec_raw_add_object(p->raw, path, -1, 0, 0, 0, "not opened", &obj);
	if (r < 0)
		return r;
	l->obj = obj;
	l->name = REC_NAME_UNKNOWN;
	if (!f->sym.n || (need_off && !f->has_off) || copy_span(f->sym, sym, sizeof(sym)) < 0)
		return 0;
	r = rec_raw_name(p->raw, sym, &l->name);
	l->val = f->has_off ? f->off : 0;
	return r;
}

static int end_sample(struct ps *p)
{
	if (!p->in_sample)
		return 0;
	p->in_sample = false;
	if (p->n_frames == 0)
		return 0; /* a header without frames (an event perf could not resolve) */
	p->st->samples++;
	const struct frame *leaf = &p->f[0];
	struct rec_key k;
	memset(&k, 0, sizeof(k));
	int r = locate(p, leaf, false, &k.ip);
	if (r == 0 && p->n_frames > 1)
		r = locate(p, &p->f[1], true, &k.cand[REC_CANDS - 1]);
	if (r < 0)
		return hx_fail(p->e, r, "%s: out of memory", p->name);
	if (is_kernel(leaf))
		p->st->kernel++;
	else if (k.ip.obj == REC_NO_OBJ)
		p->st->no_object++;
	else if (k.ip.name == REC_NAME_UNKNOWN)
		p->st->no_symbol++;
	if (k.ip.name == REC_NAME_UNKNOWN || !leaf->has_off)
		memset(k.cand, 0, sizeof(k.cand)); /* nothing to check a caller against */
	r = rec_raw_add(p->raw, &k, 1);
	return r < 0 ? hx_fail(p->e, r, "%s: out of memory", p->name) : 0;
}

static void add_frame(struct ps *p, const struct frame *f)
{
	if (p->n_frames < 2)
		p->f[p->n_frames] = *f;
	p->n_frames++;
}

static int one_line(struct ps *p, struct span line)
{
	struct frame f;
	if (trim(line).n == 0)
		return end_sample(p);
	if (line.s[0] == '\t') {
		if (!p->in_sample)
			return perr(p, "a call-chain frame before any sample line");
		if (!parse_frame(line, true, &f))
			return perr(p, "not a call-chain frame ('ADDR SYM+0xOFF (DSO)')");
		add_frame(p, &f);
		return 0;
	}
	int r = end_sample(p);
	if (r < 0)
		return r;
	p->in_sample = true;
	p->n_frames = 0;
	note_event(p, line);
	if (parse_frame(line, false, &f))
		add_frame(p, &f);
	return 0;
}

int prof_perfscript_parse(const char *text, size_t len, const char *name, struct rec_raw *raw,
			  struct prof_ps_stats *st, struct hx_err *e)
{
	struct ps p;
	memset(&p, 0, sizeof(p));
	memset(st, 0, sizeof(*st));
	p.name = name;
	p.raw = raw;
	p.st = st;
	p.e = e;
	const char *s = text, *end = text + len;
	int r = 0;
	while (s < end && r == 0) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		p.line++;
		if (memchr(s, '\0', (size_t)(le - s)))
			return perr(&p, "NUL byte: not perf script text");
		r = one_line(&p, (struct span){s, (size_t)(le - s)});
		s = nl ? nl + 1 : end;
	}
	if (r == 0)
		r = end_sample(&p);
	if (r < 0)
		return r;
	if (st->samples == 0)
		return hx_fail(e, -EINVAL, "%s: no samples found (is it the output of `perf script`?)",
			       name);
	snprintf(raw->event, sizeof(raw->event), "%s", p.mixed ? "mixed" : p.event);
	return 0;
}

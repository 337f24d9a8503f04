/*
 * maps.c - parse /proc/PID/maps and /proc/PID/smaps.
 *
 * Header line:  start-end perms offset major:minor inode   [path]
 * smaps adds "Key:   N kB" and "VmFlags: xx yy" lines after each header.
 * The kernel prints addresses in lower-case hex; smaps keys start with an
 * upper-case letter, which is how the two kinds of line are told apart.
 * Must never: accept a malformed header, or let a path escape the copy.
 */
#define _GNU_SOURCE
#include "maps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static bool is_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Parse lower-case hex at *p up to a non-hex char; at most 16 digits. */
static int parse_hex(char **p, uint64_t *out)
{
	char *s = *p;
	uint64_t v = 0;
	int n = 0;
	while (is_lhex(*s)) {
		if (++n > 16)
			return -EINVAL;
		v = (v << 4) | (uint64_t)hexval(*s++);
	}
	if (n == 0)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int parse_dec(char **p, uint64_t *out)
{
	char *s = *p;
	uint64_t v = 0;
	int n = 0;
	while (*s >= '0' && *s <= '9') {
		if (++n > 20 || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	if (n == 0)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int expect(char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static enum hx_vma_kind classify(const struct hx_vma *v)
{
	const char *p = v->path;
	if (v->inode != 0)
		return HX_VMA_FILE;
	if (p[0] == '\0')
		return HX_VMA_ANON;
	if (strcmp(p, "[heap]") == 0)
		return HX_VMA_HEAP;
	if (strcmp(p, "[stack]") == 0)
		return HX_VMA_STACK;
	if (strcmp(p, "[vdso]") == 0)
		return HX_VMA_VDSO;
	if (strncmp(p, "[vvar", 5) == 0)
		return HX_VMA_VVAR;
	if (strcmp(p, "[vsyscall]") == 0)
		return HX_VMA_VSYSCALL;
	if (strncmp(p, "[anon:", 6) == 0)
		return HX_VMA_ANON_NAMED;
	return HX_VMA_SPECIAL;
}

/* line is NUL-terminated (the newline replaced). */
static int parse_header(char *line, struct hx_vma *v)
{
	char *p = line;
	uint64_t maj, min;
	memset(v, 0, sizeof(*v));
	if (parse_hex(&p, &v->start) || expect(&p, '-') || parse_hex(&p, &v->end) ||
	    expect(&p, ' '))
		return -EINVAL;
	if (v->start >= v->end || !hx_is_aligned(v->start, HX_PAGE) ||
	    !hx_is_aligned(v->end, HX_PAGE))
		return -EINVAL;
	static const char want[4][2] = {{'r', '-'}, {'w', '-'}, {'x', '-'}, {'p', 's'}};
	static const uint32_t bit[3] = {PROT_READ, PROT_WRITE, PROT_EXEC};
	for (int i = 0; i < 4; i++, p++) {
		if (*p != want[i][0] && *p != want[i][1])
			return -EINVAL;
		if (i < 3 && *p == want[i][0])
			v->prot |= bit[i];
		if (i == 3)
			v->shared = (*p == 's');
	}
	if (expect(&p, ' ') || parse_hex(&p, &v->offset) || expect(&p, ' ') ||
	    parse_hex(&p, &maj) || expect(&p, ':') || parse_hex(&p, &min) ||
	    expect(&p, ' ') || parse_dec(&p, &v->inode))
		return -EINVAL;
	if (maj > UINT32_MAX || min > UINT32_MAX)
		return -EINVAL;
	v->dev_major = (uint32_t)maj;
	v->dev_minor = (uint32_t)min;
	if (*p != '\0' && *p != ' ')
		return -EINVAL;
	while (*p == ' ')
		p++;
	size_t plen = strlen(p);
	static const char del[] = " (deleted)";
	if (plen >= sizeof(del) - 1 && strcmp(p + plen - (sizeof(del) - 1), del) == 0) {
		p[plen - (sizeof(del) - 1)] = '\0';
		v->deleted = true;
	}
	v->path = p;
	v->kind = classify(v);
	return 0;
}

static void parse_vmflags(const char *s, struct hx_vma *v)
{
	for (; s[0] && s[1]; s++) {
		if (s[0] == ' ')
			continue;
		if (s[0] == 'h' && s[1] == 'g')
			v->vmflags |= HX_VMF_HG;
		else if (s[0] == 'n' && s[1] == 'h')
			v->vmflags |= HX_VMF_NH;
		else if (s[0] == 'h' && s[1] == 't')
			v->vmflags |= HX_VMF_HT;
		s++; /* two-letter codes separated by spaces */
	}
}

/* "Key:   123 kB" lines; unknown keys are ignored. */
static int parse_counter(char *line, struct hx_vma *v)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{"Rss:", offsetof(struct hx_vma, rss_kb)},
		{"Anonymous:", offsetof(struct hx_vma, anonymous_kb)},
		{"Swap:", offsetof(struct hx_vma, swap_kb)},
		{"AnonHugePages:", offsetof(struct hx_vma, anon_huge_kb)},
		{"FilePmdMapped:", offsetof(struct hx_vma, file_pmd_kb)},
		{"Shared_Hugetlb:", offsetof(struct hx_vma, shared_hugetlb_kb)},
		{"Private_Hugetlb:", offsetof(struct hx_vma, private_hugetlb_kb)},
	};
	v->has_smaps = true;
	if (strncmp(line, "VmFlags:", 8) == 0) {
		parse_vmflags(line + 8, v);
		return 0;
	}
	for (size_t i = 0; i < HX_ARRAY_LEN(keys); i++) {
		size_t kl = strlen(keys[i].key);
		if (strncmp(line, keys[i].key, kl) != 0)
			continue;
		char *p = line + kl;
		while (*p == ' ')
			p++;
		uint64_t val;
		if (parse_dec(&p, &val) || strcmp(p, " kB") != 0)
			return -EINVAL;
		memcpy((char *)v + keys[i].off, &val, sizeof(val));
		return 0;
	}
	return 0;
}

int hx_vmas_parse(const char *text, size_t len, struct hx_vmas *out)
{
	memset(out, 0, sizeof(*out));
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) { /* embedded NUL: not kernel text */
		free(buf);
		return -EINVAL;
	}
	size_t cap = 64;
	struct hx_vma *v = malloc(cap * sizeof(*v));
	if (!v) {
		free(buf);
		return -ENOMEM;
	}
	size_t n = 0;
	int r = 0;
	char *line = buf;
	while (*line) {
		char *nl = strchr(line, '\n');
		char *next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		char *dash = line;
		while (is_lhex(*dash))
			dash++;
		if (dash > line && *dash == '-') {
			if (n == cap) {
				struct hx_vma *nv = realloc(v, 2 * cap * sizeof(*v));
				if (!nv) { r = -ENOMEM; break; }
				v = nv;
				cap *= 2;
			}
			if ((r = parse_header(line, &v[n])) < 0)
				break;
			if (n > 0 && v[n].start < v[n - 1].end) { r = -EINVAL; break; }
			n++;
		} else if (*line >= 'A' && *line <= 'Z' && n > 0) {
			if ((r = parse_counter(line, &v[n - 1])) < 0)
				break;
		} else if (*line != '\0') {
			r = -EINVAL;
			break;
		}
		line = next;
	}
	if (r < 0) {
		free(v);
		free(buf);
		return r;
	}
	out->v = v;
	out->n = n;
	out->text = buf;
	return 0;
}

void hx_vmas_free(struct hx_vmas *m)
{
	if (!m)
		return;
	free(m->v);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

int hx_vmas_read(pid_t pid, bool with_counters, struct hx_vmas *out, struct hx_err *e)
{
	char path[64], *text;
	size_t len;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, with_counters ? "smaps" : "maps");
	int r = hx_read_file(path, 256u << 20, &text, &len);
	if (r < 0)
		return hx_fail(e, r, "read %s: %s", path, strerror(-r));
	r = hx_vmas_parse(text, len, out);
	free(text);
	if (r < 0)
		return hx_fail(e, r, "parse %s: %s", path, strerror(-r));
	return 0;
}

const struct hx_vma *hx_vmas_find(const struct hx_vmas *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

uint64_t hx_vma_huge_bytes(const struct hx_vma *v)
{
	return (v->anon_huge_kb + v->file_pmd_kb + v->shared_hugetlb_kb +
		v->private_hugetlb_kb) * 1024;
}

bool hx_vma_of_file(const struct hx_vma *v, uint32_t dev_major, uint32_t dev_minor,
		    uint64_t inode)
{
	return v->inode == inode && v->dev_major == dev_major && v->dev_minor == dev_minor;
}

bool hx_vma_same_file(const struct hx_vma *a, const struct hx_vma *b)
{
	return a && b && hx_vma_of_file(a, b->dev_major, b->dev_minor, b->inode);
}

bool hx_vma_clean(const struct hx_vma *v)
{
	return v->has_smaps && v->anonymous_kb == 0 && v->swap_kb == 0;
}

bool hx_vma_is_text(const struct hx_vma *v)
{
	return v->kind == HX_VMA_FILE && !v->shared && v->prot == (PROT_READ | PROT_EXEC);
}

bool hx_vmas_range_free(const struct hx_vmas *m, uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (hx_overlaps(addr, len, m->v[i].start, m->v[i].end - m->v[i].start))
			return false;
	return true;
}

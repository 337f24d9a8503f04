/*
 * ehframe.c - .eh_frame records (LSB "Exception Frames"; the encodings are
 * libgcc's unwind-pe.h). Only what compilers emit for x86-64 is taken:
 * CIE versions 1 and 3, augmentations z, R, L, P, S, and pointers that are
 * absolute or pc-relative, 2, 4 or 8 bytes wide. Anything else makes the
 * record unreadable, and its function is then neither bounded by it nor
 * moved.
 */
#include "ehframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int uleb(const uint8_t *b, size_t end, size_t *at, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0; *at < end && shift < 64; shift += 7) {
		uint8_t c = b[(*at)++];
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -EINVAL;
}

static int sleb(const uint8_t *b, size_t end, size_t *at, int64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0; *at < end && shift < 64;) {
		uint8_t c = b[(*at)++];
		r |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
		if (!(c & 0x80)) {
			if (shift < 64 && (c & 0x40))
				r |= ~(uint64_t)0 << shift;
			*v = (int64_t)r;
			return 0;
		}
	}
	return -EINVAL;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Width of a pointer in encoding enc, or 0 if we do not take it. */
static size_t enc_width(uint8_t enc)
{
	if ((enc & 0x70) != 0 && (enc & 0x70) != HX_DW_EH_PE_pcrel)
		return 0; /* datarel, textrel, funcrel, aligned: not on x86-64 Linux */
	switch (enc & 0x0f) {
	case 0x00: /* absptr */
	case 0x04: /* udata8 */
	case 0x0c: /* sdata8 */
		return 8;
	case 0x03: /* udata4 */
	case 0x0b: /* sdata4 */
		return 4;
	case 0x02:
	case 0x0a:
		return 2;
	default: /* leb128 pointers: legal, never emitted for code addresses */
		return 0;
	}
}

int hx_eh_get(const uint8_t *buf, size_t size, uint64_t base, size_t off, uint8_t enc,
	      uint64_t *v, size_t *len)
{
	size_t w = enc_width(enc & (uint8_t)~HX_DW_EH_PE_indirect);
	if (!w || off > size || size - off < w)
		return -EINVAL;
	uint64_t raw = 0;
	memcpy(&raw, buf + off, w);
	bool sign = (enc & 0x08) != 0;
	if (sign && w < 8 && (raw >> (8 * w - 1)) & 1)
		raw |= ~(uint64_t)0 << (8 * w);
	if ((enc & 0x70) == HX_DW_EH_PE_pcrel)
		raw += base + off;
	*v = raw;
	*len = w;
	return 0;
}

int hx_eh_put(uint8_t *dst, size_t room, uint8_t enc, uint64_t at, uint64_t v)
{
	size_t w = enc_width(enc & (uint8_t)~HX_DW_EH_PE_indirect);
	if (!w || room < w)
		return -EINVAL;
	uint64_t raw = (enc & 0x70) == HX_DW_EH_PE_pcrel ? v - at : v;
	if (w < 8) {
		bool sign = (enc & 0x08) != 0;
		int64_t s = (int64_t)raw;
		if (sign ? (s < -((int64_t)1 << (8 * w - 1)) || s >= ((int64_t)1 << (8 * w - 1)))
			 : raw >> (8 * w) != 0)
			return -ERANGE;
	}
	memcpy(dst, &raw, w);
	return 0;
}

/* The record at off: its total length (length field included) and the
 * offset of its id field. -EINVAL if it does not fit or is 64-bit. */
static int record(const uint8_t *buf, size_t size, size_t off, size_t *len)
{
	if (off > size || size - off < 8)
		return -EINVAL;
	uint32_t l = rd32(buf + off);
	if (l == 0xffffffffu || l < 4 || l > size - off - 4)
		return -EINVAL;
	*len = (size_t)l + 4;
	return 0;
}

static bool pointer_enc_ok(uint8_t enc, bool may_indirect)
{
	if (enc == HX_DW_EH_PE_omit)
		return true;
	if ((enc & HX_DW_EH_PE_indirect) && !may_indirect)
		return false;
	return enc_width(enc & (uint8_t)~HX_DW_EH_PE_indirect) != 0;
}

int hx_eh_cie_read(const uint8_t *buf, size_t size, uint64_t base, size_t off,
		   struct hx_eh_cie *out)
{
	size_t len;
	if (record(buf, size, off, &len) < 0 || rd32(buf + off + 4) != 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->off = off;
	out->len = len;
	out->fde_enc = 0; /* absptr */
	out->lsda_enc = out->pers_enc = HX_DW_EH_PE_omit;
	size_t end = off + len, at = off + 8;
	if (at >= end)
		return -EINVAL;
	out->version = buf[at++];
	if (out->version != 1 && out->version != 3)
		return -EINVAL;
	const char *aug = (const char *)buf + at;
	size_t alen = strnlen(aug, end - at);
	if (alen == end - at || alen > 8)
		return -EINVAL;
	at += alen + 1;
	uint64_t u;
	int64_t s;
	if (uleb(buf, end, &at, &u) < 0 || sleb(buf, end, &at, &s) < 0)
		return -EINVAL;
	if (out->version == 1) {
		if (at >= end)
			return -EINVAL;
		at++;
	} else if (uleb(buf, end, &at, &u) < 0) {
		return -EINVAL;
	}
	if (alen == 0)
		return 0;
	if (aug[0] != 'z')
		return -EINVAL; /* "eh" and other old forms */
	out->aug_z = true;
	uint64_t dlen;
	if (uleb(buf, end, &at, &dlen) < 0 || dlen > end - at)
		return -EINVAL;
	size_t dend = at + (size_t)dlen;
	for (size_t i = 1; i < alen; i++) {
		switch (aug[i]) {
		case 'R':
		case 'L':
			if (at >= dend || !pointer_enc_ok(buf[at], false) || buf[at] == HX_DW_EH_PE_omit)
				return -EINVAL;
			if (aug[i] == 'R')
				out->fde_enc = buf[at];
			else
				out->lsda_enc = buf[at];
			at++;
			break;
		case 'P': {
			if (at >= dend || !pointer_enc_ok(buf[at], true) || buf[at] == HX_DW_EH_PE_omit)
				return -EINVAL;
			out->pers_enc = buf[at++];
			size_t w;
			if (hx_eh_get(buf, dend, base, at, out->pers_enc, &out->personality, &w) < 0)
				return -EINVAL;
			out->pers_field = at;
			out->pers_width = (uint8_t)w;
			at += w;
			break;
		}
		case 'S':
			out->signal_frame = true;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int hx_eh_fde_cie_off(const uint8_t *buf, size_t size, size_t off, size_t *cie_off)
{
	size_t len;
	if (record(buf, size, off, &len) < 0)
		return -EINVAL;
	uint32_t ptr = rd32(buf + off + 4);
	if (ptr == 0 || ptr > off + 4)
		return -EINVAL; /* a CIE, or one before the buffer */
	*cie_off = off + 4 - ptr;
	return 0;
}

int hx_eh_fde_read(const uint8_t *buf, size_t size, uint64_t base, size_t off,
		   const struct hx_eh_cie *cie, struct hx_eh_fde *out)
{
	size_t cie_off;
	if (hx_eh_fde_cie_off(buf, size, off, &cie_off) < 0 || cie_off != cie->off ||
	    hx_eh_fde_decode(buf, size, base, off, cie, out) < 0)
		return -EINVAL;
	out->cie_off = cie_off;
	return 0;
}

int hx_eh_fde_decode(const uint8_t *buf, size_t size, uint64_t base, size_t off,
		     const struct hx_eh_cie *cie, struct hx_eh_fde *out)
{
	size_t len;
	if (record(buf, size, off, &len) < 0 || rd32(buf + off + 4) == 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->off = off;
	out->len = len;
	size_t end = off + len, at = off + 8, w;
	if (hx_eh_get(buf, end, base, at, cie->fde_enc, &out->pc_begin, &w) < 0)
		return -EINVAL;
	out->pc_field = at;
	out->pc_width = (uint8_t)w;
	at += w;
	if (hx_eh_get(buf, end, base, at, cie->fde_enc & 0x0f, &out->pc_range, &w) < 0)
		return -EINVAL;
	at += w;
	if (!cie->aug_z)
		return 0;
	uint64_t dlen;
	if (uleb(buf, end, &at, &dlen) < 0 || dlen > end - at)
		return -EINVAL;
	if (cie->lsda_enc != HX_DW_EH_PE_omit) {
		uint64_t raw;
		/* a zero raw value is "no LSDA" in any encoding */
		if (hx_eh_get(buf, at + (size_t)dlen, 0, at, cie->lsda_enc & 0x0f, &raw, &w) < 0)
			return -EINVAL;
		if (raw != 0 &&
		    hx_eh_get(buf, at + (size_t)dlen, base, at, cie->lsda_enc, &out->lsda, &w) < 0)
			return -EINVAL;
		out->lsda_field = at;
		out->lsda_width = (uint8_t)w;
	}
	return 0;
}

static int by_pc(const void *a, const void *b)
{
	const struct hx_eh_fde *x = a, *y = b;
	if (x->pc_begin != y->pc_begin)
		return x->pc_begin < y->pc_begin ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

int hx_eh_fdes(const uint8_t *buf, size_t size, uint64_t base, struct hx_eh_fde **out,
	       size_t *n, size_t *bad)
{
	size_t cap = 0, w = 0, nbad = 0, len;
	struct hx_eh_fde *v = NULL;
	struct hx_eh_cie cie = {.off = SIZE_MAX};
	bool cie_ok = false;
	for (size_t off = 0; off + 4 <= size && rd32(buf + off) != 0; off += len) {
		if (record(buf, size, off, &len) < 0) {
			nbad++;
			break; /* lengths chain the records: nothing after is trustworthy */
		}
		size_t cie_off;
		if (rd32(buf + off + 4) == 0)
			continue; /* a CIE (read when an FDE names it) */
		if (hx_eh_fde_cie_off(buf, size, off, &cie_off) < 0) {
			nbad++;
			continue;
		}
		if (cie_off != cie.off) { /* FDEs mostly follow their CIE: cache the last */
			cie_ok = hx_eh_cie_read(buf, size, base, cie_off, &cie) == 0;
			cie.off = cie_off;
		}
		struct hx_eh_fde f;
		if (!cie_ok || hx_eh_fde_read(buf, size, base, off, &cie, &f) < 0) {
			nbad++;
			continue;
		}
		if (f.pc_begin == 0 || f.pc_range == 0 || f.pc_begin + f.pc_range < f.pc_begin)
			continue;
		if (w == cap) {
			size_t nc = cap ? 2 * cap : 256;
			struct hx_eh_fde *nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[w++] = f;
	}
	if (w)
		qsort(v, w, sizeof(*v), by_pc);
	*out = v;
	*n = w;
	if (bad)
		*bad = nbad;
	return 0;
}

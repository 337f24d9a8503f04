/*
 * request.c - encode and decode the loader's request to the helper.
 *
 * The decoder runs inside the sandbox on bytes that came through a pipe; it
 * checks sizes, counts and enums before copying anything out.
 * Must never: read outside buf.
 */
#define _GNU_SOURCE
#include "request.h"
#include "plan.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

void hx_request_free(struct hx_request *r)
{
	if (!r)
		return;
	free(r->files);
	free(r->maps);
	free(r->only);
	free(r->exclude);
	free(r->profile_name);
	memset(r, 0, sizeof(*r));
}

int hx_request_encode(const struct hx_request *r, uint8_t **buf, size_t *len)
{
	struct hx_req_header h = r->h;
	size_t maps_len = r->maps ? strlen(r->maps) : 0;
	size_t only_len = r->only ? strlen(r->only) : 0;
	size_t excl_len = r->exclude ? strlen(r->exclude) : 0;
	size_t prof_len = r->profile_name ? strlen(r->profile_name) : 0;
	if (maps_len > HX_REQ_MAX_TEXT || only_len > HX_REQ_MAX_TEXT ||
	    excl_len > HX_REQ_MAX_TEXT || prof_len > HX_REQ_MAX_NAME || h.n_files > HX_REQ_MAX_FILES)
		return -E2BIG;
	uint64_t total = sizeof(h) + (uint64_t)h.n_files * sizeof(struct hx_req_file) +
			 maps_len + only_len + excl_len + prof_len;
	h.magic = HX_REQ_MAGIC;
	h.version = HX_REQ_VERSION;
	h.header_size = sizeof(h);
	h.total_size = (uint32_t)total;
	h.maps_len = (uint32_t)maps_len;
	h.only_len = (uint32_t)only_len;
	h.exclude_len = (uint32_t)excl_len;
	h.profile_name_len = (uint32_t)prof_len;
	h.byte_order = HX_BYTE_ORDER_MARK;
	uint8_t *b = malloc((size_t)total);
	if (!b)
		return -ENOMEM;
	uint8_t *w = b;
	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	if (h.n_files) {
		memcpy(w, r->files, h.n_files * sizeof(struct hx_req_file));
		w += h.n_files * sizeof(struct hx_req_file);
	}
	if (maps_len)
		memcpy(w, r->maps, maps_len);
	w += maps_len;
	if (only_len)
		memcpy(w, r->only, only_len);
	w += only_len;
	if (excl_len)
		memcpy(w, r->exclude, excl_len);
	w += excl_len;
	if (prof_len)
		memcpy(w, r->profile_name, prof_len);
	*buf = b;
	*len = (size_t)total;
	return 0;
}

static char *dup_text(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int check_header(const struct hx_req_header *h, size_t len, struct hx_err *e)
{
	if (h->magic != HX_REQ_MAGIC || h->byte_order != HX_BYTE_ORDER_MARK)
		return hx_fail(e, -EBADMSG, "request: bad magic");
	if (h->version != HX_REQ_VERSION || h->header_size != sizeof(*h))
		return hx_fail(e, -EPROTO, "request: version %u", h->version);
	if (h->n_files > HX_REQ_MAX_FILES || h->maps_len > HX_REQ_MAX_TEXT ||
	    h->only_len > HX_REQ_MAX_TEXT || h->exclude_len > HX_REQ_MAX_TEXT ||
	    h->profile_name_len > HX_REQ_MAX_NAME)
		return hx_fail(e, -E2BIG, "request: too large");
	if (h->profile_name_len && h->profile_fd < 0)
		return hx_fail(e, -EBADMSG, "request: bad profile descriptor");
	uint64_t want = sizeof(*h) + (uint64_t)h->n_files * sizeof(struct hx_req_file) +
			h->maps_len + h->only_len + h->exclude_len + h->profile_name_len;
	if (want != len || h->total_size != len)
		return hx_fail(e, -EBADMSG, "request: size mismatch");
	if (h->backing_mode >= HX_MODE_COUNT || h->align >= HX_ALIGN_COUNT ||
	    h->thp_mode >= HX_THP_COUNT || (h->target_flags & ~(uint32_t)HX_TGT_ALL) ||
	    (h->options & ~(uint32_t)HX_REQ_OPTIONS_ALL) || h->layout_permille > 1000 ||
	    h->reserved != 0)
		return hx_fail(e, -EBADMSG, "request: unknown mode or flags");
	return 0;
}

int hx_request_decode(const uint8_t *buf, size_t len, struct hx_request *out, struct hx_err *e)
{
	memset(out, 0, sizeof(*out));
	if (len < sizeof(out->h))
		return hx_fail(e, -EBADMSG, "request: truncated");
	memcpy(&out->h, buf, sizeof(out->h));
	int r = check_header(&out->h, len, e);
	if (r < 0)
		return r;
	const uint8_t *p = buf + sizeof(out->h);
	size_t fbytes = out->h.n_files * sizeof(struct hx_req_file);
	out->files = malloc(fbytes ? fbytes : 1);
	if (out->files)
		memcpy(out->files, p, fbytes);
	p += fbytes;
	out->maps = dup_text(p, out->h.maps_len);
	p += out->h.maps_len;
	out->only = dup_text(p, out->h.only_len);
	p += out->h.only_len;
	out->exclude = dup_text(p, out->h.exclude_len);
	p += out->h.exclude_len;
	out->profile_name = dup_text(p, out->h.profile_name_len);
	if (!out->files || !out->maps || !out->only || !out->exclude || !out->profile_name) {
		hx_request_free(out);
		return hx_fail(e, -ENOMEM, "request: out of memory");
	}
	return 0;
}

bool hx_pattern_list_match(const char *list, const char *path)
{
	const char *p = list;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char pat[4096];
		if (n > 0 && n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, path, 0) == 0)
				return true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

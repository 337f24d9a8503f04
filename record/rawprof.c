/*
 * rawprof.c - the sample aggregate: an open-addressing hash table of keys
 * (FNV-1a over the key's 64 bytes), objects, interned names.
 * Must never: let the table grow past max_keys (keys then lose their
 * caller candidates, which folds them into at most one key per IP).
 */
#define _GNU_SOURCE
#include "rawprof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rec_raw_init(struct rec_raw *r, size_t max_keys)
{
	memset(r, 0, sizeof(*r));
	r->max_keys = max_keys ? max_keys : 1;
	r->cap_slots = 1024;
	r->slots = calloc(r->cap_slots, sizeof(*r->slots));
	return r->slots ? 0 : -ENOMEM;
}

void rec_raw_free(struct rec_raw *r)
{
	for (size_t i = 0; i < r->n_objs; i++) {
		free(r->objs[i].path);
		if (r->objs[i].fd >= 0)
			close(r->objs[i].fd);
	}
	for (size_t i = 0; i < r->n_names; i++)
		free(r->names[i]);
	free(r->names);
	free(r->name_index);
	free(r->objs);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

int rec_raw_add_object(struct rec_raw *r, const char *path, int fd, uint32_t dev_major,
		       uint32_t dev_minor, uint64_t ino, const char *why, uint32_t *id)
{
	if (r->n_objs == r->cap_objs) {
		size_t nc = r->cap_objs ? r->cap_objs * 2 : 16;
		struct rec_obj *n = realloc(r->objs, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->objs = n;
		r->cap_objs = nc;
	}
	struct rec_obj *o = &r->objs[r->n_objs];
	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	o->fd = fd;
	o->dev_major = dev_major;
	o->dev_minor = dev_minor;
	o->ino = ino;
	snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
	*id = (uint32_t)++r->n_objs;
	return 0;
}

uint32_t rec_raw_object_by_path(const struct rec_raw *r, const char *path)
{
	for (size_t i = 0; i < r->n_objs; i++)
		if (strcmp(r->objs[i].path, path) == 0)
			return (uint32_t)(i + 1);
	return REC_NO_OBJ;
}

const struct rec_obj *rec_raw_object(const struct rec_raw *r, uint32_t id)
{
	return id >= 1 && id <= r->n_objs ? &r->objs[id - 1] : NULL;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static uint32_t *index_slot(uint32_t *idx, size_t cap, char **names, const char *s)
{
	size_t i = (size_t)hash_str(s) & (cap - 1);
	while (idx[i] && strcmp(names[idx[i] - 1], s) != 0)
		i = (i + 1) & (cap - 1);
	return &idx[i];
}

static int grow_index(struct rec_raw *r)
{
	size_t nc = r->cap_index ? r->cap_index * 2 : 256;
	uint32_t *n = calloc(nc, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_names; i++)
		*index_slot(n, nc, r->names, r->names[i]) = (uint32_t)(i + 1);
	free(r->name_index);
	r->name_index = n;
	r->cap_index = nc;
	return 0;
}

int rec_raw_name(struct rec_raw *r, const char *name, uint32_t *id)
{
	if ((r->n_names + 1) * 2 > r->cap_index && grow_index(r) < 0)
		return -ENOMEM;
	uint32_t *slot = index_slot(r->name_index, r->cap_index, r->names, name);
	if (*slot) {
		*id = *slot;
		return 0;
	}
	if (r->n_names >= UINT32_MAX - 2)
		return -E2BIG;
	if (r->n_names == r->cap_names) {
		size_t nc = r->cap_names ? r->cap_names * 2 : 64;
		char **n = realloc(r->names, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->names = n;
		r->cap_names = nc;
	}
	if (!(r->names[r->n_names] = strdup(name)))
		return -ENOMEM;
	*id = *slot = (uint32_t)++r->n_names;
	return 0;
}

const char *rec_raw_name_str(const struct rec_raw *r, uint32_t id)
{
	return id >= 1 && id <= r->n_names ? r->names[id - 1] : NULL;
}

static uint64_t hash_key(const struct rec_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static struct rec_slot *slot_for(struct rec_slot *slots, size_t cap, const struct rec_key *k)
{
	size_t i = (size_t)hash_key(k) & (cap - 1);
	while (slots[i].count && memcmp(&slots[i].k, k, sizeof(*k)) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int rehash(struct rec_raw *r)
{
	size_t nc = r->cap_slots * 2;
	struct rec_slot *n = calloc(nc, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < r->cap_slots; i++)
		if (r->slots[i].count)
			*slot_for(n, nc, &r->slots[i].k) = r->slots[i];
	free(r->slots);
	r->slots = n;
	r->cap_slots = nc;
	return 0;
}

int rec_raw_add(struct rec_raw *r, const struct rec_key *key, uint64_t n)
{
	if (n == 0)
		return 0;
	r->samples += n;
	if (key->ip.obj == REC_NO_OBJ) {
		r->unattributed += n;
		return 0;
	}
	struct rec_key k = *key;
	struct rec_slot *s = slot_for(r->slots, r->cap_slots, &k);
	if (!s->count && r->n_keys >= r->max_keys) {
		bool had = memcmp(k.cand, (struct rec_loc[REC_CANDS]){{0}}, sizeof(k.cand)) != 0;
		memset(k.cand, 0, sizeof(k.cand));
		if (had)
			r->dropped_callers += n;
		s = slot_for(r->slots, r->cap_slots, &k);
	}
	if (!s->count) {
		if ((r->n_keys + 1) * 4 > r->cap_slots * 3) { /* keep load under 3/4 */
			int e = rehash(r);
			if (e < 0)
				return e;
			s = slot_for(r->slots, r->cap_slots, &k);
		}
		s->k = k;
		r->n_keys++;
	}
	s->count += n;
	return 0;
}

/*
 * profile_cli.c - `hugexec profile show|merge|import|export|check`: the
 * only code of profile/ that talks to the user.
 *
 *   show   [--top N] [--object NAME] FILE
 *   merge  A B ... -o OUT
 *   import --perf-script FILE -o OUT [--object PATH]... [--buildid-list FILE]
 *   export --symbol-order|--call-graph [--order c3|hot] [--object NAME]
 *          [-o OUT] FILE
 *   check  FILE BINARY
 * NAME picks an object by path (as recorded, the same file through
 * realpath, or a tail of it from a '/'), file name or build-id prefix.
 * Exit status: 0; 1 when a file is malformed, missing or (check) does not
 * match; 125 for usage errors.
 * Must never: write a profile it did not fully parse and check.
 */
#define _GNU_SOURCE
#include "profile_cli.h"
#include "../common/elfinfo.h"
#include "symbolize.h"
#include "../profile/analyze.h"
#include "../profile/export.h"
#include "perfscript.h"
#include "../profile/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 125 };

static const char usage[] =
	"Usage: hugexec profile show [--top N] [--object NAME] FILE\n"
	"       hugexec profile merge A B ... -o OUT\n"
	"       hugexec profile import --perf-script FILE -o OUT [--object PATH]...\n"
	"                              [--buildid-list FILE]\n"
	"       hugexec profile export --symbol-order|--call-graph [--order c3|hot]\n"
	"                              [--object NAME] [-o OUT] FILE\n"
	"       hugexec profile check FILE BINARY\n"
	"Profiles are text (docs/profile-format.md), keyed by build-id and file offsets.\n"
	"  show    the hottest functions and how much code covers 50/90/99% of samples\n"
	"  merge   add profiles up (e.g. from many hosts); only equal build-ids merge\n"
	"  import  `perf script` output (use --no-demangle); --object PATH reads the\n"
	"          binary of that file name from PATH; --buildid-list takes the output\n"
	"          of `perf buildid-list` and drops binaries whose build-id differs\n"
	"  export  a symbol ordering file (lld --symbol-ordering-file, BOLT\n"
	"          -function-order) in C3 order, or lld's --call-graph-ordering-file\n"
	"  check   does FILE have data for BINARY's build-id? (exit 1 if not)\n"
	"NAME is an object's path (the recorded one, the same file here, or its last\n"
	"components: bin/server), its file name or a build-id prefix (4+ hex digits).\n";

static int fail(const char *fmt, ...) HX_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hugexec: profile: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int usage_error(const char *fmt, ...) HX_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hugexec: profile: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'hugexec profile --help'.\n", stderr);
	return EXIT_USAGE;
}


static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void fmt_size(uint64_t b, char *buf, size_t size)
{
	if (b < 1024)
		snprintf(buf, size, "%llu B", (unsigned long long)b);
	else if (b < (1u << 20))
		snprintf(buf, size, "%.1f KB", (double)b / 1024);
	else
		snprintf(buf, size, "%.1f MB", (double)b / (1u << 20));
}

/* The object NAME designates, or (name NULL) the one with most samples. */
static const struct prof_object *pick_object(const struct prof_profile *p, const char *name,
					     const char *file)
{
	const struct prof_object *best = NULL;
	size_t hits = 0, nl = name ? strlen(name) : 0;
	char *real = name ? realpath(name, NULL) : NULL;
	for (size_t i = 0; i < p->n_objs; i++) {
		const struct prof_object *o = &p->objs[i];
		if (!name) {
			if (!best || o->samples > best->samples)
				best = o;
			continue;
		}
		bool id = nl >= 4 && strncasecmp(o->build_id, name, nl) == 0;
		if (id || prof_path_matches(o->path, name, real)) {
			best = o;
			hits++;
		}
	}
	free(real);
	if (name && hits != 1) {
		fail("%s: %s object matches '%s'%s", file, hits ? "more than one" : "no", name,
		     hits ? " (give a build-id prefix)" : "");
		return NULL;
	}
	if (!best)
		fail("%s: the profile has no objects", file);
	return best;
}

/* ---- show ---------------------------------------------------------------- */

static void show_coverage(const struct prof_profile *p, const struct prof_object *o,
			  uint64_t total, const char *indent)
{
	struct prof_item *it;
	size_t n;
	struct prof_cover c[3] = {{.permille = 500}, {.permille = 900}, {.permille = 990}};
	if (prof_by_density(p, o, &it, &n) < 0)
		return;
	prof_coverage(it, n, total, c, 3);
	uint64_t in_funcs = 0;
	for (size_t i = 0; i < n; i++)
		in_funcs += it[i].samples;
	free(it);
	for (size_t k = 0; k < 3; k++) {
		char sz[32];
		fmt_size(c[k].bytes, sz, sizeof(sz));
		if (c[k].reachable)
			printf("%shot code: %s covers %u%% of samples (%zu function%s)\n", indent, sz,
			       c[k].permille / 10, c[k].funcs, c[k].funcs == 1 ? "" : "s");
		else
			printf("%shot code: n/a for %u%%: known functions hold only %.1f%% of samples\n",
			       indent, c[k].permille / 10,
			       total ? 100.0 * (double)in_funcs / (double)total : 0.0);
	}
}

static void show_top(const struct prof_profile *p, const struct prof_object *o, size_t top)
{
	struct prof_item *it;
	size_t n;
	if (prof_by_samples(p, o, &it, &n) < 0)
		return;
	printf("  %10s %6s %6s %10s %10s  %s\n", "samples", "%", "cum%", "size", "offset", "function");
	uint64_t cum = 0;
	for (size_t i = 0; i < n && i < top; i++) {
		const struct prof_func *f = &o->funcs[it[i].func];
		cum += f->samples;
		double d = o->samples ? 100.0 / (double)o->samples : 0;
		printf("  %10llu %5.1f%% %5.1f%% %10llu %#10llx  %s\n", (unsigned long long)f->samples,
		       d * (double)f->samples, d * (double)cum, (unsigned long long)f->size,
		       (unsigned long long)f->off, f->name);
	}
	free(it);
}

static int cmp_obj_samples(const void *a, const void *b)
{
	const struct prof_object *x = *(const struct prof_object *const *)a;
	const struct prof_object *y = *(const struct prof_object *const *)b;
	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return strcmp(x->build_id, y->build_id);
}

static void show_object(const struct prof_profile *p, const struct prof_object *o, size_t top,
			uint64_t total)
{
	uint64_t in_funcs = 0;
	for (size_t i = 0; i < o->n_funcs; i++)
		in_funcs += o->funcs[i].samples;
	printf("\nobject %s\n  build-id %s\n", o->path, o->build_id);
	printf("  %llu samples (%.1f%% of all), %llu in %zu functions, %zu call edges",
	       (unsigned long long)o->samples, total ? 100.0 * (double)o->samples / (double)total : 0,
	       (unsigned long long)in_funcs, o->n_funcs, o->n_edges);
	if (o->n_sedges)
		printf(", %zu static calls", o->n_sedges);
	putchar('\n');
	show_coverage(p, o, o->samples, "  ");
	if (top)
		show_top(p, o, top);
}

static int cmd_show(int argc, char **argv)
{
	const char *file = NULL, *obj = NULL, *v;
	unsigned long top = 10;
	for (int i = 1; i < argc; i++) {
		if ((v = hx_opt_value(argc, argv, &i, NULL, "--top"))) {
			char *end;
			top = strtoul(v, &end, 10);
			if (!*v || *end || top > 1000000)
				return usage_error("--top: '%s' is not a count", v);
		} else if ((v = hx_opt_value(argc, argv, &i, NULL, "--object"))) {
			obj = v;
		} else if (argv[i][0] == '-' || file) {
			return usage_error("show: unexpected '%s'", argv[i]);
		} else {
			file = argv[i];
		}
	}
	if (!file)
		return usage_error("show: which profile?");
	struct prof_profile p;
	struct hx_err e = {0};
	if (prof_load(file, &p, &e) < 0)
		return fail("%s", e.msg);
	const struct prof_object *only = obj ? pick_object(&p, obj, file) : NULL;
	if (obj && !only) {
		prof_free(&p);
		return EXIT_FAIL;
	}
	uint64_t total = prof_total(&p);
	printf("profile %s: %s, %llu samples: %llu in %zu object%s, %llu unattributed, %llu lost\n",
	       file, p.event[0] ? p.event : "event unknown", (unsigned long long)total,
	       (unsigned long long)(total - p.unattributed), p.n_objs, p.n_objs == 1 ? "" : "s",
	       (unsigned long long)p.unattributed, (unsigned long long)p.lost);
	if (!only && p.n_objs > 1)
		show_coverage(&p, NULL, total - p.unattributed, "all objects: ");
	const struct prof_object **ord = malloc((p.n_objs ? p.n_objs : 1) * sizeof(*ord));
	if (!ord) {
		prof_free(&p);
		return fail("out of memory");
	}
	for (size_t i = 0; i < p.n_objs; i++)
		ord[i] = &p.objs[i];
	qsort(ord, p.n_objs, sizeof(*ord), cmp_obj_samples);
	for (size_t i = 0; i < p.n_objs; i++) {
		if (only && ord[i] != only)
			continue;
		/* objects under 1% of the samples get their summary, not their functions */
		bool minor = !only && ord[i]->samples * 100 < total;
		show_object(&p, ord[i], minor ? 0 : top, total);
	}
	free(ord);
	prof_free(&p);
	return 0;
}

/* ---- merge --------------------------------------------------------------- */

static void note_builds(const struct prof_profile *p)
{
	for (size_t i = 0; i < p->n_objs; i++) {
		size_t same = 0;
		bool first = true;
		for (size_t j = 0; j < p->n_objs; j++) {
			if (strcmp(base_name(p->objs[j].path), base_name(p->objs[i].path)) != 0)
				continue;
			first = first && j >= i;
			same++;
		}
		if (same > 1 && first)
			fprintf(stderr, "hugexec: profile: note: %zu builds of %s kept apart (different "
				"build-ids do not merge)\n", same, base_name(p->objs[i].path));
	}
}

static int cmd_merge(int argc, char **argv)
{
	const char *out = NULL, *v;
	char **in = calloc((size_t)argc, sizeof(char *));
	size_t n = 0;
	if (!in)
		return fail("out of memory");
	for (int i = 1; i < argc; i++) {
		if ((v = hx_opt_value(argc, argv, &i, "-o", "--output")))
			out = v;
		else if (argv[i][0] == '-' && argv[i][1])
			return free(in), usage_error("merge: unknown option '%s'", argv[i]);
		else
			in[n++] = argv[i];
	}
	if (!out || !*out || n == 0) {
		free(in);
		return usage_error("merge: need profiles and -o OUT");
	}
	struct prof_profile acc, one;
	struct hx_err e = {0};
	int r = prof_load(in[0], &acc, &e);
	for (size_t i = 1; r == 0 && i < n; i++) {
		r = prof_load(in[i], &one, &e);
		if (r == 0) {
			r = prof_merge(&acc, &one, &e);
			prof_free(&one);
		}
	}
	if (r == 0)
		r = prof_save(&acc, out, &e);
	if (r == 0) {
		note_builds(&acc);
		fprintf(stderr, "hugexec: profile: merged %zu profile%s: %zu object%s, %llu samples; "
			"wrote %s\n", n, n == 1 ? "" : "s", acc.n_objs, acc.n_objs == 1 ? "" : "s",
			(unsigned long long)prof_total(&acc), out);
	}
	prof_free(&acc); /* prof_load left it empty if it failed */
	free(in);
	return r < 0 ? fail("%s", e.msg) : 0;
}

/* ---- import -------------------------------------------------------------- */

struct import_opts {
	const char *script, *out, *buildids;
	const char **objects; /* --object PATH */
	size_t n_objects;
};

/* The local file to read for a binary perf saw at path: an --object of
 * the same file name, else the path itself. */
static const char *local_file(const struct import_opts *o, const char *path)
{
	for (size_t i = 0; i < o->n_objects; i++)
		if (strcmp(o->objects[i], path) == 0 ||
		    strcmp(base_name(o->objects[i]), base_name(path)) == 0)
			return o->objects[i];
	return path;
}

static void open_objects(struct rec_raw *raw, const struct import_opts *o)
{
	for (size_t i = 0; i < raw->n_objs; i++) {
		struct rec_obj *ob = &raw->objs[i];
		const char *f = local_file(o, ob->path);
		ob->fd = open(f, O_RDONLY | O_CLOEXEC);
		if (ob->fd < 0)
			snprintf(ob->why, sizeof(ob->why), "cannot open %.60s: %s", f, strerror(errno));
	}
}

/* `perf buildid-list` lines: "<hex> <path>". Objects whose local file has
 * another build-id than the recorded one are dropped. */
static int check_buildids(struct prof_profile *p, const char *list_file)
{
	char *text;
	int r = hx_read_file(list_file, (size_t)64 << 20, &text, NULL);
	if (r < 0)
		return fail("%s: %s", list_file, strerror(-r));
	for (size_t i = 0; i < p->n_objs;) {
		struct prof_object *o = &p->objs[i];
		bool drop = false;
		for (char *line = text; line && *line;) {
			char *nl = strchr(line, '\n'), *sp = strchr(line, ' ');
			if (nl)
				*nl = '\0';
			if (sp && strcmp(sp + 1, o->path) == 0) {
				*sp = '\0';
				drop = strcasecmp(line, o->build_id) != 0;
				if (drop)
					fprintf(stderr, "hugexec: profile: warning: %s has build-id %s here, "
						"but the samples were taken on build-id %s; leaving it out\n",
						o->path, o->build_id, line);
				*sp = ' ';
			}
			if (nl)
				*nl = '\n';
			line = nl ? nl + 1 : NULL;
		}
		if (!drop) {
			i++;
			continue;
		}
		p->unattributed += o->samples;
		prof_remove_object(p, i);
	}
	free(text);
	return 0;
}

static int parse_import(int argc, char **argv, struct import_opts *o)
{
	const char *v;
	for (int i = 1; i < argc; i++) {
		if ((v = hx_opt_value(argc, argv, &i, NULL, "--perf-script")))
			o->script = v;
		else if ((v = hx_opt_value(argc, argv, &i, "-o", "--output")))
			o->out = v;
		else if ((v = hx_opt_value(argc, argv, &i, NULL, "--buildid-list")))
			o->buildids = v;
		else if ((v = hx_opt_value(argc, argv, &i, NULL, "--object")))
			o->objects[o->n_objects++] = v;
		else
			return usage_error("import: unexpected '%s'", argv[i]);
	}
	if (!o->script || !*o->script || !o->out || !*o->out)
		return usage_error("import: need --perf-script FILE and -o OUT");
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	struct import_opts o = {0};
	o.objects = calloc((size_t)argc, sizeof(char *));
	if (!o.objects)
		return fail("out of memory");
	int rc = parse_import(argc, argv, &o);
	if (rc) {
		free(o.objects);
		return rc;
	}
	char *text = NULL, *notes = NULL;
	size_t len;
	struct rec_raw raw;
	struct prof_ps_stats st;
	struct prof_profile p;
	struct hx_err e = {0};
	prof_init(&p);
	int r = rec_raw_init(&raw, (size_t)4 << 20);
	if (r == 0 && (r = hx_read_file(o.script, (size_t)4 << 30, &text, &len)) < 0)
		hx_fail(&e, r, "%s: %s", o.script, strerror(-r));
	if (r == 0)
		r = prof_perfscript_parse(text, len, o.script, &raw, &st, &e);
	free(text);
	if (r == 0) {
		open_objects(&raw, &o);
		r = rec_symbolize(&raw, &p, &notes, &e);
	}
	rc = r < 0 ? fail("%s", e.msg) : 0;
	for (const char *n = notes; rc == 0 && n && *n;) {
		const char *nl = strchr(n, '\n');
		int k = nl ? (int)(nl - n) : (int)strlen(n);
		fprintf(stderr, "hugexec: profile: note: %.*s\n", k, n);
		n = nl ? nl + 1 : n + k;
	}
	if (rc == 0 && o.buildids)
		rc = check_buildids(&p, o.buildids);
	if (rc == 0 && prof_save(&p, o.out, &e) < 0)
		rc = fail("%s", e.msg);
	if (rc == 0)
		fprintf(stderr, "hugexec: profile: imported %llu samples (%llu in the kernel, %llu "
			"outside files, %llu without a symbol): %zu object%s; wrote %s\n",
			(unsigned long long)st.samples, (unsigned long long)st.kernel,
			(unsigned long long)st.no_object, (unsigned long long)st.no_symbol, p.n_objs,
			p.n_objs == 1 ? "" : "s", o.out);
	free(notes);
	prof_free(&p);
	rec_raw_free(&raw);
	free(o.objects);
	return rc;
}

/* ---- export -------------------------------------------------------------- */

static int write_out(const char *out, const char *text, size_t len)
{
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f)
		return fail("%s: %s", out, strerror(errno));
	bool ok = fwrite(text, 1, len, f) == len;
	if (out)
		ok = fclose(f) == 0 && ok;
	else
		ok = fflush(f) == 0 && ok;
	return ok ? 0 : fail("%s: write error", out ? out : "stdout");
}

static int cmd_export(int argc, char **argv)
{
	const char *file = NULL, *obj = NULL, *out = NULL, *v;
	int kind = 0; /* 1 symbol order, 2 call graph */
	bool c3 = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--symbol-order") == 0 || strcmp(argv[i], "--call-graph") == 0)
			kind = argv[i][2] == 's' ? 1 : 2;
		else if ((v = hx_opt_value(argc, argv, &i, NULL, "--order"))) {
			if (strcmp(v, "c3") != 0 && strcmp(v, "hot") != 0)
				return usage_error("--order: '%s' is not c3 or hot", v);
			c3 = strcmp(v, "c3") == 0;
		} else if ((v = hx_opt_value(argc, argv, &i, NULL, "--object")))
			obj = v;
		else if ((v = hx_opt_value(argc, argv, &i, "-o", "--output")))
			out = v;
		else if (argv[i][0] == '-' || file)
			return usage_error("export: unexpected '%s'", argv[i]);
		else
			file = argv[i];
	}
	if (!kind || !file || (out && !*out))
		return usage_error("export: need --symbol-order or --call-graph, and a profile");
	struct prof_profile p;
	struct hx_err e = {0};
	if (prof_load(file, &p, &e) < 0)
		return fail("%s", e.msg);
	const struct prof_object *o = pick_object(&p, obj, file);
	if (o && !obj && p.n_objs > 1)
		fprintf(stderr, "hugexec: profile: note: %s has %zu objects; exporting %s (build-id "
			"%.16s..., the most samples); choose another with --object\n", file, p.n_objs,
			o->path, o->build_id);
	char *text = NULL;
	size_t len = 0, skipped = 0;
	int rc = EXIT_FAIL;
	if (o) {
		int r = kind == 1 ? prof_export_symbol_order(o, c3, &text, &len, &skipped)
				  : prof_export_call_graph(o, &text, &len, &skipped);
		rc = r < 0 ? fail("export: %s", strerror(-r)) : write_out(out, text, len);
		if (rc == 0 && skipped)
			fprintf(stderr, "hugexec: profile: note: %zu names with blanks or control "
				"characters left out\n", skipped);
	}
	free(text);
	prof_free(&p);
	return rc;
}

/* ---- check --------------------------------------------------------------- */

/* Reading the build-id of a file the user names, with the user's rights,
 * is what readelf does; elfinfo's reader checks every offset anyway. */
static int cmd_check(int argc, char **argv)
{
	if (argc != 3)
		return usage_error("check: need a profile and a binary");
	struct prof_profile p;
	struct hx_err e = {0};
	if (prof_load(argv[1], &p, &e) < 0)
		return fail("%s", e.msg);
	struct hp_elf elf;
	int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || hp_elf_read(fd, &elf) < 0 || !elf.usable) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		prof_free(&p);
		return fail("%s: %s", argv[2], fd < 0 ? strerror(err) : elf.why ? elf.why : "unreadable");
	}
	close(fd);
	const struct prof_object *o;
	int r = prof_match_build_id(&p, argv[1], argv[2], elf.build_id, elf.build_id_len, &o, &e);
	if (r < 0)
		fprintf(stderr, "hugexec: warning: %s\n", e.msg);
	else
		printf("%s matches %s (build-id %s): %llu samples in %zu functions, %zu edges, "
		       "%zu static calls\n", argv[1], argv[2], o->build_id,
		       (unsigned long long)o->samples, o->n_funcs, o->n_edges, o->n_sedges);
	prof_free(&p);
	return r < 0 ? EXIT_FAIL : 0;
}

int prof_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "show") == 0)
		return cmd_show(argc, argv);
	if (strcmp(sub, "merge") == 0)
		return cmd_merge(argc, argv);
	if (strcmp(sub, "import") == 0)
		return cmd_import(argc, argv);
	if (strcmp(sub, "export") == 0)
		return cmd_export(argc, argv);
	if (strcmp(sub, "check") == 0)
		return cmd_check(argc, argv);
	return usage_error("unknown command '%s'", sub);
}

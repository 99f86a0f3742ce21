/* `egs validate --user-data`: user-data pipeline + part merging + schema
 * (see validate_userdata.h). */
#include "validate_userdata.h"

#include "errbuf.h"
#include "fsutil.h"
#include "strbuf.h"
#include "validate_target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_USER_DATA (64u * 1024 * 1024)

static int set_fatal(struct vud_result *r, const char *fmt, const char *a, const char *b)
{
	struct strbuf sb = STRBUF_INIT;
	if (sb_printf(&sb, fmt, a, b) < 0)
		return -1;
	r->fatal = sb_detach(&sb);
	r->rc = 2;
	return r->fatal ? 0 : -1;
}

static int add_problem(struct vud_problem **list, size_t *n, const char *path, const char *msg,
                       int line, int part)
{
	struct vud_problem *l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l)
		return -1;
	*list = l;
	l[*n].path = strdup(path);
	l[*n].message = strdup(msg);
	l[*n].line = line;
	l[*n].part = part;
	if (!l[*n].path || !l[*n].message) {
		free(l[*n].path);
		free(l[*n].message);
		return -1;
	}
	(*n)++;
	return 0;
}

static int add_warning(struct vud_result *r, struct strbuf *sb)
{
	char **w = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*w));
	if (!w)
		return -1;
	r->warnings = w;
	w[r->nwarnings] = sb_detach(sb);
	return w[r->nwarnings++] ? 0 : -1;
}

/* What a part that is not cloud-config gets: its status and note. */
static void classify_other(const char *ctype, const char **status, const char **note)
{
	*status = "not-validated";
	if (!strncmp(ctype, "text/x-shellscript", 18))
		*note = "not validated (script)";
	else if (!strcmp(ctype, "text/cloud-boothook"))
		*note = "not validated (boothook)";
	else if (!strcmp(ctype, "text/jinja2"))
		*note = "not validated (jinja template)";
	else if (!strcmp(ctype, "text/part-handler"))
		*note = "not validated (part-handler)";
	else if (!strcmp(ctype, "text/cloud-config-jsonp"))
		*note = "not merged (JSON patch parts are not supported by egs)";
	else {
		*status = "ignored";
		*note = "ignored (cloud-init has no handler for this content type)";
	}
}

/* The first parse failure makes the verdict 2. */
static int part_fatal(struct vud_result *r, size_t i, const char *what)
{
	if (r->fatal)
		return 0;
	struct strbuf f = STRBUF_INIT;
	if (sb_printf(&f, "Failed to parse user-data: part %zu (%s): %s", i + 1,
	              r->ud.parts[i].origin, what) < 0)
		return -1;
	r->fatal = sb_detach(&f);
	return r->fatal ? 0 : -1;
}

/* Merges one cloud-config part; records the note and any problem. */
static int merge_part(struct vud_result *r, size_t i, struct vud_part *vp)
{
	const struct userdata_part *up = &r->ud.parts[i];
	struct yaml_error yerr;
	char err[512] = "";
	struct strbuf sb = STRBUF_INIT;
	size_t *map = realloc(r->cc_part, (r->cc.ndocs + 1) * sizeof(*map));
	if (!map)
		return -1;
	r->cc_part = map;
	map[r->cc.ndocs] = i;
	int st = cc_parts_add(&r->cc, up->payload, up->len, up->merge_type, &yerr, err, sizeof(err));
	int rc = 0;
	switch (st) {
	case CC_PART_MERGED:
		vp->status = "merged";
		rc = sb_puts(&sb, "merged");
		break;
	case CC_PART_EMPTY:
		vp->status = "empty";
		rc = sb_puts(&sb, "empty, skipped (cloud-init: empty cloud config)");
		break;
	case CC_PART_YAML_ERROR:
		vp->status = "yaml-error";
		rc = sb_printf(&sb, "not valid YAML: line %d column %d: %s", yerr.line, yerr.col,
		               yerr.message ? yerr.message : "");
		if (rc == 0)
			rc = part_fatal(r, i, sb_str(&sb));
		sb_reset(&sb);
		if (rc == 0)
			rc = sb_printf(&sb, "not valid YAML (line %d column %d)", yerr.line, yerr.col);
		yaml_error_free(&yerr);
		break;
	case CC_PART_NOT_DICT:
		vp->status = "not-a-dict";
		rc = sb_puts(&sb, "cloud-config is not a YAML mapping");
		if (rc == 0)
			rc = part_fatal(r, i, "cloud-config is not a YAML mapping.");
		break;
	case CC_PART_MERGE_ERROR: {
		vp->status = "merge-error";
		rc = sb_printf(&sb, "not merged: %s", err);
		char where[32];
		snprintf(where, sizeof(where), "part %zu", i + 1);
		if (rc == 0)
			rc = add_problem(&r->errors, &r->nerrors, where, sb_str(&sb), 1, (int)i + 1);
		break;
	}
	default:
		return -1;
	}
	vp->note = sb_detach(&sb);
	return rc < 0 || !vp->note ? -1 : 0;
}

/* 1 when target is reachable from n (a DAG: bounded by the node weight
 * the loader allows). */
static int tree_has(const struct ynode *n, const struct ynode *target, int depth)
{
	if (n == target)
		return 1;
	if (depth > 1000 || (n->kind != Y_SEQ && n->kind != Y_MAP))
		return 0;
	size_t count = n->kind == Y_MAP ? 2 * n->n : n->n;
	for (size_t i = 0; i < count; i++)
		if (tree_has(n->items[i], target, depth + 1))
			return 1;
	return 0;
}

/* The node a schema path names in the merged tree: the key of the last
 * map step (keys always come from a part), else the item. */
static const struct ynode *path_node(const struct ynode *n, const char *path)
{
	const struct ynode *found = n;
	while (*path && n) {
		const struct ynode *next = NULL, *key = NULL;
		size_t best = 0;
		if (n->kind == Y_MAP) {
			for (size_t i = 0; i < n->n; i++) {
				const struct ynode *k = n->items[2 * i];
				size_t kl = k->text_len;
				if (kl >= best && !strncmp(path, k->text, kl) && (path[kl] == '.' || !path[kl]) &&
				    (kl || k->kind == Y_STR)) {
					best = kl;
					key = k;
					next = n->items[2 * i + 1];
				}
			}
		} else if (n->kind == Y_SEQ) {
			char *end;
			unsigned long idx = strtoul(path, &end, 10);
			if (end != path && (*end == '.' || !*end) && idx < n->n) {
				best = (size_t)(end - path);
				next = key = n->items[idx];
			}
		}
		if (!key)
			break;
		found = key;
		n = next;
		path += best;
		if (*path == '.')
			path++;
	}
	return found;
}

/* Which cloud-config part (1-based index into r->parts) a problem is in. */
static int problem_part(const struct vud_result *r, const char *path)
{
	const struct ynode *node = path_node(r->cc.merged, path);
	for (size_t i = r->cc.ndocs; i-- > 0;) {
		const struct ynode *root = ydoc_root(r->cc.docs[i]);
		if (root && tree_has(root, node, 0))
			return (int)r->cc_part[i] + 1;
	}
	return 0;
}

static int add_schema(struct vud_result *r)
{
	struct schema *s = schema_load_embedded();
	struct schema_result res;
	if (!s)
		return -1;
	int rc = schema_validate(s, r->cc.merged, &res);
	schema_free(s);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < res.nerrors && rc == 0; i++)
		rc = add_problem(&r->errors, &r->nerrors, res.errors[i].path, res.errors[i].message,
		                 res.errors[i].line, problem_part(r, res.errors[i].path));
	for (size_t i = 0; i < res.ndeprecations && rc == 0; i++)
		rc = add_problem(&r->deprecations, &r->ndeprecations, res.deprecations[i].path,
		                 res.deprecations[i].message, res.deprecations[i].line,
		                 problem_part(r, res.deprecations[i].path));
	schema_result_free(&res);
	return rc;
}

static int add_target_warnings(struct vud_result *r, const char *target)
{
	const struct ynode *m = r->cc.merged;
	if (!validate_target_checks(target))
		return 0;
	for (size_t i = 0; i < ynode_count(m); i++) {
		const struct ynode *k = ymap_key(m, i);
		if (k->kind == Y_STR && validate_target_applies(k->str))
			continue;
		struct strbuf sb = STRBUF_INIT;
		if (sb_printf(&sb, "'%s' is not supported on %s (accepted, not applied).", k->text,
		              target) < 0 || add_warning(r, &sb) < 0) {
			sb_free(&sb);
			return -1;
		}
	}
	return 0;
}

int vud_run(const char *path, const struct vud_opts *o, struct vud_result *r)
{
	memset(r, 0, sizeof(*r));
	if (cc_parts_init(&r->cc) < 0)
		return -1;
	if (!validate_target_known(o->target))
		return set_fatal(r, "Invalid target '%s'%s: expected windows, linux, all or egs.",
		                 o->target, "");
	struct strbuf blob = STRBUF_INIT;
	if (fs_read_file(path, &blob, o->max_size ? o->max_size : MAX_USER_DATA) < 0) {
		int rc = set_fatal(r, "Cannot read user-data file '%s': %s", path, strerror(errno));
		sb_free(&blob);
		return rc;
	}
	struct userdata_opts uo;
	userdata_opts_init(&uo);
	uo.fetch.allow_network = o->allow_network;
	uo.fetch.retries = 0;
	int prc = userdata_process(blob.data ? blob.data : "", blob.len, &uo, &r->ud);
	sb_free(&blob);
	if (prc < 0 && !r->ud.error)
		return -1;
	if (prc < 0)
		return set_fatal(r, "Failed to process user-data: %s%s", r->ud.error, "");
	r->parts = calloc(r->ud.nparts + 1, sizeof(*r->parts));
	if (!r->parts)
		return -1;
	r->nparts = r->ud.nparts;
	for (size_t i = 0; i < r->ud.nparts; i++) {
		const struct userdata_part *up = &r->ud.parts[i];
		struct vud_part *vp = &r->parts[i];
		vp->ctype = up->ctype;
		vp->filename = up->filename;
		vp->origin = up->origin;
		for (size_t w = 0; w < up->nwarnings; w++) {
			struct strbuf sb = STRBUF_INIT;
			if (sb_printf(&sb, "part %zu: %s", i + 1, up->warnings[w]) < 0 ||
			    add_warning(r, &sb) < 0) {
				sb_free(&sb);
				return -1;
			}
		}
		if (!strcmp(up->ctype, "text/cloud-config")) {
			if (merge_part(r, i, vp) < 0)
				return -1;
			continue;
		}
		const char *note;
		classify_other(up->ctype, &vp->status, &note);
		vp->note = strdup(note);
		if (!vp->note)
			return -1;
	}
	if (r->fatal) {
		r->rc = 2;
		return 0;
	}
	if (r->cc.merged && (add_schema(r) < 0 || add_target_warnings(r, o->target) < 0))
		return -1;
	r->rc = r->nerrors ? 1 : 0;
	return 0;
}

static void free_problems(struct vud_problem *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].path);
		free(p[i].message);
	}
	free(p);
}

void vud_free(struct vud_result *r)
{
	free(r->fatal);
	for (size_t i = 0; i < r->nparts; i++)
		free(r->parts[i].note);
	free(r->parts);
	free_problems(r->errors, r->nerrors);
	free_problems(r->deprecations, r->ndeprecations);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	cc_parts_free(&r->cc);
	userdata_result_free(&r->ud);
	free(r->cc_part);
	memset(r, 0, sizeof(*r));
}

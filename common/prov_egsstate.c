/* The original's state.json as STATE/data/egs-state.json
 * (common/prov_egsstate.h). */
#include "prov_egsstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "jsonw.h"
#include "yaml.h"

static const char *const stage_names[4] = {"Local", "Network", "Config", "Final"};

const char *egs_state_stage_name(enum prov_stage stage)
{
	return (unsigned)stage < 4 ? stage_names[stage] : "";
}

/* ---- string sets (insertion order, no duplicates) --------------------------- */

static int set_has(const struct egs_strset *set, const char *v)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i], v) == 0)
			return 1;
	return 0;
}

static int set_add(struct egs_strset *set, const char *v)
{
	if (set_has(set, v))
		return 0;
	char **nv = realloc(set->items, (set->n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	set->items = nv;
	if (!(set->items[set->n] = strdup(v)))
		return -1;
	set->n++;
	return 0;
}

static void set_del(struct egs_strset *set, const char *v)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i], v) == 0) {
			free(set->items[i]);
			memmove(set->items + i, set->items + i + 1, (set->n - i - 1) * sizeof(*set->items));
			set->n--;
			return;
		}
}

static void set_free(struct egs_strset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->items[i]);
	free(set->items);
	set->items = NULL;
	set->n = 0;
}

/* ---- the record -------------------------------------------------------------- */

int egs_state_init(struct egs_state *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->started_at, sizeof(s->started_at), "%s", EGS_STATE_NEVER);
	snprintf(s->last_updated, sizeof(s->last_updated), "%s", EGS_STATE_NEVER);
	s->instance_id = strdup("");
	return s->instance_id ? 0 : -1;
}

void egs_state_free(struct egs_state *s)
{
	free(s->instance_id);
	set_free(&s->completed);
	set_free(&s->pending);
	for (size_t i = 0; i < s->nreboots; i++)
		free(s->reboots[i].module);
	free(s->reboots);
	memset(s, 0, sizeof(*s));
}

static void iso_now(char *buf, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* "write-files" -> "write_files" (cloud-init's module name), malloc'd. */
static char *canonical(const char *module)
{
	char *c = strdup(module);
	for (char *p = c; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return c;
}

static struct egs_reboot_count *reboot_entry(struct egs_state *s, const char *name)
{
	for (size_t i = 0; i < s->nreboots; i++)
		if (strcmp(s->reboots[i].module, name) == 0)
			return &s->reboots[i];
	struct egs_reboot_count *nv = realloc(s->reboots, (s->nreboots + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	s->reboots = nv;
	char *dup = strdup(name);
	if (!dup)
		return NULL;
	s->reboots[s->nreboots] = (struct egs_reboot_count){dup, 0};
	return &s->reboots[s->nreboots++];
}

int egs_state_begin(struct egs_state *s, const char *iid, int new_boot)
{
	if (strcmp(s->instance_id, iid) != 0) {
		egs_state_free(s);
		if (egs_state_init(s) < 0)
			return -1;
		free(s->instance_id);
		if (!(s->instance_id = strdup(iid)))
			return -1;
		iso_now(s->started_at, sizeof(s->started_at));
	} else if (new_boot) {
		s->stages = 0;
	}
	return 0;
}

int egs_state_module_done(struct egs_state *s, const char *module)
{
	char *c = canonical(module);
	if (!c)
		return -1;
	set_del(&s->pending, c);
	int rc = set_add(&s->completed, c);
	free(c);
	return rc;
}

int egs_state_module_reboot(struct egs_state *s, const char *module)
{
	char *c = canonical(module);
	struct egs_reboot_count *e = c ? reboot_entry(s, c) : NULL;
	int rc = e ? set_add(&s->pending, c) : -1;
	if (e)
		e->count++;
	free(c);
	return rc;
}

void egs_state_stage_done(struct egs_state *s, enum prov_stage stage)
{
	s->stages |= 1u << stage;
}

int egs_state_reboot_total(const struct egs_state *s)
{
	int total = 0;
	for (size_t i = 0; i < s->nreboots; i++)
		total += s->reboots[i].count;
	return total;
}

/* ---- JSON -------------------------------------------------------------------- */

static void write_set(struct jsonw *w, const char *key, const struct egs_strset *set)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (size_t i = 0; i < set->n; i++)
		jw_str(w, set->items[i]);
	jw_arr_end(w);
}

int egs_state_json(const struct egs_state *s, struct strbuf *out)
{
	struct jsonw w;
	jw_init(&w, out, 2, 0);
	jw_obj_begin(&w);
	jw_key(&w, "instanceId");
	jw_str(&w, s->instance_id ? s->instance_id : "");
	jw_key(&w, "completedStages");
	jw_arr_begin(&w);
	for (int i = STAGE_LOCAL; i <= STAGE_FINAL; i++)
		if (s->stages & (1u << i))
			jw_str(&w, stage_names[i]);
	jw_arr_end(&w);
	write_set(&w, "completedHandlers", &s->completed);
	write_set(&w, "pendingHandlers", &s->pending);
	jw_key(&w, "moduleRebootCounts");
	jw_obj_begin(&w);
	for (size_t i = 0; i < s->nreboots; i++) {
		jw_key(&w, s->reboots[i].module);
		jw_int(&w, s->reboots[i].count);
	}
	jw_obj_end(&w);
	jw_key(&w, "rebootCount");
	jw_int(&w, egs_state_reboot_total(s));
	jw_key(&w, "startedAt");
	jw_str(&w, s->started_at);
	jw_key(&w, "lastUpdated");
	jw_str(&w, s->last_updated);
	jw_obj_end(&w);
	if (jw_error(&w) || sb_putc(out, '\n') < 0)
		return -1;
	return 0;
}

static void copy_time(char *dst, size_t cap, const struct ynode *n)
{
	const char *v = ynode_str(n);
	if (v && strlen(v) < cap)
		snprintf(dst, cap, "%s", v);
}

static int load_set(struct egs_strset *set, const struct ynode *seq)
{
	if (!seq || seq->kind != Y_SEQ)
		return 0;
	for (size_t i = 0; i < seq->n; i++)
		if (ynode_str(seq->items[i]) && set_add(set, seq->items[i]->str) < 0)
			return -1;
	return 0;
}

static int from_doc(struct egs_state *s, const struct ynode *root)
{
	const char *iid = ymap_get_str(root, "instanceId");
	if (iid) {
		free(s->instance_id);
		if (!(s->instance_id = strdup(iid)))
			return -1;
	}
	const struct ynode *stages = ymap_get(root, "completedStages");
	for (size_t i = 0; stages && stages->kind == Y_SEQ && i < stages->n; i++)
		for (int j = STAGE_LOCAL; j <= STAGE_FINAL; j++)
			if (ynode_is_str(stages->items[i], stage_names[j]))
				s->stages |= 1u << j;
	if (load_set(&s->completed, ymap_get(root, "completedHandlers")) < 0 ||
	    load_set(&s->pending, ymap_get(root, "pendingHandlers")) < 0)
		return -1;
	const struct ynode *counts = ymap_get(root, "moduleRebootCounts");
	for (size_t i = 0; counts && counts->kind == Y_MAP && i < counts->n; i++) {
		const struct ynode *k = ymap_key(counts, i), *v = ymap_value(counts, i);
		if (!ynode_str(k) || v->kind != Y_INT || v->big || v->i < 0 || v->i > 1000000)
			continue;
		struct egs_reboot_count *e = reboot_entry(s, k->str);
		if (!e)
			return -1;
		e->count = (int)v->i;
	}
	copy_time(s->started_at, sizeof(s->started_at), ymap_get(root, "startedAt"));
	copy_time(s->last_updated, sizeof(s->last_updated), ymap_get(root, "lastUpdated"));
	return 0;
}

int egs_state_load(const struct prov_paths *p, struct egs_state *s, struct strbuf *err)
{
	if (egs_state_init(s) < 0)
		return -1;
	struct ydoc *d = NULL;
	int rc = prov_state_read_json(p, EGS_STATE_FILE, &d, err);
	const struct ynode *root = d ? ydoc_root(d) : NULL;
	if (rc == 0 && root->kind != Y_MAP) {
		if (err)
			sb_printf(err, "%s/%s: not a JSON object", p->state, EGS_STATE_FILE);
		rc = -1;
	} else if (rc == 0 && from_doc(s, root) < 0) {
		if (err)
			sb_printf(err, "%s/%s: out of memory", p->state, EGS_STATE_FILE);
		rc = -1;
	}
	if (rc < 0) {
		egs_state_free(s);
		egs_state_init(s);
	}
	ydoc_free(d);
	return rc;
}

int egs_state_save(const struct prov_paths *p, struct egs_state *s)
{
	iso_now(s->last_updated, sizeof(s->last_updated));
	struct strbuf b = STRBUF_INIT;
	char *path = prov_state_path(p, EGS_STATE_FILE);
	int rc = -1;
	if (!path || egs_state_json(s, &b) < 0)
		errno = ENOMEM;
	else
		rc = prov_state_write(path, b.data, b.len, 0644);
	free(path);
	sb_free(&b);
	return rc;
}

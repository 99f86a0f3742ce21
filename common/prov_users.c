/* ug_util.normalize_users_groups in C (common/prov_users.h). Python's
 * util.mergemanydict gives the FIRST source priority: a duplicate user's
 * earlier keys win, and the distro default_user's keys win over the
 * `default` entry's own (checked against cloud-init 22.4.2). */
#include "prov_users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "strv.h"

static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

int prov_users_split(const struct ynode *n, char ***v, size_t *count, const char *what,
                     struct strbuf *err)
{
	if (!n || n->kind == Y_NULL)
		return 0;
	if (n->kind == Y_STR) {
		const char *s = n->str, *e = s + n->len;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		while (s < e) {
			const char *c = memchr(s, ',', (size_t)(e - s));
			size_t l = c ? (size_t)(c - s) : (size_t)(e - s);
			if (l && strv_pushn_unique(v, count, s, l) < 0)
				goto nomem;
			s += l + (c ? 1 : 0);
		}
		return 0;
	}
	if (n->kind == Y_SEQ || n->kind == Y_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			const struct ynode *it = n->kind == Y_SEQ ? n->items[i] : n->items[2 * i];
			if (!it || it->kind != Y_STR) {
				sb_printf(err, "%s[%zu]: expected a string, got %s", what, i,
				          it ? ykind_name(it->kind) : "nothing");
				return -1;
			}
			if (strv_pushn_unique(v, count, it->str, it->len) < 0)
				goto nomem;
		}
		return 0;
	}
	sb_printf(err, "%s: expected a string or a list, got %s", what, ykind_name(n->kind));
	return -1;
nomem:
	sb_puts(err, "out of memory");
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const struct ynode *uentry_get(const struct uentry *u, const char *key)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->kv[i].key, key) == 0)
			return u->kv[i].val;
	return NULL;
}

/* Adds key=val unless the key is already there (first wins). */
static int uentry_add(struct uentry *u, const char *key, size_t klen, const struct ynode *val)
{
	char *k = strndup(key, klen);
	if (!k)
		return -1;
	for (char *p = k; *p; p++)
		if (*p == '-')
			*p = '_';
	if (uentry_get(u, k)) {
		free(k);
		return 0;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 8;
		struct ukv *nv = realloc(u->kv, cap * sizeof(*nv));
		if (!nv) {
			free(k);
			return -1;
		}
		u->kv = nv;
		u->cap = cap;
	}
	u->kv[u->n].key = k;
	u->kv[u->n].val = val;
	u->n++;
	return 0;
}

static void uentry_free(struct uentry *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->kv[i].key);
	free(u->kv);
	free(u->name);
	memset(u, 0, sizeof(*u));
}

/* Merges the map m (all but "name" when skip_name) into u, first wins.
 * Keys are stripped; a key that strips to "" is dropped. */
static int uentry_merge_map(struct uentry *u, const struct ynode *m, int skip_name,
                            struct strbuf *err)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ynode *k = m->items[2 * i];
		if (!k || k->kind != Y_STR) {
			sb_printf(err, "users: option keys must be strings, got %s",
			          k ? ykind_name(k->kind) : "nothing");
			return -1;
		}
		if (skip_name && strcmp(k->str, "name") == 0)
			continue;
		const char *s = k->str;
		size_t l = k->len;
		while (l && is_space(*s)) {
			s++;
			l--;
		}
		while (l && is_space(s[l - 1]))
			l--;
		if (l && uentry_add(u, s, l, m->items[2 * i + 1]) < 0) {
			sb_puts(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* The entry named name, created at the end when missing. */
static struct uentry *user_slot(struct ugroups *ug, const char *name, size_t len)
{
	for (size_t i = 0; i < ug->nusers; i++)
		if (strlen(ug->users[i].name) == len && strncmp(ug->users[i].name, name, len) == 0)
			return &ug->users[i];
	struct uentry *nv = realloc(ug->users, (ug->nusers + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	ug->users = nv;
	struct uentry *u = &ug->users[ug->nusers];
	memset(u, 0, sizeof(*u));
	u->name = strndup(name, len);
	if (!u->name)
		return NULL;
	ug->nusers++;
	return u;
}

/* Removes entry i (moving it out to *out). */
static void user_take(struct ugroups *ug, size_t i, struct uentry *out)
{
	*out = ug->users[i];
	memmove(&ug->users[i], &ug->users[i + 1], (ug->nusers - i - 1) * sizeof(ug->users[0]));
	ug->nusers--;
}

static long user_index(const struct ugroups *ug, const char *name)
{
	for (size_t i = 0; i < ug->nusers; i++)
		if (strcmp(ug->users[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* The index of group name in v[0..*n), appended (no members) when
 * missing; -1 on ENOMEM. */
static long group_slot(struct gentry **v, size_t *n, const char *name)
{
	for (size_t j = 0; j < *n; j++)
		if (!strcmp((*v)[j].name, name))
			return (long)j;
	struct gentry *nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	if (!(nv[*n].name = strdup(name)))
		return -1;
	return (long)(*n)++;
}

/* _normalize_groups. */
static int norm_groups(const struct ynode *g, struct ugroups *ug, struct strbuf *err)
{
	if (!g)
		return 0;
	/* collect (name, members node list) */
	struct gentry *v = NULL;
	size_t n = 0;
	int rc = -1;
	const struct ynode *items = g;
	char **names = NULL;
	size_t nnames = 0;
	if (g->kind == Y_STR) {
		/* strip, split at ',' (items not stripped, empties kept) */
		const char *s = g->str, *e = s + g->len;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		for (;;) {
			const char *c = memchr(s, ',', (size_t)(e - s));
			size_t l = c ? (size_t)(c - s) : (size_t)(e - s);
			if (strv_pushn_unique(&names, &nnames, s, l) < 0)
				goto nomem;
			if (!c)
				break;
			s = c + 1;
		}
		items = NULL;
	} else if (g->kind != Y_SEQ && g->kind != Y_MAP) {
		sb_printf(err, "groups: must be a list, map or string, found %s", ykind_name(g->kind));
		goto out;
	}
	ug->groups = NULL;
	for (size_t i = 0; i < nnames; i++)
		if (group_slot(&v, &n, names[i]) < 0)
			goto nomem;
	if (items) {
		size_t cnt = items->n;
		for (size_t i = 0; i < cnt; i++) {
			const struct ynode *maps[1] = {NULL};
			const struct ynode *it;
			if (items->kind == Y_MAP) {
				maps[0] = items;
				it = NULL;
				if (i > 0)
					break;
			} else {
				it = items->items[i];
				if (it && it->kind == Y_MAP)
					maps[0] = it;
				else if (!it || it->kind != Y_STR) {
					sb_printf(err, "groups[%zu]: unknown group name type %s", i,
					          it ? ykind_name(it->kind) : "nothing");
					goto out;
				}
			}
			if (!maps[0]) {
				if (group_slot(&v, &n, it->str) < 0)
					goto nomem;
				continue;
			}
			const struct ynode *m = maps[0];
			for (size_t k = 0; k < m->n; k++) {
				const struct ynode *key = m->items[2 * k], *mem = m->items[2 * k + 1];
				if (!key || key->kind != Y_STR) {
					sb_printf(err, "groups: group names must be strings, got %s",
					          key ? ykind_name(key->kind) : "nothing");
					goto out;
				}
				if (items->kind == Y_SEQ && (!mem || (mem->kind != Y_STR && mem->kind != Y_SEQ))) {
					sb_printf(err, "groups[%zu].%s: bad group member type %s", i, key->str,
					          mem ? ykind_name(mem->kind) : "nothing");
					goto out;
				}
				long j = group_slot(&v, &n, key->str);
				if (j < 0)
					goto nomem;
				if (mem && mem->kind == Y_STR && items->kind == Y_SEQ) {
					/* a single member string is one member, not split */
					if (strv_pushn_unique(&v[j].members, &v[j].n, mem->str, mem->len) < 0)
						goto nomem;
				} else if (prov_users_split(mem, &v[j].members, &v[j].n, key->str, err) < 0)
					goto out;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].n)
			qsort(v[i].members, v[i].n, sizeof(char *), cmp_str);
	ug->groups = v;
	ug->ngroups = n;
	v = NULL;
	n = 0;
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		strv_free(v[i].members);
	}
	free(v);
	strv_free(names);
	return rc;
}

/* Adds the plain names of a string or list item (util.uniq_merge). */
static int add_names(struct ugroups *ug, const struct ynode *item, const char *what,
                     struct strbuf *err)
{
	char **v = NULL;
	size_t n = 0;
	if (prov_users_split(item, &v, &n, what, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (!user_slot(ug, v[i], strlen(v[i]))) {
			sb_puts(err, "out of memory");
			rc = -1;
		}
	strv_free(v);
	return rc;
}

static int is_python_true(const struct ynode *v)
{
	/* util.is_true on a scalar: str(v).lower().strip() in true/1/on/yes */
	if (v->kind == Y_BOOL)
		return v->b;
	if (v->kind == Y_INT)
		return !v->big && v->i == 1;
	if (v->kind == Y_STR) {
		const char *s = v->str;
		size_t l = v->len;
		while (l && is_space(*s)) {
			s++;
			l--;
		}
		while (l && is_space(s[l - 1]))
			l--;
		static const char *const yes[] = {"true", "1", "on", "yes"};
		for (size_t i = 0; i < 4; i++)
			if (strlen(yes[i]) == l && strncasecmp(s, yes[i], l) == 0)
				return 1;
	}
	return 0;
}

/* _normalize_users on the users value plus a legacy `user`. */
static int norm_users(const struct ynode *users, int add_default, struct ugroups *ug,
                      struct strbuf *err)
{
	if (users && users->kind == Y_MAP) {
		log_msg(LOG_WRN, "egs.run", "DEPRECATED: 'users' of type dict is deprecated. Use 'users' as a list.");
		for (size_t i = 0; i < users->n; i++) {
			const struct ynode *k = users->items[2 * i], *v = users->items[2 * i + 1];
			if (!k || k->kind != Y_STR) {
				sb_puts(err, "users: user names must be strings");
				return -1;
			}
			if (v && (v->kind == Y_BOOL || v->kind == Y_INT || v->kind == Y_FLOAT ||
			          v->kind == Y_STR)) {
				if (is_python_true(v) && !user_slot(ug, k->str, k->len))
					goto nomem;
			} else if (v && v->kind == Y_MAP) {
				struct uentry *u = user_slot(ug, k->str, k->len);
				if (!u)
					goto nomem;
				if (uentry_merge_map(u, v, 1, err) < 0)
					return -1;
			} else {
				sb_printf(err, "users.%s: unmappable user value type %s", k->str,
				          v ? ykind_name(v->kind) : "nothing");
				return -1;
			}
		}
		if (add_default && !user_slot(ug, "default", 7))
			goto nomem;
		return 0;
	}
	if (users && users->kind == Y_STR) {
		log_msg(LOG_WRN, "egs.run", "DEPRECATED: 'users' of type str is deprecated. Use 'users' as a list.");
		char **v = NULL;
		size_t n = 0;
		if (prov_users_split(users, &v, &n, "users", err) < 0)
			return -1;
		if (n)
			qsort(v, n, sizeof(char *), cmp_str);
		int rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++)
			if (!user_slot(ug, v[i], strlen(v[i])))
				rc = -1;
		strv_free(v);
		if (rc < 0 || (add_default && !user_slot(ug, "default", 7)))
			goto nomem;
		return 0;
	}
	if (users && users->kind != Y_SEQ) {
		log_msg(LOG_WRN, "egs.run",
		        "Format for 'users' key must be a comma-separated string or a dictionary or a list but found %s",
		        ykind_name(users->kind));
		users = NULL;
	}
	for (size_t i = 0; users && i < users->n; i++) {
		const struct ynode *it = users->items[i];
		char what[32];
		snprintf(what, sizeof(what), "users[%zu]", i);
		if (it && (it->kind == Y_STR || it->kind == Y_SEQ)) {
			if (add_names(ug, it, what, err) < 0)
				return -1;
		} else if (it && it->kind == Y_MAP) {
			const struct ynode *nn = ymap_get(it, "name");
			const char *name = "default";
			size_t nl = 7;
			if (nn && nn->kind == Y_STR) {
				name = nn->str;
				nl = nn->len;
			} else if (nn) {
				sb_printf(err, "%s.name: expected a string, got %s", what, ykind_name(nn->kind));
				return -1;
			}
			struct uentry *u = user_slot(ug, name, nl);
			if (!u)
				goto nomem;
			if (uentry_merge_map(u, it, 1, err) < 0)
				return -1;
		} else {
			sb_printf(err, "%s: user config must be a map, list or string, not %s", what,
			          it ? ykind_name(it->kind) : "nothing");
			return -1;
		}
	}
	if (add_default && !user_slot(ug, "default", 7))
		goto nomem;
	return 0;
nomem:
	sb_puts(err, "out of memory");
	return -1;
}

/* Replaces the `default` entry by the distro default user (merged as
 * mergemanydict([default_user, default entry, entry with the real name])
 * and moved to the end). */
static int make_default(struct ugroups *ug, const struct ynode *old_user, struct strbuf *err)
{
	long di = user_index(ug, "default");
	if (di < 0)
		return 0;
	struct ydoc *d = ug->doc;
	/* the default_user config: legacy `user` over the distro's */
	struct uentry base = {0};
	const char *defname = PROV_DEFAULT_USER;
	if (old_user && old_user->kind == Y_MAP) {
		const struct ynode *nn = ymap_get(old_user, "name");
		if (nn && nn->kind == Y_STR)
			defname = nn->str;
		if (uentry_merge_map(&base, old_user, 1, err) < 0)
			return -1;
	}
	struct ynode *groups = ynode_new_seq(d);
	struct ynode *sudo = ynode_new_seq(d);
	static const char *const dgroups[] = {"adm",  "audio",  "cdrom",   "dialout", "dip",
	                                      "floppy", "netdev", "plugdev", "sudo",    "video"};
	for (size_t i = 0; groups && i < sizeof(dgroups) / sizeof(dgroups[0]); i++)
		if (yseq_append(d, groups, ynode_new_str(d, dgroups[i])) < 0)
			groups = NULL;
	if (!groups || !sudo || yseq_append(d, sudo, ynode_new_str(d, PROV_DEFAULT_SUDO)) < 0 ||
	    uentry_add(&base, "lock_passwd", 11, ynode_new_bool(d, 1)) < 0 ||
	    uentry_add(&base, "gecos", 5, ynode_new_str(d, PROV_DEFAULT_GECOS)) < 0 ||
	    uentry_add(&base, "groups", 6, groups) < 0 || uentry_add(&base, "sudo", 4, sudo) < 0 ||
	    uentry_add(&base, "shell", 5, ynode_new_str(d, PROV_DEFAULT_SHELL)) < 0) {
		uentry_free(&base);
		sb_puts(err, "out of memory");
		return -1;
	}
	/* def_groups = the base's groups, popped */
	const struct ynode *def_groups = uentry_get(&base, "groups");
	struct uentry defent, parsed = {0};
	user_take(ug, (size_t)di, &defent);
	long pi = user_index(ug, defname);
	if (pi >= 0)
		user_take(ug, (size_t)pi, &parsed);
	char **gv = NULL;
	size_t gn = 0;
	int rc = -1;
	if (prov_users_split(uentry_get(&parsed, "groups"), &gv, &gn, "users.groups", err) < 0 ||
	    prov_users_split(def_groups, &gv, &gn, "user.groups", err) < 0)
		goto out;
	if (gn)
		qsort(gv, gn, sizeof(char *), cmp_str);
	struct strbuf joined = STRBUF_INIT;
	for (size_t i = 0; i < gn; i++)
		sb_printf(&joined, "%s%s", i ? "," : "", gv[i]);
	struct ynode *gnode = ynode_new_str(d, sb_str(&joined));
	sb_free(&joined);
	struct uentry *u = user_slot(ug, defname, strlen(defname));
	if (!gnode || !u)
		goto nomem;
	u->is_default = 1;
	for (size_t i = 0; i < base.n; i++)
		if (strcmp(base.kv[i].key, "groups") != 0 &&
		    uentry_add(u, base.kv[i].key, strlen(base.kv[i].key), base.kv[i].val) < 0)
			goto nomem;
	for (size_t i = 0; i < defent.n; i++)
		if (uentry_add(u, defent.kv[i].key, strlen(defent.kv[i].key), defent.kv[i].val) < 0)
			goto nomem;
	/* parsed_config with its groups replaced by the joined union */
	if (uentry_add(u, "groups", 6, gnode) < 0)
		goto nomem;
	for (size_t i = 0; i < parsed.n; i++)
		if (uentry_add(u, parsed.kv[i].key, strlen(parsed.kv[i].key), parsed.kv[i].val) < 0)
			goto nomem;
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	strv_free(gv);
	uentry_free(&base);
	uentry_free(&defent);
	uentry_free(&parsed);
	return rc;
}

int prov_users_normalize(const struct ynode *cfg, struct ugroups *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	out->doc = ydoc_new();
	if (!out->doc) {
		sb_puts(err, "out of memory");
		return -1;
	}
	const struct ynode *old_user = ymap_get(cfg, "user");
	int have_old = 0;
	if (ynode_truthy(old_user)) {
		if (old_user->kind == Y_STR) {
			log_msg(LOG_WRN, "egs.run", "DEPRECATED: 'user' of type string is deprecated. Use 'users' list instead.");
			struct ynode *m = ynode_new_map(out->doc);
			if (!m || ymap_set(out->doc, m, "name", ynode_new_str(out->doc, old_user->str)) < 0)
				goto nomem;
			old_user = m;
			have_old = 1;
		} else if (old_user->kind == Y_MAP) {
			have_old = 1;
		} else {
			log_msg(LOG_WRN, "egs.run", "Format for 'user' key must be a string or dictionary and not %s",
			        ykind_name(old_user->kind));
			old_user = NULL;
		}
	} else {
		old_user = NULL;
	}
	/* no `users` key: the system config's users: [default] */
	const struct ynode *users = ymap_get(cfg, "users");
	int implied = !users;
	if (implied) {
		if (!user_slot(out, "default", 7))
			goto nomem;
		users = NULL;
	}
	if (norm_users(users, have_old && !implied, out, err) < 0 ||
	    (implied && have_old && !user_slot(out, "default", 7)))
		goto fail;
	if (make_default(out, have_old ? old_user : NULL, err) < 0)
		goto fail;
	if (norm_groups(ymap_get(cfg, "groups"), out, err) < 0)
		goto fail;
	return 0;
nomem:
	sb_puts(err, "out of memory");
fail:
	prov_users_free(out);
	return -1;
}

void prov_users_free(struct ugroups *ug)
{
	for (size_t i = 0; i < ug->nusers; i++)
		uentry_free(&ug->users[i]);
	free(ug->users);
	for (size_t i = 0; i < ug->ngroups; i++) {
		free(ug->groups[i].name);
		strv_free(ug->groups[i].members);
	}
	free(ug->groups);
	ydoc_free(ug->doc);
	memset(ug, 0, sizeof(*ug));
}

const struct uentry *prov_users_default(const struct ugroups *ug)
{
	for (size_t i = 0; i < ug->nusers; i++)
		if (ug->users[i].is_default)
			return &ug->users[i];
	return NULL;
}

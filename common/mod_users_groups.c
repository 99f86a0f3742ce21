/* users_groups (cloud-init.md §4.2, cc_users_groups.py and
 * distros.create_user/add_user): groups first, then every user in order
 * (the default user last), editing ROOT/etc/passwd, shadow, group and
 * gshadow through common/pwdb (no useradd needed in the target). */
#include "prov.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fsutil.h"
#include "log.h"
#include "prov_sshkeys.h"
#include "prov_users.h"
#include "strv.h"
#include "pwdb.h"
#include "sha512crypt.h"

#define SUDOERS_D "/etc/sudoers.d"
#define SUDOERS_FILE "/etc/sudoers.d/90-cloud-init-users"

/* util.make_header: "# Created by egs v. X on <RFC 2822 UTC>". */
static void make_header(struct strbuf *sb, const char *base)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_printf(sb, "# %s by egs v. %s on %s", base, EGS_VERSION, date);
}

/* distros.ensure_sudo_dir: an #includedir line in /etc/sudoers, and
 * /etc/sudoers.d with mode 0750. */
static int ensure_sudo_dir(struct prov_ctx *ctx, struct strbuf *err)
{
	char *base = prov_path(ctx, "/etc/sudoers");
	struct strbuf text = STRBUF_INIT;
	int rc = -1, exists = 0;
	struct stat st;
	if (!base)
		goto out;
	if (fs_read_file(base, &text, 1024 * 1024) == 0)
		exists = stat(base, &st) == 0;
	else if (errno != ENOENT) {
		sb_printf(err, "cannot read /etc/sudoers: %s", strerror(errno));
		goto out;
	}
	int found = 0;
	for (const char *p = sb_str(&text); *p && !found;) {
		size_t l = strcspn(p, "\n");
		const char *q = p, *e = p + l;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (e - q > 11 && (*q == '#' || *q == '@' || *q == '|') && !strncmp(q + 1, "includedir", 10) &&
		    (q[11] == ' ' || q[11] == '\t')) {
			q += 11;
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			while (e > q && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			size_t dl = (size_t)(e - q);
			while (dl > 1 && q[dl - 1] == '/')
				dl--;
			if (dl == strlen(SUDOERS_D) && !strncmp(q, SUDOERS_D, dl))
				found = 1;
		}
		p += l + (p[l] ? 1 : 0);
	}
	if (!found) {
		if (!exists) {
			sb_reset(&text);
			sb_puts(&text, "# See sudoers(5) for more information on \"#include\" directives:\n\n");
		} else
			sb_putc(&text, '\n');
		make_header(&text, "Added");
		sb_puts(&text, "\n#includedir " SUDOERS_D "\n");
		if (prov_write_file(ctx, "/etc/sudoers", sb_str(&text), text.len,
		                    exists ? st.st_mode & 07777 : 0440, exists ? st.st_uid : 0,
		                    exists ? st.st_gid : 0) < 0) {
			sb_printf(err, "cannot write /etc/sudoers: %s", strerror(errno));
			goto out;
		}
	}
	char *d = prov_path(ctx, SUDOERS_D);
	if (!d)
		goto out;
	prov_action(ctx, "mkdir %s (0750)", SUDOERS_D);
	if (!ctx->dry_run && ((fs_mkdir_p(d, 0750) < 0) || chmod(d, 0750) < 0)) {
		sb_printf(err, "cannot create %s: %s", SUDOERS_D, strerror(errno));
		free(d);
		goto out;
	}
	free(d);
	rc = 0;
out:
	free(base);
	sb_free(&text);
	return rc;
}

/* distros.write_sudo_rules (a block already in the file is not added
 * again). */
static int write_sudo_rules(struct prov_ctx *ctx, const char *user, const struct ynode *rules,
                            struct strbuf *err)
{
	struct strbuf block = STRBUF_INIT, file = STRBUF_INIT;
	int rc = -1;
	sb_printf(&block, "\n# User rules for %s\n", user);
	if (rules->kind == Y_STR)
		sb_printf(&block, "%s %s\n", user, rules->str);
	else if (rules->kind == Y_SEQ) {
		for (size_t i = 0; i < rules->n; i++) {
			const struct ynode *r = rules->items[i];
			if (!r || (r->kind != Y_STR && r->kind != Y_INT && r->kind != Y_FLOAT)) {
				sb_printf(err, "users.%s.sudo[%zu]: expected a string", user, i);
				goto out;
			}
			sb_printf(&block, "%s %s\n", user, r->text);
		}
	} else {
		sb_printf(err, "users.%s.sudo: can not create sudoers rule addition with type %s", user,
		          ykind_name(rules->kind));
		goto out;
	}
	if (ensure_sudo_dir(ctx, err) < 0)
		goto out;
	char *path = prov_path(ctx, SUDOERS_FILE);
	if (!path)
		goto out;
	struct stat st;
	int exists = fs_read_file(path, &file, 16 * 1024 * 1024) == 0 && stat(path, &st) == 0;
	free(path);
	if (!exists) {
		sb_reset(&file);
		make_header(&file, "Created");
		sb_putc(&file, '\n');
	}
	/* cloud-init appends unconditionally; a run that follows one killed
	 * after this write (users_groups runs again) must not add the block
	 * twice */
	if (exists && strstr(sb_str(&file), sb_str(&block))) {
		rc = 0;
		goto out;
	}
	sb_append(&file, block.data, block.len);
	if (prov_write_file(ctx, SUDOERS_FILE, sb_str(&file), file.len, exists ? st.st_mode & 07777 : 0440,
	                    exists ? st.st_uid : 0, exists ? st.st_gid : 0) < 0) {
		sb_printf(err, "cannot write %s: %s", SUDOERS_FILE, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sb_free(&block);
	sb_free(&file);
	return rc;
}

/* A non-empty string option (useradd takes only those), else NULL. */
static const char *opt_str(const struct uentry *u, const char *key)
{
	const struct ynode *v = uentry_get(u, key);
	return v && v->kind == Y_STR && v->len ? v->str : NULL;
}

/* distros.add_user for a user that does not exist yet. */
static int add_user(struct prov_ctx *ctx, struct pwdb *db, const struct uentry *u, struct strbuf *err)
{
	char **groups = NULL;
	size_t ng = 0;
	int rc = -1;
	const struct ynode *gv = uentry_get(u, "groups");
	if (ynode_truthy(gv)) {
		char what[300];
		snprintf(what, sizeof(what), "users.%s.groups", u->name);
		if (prov_users_split(gv, &groups, &ng, what, err) < 0)
			goto out;
		/* the items are stripped (g.strip()) */
		for (size_t i = 0; i < ng; i++) {
			char *s = groups[i];
			size_t l = strlen(s);
			while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
				s[--l] = '\0';
			size_t lead = strspn(s, " \t");
			memmove(s, s + lead, l - lead + 1);
		}
	}
	const char *primary = opt_str(u, "primary_group");
	int create_groups = uentry_get(u, "create_groups") ? ynode_truthy(uentry_get(u, "create_groups")) : 1;
	for (size_t i = 0; create_groups && i <= ng && ng; i++) {
		const char *g = i < ng ? groups[i] : primary;
		gid_t gid;
		if (!g || !g[0] || pwdb_getgrnam(db, g, &gid) == 1)
			continue;
		struct strbuf gerr = STRBUF_INIT;
		if (pwdb_group_add(db, g, 0, -1, &gerr) < 0)
			log_msg(LOG_WRN, "egs.run", "Failed to create group %s: %s", g, sb_str(&gerr));
		else
			prov_action(ctx, "groupadd %s (for user %s)", g, u->name);
		sb_free(&gerr);
	}
	struct pwdb_newuser nu = {.name = u->name, .uid = -1, .gid = -1};
	nu.gecos = opt_str(u, "gecos");
	nu.home = opt_str(u, "homedir");
	nu.shell = opt_str(u, "shell");
	nu.hash = opt_str(u, "passwd");
	nu.system = ynode_truthy(uentry_get(u, "system"));
	nu.no_user_group = ynode_truthy(uentry_get(u, "no_user_group"));
	const struct ynode *uidn = uentry_get(u, "uid");
	if (uidn && uidn->kind != Y_NULL) {
		char *e = NULL;
		long v = -1;
		if (uidn->kind == Y_INT && !uidn->big)
			v = (long)uidn->i;
		else if (uidn->kind == Y_STR && uidn->len)
			v = strtol(uidn->str, &e, 10);
		if (v < 0 || v > 0x7fffffffL || (e && *e)) {
			sb_printf(err, "users.%s.uid: invalid user ID '%s'", u->name, uidn->text);
			goto out;
		}
		nu.uid = v;
	}
	if (primary) {
		gid_t gid;
		char *e;
		long v = strtol(primary, &e, 10);
		if (pwdb_getgrnam(db, primary, &gid) == 1)
			nu.gid = gid;
		else if (!*e && v >= 0)
			nu.gid = v;
		else {
			sb_printf(err, "useradd %s: group '%s' does not exist", u->name, primary);
			goto out;
		}
	}
	static const char *const unapplied[] = {"expiredate", "inactive", "selinux_user", "no_log_init"};
	for (size_t i = 0; i < sizeof(unapplied) / sizeof(unapplied[0]); i++)
		if (uentry_get(u, unapplied[i])) {
			char key[64];
			snprintf(key, sizeof(key), "users[].%s", unapplied[i]);
			prov_not_applied(ctx, key);
		}
	prov_action(ctx, "useradd %s%s", u->name, nu.system ? " (system)" : "");
	long uid = pwdb_user_add(db, &nu, err);
	if (uid < 0)
		goto out;
	for (size_t i = 0; i < ng; i++) {
		if (!groups[i][0])
			continue;
		if (pwdb_group_add_member(db, groups[i], u->name) < 0) {
			sb_printf(err, "useradd %s: group '%s' does not exist", u->name, groups[i]);
			goto out;
		}
	}
	rc = 0;
out:
	strv_free(groups);
	return rc;
}

/* useradd -m for a user just added to db (not committed yet): the home
 * is made before the account is written, so a kill in between leaves no
 * account without its home (a next run finding the account would skip
 * it); a home without its account is taken over by the next run's
 * useradd (same uid: same account files). */
static int new_home(struct prov_ctx *ctx, struct pwdb *db, const struct uentry *u,
                    struct strbuf *err)
{
	if (ynode_truthy(uentry_get(u, "no_create_home")) || ynode_truthy(uentry_get(u, "system")))
		return 0;
	struct pwdb_user pw;
	int found = pwdb_getpwnam(db, u->name, &pw);
	if (found < 0) {
		sb_puts(err, "out of memory");
		return -1;
	}
	int rc = found ? pwdb_make_home(ctx, pw.home, pw.uid, pw.gid, err) : 0;
	pwdb_user_free(&pw);
	return rc;
}

/* The account part of create_user under the lock: useradd (and home) when
 * missing, passwords, lock. Commits. */
static int user_account(struct prov_ctx *ctx, const struct uentry *u,
                        struct strbuf *err)
{
	struct pwdb db;
	if (pwdb_open(&db, ctx, 1, err) < 0)
		return -1;
	int rc = -1;
	struct pwdb_user pw;
	int exists = pwdb_getpwnam(&db, u->name, &pw);
	if (exists < 0)
		goto nomem;
	pwdb_user_free(&pw);
	if (exists)
		log_msg(LOG_INF, "egs.run", "User %s already exists, skipping.", u->name);
	else if (add_user(ctx, &db, u, err) < 0 || new_home(ctx, &db, u, err) < 0)
		goto out;
	const char *plain = opt_str(u, "plain_text_passwd");
	if (plain) {
		char hash[SHA512CRYPT_MAX];
		if (sha512crypt_new(plain, hash, sizeof(hash)) < 0 || pwdb_set_hash(&db, u->name, hash) < 0) {
			sb_printf(err, "cannot set the password of %s", u->name);
			goto out;
		}
		explicit_bzero(hash, sizeof(hash));
		prov_action(ctx, "set password of %s (plain_text_passwd, hashed)", u->name);
	}
	const char *hashed = opt_str(u, "hashed_passwd");
	if (hashed) {
		if (pwdb_set_hash(&db, u->name, hashed) < 0) {
			sb_printf(err, "cannot set the password of %s", u->name);
			goto out;
		}
		prov_action(ctx, "set password of %s (hashed_passwd)", u->name);
	}
	const struct ynode *lock = uentry_get(u, "lock_passwd");
	if (!lock || ynode_truthy(lock)) {
		if (pwdb_lock(&db, u->name) < 0) {
			sb_printf(err, "cannot lock the password of %s", u->name);
			goto out;
		}
		prov_action(ctx, "lock password of %s", u->name);
	}
	rc = pwdb_commit(&db, err);
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	pwdb_close(&db);
	return rc;
}

/* ssh_authorized_keys: a string, a list, or a map's values. */
static int user_keys(struct prov_ctx *ctx, const struct uentry *u, const struct ynode *keys,
                     struct strbuf *err)
{
	char **v = NULL;
	size_t n = 0;
	int rc = 0;
	if (keys->kind == Y_STR || keys->kind == Y_SEQ || keys->kind == Y_MAP) {
		size_t cnt = keys->kind == Y_STR ? 1 : keys->n;
		for (size_t i = 0; i < cnt; i++) {
			const struct ynode *k = keys->kind == Y_STR ? keys
			                        : keys->kind == Y_SEQ ? keys->items[i]
			                                              : keys->items[2 * i + 1];
			if (!k || k->kind != Y_STR)
				continue;
			if (strv_pushn_unique(&v, &n, k->str, strlen(k->str)) < 0) {
				rc = -1;
				break;
			}
		}
	} else if (keys->kind != Y_NULL) {
		log_msg(LOG_WRN, "egs.run", "Invalid type '%s' detected for 'ssh_authorized_keys' of %s",
		        ykind_name(keys->kind), u->name);
	}
	if (rc == 0 && keys->kind != Y_NULL)
		rc = prov_setup_user_keys(ctx, u->name, v, n, NULL, err);
	else if (rc < 0)
		sb_puts(err, "out of memory");
	strv_free(v);
	return rc;
}

static int create_user(struct prov_ctx *ctx, const struct uentry *u, const char *redirect,
                       struct strbuf *err)
{
	if (uentry_get(u, "snapuser")) {
		prov_not_applied(ctx, "users[].snapuser");
		return 0;
	}
	if (user_account(ctx, u, err) < 0)
		return -1;
	const struct ynode *sudo = uentry_get(u, "sudo");
	if (ynode_truthy(sudo)) {
		if (write_sudo_rules(ctx, u->name, sudo, err) < 0)
			return -1;
	} else if (sudo && sudo->kind == Y_BOOL) {
		log_msg(LOG_WRN, "egs.run",
		        "DEPRECATED: The user %s has a 'sudo' config value of 'false' which will be dropped "
		        "after April 2027. Use 'null' instead.",
		        u->name);
	}
	const struct ynode *keys = uentry_get(u, "ssh_authorized_keys");
	if (keys && user_keys(ctx, u, keys, err) < 0)
		return -1;
	if (uentry_get(u, "ssh_import_id"))
		prov_not_applied(ctx, "users[].ssh_import_id");
	if (redirect) {
		size_t n = 0;
		char *const *ck = ctx->meta ? ctx->meta->public_keys : NULL;
		while (ck && ck[n])
			n++;
		if (!n) {
			log_msg(LOG_WRN, "egs.run",
			        "Unable to disable SSH logins for %s given ssh_redirect_user: %s. No cloud "
			        "public-keys present.",
			        u->name, redirect);
		} else {
			char *opts = prov_disable_user_opts(redirect, u->name);
			int rc = opts ? prov_setup_user_keys(ctx, u->name, ck, n, opts, err) : -1;
			free(opts);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static int run_users_groups(struct prov_ctx *ctx, struct strbuf *err)
{
	struct ugroups ug;
	if (prov_users_normalize(ctx->cfg, &ug, err) < 0)
		return -1;
	const struct uentry *def = prov_users_default(&ug);
	int rc = -1;
	/* groups first */
	if (ug.ngroups) {
		struct pwdb db;
		if (pwdb_open(&db, ctx, 1, err) < 0)
			goto out;
		for (size_t i = 0; i < ug.ngroups; i++) {
			const struct gentry *g = &ug.groups[i];
			gid_t gid;
			if (pwdb_getgrnam(&db, g->name, &gid) != 1) {
				struct strbuf gerr = STRBUF_INIT;
				if (pwdb_group_add(&db, g->name, 0, -1, &gerr) < 0)
					log_msg(LOG_WRN, "egs.run", "Failed to create group %s: %s", g->name,
					        sb_str(&gerr));
				else
					prov_action(ctx, "groupadd %s", g->name);
				sb_free(&gerr);
			}
			for (size_t j = 0; j < g->n; j++) {
				struct pwdb_user pw;
				int ex = pwdb_getpwnam(&db, g->members[j], &pw);
				if (ex == 1) {
					pwdb_user_free(&pw);
					if (pwdb_group_add_member(&db, g->name, g->members[j]) == 0)
						prov_action(ctx, "add %s to group %s", g->members[j], g->name);
				} else
					log_msg(LOG_WRN, "egs.run",
					        "Unable to add group member '%s' to group '%s'; user does not exist.",
					        g->members[j], g->name);
			}
		}
		int c = pwdb_commit(&db, err);
		pwdb_close(&db);
		if (c < 0)
			goto out;
	}
	for (size_t i = 0; i < ug.nusers; i++) {
		const struct uentry *u = &ug.users[i];
		static const char *const no_home[] = {"no_create_home", "system"};
		static const char *const need_home[] = {"ssh_authorized_keys", "ssh_import_id",
		                                        "ssh_redirect_user"};
		const char *nh = NULL, *need = NULL;
		for (size_t k = 0; k < 2; k++)
			if (ynode_truthy(uentry_get(u, no_home[k])) && !nh)
				nh = no_home[k];
		for (size_t k = 0; k < 3; k++)
			if (ynode_truthy(uentry_get(u, need_home[k])) && !need)
				need = need_home[k];
		if (nh && need) {
			sb_printf(err, "Not creating user %s. Key(s) %s cannot be provided with %s", u->name,
			          need, nh);
			goto out;
		}
		const char *redirect = NULL;
		const struct ynode *r = uentry_get(u, "ssh_redirect_user");
		if (ynode_truthy(r)) {
			if (uentry_get(u, "ssh_authorized_keys") || uentry_get(u, "ssh_import_id")) {
				sb_printf(err, "Not creating user %s. ssh_redirect_user cannot be provided with "
				               "ssh_import_id or ssh_authorized_keys",
				          u->name);
				goto out;
			}
			if (!(r->kind == Y_BOOL && r->b) && !ynode_is_str(r, "default")) {
				sb_printf(err, "Not creating user %s. Invalid value of ssh_redirect_user: %s. "
				               "Expected values: true, default or false.",
				          u->name, r->text);
				goto out;
			}
			if (!def)
				log_msg(LOG_WRN, "egs.run",
				        "Ignoring ssh_redirect_user for %s. No default_user defined.", u->name);
			else
				redirect = def->name;
		}
		if (create_user(ctx, u, redirect, err) < 0)
			goto out;
	}
	rc = 0;
out:
	prov_users_free(&ug);
	return rc;
}

const struct prov_module mod_users_groups = {
	.name = "users-groups",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_users_groups,
};

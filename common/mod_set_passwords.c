/* set_passwords (cloud-init.md §4.3, cc_set_passwords.py): chpasswd
 * users/list/expire, `password:` for the default user, and ssh_pwauth.
 * Plain-text passwords are stored as SHA-512 crypt hashes
 * (common/sha512crypt); nothing logs a password or a hash: RANDOM
 * passwords are shown once, on the console (stdout under --root), as
 * cloud-init does. */
#include "prov.h"
#include "random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "prov_users.h"
#include "pwdb.h"
#include "sha512crypt.h"

#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_DROPIN "/etc/ssh/sshd_config.d/50-cloud-init.conf"

struct pwent {
	char *user;
	char *pw; /* plain text or hash */
	int hashed, random;
};

struct pwlist {
	struct pwent *v;
	size_t n;
};

static int pw_add(struct pwlist *l, const char *user, size_t ulen, const char *pw, int hashed,
                  int random)
{
	struct pwent *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	l->v = nv;
	struct pwent *e = &l->v[l->n];
	e->user = strndup(user, ulen);
	e->pw = strdup(pw);
	e->hashed = hashed;
	e->random = random;
	if (!e->user || !e->pw) {
		free(e->user);
		free(e->pw);
		return -1;
	}
	l->n++;
	return 0;
}

static void pw_free(struct pwlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		explicit_bzero(l->v[i].pw, strlen(l->v[i].pw));
		free(l->v[i].pw);
		free(l->v[i].user);
	}
	free(l->v);
}

/* rand_user_password: 20 characters of [A-Za-z0-9] without loLOI01. */
static int rand_password(char out[21])
{
	static const char set[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
	size_t setlen = sizeof(set) - 1, got = 0;
	while (got < 20) {
		unsigned char b;
		if (random_bytes(&b, 1) < 0)
			return -1;
		if (b >= 256 - 256 % setlen) /* no modulo bias */
			continue;
		out[got++] = set[b % setlen];
	}
	out[20] = '\0';
	return 0;
}

/* ^\$(1|2a|2y|5|6)(\$.+){2} without ':' */
static int looks_hashed(const char *p)
{
	if (strchr(p, ':') || p[0] != '$')
		return 0;
	p++;
	static const char *const ids[] = {"1$", "2a$", "2y$", "5$", "6$"};
	size_t i;
	for (i = 0; i < 5; i++)
		if (!strncmp(p, ids[i], strlen(ids[i])))
			break;
	if (i == 5)
		return 0;
	p += strlen(ids[i]) - 1; /* at the '$' */
	/* ($.+){2}: a '$', at least one char, then another '$' followed by at least one char */
	const char *d2 = strchr(p + 2, '$');
	return p[1] && d2 && d2[1];
}

/* chpasswd.users: {name, password?, type?}. */
static int parse_users(const struct ynode *users, struct pwlist *l, struct strbuf *err)
{
	char rnd[21];
	for (size_t i = 0; users && i < users->n; i++) {
		const struct ynode *it = users->items[i];
		const char *name = ymap_get_str(it, "name");
		if (!name) {
			sb_printf(err, "chpasswd.users[%zu]: needs a name", i);
			return -1;
		}
		const struct ynode *tn = ymap_get(it, "type");
		const char *type = tn ? ynode_str(tn) : "hash";
		const struct ynode *pn = ymap_get(it, "password");
		const char *pw = pn ? ynode_str(pn) : "RANDOM";
		if (!type || !pw) {
			sb_printf(err, "chpasswd.users[%zu]: type and password must be strings", i);
			return -1;
		}
		int rc;
		if (!strcmp(type, "RANDOM")) {
			if (rand_password(rnd) < 0) {
				sb_puts(err, "getrandom failed");
				return -1;
			}
			rc = pw_add(l, name, strlen(name), rnd, 0, 1);
		} else if (!strcmp(type, "text") || !strcmp(type, "hash")) {
			rc = pw_add(l, name, strlen(name), pw, !strcmp(type, "hash"), 0);
		} else {
			continue; /* cloud-init only picks text, hash and RANDOM */
		}
		if (rc < 0) {
			sb_puts(err, "out of memory");
			return -1;
		}
	}
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

/* One "user:password" line of chpasswd.list. */
static int parse_line(const char *line, size_t len, size_t idx, struct pwlist *l, struct strbuf *err)
{
	const char *colon = memchr(line, ':', len);
	if (!colon) {
		sb_printf(err, "chpasswd.list[%zu]: expected \"user:password\"", idx);
		return -1;
	}
	char *pw = strndup(colon + 1, (size_t)(line + len - colon - 1));
	if (!pw)
		return -1;
	int rc;
	size_t ul = (size_t)(colon - line);
	if (looks_hashed(pw))
		rc = pw_add(l, line, ul, pw, 1, 0);
	else if (!strcmp(pw, "R") || !strcmp(pw, "RANDOM")) {
		char rnd[21];
		rc = rand_password(rnd) < 0 ? -1 : pw_add(l, line, ul, rnd, 0, 1);
		explicit_bzero(rnd, sizeof(rnd));
	} else
		rc = pw_add(l, line, ul, pw, 0, 0);
	explicit_bzero(pw, strlen(pw));
	free(pw);
	if (rc < 0)
		sb_puts(err, "out of memory");
	return rc;
}

static int parse_list(const struct ynode *list, struct pwlist *l, struct strbuf *err)
{
	if (!ynode_truthy(list))
		return 0;
	log_msg(LOG_WRN, "egs.run", "DEPRECATION: key 'lists' is now deprecated. Use 'users'.");
	if (list->kind == Y_SEQ) {
		for (size_t i = 0; i < list->n; i++) {
			const struct ynode *it = list->items[i];
			if (!it || it->kind != Y_STR) {
				sb_printf(err, "chpasswd.list[%zu]: expected a string", i);
				return -1;
			}
			if (parse_line(it->str, it->len, i, l, err) < 0)
				return -1;
		}
		return 0;
	}
	if (list->kind != Y_STR) {
		sb_printf(err, "chpasswd.list: expected a list or a string, got %s", ykind_name(list->kind));
		return -1;
	}
	const char *p = list->str, *end = p + list->len;
	for (size_t i = 0; p < end; i++) {
		size_t l2 = strcspn(p, "\r\n");
		if (parse_line(p, l2, i, l, err) < 0)
			return -1;
		p += l2;
		if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		if (p < end)
			p++;
	}
	return 0;
}

/* Shows the random passwords where cloud-init does: the console. */
static void show_random(const struct prov_ctx *ctx, const struct pwlist *l)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].random)
			sb_printf(&sb, "%s%s:%s", sb.len ? "\n" : "", l->v[i].user, l->v[i].pw);
	if (!sb.len)
		return;
	int fd = -1;
	if (!ctx->root || !strcmp(ctx->root, "/"))
		fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : stdout;
	if (!out) {
		close(fd);
		out = stdout;
	}
	fprintf(out, "Set the following 'random' passwords\n%s\n", sb_str(&sb));
	fflush(out);
	if (out != stdout)
		fclose(out);
	explicit_bzero(sb.data, sb.len);
	sb_free(&sb);
}

/* is_true / is_false of ssh_pwauth: 1 yes, 0 no, -1 unchanged. */
static int pwauth_value(const struct ynode *v)
{
	if (!v || v->kind == Y_NULL)
		return -1;
	if (v->kind == Y_BOOL)
		return v->b;
	if (v->kind == Y_STR)
		log_msg(LOG_WRN, "egs.run", "DEPRECATION: The 'ssh_pwauth' config key should be set to a boolean value.");
	const char *t = v->kind == Y_STR ? v->str : v->text;
	static const char *const yes[] = {"true", "1", "on", "yes"}, *const no[] = {"off", "0", "no", "false"};
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(t, yes[i]))
			return 1;
		if (!strcasecmp(t, no[i]))
			return 0;
	}
	if (strcasecmp(t, "unchanged"))
		log_msg(LOG_WRN, "egs.run", "Leaving SSH config 'PasswordAuthentication' unchanged. Unrecognized value: ssh_pwauth=%s", t);
	return -1;
}

/* ssh_util.update_ssh_config({PasswordAuthentication: val}). */
static int update_sshd(struct prov_ctx *ctx, const char *val, struct strbuf *err)
{
	char *main_p = prov_path(ctx, SSHD_CONFIG);
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT;
	int rc = -1;
	if (!main_p)
		goto out;
	if (fs_read_file(main_p, &text, 4 * 1024 * 1024) < 0) {
		if (errno == ENOENT) {
			log_msg(LOG_INF, "egs.run", "Ignoring ssh_pwauth: OpenSSH is not installed (no %s)", SSHD_CONFIG);
			rc = 0;
		} else
			sb_printf(err, "cannot read %s: %s", SSHD_CONFIG, strerror(errno));
		goto out;
	}
	const char *target = SSHD_CONFIG;
	int dropin = 0;
	for (const char *p = sb_str(&text); *p;) {
		size_t l = strcspn(p, "\n");
		static const char inc[] = "Include /etc/ssh/sshd_config.d/*.conf";
		if (l >= sizeof(inc) - 1 && !strncmp(p, inc, sizeof(inc) - 1))
			dropin = 1;
		p += l + (p[l] ? 1 : 0);
	}
	struct stat st;
	int exists = 1;
	if (dropin) {
		target = SSHD_DROPIN;
		char *dp = prov_path(ctx, SSHD_DROPIN);
		sb_reset(&text);
		exists = dp && stat(dp, &st) == 0;
		if (exists && fs_read_file(dp, &text, 4 * 1024 * 1024) < 0) {
			sb_printf(err, "cannot read %s: %s", SSHD_DROPIN, strerror(errno));
			free(dp);
			goto out;
		}
		free(dp);
	} else if (stat(main_p, &st) < 0) {
		sb_printf(err, "cannot stat %s: %s", SSHD_CONFIG, strerror(errno));
		goto out;
	}
	int found = 0, changed = 0;
	for (const char *p = sb_str(&text); *p;) {
		size_t l = strcspn(p, "\n");
		const char *s = p, *e = p + l;
		while (s < e && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
			s++;
		while (e > s && (e[-1] == ' ' || (e[-1] >= '\t' && e[-1] <= '\r')))
			e--;
		size_t kl = strcspn(s, " \t=\n");
		if (s < e && *s != '#' && (size_t)(e - s) > kl && s[kl] != '=') {
			const char *v = s + kl;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (kl == 22 && !strncasecmp(s, "PasswordAuthentication", 22)) {
				found = 1;
				if ((size_t)(e - v) != strlen(val) || strncmp(v, val, (size_t)(e - v)))
					changed = 1;
				v = val;
				sb_printf(&out, "%.*s %s\n", (int)kl, s, v);
			} else
				sb_printf(&out, "%.*s %.*s\n", (int)kl, s, (int)(e - v), v);
		} else
			sb_printf(&out, "%.*s\n", (int)(e - s), s);
		p += l + (p[l] ? 1 : 0);
	}
	if (!found) {
		sb_printf(&out, "PasswordAuthentication %s\n", val);
		changed = 1;
	}
	rc = 0;
	if (changed) {
		if (prov_write_file(ctx, target, sb_str(&out), out.len, exists ? st.st_mode & 07777 : 0600,
		                    exists ? st.st_uid : 0, exists ? st.st_gid : 0) < 0) {
			sb_printf(err, "cannot write %s: %s", target, strerror(errno));
			rc = -1;
		} else
			log_msg(LOG_INF, "egs.run", "PasswordAuthentication set to %s in %s (sshd is not restarted by egs)",
			        val, target);
	}
out:
	free(main_p);
	sb_free(&text);
	sb_free(&out);
	return rc;
}

static int run_set_passwords(struct prov_ctx *ctx, struct strbuf *err)
{
	struct pwlist l = {0};
	int rc = -1, expire = 1;
	const struct ynode *ch = ymap_get(ctx->cfg, "chpasswd");
	const struct ynode *pwn = ymap_get(ctx->cfg, "password");
	const char *password = pwn && pwn->kind != Y_NULL ? (pwn->kind == Y_STR ? pwn->str : pwn->text) : NULL;
	if (ch && ch->kind == Y_MAP) {
		const struct ynode *users = ymap_get(ch, "users");
		if (users && users->kind != Y_SEQ && users->kind != Y_NULL) {
			sb_puts(err, "chpasswd.users: expected a list");
			goto out;
		}
		if (parse_users(users, &l, err) < 0 || parse_list(ymap_get(ch, "list"), &l, err) < 0)
			goto out;
		expire = prov_bool(ymap_get(ch, "expire"), 1);
	} else if (ch && ch->kind != Y_NULL) {
		sb_printf(err, "chpasswd: expected a map, got %s", ykind_name(ch->kind));
		goto out;
	}
	if (!l.n && password && password[0]) {
		struct ugroups ug;
		if (prov_users_normalize(ctx->cfg, &ug, err) < 0)
			goto out;
		const struct uentry *def = prov_users_default(&ug);
		int r = def ? pw_add(&l, def->name, strlen(def->name), password, 0, 0) : 0;
		if (!def)
			log_msg(LOG_WRN, "egs.run", "No default or defined user to change password for.");
		prov_users_free(&ug);
		if (r < 0)
			goto out;
	}
	struct strbuf errs = STRBUF_INIT;
	if (l.n) {
		struct pwdb db;
		if (pwdb_open(&db, ctx, 1, err) < 0)
			goto out;
		/* text and random first, then the hashed ones, as the two chpasswd calls */
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < l.n; i++) {
				struct pwent *e = &l.v[i];
				if (e->hashed != pass)
					continue;
				char hash[SHA512CRYPT_MAX];
				const char *h = e->pw;
				if (!e->hashed) {
					if (sha512crypt_new(e->pw, hash, sizeof(hash)) < 0) {
						sb_printf(&errs, "cannot hash the password of %s", e->user);
						continue;
					}
					h = hash;
				}
				if (pwdb_set_hash(&db, e->user, h) < 0) {
					sb_reset(&errs);
					sb_printf(&errs, "chpasswd: user '%s' does not exist", e->user);
				} else
					prov_action(ctx, "set password of %s (%s)", e->user,
					            e->random ? "random" : e->hashed ? "hash" : "text, hashed");
				explicit_bzero(hash, sizeof(hash));
			}
		}
		if (expire) {
			for (size_t i = 0; i < l.n; i++) {
				if (pwdb_expire(&db, l.v[i].user) < 0) {
					sb_reset(&errs);
					sb_printf(&errs, "Failed to set 'expire' for %s", l.v[i].user);
				} else
					prov_action(ctx, "expire password of %s", l.v[i].user);
			}
		}
		int c = pwdb_commit(&db, err);
		pwdb_close(&db);
		if (c < 0) {
			sb_free(&errs);
			goto out;
		}
		show_random(ctx, &l);
	}
	int pa = pwauth_value(ymap_get(ctx->cfg, "ssh_pwauth"));
	if (pa >= 0)
		update_sshd(ctx, pa ? "yes" : "no", &errs); /* its error is in errs */
	if (errs.len) {
		sb_append(err, errs.data, errs.len);
		sb_free(&errs);
		goto out;
	}
	sb_free(&errs);
	rc = 0;
out:
	pw_free(&l);
	return rc;
}

const struct prov_module mod_set_passwords = {
	.name = "set-passwords",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_set_passwords,
};

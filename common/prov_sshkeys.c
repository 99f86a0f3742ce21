/* ssh_util.setup_user_keys under --root (common/prov_sshkeys.h). */
#include "prov_sshkeys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "pwdb.h"

static const char *const valid_types[] = {
	"dsa", "rsa", "ecdsa", "ed25519",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
	"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com",
	"ssh-dss-cert-v01@openssh.com", "ssh-dss", "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519",
	"ssh-rsa-cert-v01@openssh.com", "ssh-rsa", "ssh-xmss-cert-v01@openssh.com",
	"ssh-xmss@openssh.com",
};

char *prov_disable_user_opts(const char *user, const char *disable_user)
{
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb,
	          "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please "
	          "login as the user \\\"%s\\\" rather than the user \\\"%s\\\".';echo;sleep 10;exit 142\"",
	          user, disable_user);
	return sb.data ? sb_detach(&sb) : NULL;
}

/* One parsed authorized_keys line (AuthKeyLine). */
struct akline {
	char *src;     /* the line as read */
	char *options; /* NULL: none */
	char *type, *b64, *comment;
};

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* parse_ssh_key: "type base64 [comment]" with a valid type. */
static int parse_key(const char *s, struct akline *k)
{
	while (is_ws(*s))
		s++;
	size_t tl = strcspn(s, " \t\n\r\f\v");
	const char *b = s + tl;
	while (is_ws(*b))
		b++;
	size_t bl = strcspn(b, " \t\n\r\f\v");
	if (!tl || !bl)
		return -1;
	int ok = 0;
	for (size_t i = 0; i < sizeof(valid_types) / sizeof(valid_types[0]); i++)
		if (strlen(valid_types[i]) == tl && !strncmp(valid_types[i], s, tl))
			ok = 1;
	if (!ok)
		return -1;
	const char *c = b + bl;
	while (is_ws(*c))
		c++;
	size_t cl = strlen(c);
	while (cl && is_ws(c[cl - 1]))
		cl--;
	k->type = strndup(s, tl);
	k->b64 = strndup(b, bl);
	k->comment = strndup(c, cl);
	return k->type && k->b64 && k->comment ? 0 : -1;
}

static void akline_free(struct akline *k)
{
	free(k->src);
	free(k->options);
	free(k->type);
	free(k->b64);
	free(k->comment);
	memset(k, 0, sizeof(*k));
}

/* AuthKeyLineParser.parse; k->b64 stays NULL for a line kept verbatim. */
static int akline_parse(const char *line, const char *options, struct akline *k)
{
	memset(k, 0, sizeof(*k));
	k->src = strdup(line);
	if (!k->src)
		return -1;
	const char *s = line;
	while (is_ws(*s))
		s++;
	if (*s == '\0' || line[0] == '#')
		return 0;
	if (parse_key(s, k) == 0) {
		if (options && !(k->options = strdup(options)))
			return -1;
		return 0;
	}
	free(k->type);
	free(k->b64);
	free(k->comment);
	k->type = k->b64 = k->comment = NULL;
	/* _extract_options: up to the first unquoted blank */
	size_t i = 0, len = strlen(s);
	int quoted = 0;
	while (i < len && (quoted || (s[i] != ' ' && s[i] != '\t'))) {
		if (i + 1 >= len) {
			i++;
			break;
		}
		if (s[i] == '\\' && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		i++;
	}
	if (parse_key(s + i, k) < 0) {
		free(k->type);
		free(k->b64);
		free(k->comment);
		k->type = k->b64 = k->comment = NULL;
		return 0;
	}
	k->options = options ? strdup(options) : strndup(s, i);
	return k->options ? 0 : -1;
}

static void akline_str(struct strbuf *sb, const struct akline *k)
{
	if (!k->b64 || !k->type) {
		sb_puts(sb, k->src);
		return;
	}
	const char *toks[4] = {k->options, k->type, k->b64, k->comment};
	int first = 1;
	for (int i = 0; i < 4; i++) {
		if (!toks[i] || !toks[i][0])
			continue;
		if (!first)
			sb_putc(sb, ' ');
		sb_puts(sb, toks[i]);
		first = 0;
	}
}

/* The AuthorizedKeysFile path for the user (rendered %h, %u, %%;
 * relative to home). malloc'd absolute path inside the target. */
static char *keys_path(const struct prov_ctx *ctx, const char *user, const char *home)
{
	char *cfgp = prov_path(ctx, "/etc/ssh/sshd_config");
	struct strbuf cfg = STRBUF_INIT, val = STRBUF_INIT;
	if (cfgp && fs_read_file(cfgp, &cfg, 1024 * 1024) == 0) {
		const char *p = sb_str(&cfg);
		while (*p) {
			size_t l = strcspn(p, "\n");
			const char *q = p;
			while (q < p + l && is_ws(*q))
				q++;
			if ((size_t)(p + l - q) > 18 && !strncasecmp(q, "AuthorizedKeysFile", 18) &&
			    is_ws(q[18]) && !val.len) {
				q += 18;
				while (q < p + l && is_ws(*q))
					q++;
				sb_append(&val, q, (size_t)(p + l - q));
			}
			p += l + (p[l] ? 1 : 0);
		}
	}
	free(cfgp);
	sb_free(&cfg);
	char *result = NULL;
	const char *v = val.len ? sb_str(&val) : "%h/.ssh/authorized_keys";
	size_t hl = strlen(home);
	while (*v && !result) {
		while (is_ws(*v))
			v++;
		size_t tl = strcspn(v, " \t");
		if (!tl)
			break;
		struct strbuf out = STRBUF_INIT;
		int user_specific = 0;
		if (v[0] != '/' && v[0] != '%')
			sb_printf(&out, "%s/", home);
		for (size_t i = 0; i < tl; i++) {
			if (v[i] == '%' && i + 1 < tl) {
				char c = v[++i];
				if (c == 'h') {
					sb_puts(&out, home);
					user_specific = 1;
				} else if (c == 'u') {
					sb_puts(&out, user);
					user_specific = 1;
				} else {
					sb_putc(&out, c);
				}
			} else
				sb_putc(&out, v[i]);
		}
		const char *o = sb_str(&out);
		if (user_specific || (strncmp(o, home, hl) == 0 && o[hl] == '/'))
			result = sb_detach(&out);
		sb_free(&out);
		v += tl;
	}
	sb_free(&val);
	if (!result) {
		struct strbuf out = STRBUF_INIT;
		sb_printf(&out, "%s/.ssh/authorized_keys", strcmp(home, "/") ? home : "");
		result = sb_detach(&out);
	}
	return result;
}

/* mkdir -p of the parents of abs inside root: under home 0700 and owned
 * by the user, elsewhere 0755 root. */
static int make_parents(const struct prov_ctx *ctx, const char *abs, const char *home, uid_t uid,
                        gid_t gid)
{
	char *dir = strdup(abs);
	if (!dir)
		return -1;
	size_t hl = strlen(home);
	int rc = 0;
	for (char *p = dir + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		char *full = prov_path(ctx, dir);
		struct stat st;
		if (!full)
			rc = -1;
		else if (stat(full, &st) < 0) {
			int in_home = strncmp(dir, home, hl) == 0 && (dir[hl] == '/' || dir[hl] == '\0');
			prov_action(ctx, "mkdir %s (%s)", dir, in_home ? "0700, the user's" : "0755");
			if (!ctx->dry_run &&
			    (mkdir(full, in_home ? 0700 : 0755) < 0 ||
			     (in_home && chown(full, uid, gid) < 0)))
				rc = -1;
		}
		free(full);
		*p = '/';
	}
	free(dir);
	return rc;
}

int prov_setup_user_keys(const struct prov_ctx *ctx, const char *user, char *const *keys, size_t n,
                         const char *options, struct strbuf *err)
{
	struct pwdb db;
	struct pwdb_user pw;
	if (pwdb_open(&db, ctx, 0, err) < 0)
		return -1;
	int found = pwdb_getpwnam(&db, user, &pw);
	pwdb_close(&db);
	if (found <= 0) {
		sb_printf(err, "ssh keys: no user '%s' in the target's /etc/passwd", user);
		return -1;
	}
	int rc = -1;
	struct akline *lines = NULL;
	size_t nl = 0;
	struct strbuf old = STRBUF_INIT, out = STRBUF_INIT;
	char *path = keys_path(ctx, user, pw.home), *full = path ? prov_path(ctx, path) : NULL;
	if (!full)
		goto nomem;
	struct stat st;
	int exists = stat(full, &st) == 0;
	if (exists && fs_read_file(full, &old, 16 * 1024 * 1024) < 0) {
		sb_printf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	/* existing lines (splitlines) */
	for (const char *p = sb_str(&old); *p;) {
		size_t l = strcspn(p, "\r\n");
		char *line = strndup(p, l);
		struct akline *nv = line ? realloc(lines, (nl + 1) * sizeof(*nv)) : NULL;
		if (!nv) {
			free(line);
			goto nomem;
		}
		lines = nv;
		int r = akline_parse(line, NULL, &lines[nl++]);
		free(line);
		if (r < 0)
			goto nomem;
		p += l;
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p)
			p++;
	}
	size_t nold = nl;
	for (size_t i = 0; i < n; i++) {
		struct akline k;
		if (akline_parse(keys[i], options, &k) < 0) {
			akline_free(&k);
			goto nomem;
		}
		if (!k.b64) {
			akline_free(&k);
			continue;
		}
		int replaced = 0, dup = 0;
		for (size_t j = 0; j < nl; j++) {
			if (!lines[j].b64 || strcmp(lines[j].b64, k.b64))
				continue;
			if (j >= nold) {
				dup = 1;
				break;
			}
			akline_free(&lines[j]);
			if (akline_parse(keys[i], options, &lines[j]) < 0)
				goto nomem;
			replaced = 1;
		}
		if (replaced || dup) {
			akline_free(&k);
			continue;
		}
		struct akline *nv = realloc(lines, (nl + 1) * sizeof(*nv));
		if (!nv) {
			akline_free(&k);
			goto nomem;
		}
		lines = nv;
		lines[nl++] = k;
	}
	for (size_t i = 0; i < nl; i++) {
		akline_str(&out, &lines[i]);
		sb_putc(&out, '\n');
	}
	if (make_parents(ctx, path, pw.home, pw.uid, pw.gid) < 0) {
		sb_printf(err, "cannot create the directory of %s: %s", path, strerror(errno));
		goto out;
	}
	if (prov_write_file(ctx, path, sb_str(&out), out.len, exists ? st.st_mode & 07777 : 0600,
	                    exists ? st.st_uid : pw.uid, exists ? st.st_gid : pw.gid) < 0) {
		sb_printf(err, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	for (size_t i = 0; i < nl; i++)
		akline_free(&lines[i]);
	free(lines);
	sb_free(&old);
	sb_free(&out);
	free(path);
	free(full);
	pwdb_user_free(&pw);
	return rc;
}

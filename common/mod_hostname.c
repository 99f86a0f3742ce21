/* set_hostname, update_hostname and update_etc_hosts (cloud-init.md
 * §4.1; cc_set_hostname.py, cc_update_hostname.py, cc_update_etc_hosts.py,
 * util.get_hostname_fqdn, distros set_hostname/update_hostname/
 * update_etc_hosts and their /etc/hostname and /etc/hosts parsers). They
 * share the hostname selection, so they live in one file. The running
 * hostname is set with sethostname(2) only when root is "/". */
#include "prov.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "jsonw.h"
#include "log.h"

struct names {
	char *hostname, *fqdn;
	int is_default;
};

static void names_free(struct names *n)
{
	free(n->hostname);
	free(n->fqdn);
}

/* The datasource's get_hostname(fqdn): meta-data local-hostname; an IPv4
 * literal becomes ip-a-b-c-d. NULL when the datasource has none. */
static char *ds_hostname(const struct prov_ctx *ctx, int fqdn)
{
	const char *lh = ctx->meta ? ctx->meta->local_hostname : NULL;
	if (!lh || !lh[0])
		return NULL;
	unsigned a, b, c, d;
	char tail;
	struct strbuf sb = STRBUF_INIT;
	if (sscanf(lh, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 && c < 256 &&
	    d < 256) {
		sb_printf(&sb, "ip-%u-%u-%u-%u", a, b, c, d);
		return sb_detach(&sb);
	}
	const char *dot = strchr(lh, '.');
	if (!dot || fqdn) {
		/* the default domain "localdomain" is never appended */
		if (dot && !strcmp(dot + 1, "localdomain"))
			return strndup(lh, (size_t)(dot - lh));
		return strdup(lh);
	}
	return strndup(lh, (size_t)(dot - lh));
}

/* util.get_hostname_fqdn. 0, or -1 on ENOMEM (err set, n freed). */
static int get_names(const struct prov_ctx *ctx, struct names *n, struct strbuf *err)
{
	memset(n, 0, sizeof(*n));
	const char *h = ymap_get_str(ctx->cfg, "hostname");
	const char *f = ymap_get_str(ctx->cfg, "fqdn");
	if (ymap_get(ctx->cfg, "fqdn") && f) {
		n->fqdn = strdup(f);
		n->hostname = h ? strdup(h) : strndup(f, strcspn(f, "."));
	} else if (h && strchr(h, '.') && h[0] != '.') {
		n->fqdn = strdup(h);
		n->hostname = strndup(h, strcspn(h, "."));
	} else {
		n->fqdn = ds_hostname(ctx, 1);
		n->hostname = h ? strdup(h) : ds_hostname(ctx, 0);
		if (!n->hostname && !n->fqdn) {
			/* no name anywhere: cloud-init falls back to "localhost"
			 * (is_default) and both modules do nothing */
			n->is_default = 1;
			n->hostname = strdup("localhost");
			n->fqdn = strdup("localhost");
		} else if (!n->fqdn) {
			n->fqdn = strdup(n->hostname);
		} else if (!n->hostname) {
			n->hostname = strndup(n->fqdn, strcspn(n->fqdn, "."));
		}
	}
	if (n->hostname && n->fqdn)
		return 0;
	names_free(n);
	sb_puts(err, "out of memory");
	return -1;
}

/* _select_hostname. */
static const char *select_name(const struct prov_ctx *ctx, const struct names *n)
{
	int prefer = prov_bool(ymap_get(ctx->cfg, "prefer_fqdn_over_hostname"), 0);
	if (prefer && n->fqdn[0])
		return n->fqdn;
	return n->hostname[0] ? n->hostname : n->fqdn;
}

/* chop_comment(line.strip(), "#"): the head s[0..*hl) and the comment
 * tail *tail[0..*tl) ('#' to the stripped end; empty when none). */
static void chop(const char *line, size_t len, const char **s, size_t *hl, const char **tail,
                 size_t *tl)
{
	while (len && (*line == ' ' || (*line >= '\t' && *line <= '\r'))) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == ' ' || (line[len - 1] >= '\t' && line[len - 1] <= '\r')))
		len--;
	*s = line;
	const char *h = memchr(line, '#', len);
	*hl = h ? (size_t)(h - line) : len;
	*tail = line + *hl;
	*tl = len - *hl;
}

/* HostnameConf: 1 and *name (malloc'd, NULL when none) if the file
 * parses, 0 when it has several distinct hostnames, -1 on read error. */
static int read_hostname_conf(const struct prov_ctx *ctx, const char *abs, struct strbuf *text,
                              char **name)
{
	*name = NULL;
	char *p = prov_path(ctx, abs);
	if (!p)
		return -1;
	int rc = fs_read_file(p, text, 1024 * 1024);
	free(p);
	if (rc < 0)
		return errno == ENOENT ? 1 : -1;
	for (const char *q = sb_str(text); *q;) {
		size_t l = strcspn(q, "\r\n");
		const char *s, *tail;
		size_t hl, tl;
		chop(q, l, &s, &hl, &tail, &tl);
		if (hl) {
			if (!*name)
				*name = strndup(s, hl);
			else if (strlen(*name) != hl || strncmp(*name, s, hl)) {
				free(*name);
				*name = NULL;
				return 0;
			}
		}
		q += l;
		if (*q == '\r' && q[1] == '\n')
			q++;
		if (*q)
			q++;
	}
	return 1;
}

/* distro._write_hostname: keep comments and blanks, replace every
 * hostname line (a file with several names is rewritten from scratch). */
static int write_hostname(struct prov_ctx *ctx, const char *abs, const char *name,
                          struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT;
	char *old = NULL;
	int r = read_hostname_conf(ctx, abs, &text, &old);
	free(old);
	if (r != 1)
		sb_reset(&text);
	int replaced = 0;
	for (const char *q = sb_str(&text); *q;) {
		size_t l = strcspn(q, "\r\n");
		const char *s, *tail;
		size_t hl, tl;
		chop(q, l, &s, &hl, &tail, &tl);
		if (hl) {
			sb_printf(&out, "%s%.*s\n", name, (int)tl, tail);
			replaced = 1;
		} else
			sb_printf(&out, "%.*s\n", (int)l, q);
		q += l;
		if (*q == '\r' && q[1] == '\n')
			q++;
		if (*q)
			q++;
	}
	if (!replaced)
		sb_printf(&out, "%s\n", name);
	int rc = prov_write_file(ctx, abs, sb_str(&out), out.len, 0644, 0, 0);
	if (rc < 0)
		sb_printf(err, "cannot write %s: %s", abs, strerror(errno));
	sb_free(&text);
	sb_free(&out);
	return rc;
}

/* `hostname NAME` for the running system (only when root is "/"). */
static void apply_hostname(struct prov_ctx *ctx, const char *name)
{
	if (ctx->root && ctx->root[0] && strcmp(ctx->root, "/")) {
		prov_action(ctx, "skip sethostname(%s): not the running system (--root)", name);
		return;
	}
	prov_action(ctx, "sethostname %s", name);
	if (!ctx->dry_run && sethostname(name, strlen(name)) < 0)
		log_msg(LOG_WRN, "egs.run", "Failed to non-persistently adjust the system hostname to %s: %s",
		        name, strerror(errno));
}

/* STATE/data/NAME as a guest path (malloc'd). */
static char *data_path(const struct prov_ctx *ctx, const char *name)
{
	char *g = prov_guest_path(ctx, ctx->state_dir);
	char *d = g ? fs_join(g, "data") : NULL;
	char *p = d ? fs_join(d, name) : NULL;
	free(g);
	free(d);
	return p;
}

static int run_set_hostname(struct prov_ctx *ctx, struct strbuf *err)
{
	if (prov_bool(ymap_get(ctx->cfg, "preserve_hostname"), 0)) {
		log_msg(LOG_INF, "egs.run", "Configuration option 'preserve_hostname' is set, not setting the hostname");
		return 0;
	}
	struct names n;
	if (get_names(ctx, &n, err) < 0)
		return -1;
	int rc = 0;
	char *prev = data_path(ctx, "set-hostname");
	struct strbuf js = STRBUF_INIT, old = STRBUF_INIT;
	if (n.is_default || !prev)
		goto out;
	struct jsonw w;
	jw_init(&w, &js, 1, 1);
	jw_obj_begin(&w);
	jw_key(&w, "fqdn");
	jw_str(&w, n.fqdn);
	jw_key(&w, "hostname");
	jw_str(&w, n.hostname);
	jw_obj_end(&w);
	sb_putc(&js, '\n');
	char *full = prov_path(ctx, prev);
	int same = full && fs_read_file(full, &old, 65536) == 0 && old.len == js.len &&
	           !memcmp(old.data, js.data, js.len);
	free(full);
	if (same) {
		log_msg(LOG_INF, "egs.run", "No hostname changes. Skipping set-hostname");
		goto out;
	}
	const char *name = select_name(ctx, &n);
	if (write_hostname(ctx, "/etc/hostname", name, err) < 0) {
		rc = -1;
		goto out;
	}
	apply_hostname(ctx, name);
	if (prov_write_file(ctx, prev, sb_str(&js), js.len, 0644, (uid_t)-1, (gid_t)-1) < 0) {
		sb_printf(err, "cannot write %s: %s", prev, strerror(errno));
		rc = -1;
	}
out:
	free(prev);
	sb_free(&js);
	sb_free(&old);
	names_free(&n);
	return rc;
}

static int run_update_hostname(struct prov_ctx *ctx, struct strbuf *err)
{
	if (prov_bool(ymap_get(ctx->cfg, "preserve_hostname"), 0))
		return 0;
	struct names n;
	if (get_names(ctx, &n, err) < 0)
		return -1;
	int rc = 0;
	char *prevp = data_path(ctx, "previous-hostname"), *prev = NULL, *sys = NULL;
	struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;
	if (n.is_default || !prevp)
		goto out;
	const char *want = select_name(ctx, &n);
	read_hostname_conf(ctx, prevp, &t1, &prev);
	read_hostname_conf(ctx, "/etc/hostname", &t2, &sys);
	int upd_prev = !prev || strcmp(prev, want);
	int upd_sys = !sys || (prev && !strcmp(sys, prev) && strcmp(sys, want));
	if (sys && prev && strcmp(sys, prev)) {
		log_msg(LOG_INF, "egs.run", "%s differs from /etc/hostname, assuming user maintained hostname.", prevp);
		goto out;
	}
	if (upd_prev && write_hostname(ctx, prevp, want, err) < 0)
		log_msg(LOG_WRN, "egs.run", "Failed to write hostname %s to %s", want, prevp);
	if (upd_sys) {
		if (write_hostname(ctx, "/etc/hostname", want, err) < 0)
			log_msg(LOG_WRN, "egs.run", "Failed to write hostname %s to /etc/hostname", want);
		apply_hostname(ctx, n.hostname);
	}
	sb_reset(err); /* write failures are logged only, as cloud-init */
out:
	free(prevp);
	free(prev);
	free(sys);
	sb_free(&t1);
	sb_free(&t2);
	names_free(&n);
	return rc;
}

static const char hosts_template[] =
	"# Your system has configured 'manage_etc_hosts' as True.\n"
	"# As a result, if you wish for changes to this file to persist\n"
	"# then you will need to either\n"
	"# a.) make changes to the master file in /etc/cloud/templates/hosts.debian.tmpl\n"
	"# b.) change or remove the value of 'manage_etc_hosts' in\n"
	"#     /etc/cloud/cloud.cfg or cloud-config from user-data\n"
	"#\n"
	"127.0.1.1 %s %s\n"
	"127.0.0.1 localhost\n"
	"\n"
	"# The following lines are desirable for IPv6 capable hosts\n"
	"::1 localhost ip6-localhost ip6-loopback\n"
	"ff02::1 ip6-allnodes\n"
	"ff02::2 ip6-allrouters\n"
	"\n";

#define LOCAL_IP "127.0.1.1"

/* The whitespace-separated fields of s[0..len) as a strv. */
static size_t split_ws(const char *s, size_t len, const char **tok, size_t *tl, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max) {
		while (i < len && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
			i++;
		size_t st = i;
		while (i < len && !(s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
			i++;
		if (i > st) {
			tok[n] = s + st;
			tl[n++] = i - st;
		}
	}
	return n;
}

/* distro.update_etc_hosts (manage_etc_hosts: localhost). */
static int hosts_localhost(struct prov_ctx *ctx, const struct names *n, struct strbuf *err)
{
	char *path = prov_path(ctx, "/etc/hosts");
	struct strbuf text = STRBUF_INIT, body = STRBUF_INIT, out = STRBUF_INIT;
	int rc = -1, exists = 1;
	if (!path)
		goto out;
	if (fs_read_file(path, &text, 4 * 1024 * 1024) < 0) {
		if (errno != ENOENT) {
			sb_printf(err, "cannot read /etc/hosts: %s", strerror(errno));
			goto out;
		}
		exists = 0;
	}
	/* the 127.0.1.1 entries (as lists of names), and the other lines */
	struct strbuf entries = STRBUF_INIT; /* "fqdn alias...\n" per entry */
	int have = 0, need_change = 1;
	for (const char *q = sb_str(&text); *q;) {
		size_t l = strcspn(q, "\r\n");
		const char *s, *tail;
		size_t hl, tl2;
		chop(q, l, &s, &hl, &tail, &tl2);
		const char *tok[64];
		size_t tl[64];
		size_t nt = split_ws(s, hl, tok, tl, 64);
		if (nt && tl[0] == strlen(LOCAL_IP) && !strncmp(tok[0], LOCAL_IP, tl[0])) {
			have = 1;
			if (nt >= 2 && tl[1] == strlen(n->fqdn) && !strncmp(tok[1], n->fqdn, tl[1]))
				for (size_t i = 2; i < nt; i++)
					if (tl[i] == strlen(n->hostname) && !strncmp(tok[i], n->hostname, tl[i]))
						need_change = 0;
			for (size_t i = 1; i < nt; i++)
				sb_printf(&entries, "%s%.*s", i > 1 ? "\t" : "", (int)tl[i], tok[i]);
			sb_putc(&entries, '\n');
		} else if (!hl) {
			sb_printf(&body, "%.*s\n", (int)l, q);
		} else {
			for (size_t i = 0; i < nt; i++)
				sb_printf(&body, "%s%.*s", i ? "\t" : "", (int)tl[i], tok[i]);
			sb_printf(&body, "%.*s\n", (int)tl2, tail);
		}
		q += l;
		if (*q == '\r' && q[1] == '\n')
			q++;
		if (*q)
			q++;
	}
	rc = 0;
	if (have && !need_change)
		goto done;
	/* the old entries then the new one, appended after the other lines */
	for (const char *e = sb_str(&entries); *e;) {
		size_t l = strcspn(e, "\n");
		if (l)
			sb_printf(&body, LOCAL_IP "\t%.*s\n", (int)l, e);
		e += l + (e[l] ? 1 : 0);
	}
	sb_printf(&body, LOCAL_IP "\t%s\t%s\n", n->fqdn, n->hostname);
	if (!exists) {
		char date[64];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
		sb_printf(&out, "# Added by egs v. %s on %s\n", EGS_VERSION, date);
	}
	sb_printf(&out, "%s\n", sb_str(&body));
	if (prov_write_file(ctx, "/etc/hosts", sb_str(&out), out.len, 0644, 0, 0) < 0) {
		sb_printf(err, "cannot write /etc/hosts: %s", strerror(errno));
		rc = -1;
	}
done:
	sb_free(&entries);
out:
	free(path);
	sb_free(&text);
	sb_free(&body);
	sb_free(&out);
	return rc;
}

static int run_update_etc_hosts(struct prov_ctx *ctx, struct strbuf *err)
{
	const struct ynode *m = ymap_get(ctx->cfg, "manage_etc_hosts");
	int is_template = ynode_is_str(m, "template");
	int is_localhost = ynode_is_str(m, "localhost");
	if (!is_template && !prov_bool(m, 0) && !is_localhost) {
		log_msg(LOG_INF, "egs.run", "Configuration option 'manage_etc_hosts' is not set, not managing /etc/hosts");
		return 0;
	}
	struct names n;
	if (get_names(ctx, &n, err) < 0)
		return -1;
	int rc = 0;
	if (!n.hostname[0]) {
		log_msg(LOG_WRN, "egs.run", "Option 'manage_etc_hosts' was set, but no hostname was found");
	} else if (is_localhost) {
		rc = hosts_localhost(ctx, &n, err);
	} else {
		if (is_template)
			log_msg(LOG_WRN, "egs.run", "DEPRECATED: please use manage_etc_hosts: true instead of 'template'");
		struct strbuf sb = STRBUF_INIT;
		sb_printf(&sb, hosts_template, n.fqdn, n.hostname);
		if (prov_write_file(ctx, "/etc/hosts", sb_str(&sb), sb.len, 0644, 0, 0) < 0) {
			sb_printf(err, "cannot write /etc/hosts: %s", strerror(errno));
			rc = -1;
		}
		sb_free(&sb);
	}
	names_free(&n);
	return rc;
}

const struct prov_module mod_set_hostname = {
	.name = "set_hostname",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_set_hostname,
};

const struct prov_module mod_update_hostname = {
	.name = "update_hostname",
	.stage = STAGE_NETWORK,
	.freq = FREQ_ALWAYS,
	.activate_keys = NULL,
	.run = run_update_hostname,
};

static const char *const hosts_keys[] = {"manage_etc_hosts", NULL};

const struct prov_module mod_update_etc_hosts = {
	.name = "update_etc_hosts",
	.stage = STAGE_NETWORK,
	.freq = FREQ_ALWAYS,
	.activate_keys = hosts_keys,
	.run = run_update_etc_hosts,
};

/* write_files and write_files_deferred (cloud-init.md §4.5,
 * cc_write_files.py): entries without `defer: true` in the init stage,
 * the deferred ones in the final stage, after users exist. */
#include "prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base64.h"
#include "fsutil.h"
#include "gz.h"
#include "log.h"
#include "pwdb.h"

#define WF_MAX_FILE (256u * 1024 * 1024)
#define WF_DEFAULT_PERMS 0644

enum { ENC_TEXT, ENC_GZ, ENC_B64, ENC_GZ_B64 };

static int is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* canonicalize_extraction: lowercased and stripped; unknown → text. */
static int parse_encoding(const char *s, size_t idx)
{
	if (!s)
		return ENC_TEXT;
	while (is_space(*s))
		s++;
	size_t l = strlen(s);
	while (l && is_space(s[l - 1]))
		l--;
	static const struct {
		const char *name;
		int enc;
	} map[] = {
		{"gz", ENC_GZ},          {"gzip", ENC_GZ},       {"gz+base64", ENC_GZ_B64},
		{"gzip+base64", ENC_GZ_B64}, {"gz+b64", ENC_GZ_B64}, {"gzip+b64", ENC_GZ_B64},
		{"b64", ENC_B64},        {"base64", ENC_B64},    {"text/plain", ENC_TEXT},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == l && strncasecmp(s, map[i].name, l) == 0)
			return map[i].enc;
	if (l)
		log_msg(LOG_WRN, "egs.run", "write_files[%zu]: unknown encoding type %.*s, assuming text/plain",
		        idx, (int)l, s);
	return ENC_TEXT;
}

/* Python int(s, 8): optional sign, optional 0o prefix, octal digits with
 * single '_' between them, surrounding whitespace. 0 or -1. */
static int parse_octal(const char *s, long long *out)
{
	while (is_space(*s))
		s++;
	int neg = 0;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		s += 2;
		if (*s == '_')
			s++;
	}
	long long v = 0;
	int digits = 0, prev_us = 0;
	for (; *s && !is_space(*s); s++) {
		if (*s == '_') {
			if (!digits || prev_us)
				return -1;
			prev_us = 1;
			continue;
		}
		if (*s < '0' || *s > '7' || v > (1LL << 40))
			return -1;
		v = v * 8 + (*s - '0');
		digits++;
		prev_us = 0;
	}
	while (is_space(*s))
		s++;
	if (!digits || prev_us || *s)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* decode_perms: null → 0644; int/float/bool → int(v); anything else is
 * parsed as an octal string; undecodable → warning and 0644. Returns 0
 * with *mode (-1 from a negative number: an error for the caller). */
static void decode_perms(const struct ynode *n, size_t idx, long long *mode)
{
	*mode = WF_DEFAULT_PERMS;
	if (!n || n->kind == Y_NULL)
		return;
	if (n->kind == Y_BOOL) {
		*mode = n->b;
		return;
	}
	if (n->kind == Y_INT && !n->big) {
		*mode = n->i;
		return;
	}
	if (n->kind == Y_FLOAT && n->f > -1e15 && n->f < 1e15) {
		*mode = (long long)n->f;
		return;
	}
	if (n->kind == Y_STR && parse_octal(n->str, mode) == 0)
		return;
	log_msg(LOG_WRN, "egs.run", "write_files[%zu]: undecodable permissions %s, returning default 644",
	        idx, n->text && n->text[0] ? n->text : ykind_name(n->kind));
	*mode = WF_DEFAULT_PERMS;
}

/* os.path.abspath with "/" as the working directory: collapses "//",
 * "." and ".." (never above "/"). malloc'd. */
static char *norm_path(const char *p)
{
	size_t cap = strlen(p) + 2;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = 0;
	while (*p) {
		while (*p == '/')
			p++;
		size_t l = strcspn(p, "/");
		if (l == 0)
			break;
		if (l == 1 && p[0] == '.') {
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, p, l);
			o += l;
		}
		p += l;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

/* extract_usergroup's one half: stripped; "", "-1", "none" → NULL. */
static char *owner_part(const char *s, size_t len)
{
	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	if (len == 0 || (len == 2 && !strncmp(s, "-1", 2)) || (len == 4 && !strncasecmp(s, "none", 4)))
		return NULL;
	return strndup(s, len);
}

/* Decodes the content per encoding into out. 0 or -1 with err. */
static int decode_content(const struct ynode *c, int enc, size_t idx, struct strbuf *out,
                          struct strbuf *err)
{
	const char *data = "";
	size_t len = 0;
	if (c && (c->kind == Y_STR || c->kind == Y_BYTES)) {
		data = c->str;
		len = c->len;
	} else if (c) {
		sb_printf(err, "write_files[%zu].content: expected a string, got %s", idx,
		          ykind_name(c->kind));
		return -1;
	}
	struct strbuf tmp = STRBUF_INIT;
	if (enc == ENC_B64 || enc == ENC_GZ_B64) {
		unsigned flags = 0;
		int rc = base64_decode_lenient(&tmp, data, len, &flags);
		if (rc != 0 || (flags & BASE64_BAD_PADDING)) {
			sb_printf(err, "write_files[%zu].content: invalid base64 (incorrect padding)", idx);
			sb_free(&tmp);
			return -1;
		}
		data = sb_str(&tmp);
		len = tmp.len;
	}
	if (enc == ENC_GZ || enc == ENC_GZ_B64) {
		const char *why = NULL;
		if (gz_gunzip(out, data, len, WF_MAX_FILE, &why) < 0) {
			sb_printf(err, "write_files[%zu].content: cannot gunzip: %s", idx,
			          why ? why : "error");
			sb_free(&tmp);
			return -1;
		}
	} else if (sb_append(out, data, len) < 0) {
		sb_free(&tmp);
		sb_puts(err, "out of memory");
		return -1;
	}
	sb_free(&tmp);
	return 0;
}

/* Writes entry idx. Returns 0, 1 (skipped), or -1 with err (the caller
 * stops, as cloud-init's exception does). */
static int write_entry(struct prov_ctx *ctx, const struct ynode *e, size_t idx, struct strbuf *err)
{
	if (!e || e->kind != Y_MAP) {
		sb_printf(err, "write_files[%zu]: expected a map, got %s", idx,
		          e ? ykind_name(e->kind) : "nothing");
		return -1;
	}
	const struct ynode *pn = ymap_get(e, "path");
	if (!ynode_truthy(pn)) {
		log_msg(LOG_WRN, "egs.run", "No path provided to write for entry %zu in module write_files",
		        idx + 1);
		return 1;
	}
	if (pn->kind != Y_STR) {
		sb_printf(err, "write_files[%zu].path: expected a string, got %s", idx, ykind_name(pn->kind));
		return -1;
	}
	const struct ynode *en = ymap_get(e, "encoding");
	if (en && en->kind != Y_STR && en->kind != Y_NULL) {
		sb_printf(err, "write_files[%zu].encoding: expected a string, got %s", idx,
		          ykind_name(en->kind));
		return -1;
	}
	int enc = parse_encoding(ynode_str(en), idx);
	long long mode;
	decode_perms(ymap_get(e, "permissions"), idx, &mode);
	if (mode < 0 || mode > 07777777) {
		sb_printf(err, "write_files[%zu].permissions: %lld is out of range", idx, mode);
		return -1;
	}
	int append = prov_bool(ymap_get(e, "append"), 0);

	/* owner "user:group" by name in the target's passwd/group */
	const struct ynode *on = ymap_get(e, "owner");
	const char *owner = "root:root";
	if (on && on->kind == Y_STR)
		owner = on->str;
	else if (on && on->kind != Y_NULL) {
		sb_printf(err, "write_files[%zu].owner: expected \"user:group\", got %s", idx,
		          ykind_name(on->kind));
		return -1;
	} else if (on)
		owner = "";
	const char *colon = strchr(owner, ':');
	char *user = owner_part(owner, colon ? (size_t)(colon - owner) : strlen(owner));
	char *group = colon ? owner_part(colon + 1, strlen(colon + 1)) : NULL;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	char *path = NULL, *full = NULL;
	struct strbuf data = STRBUF_INIT;
	int rc = -1;
	if (user || group) {
		int r = pwdb_lookup_owner(ctx, user, group, &uid, &gid, err);
		if (r <= 0) {
			if (r == 0)
				sb_printf(err,
				          "write_files[%zu] (%s): owner '%s': no such user or group in the "
				          "target's /etc/passwd or /etc/group (users created by users_groups "
				          "need `defer: true`)",
				          idx, pn->str, owner);
			goto out;
		}
	}
	path = norm_path(pn->str);
	if (!path)
		goto nomem;
	if (append) {
		full = prov_path(ctx, path);
		if (!full)
			goto nomem;
		if (fs_read_file(full, &data, WF_MAX_FILE) < 0 && errno != ENOENT) {
			sb_printf(err, "write_files[%zu]: cannot read %s to append: %s", idx, path,
			          strerror(errno));
			goto out;
		}
	}
	if (decode_content(ymap_get(e, "content"), enc, idx, &data, err) < 0)
		goto out;
	mode_t m = (mode_t)(mode & 07777);
	if (mode == 0) {
		/* cloud-init skips the chmod: an existing file keeps its mode */
		struct stat st;
		if (!full)
			full = prov_path(ctx, path);
		if (!full)
			goto nomem;
		m = stat(full, &st) == 0 ? (st.st_mode & 07777) : 0644;
	}
	if (prov_write_file(ctx, path, sb_str(&data), data.len, m, uid, gid) < 0) {
		sb_printf(err, "write_files[%zu]: cannot write %s: %s", idx, path, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	sb_free(&data);
	free(user);
	free(group);
	free(path);
	free(full);
	return rc;
}

/* Both modules: the entries whose defer flag equals deferred. */
static int write_files(struct prov_ctx *ctx, struct strbuf *err, int deferred)
{
	const struct ynode *files = ymap_get(ctx->cfg, "write_files");
	if (!files || files->kind == Y_NULL)
		return 0;
	if (files->kind != Y_SEQ) {
		sb_printf(err, "write_files: expected a list, got %s", ykind_name(files->kind));
		return -1;
	}
	for (size_t i = 0; i < files->n; i++) {
		const struct ynode *e = files->items[i];
		if (e && e->kind == Y_MAP && prov_bool(ymap_get(e, "defer"), 0) != deferred)
			continue;
		if (write_entry(ctx, e, i, err) < 0)
			return -1;
	}
	return 0;
}

static int run_write_files(struct prov_ctx *ctx, struct strbuf *err)
{
	return write_files(ctx, err, 0);
}

static int run_write_files_deferred(struct prov_ctx *ctx, struct strbuf *err)
{
	return write_files(ctx, err, 1);
}

static const char *const wf_keys[] = {"write_files", NULL};

const struct prov_module mod_write_files = {
	.name = "write-files",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = wf_keys,
	.run = run_write_files,
};

const struct prov_module mod_write_files_deferred = {
	.name = "write-files-deferred",
	.stage = STAGE_FINAL,
	.freq = FREQ_INSTANCE,
	.activate_keys = wf_keys,
	.run = run_write_files_deferred,
};

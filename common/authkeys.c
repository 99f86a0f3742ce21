#include "authkeys.h"

#include <bearssl.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "fsutil.h"
#include "kvp.h"

#define SOURCE_MAX_BYTES (256 * 1024) /* id_egs.pub, DMI raw, fw_cfg raw */

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- time --------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int make_time(int y, int mo, int d, int h, int mi, int s, long offset, time_t *out)
{
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || s > 59)
		return -1;
	long long t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600LL +
	              mi * 60LL + s - offset;
	if ((long long)(time_t)t != t)
		return -1;
	*out = (time_t)t;
	return 0;
}

/* YYYYMMDD[HHMM[SS]][Z] */
static int parse_compact(const char *s, time_t *out)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == 'Z')
		n--;
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return -1;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	const char *p = s;
	digits(&p, 4, &y);
	digits(&p, 2, &mo);
	digits(&p, 2, &d);
	if (n >= 12) {
		digits(&p, 2, &h);
		digits(&p, 2, &mi);
	}
	if (n == 14)
		digits(&p, 2, &sec);
	return make_time(y, mo, d, h, mi, sec, 0, out);
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[(.|,)frac]][Z|z|(+|-)HH[[:]MM]]] */
static int parse_iso(const char *s, time_t *out)
{
	const char *p = s;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	long offset = 0;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!is_digit(*p))
					return -1;
				while (is_digit(*p))
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if ((*p || p[-1] == ':') && digits(&p, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			offset = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p)
		return -1;
	return make_time(y, mo, d, h, mi, sec, offset, out);
}

int authkeys_parse_time(const char *s, time_t *out)
{
	if (!s || !*s)
		return -1;
	if (parse_compact(s, out) == 0)
		return 0;
	return parse_iso(s, out);
}

/* ---- lines -------------------------------------------------------------- */

static void why_line(struct strbuf *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void why_line(struct strbuf *why, const char *fmt, ...)
{
	if (!why)
		return;
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(why, fmt, ap);
	va_end(ap);
}

void authkey_line_free(struct authkey_line *l)
{
	free(l->options);
	free(l->algo);
	free(l->blob);
	free(l->comment);
	memset(l, 0, sizeof(*l));
}

/* The end of a token that may hold "quoted parts" (with \" escapes), or
 * NULL if a quote is not closed. */
static const char *quoted_token_end(const char *p, const char *end)
{
	int quoted = 0;
	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end && p[1] == '"')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && is_blank(*p))
			break;
	}
	return quoted ? NULL : p;
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/* The §4.2 rule: a first token is a key type only when it starts with a
 * known prefix and holds neither '=' nor '"'. */
static int is_key_type_token(const char *s, size_t len)
{
	if (memchr(s, '=', len) || memchr(s, '"', len))
		return 0;
	return starts_with(s, len, "ssh-") || starts_with(s, len, "ecdsa-") ||
	       starts_with(s, len, "sk-") || starts_with(s, len, "rsa-sha2-");
}

/* Walks the option list [p, end): name[=value|="quoted value"] separated
 * by commas. Applies expiry-time to l. Returns 0 or -1 with why. */
static int parse_options(const char *p, const char *end, struct authkey_line *l,
                         struct strbuf *why)
{
	struct strbuf val = STRBUF_INIT;
	int rc = -1;
	while (p < end) {
		const char *ns = p;
		while (p < end && *p != '=' && *p != ',')
			p++;
		size_t nlen = (size_t)(p - ns);
		if (!nlen) {
			why_line(why, "empty option name");
			goto out;
		}
		int ours = nlen == 11 && strncasecmp(ns, "expiry-time", 11) == 0;
		int has_value = p < end && *p == '=';
		sb_reset(&val);
		if (has_value) {
			p++;
			if (p < end && *p == '"') {
				for (p++; p < end && *p != '"'; p++) {
					if (*p == '\\' && p + 1 < end && p[1] == '"')
						p++;
					if (sb_putc(&val, *p) < 0)
						goto nomem;
				}
				if (p >= end) {
					why_line(why, "unterminated quote in option '%.*s'", (int)nlen, ns);
					goto out;
				}
				p++; /* the closing quote */
				if (p < end && *p != ',') {
					why_line(why, "text after the quoted value of option '%.*s'",
					         (int)nlen, ns);
					goto out;
				}
			} else {
				const char *vs = p;
				while (p < end && *p != ',')
					p++;
				if (sb_append(&val, vs, (size_t)(p - vs)) < 0)
					goto nomem;
			}
		}
		if (ours) {
			time_t t;
			if (!has_value) {
				why_line(why, "expiry-time option without a value");
				goto out;
			}
			if (authkeys_parse_time(sb_str(&val), &t) < 0) {
				why_line(why, "unparseable expiry-time '%.40s'", sb_str(&val));
				goto out;
			}
			if (!l->has_expiry || t < l->expiry)
				l->expiry = t; /* several: the earliest counts */
			l->has_expiry = 1;
		}
		if (p < end && *p == ',')
			p++;
	}
	rc = 0;
	goto out;
nomem:
	why_line(why, "out of memory");
out:
	sb_free(&val);
	return rc;
}

/* The key type inside an SSH public-key blob (uint32 length + name). */
static int blob_type(const unsigned char *b, size_t len, const char **type, size_t *tlen)
{
	if (len < 4)
		return -1;
	uint32_t n = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	if (n == 0 || n > len - 4)
		return -1;
	*type = (const char *)b + 4;
	*tlen = n;
	return 0;
}

int authkeys_parse_line(const char *line, size_t len, struct authkey_line *out,
                        struct strbuf *why)
{
	const char *p = line, *end = line + len;
	memset(out, 0, sizeof(*out));
	while (end > p && (end[-1] == '\r' || end[-1] == '\n' || is_blank(end[-1])))
		end--;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (memchr(p, 0, (size_t)(end - p))) {
		why_line(why, "NUL byte in line");
		return -1;
	}

	const char *tok_end = quoted_token_end(p, end);
	if (!tok_end) {
		why_line(why, "unterminated quote in the option list");
		return -1;
	}
	if (!is_key_type_token(p, (size_t)(tok_end - p))) {
		out->options = strndup(p, (size_t)(tok_end - p));
		if (!out->options)
			goto nomem;
		if (parse_options(p, tok_end, out, why) < 0)
			goto bad;
		p = tok_end;
		while (p < end && is_blank(*p))
			p++;
	}

	const char *as = p;
	while (p < end && !is_blank(*p))
		p++;
	if (p == as) {
		why_line(why, "no key type");
		goto bad;
	}
	out->algo = strndup(as, (size_t)(p - as));
	while (p < end && is_blank(*p))
		p++;
	const char *bs = p;
	while (p < end && !is_blank(*p))
		p++;
	if (!out->algo)
		goto nomem;
	if (p == bs) {
		why_line(why, "no key data after '%.40s'", out->algo);
		goto bad;
	}
	struct strbuf blob = STRBUF_INIT;
	if (base64_decode(&blob, bs, (size_t)(p - bs)) < 0 || blob.len == 0) {
		sb_free(&blob);
		why_line(why, "key data of '%.40s' is not base64", out->algo);
		goto bad;
	}
	out->bloblen = blob.len;
	out->blob = (unsigned char *)sb_detach(&blob);
	if (!out->blob)
		goto nomem;
	const char *type;
	size_t tlen;
	if (blob_type(out->blob, out->bloblen, &type, &tlen) < 0) {
		why_line(why, "key data of '%.40s' is not an SSH public key", out->algo);
		goto bad;
	}
	int same = tlen == strlen(out->algo) && memcmp(type, out->algo, tlen) == 0;
	if (!same && !(starts_with(out->algo, strlen(out->algo), "rsa-sha2-") && tlen == 7 &&
	               memcmp(type, "ssh-rsa", 7) == 0)) {
		why_line(why, "key type '%.40s' does not match its data ('%.*s')", out->algo,
		         (int)(tlen > 40 ? 40 : tlen), type);
		goto bad;
	}
	while (p < end && is_blank(*p))
		p++;
	if (p < end && !(out->comment = strndup(p, (size_t)(end - p))))
		goto nomem;
	return 1;
nomem:
	why_line(why, "out of memory");
bad:
	authkey_line_free(out);
	return -1;
}

int authkeys_line_valid(const struct authkey_line *l, time_t now, struct strbuf *why)
{
	if (!l->has_expiry || l->expiry > now)
		return 1;
	why_line(why, "key expired at %lld", (long long)l->expiry);
	return 0;
}

/* authkeys_match with an origin name for the why lines. */
static int match_text(const char *origin, const char *text, size_t len,
                      const unsigned char *blob, size_t bloblen, time_t now,
                      struct strbuf *why)
{
	const char *p = text, *end = text + len;
	struct strbuf reason = STRBUF_INIT;
	int found = 0;
	for (int lineno = 1; p < end && !found; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct authkey_line l;
		sb_reset(&reason);
		int r = authkeys_parse_line(p, (size_t)(le - p), &l, &reason);
		if (r < 0) {
			why_line(why, "%s%sline %d skipped: %s\n", origin ? origin : "",
			         origin ? ": " : "", lineno, sb_str(&reason));
		} else if (r > 0) {
			if (l.bloblen == bloblen && memcmp(l.blob, blob, bloblen) == 0) {
				if (authkeys_line_valid(&l, now, &reason))
					found = 1;
				else
					why_line(why, "%s%sline %d rejected: %s\n", origin ? origin : "",
					         origin ? ": " : "", lineno, sb_str(&reason));
			}
			authkey_line_free(&l);
		}
		p = nl ? nl + 1 : end;
	}
	sb_free(&reason);
	return found;
}

int authkeys_match(const char *text, size_t len, const unsigned char *blob, size_t bloblen,
                   time_t now, struct strbuf *why)
{
	return match_text(NULL, text, len, blob, bloblen, now, why);
}

/* ---- sources ------------------------------------------------------------ */

void authkeys_sources_free(struct authkeys_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].origin);
		free(s->v[i].text);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Appends a source; takes text (malloc'd, len bytes). */
static int add_source(struct authkeys_sources *s, const char *kind, const char *name,
                      char *text, size_t len)
{
	struct strbuf origin = STRBUF_INIT;
	struct authkeys_source *v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (v)
		s->v = v;
	if (!v || sb_printf(&origin, "%s%s%s", kind, name ? ":" : "", name ? name : "") < 0) {
		sb_free(&origin);
		free(text);
		errno = ENOMEM;
		return -1;
	}
	s->v[s->n].origin = sb_detach(&origin);
	s->v[s->n].text = text;
	s->v[s->n].len = len;
	s->n++;
	return 0;
}

static int all_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_blank(s[i]) && s[i] != '\r' && s[i] != '\n' && s[i] != '\v' && s[i] != '\f')
			return 0;
	return 1;
}

/* id_egs.pub: one key, the first line that is not blank or a comment. */
static int gather_id_file(const char *dir, struct authkeys_sources *out, struct strbuf *notes)
{
	char *path = fs_join(dir, AUTHKEYS_ID_FILE);
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;
	if (!path)
		return -1;
	if (fs_read_file(path, &sb, SOURCE_MAX_BYTES) < 0) {
		if (errno != ENOENT)
			why_line(notes, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	if (all_space(sb_str(&sb), sb.len)) {
		if (unlink(path) < 0)
			why_line(notes, "%s: white space only, cannot delete: %s\n", path,
			         strerror(errno));
		else
			why_line(notes, "%s: white space only, deleted\n", path);
		goto out;
	}
	const char *p = sb_str(&sb), *end = p + sb.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = p;
		while (q < le && (is_blank(*q) || *q == '\r'))
			q++;
		if (q < le && *q != '#') {
			char *line = strndup(p, (size_t)(le - p));
			if (!line || add_source(out, AUTHKEYS_ID_FILE, NULL, line, (size_t)(le - p)) < 0)
				rc = -1;
			break;
		}
		p = nl ? nl + 1 : end;
	}
out:
	sb_free(&sb);
	free(path);
	return rc;
}

static int is_client_key_slot(const char *key)
{
	size_t n = strlen(AUTHKEYS_KVP_KEY);
	return strncmp(key, AUTHKEYS_KVP_KEY, n) == 0 && (key[n] == 0 || key[n] == ':');
}

static int gather_kvp(const char *kvp_dir, struct authkeys_sources *out, struct strbuf *notes)
{
	struct kvp_pool pool = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	int rc = 0;
	if (kvp_read(kvp_dir, KVP_POOL_EXTERNAL, &pool, &err) < 0) {
		if (errno == ENOMEM)
			rc = -1;
		else if (errno != ENOENT)
			why_line(notes, "KVP not used: %s\n", sb_str(&err));
		goto out;
	}
	for (size_t i = 0; i < pool.count && rc == 0; i++) {
		if (!is_client_key_slot(pool.rec[i].key))
			continue;
		const char *v = pool.rec[i].value;
		size_t len = strlen(v);
		while (len && (is_blank(*v) || *v == '\r' || *v == '\n'))
			v++, len--;
		while (len && (is_blank(v[len - 1]) || v[len - 1] == '\r' || v[len - 1] == '\n'))
			len--;
		char *text = strndup(v, len);
		if (!text || add_source(out, "kvp", pool.rec[i].key, text, len) < 0)
			rc = -1;
	}
out:
	kvp_pool_free(&pool);
	sb_free(&err);
	return rc;
}

/* Checks the credential prefix + name + '=' at s; returns the value or NULL. */
static const char *cred_value(const char *s, const char *prefix, const char *name)
{
	size_t pl = strlen(prefix), nl = strlen(name);
	if (strncmp(s, prefix, pl) != 0 || strncmp(s + pl, name, nl) != 0 || s[pl + nl] != '=')
		return NULL;
	return s + pl + nl + 1;
}

int authkeys_smbios_credential(const unsigned char *raw, size_t len, const char *name,
                               struct strbuf *out, struct strbuf *why)
{
	if (len < 5 || raw[0] != 11 || raw[1] < 5 || raw[1] > len) {
		why_line(why, "not an SMBIOS type 11 structure");
		return -1;
	}
	size_t p = raw[1];
	int found = 0;
	for (;;) {
		const unsigned char *nul = memchr(raw + p, 0, len - p);
		if (!nul) {
			why_line(why, "string set is not terminated");
			return -1;
		}
		size_t slen = (size_t)(nul - (raw + p));
		if (slen == 0)
			break; /* the double NUL (or an empty set) */
		const char *s = (const char *)raw + p;
		const char *v;
		if ((v = cred_value(s, "io.systemd.credential:", name))) {
			if (sb_puts(out, v) < 0 || sb_putc(out, '\n') < 0)
				return -1;
			found++;
		} else if ((v = cred_value(s, "io.systemd.credential.binary:", name))) {
			if (base64_decode(out, v, strlen(v)) < 0) {
				why_line(why, "credential %s: bad base64", name);
				return -1;
			}
			if (sb_putc(out, '\n') < 0)
				return -1;
			found++;
		}
		p += slen + 1;
		if (p >= len)
			break; /* a single final NUL: tolerated */
	}
	return found;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SYSFS/firmware/dmi/entries/11-*<>/raw, in name order. */
static int gather_smbios(const char *sysfs, const char *cred, struct authkeys_sources *out,
                         struct strbuf *notes)
{
	char *dirpath = fs_join(sysfs, "firmware/dmi/entries");
	if (!dirpath)
		return -1;
	DIR *d = opendir(dirpath);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;
	struct strbuf keys = STRBUF_INIT, raw = STRBUF_INIT, why = STRBUF_INIT;
	if (!d)
		goto out;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "11-", 3) != 0)
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			if (nn)
				names = nn;
			rc = -1;
			goto out;
		}
		names = nn;
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		sb_reset(&raw);
		sb_reset(&why);
		if (sb_printf(&path, "%s/%s/raw", dirpath, names[i]) < 0) {
			rc = -1;
			break;
		}
		if (fs_read_file(path.data, &raw, SOURCE_MAX_BYTES) < 0) {
			why_line(notes, "%s: %s\n", path.data, strerror(errno));
		} else if (authkeys_smbios_credential((unsigned char *)raw.data, raw.len, cred,
		                                      &keys, &why) < 0) {
			why_line(notes, "%s: %s\n", path.data, sb_str(&why));
		}
		sb_free(&path);
	}
	if (rc == 0 && keys.len) {
		size_t len = keys.len;
		rc = add_source(out, "smbios", cred, sb_detach(&keys), len);
	}
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dirpath);
	sb_free(&keys);
	sb_free(&raw);
	sb_free(&why);
	return rc;
}

static int gather_fw_cfg(const char *sysfs, const char *cred, struct authkeys_sources *out,
                         struct strbuf *notes)
{
	struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
	int rc = 0;
	if (sb_printf(&path, "%s/firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/%s/raw",
	              sysfs, cred) < 0) {
		rc = -1;
	} else if (fs_read_file(path.data, &data, SOURCE_MAX_BYTES) < 0) {
		if (errno != ENOENT)
			why_line(notes, "%s: %s\n", path.data, strerror(errno));
	} else if (data.len) {
		size_t len = data.len;
		rc = add_source(out, "fw_cfg", cred, sb_detach(&data), len);
	}
	sb_free(&path);
	sb_free(&data);
	return rc;
}

int authkeys_gather(const struct authkeys_config *cfg, struct authkeys_sources *out,
                    struct strbuf *notes)
{
	static const char *const creds[] = {AUTHKEYS_CRED_ALL, AUTHKEYS_CRED_ROOT};
	out->v = NULL;
	out->n = 0;
	if (cfg->config_dir && gather_id_file(cfg->config_dir, out, notes) < 0)
		goto nomem;
	if (cfg->kvp_dir && cfg->kvp_auth && gather_kvp(cfg->kvp_dir, out, notes) < 0)
		goto nomem;
	for (size_t i = 0; cfg->sysfs && i < sizeof(creds) / sizeof(creds[0]); i++) {
		if (gather_smbios(cfg->sysfs, creds[i], out, notes) < 0 ||
		    gather_fw_cfg(cfg->sysfs, creds[i], out, notes) < 0)
			goto nomem;
	}
	return 0;
nomem:
	authkeys_sources_free(out);
	errno = ENOMEM;
	return -1;
}

int authkeys_authorize(const struct authkeys_config *cfg, const unsigned char *blob,
                       size_t bloblen, time_t now, struct strbuf *origin,
                       struct strbuf *why)
{
	struct authkeys_sources src;
	if (authkeys_gather(cfg, &src, why) < 0) {
		why_line(why, "out of memory\n");
		return 0;
	}
	int found = 0;
	for (size_t i = 0; i < src.n && !found; i++) {
		if (match_text(src.v[i].origin, src.v[i].text, src.v[i].len, blob, bloblen, now,
		               why)) {
			found = 1;
			if (origin && sb_puts(origin, src.v[i].origin) < 0)
				found = 0; /* fail closed */
		}
	}
	authkeys_sources_free(&src);
	return found;
}

/* ---- fingerprints ----------------------------------------------------- */

static void sha256(const unsigned char *data, size_t len, unsigned char out[32])
{
	br_sha256_context ctx;
	br_sha256_init(&ctx);
	br_sha256_update(&ctx, data, len);
	br_sha256_out(&ctx, out);
}

int authkeys_fingerprint_hex(struct strbuf *out, const unsigned char *blob, size_t len)
{
	unsigned char h[32];
	sha256(blob, len, h);
	for (int i = 0; i < 32; i++)
		if (sb_printf(out, i ? ":%02x" : "%02x", h[i]) < 0)
			return -1;
	return 0;
}

int authkeys_fingerprint_ssh(struct strbuf *out, const unsigned char *blob, size_t len)
{
	unsigned char h[32];
	struct strbuf b64 = STRBUF_INIT;
	sha256(blob, len, h);
	if (base64_encode(&b64, h, sizeof(h)) < 0)
		return -1;
	size_t n = b64.len;
	while (n && b64.data[n - 1] == '=')
		n--;
	int rc = sb_puts(out, "SHA256:") < 0 || sb_append(out, b64.data, n) < 0 ? -1 : 0;
	sb_free(&b64);
	return rc;
}

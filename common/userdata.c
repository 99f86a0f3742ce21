#include "userdata.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fsutil.h"
#include "gz.h"
#include "mime.h"
#include "utf8.h"
#include "yaml.h"

#define NOT_MULTIPART "text/x-not-multipart"
#define MAX_INCLUDE_DEPTH 10

void userdata_opts_init(struct userdata_opts *o)
{
	memset(o, 0, sizeof(*o));
	fetch_opts_init(&o->fetch);
	o->max_include_depth = MAX_INCLUDE_DEPTH;
	o->max_size = 10 * 1024 * 1024;
}

/* ---- classification ---------------------------------------------------- */

/* INCLUSION_TYPES_MAP, longest prefix first as cloud-init searches it. */
static const struct {
	const char *prefix, *ctype;
} starts_with[] = {
	{"text/x-shellscript-per-instance", "text/x-shellscript-per-instance"},
	{"text/x-shellscript-per-boot", "text/x-shellscript-per-boot"},
	{"text/x-shellscript-per-once", "text/x-shellscript-per-once"},
	{"#cloud-config-archive", "text/cloud-config-archive"},
	{"#cloud-config-jsonp", "text/cloud-config-jsonp"},
	{"## template: jinja", "text/jinja2"},
	{"#cloud-boothook", "text/cloud-boothook"},
	{"#include-once", "text/x-include-once-url"},
	{"#part-handler", "text/part-handler"},
	{"#cloud-config", "text/cloud-config"},
	{"#include", "text/x-include-url"},
	{"#!", "text/x-shellscript"},
};

const char *userdata_sniff(const void *payload, size_t len, int strict_utf8)
{
	const char *p = payload;
	if (strict_utf8 && !utf8_valid(p, len))
		return NULL;
	size_t ws = utf8_py_space_prefix(p, len);
	p += ws;
	len -= ws;
	for (size_t i = 0; i < sizeof(starts_with) / sizeof(starts_with[0]); i++) {
		size_t n = strlen(starts_with[i].prefix);
		if (len >= n && strncasecmp(p, starts_with[i].prefix, n) == 0)
			return starts_with[i].ctype;
	}
	return NULL;
}

static const char *const gzip_types[] = {
	"application/gzip", "application/gzip-compressed", "application/gzipped",
	"application/x-compress", "application/x-compressed", "application/x-gunzip",
	"application/x-gzip", "application/x-gzip-compressed",
};

int userdata_is_gzip_type(const char *ctype)
{
	for (size_t i = 0; i < sizeof(gzip_types) / sizeof(gzip_types[0]); i++)
		if (strcmp(ctype, gzip_types[i]) == 0)
			return 1;
	return 0;
}

static const char *const handled_types[] = {
	"text/cloud-config", "text/cloud-config-jsonp", "text/x-shellscript",
	"text/x-shellscript-per-boot", "text/x-shellscript-per-instance",
	"text/x-shellscript-per-once", "text/cloud-boothook", "text/jinja2",
	"text/part-handler",
};

int userdata_type_is_handled(const char *ctype)
{
	for (size_t i = 0; i < sizeof(handled_types) / sizeof(handled_types[0]); i++)
		if (strcmp(ctype, handled_types[i]) == 0)
			return 1;
	return 0;
}

/* ---- the result ---------------------------------------------------------- */

struct ctx {
	const struct userdata_opts *o;
	struct userdata_result *out;
	const char *chain[MAX_INCLUDE_DEPTH + 2]; /* URLs being included */
	int depth;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
	if (c->out->error) /* the first error is the one that matters */
		return -1;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	c->out->error = rc < 0 ? NULL : sb_detach(&sb);
	if (!c->out->error)
		c->out->error = strdup("out of memory");
	return -1;
}

static int add_warning(struct userdata_part *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_warning(struct userdata_part *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	char **w = rc < 0 ? NULL : realloc(p->warnings, (p->nwarnings + 1) * sizeof(*w));
	if (!w) {
		sb_free(&sb);
		return -1;
	}
	p->warnings = w;
	p->warnings[p->nwarnings++] = sb_detach(&sb);
	return 0;
}

static void part_free(struct userdata_part *p)
{
	free(p->ctype);
	free(p->filename);
	free(p->payload);
	free(p->origin);
	free(p->merge_type);
	for (size_t i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
}

void userdata_result_free(struct userdata_result *r)
{
	for (size_t i = 0; i < r->nparts; i++)
		part_free(&r->parts[i]);
	free(r->parts);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* The warning cloud-init logs when no handler takes the part:
 * "'%s...'" % text.encode("unicode_escape") over the first line (at most
 * 24 characters), which Python prints as a bytes repr. */
static int unhandled_warning(struct userdata_part *p)
{
	struct strbuf esc = STRBUF_INIT, shown = STRBUF_INIT;
	int text = strncmp(p->ctype, "text/", 5) == 0;
	if (utf8_py_escape_first_line(&esc, p->payload, p->len, 24, text) < 0 ||
	    utf8_py_bytes_repr(&shown, esc.data ? esc.data : "", esc.len) < 0) {
		sb_free(&esc);
		sb_free(&shown);
		return -1;
	}
	int rc;
	if (strcmp(p->ctype, NOT_MULTIPART) == 0)
		rc = add_warning(p, "Unhandled non-multipart (%s) userdata: '%s...'", p->ctype,
		                 sb_str(&shown));
	else
		rc = add_warning(p, "Unhandled unknown content-type (%s) userdata: '%s...'",
		                 p->ctype, sb_str(&shown));
	sb_free(&esc);
	sb_free(&shown);
	return rc;
}

/* Attaches one part (cloud-init's _attach_part): the payload is taken
 * over; a missing filename becomes part-NNN from the running count. */
static int attach(struct ctx *c, const char *ctype, const char *filename,
                  struct strbuf *payload, const char *origin, const char *merge_type,
                  const char *launch_index, unsigned mime_warn)
{
	struct userdata_result *r = c->out;
	struct userdata_part *parts = realloc(r->parts, (r->nparts + 1) * sizeof(*parts));
	if (!parts)
		return fail(c, "out of memory");
	r->parts = parts;
	struct userdata_part *p = &parts[r->nparts];
	memset(p, 0, sizeof(*p));
	p->launch_index = -1;
	char name[32];
	snprintf(name, sizeof(name), "part-%03zu", r->nparts + 1);
	p->ctype = strdup(ctype);
	p->filename = strdup(filename && *filename ? filename : name);
	p->origin = strdup(origin);
	p->merge_type = merge_type ? strdup(merge_type) : NULL;
	p->len = payload->len;
	p->payload = sb_detach(payload);
	if (!p->ctype || !p->filename || !p->origin || !p->payload ||
	    (merge_type && !p->merge_type)) {
		part_free(p);
		return fail(c, "out of memory");
	}
	r->nparts++;
	if (launch_index) {
		/* Python's int(): optional blanks and sign, decimal digits */
		char *end;
		errno = 0;
		long v = strtol(launch_index, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (!errno && end != launch_index && !*end)
			p->launch_index = v;
	}
	int rc = 0;
	if (mime_warn & MIME_WARN_B64_LENGTH)
		rc |= add_warning(p, "%s: base64 body cannot be decoded (data length); kept as is",
		                  origin);
	else if (mime_warn & MIME_WARN_B64_CHARS)
		rc |= add_warning(p, "%s: invalid characters in base64 body were ignored", origin);
	if (!userdata_type_is_handled(p->ctype) && p->len)
		rc |= unhandled_warning(p);
	return rc < 0 ? fail(c, "out of memory") : 0;
}

/* ---- includes ------------------------------------------------------------ */

/* handlers/cloud_config.py reads dict(part).get("Merge-Type"), then
 * "X-Merge-Type": the header name must be spelled exactly so (the dict
 * keys keep their case), the value is the first header of that name in
 * any case (Message.__getitem__), and an empty value does not count. */
static const char *merge_header(const struct mime_part *m)
{
	static const char *const names[] = {"Merge-Type", "X-Merge-Type"};
	for (size_t n = 0; n < 2; n++) {
		for (size_t i = 0; i < m->nheaders; i++) {
			if (strcmp(m->headers[i].name, names[n]))
				continue;
			const char *v = mime_header_get(m, names[n]);
			if (v && *v)
				return v;
			break;
		}
	}
	return NULL;
}

static int process_blob(struct ctx *c, const char *data, size_t len, const char *origin);

static int do_fetch(struct ctx *c, const char *url, struct strbuf *out)
{
	char err[512] = "";
	int rc;
	if (c->o->fetcher)
		rc = c->o->fetcher(c->o->fetcher_ctx, url, out, err, sizeof(err));
	else
		rc = fetch_url(url, &c->o->fetch, out, NULL, err, sizeof(err));
	if (rc < 0)
		return fail(c, "%s", err[0] ? err : "fetch failed");
	return 0;
}

/* instance/data/urlcache/<md5(url) in hex> */
static char *cache_path(const char *dir, const char *url)
{
	br_md5_context md5;
	unsigned char h[16];
	char hex[33];
	br_md5_init(&md5);
	br_md5_update(&md5, url, strlen(url));
	br_md5_out(&md5, h);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return fs_join(dir, hex);
}

static int include_one(struct ctx *c, const char *url, int once, const char *origin)
{
	for (int i = 0; i < c->depth; i++)
		if (strcmp(c->chain[i], url) == 0)
			return fail(c, "%s: include loop: %s includes itself", origin, url);
	if (c->depth >= c->o->max_include_depth)
		return fail(c, "%s: includes nested deeper than %d levels at %s", origin,
		            c->o->max_include_depth, url);
	struct strbuf body = STRBUF_INIT;
	char *cached = once && c->o->urlcache_dir ? cache_path(c->o->urlcache_dir, url) : NULL;
	int have = 0;
	if (once && c->o->urlcache_dir && !cached)
		return fail(c, "out of memory");
	if (cached && access(cached, F_OK) == 0) {
		if (fs_read_file(cached, &body, c->o->max_size) < 0) {
			fail(c, "%s: cannot read include-once cache %s: %s", origin, cached,
			     strerror(errno));
			goto out;
		}
		have = 1;
	}
	if (!have) {
		if (do_fetch(c, url, &body) < 0)
			goto out;
		if (cached && (fs_mkdir_p(c->o->urlcache_dir, 0700) < 0 ||
		               fs_write_atomic(cached, body.data ? body.data : "", body.len, 0600) < 0)) {
			fail(c, "%s: cannot write include-once cache %s: %s", origin, cached,
			     strerror(errno));
			goto out;
		}
	}
	struct strbuf sub = STRBUF_INIT;
	if (sb_printf(&sub, "include %s", url) < 0) {
		fail(c, "out of memory");
		goto out;
	}
	c->chain[c->depth++] = url;
	process_blob(c, body.data ? body.data : "", body.len, sb_str(&sub));
	c->depth--;
	sb_free(&sub);
out:
	free(cached);
	sb_free(&body);
	return c->out->error ? -1 : 0;
}

/* cloud-init's _do_include over the payload's lines. */
static int do_include(struct ctx *c, const char *payload, size_t len, const char *origin)
{
	int once = 0;
	size_t pos = 0;
	while (pos < len) {
		size_t eol_len;
		size_t n = utf8_py_line(payload + pos, len - pos, &eol_len);
		const char *line = payload + pos;
		pos += n + eol_len;
		if (n >= 13 && strncasecmp(line, "#include-once", 13) == 0) {
			line += 13;
			n -= 13;
			once = 1;
		} else if (n >= 8 && strncasecmp(line, "#include", 8) == 0) {
			line += 8;
			n -= 8;
			once = 0;
		} else if (n && line[0] == '#') {
			continue;
		}
		size_t ws = utf8_py_space_prefix(line, n);
		line += ws;
		n -= ws;
		if (n && line[0] == '#')
			continue;
		n = utf8_py_rstrip_len(line, n);
		if (!n)
			continue;
		char *url = strndup(line, n);
		if (!url)
			return fail(c, "out of memory");
		int rc = include_one(c, url, once, origin);
		free(url);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The text of a scalar as Python's str() would give it for the values
 * that occur here (strings, numbers, booleans). */
static const char *scalar_text(const struct ynode *n)
{
	if (!n)
		return NULL;
	if (n->kind == Y_BOOL)
		return n->b ? "True" : "False";
	if (n->kind == Y_NULL)
		return "None";
	if (n->kind == Y_SEQ || n->kind == Y_MAP)
		return NULL;
	return n->kind == Y_STR ? n->str : n->text;
}

/* One entry of an archive (cloud-init's _explode_archive loop body). */
static int archive_entry(struct ctx *c, const struct ynode *ent, const char *origin)
{
	const struct ynode *content = ent, *type = NULL;
	const char *filename = NULL, *launch = NULL, *merge = NULL;
	if (ent->kind == Y_MAP) {
		content = ymap_get(ent, "content");
		type = ymap_get(ent, "type");
		filename = scalar_text(ymap_get(ent, "filename"));
		launch = scalar_text(ymap_get(ent, "launch-index"));
		/* other keys become headers: only the merge ones matter here */
		for (size_t i = 0; i < ynode_count(ent); i++) {
			const char *k = ynode_str(ymap_key(ent, i));
			if (k && (!strcmp(k, "Merge-Type") || (!merge && !strcmp(k, "X-Merge-Type"))))
				merge = scalar_text(ymap_value(ent, i));
		}
	}
	const char *data = "";
	size_t len = 0;
	int is_bytes = 0;
	if (content && content->kind == Y_STR) {
		data = content->str;
		len = content->len;
	} else if (content && content->kind == Y_BYTES) {
		data = content->str;
		len = content->len;
		is_bytes = 1;
	} else if (content && content->kind != Y_NULL) {
		return fail(c, "%s: content is a %s, not a string", origin, ykind_name(content->kind));
	} else if (content) {
		return fail(c, "%s: content is null", origin);
	}
	const char *ctype = NULL;
	if (type && ynode_truthy(type)) {
		ctype = ynode_str(type);
		if (!ctype)
			return fail(c, "%s: type is not a string", origin);
	} else {
		ctype = userdata_sniff(data, len, is_bytes);
		if (!ctype)
			ctype = is_bytes ? "application/octet-stream" : "text/cloud-config";
	}
	if (!strchr(ctype, '/'))
		return fail(c, "%s: type %s has no '/'", origin, ctype);
	if (is_bytes && !strncmp(ctype, "text/", 5) && !utf8_valid(data, len))
		return fail(c, "%s: binary content of a text type is not UTF-8", origin);
	struct strbuf payload = STRBUF_INIT;
	if (sb_append(&payload, data, len) < 0)
		return fail(c, "out of memory");
	int rc = attach(c, ctype, filename, &payload, origin, merge, launch, 0);
	sb_free(&payload);
	return rc;
}

/* cloud-init's _explode_archive: the payload is a YAML list of strings
 * or {content, type, filename, launch-index, headers...}; each entry is
 * attached as a part as it is (no include processing). YAML that does not
 * load or is not a list gives no parts, as util.load_yaml's default. */
static int explode_archive(struct ctx *c, const char *payload, size_t len, const char *origin)
{
	struct yaml_error yerr = {0, 0, NULL};
	struct ydoc *doc = yaml_load(payload, len, "<byte string>", &yerr);
	if (!doc) {
		yaml_error_free(&yerr);
		return 0;
	}
	const struct ynode *root = ydoc_root(doc);
	int rc = 0;
	if (root && root->kind == Y_SEQ) {
		for (size_t i = 0; i < root->n && rc == 0; i++) {
			const struct ynode *ent = root->items[i];
			if (ent->kind != Y_STR && ent->kind != Y_MAP)
				continue; /* cloud-init skips other entries */
			struct strbuf where = STRBUF_INIT;
			if (sb_printf(&where, "%s archive entry %zu", origin, i + 1) < 0)
				rc = fail(c, "out of memory");
			else
				rc = archive_entry(c, ent, sb_str(&where));
			sb_free(&where);
		}
	}
	ydoc_free(doc);
	return rc;
}

/* ---- one part ------------------------------------------------------------ */

/* cloud-init's _process_msg body for one non-container part. */
static int process_part(struct ctx *c, const char *ctype_orig, struct strbuf *payload,
                        const char *filename, const char *launch_index,
                        const char *merge_type, unsigned mime_warn, const char *origin)
{
	const char *ctype = NULL;
	int compressed = 0;
	if (userdata_is_gzip_type(ctype_orig)) {
		struct strbuf plain = STRBUF_INIT;
		const char *err = NULL;
		if (gz_gunzip(&plain, payload->data ? payload->data : "", payload->len,
		              c->o->max_size, &err) < 0) {
			sb_free(&plain);
			return fail(c, "%s: Failed decompressing payload from %s of length %zu due to: %s",
			            origin, ctype_orig, payload->len, err);
		}
		if (!utf8_valid(plain.data ? plain.data : "", plain.len)) {
			sb_free(&plain);
			return fail(c, "%s: Failed decompressing payload from %s of length %zu due to: "
			            "not valid UTF-8", origin, ctype_orig, payload->len);
		}
		sb_free(payload);
		*payload = plain;
		ctype_orig = "text/plain";
		compressed = 1;
		/* the re-made part keeps only its filename and Launch-Index */
		merge_type = NULL;
	}
	if (!strcmp(ctype_orig, "text/plain") || !strcmp(ctype_orig, NOT_MULTIPART) ||
	    !strcmp(ctype_orig, "text/x-shellscript"))
		ctype = userdata_sniff(payload->data ? payload->data : "", payload->len, 0);
	if (!ctype)
		ctype = ctype_orig;
	(void)compressed;
	if (!strcmp(ctype, "text/x-include-url") || !strcmp(ctype, "text/x-include-once-url"))
		return do_include(c, sb_str(payload), payload->len, origin);
	if (!strcmp(ctype, "text/cloud-config-archive"))
		return explode_archive(c, sb_str(payload), payload->len, origin);
	return attach(c, ctype, filename, payload, origin, merge_type, launch_index, mime_warn);
}

static int walk_mime(struct ctx *c, const struct mime_part *m, const char *origin,
                     size_t *leafno)
{
	if (strncmp(m->ctype, "multipart/", 10) != 0) {
		/* a message/ container is a part too (with no payload of its
		 * own), as Python's walk() yields it before its contents */
		struct strbuf payload = STRBUF_INIT, name = STRBUF_INIT, where = STRBUF_INIT;
		unsigned warn = 0;
		int rc = -1;
		++*leafno;
		if ((!m->is_container && mime_decode_body(m, &payload, &warn) < 0) ||
		    mime_filename(m, &name) < 0 ||
		    sb_printf(&where, "%s MIME part %zu", origin, *leafno) < 0) {
			fail(c, "out of memory");
		} else {
			const char *mt = merge_header(m);
			rc = process_part(c, m->ctype, &payload, name.len ? name.data : NULL,
			                  mime_header_get(m, "Launch-Index"), mt, warn,
			                  sb_str(&where));
		}
		sb_free(&payload);
		sb_free(&name);
		sb_free(&where);
		if (rc < 0)
			return -1;
	}
	if (m->defects & MIME_DEF_TOO_DEEP)
		return fail(c, "%s: MIME nesting deeper than %d levels", origin, MIME_MAX_DEPTH);
	for (size_t i = 0; i < m->nchildren; i++)
		if (walk_mime(c, m->children[i], origin, leafno) < 0)
			return -1;
	return 0;
}

/* Python's b"mime-version:" in data[:4096].lower() */
static int looks_like_mime(const char *data, size_t len)
{
	static const char key[] = "mime-version:";
	size_t n = len < 4096 ? len : 4096, k = sizeof(key) - 1;
	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(data + i, key, k) == 0)
			return 1;
	return 0;
}

/* cloud-init's convert_string + _process_msg for one blob. */
static int process_blob(struct ctx *c, const char *data, size_t len, const char *origin)
{
	struct strbuf plain = STRBUF_INIT;
	int rc = 0;
	if (gz_is_gzip(data, len)) {
		const char *err = NULL;
		if (gz_gunzip(&plain, data, len, c->o->max_size, &err) == 0) {
			data = plain.data ? plain.data : "";
			len = plain.len;
		} else if (err && strstr(err, "limit")) {
			sb_free(&plain);
			return fail(c, "%s: gzip data is larger than %zu bytes once decompressed",
			            origin, c->o->max_size);
		} /* else: not really gzip, used as it is (quiet, as cloud-init) */
	}
	if (looks_like_mime(data, len)) {
		if (!utf8_valid(data, len)) {
			rc = fail(c, "%s: MIME user-data is not valid UTF-8", origin);
		} else {
			struct mime_part *root = mime_parse(data, len, 0);
			size_t leafno = 0;
			rc = root ? walk_mime(c, root, origin, &leafno) : fail(c, "out of memory");
			mime_free(root);
		}
	} else {
		struct strbuf payload = STRBUF_INIT;
		if (sb_append(&payload, data, len) < 0)
			rc = fail(c, "out of memory");
		else
			rc = process_part(c, NOT_MULTIPART, &payload, NULL, NULL, NULL, 0, origin);
		sb_free(&payload);
	}
	sb_free(&plain);
	return rc;
}

int userdata_process(const void *blob, size_t len, const struct userdata_opts *opts,
                     struct userdata_result *out)
{
	struct userdata_opts defaults;
	struct ctx c;
	memset(out, 0, sizeof(*out));
	if (!opts) {
		userdata_opts_init(&defaults);
		opts = &defaults;
	}
	memset(&c, 0, sizeof(c));
	c.o = opts;
	c.out = out;
	if (c.o->max_include_depth > MAX_INCLUDE_DEPTH || c.o->max_include_depth < 0) {
		defaults = *opts;
		defaults.max_include_depth = MAX_INCLUDE_DEPTH;
		c.o = &defaults;
	}
	return process_blob(&c, blob ? blob : "", blob ? len : 0, "user-data");
}

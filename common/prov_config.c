/* The merged cloud-config and user-data consumption (common/prov_config.h). */
#include "prov_config.h"
#include "yaml_merge.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "json.h"
#include "jsonw.h"
#include "log.h"
#include "prov_state.h"
#include "userdata.h"

/* ---- files ----------------------------------------------------------------- */

char *prov_clean_filename(const char *name)
{
	struct strbuf b = STRBUF_INIT;
	for (const char *c = name; *c; c++) {
		if (*c == '/')
			sb_putc(&b, '_');
		else if (isalnum((unsigned char)*c) || strchr("_.()-", *c))
			sb_putc(&b, *c);
	}
	return sb_detach(&b);
}

/* Writes a state file (host path) unless dry run. */
static int write_state(const struct prov_ctx *ctx, const char *path, const void *data, size_t len,
                       mode_t mode)
{
	prov_action(ctx, "write %s (%zu bytes, mode %04o)", path, len, (unsigned)mode);
	if (ctx->dry_run)
		return 0;
	char *dir = strdup(path);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int rc = fs_mkdir_p(dir, 0755) == 0 ? prov_state_write(path, data, len, mode) : -1;
	free(dir);
	if (rc < 0)
		log_msg(LOG_WRN, "egs.run", "cannot write %s: %s", path, strerror(errno));
	return rc;
}

static int write_in(const struct prov_ctx *ctx, const char *dir, const char *name,
                    const void *data, size_t len, mode_t mode)
{
	char *path = fs_join(dir, name);
	int rc = path ? write_state(ctx, path, data, len, mode) : -1;
	free(path);
	return rc;
}

/* util.dos2unix when the first line ends with CRLF. */
static void maybe_dos2unix(struct strbuf *b)
{
	const char *nl = memchr(b->data ? b->data : "", '\n', b->len);
	if (!nl || nl == b->data || nl[-1] != '\r')
		return;
	size_t o = 0;
	for (size_t i = 0; i < b->len; i++)
		if (!(b->data[i] == '\r' && i + 1 < b->len && b->data[i + 1] == '\n'))
			b->data[o++] = b->data[i];
	sb_truncate(b, o);
}

/* ---- user-data processing --------------------------------------------------- */

struct blob_result {
	struct cc_parts parts;  /* the cloud-config parts, merged as cloud-init does */
	struct strbuf files;    /* "# <fname>\n" lines for cloud-config.txt */
	int nfiles;
};

static void add_error(struct strbuf *errors, const char *fmt, const char *a, const char *b)
{
	if (errors->len)
		sb_putc(errors, '\n');
	sb_printf(errors, fmt, a, b);
	log_msg(LOG_WRN, "egs.run", fmt, a, b);
}

/* Handles one part: cloud-config merged, scripts stored, boothooks run. */
static void handle_part(struct prov_ctx *ctx, struct ydoc *doc, const struct userdata_part *p,
                        int vendor, int consume, struct blob_result *br, struct strbuf *errors)
{
	const char *t = p->ctype;
	if (strcmp(t, "text/cloud-config") == 0) {
		struct yaml_error ye = {0};
		char why[256] = "";
		const char *name = p->origin ? p->origin : p->filename;
		switch (cc_parts_add(&br->parts, p->payload, p->len, p->merge_type, &ye, why,
		                     sizeof(why))) {
		case CC_PART_MERGED:
			sb_printf(&br->files, "# %s\n", p->filename);
			br->nfiles++;
			break;
		case CC_PART_EMPTY:
			log_msg(LOG_WRN, "egs.run", "%s: empty cloud config; skipped", p->filename);
			break;
		case CC_PART_YAML_ERROR:
			add_error(errors, "cloud-config %s: %s", name,
			          ye.message ? ye.message : "invalid YAML");
			yaml_error_free(&ye);
			break;
		case CC_PART_NOT_DICT:
			add_error(errors, "cloud-config %s: %s", name, "not a mapping");
			break;
		default:
			add_error(errors, "cloud-config %s: %s", name, why[0] ? why : "out of memory");
			break;
		}
		return;
	}
	if (!consume)
		return;
	char *fname = prov_clean_filename(p->filename);
	if (!fname)
		return;
	if (strcmp(t, "text/x-shellscript") == 0) {
		struct strbuf b = STRBUF_INIT;
		sb_append(&b, p->payload, p->len);
		maybe_dos2unix(&b);
		char *dir = fs_join(ctx->instance_dir, vendor ? "scripts/vendor" : "scripts");
		if (dir)
			write_in(ctx, dir, fname, b.data ? b.data : "", b.len, 0700);
		free(dir);
		sb_free(&b);
	} else if (strncmp(t, "text/x-shellscript-per-", 23) == 0) {
		struct strbuf rel = STRBUF_INIT;
		sb_printf(&rel, "scripts/per-%s", t + 23);
		char *dir = fs_join(ctx->state_dir, sb_str(&rel));
		if (dir)
			write_in(ctx, dir, fname, p->payload, p->len, 0700);
		free(dir);
		sb_free(&rel);
	} else if (strcmp(t, "text/cloud-boothook") == 0) {
		const char *body = p->payload;
		size_t len = p->len;
		if (len >= 15 && strncasecmp(body, "#cloud-boothook", 15) == 0)
			body += 15, len -= 15;
		while (len && isspace((unsigned char)*body))
			body++, len--;
		char *dir = fs_join(ctx->instance_dir, "boothooks");
		char *path = dir ? fs_join(dir, fname) : NULL;
		if (path && write_state(ctx, path, body, len, 0700) == 0) {
			/* run it inside root: the path as the guest sees it */
			size_t rl = strcmp(ctx->root, "/") == 0 ? 0 : strlen(ctx->root);
			char *argv[2] = {path + (strncmp(path, ctx->root, rl) == 0 ? rl : 0), NULL};
			int rc = prov_run(ctx, argv, NULL);
			if (rc != 0)
				log_msg(LOG_WRN, "egs.run", "boothook %s exited with %d", fname, rc);
		}
		free(path);
		free(dir);
	} else if (userdata_type_is_handled(t)) {
		log_msg(LOG_WRN, "egs.run", "%s part %s is not supported by egs; ignored", t, fname);
	} else if (strcmp(t, "text/x-not-multipart") == 0) {
		log_msg(LOG_WRN, "egs.run", "Unhandled non-multipart (%s) userdata: '%.40s...'", t,
		        p->payload);
	} else {
		log_msg(LOG_WRN, "egs.run", "Unhandled unknown content-type (%s) userdata: '%.40s...'", t,
		        p->payload);
	}
	free(fname);
}

/* Processes one blob (user-data or vendor-data). */
static void process_blob(struct prov_ctx *ctx, struct ydoc *doc, const struct strbuf *blob,
                         int vendor, int consume, struct blob_result *br, struct strbuf *errors)
{
	struct userdata_opts uo;
	userdata_opts_init(&uo);
	char *cache = fs_join(ctx->instance_dir, "data/urlcache");
	uo.urlcache_dir = ctx->dry_run ? NULL : cache;
	if (cache && !ctx->dry_run)
		fs_mkdir_p(cache, 0700);
	struct userdata_result res = {0};
	if (userdata_process(blob->data ? blob->data : "", blob->len, &uo, &res) < 0)
		add_error(errors, "%s: %s", vendor ? "vendor-data" : "user-data",
		          res.error ? res.error : "processing failed");
	for (size_t i = 0; i < res.nparts; i++) {
		for (size_t w = 0; w < res.parts[i].nwarnings; w++)
			log_msg(LOG_WRN, "egs.run", "%s", res.parts[i].warnings[w]);
		handle_part(ctx, doc, &res.parts[i], vendor, consume, br, errors);
	}
	userdata_result_free(&res);
	free(cache);
}

/* "#cloud-config\n\n# from N files\n# f\n\n" + the config as JSON. */
static void write_cloud_config(struct prov_ctx *ctx, const char *name, const struct blob_result *br)
{
	struct strbuf b = STRBUF_INIT;
	if (br->nfiles) {
		sb_printf(&b, "#cloud-config\n\n# from %d files\n%s\n", br->nfiles, sb_str(&br->files));
		struct jsonw w;
		jw_init(&w, &b, 2, 0);
		json_write_node(&w, br->parts.merged);
		sb_putc(&b, '\n');
	}
	write_in(ctx, ctx->instance_dir, name, b.data ? b.data : "", b.len, 0600);
	sb_free(&b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ROOT/etc/cloud/cloud.cfg + cloud.cfg.d/NAME.cfg, later files winning. */
static int load_system(struct prov_ctx *ctx, struct ydoc *doc, struct ynode **sys, struct strbuf *err)
{
	char *paths[256];
	size_t n = 0;
	paths[n++] = prov_path(ctx, "/etc/cloud/cloud.cfg");
	char *dir = prov_path(ctx, "/etc/cloud/cloud.cfg.d");
	DIR *d = dir ? opendir(dir) : NULL;
	if (d) {
		struct dirent *e;
		size_t first = n;
		while ((e = readdir(d)) && n < 256) {
			size_t l = strlen(e->d_name);
			if (l > 4 && strcmp(e->d_name + l - 4, ".cfg") == 0)
				paths[n++] = fs_join(dir, e->d_name);
		}
		closedir(d);
		qsort(paths + first, n - first, sizeof(*paths), cmp_str);
	}
	free(dir);
	*sys = ynode_new_map(doc);
	int rc = *sys ? 0 : -1;
	for (size_t i = n; i-- > 0 && rc == 0;) {
		struct strbuf b = STRBUF_INIT;
		if (!paths[i] || fs_read_file(paths[i], &b, 4 << 20) < 0) {
			sb_free(&b);
			continue;
		}
		struct yaml_error ye = {0};
		struct ydoc *fd = yaml_load(sb_str(&b), b.len, paths[i], &ye);
		if (!fd) {
			sb_printf(err, "%s: line %d column %d: %s", paths[i], ye.line, ye.col,
			          ye.message ? ye.message : "invalid YAML");
			yaml_error_free(&ye);
			rc = -1;
		} else {
			if (ydoc_root(fd)->kind == Y_MAP) {
				/* the merge shares nodes with its inputs: keep a copy in doc */
				char why[256] = "";
				struct ynode *copy = ynode_copy(doc, ydoc_root(fd));
				struct ynode *m = copy ? cc_merge_config(doc, *sys, copy, why, sizeof(why)) : NULL;
				if (m) {
					*sys = m;
				} else {
					sb_printf(err, "%s: %s", paths[i], why[0] ? why : "out of memory");
					rc = -1;
				}
			} else if (ydoc_root(fd)->kind != Y_NULL)
				log_msg(LOG_WRN, "egs.run", "%s: not a mapping; ignored", paths[i]);
			ydoc_free(fd);
		}
		sb_free(&b);
	}
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	return rc;
}

int prov_config_build(struct prov_ctx *ctx, const struct ds_result *ds, int consume,
                      struct prov_config *out, struct strbuf *errors, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	out->doc = ydoc_new();
	if (!out->doc)
		return -1;
	struct blob_result ud = {0}, vd = {0};
	struct ynode *sys = NULL;
	int rc = -1;
	if (cc_parts_init(&ud.parts) < 0 || cc_parts_init(&vd.parts) < 0)
		goto out;
	if (consume) {
		write_in(ctx, ctx->instance_dir, "user-data.txt", sb_str(&ds->userdata), ds->userdata.len,
		         0600);
		write_in(ctx, ctx->instance_dir, "vendor-data.txt", sb_str(&ds->vendordata),
		         ds->vendordata.len, 0600);
	}
	size_t before = errors->len;
	if (ds->have_userdata && ds->userdata.len)
		process_blob(ctx, out->doc, &ds->userdata, 0, consume, &ud, errors);
	out->userdata_failed = errors->len != before;
	if (ds->have_vendordata && ds->vendordata.len)
		process_blob(ctx, out->doc, &ds->vendordata, 1, consume, &vd, errors);
	if (consume) {
		write_cloud_config(ctx, "cloud-config.txt", &ud);
		write_cloud_config(ctx, "vendor-cloud-config.txt", &vd);
	}
	if (load_system(ctx, out->doc, &sys, err) < 0)
		goto out;
	/* user-data > vendor-data > system config: util.mergemanydict */
	char why[256] = "";
	struct ynode *user = ud.parts.merged ? ynode_copy(out->doc, ud.parts.merged) : NULL;
	struct ynode *vendor = vd.parts.merged ? ynode_copy(out->doc, vd.parts.merged) : NULL;
	struct ynode *cfg = cc_merge_config(out->doc, NULL, user, why, sizeof(why));
	if (cfg)
		cfg = cc_merge_config(out->doc, cfg, vendor, why, sizeof(why));
	if (cfg)
		cfg = cc_merge_config(out->doc, cfg, sys, why, sizeof(why));
	if (!cfg) {
		sb_puts(err, why[0] ? why : "out of memory");
		goto out;
	}
	out->cfg = cfg;
	ydoc_set_root(out->doc, out->cfg);
	rc = 0;
out:
	sb_free(&ud.files);
	sb_free(&vd.files);
	cc_parts_free(&ud.parts);
	cc_parts_free(&vd.parts);
	if (rc < 0) {
		prov_config_free(out);
		if (!err->len)
			sb_puts(err, "out of memory");
	}
	return rc;
}

void prov_config_free(struct prov_config *c)
{
	ydoc_free(c->doc);
	memset(c, 0, sizeof(*c));
}

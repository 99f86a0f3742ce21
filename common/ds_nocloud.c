/* The NoCloud datasource (cloud-init.md §5.1; common/datasource.h). */
#include "datasource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "fetch.h"
#include "fsutil.h"
#include "log.h"

/* Parses a YAML meta-data or network-config file; NULL + err on failure.
 * A null document becomes an empty map. */
static struct ydoc *parse_yaml(const struct strbuf *b, const char *where, const char *what,
                               struct strbuf *err)
{
	struct yaml_error ye = {0};
	struct ydoc *d = yaml_load(b->data ? b->data : "", b->len, what, &ye);
	if (!d) {
		sb_printf(err, "%s/%s: line %d column %d: %s", where, what, ye.line, ye.col,
		          ye.message ? ye.message : "invalid YAML");
		yaml_error_free(&ye);
		return NULL;
	}
	struct ynode *root = ydoc_root(d);
	if (root->kind == Y_NULL) {
		struct ynode *m = ynode_new_map(d);
		if (!m) {
			ydoc_free(d);
			return NULL;
		}
		ydoc_set_root(d, m);
	} else if (root->kind != Y_MAP) {
		sb_printf(err, "%s/%s: expected a mapping, got a %s (line %d)", where, what,
		          ykind_name(root->kind), root->line);
		ydoc_free(d);
		return NULL;
	}
	return d;
}

/* Adds every key of src that md lacks (cloud-init's meta-data merge: the
 * earlier source wins). */
static int merge_missing(struct ydoc *d, struct ynode *md, const struct ynode *src)
{
	for (size_t i = 0; i < ynode_count(src); i++) {
		const struct ynode *k = ymap_key(src, i);
		const char *ks = ynode_str(k);
		if (ks && ymap_get(md, ks))
			continue;
		if (ymap_set_node(d, md, ynode_copy(d, k), ynode_copy(d, ymap_value(src, i))) < 0)
			return -1;
	}
	return 0;
}

struct nc_state {
	struct ydoc *d;
	struct ynode *md;
	struct strbuf found; /* cloud-init's self.seed: "," joined */
	struct ds_result *r;
};

static void add_found(struct nc_state *st, const char *what)
{
	sb_printf(&st->found, "%s%s", st->found.len ? "," : "", what);
}

/* Reads one seed (user-data and meta-data required, as pathprefix2dict).
 * Returns 1 used, 0 incomplete, -1 error. */
static int load_seed(struct nc_state *st, const struct ds_seed *s, const char *where,
                     struct strbuf *err)
{
	struct strbuf md = STRBUF_INIT, ud = STRBUF_INIT, vd = STRBUF_INIT, nc = STRBUF_INIT;
	int rc = -1;
	int a = ds_seed_read(s, "meta-data", &md, err);
	int b = a < 0 ? -1 : ds_seed_read(s, "user-data", &ud, err);
	if (a < 0 || b < 0)
		goto out;
	if (a == 1 || b == 1) {
		log_msg(LOG_DBG, "egs.run", "NoCloud: %s lacks %s", where,
		        a == 1 ? "meta-data" : "user-data");
		rc = 0;
		goto out;
	}
	int v = ds_seed_read(s, "vendor-data", &vd, err);
	int n = v < 0 ? -1 : ds_seed_read(s, "network-config", &nc, err);
	if (v < 0 || n < 0)
		goto out;
	struct ydoc *mdoc = parse_yaml(&md, where, "meta-data", err);
	if (!mdoc)
		goto out;
	int mrc = merge_missing(st->d, st->md, ydoc_root(mdoc));
	ydoc_free(mdoc);
	if (mrc < 0)
		goto out;
	if (n == 0) {
		struct ydoc *ndoc = parse_yaml(&nc, where, "network-config", err);
		if (!ndoc)
			goto out;
		ydoc_free(st->r->network_doc);
		st->r->network_doc = ndoc;
	}
	sb_reset(&st->r->userdata);
	if (sb_append(&st->r->userdata, ud.data ? ud.data : "", ud.len) < 0)
		goto out;
	st->r->have_userdata = 1;
	if (v == 0) {
		sb_reset(&st->r->vendordata);
		if (sb_append(&st->r->vendordata, vd.data ? vd.data : "", vd.len) < 0)
			goto out;
		st->r->have_vendordata = 1;
	}
	add_found(st, where);
	rc = 1;
out:
	sb_free(&md);
	sb_free(&ud);
	sb_free(&vd);
	sb_free(&nc);
	return rc;
}

static int read_cmdline_source(struct nc_state *st, const char *path, const char *what)
{
	struct strbuf b = STRBUF_INIT;
	int rc = 0;
	if (path && fs_read_file(path, &b, 65536) == 0) {
		rc = ds_parse_cmdline(sb_str(&b), st->d, st->md);
		if (rc > 0)
			add_found(st, what);
	}
	sb_free(&b);
	return rc;
}

/* seedfrom: file:// or /path under root; http(s) with common/fetch. */
static int load_seedfrom(struct nc_state *st, const struct ds_opts *o, const char *seedfrom,
                         struct strbuf *err)
{
	static const char *const files[3] = {"meta-data", "user-data", "vendor-data"};
	struct strbuf data[3] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	int is_file = strncmp(seedfrom, "file://", 7) == 0 || seedfrom[0] == '/';
	int is_http = strncmp(seedfrom, "http://", 7) == 0 || strncmp(seedfrom, "https://", 8) == 0;
	if (!is_file && !is_http) {
		log_msg(LOG_WRN, "egs.run", "NoCloud: seedfrom %s is not supported", seedfrom);
		return 0;
	}
	int rc = -1;
	for (int i = 0; i < 3; i++) {
		struct strbuf url = STRBUF_INIT;
		sb_printf(&url, "%s%s", seedfrom, files[i]);
		int got;
		if (is_file) {
			const char *p = sb_str(&url) + (seedfrom[0] == '/' ? 0 : 7);
			char *path = strcmp(o->root, "/") == 0 ? strdup(p) : fs_join(o->root, p);
			got = path ? fs_read_file(path, &data[i], DS_MAX_FILE) : -1;
			if (got < 0 && errno == ENOENT && i == 2)
				got = 1;
			else if (got < 0)
				sb_printf(err, "NoCloud seedfrom %s: %s", sb_str(&url), strerror(errno));
			free(path);
		} else {
			struct fetch_opts fo;
			char e[256] = "";
			fetch_opts_init(&fo);
			int status = 0;
			got = fetch_url(sb_str(&url), &fo, &data[i], &status, e, sizeof(e));
			if (got < 0 && i == 2 && status == 404)
				got = 1;
			else if (got < 0)
				sb_printf(err, "NoCloud seedfrom: %s", e);
		}
		sb_free(&url);
		if (got < 0)
			goto out;
	}
	struct ydoc *mdoc = parse_yaml(&data[0], seedfrom, "meta-data", err);
	if (!mdoc)
		goto out;
	int mrc = merge_missing(st->d, st->md, ydoc_root(mdoc));
	ydoc_free(mdoc);
	sb_reset(&st->r->userdata);
	sb_reset(&st->r->vendordata);
	if (mrc < 0 || sb_append(&st->r->userdata, sb_str(&data[1]), data[1].len) < 0 ||
	    sb_append(&st->r->vendordata, sb_str(&data[2]), data[2].len) < 0)
		goto out;
	st->r->have_userdata = 1;
	st->r->have_vendordata = data[2].len > 0;
	add_found(st, seedfrom);
	rc = 1;
out:
	for (int i = 0; i < 3; i++)
		sb_free(&data[i]);
	return rc;
}

int ds_nocloud_find(const struct ds_opts *o, struct ds_result *r, struct strbuf *err)
{
	int root_is_slash = strcmp(o->root, "/") == 0;
	struct nc_state st = {0};
	st.r = r;
	st.d = ydoc_new();
	st.md = st.d ? ynode_new_map(st.d) : NULL;
	if (!st.md) {
		ydoc_free(st.d);
		return -1;
	}
	ydoc_set_root(st.d, st.md);
	int rc = -1;

	/* 1. SMBIOS serial, 2. the kernel command line */
	const char *dmi = o->dmi_serial_file ? o->dmi_serial_file
	                : root_is_slash     ? "/sys/class/dmi/id/product_serial" : NULL;
	const char *cmdline = o->cmdline_file ? o->cmdline_file : root_is_slash ? "/proc/cmdline" : NULL;
	if (read_cmdline_source(&st, dmi, "dmi") < 0 || read_cmdline_source(&st, cmdline, "cmdline") < 0)
		goto out;

	/* 3. seed directories */
	static const char *const dirs[2] = {"seed/nocloud", "seed/nocloud-net"};
	for (int i = 0; i < 2; i++) {
		char *dir = fs_join(o->state_dir, dirs[i]);
		struct ds_seed s;
		if (!dir || ds_seed_open_dir(&s, dir) < 0) {
			free(dir);
			goto out;
		}
		int lrc = load_seed(&st, &s, dir, err);
		ds_seed_close(&s);
		free(dir);
		if (lrc < 0)
			goto out;
		if (lrc > 0)
			break;
	}

	/* 6. a filesystem labelled cidata */
	static const char *const labels[] = {"cidata", "CIDATA", NULL};
	const char *sys = o->sys_block ? o->sys_block : root_is_slash ? "/sys/class/block" : NULL;
	struct blockdev_hit *hits = blockdev_find_label(sys, o->dev_dir, o->seed_devices, labels);
	if (!hits)
		goto out;
	for (size_t i = 0; hits[i].path; i++) {
		struct ds_seed s;
		if (ds_seed_open_dev(&s, hits[i].path, hits[i].type) < 0)
			break;
		int lrc = load_seed(&st, &s, hits[i].path, err);
		ds_seed_close(&s);
		if (lrc < 0) {
			blockdev_hits_free(hits);
			goto out;
		}
		if (lrc > 0)
			break;
	}
	blockdev_hits_free(hits);

	if (st.found.len == 0) {
		rc = 0;
		goto out;
	}
	const char *seedfrom = ymap_get_str(st.md, "seedfrom");
	if (seedfrom) {
		char *copy = strdup(seedfrom);
		int src = copy ? load_seedfrom(&st, o, copy, err) : -1;
		free(copy);
		if (src < 0)
			goto out;
		if (src == 0) {
			rc = 0;
			goto out;
		}
	}
	r->meta_doc = st.d;
	st.d = NULL;
	if (ds_fill_meta(r, "public-keys", "local-hostname") < 0)
		goto out;
	if (!r->meta.instance_id) {
		sb_printf(err, "NoCloud seed %s: meta-data has no instance-id", sb_str(&st.found));
		goto out;
	}
	const char *mode = ymap_get_str(ydoc_root(r->meta_doc), "dsmode");
	r->dsmode = strdup(mode ? mode : "net");
	r->meta.datasource = strdup("NoCloud");
	r->meta.seed = strdup(sb_str(&st.found));
	struct strbuf desc = STRBUF_INIT;
	sb_printf(&desc, "DataSourceNoCloud [seed=%s][dsmode=%s]", sb_str(&st.found),
	          mode ? mode : "net");
	r->description = sb_detach(&desc);
	if (!r->dsmode || !r->meta.datasource || !r->meta.seed || !r->description)
		goto out;
	rc = 1;
out:
	ydoc_free(st.d);
	sb_free(&st.found);
	return rc;
}

/* The ConfigDrive (OpenStack) datasource, v2 layout (cloud-init.md §5.2;
 * common/datasource.h). */
#include "datasource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "netcfg.h"

/* Newest first, then latest (openstack.py's OS_VERSIONS). */
static const char *const versions[] = {"2018-08-27", "2017-02-22", "2016-10-06", "2016-06-30",
                                       "2015-10-15", "2013-10-17", "2013-04-04", "2012-08-10",
                                       "latest", NULL};

static struct ydoc *parse_json(const struct strbuf *b, const char *where, const char *rel,
                               struct strbuf *err)
{
	struct yaml_error ye = {0};
	struct ydoc *d = json_parse(b->data ? b->data : "", b->len, &ye);
	if (!d) {
		sb_printf(err, "%s/%s: line %d column %d: %s", where, rel, ye.line, ye.col,
		          ye.message ? ye.message : "invalid JSON");
		yaml_error_free(&ye);
	}
	return d;
}

/* Reads one config drive. 1 used, 0 not a v2 config drive, -1 error. */
static int load_drive(const struct ds_seed *s, const char *where, const char *sysnet,
                      struct ds_result *r, struct strbuf *err)
{
	struct strbuf b = STRBUF_INIT;
	const char *ver = NULL;
	char rel[128];
	for (int i = 0; versions[i]; i++) {
		snprintf(rel, sizeof(rel), "openstack/%s/meta_data.json", versions[i]);
		sb_reset(&b);
		int rc = ds_seed_read(s, rel, &b, err);
		if (rc < 0) {
			sb_free(&b);
			return -1;
		}
		if (rc == 0) {
			ver = versions[i];
			break;
		}
	}
	if (!ver) {
		sb_free(&b);
		return 0;
	}
	r->meta_doc = parse_json(&b, where, rel, err);
	sb_free(&b);
	if (!r->meta_doc)
		return -1;
	struct ynode *md = ydoc_root(r->meta_doc);
	if (md->kind != Y_MAP) {
		sb_printf(err, "%s/%s: expected a JSON object", where, rel);
		return -1;
	}
	const struct ynode *uuid = ymap_get(md, "uuid");
	if (!ynode_str(uuid)) {
		sb_printf(err, "%s/%s: 'uuid' (the instance-id) is missing", where, rel);
		return -1;
	}
	/* cloud-init's metadata: instance-id = uuid, local-hostname = hostname */
	if (ymap_set(r->meta_doc, md, "instance-id", ynode_copy(r->meta_doc, uuid)) < 0 ||
	    ds_fill_meta(r, "public_keys", "hostname") < 0)
		return -1;

	snprintf(rel, sizeof(rel), "openstack/%s/user_data", ver);
	int rc = ds_seed_read(s, rel, &r->userdata, err);
	if (rc < 0)
		return -1;
	r->have_userdata = rc == 0;

	struct strbuf vd = STRBUF_INIT;
	snprintf(rel, sizeof(rel), "openstack/%s/vendor_data.json", ver);
	rc = ds_seed_read(s, rel, &vd, err);
	if (rc < 0) {
		sb_free(&vd);
		return -1;
	}
	if (rc == 0) { /* convert_vendordata: a string, or {"cloud-init": ...} */
		struct ydoc *vdoc = parse_json(&vd, where, rel, err);
		if (!vdoc) {
			sb_free(&vd);
			return -1;
		}
		const struct ynode *v = ydoc_root(vdoc);
		if (v->kind == Y_MAP)
			v = ymap_get(v, "cloud-init");
		if (ynode_str(v)) {
			sb_append(&r->vendordata, v->str, v->len);
			r->have_vendordata = 1;
		} else if (v && v->kind != Y_NULL) {
			log_msg(LOG_WRN, "egs.run", "%s/%s: vendor data is not a string; ignored", where, rel);
		}
		ydoc_free(vdoc);
	}
	sb_free(&vd);

	struct strbuf nd = STRBUF_INIT, e = STRBUF_INIT;
	snprintf(rel, sizeof(rel), "openstack/%s/network_data.json", ver);
	rc = ds_seed_read(s, rel, &nd, &e);
	if (rc == 0) { /* best effort: converted to network-config v1 */
		struct ydoc *nj = parse_json(&nd, where, rel, &e);
		char *file = nj ? fs_join(where, rel) : NULL;
		if (file)
			r->network_doc = netcfg_from_netjson(ydoc_root(nj), sysnet, file, &e);
		else if (nj)
			sb_puts(&e, "out of memory");
		free(file);
		ydoc_free(nj);
	}
	if (!r->network_doc && e.len)
		r->network_error = sb_detach(&e);
	sb_free(&e);
	sb_free(&nd);
	return 1;
}

static int find_drive(const struct ds_opts *o, const char *sysnet, struct ds_result *r,
                      struct strbuf *err)
{
	int root_is_slash = strcmp(o->root, "/") == 0;
	char *cand[2] = {fs_join(o->state_dir, "seed/config_drive"),
	                 root_is_slash ? strdup("/config-drive") : fs_join(o->root, "config-drive")};
	int rc = 0;
	char *where = NULL;
	for (int i = 0; i < 2 && rc == 0; i++) {
		struct ds_seed s;
		if (!cand[i] || ds_seed_open_dir(&s, cand[i]) < 0) {
			rc = -1;
			break;
		}
		rc = load_drive(&s, cand[i], sysnet, r, err);
		ds_seed_close(&s);
		if (rc > 0)
			where = strdup(cand[i]);
	}
	free(cand[0]);
	free(cand[1]);
	if (rc == 0) {
		static const char *const labels[] = {"config-2", "CONFIG-2", NULL};
		const char *sys = o->sys_block ? o->sys_block : root_is_slash ? "/sys/class/block" : NULL;
		struct blockdev_hit *hits = blockdev_find_label(sys, o->dev_dir, o->seed_devices, labels);
		if (!hits)
			return -1;
		for (size_t i = 0; hits[i].path && rc == 0; i++) {
			struct ds_seed s;
			if (ds_seed_open_dev(&s, hits[i].path, hits[i].type) < 0) {
				rc = -1;
				break;
			}
			rc = load_drive(&s, hits[i].path, sysnet, r, err);
			ds_seed_close(&s);
			if (rc > 0)
				where = strdup(hits[i].path);
		}
		blockdev_hits_free(hits);
	}
	if (rc <= 0) {
		free(where);
		return rc;
	}
	struct strbuf desc = STRBUF_INIT;
	sb_printf(&desc, "DataSourceConfigDrive [net,ver=2][source=%s]", where ? where : "?");
	r->description = sb_detach(&desc);
	r->meta.datasource = strdup("ConfigDrive");
	r->meta.seed = where;
	r->dsmode = strdup("net");
	if (!r->description || !r->meta.datasource || !r->meta.seed || !r->dsmode)
		return -1;
	return 1;
}

int ds_configdrive_find(const struct ds_opts *o, struct ds_result *r, struct strbuf *err)
{
	/* network_data.json's links name interfaces by MAC */
	char *sysnet = strcmp(o->root, "/") == 0 ? strdup("/sys/class/net")
	                                          : fs_join(o->root, "sys/class/net");
	int rc = sysnet ? find_drive(o, sysnet, r, err) : -1;
	free(sysnet);
	return rc;
}

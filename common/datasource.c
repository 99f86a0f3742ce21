/* Datasource search, the --user-data override and the helpers NoCloud
 * and ConfigDrive share (common/datasource.h). */
#include "datasource.h"
#include "random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdev.h"
#include "fsutil.h"
#include "log.h"
#include "strv.h"

/* ---- seeds --------------------------------------------------------------- */

int ds_seed_open_dir(struct ds_seed *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->dir = strdup(dir);
	return s->dir ? 0 : -1;
}

int ds_seed_open_dev(struct ds_seed *s, const char *dev, enum fsimage_type type)
{
	memset(s, 0, sizeof(*s));
	s->dev = strdup(dev);
	if (!s->dev)
		return -1;
	s->type = type;
	s->mnt = blockdev_mount_ro(dev, fsimage_type_name(type));
	if (s->mnt) {
		s->dir = strdup(s->mnt);
		if (!s->dir) {
			ds_seed_close(s);
			return -1;
		}
		log_msg(LOG_DBG, "egs.run", "mounted %s read-only on %s", dev, s->mnt);
	}
	return 0;
}

int ds_seed_read(const struct ds_seed *s, const char *rel, struct strbuf *out, struct strbuf *err)
{
	if (s->dir) {
		char *path = fs_join(s->dir, rel);
		if (!path)
			return -1;
		int rc = fs_read_file(path, out, DS_MAX_FILE);
		if (rc < 0 && (errno == ENOENT || errno == EISDIR || errno == ENOTDIR)) {
			free(path);
			return 1;
		}
		if (rc < 0 && err)
			sb_printf(err, "%s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	return fsimage_read(s->dev, s->type, rel, out, DS_MAX_FILE, err);
}

void ds_seed_close(struct ds_seed *s)
{
	if (s->mnt) {
		blockdev_umount(s->mnt);
		s->mnt = NULL;
	}
	free(s->dir);
	free(s->dev);
	memset(s, 0, sizeof(*s));
}

/* ---- cmdline ------------------------------------------------------------- */

static int token_matches(const char *cmdline, const char *id, const char **opts)
{
	size_t idl = strlen(id);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		const char *e = p;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if ((size_t)(e - p) >= idl && strncmp(p, id, idl) == 0 &&
		    (p + idl == e || p[idl] == ';')) {
			*opts = p + idl;
			return (int)(e - p - idl);
		}
		p = e;
	}
	return -1;
}

int ds_parse_cmdline(const char *cmdline, struct ydoc *d, struct ynode *md)
{
	static const char *const ids[2] = {"ds=nocloud", "ds=nocloud-net"};
	static const char *const modes[2] = {"local", "net"};
	for (int i = 0; i < 2; i++) {
		const char *opts;
		int len = token_matches(cmdline, ids[i], &opts);
		if (len < 0)
			continue;
		char *copy = strndup(opts, (size_t)len);
		if (!copy)
			return -1;
		for (char *save = NULL, *kv = strtok_r(copy, ";", &save); kv;
		     kv = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(kv, '=');
			if (!eq)
				continue;
			*eq = '\0';
			const char *k = kv;
			if (strcmp(k, "h") == 0)
				k = "local-hostname";
			else if (strcmp(k, "i") == 0)
				k = "instance-id";
			else if (strcmp(k, "s") == 0)
				k = "seedfrom";
			if (!ymap_get(md, k))
				ymap_set(d, md, k, ynode_new_str(d, eq + 1));
		}
		free(copy);
		if (!ymap_get(md, "dsmode"))
			ymap_set(d, md, "dsmode", ynode_new_str(d, modes[i]));
		return 1;
	}
	return 0;
}

/* ---- meta-data ----------------------------------------------------------- */

char **ds_normalize_pubkeys(const struct ynode *n)
{
	char **v = calloc(1, sizeof(*v));
	size_t count = 0;
	if (!v)
		return NULL;
	if (!n || !ynode_truthy(n))
		return v;
	if (n->kind == Y_STR) {
		const char *p = n->str;
		while (*p) {
			size_t l = strcspn(p, "\r\n");
			if (strv_pushn(&v, &count, p, l) < 0)
				break;
			p += l;
			if (*p == '\r' && p[1] == '\n')
				p++;
			if (*p)
				p++;
		}
	} else if (n->kind == Y_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (ynode_str(n->items[i]))
				strv_push(&v, &count, ynode_str(n->items[i]));
	} else if (n->kind == Y_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			const struct ynode *kl = ymap_value(n, i);
			if (kl && kl->kind == Y_STR) {
				if (kl->str[0])
					strv_push(&v, &count, kl->str);
			} else if (kl && kl->kind == Y_SEQ) {
				for (size_t j = 0; j < kl->n; j++)
					if (ynode_str(kl->items[j]) && ynode_str(kl->items[j])[0])
						strv_push(&v, &count, ynode_str(kl->items[j]));
			}
		}
	}
	return v;
}

/* A scalar's text (str, int, ...) or NULL: instance-ids may be numbers. */
static const char *scalar_text(const struct ynode *n)
{
	if (!n || n->kind == Y_SEQ || n->kind == Y_MAP || n->kind == Y_NULL)
		return NULL;
	return n->kind == Y_STR ? n->str : n->text;
}

int ds_fill_meta(struct ds_result *r, const char *pubkeys_key, const char *hostname_key)
{
	const struct ynode *md = ydoc_root(r->meta_doc);
	const char *iid = scalar_text(ymap_get(md, "instance-id"));
	const char *host = scalar_text(ymap_get(md, hostname_key));
	if (!host)
		host = scalar_text(ymap_get(md, "hostname"));
	free(r->meta.instance_id);
	free(r->meta.local_hostname);
	r->meta.instance_id = iid ? strdup(iid) : NULL;
	r->meta.local_hostname = host ? strdup(host) : NULL;
	if (r->meta.public_keys) {
		for (size_t i = 0; r->meta.public_keys[i]; i++)
			free(r->meta.public_keys[i]);
		free(r->meta.public_keys);
	}
	r->meta.public_keys = ds_normalize_pubkeys(ymap_get(md, pubkeys_key));
	if ((iid && !r->meta.instance_id) || (host && !r->meta.local_hostname) ||
	    !r->meta.public_keys)
		return -1;
	return 0;
}

/* ---- the override and the search ------------------------------------------ */

static int find_override(const struct ds_opts *o, struct ds_result *r, struct strbuf *err)
{
	char idbuf[64];
	const char *iid = o->instance_id;
	if (!iid) {
		unsigned char rnd[4];
		if (random_bytes(rnd, sizeof(rnd)) < 0) {
			sb_printf(err, "getrandom: %s", strerror(errno));
			return -1;
		}
		snprintf(idbuf, sizeof(idbuf), "cli-override-%02x%02x%02x%02x", rnd[0], rnd[1],
		         rnd[2], rnd[3]);
		iid = idbuf;
	}
	if (o->user_data_path) {
		if (fs_read_file(o->user_data_path, &r->userdata, DS_MAX_FILE) < 0) {
			sb_printf(err, "--user-data %s: %s", o->user_data_path, strerror(errno));
			return -1;
		}
		r->have_userdata = 1;
	}
	r->meta_doc = ydoc_new();
	struct ynode *md = r->meta_doc ? ynode_new_map(r->meta_doc) : NULL;
	if (!md)
		return -1;
	ydoc_set_root(r->meta_doc, md);
	ymap_set(r->meta_doc, md, "instance-id", ynode_new_str(r->meta_doc, iid));
	struct strbuf desc = STRBUF_INIT;
	sb_printf(&desc, "DataSourceNone [override=%s]",
	          o->user_data_path ? o->user_data_path : "(none)");
	r->description = sb_detach(&desc);
	r->meta.datasource = strdup("None");
	r->meta.seed = strdup(o->user_data_path ? o->user_data_path : "cli");
	r->dsmode = strdup("local");
	if (!r->description || !r->meta.datasource || !r->meta.seed || !r->dsmode ||
	    ds_fill_meta(r, "public-keys", "local-hostname") < 0)
		return -1;
	return 1;
}

int ds_find(const struct ds_opts *o, struct ds_result *r, struct strbuf *err)
{
	memset(r, 0, sizeof(*r));
	if (o->user_data_path || o->instance_id)
		return find_override(o, r, err);
	int rc = 0;
	if (!o->only || strcmp(o->only, "NoCloud") == 0)
		rc = ds_nocloud_find(o, r, err);
	if (rc == 0 && (!o->only || strcmp(o->only, "ConfigDrive") == 0)) {
		ds_result_free(r);
		memset(r, 0, sizeof(*r));
		rc = ds_configdrive_find(o, r, err);
	}
	return rc;
}

void ds_result_free(struct ds_result *r)
{
	free(r->meta.instance_id);
	free(r->meta.local_hostname);
	if (r->meta.public_keys) {
		for (size_t i = 0; r->meta.public_keys[i]; i++)
			free(r->meta.public_keys[i]);
		free(r->meta.public_keys);
	}
	free(r->meta.datasource);
	free(r->meta.seed);
	free(r->description);
	free(r->dsmode);
	sb_free(&r->userdata);
	sb_free(&r->vendordata);
	ydoc_free(r->meta_doc);
	ydoc_free(r->network_doc);
	free(r->network_error);
	memset(r, 0, sizeof(*r));
}

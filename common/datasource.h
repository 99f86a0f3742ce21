/* Datasources for egs run: where the instance's meta-data and user-data
 * come from (cloud-init.md §5, egs-compat §13.3). Every source is read
 * only; a seed is never modified.
 *
 * Search order (ds_find):
 *   1. the --user-data/--instance-id override (egs-compat §12);
 *   2. NoCloud (common/ds_nocloud.c): SMBIOS serial and kernel command
 *      line "ds=nocloud[-net][;h=..;i=..;s=..]", seed dirs
 *      STATE/seed/nocloud and nocloud-net, the seedfrom location, a
 *      filesystem labelled cidata/CIDATA (ISO9660 or vfat);
 *   3. ConfigDrive (common/ds_configdrive.c): STATE/seed/config_drive,
 *      /config-drive, a filesystem labelled config-2/CONFIG-2.
 * Paths of the guest (seed dirs, seedfrom file://) are taken under root;
 * the kernel command line, SMBIOS and block devices belong to the running
 * machine and are only looked at when root is "/" (or when a test names
 * them explicitly: cmdline_file, dmi_serial_file, seed_devices). */
#ifndef EGS_DATASOURCE_H
#define EGS_DATASOURCE_H

#include <stddef.h>

#include "fsimage.h"
#include "prov.h"
#include "strbuf.h"
#include "yaml.h"

struct ds_opts {
	const char *root;              /* "/" or the --root directory */
	const char *state_dir;         /* /var/lib/cloud, already under root */
	const char *cmdline_file;      /* kernel command line; NULL: /proc/cmdline when root is "/" */
	const char *dmi_serial_file;   /* NULL: /sys/class/dmi/id/product_serial when root is "/" */
	const char *sys_block;         /* NULL: /sys/class/block when root is "/"; "": no scan */
	const char *dev_dir;           /* NULL: /dev */
	const char *const *seed_devices; /* extra devices or image files to probe (NULL-terminated) */
	const char *user_data_path;    /* override: the user-data file (raw bytes) */
	const char *instance_id;       /* override: the instance-id (default cli-override-<8 hex>) */
	const char *only;              /* "NoCloud", "ConfigDrive" or NULL for all */
};

/* What a datasource found. Strings are malloc'd and owned here. */
struct ds_result {
	struct prov_meta meta;      /* instance_id, local_hostname, public_keys, datasource, seed */
	char *description;          /* str(datasource) as cloud-init writes it in status.json,
	                             * e.g. "DataSourceNoCloud [seed=/dev/sr0][dsmode=net]" */
	char *dsmode;               /* "local" or "net" */
	struct strbuf userdata;     /* raw user-data (may be empty) */
	struct strbuf vendordata;   /* raw vendor-data (may be empty) */
	int have_userdata, have_vendordata;
	struct ydoc *meta_doc;      /* the merged meta-data (a map) */
	struct ydoc *network_doc;   /* network-config (NoCloud; ConfigDrive: network_data.json
	                             * converted to v1), or NULL */
	char *network_error;        /* ConfigDrive: why network_data.json is unusable (the
	                             * rest of the datasource still is), or NULL */
};

/* Looks for a datasource. Returns 1 and fills r when one was found; 0 when
 * none applies; -1 when one applies but its data is unusable (a message
 * naming the file and key in err). Free r with ds_result_free either way. */
int ds_find(const struct ds_opts *o, struct ds_result *r, struct strbuf *err);
void ds_result_free(struct ds_result *r);

/* ---- shared by the datasource implementations ---------------------------- */

/* Where a seed's files are: a directory (seed dir, mount point) or a
 * filesystem image read in-process. */
struct ds_seed {
	char *dir;              /* directory, or NULL */
	char *dev;              /* device/image path, or NULL */
	enum fsimage_type type; /* for dev */
	char *mnt;              /* our temporary mount point (unmounted by close) */
};

/* A seed on dev: mounted read-only when dev is a block device and mount
 * works, else read in-process. Returns 0 or -1 (ENOMEM). */
int ds_seed_open_dev(struct ds_seed *s, const char *dev, enum fsimage_type type);
/* A seed directory (copied). Returns 0 or -1 (ENOMEM). */
int ds_seed_open_dir(struct ds_seed *s, const char *dir);
/* Reads rel into out: 0, 1 when absent, -1 on error (err filled). */
int ds_seed_read(const struct ds_seed *s, const char *rel, struct strbuf *out,
                 struct strbuf *err);
void ds_seed_close(struct ds_seed *s);

/* "ds=nocloud;..." parsing of a kernel command line or SMBIOS serial into
 * the map md (h= local-hostname, i= instance-id, s= seedfrom, other k=v
 * as is; dsmode local for ds=nocloud, net for ds=nocloud-net unless given).
 * Keys already in md are kept. Returns 1 when the token was there. */
int ds_parse_cmdline(const char *cmdline, struct ydoc *d, struct ynode *md);

/* sources.normalize_pubkey_data: a string (split into lines), a list, or
 * a map of strings/lists, as a NULL-terminated malloc'd array. */
char **ds_normalize_pubkeys(const struct ynode *n);

/* Fills r->meta from r->meta_doc (instance-id, local-hostname / hostname,
 * public-keys). Returns 0 or -1 (ENOMEM). */
int ds_fill_meta(struct ds_result *r, const char *pubkeys_key, const char *hostname_key);

/* The implementations: 1 found, 0 not, -1 error (as ds_find). */
int ds_nocloud_find(const struct ds_opts *o, struct ds_result *r, struct strbuf *err);
int ds_configdrive_find(const struct ds_opts *o, struct ds_result *r, struct strbuf *err);

/* Maximum size of any seed file. */
#define DS_MAX_FILE (16u << 20)

#endif

/* Assembling the cloud-config the modules see (cloud-init.md §2.2, §3.3-§3.5):
 * user-data and vendor-data go through common/userdata (gzip, MIME,
 * #include); their cloud-config parts are merged by common/yaml_merge
 * (default dict(replace)+list()+str(), or the part's merge_how /
 * Merge-Type);
 * script parts are stored for scripts-user/-vendor/-per-*; boothooks are
 * stored and run. The module config is then
 *   user-data  >  vendor-data  >  system config (ROOT/etc/cloud/cloud.cfg,
 *   cloud.cfg.d/NAME.cfg, later files win)
 * merged with cloud-init's default mergemanydict (dict no_replace: a key
 * already present keeps its value, nested maps merge recursively). */
#ifndef EGS_PROV_CONFIG_H
#define EGS_PROV_CONFIG_H

#include "datasource.h"
#include "prov.h"
#include "strbuf.h"
#include "yaml.h"

/* The result of processing user-data / vendor-data. */
struct prov_config {
	struct ydoc *doc;        /* owns everything */
	struct ynode *cfg;       /* the merged module config (a map) */
	int userdata_failed;     /* user-data processing failed (error recorded) */
};

/* Builds the config for ctx (ctx->root, ctx->state_dir, ctx->instance_dir,
 * ctx->dry_run are used). With consume (the network stage's consume_data,
 * per instance), user-data.txt, vendor-data.txt, cloud-config.txt,
 * vendor-cloud-config.txt and the script parts are written and boothooks
 * run; without it the stored instance files are not touched. Errors in
 * user-data are appended to errors (one line each) and processing goes
 * on with what could be read. Returns 0 or -1 (ENOMEM / a system config
 * that cannot be read, with err). */
int prov_config_build(struct prov_ctx *ctx, const struct ds_result *ds, int consume,
                      struct prov_config *out, struct strbuf *errors, struct strbuf *err);
void prov_config_free(struct prov_config *c);

/* cloud-init's util.clean_filename: "/" -> "_", drop everything outside
 * [A-Za-z0-9_.()-]. malloc'd. */
char *prov_clean_filename(const char *name);

#endif

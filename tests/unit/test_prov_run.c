/* The provisioning runner with its own module table: activation keys,
 * frequencies across simulated boots and instance-id changes, failures
 * in status.json, reboot requests, power_state after the final stage
 * (only logged under --root), ISO9660 seeds read without mounting. */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasource.h"
#include "fsutil.h"
#include "log.h"
#include "prov_egsstate.h"
#include "prov_run.h"
#include "prov_state.h"

static int n_always, n_inst, n_once, n_inactive, n_fail, n_reboot;
static int do_reboot;

static int m_always(struct prov_ctx *c, struct strbuf *e) { (void)c; (void)e; n_always++; return 0; }
static int m_inst(struct prov_ctx *c, struct strbuf *e) { (void)c; (void)e; n_inst++; return 0; }
static int m_once(struct prov_ctx *c, struct strbuf *e) { (void)c; (void)e; n_once++; return 0; }
static int m_inactive(struct prov_ctx *c, struct strbuf *e) { (void)c; (void)e; n_inactive++; return 0; }
static int m_fail(struct prov_ctx *c, struct strbuf *e)
{
	(void)c;
	n_fail++;
	sb_puts(e, "it's broken");
	return -1;
}
static int m_reboot(struct prov_ctx *c, struct strbuf *e)
{
	(void)e;
	n_reboot++;
	c->reboot_requested = do_reboot;
	return 0;
}

static const char *const keys_runcmd[] = {"runcmd", NULL};
static const char *const keys_absent[] = {"no_such_key", NULL};
static const struct prov_module M1 = {"t-always", STAGE_NETWORK, FREQ_ALWAYS, NULL, m_always};
static const struct prov_module M2 = {"t-inst", STAGE_CONFIG, FREQ_INSTANCE, keys_runcmd, m_inst};
static const struct prov_module M3 = {"t-once", STAGE_FINAL, FREQ_ONCE, NULL, m_once};
static const struct prov_module M4 = {"t-inactive", STAGE_CONFIG, FREQ_INSTANCE, keys_absent, m_inactive};
static const struct prov_module M5 = {"t-fail", STAGE_FINAL, FREQ_INSTANCE, NULL, m_fail};
static const struct prov_module M6 = {"t-reboot", STAGE_FINAL, FREQ_INSTANCE, NULL, m_reboot};
static const struct prov_module *const table[] = {&M1, &M2, &M3, &M4, &M5, &M6};
extern const struct prov_module mod_power_state;
static const struct prov_module *const power_table[] = {&M1, &mod_power_state};
static const struct prov_module *const *modules = table;
static size_t nmodules = sizeof(table) / sizeof(table[0]);

static char tmp[64];

static void put(const char *rel, const char *text)
{
	char *p = fs_join(tmp, rel);
	char *d = strdup(p);
	*strrchr(d, '/') = '\0';
	fs_mkdir_p(d, 0755);
	fs_write_atomic(p, text, strlen(text), 0644);
	free(p);
	free(d);
}

static int exists(const char *rel)
{
	char *p = fs_join(tmp, rel);
	int rc = access(p, F_OK) == 0;
	free(p);
	return rc;
}

/* The original's state.json record as JSON, with lastUpdated/startedAt
 * blanked (they are clock times), into out. */
static void egs_record(const struct prov_paths *p, struct strbuf *out)
{
	struct egs_state s;
	sb_reset(out);
	if (egs_state_load(p, &s, out) != 0) {
		sb_puts(out, " (load failed)");
		egs_state_free(&s);
		return;
	}
	snprintf(s.started_at, sizeof(s.started_at), "%s", strcmp(s.started_at, EGS_STATE_NEVER) ? "T" : "never");
	snprintf(s.last_updated, sizeof(s.last_updated), "%s", strcmp(s.last_updated, EGS_STATE_NEVER) ? "T" : "never");
	egs_state_json(&s, out);
	egs_state_free(&s);
}

static int boot(const char *boot_id, struct strbuf *msg)
{
	put("bootid", boot_id);
	char *root = fs_join(tmp, "root"), *bid = fs_join(tmp, "bootid");
	struct prov_run_opts o;
	memset(&o, 0, sizeof(o));
	o.root = root;
	o.stage = -1;
	o.kvp_dir = "";
	o.boot_id_file = bid;
	o.modules = modules;
	o.nmodules = nmodules;
	o.quiet = 1;
	sb_reset(msg);
	int rc = prov_run_stages(&o, msg);
	free(root);
	free(bid);
	return rc;
}

int main(void)
{
	log_open(NULL, 1, LOG_FTL);
	snprintf(tmp, sizeof(tmp), "/tmp/egs-prov-run.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	struct strbuf msg = STRBUF_INIT;

	t_group("no datasource");
	CHECK_INT(boot("b0", &msg), 0);
	CHECK_STR(sb_str(&msg), "No data source available; nothing to provision.");

	t_group("first boot");
	put("root/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-1\n");
	put("root/var/lib/cloud/seed/nocloud/user-data", "#cloud-config\nruncmd: [ls]\n");
	CHECK_INT(boot("b1", &msg), 1); /* t-fail fails */
	CHECK_INT(n_always, 1);
	CHECK_INT(n_inst, 1);
	CHECK_INT(n_once, 1);
	CHECK_INT(n_inactive, 0);
	CHECK_INT(n_fail, 1);
	CHECK(exists("root/var/lib/cloud/instances/i-1/sem/config_t_inst"));
	CHECK(exists("root/var/lib/cloud/instances/i-1/sem/config_t_fail")); /* clear_on_fail=False */
	CHECK(exists("root/var/lib/cloud/sem/config_t_once.once"));
	CHECK(!exists("root/var/lib/cloud/instances/i-1/sem/config_t_inactive"));
	CHECK(!exists("root/var/lib/cloud/instances/i-1/sem/config_t_always"));
	CHECK(exists("root/var/lib/cloud/instances/i-1/boot-finished"));
	struct prov_paths p;
	char *root = fs_join(tmp, "root");
	prov_paths_init(&p, root, NULL, NULL);
	struct prov_status st;
	CHECK_INT(prov_status_load(&p, &st, NULL), 0);
	CHECK_INT(st.st[4].nerrors, 1);
	if (st.st[4].nerrors)
		CHECK_STR(st.st[4].errors[0], "('t-fail', RuntimeError(\"it's broken\"))");
	CHECK(st.datasource && strncmp(st.datasource, "DataSourceNoCloud [seed=", 24) == 0);
	prov_status_free(&st);
	struct strbuf rec = STRBUF_INIT;
	egs_record(&p, &rec);
	CHECK_STR(sb_str(&rec), "{\n  \"instanceId\": \"i-1\",\n"
	          "  \"completedStages\": [\n    \"Local\",\n    \"Network\",\n    \"Config\",\n    \"Final\"\n  ],\n"
	          "  \"completedHandlers\": [\n    \"t_always\",\n    \"t_inst\",\n    \"t_once\",\n"
	          "    \"t_fail\",\n    \"t_reboot\"\n  ],\n"
	          "  \"pendingHandlers\": [],\n  \"moduleRebootCounts\": {},\n  \"rebootCount\": 0,\n"
	          "  \"startedAt\": \"T\",\n  \"lastUpdated\": \"T\"\n}\n");

	t_group("second boot, same instance");
	char *rec_path = fs_join(tmp, "root/var/lib/cloud/data/egs-state.json");
	CHECK(unlink(rec_path) == 0); /* a record younger than the semaphores */
	free(rec_path);
	CHECK_INT(boot("b2", &msg), 0);
	egs_record(&p, &rec);
	CHECK(strstr(sb_str(&rec), "\"completedHandlers\": [\n    \"t_always\",\n    \"t_inst\",\n"
	                           "    \"t_once\",\n    \"t_fail\",\n    \"t_reboot\"\n  ]") != NULL);
	CHECK_INT(n_always, 2);
	CHECK_INT(n_inst, 1);
	CHECK_INT(n_once, 1);
	CHECK_INT(n_fail, 1);

	t_group("new instance-id");
	put("root/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-2\n");
	boot("b3", &msg);
	CHECK_INT(n_always, 3);
	CHECK_INT(n_inst, 2);
	CHECK_INT(n_once, 1);
	CHECK_INT(n_fail, 2);
	struct strbuf b = STRBUF_INIT;
	char *prev = fs_join(tmp, "root/var/lib/cloud/data/previous-instance-id");
	fs_read_file(prev, &b, 100);
	CHECK_STR(sb_str(&b), "i-1\n");
	free(prev);
	sb_free(&b);

	t_group("reboot request");
	put("root/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-3\n");
	do_reboot = 1;
	CHECK_INT(boot("b4", &msg), 0);
	CHECK(strstr(sb_str(&msg), "Reboot requested: t-reboot") != NULL);
	CHECK(!exists("root/var/lib/cloud/instances/i-3/sem/config_t_reboot"));
	CHECK(!exists("root/var/lib/cloud/instances/i-3/boot-finished"));
	egs_record(&p, &rec);
	CHECK(strstr(sb_str(&rec), "\"instanceId\": \"i-3\"") != NULL);
	CHECK(strstr(sb_str(&rec), "\"Config\"\n  ],") != NULL); /* Final stopped by the reboot */
	CHECK(strstr(sb_str(&rec), "\"pendingHandlers\": [\n    \"t_reboot\"\n  ]") != NULL);
	CHECK(strstr(sb_str(&rec), "\"moduleRebootCounts\": {\n    \"t_reboot\": 1\n  }") != NULL);
	CHECK(strstr(sb_str(&rec), "\"rebootCount\": 1,") != NULL);
	CHECK_INT(boot("b4b", &msg), 0); /* asks again after the reboot */
	egs_record(&p, &rec);
	CHECK(strstr(sb_str(&rec), "\"t_reboot\": 2") != NULL);
	CHECK(strstr(sb_str(&rec), "\"rebootCount\": 2,") != NULL);
	do_reboot = 0;
	int before = n_reboot;
	boot("b5", &msg);
	CHECK_INT(n_reboot, before + 1);
	CHECK(exists("root/var/lib/cloud/instances/i-3/sem/config_t_reboot"));
	egs_record(&p, &rec);
	CHECK(strstr(sb_str(&rec), "\"pendingHandlers\": [],") != NULL);
	CHECK(strstr(sb_str(&rec), "\"t_reboot\"\n  ],\n  \"pendingHandlers\"") != NULL); /* completed */
	CHECK(strstr(sb_str(&rec), "\"Final\"\n  ],") != NULL);
	CHECK(strstr(sb_str(&rec), "\"rebootCount\": 2,") != NULL); /* kept for the instance */

	t_group("power_state after the final stage (--root: only logged)");
	modules = power_table;
	nmodules = 2;
	put("root/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-4\n");
	put("root/var/lib/cloud/seed/nocloud/user-data",
	    "#cloud-config\npower_state: {mode: poweroff, delay: '+1', message: egs-bye}\n");
	CHECK_INT(boot("b6", &msg), 0);
	CHECK_STR(sb_str(&msg), "Provisioning completed. Would power off in 60 s (not performed: --root).");
	CHECK(exists("root/var/lib/cloud/instances/i-4/boot-finished"));
	CHECK(exists("root/var/lib/cloud/instances/i-4/sem/config_power_state_change"));
	egs_record(&p, &rec);
	CHECK(strstr(sb_str(&rec), "\"rebootCount\": 0,") != NULL); /* a new instance starts over */
	CHECK(strstr(sb_str(&rec), "\"moduleRebootCounts\": {},") != NULL);
	CHECK_INT(boot("b7", &msg), 0); /* per instance: not again */
	CHECK_STR(sb_str(&msg), "Provisioning completed.");
	put("root/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-5\n");
	put("root/var/lib/cloud/seed/nocloud/user-data", "#cloud-config\npower_state: {mode: sleep}\n");
	CHECK_INT(boot("b8", &msg), 1);
	CHECK(strstr(sb_str(&msg), "Provisioning failed: 1 error(s)") != NULL);
	CHECK(strstr(sb_str(&msg), "Would") == NULL);
	modules = table;
	nmodules = sizeof(table) / sizeof(table[0]);

	t_group("the original's state.json: default record, bad file");
	struct prov_paths none;
	char *nroot = fs_join(tmp, "nothing");
	prov_paths_init(&none, nroot, NULL, NULL);
	egs_record(&none, &rec);
	CHECK_STR(sb_str(&rec), " (load failed)"); /* missing: 1 */
	struct egs_state es;
	CHECK_INT(egs_state_load(&none, &es, NULL), 1);
	sb_reset(&rec);
	egs_state_json(&es, &rec);
	CHECK_STR(sb_str(&rec), "{\n  \"instanceId\": \"\",\n  \"completedStages\": [],\n"
	          "  \"completedHandlers\": [],\n  \"pendingHandlers\": [],\n  \"moduleRebootCounts\": {},\n"
	          "  \"rebootCount\": 0,\n  \"startedAt\": \"0001-01-01T00:00:00+00:00\",\n"
	          "  \"lastUpdated\": \"0001-01-01T00:00:00+00:00\"\n}\n");
	egs_state_free(&es);
	put("nothing/var/lib/cloud/data/egs-state.json", "[1, 2]\n");
	sb_reset(&rec);
	CHECK_INT(egs_state_load(&none, &es, &rec), -1);
	CHECK(strstr(sb_str(&rec), "egs-state.json: not a JSON object") != NULL);
	egs_state_free(&es);
	put("nothing/var/lib/cloud/data/egs-state.json", "{\"instanceId\": \"x\", \"completedStages\": [\"Final\", 3],"
	    " \"moduleRebootCounts\": {\"a\": -1, \"b\": 2}, \"startedAt\": 5}\n");
	CHECK_INT(egs_state_load(&none, &es, NULL), 0); /* mistyped fields are ignored */
	CHECK_STR(es.instance_id, "x");
	CHECK_INT(es.stages, 1u << STAGE_FINAL);
	CHECK_INT(egs_state_reboot_total(&es), 2);
	CHECK_STR(es.started_at, EGS_STATE_NEVER);
	egs_state_free(&es);
	prov_paths_free(&none);
	free(nroot);
	sb_free(&rec);

	t_group("cmdline parsing");
	struct ydoc *d = ydoc_new();
	struct ynode *md = ynode_new_map(d);
	CHECK_INT(ds_parse_cmdline("ro ds=nocloud;s=file:///seed/;h=hh;i=ii quiet", d, md), 1);
	CHECK_STR(ymap_get_str(md, "seedfrom"), "file:///seed/");
	CHECK_STR(ymap_get_str(md, "local-hostname"), "hh");
	CHECK_STR(ymap_get_str(md, "instance-id"), "ii");
	CHECK_STR(ymap_get_str(md, "dsmode"), "local");
	struct ynode *md2 = ynode_new_map(d);
	CHECK_INT(ds_parse_cmdline("ds=nocloudx", d, md2), 0);
	ydoc_free(d);

	t_group("public keys");
	struct yaml_error ye = {0};
	const char *y = "a: \"k1\\nk2\"\nb: [k3, k4]\nc: {x: [k5, ''], y: k6}\n";
	struct ydoc *kd = yaml_load(y, strlen(y), "t", &ye);
	char **k = ds_normalize_pubkeys(ymap_get(ydoc_root(kd), "a"));
	CHECK_STR(k[0], "k1");
	CHECK_STR(k[1], "k2");
	CHECK(k[2] == NULL);
	for (int i = 0; k[i]; i++) free(k[i]);
	free(k);
	k = ds_normalize_pubkeys(ymap_get(ydoc_root(kd), "c"));
	CHECK_STR(k[0], "k5");
	CHECK_STR(k[1], "k6");
	CHECK(k[2] == NULL);
	for (int i = 0; k[i]; i++) free(k[i]);
	free(k);
	ydoc_free(kd);

	prov_paths_free(&p);
	free(root);
	sb_free(&msg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}

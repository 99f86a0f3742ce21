/* The provisioning runner (common/prov_run.h). */
#include "prov_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "kvp.h"
#include "kvp_events.h"
#include "log.h"
#include "netcfg.h"
#include "prov_config.h"
#include "prov_egsstate.h"
#include "prov_power.h"
#include "prov_state.h"
#include "pyrepr.h"

static const char *const event_stage[4] = {"init-local", "init-network", "modules-config",
                                           "modules-final"};

struct runner {
	const struct prov_run_opts *o;
	struct prov_paths paths;
	struct prov_ctx ctx;
	struct ds_result ds;
	struct prov_config cfg;
	int have_cfg;
	struct prov_status status;
	struct egs_state egs;    /* the original's state.json (prov_egsstate.h) */
	char *instance_dir;
	char *kvp_dir;           /* NULL: no KVP */
	long long incarnation;
	int swept;
	int reboot;              /* a module asked for a reboot */
	const char *reboot_module;
	size_t nerrors;
};

static double now_f(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- KVP ------------------------------------------------------------------- */

static void kvp_state(struct runner *r, const char *value)
{
	if (!r->kvp_dir || r->o->dry_run)
		return;
	struct kvp_change c = {"eryph.provisioning.state", value};
	struct strbuf err = STRBUF_INIT;
	if (kvp_update(r->kvp_dir, KVP_POOL_GUEST, &c, 1, 0, &err) < 0 && errno != ENOENT)
		log_msg(LOG_WRN, "egs.run", "KVP: %s", sb_str(&err));
	sb_free(&err);
}

static void kvp_event(struct runner *r, const char *type, const char *name, const char *result,
                      const char *msg)
{
	if (!r->kvp_dir || r->o->dry_run)
		return;
	struct kvp_event ev = {type, name, result, msg, 0, 0, NULL};
	kvp_event_now(&ev);
	struct strbuf err = STRBUF_INIT;
	if (kvp_event_publish(r->kvp_dir, KVP_POOL_GUEST, &ev, r->incarnation, KVP_TS_Z, !r->swept,
	                      &err) < 0) {
		if (errno == ENOENT)
			r->kvp_dir = NULL; /* not Hyper-V: stop trying */
		else
			log_msg(LOG_WRN, "egs.run", "KVP event: %s", sb_str(&err));
	} else {
		r->swept = 1;
	}
	sb_free(&err);
}

/* ---- status.json ------------------------------------------------------------ */

static void save_status(struct runner *r)
{
	if (r->o->dry_run)
		return;
	if (prov_status_save(&r->paths, &r->status) < 0)
		log_msg(LOG_WRN, "egs.run", "cannot write %s/data/status.json: %s", r->paths.state,
		        strerror(errno));
}

static void save_egs_state(struct runner *r)
{
	if (r->o->dry_run)
		return;
	if (egs_state_save(&r->paths, &r->egs) < 0)
		log_msg(LOG_WRN, "egs.run", "cannot write %s/%s: %s", r->paths.state, EGS_STATE_FILE,
		        strerror(errno));
}

static void stage_error(struct runner *r, enum prov_stage s, const char *msg)
{
	prov_status_add_error(&r->status, prov_status_index(s), msg);
	r->nerrors++;
	log_msg(LOG_ERR, "egs.run", "%s", msg);
}

/* ---- modules ----------------------------------------------------------------- */

static int module_active(const struct prov_module *m, const struct ynode *cfg)
{
	if (!m->activate_keys || !m->activate_keys[0])
		return 1;
	for (size_t i = 0; m->activate_keys[i]; i++)
		if (ymap_get(cfg, m->activate_keys[i]))
			return 1;
	return 0;
}

static const char *freq_name(enum prov_freq f)
{
	return f == FREQ_ALWAYS ? "always" : f == FREQ_ONCE ? "once" : "once-per-instance";
}

/* The module's semaphore (none for FREQ_ALWAYS): written whether the
 * module succeeded or failed, as cloud-init keeps it (no retry). */
static void write_sem(const char *sem)
{
	if (sem && prov_sem_write(sem) < 0)
		log_msg(LOG_WRN, "egs.run", "cannot write semaphore %s: %s", sem, strerror(errno));
}

static void run_module(struct runner *r, const struct prov_module *m, enum prov_stage s)
{
	if (!module_active(m, r->ctx.cfg)) {
		log_msg(LOG_DBG, "egs.run", "Skipping modules '%s' because no applicable config is provided.",
		        m->name);
		return;
	}
	char *sem = NULL;
	if (prov_sem_path(&r->paths, r->instance_dir, m->name, m->freq, &sem) < 0)
		return;
	if (prov_sem_has(sem)) {
		log_msg(LOG_DBG, "egs.run", "config-%s already ran (freq=%s)", m->name, freq_name(m->freq));
		/* completed, even when the record was started after the semaphore */
		if (egs_state_module_done(&r->egs, m->name) < 0)
			log_msg(LOG_WRN, "egs.run", "%s: out of memory", EGS_STATE_FILE);
		free(sem);
		return;
	}
	struct strbuf name = STRBUF_INIT, msg = STRBUF_INIT, err = STRBUF_INIT;
	sb_printf(&name, "%s/config-%s", event_stage[s], m->name);
	sb_printf(&msg, "running config-%s with frequency %s", m->name, freq_name(m->freq));
	kvp_event(r, "start", sb_str(&name), NULL, sb_str(&msg));
	if (r->o->dry_run)
		printf("dry-run: module %s (%s)\n", m->name, freq_name(m->freq));
	else if (m->sem_first)
		write_sem(sem);
	log_msg(LOG_INF, "egs.run", "Running module %s", m->name);
	r->ctx.stage = s;
	r->ctx.reboot_requested = 0;
	int rc = m->run(&r->ctx, &err);
	if (rc < 0) {
		/* str((name, exc)) as cloud-init records it */
		struct strbuf e = STRBUF_INIT;
		sb_puts(&e, "(");
		py_repr_str(&e, m->name, strlen(m->name));
		sb_puts(&e, ", RuntimeError(");
		const char *why = err.len ? sb_str(&err) : "failed";
		py_repr_str(&e, why, strlen(why));
		sb_puts(&e, "))");
		stage_error(r, s, sb_str(&e));
		kvp_event(r, "finish", sb_str(&name), "FAIL", why);
		sb_free(&e);
	} else {
		kvp_event(r, "finish", sb_str(&name), "SUCCESS", sb_str(&msg));
	}
	if (!m->sem_first && !r->o->dry_run)
		write_sem(sem);
	if ((r->ctx.reboot_requested ? egs_state_module_reboot(&r->egs, m->name)
	                             : egs_state_module_done(&r->egs, m->name)) < 0)
		log_msg(LOG_WRN, "egs.run", "%s: out of memory", EGS_STATE_FILE);
	if (r->ctx.reboot_requested) {
		r->reboot = 1;
		r->reboot_module = m->name;
		if (sem && !r->o->dry_run)
			unlink(sem); /* run again after the reboot; the module tracks its entries */
	}
	free(sem);
	sb_free(&name);
	sb_free(&msg);
	sb_free(&err);
}

static void run_modules(struct runner *r, enum prov_stage s)
{
	const struct prov_module *const *mods = r->o->modules ? r->o->modules : prov_modules;
	size_t n = r->o->modules ? r->o->nmodules : prov_module_count;
	for (size_t i = 0; i < n && !r->reboot; i++)
		if (mods[i] && mods[i]->stage == s)
			run_module(r, mods[i], s);
}

/* ---- stages ------------------------------------------------------------------ */

static int build_config(struct runner *r, int consume, enum prov_stage s)
{
	if (r->have_cfg)
		return 0;
	struct strbuf errors = STRBUF_INIT, err = STRBUF_INIT;
	int rc = prov_config_build(&r->ctx, &r->ds, consume, &r->cfg, &errors, &err);
	if (errors.len) {
		/* cloud-init: "Consuming user data failed!" is an init error */
		for (char *save = NULL, *l = strtok_r(errors.data, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			stage_error(r, s, l);
	}
	if (rc < 0) {
		stage_error(r, s, err.len ? sb_str(&err) : "cannot build the cloud-config");
	} else {
		r->have_cfg = 1;
		r->ctx.doc = r->cfg.doc;
		r->ctx.cfg = r->cfg.cfg;
	}
	sb_free(&errors);
	sb_free(&err);
	return rc;
}

static void stage_local(struct runner *r, int new_boot)
{
	if (new_boot && !r->o->dry_run) {
		char *bf = fs_join(r->instance_dir, "boot-finished");
		if (bf)
			unlink(bf);
		free(bf);
	}
	if (r->ds.network_error) {
		/* a ConfigDrive's network data: one error, the rest provisions */
		struct strbuf e = STRBUF_INIT;
		sb_printf(&e, "network-config: %s", r->ds.network_error);
		stage_error(r, STAGE_LOCAL, sb_str(&e));
		sb_free(&e);
	}
	const struct ynode *net = ydoc_root(r->ds.network_doc);
	r->ctx.network_config = net;
	if (!net)
		return;
	struct strbuf err = STRBUF_INIT;
	r->ctx.stage = STAGE_LOCAL;
	if (netcfg_apply(&r->ctx, net, &err) < 0) {
		struct strbuf e = STRBUF_INIT;
		sb_printf(&e, "network-config: %s", sb_str(&err));
		stage_error(r, STAGE_LOCAL, sb_str(&e));
		sb_free(&e);
	}
	sb_free(&err);
}

static void stage_network(struct runner *r)
{
	char *sem = fs_join(r->instance_dir, "sem/consume_data");
	if (sem && !r->o->dry_run && !prov_sem_has(sem))
		prov_sem_write(sem);
	free(sem);
	if (build_config(r, 1, STAGE_NETWORK) == 0)
		run_modules(r, STAGE_NETWORK);
}

static void stage_final_files(struct runner *r)
{
	if (r->o->dry_run)
		return;
	prov_result_save(&r->paths, &r->status);
	/* "<uptime> - <RFC2822 date> - v. <version>" (final-message) */
	struct strbuf b = STRBUF_INIT, up = STRBUF_INIT;
	if (fs_read_file("/proc/uptime", &up, 4096) < 0)
		sb_puts(&up, "0.00");
	time_t t = time(NULL);
	struct tm tm;
	char date[64];
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_printf(&b, "%.*s - %s - v. egs %s\n", (int)strcspn(sb_str(&up), " \n"), sb_str(&up), date,
	          EGS_VERSION);
	char *bf = fs_join(r->instance_dir, "boot-finished");
	if (bf)
		prov_state_write(bf, b.data, b.len, 0644);
	free(bf);
	sb_free(&b);
	sb_free(&up);
}

static const char *const stage_start_msg[4] = {
	"searching for local datasources", "searching for network datasources",
	"running modules for config", "running modules for final"};

static void run_stage(struct runner *r, enum prov_stage s, int new_boot)
{
	int i = prov_status_index(s);
	if (s == STAGE_LOCAL && !r->o->dry_run) {
		prov_status_clear(&r->paths);
		prov_status_free(&r->status);
	}
	struct prov_stage_status *st = &r->status.st[i];
	for (size_t j = 0; j < st->nerrors; j++)
		free(st->errors[j]);
	free(st->errors);
	st->errors = NULL;
	st->nerrors = 0;
	st->start = now_f();
	st->finished = -1;
	r->status.stage = i;
	free(r->status.datasource);
	r->status.datasource = strdup(r->ds.description);
	save_status(r);
	kvp_event(r, "start", event_stage[s], NULL, stage_start_msg[s]);
	log_msg(LOG_INF, "egs.run", "stage %s", prov_status_keys[i]);
	size_t before = r->nerrors;

	if (s == STAGE_LOCAL)
		stage_local(r, new_boot);
	else if (s == STAGE_NETWORK)
		stage_network(r);
	else if (build_config(r, 0, s) == 0)
		run_modules(r, s);

	st->finished = now_f();
	r->status.stage = -1;
	save_status(r);
	if (!r->reboot)
		egs_state_stage_done(&r->egs, s);
	int failed = r->nerrors != before;
	kvp_event(r, "finish", event_stage[s], failed ? "FAIL" : "SUCCESS",
	          failed ? st->errors[st->nerrors - 1] : stage_start_msg[s]);
	if (s == STAGE_FINAL && !r->reboot)
		stage_final_files(r);
}

int prov_cloudinit_enabled(const char *root, const char *cmdline_file, char *why, size_t cap)
{
	static const char *const bins[] = {"/usr/bin/cloud-init", "/usr/local/bin/cloud-init",
	                                   "/bin/cloud-init", NULL};
	struct prov_ctx c = {0};
	c.root = root;
	const char *found = NULL;
	for (int i = 0; bins[i] && !found; i++) {
		char *p = prov_path(&c, bins[i]);
		if (p && access(p, X_OK) == 0)
			found = bins[i];
		free(p);
	}
	if (!found) {
		snprintf(why, cap, "cloud-init is not installed");
		return 0;
	}
	char *marker = prov_path(&c, "/etc/cloud/cloud-init.disabled");
	int disabled = marker && access(marker, F_OK) == 0;
	free(marker);
	if (disabled) {
		snprintf(why, cap, "cloud-init is installed but disabled by /etc/cloud/cloud-init.disabled");
		return 0;
	}
	const char *cl = cmdline_file ? cmdline_file : strcmp(root, "/") == 0 ? "/proc/cmdline" : NULL;
	struct strbuf b = STRBUF_INIT;
	if (cl && fs_read_file(cl, &b, 65536) == 0) {
		for (char *save = NULL, *t = strtok_r(b.data ? b.data : (char *)"", " \t\n", &save); t;
		     t = strtok_r(NULL, " \t\n", &save))
			if (strcmp(t, "cloud-init=disabled") == 0)
				disabled = 1;
	}
	sb_free(&b);
	if (disabled) {
		snprintf(why, cap, "cloud-init is installed but disabled on the kernel command line");
		return 0;
	}
	snprintf(why, cap, "cloud-init is installed and enabled (%s); it provisions this guest", found);
	return 1;
}

int prov_run_stages(const struct prov_run_opts *o, struct strbuf *msg)
{
	struct runner r;
	memset(&r, 0, sizeof(r));
	r.o = o;
	prov_status_init(&r.status);
	const char *root = o->root && o->root[0] ? o->root : "/";
	char why[256];
	if (prov_cloudinit_enabled(root, o->ds.cmdline_file, why, sizeof(why))) {
		sb_printf(msg, "Not provisioning: %s.", why);
		return 0;
	}
	if (prov_paths_init(&r.paths, root, o->state_dir, o->run_dir) < 0) {
		sb_puts(msg, "Provisioning failed: out of memory");
		return 1;
	}
	r.ctx.root = r.paths.root;
	r.ctx.dry_run = o->dry_run;
	r.ctx.state_dir = r.paths.state;
	if (!o->kvp_dir)
		r.kvp_dir = prov_path(&r.ctx, KVP_DEFAULT_DIR);
	else if (o->kvp_dir[0])
		r.kvp_dir = strdup(o->kvp_dir);
	r.incarnation = kvp_event_incarnation();

	char boot_id[128] = "unknown";
	prov_boot_id(o->boot_id_file, boot_id, sizeof(boot_id));
	int new_boot = prov_state_boot(&r.paths, boot_id, o->dry_run);

	int rc = 1;
	struct ds_opts dso = o->ds;
	dso.root = root;
	dso.state_dir = r.paths.state;
	struct strbuf err = STRBUF_INIT;
	int found = ds_find(&dso, &r.ds, &err);
	if (found == 0) {
		sb_puts(msg, "No data source available; nothing to provision.");
		rc = 0;
		goto out;
	}
	kvp_state(&r, "running");
	if (found < 0) {
		sb_printf(msg, "Provisioning failed: %s", sb_str(&err));
		kvp_event(&r, "finish", event_stage[0], "FAIL", sb_str(&err));
		kvp_state(&r, "failed");
		goto out;
	}
	r.ctx.meta = &r.ds.meta;
	sb_reset(&err);
	int is_new = prov_state_instancify(&r.paths, r.ds.meta.instance_id, r.ds.description,
	                                   o->dry_run, &r.instance_dir, &err);
	if (is_new < 0) {
		sb_printf(msg, "Provisioning failed: %s", sb_str(&err));
		kvp_state(&r, "failed");
		goto out;
	}
	r.ctx.instance_dir = r.instance_dir;
	log_msg(LOG_INF, "egs.run", "datasource %s, instance %s (%s instance, %s boot)",
	        r.ds.description, r.ds.meta.instance_id, is_new ? "new" : "same",
	        new_boot ? "new" : "same");
	sb_reset(&err);
	if (egs_state_load(&r.paths, &r.egs, &err) < 0)
		log_msg(LOG_WRN, "egs.run", "ignoring %s", sb_str(&err));
	if (egs_state_begin(&r.egs, r.ds.meta.instance_id, new_boot) < 0) {
		sb_puts(msg, "Provisioning failed: out of memory");
		goto out;
	}
	if (o->stage != STAGE_LOCAL && prov_status_load(&r.paths, &r.status, NULL) < 0)
		prov_status_init(&r.status);

	for (int s = STAGE_LOCAL; s <= STAGE_FINAL && !r.reboot; s++)
		if (o->stage < 0 || o->stage == s)
			run_stage(&r, (enum prov_stage)s, new_boot);
	/* once per invocation, not per stage: every fsync is felt in the
	 * run's time, and status.json already tracks the stage in progress */
	save_egs_state(&r);

	if (r.reboot) {
		sb_printf(msg, "Reboot requested: %s", r.reboot_module);
		rc = 0;
		if (!o->dry_run && !o->no_reboot && strcmp(root, "/") == 0) {
			char *argv[] = {"reboot", NULL};
			prov_run(&r.ctx, argv, NULL);
		} else {
			prov_action(&r.ctx, "reboot (not performed: %s)",
			            o->dry_run ? "dry run" : strcmp(root, "/") ? "--root" : "--no-reboot");
		}
		goto out;
	}
	if (r.nerrors) {
		sb_printf(msg, "Provisioning failed: %zu error(s); see %s/data/status.json", r.nerrors,
		          r.paths.state);
		if (o->stage < 0 || o->stage == STAGE_FINAL)
			kvp_state(&r, "failed");
	} else {
		if (o->stage < 0 || o->stage == STAGE_FINAL)
			kvp_state(&r, "completed");
		sb_puts(msg, o->dry_run ? "Provisioning completed (dry run: nothing changed)."
		                        : "Provisioning completed.");
		rc = 0;
	}
	/* power_state, once the final stage's state is written (as cloud-init's
	 * child acts once cloud-init has exited), whether or not modules failed */
	prov_power_perform(&r.ctx, o->dry_run ? "dry run" : strcmp(root, "/") ? "--root"
	                           : o->no_reboot ? "--no-reboot" : NULL, msg);
out:
	sb_free(&err);
	if (r.have_cfg)
		prov_config_free(&r.cfg);
	ds_result_free(&r.ds);
	prov_status_free(&r.status);
	egs_state_free(&r.egs);
	free(r.instance_dir);
	free(r.kvp_dir);
	prov_paths_free(&r.paths);
	return rc;
}

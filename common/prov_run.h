/* The provisioning runner behind `egs run` (cloud-init.md §1, §6-§8):
 * stages local -> network -> config -> final, module activation keys,
 * frequency semaphores, failures into status.json/result.json, KVP
 * reporting (eryph.provisioning.state and CLOUD_INIT| events), and
 * reboot-and-continue (egs-compat §13.5).
 *
 * Per stage:
 *   local    boot detection (a new boot deletes instance/boot-finished),
 *            init-local clears status/result, datasource search,
 *            instancify, network config (netcfg_apply when linked in)
 *   network  user-data consumption (per instance, semaphore
 *            consume_data), the init modules
 *   config   the config modules
 *   final    the final modules, result.json, boot-finished
 * A module runs when it is active (any activation key present, or none
 * declared) and its semaphore is absent; the semaphore is written before
 * it runs and kept when it fails (clear_on_fail=False). A module that sets
 * ctx->reboot_requested stops the run after it: its semaphore is removed
 * so it runs again after the reboot (it tracks its own progress), the
 * state stays "running", and the machine is rebooted (never under --root
 * or in dry run). After the final stage and its state files, the action
 * power_state recorded (common/prov_power.h) is carried out in a detached
 * child, or only logged under --root, --dry-run and --no-reboot. */
#ifndef EGS_PROV_RUN_H
#define EGS_PROV_RUN_H

#include <stddef.h>

#include "datasource.h"
#include "prov.h"
#include "strbuf.h"

struct prov_run_opts {
	const char *root;          /* "/" or --root */
	const char *state_dir;     /* NULL: ROOT/var/lib/cloud */
	const char *run_dir;       /* NULL: ROOT/run/cloud-init */
	const char *kvp_dir;       /* NULL: ROOT/var/lib/hyperv; "": no KVP */
	const char *boot_id_file;  /* NULL: /proc/sys/kernel/random/boot_id */
	int dry_run;
	int stage;                 /* -1: all stages, else an enum prov_stage */
	int no_reboot;             /* never reboot nor power off (reboot codes, power_state) */
	int quiet;                 /* no summary line on stdout */
	struct ds_opts ds;         /* root/state_dir are filled in by the runner */
	const struct prov_module *const *modules; /* NULL: prov_modules */
	size_t nmodules;
};

/* Runs the stages. Returns the exit status of `egs run`: 0 (done, no
 * datasource, reboot requested, or cloud-init in charge), 1 (a stage had
 * errors or the datasource was unusable). One-line outcome in msg. */
int prov_run_stages(const struct prov_run_opts *o, struct strbuf *msg);

/* 1 when real cloud-init is installed and enabled under root: a
 * cloud-init executable in ROOT's /usr/bin, /usr/local/bin or /bin, no
 * ROOT/etc/cloud/cloud-init.disabled and no cloud-init=disabled on the
 * kernel command line (cmdline_file, or /proc/cmdline when root is "/").
 * why gets the reason either way. */
int prov_cloudinit_enabled(const char *root, const char *cmdline_file, char *why, size_t cap);

#endif

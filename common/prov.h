/* The provisioning agent's module interface (egs run; cloud-init's cc_*).
 *
 * One module = one file common/mod_NAME.c exporting a struct prov_module;
 * common/prov_modules.c lists them in cloud-init's order (Debian 12's
 * cloud.cfg, cloud-init.md §1.2). The runner (common/prov_run.c) decides
 * per stage which modules are active (activation keys), checks their
 * frequency semaphores, runs them, records failures and reports events.
 *
 * Every path a module touches goes through prov_path(), so `egs run
 * --root DIR` provisions a directory tree (offline images, and how the
 * tests run modules) instead of /. Every change goes through the prov_*
 * helpers below, so --dry-run prints actions and changes nothing. */
#ifndef EGS_PROV_H
#define EGS_PROV_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"
#include "yaml.h"

/* cloud-init's stages (status.json keys: init-local, init,
 * modules-config, modules-final). */
enum prov_stage { STAGE_LOCAL, STAGE_NETWORK, STAGE_CONFIG, STAGE_FINAL };

/* Module frequencies: always (per-boot), once per instance-id, once ever. */
enum prov_freq { FREQ_ALWAYS, FREQ_INSTANCE, FREQ_ONCE };

/* power_state's action (common/prov_power.h). */
enum prov_power { PROV_POWER_NONE, PROV_POWER_POWEROFF, PROV_POWER_REBOOT, PROV_POWER_HALT };

/* What the datasource found (NoCloud, ConfigDrive, --user-data). */
struct prov_meta {
	char *instance_id;
	char *local_hostname;   /* meta-data local-hostname / hostname */
	char **public_keys;     /* meta-data public-keys; NULL-terminated */
	char *datasource;       /* "NoCloud", "ConfigDrive", "None" */
	char *seed;             /* where it came from, for logs */
};

struct prov_ctx {
	const char *root;          /* "/" or the --root directory */
	int dry_run;
	enum prov_stage stage;
	struct ydoc *doc;          /* owns cfg */
	const struct ynode *cfg;   /* the merged cloud-config (a map; never NULL) */
	const struct prov_meta *meta;
	const char *state_dir;     /* /var/lib/cloud (already under root) */
	const char *instance_dir;  /* STATE/instances/<iid> (already under root) */
	/* network-config document, or NULL (datasource network-config) */
	const struct ynode *network_config;
	/* user scripts (part handlers' output) live in instance_dir/scripts */
	int reboot_requested;      /* set by modules (1001/1003 reboot codes) */
	/* power_state (common/mod_power_state.c) records what the runner does
	 * after the final stage (prov_power_perform). */
	int power_action;          /* enum prov_power; PROV_POWER_NONE: nothing */
	int power_delay_s;         /* delay: "now" 0, "+N"/N minutes as seconds */
	double power_timeout_s;    /* timeout: wait this long for `egs run` to end */
	const struct ynode *power_condition; /* a command (str/list) to run first, or NULL */
	char power_message[256];   /* message ("" when none) */
};

struct prov_module {
	const char *name;                  /* cloud.cfg name, e.g. "write-files";
	                                    * semaphore "config_write_files" */
	enum prov_stage stage;
	enum prov_freq freq;
	const char *const *activate_keys;  /* NULL-terminated; NULL: always active */
	/* 0 on success; -1 on failure with a one-line reason in err (the
	 * module still counts as run: its semaphore is written, as cloud-init
	 * does). Keys the module accepts but egs does not apply are logged
	 * with prov_not_applied(). */
	int (*run)(struct prov_ctx *ctx, struct strbuf *err);
	/* When the semaphore is written. 0: after run returns (success or
	 * failure), so a module killed midway (power cut, SIGKILL) runs again
	 * from the start next time; its writes are atomic and re-running
	 * completes them (tests/integration/test_prov_kill.py). 1: before run,
	 * as cloud-init does for every module: for the modules that run user
	 * programs, one of which may reboot or power off the machine and must
	 * not run again after the boot. */
	int sem_first;
};

/* The table, in run order (common/prov_modules.c). */
extern const struct prov_module *const prov_modules[];
extern const size_t prov_module_count;

/* ---- helpers for modules (common/prov_util.c) ---------------------------- */

/* root + abs as a malloc'd path ("/etc/hosts" under --root /img is
 * "/img/etc/hosts"). NULL only on ENOMEM. */
char *prov_path(const struct prov_ctx *ctx, const char *abs);
/* The inverse of prov_path: a path already under root (state_dir,
 * instance_dir) as the guest sees it ("/img/var/lib/cloud" under --root
 * /img is "/var/lib/cloud"); other paths are returned as they are.
 * malloc'd; NULL only on ENOMEM. */
char *prov_guest_path(const struct prov_ctx *ctx, const char *host_path);
/* Logs an action ("write /etc/hostname (0644)"); in dry-run mode the line
 * starts with "dry-run:" and the caller must not perform it: every
 * prov_* writer below already checks. */
void prov_action(const struct prov_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Writes a file under root atomically (temp with mode and owner set,
 * fsync, rename), creating parent directories 0755; mode and owner as
 * given (uid/gid -1: root). A temporary file of the same target left by a
 * killed run is removed first. Returns 0 or -1 with errno. */
int prov_write_file(const struct prov_ctx *ctx, const char *abs, const void *data, size_t len,
                    mode_t mode, uid_t uid, gid_t gid);
/* Runs argv (argv[0] absolute or found in root's PATH) with the guest's
 * environment, chrooted into root when root is not "/" (only if the
 * program exists there; otherwise the action is skipped and logged).
 * Returns the exit status (0..255), 128+signal, or -1. */
int prov_run(const struct prov_ctx *ctx, char *const argv[], const char *input);
/* prov_run, with the program's stdout through a pipe: it is still copied to
 * egs's stdout, and each line (without its newline, at most 4095 bytes of
 * it; a last unterminated line too) is passed to on_line. Reading stops at
 * EOF or once the program has exited and the pipe is empty (a daemon it
 * started may hold the pipe open). input is written first, so it should
 * be small. */
int prov_run_lines(const struct prov_ctx *ctx, char *const argv[], const char *input,
                   void (*on_line)(const char *line, size_t len, void *arg), void *arg);
/* cloud-init's get_cfg_option_bool: n NULL (key absent) gives def; else
 * translate_bool: a bool as is, a string whose lowercased, stripped text
 * is true/1/on/yes, or the int 1, is 1; everything else (null, 0, other
 * strings, lists...) is 0. */
int prov_bool(const struct ynode *n, int def);
/* "Key X is accepted but not applied by egs" (logged once per key). */
void prov_not_applied(const struct prov_ctx *ctx, const char *key);

#endif

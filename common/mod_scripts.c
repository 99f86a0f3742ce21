/* runcmd, bootcmd and the run-parts modules scripts_vendor,
 * scripts_per_once, scripts_per_boot, scripts_per_instance and
 * scripts_user (cloud-init.md §4.6-§4.8), with the original's reboot exit
 * codes (egs-compat §13.5).
 *
 * Linux exit statuses are 8 bits, so a script's `exit 1001` arrives as
 * 1001 & 255 = 233 and `exit 1003` as 235: those two mean "reboot, the
 * script is done" and "reboot, then run the script again". The module
 * then stops, sets ctx->reboot_requested and returns 0; the scripts it
 * completed are listed in STATE/data/egs-runparts-<module> and skipped
 * when the module runs again after the reboot (the runner does not write
 * the semaphore of a module that requested a reboot). The list is removed
 * once the module gets through its directory. */
#include "prov.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "shellify.h"

#define EXIT_REBOOT_DONE (1001 & 0xff)  /* 233 */
#define EXIT_REBOOT_AGAIN (1003 & 0xff) /* 235 */

/* ---- runcmd ---------------------------------------------------------- */

static int run_runcmd(struct prov_ctx *ctx, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *inst = prov_guest_path(ctx, ctx->instance_dir);
	char *path = inst ? fs_join(inst, "scripts/runcmd") : NULL;
	int rc = -1;
	if (!path) {
		sb_puts(err, "out of memory");
		goto out;
	}
	if (shellify(ymap_get(ctx->cfg, "runcmd"), "runcmd", &sb, err) < 0) {
		sb_printf(err, " (failed to shellify into file %s)", path);
		goto out;
	}
	if (prov_write_file(ctx, path, sb_str(&sb), sb.len, 0700, (uid_t)-1, (gid_t)-1) < 0) {
		sb_printf(err, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(inst);
	free(path);
	sb_free(&sb);
	return rc;
}

/* ---- bootcmd --------------------------------------------------------- */

#define BOOTCMD_FILE "/run/cloud-init/tmp/egs-bootcmd.sh"

static int run_bootcmd(struct prov_ctx *ctx, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;
	if (shellify(ymap_get(ctx->cfg, "bootcmd"), "bootcmd", &sb, err) < 0)
		goto out;
	if (prov_write_file(ctx, BOOTCMD_FILE, sb_str(&sb), sb.len, 0600, (uid_t)-1, (gid_t)-1) < 0) {
		sb_printf(err, "cannot write %s: %s", BOOTCMD_FILE, strerror(errno));
		goto out;
	}
	const char *iid = ctx->meta && ctx->meta->instance_id ? ctx->meta->instance_id : NULL;
	if (iid && setenv("INSTANCE_ID", iid, 1) < 0)
		goto out;
	char *argv[] = {"/bin/sh", BOOTCMD_FILE, NULL};
	int st = prov_run(ctx, argv, NULL);
	if (iid)
		unsetenv("INSTANCE_ID");
	char *tmp = prov_path(ctx, BOOTCMD_FILE);
	if (tmp && !ctx->dry_run)
		unlink(tmp);
	free(tmp);
	if (st != 0) {
		sb_printf(err, "Failed to run bootcmd module bootcmd: /bin/sh exited with status %d", st);
		goto out;
	}
	rc = 0;
out:
	sb_free(&sb);
	return rc;
}

/* ---- run-parts ------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The progress file's list of finished scripts ("" when none). */
static char *progress_path(const struct prov_ctx *ctx, const char *module)
{
	char *g = prov_guest_path(ctx, ctx->state_dir);
	struct strbuf sb = STRBUF_INIT;
	if (g)
		sb_printf(&sb, "%s/data/egs-runparts-%s", g, module);
	free(g);
	return g ? sb_detach(&sb) : NULL;
}

static int in_list(const char *list, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, "\n");
		if (l == nl && !strncmp(p, name, l))
			return 1;
		p += l + (p[l] ? 1 : 0);
	}
	return 0;
}

/* subp.runparts on the guest directory dir. */
static int runparts(struct prov_ctx *ctx, const char *module, const char *dir, struct strbuf *err)
{
	char *hdir = prov_path(ctx, dir);
	char *prog = progress_path(ctx, module);
	char *hprog = prog ? prov_path(ctx, prog) : NULL;
	char **names = NULL;
	size_t n = 0;
	struct strbuf done = STRBUF_INIT, failed = STRBUF_INIT;
	int rc = -1, nfailed = 0, attempted = 0;
	if (!hdir || !hprog)
		goto nomem;
	DIR *d = opendir(hdir);
	if (!d) {
		rc = 0; /* a missing directory is fine */
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char **nv = realloc(names, (n + 1) * sizeof(*nv));
		if (nv)
			names = nv;
		if (!nv || !(names[n] = strdup(de->d_name))) {
			closedir(d);
			goto nomem;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	if (fs_read_file(hprog, &done, 1024 * 1024) < 0 && errno != ENOENT) {
		sb_printf(err, "cannot read %s: %s", prog, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *gp = fs_join(dir, names[i]);
		char *hp = gp ? prov_path(ctx, gp) : NULL;
		struct stat st;
		int exe = hp && stat(hp, &st) == 0 && S_ISREG(st.st_mode) && access(hp, X_OK) == 0;
		free(hp);
		if (!gp)
			goto nomem;
		if (!exe || in_list(sb_str(&done), names[i])) {
			free(gp);
			continue;
		}
		attempted++;
		char idx[24];
		snprintf(idx, sizeof(idx), "%d", attempted);
		setenv("EGS_ENTRY_INDEX", idx, 1);
		char *argv[] = {gp, NULL};
		int status = prov_run(ctx, argv, NULL);
		unsetenv("EGS_ENTRY_INDEX");
		free(gp);
		if (status == EXIT_REBOOT_DONE || status == EXIT_REBOOT_AGAIN) {
			int again = status == EXIT_REBOOT_AGAIN;
			log_msg(LOG_INF, "egs.run", "%s: %s asked for a reboot (exit %d)%s", module, names[i],
			        again ? 1003 : 1001, again ? "; it runs again after it" : "");
			if (!again) {
				sb_printf(&done, "%s\n", names[i]);
				if (prov_write_file(ctx, prog, sb_str(&done), done.len, 0644, (uid_t)-1,
				                    (gid_t)-1) < 0) {
					sb_printf(err, "cannot write %s: %s", prog, strerror(errno));
					goto out;
				}
			}
			ctx->reboot_requested = 1;
			rc = 0;
			goto out;
		}
		if (status != 0) {
			log_msg(LOG_WRN, "egs.run", "%s: %s failed with exit status %d", module, names[i], status);
			sb_printf(&failed, "%s%s", nfailed ? "," : "", names[i]);
			nfailed++;
		}
	}
	if (done.len && !ctx->dry_run)
		unlink(hprog);
	if (nfailed) {
		sb_printf(err, "Runparts: %d failures (%s) in %d attempted commands", nfailed,
		          sb_str(&failed), attempted);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(hdir);
	free(prog);
	free(hprog);
	sb_free(&done);
	sb_free(&failed);
	return rc;
}

/* Runs the run-parts directory sub of the instance (instance != 0) or of
 * STATE/scripts. */
static int scripts_in(struct prov_ctx *ctx, const char *module, int instance, const char *sub,
                      struct strbuf *err)
{
	char *base = prov_guest_path(ctx, instance ? ctx->instance_dir : ctx->state_dir);
	char *dir = base ? fs_join(base, sub) : NULL;
	int rc = dir ? runparts(ctx, module, dir, err) : -1;
	if (!dir)
		sb_puts(err, "out of memory");
	free(base);
	free(dir);
	return rc;
}

static int run_scripts_vendor(struct prov_ctx *ctx, struct strbuf *err)
{
	if (ymap_get(ctx->cfg, "vendor_data"))
		prov_not_applied(ctx, "vendor_data");
	return scripts_in(ctx, "scripts_vendor", 1, "scripts/vendor", err);
}

static int run_scripts_per_once(struct prov_ctx *ctx, struct strbuf *err)
{
	return scripts_in(ctx, "scripts_per_once", 0, "scripts/per-once", err);
}

static int run_scripts_per_boot(struct prov_ctx *ctx, struct strbuf *err)
{
	return scripts_in(ctx, "scripts_per_boot", 0, "scripts/per-boot", err);
}

static int run_scripts_per_instance(struct prov_ctx *ctx, struct strbuf *err)
{
	return scripts_in(ctx, "scripts_per_instance", 0, "scripts/per-instance", err);
}

static int run_scripts_user(struct prov_ctx *ctx, struct strbuf *err)
{
	return scripts_in(ctx, "scripts_user", 1, "scripts", err);
}

static const char *const runcmd_keys[] = {"runcmd", NULL};
static const char *const bootcmd_keys[] = {"bootcmd", NULL};

const struct prov_module mod_runcmd = {
	.name = "runcmd", .stage = STAGE_CONFIG, .freq = FREQ_INSTANCE,
	.activate_keys = runcmd_keys, .run = run_runcmd,
};
const struct prov_module mod_bootcmd = {
	.name = "bootcmd", .stage = STAGE_NETWORK, .freq = FREQ_ALWAYS,
	.activate_keys = bootcmd_keys, .run = run_bootcmd,
};
const struct prov_module mod_scripts_vendor = {
	.name = "scripts-vendor", .stage = STAGE_FINAL, .freq = FREQ_INSTANCE,
	.activate_keys = NULL, .run = run_scripts_vendor,
};
const struct prov_module mod_scripts_per_once = {
	.name = "scripts-per-once", .stage = STAGE_FINAL, .freq = FREQ_ONCE,
	.activate_keys = NULL, .run = run_scripts_per_once,
};
const struct prov_module mod_scripts_per_boot = {
	.name = "scripts-per-boot", .stage = STAGE_FINAL, .freq = FREQ_ALWAYS,
	.activate_keys = NULL, .run = run_scripts_per_boot,
};
const struct prov_module mod_scripts_per_instance = {
	.name = "scripts-per-instance", .stage = STAGE_FINAL, .freq = FREQ_INSTANCE,
	.activate_keys = NULL, .run = run_scripts_per_instance,
};
const struct prov_module mod_scripts_user = {
	.name = "scripts-user", .stage = STAGE_FINAL, .freq = FREQ_INSTANCE,
	.activate_keys = NULL, .run = run_scripts_user,
};

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
 * once the module gets through its directory.
 *
 * Reboot limits (egs-compat §13.5): a script may cause at most its limit
 * of reboots (REBOOT_MAX_PER_SCRIPT, raised or lowered by a stdout line
 * "##egs.reboot_limit=N", the last one wins), a module at most
 * REBOOT_MAX_PER_MODULE. A reboot request past a cap is refused, logged
 * and counted as a failure of that script. Each script sees
 * EGS_ENTRY_INDEX, EGS_REBOOT_COUNT and EGS_REBOOT_LIMIT. The counts and
 * limits live in the same progress file, as lines
 *   #egs module-reboots N
 *   #egs script COUNT LIMIT NAME
 * (a finished script whose name starts with '#' or '\\' is written with a
 * leading '\\'), so one atomic write keeps them consistent. */
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
#define REBOOT_MAX_PER_SCRIPT 10
#define REBOOT_MAX_PER_MODULE 3
#define REBOOT_LIMIT_LINE "##egs.reboot_limit="

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

/* What the progress file records. */
struct rp_script {
	char *name;
	int count; /* reboots this script caused */
	int limit;
};
struct rp_state {
	struct strbuf done; /* finished scripts, one a line */
	int module_reboots;
	struct rp_script *scripts;
	size_t n;
};

static void rp_free(struct rp_state *s)
{
	sb_free(&s->done);
	for (size_t i = 0; i < s->n; i++)
		free(s->scripts[i].name);
	free(s->scripts);
}

/* The record of name, created (count 0, the default limit) when missing;
 * NULL on ENOMEM. */
static struct rp_script *rp_script(struct rp_state *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->scripts[i].name) == len && !strncmp(s->scripts[i].name, name, len))
			return &s->scripts[i];
	struct rp_script *nv = realloc(s->scripts, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	s->scripts = nv;
	char *dup = strndup(name, len);
	if (!dup)
		return NULL;
	s->scripts[s->n] = (struct rp_script){.name = dup, .count = 0, .limit = REBOOT_MAX_PER_SCRIPT};
	return &s->scripts[s->n++];
}

/* A non-negative decimal int that fills [p, p+len), or -1. */
static int parse_count(const char *p, size_t len)
{
	long v = 0;
	if (!len || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return (int)v;
}

/* Parses the progress file's text (lines of unknown "#egs" records are
 * ignored). 0, or -1 on ENOMEM. */
static int rp_parse(struct rp_state *s, const char *text)
{
	for (const char *p = text; *p;) {
		size_t l = strcspn(p, "\n");
		if (l >= 5 && !strncmp(p, "#egs ", 5)) {
			const char *q = p + 5, *e = p + l;
			if (l > 20 && !strncmp(q, "module-reboots ", 15)) {
				int v = parse_count(q + 15, (size_t)(e - q - 15));
				if (v >= 0)
					s->module_reboots = v;
			} else if (l > 12 && !strncmp(q, "script ", 7)) {
				const char *c = q + 7;
				const char *sp1 = memchr(c, ' ', (size_t)(e - c));
				const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1)) : NULL;
				int cnt = sp1 ? parse_count(c, (size_t)(sp1 - c)) : -1;
				int lim = sp2 ? parse_count(sp1 + 1, (size_t)(sp2 - sp1 - 1)) : -1;
				if (cnt >= 0 && lim >= 0 && sp2 + 1 < e) {
					struct rp_script *r = rp_script(s, sp2 + 1, (size_t)(e - sp2 - 1));
					if (!r)
						return -1;
					r->count = cnt;
					r->limit = lim;
				}
			}
		} else if (l) {
			const char *n = p;
			size_t nl = l;
			if (*n == '\\') {
				n++;
				nl--;
			}
			if (sb_printf(&s->done, "%.*s\n", (int)nl, n) < 0)
				return -1;
		}
		p += l + (p[l] ? 1 : 0);
	}
	return 0;
}

static int rp_save(struct prov_ctx *ctx, const char *prog, const struct rp_state *s, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	int rc = 0;
	for (const char *p = sb_str(&s->done); *p;) {
		size_t l = strcspn(p, "\n");
		if (sb_printf(&out, "%s%.*s\n", *p == '#' || *p == '\\' ? "\\" : "", (int)l, p) < 0)
			rc = -1;
		p += l + (p[l] ? 1 : 0);
	}
	if (s->module_reboots && sb_printf(&out, "#egs module-reboots %d\n", s->module_reboots) < 0)
		rc = -1;
	for (size_t i = 0; i < s->n; i++)
		if ((s->scripts[i].count || s->scripts[i].limit != REBOOT_MAX_PER_SCRIPT) &&
		    sb_printf(&out, "#egs script %d %d %s\n", s->scripts[i].count, s->scripts[i].limit,
		              s->scripts[i].name) < 0)
			rc = -1;
	if (rc < 0) {
		sb_puts(err, "out of memory");
	} else if (prov_write_file(ctx, prog, sb_str(&out), out.len, 0644, (uid_t)-1, (gid_t)-1) < 0) {
		sb_printf(err, "cannot write %s: %s", prog, strerror(errno));
		rc = -1;
	}
	sb_free(&out);
	return rc;
}

/* on_line for a script's stdout: the last "##egs.reboot_limit=N" wins. */
static void limit_line(const char *line, size_t len, void *arg)
{
	size_t pl = strlen(REBOOT_LIMIT_LINE);
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len > pl && !strncmp(line, REBOOT_LIMIT_LINE, pl)) {
		int v = parse_count(line + pl, len - pl);
		if (v >= 0)
			*(int *)arg = v;
		else
			log_msg(LOG_WRN, "egs.run", "ignoring invalid %.*s", (int)len, line);
	}
}

static int set_env_int(const char *name, int v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%d", v);
	return setenv(name, buf, 1);
}

/* subp.runparts on the guest directory dir. */
static int runparts(struct prov_ctx *ctx, const char *module, const char *dir, struct strbuf *err)
{
	char *hdir = prov_path(ctx, dir);
	char *prog = progress_path(ctx, module);
	char *hprog = prog ? prov_path(ctx, prog) : NULL;
	char **names = NULL;
	size_t n = 0;
	struct strbuf text = STRBUF_INIT, failed = STRBUF_INIT;
	struct rp_state s = {.done = STRBUF_INIT};
	int rc = -1, nfailed = 0, attempted = 0, index = 0, have_file = 0;
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
	if (fs_read_file(hprog, &text, 1024 * 1024) < 0) {
		if (errno != ENOENT) {
			sb_printf(err, "cannot read %s: %s", prog, strerror(errno));
			goto out;
		}
	} else {
		have_file = 1;
	}
	if (rp_parse(&s, sb_str(&text)) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		char *gp = fs_join(dir, names[i]);
		char *hp = gp ? prov_path(ctx, gp) : NULL;
		struct stat st;
		int exe = hp && stat(hp, &st) == 0 && S_ISREG(st.st_mode) && access(hp, X_OK) == 0;
		free(hp);
		if (!gp)
			goto nomem;
		if (!exe) {
			free(gp);
			continue;
		}
		index++; /* 1-based among the directory's scripts, stable across reboots */
		if (in_list(sb_str(&s.done), names[i])) {
			free(gp);
			continue;
		}
		struct rp_script *r = rp_script(&s, names[i], strlen(names[i]));
		if (!r) {
			free(gp);
			goto nomem;
		}
		attempted++;
		if (set_env_int("EGS_ENTRY_INDEX", index) < 0 || set_env_int("EGS_REBOOT_COUNT", r->count) < 0 ||
		    set_env_int("EGS_REBOOT_LIMIT", r->limit) < 0) {
			free(gp);
			sb_printf(err, "cannot set the environment: %s", strerror(errno));
			goto out;
		}
		int limit = -1;
		char *argv[] = {gp, NULL};
		int status = prov_run_lines(ctx, argv, NULL, limit_line, &limit);
		unsetenv("EGS_ENTRY_INDEX");
		unsetenv("EGS_REBOOT_COUNT");
		unsetenv("EGS_REBOOT_LIMIT");
		free(gp);
		int dirty = 0;
		if (limit >= 0 && limit != r->limit) {
			log_msg(LOG_INF, "egs.run", "%s: %s set its reboot limit to %d", module, names[i], limit);
			r->limit = limit;
			dirty = 1;
		}
		if (status == EXIT_REBOOT_DONE || status == EXIT_REBOOT_AGAIN) {
			int again = status == EXIT_REBOOT_AGAIN;
			const char *cap = NULL;
			int capv = 0;
			if (r->count >= r->limit) {
				cap = "per-script";
				capv = r->limit;
			} else if (s.module_reboots >= REBOOT_MAX_PER_MODULE) {
				cap = "per-module";
				capv = REBOOT_MAX_PER_MODULE;
			}
			if (cap) {
				log_msg(LOG_ERR, "egs.run",
				        "%s: %s asked for a reboot (exit %d) but reached the %s reboot limit (%d); "
				        "not rebooting, counted as a failure",
				        module, names[i], again ? 1003 : 1001, cap, capv);
				sb_printf(&failed, "%s%s", nfailed ? "," : "", names[i]);
				nfailed++;
			} else {
				log_msg(LOG_INF, "egs.run", "%s: %s asked for a reboot (exit %d)%s", module, names[i],
				        again ? 1003 : 1001, again ? "; it runs again after it" : "");
				r->count++;
				s.module_reboots++;
				if (!again && sb_printf(&s.done, "%s\n", names[i]) < 0)
					goto nomem;
				if (rp_save(ctx, prog, &s, err) < 0)
					goto out;
				ctx->reboot_requested = 1;
				rc = 0;
				goto out;
			}
		} else if (status != 0) {
			log_msg(LOG_WRN, "egs.run", "%s: %s failed with exit status %d", module, names[i], status);
			sb_printf(&failed, "%s%s", nfailed ? "," : "", names[i]);
			nfailed++;
		}
		/* done (ok or failed): recorded if a later script asks for a reboot */
		if (sb_printf(&s.done, "%s\n", names[i]) < 0)
			goto nomem;
		if (dirty) {
			if (rp_save(ctx, prog, &s, err) < 0)
				goto out;
			have_file = 1;
		}
	}
	if (have_file && !ctx->dry_run && unlink(hprog) < 0 && errno != ENOENT)
		log_msg(LOG_WRN, "egs.run", "cannot remove %s: %s", prog, strerror(errno));
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
	sb_free(&text);
	rp_free(&s);
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
	.activate_keys = runcmd_keys, .run = run_runcmd, .sem_first = 1,
};
const struct prov_module mod_bootcmd = {
	.name = "bootcmd", .stage = STAGE_NETWORK, .freq = FREQ_ALWAYS,
	.activate_keys = bootcmd_keys, .run = run_bootcmd, .sem_first = 1,
};
const struct prov_module mod_scripts_vendor = {
	.name = "scripts-vendor", .stage = STAGE_FINAL, .freq = FREQ_INSTANCE,
	.activate_keys = NULL, .run = run_scripts_vendor, .sem_first = 1,
};
const struct prov_module mod_scripts_per_once = {
	.name = "scripts-per-once", .stage = STAGE_FINAL, .freq = FREQ_ONCE,
	.activate_keys = NULL, .run = run_scripts_per_once, .sem_first = 1,
};
const struct prov_module mod_scripts_per_boot = {
	.name = "scripts-per-boot", .stage = STAGE_FINAL, .freq = FREQ_ALWAYS,
	.activate_keys = NULL, .run = run_scripts_per_boot, .sem_first = 1,
};
const struct prov_module mod_scripts_per_instance = {
	.name = "scripts-per-instance", .stage = STAGE_FINAL, .freq = FREQ_INSTANCE,
	.activate_keys = NULL, .run = run_scripts_per_instance, .sem_first = 1,
};
const struct prov_module mod_scripts_user = {
	.name = "scripts-user", .stage = STAGE_FINAL, .freq = FREQ_INSTANCE,
	.activate_keys = NULL, .run = run_scripts_user, .sem_first = 1,
};

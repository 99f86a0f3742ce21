/* egs's answers to the embedded Dropbear (vendor/dropbear/egs_hooks.h).
 * These run in the forked session process. */
#include "sshd.h"

#include <egs_hooks.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authkeys.h"
#include "flags.h"
#include "kvp.h"
#include "fsutil.h"
#include "log.h"
#include "shellsel.h"
#include "strbuf.h"

struct sshd_settings sshd_settings = {.login_user = "egs", .kvp_auth = 1, .sysfs_dir = "/sys"};

int egs_hook_login_user(const char *user)
{
	if (sshd_settings.login_user && strcmp(user, sshd_settings.login_user) == 0)
		return 1;
	log_msg(LOG_WRN, "egs.ssh", "Login attempt for user '%s' rejected: only '%s' may log in",
	        user, sshd_settings.login_user);
	return 0;
}

int egs_hook_key_allowed(const char *algo, const unsigned char *blob, unsigned int bloblen)
{
	struct authkeys_config cfg = {sshd_settings.config_dir, sshd_settings.kvp_dir,
	                              sshd_settings.kvp_auth, sshd_settings.sysfs_dir};
	struct strbuf origin = STRBUF_INIT, why = STRBUF_INIT, fp = STRBUF_INIT;
	int allowed = authkeys_authorize(&cfg, blob, bloblen, time(NULL), &origin, &why) == 1;
	authkeys_fingerprint_hex(&fp, blob, bloblen);
	if (allowed)
		log_msg(LOG_DBG, "egs.ssh", "Client key %s %s authorized by %s", algo, sb_str(&fp),
		        sb_str(&origin));
	else
		log_msg(LOG_WRN, "egs.ssh", "Client key %s %s not authorized%s%s", algo, sb_str(&fp),
		        why.len ? ": " : "", sb_str(&why));
	sb_free(&origin);
	sb_free(&why);
	sb_free(&fp);
	return allowed;
}

int egs_hook_hostkey(const unsigned char **blob, unsigned int *len)
{
	if (!sshd_settings.hostkey)
		return 0;
	*blob = sshd_settings.hostkey;
	*len = (unsigned int)sshd_settings.hostkey_len;
	return 1;
}

int egs_hook_subsystem(const char *name)
{
	if (strcmp(name, "sftp") == 0)
		return sshd_settings.sftp_main != NULL;
	/* as the original: PowerShell remoting when pwsh is installed */
	return strcmp(name, "powershell") == 0 && access(SSHD_PWSH, X_OK) == 0;
}

int egs_hook_env_allowed(const char *name)
{
	/* the original takes SHELL and SHELL_ARGS; LANG and LC_* are what
	 * OpenSSH clients send by default (sshd's AcceptEnv) */
	return strcmp(name, "SHELL") == 0 || strcmp(name, "SHELL_ARGS") == 0 ||
	       strcmp(name, "LANG") == 0 || strncmp(name, "LC_", 3) == 0;
}

const char *sshd_default_shell(void)
{
	const char *s = sshd_settings.service_shell;
	if (s && *s)
		return s;
	if (access("/bin/bash", X_OK) == 0)
		return "/bin/bash";
	return "/bin/sh";
}

static void exec_or_die(char **argv) __attribute__((noreturn));
static void exec_or_die(char **argv)
{
	execv(argv[0], argv);
	fprintf(stderr, "egs: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The shell override: the KVP keys eryph:guest-services:shell and
 * shell-args (Hyper-V), else CONFIG_DIR/shell.conf (other hypervisors,
 * written by `egs tool set-shell`). A read failure means no override, as
 * the original falls through on a KVP error. */
void sshd_shell_override(struct shell_override *ov)
{
	memset(ov, 0, sizeof(*ov));
	struct kvp_pool pool = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	if (kvp_read(sshd_settings.kvp_dir, KVP_POOL_EXTERNAL, &pool, &err) == 0) {
		const char *shell = kvp_get(&pool, SSHD_KVP_SHELL);
		const char *args = kvp_get(&pool, SSHD_KVP_SHELL_ARGS);
		if (shell && shell[strspn(shell, " \t\r\n")]) {
			snprintf(ov->shell, sizeof(ov->shell), "%s", shell);
			snprintf(ov->args, sizeof(ov->args), "%s", args ? args : "");
		}
	} else if (errno != ENOENT) {
		log_msg(LOG_WRN, "egs.ssh", "KVP shell override not read: %s", sb_str(&err));
	}
	kvp_pool_free(&pool);
	sb_free(&err);
	if (ov->shell[0])
		return;
	struct shell_conf sc;
	char *path = fs_join(sshd_settings.config_dir, SHELL_CONF_FILE);
	if (path && shell_conf_load(path, &sc) == 0) {
		if (sc.shell) {
			snprintf(ov->shell, sizeof(ov->shell), "%s", sc.shell);
			snprintf(ov->args, sizeof(ov->args), "%s", sc.args ? sc.args : "");
		}
		shell_conf_free(&sc);
	} else if (path && errno != ENOENT) {
		log_msg(LOG_WRN, "egs.ssh", "Cannot read %s: %s", path, strerror(errno));
	}
	free(path);
}

void egs_hook_exec(const struct egs_exec_request *req)
{
	/* egs's own log file is not the session's: forget its descriptor
	 * (Dropbear closed it already) */
	log_open(NULL, 0, LOG_FTL);
	if (req->subsystem) {
		if (strcmp(req->subsystem, "sftp") == 0) {
			char *argv[] = {"sftp-server", NULL};
			exit(sshd_settings.sftp_main(1, argv));
		}
		char *argv[] = {SSHD_PWSH, "-sshs", "-NoLogo", NULL};
		exec_or_die(argv);
	}
	struct shell_override ov;
	struct shell_choice shell;
	sshd_shell_override(&ov);
	if (shell_select(req->command != NULL, &ov, req->env_shell, req->env_shell_args,
	                 sshd_default_shell(), &shell) < 0) {
		fprintf(stderr, "egs: %s\n", shell.error);
		_exit(127);
	}
	if (req->command) {
		char *argv[] = {shell.path, (char *)shell_exec_flag(shell.path),
		                (char *)req->command, NULL};
		exec_or_die(argv);
	}
	exec_or_die(shell.argv);
}

void egs_hook_log(int priority, const char *message)
{
	/* syslog priorities (<syslog.h> would clash with log.h's names):
	 * 0-3 emerg..err, 4 warning, 5-6 notice/info, 7 debug */
	enum log_level level = LOG_INF;
	if (priority <= 3)
		level = LOG_ERR;
	else if (priority == 4)
		level = LOG_WRN;
	else if (priority >= 7)
		level = LOG_DBG;
	log_msg(level, "egs.ssh", "%s", message);
}

/* egs's answers to the embedded Dropbear (vendor/dropbear/egs_hooks.h).
 * These run in the forked session process. */
#include "sshd.h"

#include <egs_hooks.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "fsutil.h"
#include "log.h"
#include "strbuf.h"

struct sshd_settings sshd_settings = {.login_user = "egs", .kvp_auth = 1};

int egs_hook_login_user(const char *user)
{
	if (sshd_settings.login_user && strcmp(user, sshd_settings.login_user) == 0)
		return 1;
	log_msg(LOG_WRN, "egs.ssh", "Login attempt for user '%s' rejected: only '%s' may log in",
	        user, sshd_settings.login_user);
	return 0;
}

/* Compares one "algo base64 [comment]" line with the offered key. */
static int line_matches(const char *line, size_t len, const unsigned char *blob,
                        unsigned int bloblen)
{
	const char *end = line + len, *p = line;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *b64 = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
		p++;
	struct strbuf key = STRBUF_INIT;
	int match = base64_decode(&key, b64, (size_t)(p - b64)) == 0 && key.len == bloblen &&
	            memcmp(key.data, blob, bloblen) == 0;
	sb_free(&key);
	return match;
}

int egs_hook_key_allowed(const char *algo, const unsigned char *blob, unsigned int bloblen)
{
	char *path = fs_join(sshd_settings.config_dir, "id_egs.pub");
	struct strbuf text = STRBUF_INIT;
	int allowed = 0;
	if (path && fs_read_file(path, &text, 64 * 1024) == 0) {
		const char *s = sb_str(&text);
		if (strspn(s, " \t\r\n") == text.len) {
			/* as the original: a blank provisioned key file is removed */
			if (unlink(path) == 0)
				log_msg(LOG_INF, "egs.ssh", "Deleted empty %s", path);
		} else {
			allowed = line_matches(s, text.len, blob, bloblen);
		}
	}
	log_msg(allowed ? LOG_INF : LOG_WRN, "egs.ssh", "Public key %s (%s) %s", algo,
	        path ? path : "?", allowed ? "authorized" : "not authorized");
	sb_free(&text);
	free(path);
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
	return strcmp(name, "sftp") == 0 && sshd_settings.sftp_main != NULL;
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

void egs_hook_exec(const char *cmd, int subsystem, const char *term)
{
	if (subsystem) {
		char *argv[] = {"sftp-server", NULL};
		exit(sshd_settings.sftp_main(1, argv));
	}
	if (cmd) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		fprintf(stderr, "egs: cannot run /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	const char *shell = sshd_default_shell();
	const char *base = strrchr(shell, '/');
	base = base ? base + 1 : shell;
	execl(shell, base, "-i", (char *)NULL);
	fprintf(stderr, "egs: cannot run %s: %s\n", shell, strerror(errno));
	_exit(127);
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

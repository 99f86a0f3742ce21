/* What the embedded Dropbear asks egs (vendor/dropbear/egs_hooks.h),
 * answered from these settings, which `egs service` fills in before it
 * forks a session. */
#ifndef EGS_SSHD_H
#define EGS_SSHD_H

#include <stddef.h>

struct sshd_settings {
	const char *login_user;       /* "egs": the only user name that exists */
	const char *config_dir;       /* id_egs.pub, service-control.conf, shell.conf */
	const char *kvp_dir;          /* .kvp_pool_0 (client keys, shell override) */
	int kvp_auth;                 /* KvpAuthEnabled */
	const char *sysfs_dir;        /* credential keys (SMBIOS, fw_cfg): "/sys" */
	const unsigned char *hostkey; /* SSH wire private key (common/hostkey.h) */
	size_t hostkey_len;
	const char *service_shell;    /* $SHELL of the service process, or NULL */
	/* in-process subsystems: applet entry points (NULL: not offered) */
	int (*sftp_main)(int argc, char **argv);
};

extern struct sshd_settings sshd_settings;

struct shell_override;
/* The shell override for new sessions (KVP, then shell.conf). */
void sshd_shell_override(struct shell_override *ov);

#define SSHD_PWSH "/usr/bin/pwsh"
#define SSHD_KVP_SHELL "eryph:guest-services:shell"
#define SSHD_KVP_SHELL_ARGS "eryph:guest-services:shell-args"

/* The default interactive shell: the service's $SHELL, else /bin/bash if
 * it exists, else /bin/sh (minimal guests). */
const char *sshd_default_shell(void);

#endif

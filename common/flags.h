/* Service-control flags (service-control.conf) and the guest's shell.conf,
 * both KEY=VALUE files read like the original's ServiceControlFlags:
 * lines split at LF, CRLF or CR; blank lines and lines whose first non-space
 * character is '#' are ignored; key and value are trimmed; a line with no
 * '=' or an empty key is ignored; keys match case-insensitively and the
 * first matching line wins; the value is everything after the first '='. */
#ifndef EGS_FLAGS_H
#define EGS_FLAGS_H

#include <stddef.h>

#define FLAGS_FILE "service-control.conf" /* in CONFIG_DIR */
#define SHELL_CONF_FILE "shell.conf"      /* in CONFIG_DIR */
#define FLAGS_MAX_FILE (1024 * 1024)      /* larger files: defaults */

struct egs_flags {
	int remote_access;   /* RemoteAccessEnabled, default on */
	int kvp_auth;        /* KvpAuthEnabled, default on */
	int port_forwarding; /* PortForwardingEnabled, default off (opt-in) */
	int provisioning;    /* ProvisioningEnabled, default on */
	int auto_update;     /* AutoUpdateEnabled, default on */
};

/* Sets every flag to its default. */
void flags_defaults(struct egs_flags *f);
/* Fills f from the text of a service-control.conf (defaults first). */
void flags_parse(const char *text, size_t len, struct egs_flags *f);
/* Fills f from the file at path. A missing file, an I/O error or a file
 * over FLAGS_MAX_FILE gives the defaults. Returns 0 when the file was read,
 * -1 with errno when the defaults were used because of an error (ENOENT
 * included), so the caller may log it; f is valid either way. */
int flags_load(const char *path, struct egs_flags *f);

/* The trimmed value of the first line whose key equals key (ignoring
 * case), malloc'd; NULL if there is none (or ENOMEM). */
char *conf_get(const char *text, size_t len, const char *key);
/* The original's value rule: an int32 (optional sign, decimal) means
 * on when non-zero; else "true"/"false" in any case; else def. value may
 * be NULL (def). value must already be trimmed. */
int conf_flag_value(const char *value, int def);

/* shell.conf: keys "shell" and "shell-args". */
struct shell_conf {
	char *shell; /* trimmed; NULL when absent or blank */
	char *args;  /* trimmed; NULL when absent or blank, or when shell is */
};

/* Parses shell.conf text into out (which it initialises). args are kept
 * only with a shell, as the KVP shell-args are only consulted then.
 * Returns 0, or -1 on ENOMEM. */
int shell_conf_parse(const char *text, size_t len, struct shell_conf *out);
/* Reads path into out; a missing or unreadable file leaves both NULL and
 * returns -1 with errno (ENOENT: no override). Returns 0 when read. */
int shell_conf_load(const char *path, struct shell_conf *out);
void shell_conf_free(struct shell_conf *sc);

#endif

/* The contract between egs and the Dropbear embedded in it.
 *
 * Dropbear is prelinked into one object (vendor/dropbear/dropbear.mk) that
 * exports only egs_dropbear_serve() and egs_dropbear_version(). In the
 * other direction the patched Dropbear calls the egs_hook_* functions
 * below, which egs implements (common/sshd_hooks.c). Only plain C types
 * cross this line, so egs never sees Dropbear's headers. */
#ifndef EGS_HOOKS_H
#define EGS_HOOKS_H

/* ---- provided by Dropbear (egs_glue.c + vendor/dropbear/patches) ---- */

/* Runs one SSH server session on the connected socket fd in the calling
 * process, which the caller has forked for it. argv holds Dropbear server
 * options (argv[0] is a name). Exits the process; never returns. */
int egs_dropbear_serve(int fd, int argc, char **argv);
/* Dropbear's version string, e.g. "2022.83". */
const char *egs_dropbear_version(void);

/* ---- provided by egs, called by Dropbear in the session process ---- */

/* 1 if user may log in (it is the egs login user). */
int egs_hook_login_user(const char *user);
/* 1 if the public key may authenticate. algo is the key type name
 * ("ecdsa-sha2-nistp256", "ssh-ed25519", ...), blob the SSH wire-format
 * public key. Called for every attempt: sources are re-read each time. */
int egs_hook_key_allowed(const char *algo, const unsigned char *blob, unsigned int bloblen);
/* The host private key in SSH wire format (string type, string curve,
 * string Q, mpint d for ECDSA). Returns 1 and sets blob and len, or 0. */
int egs_hook_hostkey(const unsigned char **blob, unsigned int *len);
/* 1 if egs runs the named subsystem itself ("sftp", "powershell"). */
int egs_hook_subsystem(const char *name);
/* 1 if the client may set environment variable name with an "env"
 * request (the original: SHELL and SHELL_ARGS; egs adds LANG and LC_*). */
int egs_hook_env_allowed(const char *name);

/* What a session channel asked to run. */
struct egs_exec_request {
	const char *command;        /* "exec": the command; NULL for "shell" */
	const char *subsystem;      /* "subsystem": its name; else NULL */
	int pty;                    /* stdin/stdout/stderr are the pty */
	const char *env_shell;      /* SHELL from an "env" request, or NULL */
	const char *env_shell_args; /* SHELL_ARGS from an "env" request, or NULL */
};
/* In the forked channel child, stdin/stdout/stderr already connected to
 * the channel (or the pty), environment set: runs it. Never returns. */
void egs_hook_exec(const struct egs_exec_request *req) __attribute__((noreturn));

/* 1 if type is one of egs's own channel requests (*@eryph.io). */
int egs_hook_is_request(const char *type);
/* In a forked child of the session, stdin = channel data from the client,
 * stdout = channel data to the client, cwd "/": performs request type
 * with its wire payload (the bytes after want_reply) and writes one result
 * line to status_fd ("ok", "status N" or "exception MESSAGE"), which the
 * session turns into "no exit-status", exit-status N or exit-signal
 * exception@eryph.io. Never returns. */
void egs_hook_request(const char *type, const unsigned char *payload, unsigned int len,
                      int status_fd) __attribute__((noreturn));

/* One log line from Dropbear; priority is a syslog LOG_* level. */
void egs_hook_log(int priority, const char *message);

#endif

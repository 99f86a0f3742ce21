/* Which program a session runs (egs-compat §6):
 *   shell: override (Hyper-V KVP shell/shell-args, or shell.conf written by
 *          `egs tool set-shell`) > the client's env SHELL/SHELL_ARGS >
 *          the default: the service's $SHELL, else /bin/bash, else /bin/sh,
 *          with "-i" (interactive, not a login shell)
 *   exec:  override shell with its -c flag (/c for cmd, -Command for
 *          pwsh/powershell; its arguments are ignored, as the original),
 *          else /bin/sh -c. The client's env is not consulted for exec. */
#ifndef EGS_SHELLSEL_H
#define EGS_SHELLSEL_H

#include <stddef.h>

#define SHELL_MAX_ARGS 32

struct shell_choice {
	char path[1024];
	char *argv[SHELL_MAX_ARGS + 2]; /* path, args..., NULL */
	char argbuf[2048];
	const char *source;             /* "override", "env", "default" */
	char error[256];
};

/* The override: shell and shell-args, trimmed ("" when unset). */
struct shell_override {
	char shell[1024];
	char args[1024];
};

/* Fills out from the override (may be NULL), the env values (NULL when
 * not sent) and default_shell. Returns 0, or -1 with out->error set (a
 * relative shell path, too many arguments). */
int shell_select(int for_exec, const struct shell_override *ov, const char *env_shell,
                 const char *env_args, const char *default_shell, struct shell_choice *out);
/* "-c", "/c" or "-Command" for the shell at path. */
const char *shell_exec_flag(const char *path);
/* Splits an argument string: whitespace separates, "double quotes" group,
 * \" is a quote (the MSVCRT rules .NET's ParseArgv follows). Writes the
 * strings into buf, pointers into argv[0..max-1]; returns the count or -1
 * when buf or argv is too small. */
int shell_split_args(const char *args, char *buf, size_t bufsz, char **argv, int max);

#endif

/* Shared plumbing of `egs tool`: where its files live, how a TARGET
 * argument (a proxy target or an alias written by add-ssh-config) is
 * resolved, and running the user's own ssh(1) against a guest.
 *
 * Files (DIR = --config-dir, default $HOME/.config/egs; the original keeps
 * the key in %ProgramData%\eryph\guest-services\private and the config in
 * %LOCALAPPDATA%\.eryph\guest-services\ssh on Windows):
 *   DIR/private/id_egs(.pub)          the client key (dir 0700, key 0600)
 *   DIR/ssh/vm.d/<name>.config        one ssh_config file per VM
 *   DIR/known_hosts.d/<name>          the VM's pinned host key
 * ssh is "ssh" from PATH unless $EGS_SSH names another program. */
#ifndef EGS_TOOL_SSH_H
#define EGS_TOOL_SSH_H

#include <limits.h>
#include <sys/types.h>

#include "transport.h"

/* Sets the configuration directory (NULL: $HOME/.config/egs). The string
 * must stay valid. */
void tool_set_config_dir(const char *dir);
/* DIR joined with rel ("private/id_egs"), malloc'd; NULL with errno
 * (ENOENT when neither --config-dir nor $HOME is set, ENOMEM). */
char *tool_path(const char *rel);
/* The absolute path of this egs binary (readlink /proc/self/exe), for
 * ProxyCommand lines. NULL with errno on failure. Static storage. */
const char *tool_egs_path(void);

struct tool_target {
	struct transport_target t;
	char text[sizeof(((struct transport_target *)0)->path) + 32]; /* canonical */
	char name[256];       /* host name / file stem: sshconfig_name_for_target */
	char config[PATH_MAX]; /* its vm.d file when that exists, else "" */
	char alias[128];      /* the alias the user typed, or "" */
};

/* Resolves arg: a proxy target (as `egs proxy` takes) or a host name
 * listed on the Host line of a vm.d/NAME.config file (alias or generated
 * name). port_arg (NULL: none) is the PORT of a proxy target, as for
 * `egs proxy TARGET PORT`; an alias brings its own. Relative unix and
 * vsock-mux paths are made absolute. Returns 0,
 * or -1 with a message in err. */
int tool_resolve(const char *arg, const char *port_arg, struct tool_target *out, char *err,
                 size_t errlen);

/* Runs ssh for tt in batch mode: with -F <its vm.d file> when it has one,
 * else with the same settings add-ssh-config would write, passed as -o
 * options. subsystem != NULL adds -s and requests that subsystem;
 * otherwise remote_command (may be NULL: none) is the command.
 * stdin/stdout of ssh become pipes when to_fd/from_fd are non-NULL (the
 * caller's ends are returned there, close-on-exec), else they are
 * inherited. Returns 0 and the pid, or -1 with a message in err. */
int tool_spawn_ssh(const struct tool_target *tt, const char *subsystem,
                   const char *remote_command, int *to_fd, int *from_fd, pid_t *pid,
                   char *err, size_t errlen);

/* For the file-transfer verbs: resolves target_or_alias and starts
 * `ssh ... -s HOST subsystem` with pipes. *to_fd writes to the subsystem,
 * *from_fd reads from it; the caller closes both and waits for *pid.
 * Errors go to stderr. Returns 0 or -1. */
int tool_spawn_ssh_subsystem(const char *target_or_alias, const char *subsystem, int *to_fd,
                             int *from_fd, pid_t *pid);

/* Waits for pid; returns its exit code, 128+signal, or -1. */
int tool_wait(pid_t pid);

#endif

#include "tool_ssh.h"
#include "errbuf.h"

#include "fsutil.h"
#include "sshconfig.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *config_dir_override;

void tool_set_config_dir(const char *dir)
{
	config_dir_override = dir;
}

char *tool_path(const char *rel)
{
	if (config_dir_override)
		return fs_join(config_dir_override, rel);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		errno = ENOENT;
		return NULL;
	}
	char *base = fs_join(home, ".config/egs");
	if (!base)
		return NULL;
	char *p = fs_join(base, rel);
	free(base);
	return p;
}

const char *tool_egs_path(void)
{
	static char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return NULL;
	self[n] = '\0';
	return self;
}

/* "./x" -> "$PWD/x": ssh runs ProxyCommand from wherever it was started. */
static int absolutize(struct transport_target *t, char *err, size_t errlen)
{
	if ((t->kind != TRANSPORT_UNIX && t->kind != TRANSPORT_VSOCK_MUX) || t->path[0] == '/')
		return 0;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		errbuf_set(err, errlen, "cannot resolve %s: %s", t->path, strerror(errno));
		return -1;
	}
	char full[PATH_MAX + sizeof(t->path)];
	snprintf(full, sizeof(full), "%s/%s", strcmp(cwd, "/") ? cwd : "", t->path + 2);
	if (strlen(full) >= sizeof(t->path)) {
		errbuf_set(err, errlen, "socket path %s is too long (at most %zu bytes)", full,
		        sizeof(t->path) - 1);
		return -1;
	}
	memcpy(t->path, full, strlen(full) + 1);
	return 0;
}

/* Fills text, name and config of out from out->t. */
static int describe_target(struct tool_target *out, char *err, size_t errlen)
{
	if (out->t.kind == TRANSPORT_HYPERV) {
		errbuf_set(err, errlen, "%s.hyper-v.alt: the Hyper-V host side needs Windows "
		        "(use egs-tool.exe there)", out->t.host);
		return -1;
	}
	if (absolutize(&out->t, err, errlen) < 0)
		return -1;
	transport_format(&out->t, out->text, sizeof(out->text));
	if (sshconfig_name_for_target(&out->t, out->name, sizeof(out->name)) < 0) {
		errbuf_set(err, errlen, "target %s is too long for a host name", out->text);
		return -1;
	}
	return 0;
}

static int find_alias(const char *arg, struct tool_target *out, char *err, size_t errlen)
{
	char *dir = tool_path("ssh/vm.d");
	if (!dir) {
		errbuf_set(err, errlen, "cannot find the egs configuration directory: %s",
		        strerror(errno));
		return -1;
	}
	DIR *d = opendir(dir);
	int found = 0;
	struct dirent *de;
	while (d && !found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 8 || strcmp(de->d_name + n - 7, ".config") != 0 || de->d_name[0] == '.')
			continue;
		char *path = fs_join(dir, de->d_name);
		struct strbuf text = STRBUF_INIT, target = STRBUF_INIT, port = STRBUF_INIT;
		if (path && fs_read_file(path, &text, 1 << 20) == 0 &&
		    sshconfig_has_host(sb_str(&text), arg)) {
			char why[300];
			if (sshconfig_read_target(sb_str(&text), &target, &port) < 0) {
				errbuf_set(err, errlen, "%s lists %s but has no \"# egs-target:\" line "
				        "(run egs tool add-ssh-config again)", path, arg);
				found = -1;
			} else if (transport_parse(sb_str(&target), port.len ? sb_str(&port) : NULL,
			                           &out->t, why, sizeof(why)) < 0) {
				errbuf_set(err, errlen, "%s: %s", path, why);
				found = -1;
			} else if (snprintf(out->config, sizeof(out->config), "%s", path) >=
			           (int)sizeof(out->config)) {
				errbuf_set(err, errlen, "path too long: %s", path);
				found = -1;
			} else {
				found = 1;
			}
		}
		free(path);
		sb_free(&text), sb_free(&target), sb_free(&port);
	}
	if (d)
		closedir(d);
	free(dir);
	if (found == 0)
		errbuf_set(err, errlen,
		        "unknown target or alias '%s': use vsock/CID, vsock-mux/PATH, unix/PATH or "
		        "tcp/HOST:PORT, or an alias made by 'egs tool add-ssh-config'", arg);
	return found == 1 ? 0 : -1;
}

int tool_resolve(const char *arg, const char *port_arg, struct tool_target *out, char *err,
                 size_t errlen)
{
	memset(out, 0, sizeof(*out));
	char why[400];
	if (transport_parse(arg, port_arg, &out->t, why, sizeof(why)) == 0) {
		if (describe_target(out, err, errlen) < 0)
			return -1;
		char rel[300];
		snprintf(rel, sizeof(rel), "ssh/vm.d/%s.config", out->name);
		char *cfg = tool_path(rel);
		struct stat st;
		if (cfg && stat(cfg, &st) == 0 && S_ISREG(st.st_mode))
			snprintf(out->config, sizeof(out->config), "%s", cfg);
		free(cfg);
		return 0;
	}
	/* not a proxy target: an alias may only use the alias characters */
	if (strchr(arg, '/') || strchr(arg, '%') || sshconfig_alias_valid(arg, NULL, 0) < 0) {
		/* a generated name (x.egs.alt) is fine as well */
		size_t n = strlen(arg), m = strlen(SSHCONFIG_NAME_SUFFIX);
		if (!(n > m && strcmp(arg + n - m, SSHCONFIG_NAME_SUFFIX) == 0 &&
		      !strchr(arg, '/') && !strchr(arg, '%'))) {
			errbuf_set(err, errlen, "%s", why);
			return -1;
		}
	}
	if (port_arg) {
		errbuf_set(err, errlen, "--port applies to proxy targets, not to the alias %s", arg);
		return -1;
	}
	if (find_alias(arg, out, err, errlen) < 0)
		return -1;
	snprintf(out->alias, sizeof(out->alias), "%s", arg);
	char cfg[PATH_MAX];
	memcpy(cfg, out->config, sizeof(cfg));
	if (describe_target(out, err, errlen) < 0)
		return -1;
	memcpy(out->config, cfg, sizeof(cfg));
	return 0;
}

/* ---- running ssh ---------------------------------------------------- */

struct argv_list {
	char **v;
	size_t n, cap;
};

static int av_add(struct argv_list *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	if (!(a->v[a->n] = strdup(s)))
		return -1;
	a->n++;
	a->v[a->n] = NULL;
	return 0;
}

static void av_free(struct argv_list *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* The settings of an unconfigured target as "-o" options: the per-VM
 * config add-ssh-config would write, one option per indented line. */
static int add_inline_options(struct argv_list *av, const struct tool_target *tt, char *err,
                              size_t errlen)
{
	char *key = tool_path("private/id_egs");
	char khrel[300];
	snprintf(khrel, sizeof(khrel), "known_hosts.d/%s", tt->name);
	char *kh = tool_path(khrel), *khdir = tool_path("known_hosts.d");
	const char *egs = tool_egs_path();
	struct strbuf text = STRBUF_INIT;
	int rc = -1;
	if (!key || !kh || !khdir || !egs) {
		errbuf_set(err, errlen, "cannot find the egs paths: %s", strerror(errno));
		goto done;
	}
	if (fs_mkdir_p(khdir, 0700) < 0) {
		errbuf_set(err, errlen, "%s: %s", khdir, strerror(errno));
		goto done;
	}
	struct sshconfig_vm vm = {
		.name = tt->name,
		.target_text = tt->text,
		.port = tt->t.port,
		.fdpass = transport_is_local(&tt->t),
		.egs_path = egs,
		.identity_file = key,
		.known_hosts = kh,
	};
	if (sshconfig_render_vm(&vm, &text, err, errlen) < 0)
		goto done;
	for (char *line = text.data; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		if (line[0] == ' ') {
			while (*line == ' ')
				line++;
			if (av_add(av, "-o") < 0 || av_add(av, line) < 0) {
				errbuf_set(err, errlen, "out of memory");
				goto done;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	rc = 0;
done:
	free(key), free(kh), free(khdir);
	sb_free(&text);
	return rc;
}

int tool_spawn_ssh(const struct tool_target *tt, const char *subsystem,
                   const char *remote_command, int *to_fd, int *from_fd, pid_t *pid,
                   char *err, size_t errlen)
{
	struct argv_list av = {0};
	const char *ssh = getenv("EGS_SSH");
	if (!ssh || !*ssh)
		ssh = "ssh";
	int in[2] = {-1, -1}, out[2] = {-1, -1}, rc = -1;
	if (av_add(&av, ssh) < 0 || av_add(&av, "-T") < 0 || av_add(&av, "-o") < 0 ||
	    av_add(&av, "BatchMode=yes") < 0)
		goto nomem;
	if (tt->config[0]) {
		if (av_add(&av, "-F") < 0 || av_add(&av, tt->config) < 0)
			goto nomem;
	} else {
		if (av_add(&av, "-F") < 0 || av_add(&av, "/dev/null") < 0)
			goto nomem;
		if (add_inline_options(&av, tt, err, errlen) < 0)
			goto done;
	}
	if (subsystem && av_add(&av, "-s") < 0)
		goto nomem;
	if (av_add(&av, tt->name) < 0)
		goto nomem;
	if (subsystem && av_add(&av, subsystem) < 0)
		goto nomem;
	if (!subsystem && remote_command && av_add(&av, remote_command) < 0)
		goto nomem;

	if ((to_fd && pipe2(in, O_CLOEXEC) < 0) || (from_fd && pipe2(out, O_CLOEXEC) < 0)) {
		errbuf_set(err, errlen, "pipe: %s", strerror(errno));
		goto done;
	}
	pid_t child = fork();
	if (child < 0) {
		errbuf_set(err, errlen, "fork: %s", strerror(errno));
		goto done;
	}
	if (child == 0) {
		if ((in[0] >= 0 && dup2(in[0], STDIN_FILENO) < 0) ||
		    (out[1] >= 0 && dup2(out[1], STDOUT_FILENO) < 0))
			_exit(127);
		execvp(av.v[0], av.v);
		fprintf(stderr, "egs tool: cannot run %s: %s\n", av.v[0], strerror(errno));
		_exit(127);
	}
	if (to_fd) {
		close(in[0]);
		in[0] = -1;
		*to_fd = in[1];
		in[1] = -1;
	}
	if (from_fd) {
		close(out[1]);
		out[1] = -1;
		*from_fd = out[0];
		out[0] = -1;
	}
	*pid = child;
	rc = 0;
	goto done;
nomem:
	errbuf_set(err, errlen, "out of memory");
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	av_free(&av);
	return rc;
}

int tool_spawn_ssh_subsystem(const char *target_or_alias, const char *subsystem, int *to_fd,
                             int *from_fd, pid_t *pid)
{
	struct tool_target tt;
	char err[600];
	if (tool_resolve(target_or_alias, NULL, &tt, err, sizeof(err)) < 0 ||
	    tool_spawn_ssh(&tt, subsystem, NULL, to_fd, from_fd, pid, err, sizeof(err)) < 0) {
		fprintf(stderr, "egs tool: %s\n", err);
		return -1;
	}
	return 0;
}

int tool_wait(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

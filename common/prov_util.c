/* Helpers every provisioning module uses (common/prov.h): paths under
 * --root, dry-run aware writes, commands, "accepted, not applied". */
#include "prov.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

char *prov_path(const struct prov_ctx *ctx, const char *abs)
{
	if (!ctx->root || strcmp(ctx->root, "/") == 0 || !ctx->root[0])
		return strdup(abs);
	return fs_join(ctx->root, abs);
}

char *prov_guest_path(const struct prov_ctx *ctx, const char *host_path)
{
	if (!ctx->root || !ctx->root[0] || strcmp(ctx->root, "/") == 0)
		return strdup(host_path);
	size_t rl = strlen(ctx->root);
	while (rl > 1 && ctx->root[rl - 1] == '/')
		rl--;
	if (strncmp(host_path, ctx->root, rl) == 0 && (host_path[rl] == '/' || host_path[rl] == '\0'))
		return strdup(host_path[rl] ? host_path + rl : "/");
	return strdup(host_path);
}

void prov_action(const struct prov_ctx *ctx, const char *fmt, ...)
{
	struct strbuf line = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&line, fmt, ap);
	va_end(ap);
	if (ctx->dry_run)
		printf("dry-run: %s\n", sb_str(&line));
	else
		log_msg(LOG_INF, "egs.run", "%s", sb_str(&line));
	sb_free(&line);
}

static int mkdir_parents(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return -1;
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		rc = fs_mkdir_p(dir, 0755);
	}
	free(dir);
	return rc;
}

int prov_write_file(const struct prov_ctx *ctx, const char *abs, const void *data, size_t len,
                    mode_t mode, uid_t uid, gid_t gid)
{
	prov_action(ctx, "write %s (%zu bytes, mode %04o)", abs, len, (unsigned)mode);
	if (ctx->dry_run)
		return 0;
	char *path = prov_path(ctx, abs);
	if (!path)
		return -1;
	/* the owner is set before the rename: a kill never leaves the new
	 * file in place with root's ownership. The temporary file of this
	 * target that a killed run left is removed first (best effort: one
	 * egs run at a time writes a tree's files). */
	int rc = -1;
	char tmp[PATH_MAX];
	fs_atomic_remove_stale(path);
	if (mkdir_parents(path) == 0 &&
	    fs_atomic_prepare(path, tmp, sizeof(tmp), data, len, mode, uid, gid) == 0)
		rc = fs_atomic_publish(tmp, path);
	int e = errno;
	free(path);
	errno = e;
	return rc;
}

/* Finds argv0 in the PATH of the target tree; 1 if it exists there. */
static int exists_in_root(const struct prov_ctx *ctx, const char *argv0, char *found, size_t cap)
{
	static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
	                                   "/usr/bin", "/sbin", "/bin"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) || argv0[0] == '/'; i++) {
		char abs[1024];
		if (argv0[0] == '/')
			snprintf(abs, sizeof(abs), "%s", argv0);
		else
			snprintf(abs, sizeof(abs), "%s/%s", dirs[i], argv0);
		char *path = prov_path(ctx, abs);
		int ok = path && access(path, X_OK) == 0;
		free(path);
		if (ok) {
			snprintf(found, cap, "%s", abs);
			return 1;
		}
		if (argv0[0] == '/')
			return 0;
	}
	return 0;
}

/* Reads the child's stdout from fd (non-blocking) until EOF, or until the
 * child has exited and the pipe holds nothing more: a daemon the program
 * started may keep the pipe open. Every byte is copied to egs's stdout;
 * complete lines (at most PROV_LINE_MAX - 1 bytes of each) go to on_line.
 * Returns the wait status or -1. */
#define PROV_LINE_MAX 4096
static int copy_lines(int fd, pid_t pid, void (*on_line)(const char *, size_t, void *), void *arg)
{
	char line[PROV_LINE_MAX], buf[4096];
	size_t ll = 0;
	int status = 0, exited = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r > 0) {
			(void)fs_write_all(1, buf, (size_t)r); /* best effort, as an inherited stdout */
			for (ssize_t i = 0; i < r; i++) {
				if (buf[i] == '\n') {
					line[ll] = '\0';
					on_line(line, ll, arg);
					ll = 0;
				} else if (ll < sizeof(line) - 1) {
					line[ll++] = buf[i];
				}
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if (r == 0 || exited)
			break; /* EOF, or the program is gone and the pipe is empty */
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			exited = 1;
		else if (w < 0 && errno != EINTR)
			return -1;
	}
	if (ll) {
		line[ll] = '\0';
		on_line(line, ll, arg);
	}
	if (!exited)
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return -1;
	return status;
}

/* read_lines() with SIGPIPE ignored: a closed stdout of egs itself must
 * not kill egs mid-run (with an inherited stdout the script would have got
 * the signal, not egs). */
static int read_lines(int fd, pid_t pid, void (*on_line)(const char *, size_t, void *), void *arg)
{
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int rc = copy_lines(fd, pid, on_line, arg);
	signal(SIGPIPE, old == SIG_ERR ? SIG_DFL : old);
	return rc;
}

int prov_run_lines(const struct prov_ctx *ctx, char *const argv[], const char *input,
                   void (*on_line)(const char *line, size_t len, void *arg), void *arg)
{
	struct strbuf cmd = STRBUF_INIT;
	for (int i = 0; argv[i]; i++)
		sb_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
	char prog[1024];
	if (!exists_in_root(ctx, argv[0], prog, sizeof(prog))) {
		prov_action(ctx, "skip '%s': %s not found in %s", sb_str(&cmd), argv[0],
		            ctx->root && ctx->root[0] ? ctx->root : "/");
		sb_free(&cmd);
		return 127;
	}
	prov_action(ctx, "run %s", sb_str(&cmd));
	sb_free(&cmd);
	if (ctx->dry_run)
		return 0;
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	if (input && pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (on_line && pipe2(out, O_CLOEXEC) < 0) {
		if (input) {
			close(in[0]);
			close(in[1]);
		}
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		if (input) {
			close(in[0]);
			close(in[1]);
		}
		if (on_line) {
			close(out[0]);
			close(out[1]);
		}
		return -1;
	}
	if (pid == 0) {
		if (input)
			dup2(in[0], 0);
		else {
			int null = open("/dev/null", O_RDONLY);
			if (null >= 0)
				dup2(null, 0);
		}
		if (on_line && dup2(out[1], 1) < 0)
			_exit(126);
		if (ctx->root && ctx->root[0] && strcmp(ctx->root, "/") != 0 &&
		    (chroot(ctx->root) < 0 || chdir("/") < 0)) {
			fprintf(stderr, "egs run: chroot %s: %s\n", ctx->root, strerror(errno));
			_exit(126);
		}
		execv(prog, argv);
		fprintf(stderr, "egs run: %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	if (input) {
		close(in[0]);
		(void)fs_write_all(in[1], input, strlen(input));
		close(in[1]);
	}
	int status;
	if (on_line) {
		close(out[1]);
		int fl = fcntl(out[0], F_GETFL);
		if (fl < 0 || fcntl(out[0], F_SETFL, fl | O_NONBLOCK) < 0) {
			/* cannot poll: let the program finish, then drop its output */
			fl = -1;
		}
		if (fl >= 0) {
			status = read_lines(out[0], pid, on_line, arg);
		} else {
			while (waitpid(pid, &status, 0) < 0)
				if (errno != EINTR) {
					status = -1;
					break;
				}
		}
		close(out[0]);
		if (status == -1)
			return -1;
	} else {
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return -1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int prov_run(const struct prov_ctx *ctx, char *const argv[], const char *input)
{
	return prov_run_lines(ctx, argv, input, NULL, NULL);
}

int prov_bool(const struct ynode *n, int def)
{
	if (!n)
		return def;
	if (!ynode_truthy(n))
		return 0;
	if (n->kind == Y_BOOL)
		return n->b;
	if (n->kind == Y_INT)
		return !n->big && n->i == 1;
	if (n->kind != Y_STR)
		return 0;
	const char *s = n->str;
	size_t len = n->len;
	while (len && (*s == ' ' || (*s >= '\t' && *s <= '\r'))) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || (s[len - 1] >= '\t' && s[len - 1] <= '\r')))
		len--;
	static const char *const yes[] = {"true", "1", "on", "yes"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
			return 1;
	return 0;
}

void prov_not_applied(const struct prov_ctx *ctx, const char *key)
{
	(void)ctx;
	log_msg(LOG_INF, "egs.run", "'%s' is accepted but not applied by egs", key);
}

/* The cloud-init status bridge: see cloudinit_bridge.h. */
#include "cloudinit_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "kvp.h"
#include "log.h"
#include "strbuf.h"

extern char **environ;

#define OUT_MAX (1024 * 1024) /* stdout kept for parsing; the rest is drained */

int cib_cloudinit_available(void)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	struct strbuf b = STRBUF_INIT;
	int found = 0;
	while (!found) {
		size_t l = strcspn(path, ":");
		sb_reset(&b);
		if (sb_printf(&b, "%.*s/cloud-init", (int)l, l ? path : ".") < 0)
			break;
		struct stat st;
		if (stat(sb_str(&b), &st) == 0 && S_ISREG(st.st_mode) && access(sb_str(&b), X_OK) == 0)
			found = 1;
		if (!path[l])
			break;
		path += l + 1;
	}
	sb_free(&b);
	return found;
}

void cib_init(struct cib_state *st)
{
	memset(st, 0, sizeof(*st));
}

const char *cib_map_status(const char *status)
{
	if (!status)
		return NULL;
	if (strcmp(status, "done") == 0 || strcmp(status, "disabled") == 0)
		return "completed";
	if (strcmp(status, "error") == 0)
		return "failed";
	if (strcmp(status, "running") == 0)
		return "running";
	return NULL;
}

int cib_parse_status(const char *buf, size_t len, char *out, size_t cap)
{
	struct yaml_error yerr = {0, 0, NULL};
	struct ydoc *d = json_parse(buf, len, &yerr);
	if (!d) {
		yaml_error_free(&yerr);
		return -1;
	}
	const char *s = ymap_get_str(ydoc_root(d), "status");
	int rc = -1;
	if (s && strlen(s) < cap) {
		strcpy(out, s);
		rc = 0;
	}
	ydoc_free(d);
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs `cloud-init status --format json`, collecting stdout into out.
 * Returns 0 (ran, whatever its exit status), -1 with errno (ENOENT: no
 * cloud-init; ETIMEDOUT: killed after timeout_ms). */
static int run_status(struct strbuf *out, int timeout_ms)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	if (pipe2(po, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		int e = errno;
		close(po[0]);
		close(po[1]);
		errno = e;
		return -1;
	}
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	char *argv[] = {"cloud-init", "status", "--format", "json", NULL};
	pid_t pid = -1;
	if (rc == 0)
		rc = posix_spawnp(&pid, "cloud-init", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		errno = rc;
		return -1;
	}
	struct pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	long long deadline = now_ms() + timeout_ms;
	int open_fds = 2, timed_out = 0;
	char buf[4096];
	while (open_fds > 0) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		int n = poll(fds, 2, (int)left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t r = read(fds[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			} else if (i == 0 && out->len + (size_t)r <= OUT_MAX &&
			           sb_append(out, buf, (size_t)r) < 0) {
				/* out of memory: keep draining, parse what we have */
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	if (timed_out)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		errno = ETIMEDOUT;
		return -1;
	}
	/* posix_spawnp may report a failed exec as exit status 127 (older
	 * C libraries): treat "not found on PATH" the same way */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !cib_cloudinit_available()) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int cib_poll_step(struct cib_state *st, const char *kvp_dir)
{
	if (st->stopped)
		return -1;
	struct strbuf out = STRBUF_INIT;
	if (run_status(&out, st->timeout_ms > 0 ? st->timeout_ms : CIB_TIMEOUT_MS) < 0) {
		sb_free(&out);
		if (errno == ENOENT) {
			log_msg(LOG_INF, "egs.cloudinit", "cloud-init cannot be executed: %s; status bridge stopped",
			        strerror(errno));
			st->stopped = 1;
			return -1;
		}
		log_msg(LOG_WRN, "egs.cloudinit", "cloud-init status: %s", strerror(errno));
		return CIB_POLL_MS;
	}
	char status[64];
	const char *value = NULL;
	if (cib_parse_status(out.data ? out.data : "", out.len, status, sizeof(status)) == 0)
		value = cib_map_status(status);
	sb_free(&out);
	if (!value || strcmp(value, st->last_written) == 0)
		return CIB_POLL_MS;
	struct kvp_change ch = {CIB_KVP_KEY, value};
	struct strbuf err = STRBUF_INIT;
	if (kvp_update(kvp_dir, KVP_POOL_GUEST, &ch, 1, 0, &err) < 0) {
		log_msg(LOG_WRN, "egs.cloudinit", "cannot write %s=%s: %s", CIB_KVP_KEY, value, sb_str(&err));
		sb_free(&err);
		return CIB_POLL_MS;
	}
	sb_free(&err);
	log_msg(LOG_INF, "egs.cloudinit", "%s=%s (cloud-init status %s)", CIB_KVP_KEY, value, status);
	strcpy(st->last_written, value);
	if (strcmp(value, "running") != 0) {
		st->stopped = 1;
		return -1;
	}
	return CIB_POLL_MS;
}

void cib_loop(const char *kvp_dir)
{
	struct cib_state st;
	cib_init(&st);
	for (;;) {
		int ms = cib_poll_step(&st, kvp_dir);
		if (ms < 0)
			return;
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

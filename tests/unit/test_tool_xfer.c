/* common/sftp_batch.c and common/tool_xfer.c against the SFTP server of
 * common/sftp_server.c in a child process (socketpair): batches with
 * their failure cases, directory transfers both ways, local temp cleaning. */
#include "log.h"
#include "sftp_client.h"
#include "sftp_proto.h"
#include "sftp_server.h"
#include "strbuf.h"
#include "testlib.h"
#include "tool_xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[64];

static const char *at(const char *rel)
{
	static char buf[8][512];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, sizeof(buf[0]), "%s/%s", root, rel);
	return p;
}

static void put_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int same_text(const char *path, const char *want)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	return f && n == strlen(want) && memcmp(buf, want, n) == 0;
}

static int count_temps(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "exit $(ls -A '%s' | grep -c egs-tmp)", dir);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned finished;
static void count_done(void *ctx, struct sftp_batch_item *it)
{
	(void)ctx, (void)it;
	finished++;
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/egs-xfer-unit-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		log_open(NULL, 0, LOG_VRB);
		struct sftp_server_opts so = {0};
		_exit(sftp_serve(sv[1], sv[1], &so) == 0 ? 0 : 1);
	}
	close(sv[1]);
	struct sftp_client *c = sftp_client_new(sv[0], sv[0]);
	CHECK(c && sftp_client_init(c) == 0);

	t_group("sftp_put_batch");
	CHECK(mkdir(at("r"), 0755) == 0);
	put_text(at("r/exists"), "old");
	enum { N = 300 };
	static struct sftp_batch_item it[N + 2];
	static char paths[N + 2][600];
	for (int i = 0; i < N; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/f%03d", at("r"), i);
		it[i].remote_path = paths[i];
		CHECK(sb_printf(&it[i].data, "content %d", i) == 0);
		it[i].attrs = (struct sftp_attrs){.flags = SSH_FILEXFER_ATTR_PERMISSIONS |
		                                           SSH_FILEXFER_ATTR_ACMODTIME,
		                                  .perm = 0604, .atime = 1000 + i, .mtime = 2000 + i};
	}
	it[N].remote_path = at("r/exists");
	CHECK(sb_puts(&it[N].data, "new") == 0);
	it[N].no_replace = 1;
	it[N + 1].remote_path = at("r/missing-dir/x");
	CHECK(sb_puts(&it[N + 1].data, "x") == 0);
	CHECK(sftp_put_batch(c, it, N + 2, 16, count_done, NULL) == 0);
	CHECK_INT(finished, N + 2);
	int good = 1;
	for (int i = 0; i < N; i++) {
		char want[32];
		struct stat st;
		snprintf(want, sizeof(want), "content %d", i);
		good &= it[i].err == 0 && same_text(paths[i], want) && stat(paths[i], &st) == 0 &&
		        (st.st_mode & 07777) == 0604 && st.st_mtime == 2000 + i;
	}
	CHECK(good);
	CHECK_INT(it[N].err, EEXIST);
	CHECK(same_text(at("r/exists"), "old"));
	CHECK_INT(it[N + 1].err, ENOENT);
	CHECK(strstr(it[N + 1].msg, "missing-dir") != NULL);
	CHECK_INT(count_temps(at("r")), 0);

	t_group("sftp_get_batch");
	for (int i = 0; i < N + 2; i++)
		sb_free(&it[i].data);
	memset(it, 0, sizeof(it));
	put_text(at("r/empty"), "");
	for (int i = 0; i < N; i++) {
		it[i].remote_path = paths[i];
		if (i % 2) { /* half with the listing's size, half without */
			it[i].attrs.flags = SSH_FILEXFER_ATTR_SIZE;
			it[i].attrs.size = strlen("content ") + (i < 10 ? 1 : i < 100 ? 2 : 3);
		}
	}
	it[N].remote_path = at("r/empty");
	it[N + 1].remote_path = at("r/nope");
	finished = 0;
	CHECK(sftp_get_batch(c, it, N + 2, 0, count_done, NULL) == 0);
	CHECK_INT(finished, N + 2);
	good = 1;
	for (int i = 0; i < N; i++) {
		char want[32];
		snprintf(want, sizeof(want), "content %d", i);
		good &= it[i].err == 0 && strcmp(sb_str(&it[i].data), want) == 0;
	}
	CHECK(good);
	CHECK(it[N].err == 0 && it[N].data.len == 0);
	CHECK_INT(it[N + 1].err, ENOENT);
	for (int i = 0; i < N + 2; i++)
		sb_free(&it[i].data);

	t_group("directories both ways");
	CHECK(mkdir(at("src"), 0755) == 0 && mkdir(at("src/sub"), 0700) == 0 &&
	      mkdir(at("src/empty"), 0755) == 0);
	put_text(at("src/a.txt"), "alpha");
	put_text(at("src/sub/b.txt"), "beta");
	CHECK(symlink("/etc/passwd", at("src/link")) == 0);
	struct xfer_opts o = {.recursive = 1, .quiet = 1};
	fflush(stdout);
	CHECK_INT(xfer_run(c, XFER_UPLOAD_DIR, at("src"), at("dst"), &o), 0);
	CHECK(same_text(at("dst/a.txt"), "alpha") && same_text(at("dst/sub/b.txt"), "beta"));
	struct stat st;
	CHECK(stat(at("dst/empty"), &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(lstat(at("dst/link"), &st) < 0);
	CHECK_INT(xfer_run(c, XFER_DOWNLOAD_DIR, at("dst"), at("back"), &o), 0);
	CHECK(same_text(at("back/a.txt"), "alpha") && same_text(at("back/sub/b.txt"), "beta"));
	CHECK(stat(at("back/empty"), &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(xfer_run(c, XFER_DOWNLOAD_DIR, at("nothere"), at("back"), &o), XFER_EXIT_NOT_FOUND);
	CHECK_INT(xfer_run(c, XFER_DOWNLOAD_FILE, at("dst/a.txt"), at("back/a.txt"), &o),
	          XFER_EXIT_EXISTS);
	CHECK_INT(xfer_run(c, XFER_UPLOAD_FILE, at("src/a.txt"), at("dst/a.txt"), &o),
	          XFER_EXIT_EXISTS);
	CHECK_INT(xfer_run(c, XFER_UPLOAD_FILE, at("src/none"), at("dst/n"), &o), XFER_EXIT_FAILED);
	CHECK_INT(xfer_run(c, XFER_DOWNLOAD_FILE, at("dst/none"), at("n"), &o), XFER_EXIT_NOT_FOUND);

	t_group("xfer_clean_local_temps");
	put_text(at("back/.a.txt.egs-tmp-AbC123"), "stale");
	put_text(at("back/.b.txt.egs-tmp-XyZ789"), "fresh");
	put_text(at("back/.c.txt.egs-tmp-toolong1"), "not ours");
	struct timespec old[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
	CHECK(utimensat(AT_FDCWD, at("back/.a.txt.egs-tmp-AbC123"), old, 0) == 0);
	CHECK(utimensat(AT_FDCWD, at("back/.c.txt.egs-tmp-toolong1"), old, 0) == 0);
	CHECK_INT(xfer_clean_local_temps(at("back"), XFER_STALE_AGE), 1);
	CHECK(access(at("back/.b.txt.egs-tmp-XyZ789"), F_OK) == 0);
	CHECK(access(at("back/.c.txt.egs-tmp-toolong1"), F_OK) == 0);
	CHECK_INT(xfer_clean_local_temps(at("nothere"), 0), -1);

	sftp_client_free(c);
	close(sv[0]);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(system(cmd) == 0);
	return t_done();
}

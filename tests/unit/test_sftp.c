/* common/sftp_*.c: the SFTP server and client talking over a socketpair
 * (the server in a forked child) against a temporary directory, plus raw
 * hostile packets thrown at the server. */
#include "log.h"
#include "sftp_client.h"
#include "sftp_longname.h"
#include "sftp_proto.h"
#include "sftp_server.h"
#include "sftp_wire.h"
#include "strbuf.h"
#include "testlib.h"

#include <bearssl.h>
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

static char tmpdir[64];

static char *path_in(const char *name)
{
	static char buf[8][512];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* Starts a server in a child on one end of a socketpair; returns the
 * other end. The child works in dir (relative paths land there). */
static int start_server(pid_t *pid, const char *dir, int read_only)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		close(sv[0]);
		signal(SIGPIPE, SIG_IGN);
		log_open(NULL, getenv("SFTP_TEST_LOG") != NULL, LOG_VRB);
		if (chdir(dir) < 0)
			_exit(3);
		struct sftp_server_opts opts = {.read_only = read_only};
		_exit(sftp_serve(sv[1], sv[1], &opts) == 0 ? 0 : 1);
	}
	close(sv[1]);
	return sv[0];
}

/* Closes our end and returns the server's exit status (-1: crashed). */
static int stop_server(pid_t pid, int fd)
{
	close(fd);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void sha256_fd(int fd, unsigned char out[32])
{
	br_sha256_context ctx;
	br_sha256_init(&ctx);
	char buf[65536];
	ssize_t n;
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		br_sha256_update(&ctx, buf, (size_t)n);
	br_sha256_out(&ctx, out);
}

static void sha256_file(const char *path, unsigned char out[32])
{
	int fd = open(path, O_RDONLY);
	memset(out, 0, 32);
	if (fd >= 0) {
		sha256_fd(fd, out);
		close(fd);
	}
}

/* A local temp file of size pseudo-random bytes. */
static int make_local(const char *path, size_t size, unsigned seed)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	char buf[65536];
	uint64_t x = seed * 2654435761u + 1;
	for (size_t done = 0; done < size;) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = (char)(x >> 56);
		}
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		if (write(fd, buf, n) != (ssize_t)n)
			return -1;
		done += n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

struct progress {
	uint64_t last, total;
	unsigned calls;
	int monotonic;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	if (done < p->last)
		p->monotonic = 0;
	p->last = done;
	p->total = total;
	p->calls++;
}

static int count_temps(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "exit $(ls -a %s | grep -c 'egs-tmp')", dir);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_names(void)
{
	t_group("longname / temp names");
	char m[11];
	sftp_mode_string(S_IFDIR | 0755, m);
	CHECK_STR(m, "drwxr-xr-x");
	sftp_mode_string(S_IFREG | 04755, m);
	CHECK_STR(m, "-rwsr-xr-x");
	sftp_mode_string(S_IFREG | 02644, m);
	CHECK_STR(m, "-rw-r-Sr--");
	sftp_mode_string(S_IFDIR | 01777, m);
	CHECK_STR(m, "drwxrwxrwt");
	sftp_mode_string(S_IFLNK | 0777, m);
	CHECK_STR(m, "lrwxrwxrwx");

	struct stat st = {0};
	st.st_mode = S_IFREG | 0644;
	st.st_nlink = 1;
	st.st_uid = 0;
	st.st_gid = 0;
	st.st_size = 1234;
	st.st_mtime = 1000000000; /* 2001: older than six months */
	struct strbuf sb = STRBUF_INIT;
	CHECK(sftp_longname(&sb, "file.txt", &st, time(NULL)) == 0);
	CHECK(strncmp(sb_str(&sb), "-rw-r--r--    1 root     root         1234 Sep ", 46) == 0);
	CHECK(strstr(sb_str(&sb), "  2001 file.txt") != NULL);
	sb_reset(&sb);
	st.st_uid = 54321; /* no such user: the number */
	st.st_mtime = time(NULL) - 60;
	CHECK(sftp_longname(&sb, "x", &st, time(NULL)) == 0);
	CHECK(strstr(sb_str(&sb), " 54321    root ") != NULL);
	CHECK(strchr(sb_str(&sb), ':') != NULL); /* recent: HH:MM */
	sb_free(&sb);

	CHECK(sftp_is_temp_name(".file.txt.egs-tmp-aB3xY9"));
	CHECK(!sftp_is_temp_name("..egs-tmp-aB3xY9")); /* no NAME part */
	CHECK(!sftp_is_temp_name("file.egs-tmp-aB3xY9"));
	CHECK(!sftp_is_temp_name(".file.egs-tmp-aB3x"));
	CHECK(!sftp_is_temp_name(".file.egs-tmp-aB3xY9.bak"));
	CHECK(!sftp_is_temp_name(".file.egs-tmp-aB3-Y9"));
}

static void test_wire(void)
{
	t_group("wire");
	struct strbuf sb = STRBUF_INIT;
	struct sftp_attrs a = {.flags = SSH_FILEXFER_ATTR_SIZE | SSH_FILEXFER_ATTR_PERMISSIONS |
	                                SSH_FILEXFER_ATTR_ACMODTIME,
	                       .size = 0x123456789ULL, .perm = 0100644, .atime = 7, .mtime = 9};
	CHECK(ww_attrs(&sb, &a) == 0);
	CHECK(ww_cstring(&sb, "tail") == 0);
	struct wire_reader r;
	struct sftp_attrs b;
	wr_init(&r, sb.data, sb.len);
	wr_attrs(&r, &b);
	char tail[8];
	wr_cstring(&r, tail, sizeof(tail));
	CHECK(!r.bad);
	CHECK(b.size == a.size && b.perm == a.perm && b.mtime == 9 && b.atime == 7);
	CHECK_STR(tail, "tail");
	wr_init(&r, sb.data, sb.len - 1); /* truncated */
	wr_attrs(&r, &b);
	wr_cstring(&r, tail, sizeof(tail));
	CHECK(r.bad);
	wr_init(&r, sb.data, sb.len);
	wr_attrs(&r, &b);
	wr_cstring(&r, tail, 4); /* too long for the buffer */
	CHECK(r.bad && tail[0] == '\0');
	sb_reset(&sb);
	ww_string(&sb, "a\0b", 3);
	wr_init(&r, sb.data, sb.len);
	wr_cstring(&r, tail, sizeof(tail)); /* NUL inside a path */
	CHECK(r.bad);
	sb_reset(&sb);
	ww_u32(&sb, SSH_FILEXFER_ATTR_EXTENDED);
	ww_u32(&sb, 0xffffffff); /* a huge count of extended pairs */
	wr_init(&r, sb.data, sb.len);
	wr_attrs(&r, &b);
	CHECK(r.bad);
	sb_free(&sb);
}

static void test_client_server(void)
{
	t_group("client <-> server");
	pid_t pid;
	int fd = start_server(&pid, tmpdir, 0);
	CHECK(fd >= 0);
	struct sftp_client *c = sftp_client_new(fd, fd);
	CHECK(c != NULL);
	CHECK(sftp_client_init(c) == 0);
	CHECK(sftp_client_has_ext(c, "posix-rename@openssh.com"));
	CHECK(sftp_client_has_ext(c, "fsync@openssh.com"));
	CHECK(sftp_client_has_ext(c, "limits@openssh.com"));

	/* atomic upload of 5 MiB + a bit, with progress and final attributes */
	const size_t size = 5 * 1024 * 1024 + 12345;
	int lfd = make_local(path_in("local.bin"), size, 1);
	CHECK(lfd >= 0);
	unsigned char want[32], got[32];
	sha256_fd(lfd, want);
	lseek(lfd, 0, SEEK_SET);
	struct progress pr = {.monotonic = 1};
	struct sftp_xfer_opts o = {.progress = on_progress, .ctx = &pr};
	struct sftp_attrs fin = {.flags = SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME,
	                         .perm = 0640, .atime = 1500000000, .mtime = 1600000000};
	CHECK(sftp_mkdir(c, path_in("up"), 0755) == 0);
	CHECK(sftp_upload_atomic(c, lfd, path_in("up/remote.bin"), &fin, &o) == 0);
	CHECK_STR(sftp_client_error(c), "");
	CHECK(pr.last == size && pr.total == size && pr.monotonic && pr.calls >= 20);
	sha256_file(path_in("up/remote.bin"), got);
	CHECK(memcmp(want, got, 32) == 0);
	struct stat st;
	CHECK(stat(path_in("up/remote.bin"), &st) == 0 && (st.st_mode & 07777) == 0640 &&
	      st.st_mtime == 1600000000);
	CHECK_INT(count_temps(path_in("up")), 0);

	/* replacing an existing file */
	lseek(lfd, 0, SEEK_SET);
	CHECK(sftp_upload_atomic(c, lfd, path_in("up/remote.bin"), NULL, NULL) == 0);
	CHECK(stat(path_in("up/remote.bin"), &st) == 0 && (st.st_mode & 0777) == 0600);

	/* download it back */
	int dfd = open(path_in("down.bin"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(write(dfd, "stale content longer than nothing", 33) == 33);
	memset(&pr, 0, sizeof(pr));
	pr.monotonic = 1;
	CHECK(sftp_download(c, path_in("up/remote.bin"), dfd, &o) == 0);
	sha256_fd(dfd, got);
	CHECK(memcmp(want, got, 32) == 0);
	CHECK(pr.last == size && pr.total == size && pr.monotonic);

	/* many small requests in flight: 1 MiB in 4 KiB pieces, 100 at a time */
	struct sftp_xfer_opts small = {.chunk = 4096, .max_inflight = 100};
	lseek(lfd, 0, SEEK_SET);
	CHECK(ftruncate(lfd, 1024 * 1024 + 7) == 0);
	sha256_fd(lfd, want);
	lseek(lfd, 0, SEEK_SET);
	struct sftp_file *f = sftp_open(c, path_in("small.bin"),
	                                SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, NULL);
	CHECK(f != NULL);
	uint64_t n = 0;
	CHECK(f && sftp_write_from_fd(c, f, lfd, &small, &n) == 0 && n == 1024 * 1024 + 7);
	CHECK(f && sftp_fsync(c, f) == 0);
	CHECK(f && sftp_close(c, f) == 0);
	CHECK(ftruncate(dfd, 0) == 0);
	f = sftp_open(c, path_in("small.bin"), SSH_FXF_READ, NULL);
	CHECK(f && sftp_read_to_fd(c, f, dfd, &small, &n) == 0 && n == 1024 * 1024 + 7);
	CHECK(f && sftp_close(c, f) == 0);
	sha256_fd(dfd, got);
	CHECK(memcmp(want, got, 32) == 0);

	/* an empty file */
	CHECK(ftruncate(lfd, 0) == 0);
	lseek(lfd, 0, SEEK_SET);
	CHECK(sftp_upload_atomic(c, lfd, path_in("empty"), NULL, NULL) == 0);
	CHECK(sftp_download(c, path_in("empty"), dfd, NULL) == 0);
	CHECK(fstat(dfd, &st) == 0 && st.st_size == 0);

	/* attributes, realpath, rename, symlinks */
	struct sftp_attrs a;
	CHECK(sftp_stat(c, path_in("small.bin"), &a) == 0 && a.size == 1024 * 1024 + 7 &&
	      S_ISREG(a.perm));
	struct sftp_attrs set = {.flags = SSH_FILEXFER_ATTR_PERMISSIONS, .perm = 0604};
	CHECK(sftp_setstat(c, path_in("small.bin"), &set) == 0);
	CHECK(stat(path_in("small.bin"), &st) == 0 && (st.st_mode & 0777) == 0604);
	CHECK(symlink("small.bin", path_in("link")) == 0);
	CHECK(sftp_lstat(c, path_in("link"), &a) == 0 && S_ISLNK(a.perm));
	CHECK(sftp_stat(c, path_in("link"), &a) == 0 && S_ISREG(a.perm));
	char *rp = sftp_realpath(c, path_in("up/../new-name"));
	CHECK_STR(rp, path_in("new-name")); /* the last part may not exist */
	free(rp);
	rp = sftp_realpath(c, path_in("nodir/x"));
	CHECK(rp == NULL && errno == ENOENT);
	CHECK(sftp_rename(c, path_in("small.bin"), path_in("empty")) == 0); /* replaces */
	CHECK(access(path_in("small.bin"), F_OK) < 0);
	CHECK(stat(path_in("empty"), &st) == 0 && st.st_size == 1024 * 1024 + 7);

	/* listing */
	struct sftp_dir *d = sftp_opendir(c, tmpdir);
	CHECK(d != NULL);
	struct sftp_dirent e;
	int seen = 0, rc;
	while (d && (rc = sftp_readdir(c, d, &e)) == 1) {
		if (!strcmp(e.name, "empty")) {
			seen++;
			CHECK(strncmp(e.longname, "-rw----r--    1 ", 16) == 0);
			CHECK(e.attrs.size == 1024 * 1024 + 7);
		}
		if (!strcmp(e.name, "up"))
			seen++;
	}
	CHECK_INT(seen, 2);
	CHECK(d && sftp_closedir(c, d) == 0);

	/* errors carry the path and the server's message */
	CHECK(sftp_stat(c, path_in("missing"), &a) < 0 && errno == ENOENT);
	CHECK_INT(sftp_client_status(c), SSH_FX_NO_SUCH_FILE);
	CHECK(strstr(sftp_client_error(c), "missing: No such file") != NULL);
	CHECK(sftp_open(c, path_in("empty/x"), SSH_FXF_READ, NULL) == NULL && errno == ENOENT);
	CHECK(strstr(sftp_client_error(c), "open ") == sftp_client_error(c));
	CHECK(sftp_mkdir(c, path_in("up"), 0755) < 0);
	CHECK(strstr(sftp_client_error(c), "File exists") != NULL);
	CHECK(sftp_rmdir(c, path_in("up")) < 0); /* not empty */
	CHECK(sftp_remove(c, path_in("missing")) < 0 && errno == ENOENT);
	CHECK(sftp_download(c, path_in("up"), dfd, NULL) < 0); /* a directory */
	lseek(lfd, 0, SEEK_SET);
	CHECK(sftp_upload_atomic(c, lfd, path_in("nodir/f"), NULL, NULL) < 0 && errno == ENOENT);
	CHECK(strstr(sftp_client_error(c), "nodir/") != NULL);
	/* rename onto a non-empty directory fails: the temp file goes away */
	CHECK(sftp_upload_atomic(c, lfd, path_in("up"), NULL, NULL) < 0);
	CHECK_INT(count_temps(tmpdir), 0);
	CHECK(sftp_upload_atomic(c, lfd, "/", NULL, NULL) < 0 && errno == EINVAL);

	/* stale temporary files */
	close(open(path_in("up/.a.egs-tmp-abc123"), O_CREAT | O_WRONLY, 0600));
	close(open(path_in("up/.b.bin.egs-tmp-XYZ789"), O_CREAT | O_WRONLY, 0600));
	close(open(path_in("up/.c.egs-tmp-short"), O_CREAT | O_WRONLY, 0600));
	CHECK(mkdir(path_in("up/.d.egs-tmp-dir123"), 0700) == 0);
	unsigned removed = 99;
	CHECK(sftp_clean_stale_temps(c, path_in("up"), 3600, &removed) == 0 && removed == 0);
	CHECK(sftp_clean_stale_temps(c, path_in("up"), 0, &removed) == 0 && removed == 2);
	CHECK(access(path_in("up/.c.egs-tmp-short"), F_OK) == 0);
	CHECK(access(path_in("up/.d.egs-tmp-dir123"), F_OK) == 0);
	CHECK(access(path_in("up/remote.bin"), F_OK) == 0);
	CHECK(sftp_clean_stale_temps(c, path_in("missing"), 0, &removed) < 0);

	sftp_client_free(c);
	close(lfd);
	close(dfd);
	CHECK_INT(stop_server(pid, fd), 0);
}

/* ---- raw packets ---- */

static int send_raw(int fd, const struct strbuf *sb)
{
	return write(fd, sb->data, sb->len) == (ssize_t)sb->len ? 0 : -1;
}

/* Reads one response into body; returns its type, or -1 at EOF/garbage. */
static int recv_raw(int fd, struct strbuf *body)
{
	unsigned char len[4];
	size_t got = 0;
	while (got < 4) {
		ssize_t n = read(fd, len + got, 4 - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	uint32_t l = wire_get_u32(len);
	if (l < 1 || l > SFTP_MAX_PACKET + 64)
		return -1;
	sb_reset(body);
	if (sb_reserve(body, l) < 0)
		return -1;
	for (got = 0; got < l;) {
		ssize_t n = read(fd, body->data + got, l - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	body->len = l;
	return (unsigned char)body->data[0];
}

static void put_init(struct strbuf *sb)
{
	size_t at = ww_packet_begin(sb, SSH_FXP_INIT);
	ww_u32(sb, 3);
	ww_packet_end(sb, at);
}

/* Sends INIT and checks VERSION. */
static int raw_init(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	put_init(&sb);
	int ok = send_raw(fd, &sb) == 0 && recv_raw(fd, &sb) == SSH_FXP_VERSION;
	sb_free(&sb);
	return ok ? 0 : -1;
}

/* The status code of a STATUS body for request id, or -1. */
static long status_of(const struct strbuf *body, uint32_t id)
{
	struct wire_reader r;
	wr_init(&r, body->data, body->len);
	if (wr_u8(&r) != SSH_FXP_STATUS || wr_u32(&r) != id)
		return -1;
	uint32_t code = wr_u32(&r);
	return r.bad ? -1 : (long)code;
}

static void test_hostile(void)
{
	t_group("hostile packets");
	struct strbuf sb = STRBUF_INIT, body = STRBUF_INIT;
	pid_t pid;
	char sandbox[512];
	snprintf(sandbox, sizeof(sandbox), "%s/sandbox", tmpdir);
	CHECK(mkdir(sandbox, 0700) == 0);

	/* an absurd length: the server gives up cleanly */
	int fd = start_server(&pid, sandbox, 0);
	CHECK(write(fd, "\xff\xff\xff\xff\x01", 5) == 5);
	CHECK(recv_raw(fd, &body) == -1);
	CHECK_INT(stop_server(pid, fd), 1);

	/* a request before INIT */
	fd = start_server(&pid, sandbox, 0);
	sb_reset(&sb);
	size_t at = ww_packet_begin(&sb, SSH_FXP_REALPATH);
	ww_u32(&sb, 1);
	ww_cstring(&sb, ".");
	ww_packet_end(&sb, at);
	CHECK(send_raw(fd, &sb) == 0);
	CHECK(recv_raw(fd, &body) == -1);
	CHECK_INT(stop_server(pid, fd), 1);

	/* malformed requests get error statuses and the session goes on */
	fd = start_server(&pid, sandbox, 0);
	CHECK(raw_init(fd) == 0);
	struct {
		uint8_t type;
		const char *body; /* after the id */
		size_t len;
		long want;
	} cases[] = {
		{SSH_FXP_OPEN, "\x00\x00\x00\x05" "ab", 6, SSH_FX_BAD_MESSAGE},          /* truncated */
		{SSH_FXP_STAT, "\x00\x00\x00\x03" "a\0b", 7, SSH_FX_BAD_MESSAGE},        /* NUL in path */
		{SSH_FXP_READ, "\x00\x00\x00\x08" "zzzzzzzz" "\0\0\0\0\0\0\0\0" "\0\0\0\x10", 24,
		 SSH_FX_FAILURE},                                                         /* bad handle */
		{SSH_FXP_CLOSE, "\x00\x00\x00\x02" "zz", 6, SSH_FX_FAILURE},
		{SSH_FXP_READDIR, "\x7f\xff\xff\xff", 4, SSH_FX_BAD_MESSAGE},
		{SSH_FXP_SETSTAT, "\x00\x00\x00\x01" "x" "\x80\0\0\0" "\xff\xff\xff\xff", 13,
		 SSH_FX_BAD_MESSAGE},                                                     /* ext count */
		{99, "", 0, SSH_FX_OP_UNSUPPORTED},
		{SSH_FXP_EXTENDED, "\x00\x00\x00\x07" "nothing", 11, SSH_FX_OP_UNSUPPORTED},
		{SSH_FXP_EXTENDED, "", 0, SSH_FX_OP_UNSUPPORTED},
		{SSH_FXP_STAT, "\x00\x00\x00\x07" "missing", 11, SSH_FX_NO_SUCH_FILE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sb_reset(&sb);
		at = ww_packet_begin(&sb, cases[i].type);
		ww_u32(&sb, 100 + (uint32_t)i);
		sb_append(&sb, cases[i].body, cases[i].len);
		ww_packet_end(&sb, at);
		CHECK(send_raw(fd, &sb) == 0);
		CHECK(recv_raw(fd, &body) == SSH_FXP_STATUS);
		if (!CHECK_INT(status_of(&body, 100 + (uint32_t)i), cases[i].want))
			fprintf(stderr, "  case %zu\n", i);
	}

	/* 100 requests in one write, a READ asking for 1 MiB capped at 256 KiB */
	int lfd = make_local(path_in("sandbox/big"), 2 * 1024 * 1024, 2);
	close(lfd);
	sb_reset(&sb);
	at = ww_packet_begin(&sb, SSH_FXP_OPEN);
	ww_u32(&sb, 1);
	ww_cstring(&sb, "big");
	ww_u32(&sb, SSH_FXF_READ);
	ww_u32(&sb, 0);
	ww_packet_end(&sb, at);
	CHECK(send_raw(fd, &sb) == 0);
	CHECK(recv_raw(fd, &body) == SSH_FXP_HANDLE);
	char handle[64];
	size_t hlen = body.len - 9 < sizeof(handle) ? body.len - 9 : 0;
	memcpy(handle, body.data + 9, hlen);
	sb_reset(&sb);
	for (uint32_t i = 0; i < 100; i++) {
		at = ww_packet_begin(&sb, SSH_FXP_READ);
		ww_u32(&sb, 1000 + i);
		ww_string(&sb, handle, hlen);
		ww_u64(&sb, (uint64_t)i * 16384);
		ww_u32(&sb, i == 0 ? 1024 * 1024 : 100);
		ww_packet_end(&sb, at);
	}
	CHECK(send_raw(fd, &sb) == 0);
	int in_order = 1;
	for (uint32_t i = 0; i < 100; i++) {
		int type = recv_raw(fd, &body);
		if (type != SSH_FXP_DATA || wire_get_u32(body.data + 1) != 1000 + i) {
			if (in_order)
				fprintf(stderr, "response %u: type %d id %u\n", i, type,
				        type < 0 ? 0 : wire_get_u32(body.data + 1));
			in_order = 0;
		}
		else if (i == 0)
			CHECK_INT(wire_get_u32(body.data + 5), SFTP_MAX_DATA);
	}
	CHECK(in_order);

	/* random garbage inside valid framing: every request is answered */
	uint64_t x = 12345;
	int answered = 1;
	for (uint32_t i = 0; i < 3000 && answered; i++) {
		static const uint8_t types[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
		                                18, 19, 20, 200, 42};
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sb_reset(&sb);
		at = ww_packet_begin(&sb, types[(x >> 33) % sizeof(types)]);
		ww_u32(&sb, 5000 + i);
		unsigned fields = (x >> 40) % 6;
		for (unsigned k = 0; k < fields; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			switch ((x >> 50) % 4) {
			case 0: ww_cstring(&sb, (x >> 20) & 1 ? "limits@openssh.com" : "."); break;
			case 1: ww_u32(&sb, (uint32_t)(x >> 16)); break;
			case 2: ww_u64(&sb, x); break;
			default: {
				char junk[40];
				for (size_t j = 0; j < sizeof(junk); j++)
					junk[j] = (char)((x >> (j % 56)) ^ j);
				sb_append(&sb, junk, (x >> 8) % sizeof(junk));
			}
			}
		}
		ww_packet_end(&sb, at);
		if (send_raw(fd, &sb) < 0 || recv_raw(fd, &body) < 0 ||
		    wire_get_u32(body.data + 1) != 5000 + i)
			answered = 0;
	}
	CHECK(answered);

	/* EOF in the middle of a packet: a clean end */
	CHECK(write(fd, "\x00\x00\x01\x00\x11", 5) == 5);
	CHECK_INT(stop_server(pid, fd), 0);

	/* read-only mode refuses changes */
	fd = start_server(&pid, sandbox, 1);
	struct sftp_client *c = sftp_client_new(fd, fd);
	CHECK(sftp_client_init(c) == 0);
	CHECK(sftp_mkdir(c, "newdir", 0700) < 0 && errno == EACCES);
	CHECK(sftp_open(c, "big", SSH_FXF_WRITE, NULL) == NULL);
	struct sftp_attrs a;
	CHECK(sftp_stat(c, "big", &a) == 0);
	sftp_client_free(c);
	CHECK_INT(stop_server(pid, fd), 0);

	/* the client against a server that closes: errors, no hang */
	fd = start_server(&pid, sandbox, 0);
	c = sftp_client_new(fd, fd);
	CHECK(sftp_client_init(c) == 0);
	shutdown(fd, SHUT_WR);
	CHECK(sftp_stat(c, "big", &a) < 0);
	CHECK(sftp_stat(c, "big", &a) < 0); /* broken from now on */
	sftp_client_free(c);
	CHECK_INT(stop_server(pid, fd), 0);

	sb_free(&sb);
	sb_free(&body);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/egs-sftp-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_names();
	test_wire();
	test_client_server();
	test_hostile();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return t_done();
}

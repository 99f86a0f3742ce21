/* common/eryph_xfer: the three eryph.io file-transfer requests, run over
 * temporary files and pipes in a temporary directory. */
#include "eryph_xfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "sshwire.h"
#include "strbuf.h"
#include "testlib.h"

static char tmpdir[256];

static char *P(const char *name)
{
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static void put_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || fs_write_all(fd, data, strlen(data)) < 0 || close(fd) < 0) {
		perror(path);
		exit(2);
	}
}

/* The whole file as a string ("<missing>" when it does not exist). */
static const char *get_file(const char *path)
{
	static struct strbuf sb;
	sb_reset(&sb);
	if (fs_read_file(path, &sb, 0) < 0)
		return "<missing>";
	return sb_str(&sb);
}

/* An fd to read data from: a temporary file holding it. */
static int data_fd(const char *data, size_t len)
{
	char *path = P("in.data");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fs_write_all(fd, data, len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		perror(path);
		exit(2);
	}
	unlink(path);
	return fd;
}

/* An fd to write output to; out_text() reads it back. */
static int out_fd(void)
{
	char *path = P("out.data");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	unlink(path);
	return fd;
}

static const char *out_text(int fd)
{
	static struct strbuf sb;
	sb_reset(&sb);
	char buf[4096];
	ssize_t n;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return "<error>";
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_append(&sb, buf, (size_t)n);
	return sb_str(&sb);
}

static size_t upload_payload(struct strbuf *p, const char *base, const char *path,
                             uint64_t length, int overwrite)
{
	sb_reset(p);
	sw_put_cstring(p, base);
	sw_put_cstring(p, path);
	sw_put_u32(p, (uint32_t)(length >> 32));
	sw_put_u32(p, (uint32_t)length);
	sb_putc(p, overwrite ? 1 : 0);
	return p->len;
}

static int upload(const char *base, const char *path, uint64_t length, int overwrite,
                  const char *data, struct eryph_result *res)
{
	struct strbuf p = STRBUF_INIT;
	upload_payload(&p, base, path, length, overwrite);
	int in = data_fd(data, strlen(data));
	int rc = eryph_request(ERYPH_REQ_UPLOAD, (unsigned char *)p.data, p.len, in, -1, res);
	close(in);
	sb_free(&p);
	return rc;
}

/* Runs download or list on path; returns the output text. */
static const char *path_request(const char *type, const char *path, struct eryph_result *res,
                                int *rc)
{
	struct strbuf p = STRBUF_INIT;
	sw_put_cstring(&p, path);
	int out = out_fd();
	*rc = eryph_request(type, (unsigned char *)p.data, p.len, -1, out, res);
	const char *text = out_text(out);
	close(out);
	sb_free(&p);
	return text;
}

/* Number of entries in dir whose name contains part. */
static int count_names(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strstr(de->d_name, part))
			n++;
	closedir(d);
	return n;
}

static void test_malformed(void)
{
	t_group("malformed payloads");
	struct eryph_result res;
	struct strbuf p = STRBUF_INIT;
	CHECK_INT(eryph_request(ERYPH_REQ_UPLOAD, (unsigned char *)"", 0, -1, -1, &res), -1);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	CHECK(strstr(res.message, "'basePath'") != NULL);

	size_t n = upload_payload(&p, "", P("x"), 5, 0);
	CHECK_INT(eryph_request(ERYPH_REQ_UPLOAD, (unsigned char *)p.data, n - 1, -1, -1, &res), -1);
	CHECK(strstr(res.message, "'overwrite'") != NULL);
	CHECK_INT(eryph_request(ERYPH_REQ_UPLOAD, (unsigned char *)p.data, n - 2, -1, -1, &res), -1);
	CHECK(strstr(res.message, "'length'") != NULL);
	CHECK_INT(eryph_request(ERYPH_REQ_UPLOAD, (unsigned char *)p.data, 7, -1, -1, &res), -1);
	CHECK(strstr(res.message, "'path'") != NULL);
	CHECK_STR(get_file(P("x")), "<missing>");

	/* a string length that runs past the payload */
	unsigned char bad[] = {0, 0, 0, 200, 'a'};
	CHECK_INT(eryph_request(ERYPH_REQ_DOWNLOAD, bad, sizeof(bad), -1, -1, &res), -1);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	CHECK(strstr(res.message, "'path'") != NULL);
	CHECK_INT(eryph_request(ERYPH_REQ_LIST, bad, 2, -1, -1, &res), -1);
	CHECK(strstr(res.message, "list-directory@eryph.io") != NULL);

	/* a NUL inside a path */
	sb_reset(&p);
	sw_put_string(&p, "/tmp\0x", 6);
	CHECK_INT(eryph_request(ERYPH_REQ_DOWNLOAD, (unsigned char *)p.data, p.len, -1, -1, &res), -1);
	CHECK(strstr(res.message, "NUL") != NULL);

	CHECK_INT(eryph_request("exec", (unsigned char *)p.data, p.len, -1, -1, &res), -1);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	CHECK(strstr(res.message, "exec") != NULL);
	CHECK(eryph_request_known(ERYPH_REQ_LIST));
	CHECK(!eryph_request_known("shell"));
	sb_free(&p);
}

static void test_upload(void)
{
	struct eryph_result res;
	struct stat st;

	t_group("upload single file");
	CHECK_INT(upload("", P("single.txt"), 5, 0, "hello", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(get_file(P("single.txt")), "hello");
	CHECK(stat(P("single.txt"), &st) == 0 && (st.st_mode & 07777) == 0644); /* umask 022 */
	CHECK_INT(count_names(tmpdir, "egs-upload"), 0);

	t_group("upload writes exactly length bytes");
	CHECK_INT(upload("", P("extra.txt"), 5, 0, "hello world", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(get_file(P("extra.txt")), "hello");

	t_group("upload: FileExists without overwrite");
	{
		struct strbuf p = STRBUF_INIT;
		int fds[2];
		CHECK(pipe(fds) == 0);
		CHECK(write(fds[1], "NEW!", 4) == 4);
		upload_payload(&p, "", P("single.txt"), 4, 0);
		CHECK_INT(eryph_request(ERYPH_REQ_UPLOAD, (unsigned char *)p.data, p.len, fds[0], -1,
		                        &res), 0);
		CHECK_INT(res.kind, ERYPH_STATUS);
		CHECK(res.status == ERYPH_FILE_EXISTS);
		CHECK_STR(get_file(P("single.txt")), "hello");
		char buf[8] = "";
		CHECK_INT(read(fds[0], buf, sizeof(buf)), 4); /* nothing was drained */
		close(fds[0]);
		close(fds[1]);
		sb_free(&p);
	}

	t_group("upload: overwrite keeps the mode");
	CHECK(chmod(P("single.txt"), 0600) == 0);
	CHECK_INT(upload("", P("single.txt"), 3, 1, "abc", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(get_file(P("single.txt")), "abc");
	CHECK(stat(P("single.txt"), &st) == 0 && (st.st_mode & 07777) == 0600);

	t_group("upload: length 0");
	CHECK_INT(upload("", P("empty.txt"), 0, 0, "ignored", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK(stat(P("empty.txt"), &st) == 0 && st.st_size == 0);
	CHECK_INT(upload("", P("single.txt"), 0, 1, "", &res), 0);
	CHECK_STR(get_file(P("single.txt")), "");

	t_group("upload: short stream leaves the target alone");
	put_file(P("keep.txt"), "old content");
	CHECK_INT(upload("", P("keep.txt"), 100, 1, "0123456789", &res), 0);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	CHECK_STR(res.message, "upload ended after 10 of 100 bytes");
	CHECK_STR(get_file(P("keep.txt")), "old content");
	CHECK_INT(upload("", P("short-new.txt"), 1ULL << 40, 0, "0123456789", &res), 0);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	CHECK_STR(res.message, "upload ended after 10 of 1099511627776 bytes");
	CHECK_STR(get_file(P("short-new.txt")), "<missing>");
	CHECK_INT(count_names(tmpdir, "egs-upload"), 0);

	t_group("upload: basePath + relative path creates parents");
	CHECK_INT(upload(P("tree"), "a/b/c.txt", 4, 0, "deep", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(get_file(P("tree/a/b/c.txt")), "deep");
	CHECK(stat(P("tree/a/b"), &st) == 0 && S_ISDIR(st.st_mode) &&
	      (st.st_mode & 07777) == 0755);
	CHECK_INT(upload(P("tree/"), "top.txt", 3, 0, "top", &res), 0);
	CHECK_STR(get_file(P("tree/top.txt")), "top");

	t_group("upload: .. and absolute paths are not sanitised");
	CHECK_INT(upload(P("tree/a"), "../up.txt", 2, 0, "up", &res), 0);
	CHECK_STR(get_file(P("tree/up.txt")), "up");
	CHECK_INT(upload("/nonexistent-egs-base", P("abs.txt"), 3, 0, "abs", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(get_file(P("abs.txt")), "abs");

	t_group("upload: relative path resolves against the cwd");
	char cwd[512];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(tmpdir) == 0);
	CHECK_INT(upload("", "rel.txt", 3, 0, "rel", &res), 0);
	CHECK_INT(upload("reldir", "x/y.txt", 1, 0, "y", &res), 0);
	CHECK(chdir(cwd) == 0);
	CHECK_STR(get_file(P("rel.txt")), "rel");
	CHECK_STR(get_file(P("reldir/x/y.txt")), "y");

	t_group("upload: target is a directory");
	CHECK(mkdir(P("adir"), 0755) == 0);
	CHECK_INT(upload("", P("adir"), 3, 1, "abc", &res), 0);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	char want[600];
	snprintf(want, sizeof(want), "Access to the path '%s' is denied.", P("adir"));
	CHECK_STR(res.message, want);
	CHECK_INT(upload("", P("adir"), 3, 0, "abc", &res), 0);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);

	t_group("upload: a parent is a file");
	put_file(P("plain"), "x");
	CHECK_INT(upload(P("plain"), "sub/f.txt", 1, 0, "z", &res), 0);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	CHECK(strstr(res.message, "Could not find a part of the path") != NULL);
	CHECK_INT(upload(P("plain"), "f.txt", 1, 0, "z", &res), 0);
	CHECK_INT(res.kind, ERYPH_EXCEPTION);
	snprintf(want, sizeof(want), "The file '%s' already exists.", P("plain"));
	CHECK_STR(res.message, want);

	t_group("upload: through a symlink");
	put_file(P("real.txt"), "real");
	CHECK(symlink("real.txt", P("link.txt")) == 0);
	CHECK_INT(upload("", P("link.txt"), 3, 1, "new", &res), 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(get_file(P("real.txt")), "new");
	CHECK(lstat(P("link.txt"), &st) == 0 && S_ISLNK(st.st_mode));

	if (geteuid() != 0) {
		t_group("upload: permission denied");
		CHECK(mkdir(P("ro"), 0555) == 0);
		CHECK_INT(upload(P("ro"), "f.txt", 1, 0, "z", &res), 0);
		CHECK_INT(res.kind, ERYPH_EXCEPTION);
		snprintf(want, sizeof(want), "Access to the path '%s' is denied.", P("ro/f.txt"));
		CHECK_STR(res.message, want);
		CHECK(chmod(P("ro"), 0755) == 0);
	}

	t_group("upload: large data");
	{
		size_t big = 300 * 1000 + 7;
		char *data = malloc(big + 1);
		CHECK(data != NULL);
		for (size_t i = 0; i < big; i++)
			data[i] = (char)('a' + i % 26);
		data[big] = '\0';
		CHECK_INT(upload("", P("big.bin"), big, 0, data, &res), 0);
		CHECK_INT(res.kind, ERYPH_OK);
		CHECK(strcmp(get_file(P("big.bin")), data) == 0);
		free(data);
	}
}

static void test_download(void)
{
	struct eryph_result res;
	int rc;
	t_group("download");
	put_file(P("dl.txt"), "download me");
	CHECK_STR(path_request(ERYPH_REQ_DOWNLOAD, P("dl.txt"), &res, &rc), "download me");
	CHECK_INT(rc, 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(path_request(ERYPH_REQ_DOWNLOAD, P("big.bin"), &res, &rc), get_file(P("big.bin")));
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK_STR(path_request(ERYPH_REQ_DOWNLOAD, P("empty.txt"), &res, &rc), "");
	CHECK_INT(res.kind, ERYPH_OK);

	t_group("download: FileNotFound");
	CHECK_STR(path_request(ERYPH_REQ_DOWNLOAD, P("nope.txt"), &res, &rc), "");
	CHECK_INT(rc, 0);
	CHECK_INT(res.kind, ERYPH_STATUS);
	CHECK(res.status == ERYPH_FILE_NOT_FOUND);
	path_request(ERYPH_REQ_DOWNLOAD, P("adir"), &res, &rc);
	CHECK_INT(res.kind, ERYPH_STATUS);
	CHECK(res.status == ERYPH_FILE_NOT_FOUND);
	path_request(ERYPH_REQ_DOWNLOAD, "", &res, &rc);
	CHECK(res.kind == ERYPH_STATUS && res.status == ERYPH_FILE_NOT_FOUND);

	if (geteuid() != 0) {
		t_group("download: unreadable file");
		put_file(P("secret.txt"), "s");
		CHECK(chmod(P("secret.txt"), 0) == 0);
		path_request(ERYPH_REQ_DOWNLOAD, P("secret.txt"), &res, &rc);
		CHECK_INT(res.kind, ERYPH_EXCEPTION);
		CHECK(strstr(res.message, "is denied") != NULL);
	}
}

static void set_mtime(const char *path, time_t sec, long nsec)
{
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		perror(path);
}

static void test_list(void)
{
	struct eryph_result res;
	int rc;
	char want[1024];
	const char *json;
	const time_t t0 = 1780317296; /* 2026-06-01T12:34:56Z */

	t_group("list-directory");
	CHECK(mkdir(P("ls"), 0755) == 0);
	CHECK(mkdir(P("ls/sub"), 0755) == 0);
	put_file(P("ls/f.txt"), "12345");
	put_file(P("ls/.hidden"), "hh");
	CHECK(symlink("sub", P("ls/dirlink")) == 0);
	CHECK(symlink("missing", P("ls/dangling")) == 0);
	set_mtime(P("ls/f.txt"), t0, 123456789);
	set_mtime(P("ls/.hidden"), t0, 500000000);
	set_mtime(P("ls/sub"), t0, 0);
	setenv("TZ", "UTC0", 1);
	tzset();

	/* an unnormalised path: fullPath is the normalised absolute path */
	char messy[600];
	snprintf(messy, sizeof(messy), "%s//./ls/sub/../", tmpdir);
	json = path_request(ERYPH_REQ_LIST, messy, &res, &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK(json[0] == '[' && json[strlen(json) - 1] == ']');
	snprintf(want, sizeof(want),
	         "{\"name\":\"f.txt\",\"fullPath\":\"%s\",\"isDirectory\":false,\"size\":5,"
	         "\"lastModified\":\"2026-06-01T12:34:56.1234567+00:00\"}", P("ls/f.txt"));
	CHECK(strstr(json, want) != NULL);
	snprintf(want, sizeof(want),
	         "{\"name\":\".hidden\",\"fullPath\":\"%s\",\"isDirectory\":false,\"size\":2,"
	         "\"lastModified\":\"2026-06-01T12:34:56.5+00:00\"}", P("ls/.hidden"));
	CHECK(strstr(json, want) != NULL);
	snprintf(want, sizeof(want),
	         "{\"name\":\"sub\",\"fullPath\":\"%s\",\"isDirectory\":true,\"size\":0,"
	         "\"lastModified\":\"2026-06-01T12:34:56+00:00\"}", P("ls/sub"));
	CHECK(strstr(json, want) != NULL);
	snprintf(want, sizeof(want), "{\"name\":\"dirlink\",\"fullPath\":\"%s\",\"isDirectory\":true,"
	         "\"size\":0,", P("ls/dirlink"));
	CHECK(strstr(json, want) != NULL);
	snprintf(want, sizeof(want), "{\"name\":\"dangling\",\"fullPath\":\"%s\",\"isDirectory\":false,"
	         "\"size\":7,", P("ls/dangling"));
	CHECK(strstr(json, want) != NULL);
	CHECK(strstr(json, "\"name\":\".\"") == NULL);
	CHECK(strstr(json, "\"name\":\"..\"") == NULL);
	CHECK(strstr(json, " ") == NULL); /* compact */
	int objects = 0;
	for (const char *p = json; (p = strstr(p, "\"name\":")); p++)
		objects++;
	CHECK_INT(objects, 5);

	t_group("list-directory: local time offset");
	setenv("TZ", "EST5", 1);
	tzset();
	json = path_request(ERYPH_REQ_LIST, P("ls/sub/.."), &res, &rc);
	CHECK(strstr(json, "\"lastModified\":\"2026-06-01T07:34:56.1234567-05:00\"") != NULL);
	setenv("TZ", "UTC0", 1);
	tzset();

	t_group("list-directory: empty, relative and root-level");
	json = path_request(ERYPH_REQ_LIST, P("ls/sub"), &res, &rc);
	CHECK_STR(json, "[]");
	CHECK_INT(res.kind, ERYPH_OK);
	char cwd[512];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(P("ls")) == 0);
	json = path_request(ERYPH_REQ_LIST, ".", &res, &rc);
	CHECK(chdir(cwd) == 0);
	snprintf(want, sizeof(want), "\"fullPath\":\"%s\"", P("ls/f.txt"));
	CHECK(strstr(json, want) != NULL);
	json = path_request(ERYPH_REQ_LIST, "/", &res, &rc);
	CHECK_INT(res.kind, ERYPH_OK);
	CHECK(strstr(json, "\"fullPath\":\"/tmp\"") != NULL || strstr(json, "\"fullPath\":\"/etc\"") != NULL);
	CHECK(strstr(json, "\"fullPath\":\"//") == NULL);

	t_group("list-directory: FileNotFound");
	json = path_request(ERYPH_REQ_LIST, P("nope"), &res, &rc);
	CHECK_STR(json, "");
	CHECK(res.kind == ERYPH_STATUS && res.status == ERYPH_FILE_NOT_FOUND);
	path_request(ERYPH_REQ_LIST, P("ls/f.txt"), &res, &rc);
	CHECK(res.kind == ERYPH_STATUS && res.status == ERYPH_FILE_NOT_FOUND);
	path_request(ERYPH_REQ_LIST, "", &res, &rc);
	CHECK(res.kind == ERYPH_STATUS && res.status == ERYPH_FILE_NOT_FOUND);

	if (geteuid() != 0) {
		t_group("list-directory: access denied");
		CHECK(mkdir(P("noread"), 0300) == 0);
		json = path_request(ERYPH_REQ_LIST, P("noread"), &res, &rc);
		CHECK_INT(res.kind, ERYPH_EXCEPTION);
		CHECK_STR(res.message, "Access denied");
		CHECK(chmod(P("noread"), 0755) == 0);
		/* readable but not searchable: entries cannot be stat'ed, skipped */
		put_file(P("noread/inner"), "x");
		CHECK(chmod(P("noread"), 0400) == 0);
		json = path_request(ERYPH_REQ_LIST, P("noread"), &res, &rc);
		CHECK_INT(res.kind, ERYPH_OK);
		CHECK_STR(json, "[]");
		CHECK(chmod(P("noread"), 0755) == 0);
	}
}

static void test_codec(void)
{
	struct eryph_result res, back;
	struct strbuf sb = STRBUF_INIT;

	t_group("result encode/decode");
	memset(&res, 0, sizeof(res));
	res.kind = ERYPH_OK;
	CHECK_INT(eryph_result_encode(&res, &sb), 0);
	CHECK_STR(sb_str(&sb), "ok\n");
	CHECK_INT(eryph_result_decode(sb.data, sb.len, &back), 0);
	CHECK_INT(back.kind, ERYPH_OK);

	sb_reset(&sb);
	res.kind = ERYPH_STATUS;
	res.status = ERYPH_FILE_NOT_FOUND;
	CHECK_INT(eryph_result_encode(&res, &sb), 0);
	CHECK_STR(sb_str(&sb), "status 2684485634\n");
	CHECK_INT(eryph_result_decode(sb.data, sb.len, &back), 0);
	CHECK(back.kind == ERYPH_STATUS && back.status == ERYPH_FILE_NOT_FOUND);

	sb_reset(&sb);
	res.kind = ERYPH_EXCEPTION;
	snprintf(res.message, sizeof(res.message), "two\nlines\r\nhere");
	CHECK_INT(eryph_result_encode(&res, &sb), 0);
	CHECK_STR(sb_str(&sb), "exception two lines  here\n");
	CHECK_INT(eryph_result_decode(sb.data, sb.len, &back), 0);
	CHECK_INT(back.kind, ERYPH_EXCEPTION);
	CHECK_STR(back.message, "two lines  here");

	CHECK_INT(eryph_result_decode("exception ", 10, &back), 0);
	CHECK_STR(back.message, "");
	CHECK_INT(eryph_result_decode("status 4294967295", 17, &back), 0);
	CHECK(back.status == 4294967295u);
	CHECK_INT(eryph_result_decode("status 4294967296", 17, &back), -1);
	CHECK_INT(eryph_result_decode("status 12x", 10, &back), -1);
	CHECK_INT(eryph_result_decode("status ", 7, &back), -1);
	CHECK_INT(eryph_result_decode("okay\n", 5, &back), -1);
	CHECK_INT(eryph_result_decode("", 0, &back), -1);
	CHECK_INT(eryph_result_decode("ok\nok\n", 6, &back), -1);

	char longline[2000] = "exception ";
	memset(longline + 10, 'm', sizeof(longline) - 11);
	longline[sizeof(longline) - 1] = '\0';
	CHECK_INT(eryph_result_decode(longline, strlen(longline), &back), 0);
	CHECK_INT(strlen(back.message), sizeof(back.message) - 1);
	sb_free(&sb);
}

static void cleanup(void)
{
	char cmd[640];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tmpdir, tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	umask(022);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/egs-xfer-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_malformed();
	test_upload();
	test_download();
	test_list();
	test_codec();
	cleanup();
	return t_done();
}

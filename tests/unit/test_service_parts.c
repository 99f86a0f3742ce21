/* The service's own pieces: shell selection (shellsel.c), --listen specs
 * (listen.c), SSH wire encoding (sshwire.c), the host key (hostkey.c),
 * agent.log rolling (log.c) and sd_notify (sdnotify.c). */
#include "hostkey.h"
#include "listen.h"
#include "log.h"
#include "sdnotify.h"
#include "shellsel.h"
#include "sshwire.h"
#include "strbuf.h"
#include "testlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void test_split(void)
{
	t_group("shell_split_args");
	char buf[256], *argv[8];
	int n = shell_split_args("  -a  \"b c\" d\\\"e  ", buf, sizeof(buf), argv, 8);
	CHECK_INT(n, 3);
	CHECK_STR(argv[0], "-a");
	CHECK_STR(argv[1], "b c");
	CHECK_STR(argv[2], "d\"e");
	CHECK_INT(shell_split_args("", buf, sizeof(buf), argv, 8), 0);
	CHECK_INT(shell_split_args("a b c", buf, sizeof(buf), argv, 2), -1);
	CHECK_INT(shell_split_args("abcdef", buf, 4, argv, 8), -1);
	CHECK_INT(shell_split_args("x\"\"y", buf, sizeof(buf), argv, 8), 1);
	CHECK_STR(argv[0], "xy");
}

static void test_select(void)
{
	t_group("shell_select");
	struct shell_choice c;
	struct shell_override ov = {"", ""};
	CHECK(shell_select(0, &ov, NULL, NULL, "/bin/bash", &c) == 0);
	CHECK_STR(c.path, "/bin/bash");
	CHECK_STR(c.argv[1], "-i");
	CHECK(c.argv[2] == NULL);
	CHECK_STR(c.source, "default");

	CHECK(shell_select(0, &ov, " /bin/sh ", "-x -e", "/bin/bash", &c) == 0);
	CHECK_STR(c.path, "/bin/sh");
	CHECK_STR(c.argv[1], "-x");
	CHECK_STR(c.argv[2], "-e");
	CHECK_STR(c.source, "env");
	CHECK(shell_select(0, &ov, "   ", "-x", "/bin/bash", &c) == 0);
	CHECK_STR(c.source, "default"); /* a blank env SHELL is unset */
	CHECK(shell_select(0, &ov, "sh", NULL, "/bin/bash", &c) < 0);
	CHECK(strstr(c.error, "absolute") != NULL);

	snprintf(ov.shell, sizeof(ov.shell), " /usr/bin/pwsh ");
	snprintf(ov.args, sizeof(ov.args), "-NoLogo");
	CHECK(shell_select(0, &ov, "/bin/sh", NULL, "/bin/bash", &c) == 0);
	CHECK_STR(c.path, "/usr/bin/pwsh"); /* the override beats env */
	CHECK_STR(c.argv[1], "-NoLogo");
	CHECK_STR(c.source, "override");
	CHECK(shell_select(1, &ov, NULL, NULL, "/bin/bash", &c) == 0);
	CHECK_STR(c.path, "/usr/bin/pwsh");
	ov.shell[0] = '\0';
	CHECK(shell_select(1, &ov, "/bin/bash", NULL, "/bin/bash", &c) == 0);
	CHECK_STR(c.path, "/bin/sh"); /* exec ignores env and the default shell */

	CHECK_STR(shell_exec_flag("/bin/bash"), "-c");
	CHECK_STR(shell_exec_flag("/usr/bin/pwsh"), "-Command");
	CHECK_STR(shell_exec_flag("/opt/PowerShell.exe"), "-Command");
	CHECK_STR(shell_exec_flag("C:/Windows/System32/CMD.EXE"), "/c");
	CHECK_STR(shell_exec_flag("sh"), "-c");
}

static void test_listen(void)
{
	t_group("listen_parse");
	struct listen_spec ls;
	struct strbuf err = STRBUF_INIT;
	CHECK(listen_parse("vsock:5002", &ls, &err) == 0 && ls.kind == LISTEN_VSOCK && ls.port == 5002);
	CHECK(listen_parse("unix:/run/egs.sock", &ls, &err) == 0 && ls.kind == LISTEN_UNIX);
	CHECK_STR(ls.path, "/run/egs.sock");
	CHECK(listen_parse("tcp:127.0.0.1:2222", &ls, &err) == 0 && ls.kind == LISTEN_TCP);
	CHECK_STR(ls.host, "127.0.0.1");
	CHECK_INT(ls.port, 2222);
	CHECK(listen_parse("tcp:[::1]:22", &ls, &err) == 0);
	CHECK_STR(ls.host, "::1");
	const char *bad[] = {"vsock:", "vsock:x", "tcp:host", "tcp::22", "tcp:h:0", "tcp:h:70000",
	                     "unix:", "udp:1", "5002", NULL};
	for (int i = 0; bad[i]; i++) {
		sb_reset(&err);
		CHECK(listen_parse(bad[i], &ls, &err) < 0);
		CHECK(strstr(sb_str(&err), bad[i]) != NULL); /* the message names the spec */
	}
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	memcpy(longpath, "unix:", 5);
	CHECK(listen_parse(longpath, &ls, &err) < 0);

	/* a unix listener replaces a stale socket but never another file */
	char dir[] = "/tmp/egs-listen-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char spec[160], path[128];
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(spec, sizeof(spec), "unix:%s", path);
	CHECK(listen_parse(spec, &ls, &err) == 0);
	int fd = listen_open(&ls, &err);
	CHECK(fd >= 0);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 077) == 0);
	close(fd);
	fd = listen_open(&ls, &err);
	CHECK(fd >= 0); /* the stale socket was replaced */
	close(fd);
	unlink(path);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	sb_reset(&err);
	CHECK(listen_open(&ls, &err) < 0);
	CHECK(strstr(sb_str(&err), "not a socket") != NULL);
	unlink(path);
	rmdir(dir);
	sb_free(&err);
}

static void test_sshwire(void)
{
	t_group("sshwire");
	struct strbuf b = STRBUF_INIT;
	unsigned char big[] = {0x80, 0x01}, lead0[] = {0x00, 0x00, 0x7f};
	CHECK(sw_put_u32(&b, 0x01020304) == 0);
	CHECK(sw_put_cstring(&b, "ab") == 0);
	CHECK(sw_put_mpint(&b, big, 2) == 0);
	CHECK(sw_put_mpint(&b, lead0, 3) == 0);
	const unsigned char want[] = {1, 2, 3, 4, 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 3, 0, 0x80, 1,
	                              0, 0, 0, 1, 0x7f};
	CHECK_INT(b.len, sizeof(want));
	CHECK(memcmp(b.data, want, sizeof(want)) == 0);

	struct sw_reader r;
	uint32_t v;
	const unsigned char *s;
	size_t n;
	sw_reader_init(&r, b.data, b.len);
	CHECK(sw_get_u32(&r, &v) == 0 && v == 0x01020304);
	CHECK(sw_get_string(&r, &s, &n) == 0 && n == 2 && memcmp(s, "ab", 2) == 0);
	CHECK(sw_get_string(&r, &s, &n) == 0 && n == 3);
	CHECK(sw_get_string(&r, &s, &n) == 0 && n == 1);
	CHECK(sw_get_u32(&r, &v) < 0); /* out of data */
	CHECK(sw_get_string(&r, &s, &n) < 0 && r.bad);
	const unsigned char lie[] = {0, 0, 0, 9, 'x'};
	sw_reader_init(&r, lie, sizeof(lie));
	CHECK(sw_get_string(&r, &s, &n) < 0); /* a length beyond the data */
	sb_free(&b);
}

static void test_hostkey(void)
{
	t_group("hostkey");
	struct hostkey a = {0}, b = {0};
	struct strbuf pem = STRBUF_INIT;
	CHECK(hostkey_generate(&a) == 0);
	CHECK(hostkey_to_pem(&a, &pem) == 0);
	CHECK(strncmp(sb_str(&pem), "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	CHECK(hostkey_parse_pem(pem.data, pem.len, &b) == 0);
	CHECK(memcmp(a.d, b.d, sizeof(a.d)) == 0);
	CHECK(memcmp(a.q, b.q, sizeof(a.q)) == 0);
	CHECK(a.wire_pub.len == b.wire_pub.len && memcmp(a.wire_pub.data, b.wire_pub.data, a.wire_pub.len) == 0);
	CHECK(a.q[0] == 0x04);
	CHECK(hostkey_parse_pem("garbage", 7, &b) < 0);
	const char *rsa = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	CHECK(hostkey_parse_pem(rsa, strlen(rsa), &b) < 0);

	/* the file rules: created 0600 in a 0700 dir, then loaded unchanged */
	char dir[] = "/tmp/egs-hostkey-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct strbuf err = STRBUF_INIT;
	struct hostkey c = {0}, d = {0};
	int created;
	CHECK(hostkey_load_or_create(dir, &c, &created, &err) == 0 && created);
	CHECK(hostkey_load_or_create(dir, &d, &created, &err) == 0 && !created);
	CHECK(memcmp(c.d, d.d, sizeof(c.d)) == 0);
	char priv[128];
	snprintf(priv, sizeof(priv), "%s/private", dir);
	struct stat st;
	CHECK(stat(priv, &st) == 0 && (st.st_mode & 07777) == 0700);
	chmod(priv, 0755);
	hostkey_free(&d);
	CHECK(hostkey_load_or_create(dir, &d, &created, &err) == 0 && created);
	CHECK(memcmp(c.d, d.d, sizeof(c.d)) != 0); /* an exposed key is replaced */
	CHECK(stat(priv, &st) == 0 && (st.st_mode & 07777) == 0700);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	hostkey_free(&a);
	hostkey_free(&b);
	hostkey_free(&c);
	hostkey_free(&d);
	sb_free(&pem);
	sb_free(&err);
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_log(void)
{
	t_group("log");
	char dir[] = "/tmp/egs-log-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128], rolled[128];
	snprintf(path, sizeof(path), "%s/agent.log", dir);
	CHECK(log_open(path, 0, LOG_INF) == 0);
	log_msg(LOG_DBG, "egs.test", "below the level");
	log_msg(LOG_WRN, "egs.test", "hello %d", 42);
	struct strbuf text = STRBUF_INIT;
	FILE *f = fopen(path, "r");
	char line[256] = "";
	CHECK(f && fgets(line, sizeof(line), f));
	if (f)
		fclose(f);
	/* 2026-06-01 12:34:56.789 +00:00 [WRN] egs.test hello 42 */
	CHECK(strlen(line) > 30 && line[4] == '-' && line[10] == ' ' && line[19] == '.' &&
	      (line[24] == '+' || line[24] == '-'));
	CHECK(strstr(line, " [WRN] egs.test hello 42\n") != NULL);
	char filler[1000];
	memset(filler, 'x', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\0';
	for (int i = 0; i < 7 * 5600; i++) /* ~37 MiB: more than 5 files of 5 MiB */
		log_msg(LOG_INF, "egs.test", "%s", filler);
	log_close();
	snprintf(rolled, sizeof(rolled), "%s/agent_001.log", dir);
	struct stat st;
	CHECK(stat(rolled, &st) == 0 && st.st_size >= LOG_ROLL_BYTES);
	CHECK(stat(path, &st) == 0 && st.st_size < LOG_ROLL_BYTES + 2000);
	CHECK_INT(count_files(dir), LOG_KEEP_FILES);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	sb_free(&text);
	log_open(NULL, 1, LOG_INF);
}

static void test_sdnotify(void)
{
	t_group("sd_notify");
	unsetenv("NOTIFY_SOCKET");
	CHECK_INT(sd_notify_send("READY=1"), 0);
	char path[] = "/tmp/egs-notify-XXXXXX";
	int tmp = mkstemp(path);
	CHECK(tmp >= 0);
	close(tmp);
	unlink(path);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	setenv("NOTIFY_SOCKET", path, 1);
	CHECK_INT(sd_notify_send("READY=1"), 1);
	char buf[32] = "";
	ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);
	CHECK(n == 7 && memcmp(buf, "READY=1", 7) == 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHECK_INT(sd_notify_send("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
	close(s);
	unlink(path);
}

int main(void)
{
	test_split();
	test_select();
	test_listen();
	test_sshwire();
	test_hostkey();
	test_log();
	test_sdnotify();
	return t_done();
}

/* common/transport.c: the target grammar, the vsock-mux handshake, the
 * relay and fd passing. Only unix sockets and pipes: never AF_VSOCK. */
#include "transport.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[512];

/* Parses text (+port) and returns the canonical text, or "ERR" on error. */
static const char *canon(const char *text, const char *port, struct transport_target *t)
{
	static char buf[300];
	if (transport_parse(text, port, t, err, sizeof(err)) < 0)
		return "ERR";
	transport_format(t, buf, sizeof(buf));
	return buf;
}

static void test_parse_ok(void)
{
	t_group("parse ok");
	struct transport_target t;
	CHECK_STR(canon("vsock/3", NULL, &t), "vsock/3");
	CHECK_INT(t.kind, TRANSPORT_VSOCK);
	CHECK_INT(t.cid, 3);
	CHECK_INT(t.port, 5002);
	CHECK_STR(canon("vsock%42", "22", &t), "vsock/42");
	CHECK_INT(t.port, 22);
	CHECK_STR(canon("vsock/host", NULL, &t), "vsock/2");
	CHECK_STR(canon("vsock/hypervisor", NULL, &t), "vsock/0");
	CHECK_STR(canon("vsock/local", NULL, &t), "vsock/1");
	CHECK_STR(canon("vsock/4294967294", NULL, &t), "vsock/4294967294");
	CHECK_STR(canon("vsock/0", "4294967294", &t), "vsock/0");
	CHECK_INT(t.port, 4294967294u);

	CHECK_STR(canon("unix/run/vm.sock", NULL, &t), "unix/run/vm.sock");
	CHECK_INT(t.kind, TRANSPORT_UNIX);
	CHECK_STR(t.path, "/run/vm.sock");
	CHECK_STR(canon("unix//run/vm.sock", NULL, &t), "unix/run/vm.sock");
	CHECK_STR(t.path, "/run/vm.sock");
	CHECK_STR(canon("unix%tmp/a b", "22", &t), "unix/tmp/a b");
	CHECK_STR(t.path, "/tmp/a b");
	CHECK_STR(canon("unix/./rel.sock", NULL, &t), "unix/./rel.sock");
	CHECK_STR(t.path, "./rel.sock");

	CHECK_STR(canon("vsock-mux/run/fc.vsock", NULL, &t), "vsock-mux/run/fc.vsock");
	CHECK_INT(t.kind, TRANSPORT_VSOCK_MUX);
	CHECK_STR(t.path, "/run/fc.vsock");
	CHECK_INT(t.port, 5002);
	CHECK_STR(canon("vsock-mux%/run/fc.vsock", "1024", &t), "vsock-mux/run/fc.vsock");
	CHECK_INT(t.port, 1024);

	CHECK_STR(canon("tcp/127.0.0.1:2222", NULL, &t), "tcp/127.0.0.1:2222");
	CHECK_INT(t.kind, TRANSPORT_TCP);
	CHECK_STR(t.host, "127.0.0.1");
	CHECK_INT(t.port, 2222);
	CHECK_STR(canon("tcp/127.0.0.1:2222", "22", &t), "tcp/127.0.0.1:2222"); /* target wins */
	CHECK_STR(canon("tcp/localhost", NULL, &t), "tcp/localhost:5002");
	CHECK_STR(canon("tcp%localhost", "2200", &t), "tcp/localhost:2200");
	CHECK_STR(canon("tcp/[::1]:22", NULL, &t), "tcp/[::1]:22");
	CHECK_STR(t.host, "::1");
	CHECK_STR(canon("tcp/[::1]", NULL, &t), "tcp/[::1]:5002");
	CHECK_STR(canon("tcp/::1", NULL, &t), "tcp/[::1]:5002");

	CHECK_STR(canon("6F1F2F3A-1111-2222-3333-444455556666.hyper-v.alt", NULL, &t),
	          "6f1f2f3a-1111-2222-3333-444455556666.hyper-v.alt");
	CHECK_INT(t.kind, TRANSPORT_HYPERV);
	CHECK_STR(canon("6f1f2f3a-1111-2222-3333-444455556666", NULL, &t),
	          "6f1f2f3a-1111-2222-3333-444455556666.hyper-v.alt");

	CHECK(transport_is_local(&(struct transport_target){.kind = TRANSPORT_VSOCK}));
	CHECK(transport_is_local(&(struct transport_target){.kind = TRANSPORT_UNIX}));
	CHECK(transport_is_local(&(struct transport_target){.kind = TRANSPORT_VSOCK_MUX}));
	CHECK(!transport_is_local(&(struct transport_target){.kind = TRANSPORT_TCP}));
	CHECK(!transport_is_local(&(struct transport_target){.kind = TRANSPORT_HYPERV}));
	CHECK_STR(transport_kind_name(TRANSPORT_VSOCK_MUX), "vsock-mux");
}

/* Each bad target fails with a message containing want. */
static void bad(const char *text, const char *port, const char *want, int line)
{
	struct transport_target t;
	err[0] = '\0';
	int rc = transport_parse(text, port, &t, err, sizeof(err));
	t_check(rc < 0, __FILE__, line, text);
	t_check(strstr(err, want) != NULL, __FILE__, line, err);
}
#define BAD(text, port, want) bad(text, port, want, __LINE__)

static void test_parse_bad(void)
{
	t_group("parse bad");
	BAD("", NULL, "empty");
	BAD(NULL, NULL, "empty");
	BAD("vsock", NULL, "don't know");
	BAD("vsock/", NULL, "invalid vsock CID");
	BAD("vsock/x", NULL, "invalid vsock CID 'x'");
	BAD("vsock/-1", NULL, "invalid vsock CID");
	BAD("vsock/+3", NULL, "invalid vsock CID");
	BAD("vsock/ 3", NULL, "invalid vsock CID");
	BAD("vsock/3 ", NULL, "invalid vsock CID");
	BAD("vsock/4294967295", NULL, "invalid vsock CID"); /* VMADDR_CID_ANY */
	BAD("vsock/4294967296", NULL, "invalid vsock CID");
	BAD("vsock/99999999999", NULL, "invalid vsock CID");
	BAD("vsock/Host", NULL, "invalid vsock CID");
	BAD("vsock/3", "", "invalid vsock port");
	BAD("vsock/3", "x", "invalid vsock port 'x'");
	BAD("vsock/3", "-1", "invalid vsock port");
	BAD("vsock/3", "4294967295", "invalid vsock port");
	BAD("vsock:3", NULL, "don't know how to reach 'vsock:3'");
	BAD("VSOCK/3", NULL, "don't know");
	BAD("vsockmux/x", NULL, "don't know");
	BAD("unix/", NULL, "needs a socket path");
	BAD("unix%", NULL, "needs a socket path");
	BAD("vsock-mux/", NULL, "needs a socket path");
	BAD("vsock-mux/x", "nope", "invalid vsock port");
	char longp[200];
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, "unix/", 5);
	longp[5 + 107] = '\0'; /* 107 chars + the added '/' = 108: too long */
	BAD(longp, NULL, "too long");
	longp[5 + 106] = '\0'; /* 107 with '/': fits */
	struct transport_target t;
	CHECK(transport_parse(longp, NULL, &t, err, sizeof(err)) == 0);
	BAD("tcp/", NULL, "needs a host");
	BAD("tcp/:22", NULL, "needs a host");
	BAD("tcp/host:", NULL, "invalid tcp port ''");
	BAD("tcp/host:0", NULL, "invalid tcp port");
	BAD("tcp/host:65536", NULL, "invalid tcp port");
	BAD("tcp/host:22x", NULL, "invalid tcp port");
	BAD("tcp/host", "70000", "invalid tcp port");
	BAD("tcp/[::1", NULL, "invalid tcp target");
	BAD("tcp/[::1]x", NULL, "invalid tcp target");
	BAD("tcp/[]:22", NULL, "needs a host");
	BAD("tcp/a b:22", NULL, "invalid tcp host");
	BAD("myvm", NULL, "don't know how to reach 'myvm'");
	BAD("6f1f2f3a-1111-2222-3333-44445555666.hyper-v.alt", NULL, "don't know");
	BAD("6f1f2f3a-1111-2222-3333-44445555666g.hyper-v.alt", NULL, "don't know");
	BAD("x.hyper-v.alt", NULL, "don't know");
	/* messages fit small buffers without overflow */
	char tiny[8];
	CHECK(transport_parse("bogus-target", NULL, &t, tiny, sizeof(tiny)) < 0);
	CHECK_INT(strlen(tiny), 7);
	CHECK(transport_parse("bogus", NULL, &t, NULL, 0) < 0);
}

static void test_roundtrip(void)
{
	t_group("format round trip");
	const char *texts[] = {"vsock/7", "unix/run/a.sock", "unix/./b", "vsock-mux/x/y",
	                       "tcp/127.0.0.1:1", "tcp/[fe80::1]:65535"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct transport_target a, b;
		char buf[300];
		CHECK(transport_parse(texts[i], NULL, &a, err, sizeof(err)) == 0);
		CHECK_INT(transport_format(&a, buf, sizeof(buf)), strlen(texts[i]));
		CHECK_STR(buf, texts[i]);
		CHECK(transport_parse(buf, NULL, &b, err, sizeof(err)) == 0);
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
	struct transport_target a;
	char small[6];
	CHECK(transport_parse("unix/run/a.sock", NULL, &a, err, sizeof(err)) == 0);
	CHECK_INT(transport_format(&a, small, sizeof(small)), 15);
	CHECK_STR(small, "unix/");
}

/* Feeds reply into one end of a socketpair, runs the handshake on the
 * other; returns its result, leaves the CONNECT line in sent. */
static int mux(const char *reply, int close_after, int timeout_ms, char *sent, size_t sentlen,
               char *rest, size_t restlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -99;
	if (reply && write(sv[1], reply, strlen(reply)) != (ssize_t)strlen(reply))
		return -98;
	if (close_after)
		shutdown(sv[1], SHUT_WR);
	int rc = transport_mux_handshake(sv[0], 1234, timeout_ms, err, sizeof(err));
	ssize_t n = read(sv[1], sent, sentlen - 1);
	sent[n > 0 ? n : 0] = '\0';
	rest[0] = '\0';
	if (rc == 0) {
		/* whatever followed the OK line is still in the socket */
		shutdown(sv[1], SHUT_WR);
		n = read(sv[0], rest, restlen - 1);
		rest[n > 0 ? n : 0] = '\0';
	}
	close(sv[0]);
	close(sv[1]);
	return rc;
}

static void test_mux(void)
{
	t_group("vsock-mux handshake");
	char sent[64], rest[64];
	CHECK_INT(mux("OK 1073741824\nSSH-2.0-x\r\n", 0, 1000, sent, sizeof(sent), rest, sizeof(rest)), 0);
	CHECK_STR(sent, "CONNECT 1234\n");
	CHECK_STR(rest, "SSH-2.0-x\r\n");
	CHECK_INT(mux("OK 5\n", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)), 0);
	CHECK_STR(rest, "");
	CHECK(mux("OK\n", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "unexpected reply") != NULL);
	CHECK(mux("OK \n", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(mux("OK 12a\n", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "\"OK 12a\"") != NULL);
	CHECK(mux("ok 1\n", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(mux("SSH-2.0-direct\r\n", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "unexpected reply to CONNECT 1234: \"S\"") != NULL);
	CHECK(mux("\x01\xff", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "\\x01") != NULL);
	CHECK(mux("OK 123456789012345678901234567890\n", 1, 1000, sent, sizeof(sent), rest,
	          sizeof(rest)) < 0);
	CHECK(mux(NULL, 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "connection closed before OK") != NULL);
	CHECK_INT(errno, ECONNREFUSED);
	CHECK(mux("OK 1", 1, 1000, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "closed after \"OK 1\"") != NULL);
	CHECK(mux(NULL, 0, 200, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK(strstr(err, "no \"OK\" reply to CONNECT 1234 within 1 s") != NULL);
	CHECK_INT(errno, ETIMEDOUT);
	CHECK(mux("OK 1", 0, 200, sent, sizeof(sent), rest, sizeof(rest)) < 0);
	CHECK_INT(errno, ETIMEDOUT);
}

static void test_connect_errors(void)
{
	t_group("connect errors");
	struct transport_target t;
	CHECK(transport_parse("unix/tmp/egs-test-no-such.sock", NULL, &t, err, sizeof(err)) == 0);
	CHECK(transport_connect(&t, 1000, err, sizeof(err)) < 0);
	CHECK_STR(err, "cannot connect to unix/tmp/egs-test-no-such.sock: No such file or directory "
	               "(no such socket: is the VM running?)");
	CHECK(transport_parse("6f1f2f3a-1111-2222-3333-444455556666.hyper-v.alt", NULL, &t, err,
	                      sizeof(err)) == 0);
	CHECK(transport_connect(&t, 1000, err, sizeof(err)) < 0);
	CHECK(strstr(err, "Hyper-V host side needs Windows") != NULL);
	/* a unix socket with nobody listening: refused */
	char path[] = "/tmp/egs-test-refused.XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	strcpy(sun.sun_path, path);
	CHECK(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	close(s); /* bound but never listening */
	char text[200];
	snprintf(text, sizeof(text), "unix%s", path);
	CHECK(transport_parse(text, NULL, &t, err, sizeof(err)) == 0);
	CHECK(transport_connect(&t, 1000, err, sizeof(err)) < 0);
	CHECK(strstr(err, "Connection refused (is egs service running in the guest?)") != NULL);
	unlink(path);
	/* tcp to a closed loopback port */
	s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	socklen_t sl = sizeof(sin);
	CHECK(getsockname(s, (struct sockaddr *)&sin, &sl) == 0);
	close(s);
	snprintf(text, sizeof(text), "tcp/127.0.0.1:%u", ntohs(sin.sin_port));
	CHECK(transport_parse(text, NULL, &t, err, sizeof(err)) == 0);
	CHECK(transport_connect(&t, 1000, err, sizeof(err)) < 0);
	CHECK(strstr(err, "Connection refused") != NULL);
}

static void test_relay_and_fdpass(void)
{
	t_group("relay + fdpass");
	signal(SIGPIPE, SIG_IGN);
	/* in: pipe; out: pipe; sock: socketpair whose far end echoes */
	int in[2], out[2], sp[2];
	CHECK(pipe(in) == 0 && pipe(out) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	pid_t echo = fork();
	if (echo == 0) {
		close(sp[0]);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		char buf[4096];
		ssize_t n;
		while ((n = read(sp[1], buf, sizeof(buf))) > 0)
			if (write(sp[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(0); /* EOF from the relay's shutdown: close ours too */
	}
	close(sp[1]);
	pid_t relay = fork();
	if (relay == 0) {
		close(in[1]);
		close(out[0]);
		_exit(transport_relay(in[0], out[1], sp[0]) == 0 ? 0 : 1);
	}
	close(in[0]);
	close(out[1]);
	close(sp[0]);
	/* 1 MiB through the relay and back */
	size_t total = 1 << 20, got = 0;
	char *data = malloc(total), *back = malloc(total);
	for (size_t i = 0; i < total; i++)
		data[i] = (char)(i * 7 + (i >> 10));
	pid_t writer = fork();
	if (writer == 0) {
		close(out[0]);
		size_t off = 0;
		while (off < total) {
			ssize_t n = write(in[1], data + off, total - off);
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	close(in[1]); /* the writer child holds the only write end */
	ssize_t n;
	while (got < total && (n = read(out[0], back + got, total - got)) > 0)
		got += (size_t)n;
	CHECK_INT(got, total);
	CHECK(memcmp(data, back, total) == 0);
	/* after the writer's EOF, the echo side closes and the relay ends */
	char extra;
	CHECK_INT(read(out[0], &extra, 1), 0);
	int st;
	CHECK(waitpid(writer, &st, 0) == writer && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(waitpid(relay, &st, 0) == relay && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(waitpid(echo, &st, 0) == echo && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(out[0]);
	free(data);
	free(back);

	/* fd passing over a socketpair, with OpenSSH's one data byte */
	int via[2], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, via) == 0);
	CHECK(pipe(p) == 0);
	CHECK(transport_is_unix_socket(via[0]));
	CHECK(!transport_is_unix_socket(p[0]));
	CHECK(!transport_is_unix_socket(-1));
	CHECK(transport_send_fd(via[0], p[1]) == 0);
	int fd = transport_recv_fd(via[1]);
	CHECK(fd >= 0);
	CHECK(write(fd, "hi", 2) == 2);
	char buf[3] = "";
	CHECK(read(p[0], buf, 2) == 2);
	CHECK_STR(buf, "hi");
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* plain data without a descriptor is refused */
	CHECK(write(via[0], "x", 1) == 1);
	CHECK(transport_recv_fd(via[1]) < 0 && errno == EBADMSG);
	close(via[0]);
	close(via[1]);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	test_parse_ok();
	test_parse_bad();
	test_roundtrip();
	test_mux();
	test_connect_errors();
	test_relay_and_fdpass();
	return t_done();
}

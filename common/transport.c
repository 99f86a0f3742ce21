#include "transport.h"
#include "errbuf.h"

#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- parsing -------------------------------------------------------- */

/* The rest after "prefix/" or "prefix%", else NULL. */
static const char *after_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0 || (s[n] != '/' && s[n] != '%'))
		return NULL;
	return s + n + 1;
}

/* Strict decimal u32 (no sign, no spaces, no leading '+'). */
static int parse_u32(const char *s, uint32_t *out)
{
	if (!*s || strlen(s) > 10)
		return -1;
	unsigned long long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 0xFFFFFFFFull)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int is_hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* 8-4-4-4-12 hex digits, exactly len 36. */
static int is_guid(const char *s, size_t len)
{
	static const size_t runs[] = {8, 4, 4, 4, 12};
	if (len != 36)
		return 0;
	for (size_t i = 0, pos = 0; i < 5; i++) {
		if (!is_hex_run(s + pos, runs[i]))
			return 0;
		pos += runs[i];
		if (i < 4 && s[pos++] != '-')
			return 0;
	}
	return 1;
}

static int parse_path(const char *rest, const char *what, struct transport_target *t,
                      char *err, size_t errlen)
{
	if (!*rest) {
		errbuf_set(err, errlen, "%s target needs a socket path", what);
		return -1;
	}
	int prefixed = !(rest[0] == '/' || strncmp(rest, "./", 2) == 0);
	if (strlen(rest) + (size_t)prefixed >= sizeof(t->path)) {
		errbuf_set(err, errlen, "%s socket path is too long (at most %zu bytes)", what,
		        sizeof(t->path) - 1);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s%s", prefixed ? "/" : "", rest);
	return 0;
}

static int parse_port(const char *s, int tcp, uint32_t *port, char *err, size_t errlen)
{
	uint32_t v;
	if (parse_u32(s, &v) < 0 || (tcp && (v == 0 || v > 65535)) ||
	    (!tcp && v == EGS_VMADDR_PORT_ANY)) {
		errbuf_set(err, errlen, "invalid %s port '%s'", tcp ? "tcp" : "vsock", s);
		return -1;
	}
	*port = v;
	return 0;
}

static int parse_cid(const char *s, uint32_t *cid, char *err, size_t errlen)
{
	if (strcmp(s, "hypervisor") == 0)
		*cid = EGS_VMADDR_CID_HYPERVISOR;
	else if (strcmp(s, "local") == 0)
		*cid = EGS_VMADDR_CID_LOCAL;
	else if (strcmp(s, "host") == 0)
		*cid = EGS_VMADDR_CID_HOST;
	else if (parse_u32(s, cid) < 0 || *cid == EGS_VMADDR_CID_ANY) {
		errbuf_set(err, errlen,
		        "invalid vsock CID '%s' (a number, or host, hypervisor, local)", s);
		return -1;
	}
	return 0;
}

static int parse_tcp(const char *rest, struct transport_target *t, char *err, size_t errlen)
{
	const char *host = rest, *port = NULL;
	size_t hostlen;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (!close || (close[1] && close[1] != ':')) {
			errbuf_set(err, errlen, "invalid tcp target '%s' (use tcp/[ADDR]:PORT)", rest);
			return -1;
		}
		host = rest + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else {
		const char *colon = strrchr(rest, ':');
		/* one colon separates the port; more mean a bare IPv6 address */
		if (colon && colon == strchr(rest, ':')) {
			hostlen = (size_t)(colon - rest);
			port = colon + 1;
		} else {
			hostlen = strlen(rest);
		}
	}
	if (hostlen == 0) {
		errbuf_set(err, errlen, "tcp target needs a host (tcp/HOST:PORT)");
		return -1;
	}
	if (hostlen >= sizeof(t->host)) {
		errbuf_set(err, errlen, "tcp host name is too long");
		return -1;
	}
	for (size_t i = 0; i < hostlen; i++) {
		unsigned char c = (unsigned char)host[i];
		if (c <= ' ' || c == 0x7f || c == '/' || c == '[' || c == ']') {
			errbuf_set(err, errlen, "invalid tcp host in '%s'", rest);
			return -1;
		}
	}
	memcpy(t->host, host, hostlen);
	t->host[hostlen] = '\0';
	if (port && parse_port(port, 1, &t->port, err, errlen) < 0)
		return -1;
	return 0;
}

int transport_parse(const char *text, const char *port_arg, struct transport_target *t,
                    char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->port = TRANSPORT_DEFAULT_PORT;
	if (!text || !*text) {
		errbuf_set(err, errlen, "empty target");
		return -1;
	}
	const char *rest;
	size_t len = strlen(text);
	static const char hv_suffix[] = ".hyper-v.alt";
	size_t hvl = sizeof(hv_suffix) - 1;

	if ((rest = after_prefix(text, "vsock"))) {
		t->kind = TRANSPORT_VSOCK;
		if (parse_cid(rest, &t->cid, err, errlen) < 0)
			return -1;
	} else if ((rest = after_prefix(text, "vsock-mux"))) {
		t->kind = TRANSPORT_VSOCK_MUX;
		if (parse_path(rest, "vsock-mux", t, err, errlen) < 0)
			return -1;
	} else if ((rest = after_prefix(text, "unix"))) {
		t->kind = TRANSPORT_UNIX;
		if (parse_path(rest, "unix", t, err, errlen) < 0)
			return -1;
	} else if ((rest = after_prefix(text, "tcp"))) {
		t->kind = TRANSPORT_TCP;
		if (port_arg && parse_port(port_arg, 1, &t->port, err, errlen) < 0)
			return -1;
		return parse_tcp(rest, t, err, errlen);
	} else if ((len > hvl && strcasecmp(text + len - hvl, hv_suffix) == 0 &&
	            is_guid(text, len - hvl)) ||
	           is_guid(text, len)) {
		t->kind = TRANSPORT_HYPERV;
		size_t n = len > 36 ? 36 : len;
		memcpy(t->host, text, n);
		t->host[n] = '\0';
		for (char *p = t->host; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		return 0;
	} else {
		errbuf_set(err, errlen,
		        "don't know how to reach '%s': use vsock/CID, vsock-mux/PATH, "
		        "unix/PATH or tcp/HOST:PORT", text);
		return -1;
	}
	if (port_arg && t->kind != TRANSPORT_UNIX &&
	    parse_port(port_arg, 0, &t->port, err, errlen) < 0)
		return -1;
	return 0;
}

const char *transport_kind_name(enum transport_kind kind)
{
	switch (kind) {
	case TRANSPORT_VSOCK: return "vsock";
	case TRANSPORT_VSOCK_MUX: return "vsock-mux";
	case TRANSPORT_UNIX: return "unix";
	case TRANSPORT_TCP: return "tcp";
	case TRANSPORT_HYPERV: return "hyper-v";
	}
	return "?";
}

int transport_is_local(const struct transport_target *t)
{
	return t->kind == TRANSPORT_VSOCK || t->kind == TRANSPORT_VSOCK_MUX ||
	       t->kind == TRANSPORT_UNIX;
}

size_t transport_format(const struct transport_target *t, char *buf, size_t len)
{
	int n = 0;
	const char *kind = transport_kind_name(t->kind);
	switch (t->kind) {
	case TRANSPORT_VSOCK:
		n = snprintf(buf, len, "vsock/%u", (unsigned)t->cid);
		break;
	case TRANSPORT_VSOCK_MUX:
	case TRANSPORT_UNIX:
		/* "/run/x" -> "unix/run/x"; "./x" stays "unix/./x" */
		n = snprintf(buf, len, "%s/%s", kind, t->path[0] == '/' ? t->path + 1 : t->path);
		break;
	case TRANSPORT_TCP:
		n = snprintf(buf, len, strchr(t->host, ':') ? "tcp/[%s]:%u" : "tcp/%s:%u", t->host,
		             (unsigned)t->port);
		break;
	case TRANSPORT_HYPERV:
		n = snprintf(buf, len, "%s.hyper-v.alt", t->host);
		break;
	}
	return n < 0 ? 0 : (size_t)n;
}

/* ---- connecting ----------------------------------------------------- */

static void describe(const struct transport_target *t, char *buf, size_t len)
{
	char text[sizeof(t->path) + 32];
	transport_format(t, text, sizeof(text));
	if (t->kind == TRANSPORT_VSOCK || t->kind == TRANSPORT_VSOCK_MUX)
		snprintf(buf, len, "%s port %u", text, (unsigned)t->port);
	else
		snprintf(buf, len, "%s", text);
}

static const char *hint_for(const struct transport_target *t, int e)
{
	if (t->kind == TRANSPORT_VSOCK &&
	    (e == ENODEV || e == EAFNOSUPPORT || e == ESOCKTNOSUPPORT || e == EPROTONOSUPPORT))
		return "vsock not available on this host: load vhost_vsock";
	if (e == ECONNREFUSED || (t->kind == TRANSPORT_VSOCK && e == ECONNRESET))
		return "is egs service running in the guest?";
	if (e == ENOENT)
		return "no such socket: is the VM running?";
	if (e == ETIMEDOUT)
		return "is the VM running?";
	return NULL;
}

static int connect_failed(const struct transport_target *t, int fd, int e, const char *what,
                          char *err, size_t errlen)
{
	char desc[sizeof(t->path) + 64];
	describe(t, desc, sizeof(desc));
	const char *hint = hint_for(t, e);
	errbuf_set(err, errlen, "cannot connect to %s: %s%s%s%s%s%s", desc, what ? what : "",
	        what ? ": " : "", strerror(e), hint ? " (" : "", hint ? hint : "",
	        hint ? ")" : "");
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/* connect() bounded by SO_SNDTIMEO, which Linux applies to blocking
 * connects of unix and tcp sockets (vsock has its own 2 s default). */
static int connect_timed(int fd, const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
	struct timeval tv = {0, 0};
	if (timeout_ms > 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return -1;
	}
	int rc;
	do
		rc = connect(fd, sa, salen);
	while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		if (errno == EINPROGRESS || errno == EAGAIN)
			errno = ETIMEDOUT;
		return -1;
	}
	if (timeout_ms > 0) {
		tv.tv_sec = tv.tv_usec = 0;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return -1;
	}
	return 0;
}

static int connect_unix(const struct transport_target *t, int timeout_ms, char *err,
                        size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return connect_failed(t, -1, errno, "socket", err, errlen);
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, t->path, strlen(t->path) + 1);
	if (connect_timed(fd, (struct sockaddr *)&sun, sizeof(sun), timeout_ms) < 0)
		return connect_failed(t, fd, errno, NULL, err, errlen);
	return fd;
}

static int connect_vsock(const struct transport_target *t, int timeout_ms, char *err,
                         size_t errlen)
{
	int fd = socket(EGS_AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return connect_failed(t, -1, errno, "socket", err, errlen);
	struct egs_sockaddr_vm svm;
	memset(&svm, 0, sizeof(svm));
	svm.svm_family = EGS_AF_VSOCK;
	svm.svm_port = t->port;
	svm.svm_cid = t->cid;
	if (connect_timed(fd, (struct sockaddr *)&svm, sizeof(svm), timeout_ms) < 0)
		return connect_failed(t, fd, errno, NULL, err, errlen);
	return fd;
}

static int connect_tcp(const struct transport_target *t, int timeout_ms, char *err,
                       size_t errlen)
{
	char port[16];
	snprintf(port, sizeof(port), "%u", (unsigned)t->port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int gai = getaddrinfo(t->host, port, &hints, &res);
	if (gai != 0) {
		char desc[sizeof(t->host) + 32];
		describe(t, desc, sizeof(desc));
		errbuf_set(err, errlen, "cannot connect to %s: %s", desc, gai_strerror(gai));
		errno = EHOSTUNREACH;
		return -1;
	}
	int fd = -1, e = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect_timed(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return connect_failed(t, -1, e, NULL, err, errlen);
	int one = 1;
	/* interactive ssh traffic: no Nagle delay; failure is harmless */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes s printable for an error message. */
static void printable(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
}

int transport_mux_handshake(int fd, uint32_t port, int timeout_ms, char *err, size_t errlen)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "CONNECT %u\n", (unsigned)port);
	if (fs_write_all(fd, line, (size_t)n) < 0) {
		errbuf_set(err, errlen, "sending CONNECT %u: %s", (unsigned)port, strerror(errno));
		return -1;
	}
	/* One byte at a time: whatever follows "OK <n>\n" is SSH and must stay
	 * in the socket for ssh (we may hand the fd over). */
	char reply[24];
	size_t got = 0;
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			errbuf_set(err, errlen, "no \"OK\" reply to CONNECT %u within %d s", (unsigned)port,
			        (timeout_ms + 999) / 1000);
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = {fd, POLLIN, 0};
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno != EINTR) {
			errbuf_set(err, errlen, "waiting for OK: %s", strerror(errno));
			return -1;
		}
		if (pr <= 0)
			continue;
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			errbuf_set(err, errlen, "waiting for OK: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			char shown[sizeof(reply) * 4 + 1];
			printable(shown, sizeof(shown), reply, got);
			if (got == 0)
				errbuf_set(err, errlen, "connection closed before OK: nothing listens on "
				        "port %u (is egs service running in the guest?)", (unsigned)port);
			else
				errbuf_set(err, errlen, "connection closed after \"%s\", before a full OK "
				        "line", shown);
			errno = ECONNREFUSED;
			return -1;
		}
		reply[got++] = c;
		int ok = 1;
		if (got <= 3)
			ok = c == "OK "[got - 1];
		else if (c == '\n')
			ok = got > 4; /* at least one digit */
		else
			ok = c >= '0' && c <= '9' && got < sizeof(reply);
		if (!ok) {
			char shown[sizeof(reply) * 4 + 1];
			printable(shown, sizeof(shown), reply, got);
			errbuf_set(err, errlen, "unexpected reply to CONNECT %u: \"%s\" (want \"OK <n>\")",
			        (unsigned)port, shown);
			errno = EPROTO;
			return -1;
		}
		if (c == '\n' && got > 4)
			return 0;
	}
}

int transport_connect(const struct transport_target *t, int timeout_ms, char *err,
                      size_t errlen)
{
	int fd;
	switch (t->kind) {
	case TRANSPORT_VSOCK:
		return connect_vsock(t, timeout_ms, err, errlen);
	case TRANSPORT_UNIX:
		return connect_unix(t, timeout_ms, err, errlen);
	case TRANSPORT_TCP:
		return connect_tcp(t, timeout_ms, err, errlen);
	case TRANSPORT_VSOCK_MUX: {
		fd = connect_unix(t, timeout_ms, err, errlen);
		if (fd < 0)
			return -1;
		int mux_ms = timeout_ms > 0 && timeout_ms < TRANSPORT_MUX_TIMEOUT_MS
		                     ? timeout_ms : TRANSPORT_MUX_TIMEOUT_MS;
		char why[200];
		if (transport_mux_handshake(fd, t->port, mux_ms, why, sizeof(why)) < 0) {
			int e = errno;
			char desc[sizeof(t->path) + 64];
			describe(t, desc, sizeof(desc));
			errbuf_set(err, errlen, "cannot connect to %s: %s", desc, why);
			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
	case TRANSPORT_HYPERV:
		errbuf_set(err, errlen, "%s.hyper-v.alt: the Hyper-V host side needs Windows "
		        "(use egs-tool.exe there); on Linux hosts use vsock/CID, vsock-mux/PATH, "
		        "unix/PATH or tcp/HOST:PORT", t->host);
		errno = EAFNOSUPPORT;
		return -1;
	}
	errno = EINVAL;
	return -1;
}

/* ---- relaying ------------------------------------------------------- */

#define RELAY_BUF (256 * 1024)

/* One direction of the relay. */
struct pump {
	int src, dst;
	int pipe[2];      /* splice staging; -1 when using buf */
	char *buf;        /* read/write fallback */
	size_t pending;   /* bytes in pipe or buf not yet written */
	size_t off;       /* buf: start of pending */
	size_t cap;
	int eof;          /* src said EOF */
};

static int pump_init(struct pump *p, int src, int dst)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->dst = dst;
	p->pipe[0] = p->pipe[1] = -1;
	if (pipe2(p->pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		int sz = fcntl(p->pipe[1], F_SETPIPE_SZ, 1024 * 1024);
		if (sz < 0)
			sz = fcntl(p->pipe[1], F_GETPIPE_SZ);
		p->cap = sz > 0 ? (size_t)sz : 65536;
		return 0;
	}
	return -1;
}

static int pump_fallback(struct pump *p)
{
	/* only switch while the pipe is empty: nothing is lost */
	if (p->pipe[0] >= 0) {
		close(p->pipe[0]);
		close(p->pipe[1]);
		p->pipe[0] = p->pipe[1] = -1;
	}
	p->buf = malloc(RELAY_BUF);
	if (!p->buf)
		return -1;
	p->cap = RELAY_BUF;
	p->off = 0;
	return 0;
}

static void pump_free(struct pump *p)
{
	if (p->pipe[0] >= 0) {
		close(p->pipe[0]);
		close(p->pipe[1]);
	}
	free(p->buf);
}

/* Moves data from src into the staging area. 0 or -1/errno. */
static int pump_fill(struct pump *p)
{
	if (p->buf) {
		if (p->pending == 0)
			p->off = 0;
		size_t room = p->cap - p->off - p->pending;
		if (room == 0)
			return 0;
		ssize_t n = read(p->src, p->buf + p->off + p->pending, room);
		if (n < 0)
			return (errno == EINTR || errno == EAGAIN) ? 0 : -1;
		if (n == 0)
			p->eof = 1;
		p->pending += (size_t)n;
		return 0;
	}
	ssize_t n = splice(p->src, NULL, p->pipe[1], NULL, p->cap - p->pending,
	                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == EINVAL && p->pending == 0) {
			if (pump_fallback(p) < 0)
				return -1;
			return pump_fill(p);
		}
		return -1;
	}
	if (n == 0)
		p->eof = 1;
	p->pending += (size_t)n;
	return 0;
}

/* Writes staged data to dst. 0 or -1/errno. */
static int pump_drain(struct pump *p)
{
	ssize_t n;
	if (p->buf)
		n = write(p->dst, p->buf + p->off, p->pending);
	else
		n = splice(p->pipe[0], NULL, p->dst, NULL, p->pending,
		           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno == EINVAL && !p->buf) {
			/* dst refuses splice: move what sits in the pipe by hand */
			char tmp[65536];
			ssize_t r = read(p->pipe[0], tmp, sizeof(tmp));
			if (r <= 0)
				return -1;
			if (fs_write_all(p->dst, tmp, (size_t)r) < 0)
				return -1;
			p->pending -= (size_t)r;
			if (p->pending == 0 && pump_fallback(p) < 0)
				return -1;
			return 0;
		}
		return -1;
	}
	p->pending -= (size_t)n;
	if (p->buf)
		p->off += (size_t)n;
	return 0;
}

int transport_relay(int in_fd, int out_fd, int sock)
{
	struct pump up, down; /* up: in_fd -> sock; down: sock -> out_fd */
	if (pump_init(&up, in_fd, sock) < 0 && pump_fallback(&up) < 0)
		return -1;
	if (pump_init(&down, sock, out_fd) < 0 && pump_fallback(&down) < 0) {
		pump_free(&up);
		return -1;
	}
	int rc = -1, up_done = 0;
	/* our socket never blocks the loop; stdio stays as the caller set it */
	int fl = fcntl(sock, F_GETFL);
	if (fl < 0 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0)
		goto out;
	for (;;) {
		struct pollfd pfd[4];
		int np = 0, i_upsrc = -1, i_updst = -1, i_dnsrc = -1, i_dndst = -1;
		if (!up_done && !up.eof && up.pending < up.cap) {
			i_upsrc = np;
			pfd[np++] = (struct pollfd){up.src, POLLIN, 0};
		}
		if (!up_done && up.pending) {
			i_updst = np;
			pfd[np++] = (struct pollfd){up.dst, POLLOUT, 0};
		}
		if (!down.eof && down.pending < down.cap) {
			i_dnsrc = np;
			pfd[np++] = (struct pollfd){down.src, POLLIN, 0};
		}
		if (down.pending) {
			i_dndst = np;
			pfd[np++] = (struct pollfd){down.dst, POLLOUT, 0};
		}
		if (np == 0)
			break;
		if (poll(pfd, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (i_upsrc >= 0 && pfd[i_upsrc].revents && pump_fill(&up) < 0)
			goto out;
		if (i_updst >= 0 && pfd[i_updst].revents && pump_drain(&up) < 0)
			goto out;
		if (i_dnsrc >= 0 && pfd[i_dnsrc].revents && pump_fill(&down) < 0) {
			/* a reset from the peer ends the session like a close */
			if (errno == ECONNRESET)
				break;
			goto out;
		}
		if (i_dndst >= 0 && pfd[i_dndst].revents && pump_drain(&down) < 0)
			goto out;
		if (!up_done && up.eof && !up.pending) {
			/* local EOF: tell the guest, keep reading its answer */
			shutdown(sock, SHUT_WR);
			up_done = 1;
		}
		if (down.eof && !down.pending)
			break; /* the guest closed: done */
	}
	rc = 0;
out:;
	int e = errno;
	pump_free(&up);
	pump_free(&down);
	errno = e;
	return rc;
}

/* ---- fd passing ----------------------------------------------------- */

int transport_send_fd(int via, int fd)
{
	char byte = 0;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(via, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != 1) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int transport_recv_fd(int via)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	ssize_t n;
	do
		n = recvmsg(via, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (n == 0 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EBADMSG;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

int transport_is_unix_socket(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	int type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0)
		return 0;
	return ss.ss_family == AF_UNIX && type == SOCK_STREAM;
}

#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int parse_port(const char *s, unsigned *port, unsigned max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || (v == 0 && max == 65535))
		return -1;
	*port = (unsigned)v;
	return 0;
}

int listen_parse(const char *spec, struct listen_spec *ls, struct strbuf *err)
{
	memset(ls, 0, sizeof(*ls));
	ls->text = spec;
	if (strncmp(spec, "vsock:", 6) == 0) {
		ls->kind = LISTEN_VSOCK;
		if (parse_port(spec + 6, &ls->port, 0xFFFFFFFEu) < 0)
			goto bad;
		return 0;
	}
	if (strncmp(spec, "unix:", 5) == 0) {
		ls->kind = LISTEN_UNIX;
		size_t n = strlen(spec + 5);
		if (n == 0 || n >= sizeof(ls->path)) {
			sb_printf(err, "--listen %s: unix socket path must be 1 to %zu bytes", spec,
			          sizeof(ls->path) - 1);
			return -1;
		}
		memcpy(ls->path, spec + 5, n + 1);
		return 0;
	}
	if (strncmp(spec, "tcp:", 4) == 0) {
		ls->kind = LISTEN_TCP;
		const char *hp = spec + 4, *colon = strrchr(hp, ':');
		if (!colon)
			goto bad;
		size_t hl = (size_t)(colon - hp);
		if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') { /* [::1]:22 */
			hp++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(ls->host) || parse_port(colon + 1, &ls->port, 65535) < 0)
			goto bad;
		memcpy(ls->host, hp, hl);
		ls->host[hl] = '\0';
		return 0;
	}
bad:
	sb_printf(err, "--listen %s: expected vsock:PORT, unix:PATH or tcp:HOST:PORT", spec);
	return -1;
}

static int fail(struct strbuf *err, const struct listen_spec *ls, const char *what, int fd)
{
	int e = errno;
	sb_printf(err, "cannot listen on %s: %s: %s", ls->text, what, strerror(e));
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

static int open_unix(const struct listen_spec *ls, struct strbuf *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, ls->path, strlen(ls->path) + 1);
	struct stat st;
	/* replace a stale socket from an earlier run, never another file */
	if (lstat(ls->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return fail(err, ls, "exists and is not a socket", -1);
		}
		if (unlink(ls->path) < 0)
			return fail(err, ls, "unlink", -1);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, ls, "socket", -1);
	mode_t old = umask(0177); /* the socket is root's only: 0600 */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		return fail(err, ls, "bind", fd);
	if (listen(fd, 64) < 0)
		return fail(err, ls, "listen", fd);
	return fd;
}

static int open_tcp(const struct listen_spec *ls, struct strbuf *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai;
	char port[8];
	snprintf(port, sizeof(port), "%u", ls->port);
	int rc = getaddrinfo(ls->host, port, &hints, &ai);
	if (rc != 0) {
		sb_printf(err, "cannot listen on %s: %s", ls->text, gai_strerror(rc));
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return fail(err, ls, "socket", -1);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0)
		return fail(err, ls, "bind", fd);
	if (listen(fd, 64) < 0)
		return fail(err, ls, "listen", fd);
	return fd;
}

static int open_vsock(const struct listen_spec *ls, struct strbuf *err)
{
	int fd = socket(EGS_AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(err, ls, "socket(AF_VSOCK)", -1);
	struct egs_sockaddr_vm sa = {.svm_family = EGS_AF_VSOCK, .svm_port = ls->port,
	                             .svm_cid = VMADDR_CID_ANY_VALUE};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail(err, ls, "bind", fd);
	if (listen(fd, 64) < 0)
		return fail(err, ls, "listen", fd);
	return fd;
}

int listen_open(const struct listen_spec *ls, struct strbuf *err)
{
	switch (ls->kind) {
	case LISTEN_UNIX:
		return open_unix(ls, err);
	case LISTEN_TCP:
		return open_tcp(ls, err);
	case LISTEN_VSOCK:
		return open_vsock(ls, err);
	}
	errno = EINVAL;
	return -1;
}

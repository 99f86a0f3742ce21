#include "fetch.h"

#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "gz.h"

#ifndef EGS_VERSION
#define EGS_VERSION "0"
#endif

#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_CA_BYTES (8 * 1024 * 1024)

void fetch_opts_init(struct fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_s = 30;
	o->retries = 3;
	o->retry_delay_ms = 1000;
	o->max_size = 10 * 1024 * 1024;
	o->max_redirects = 5;
	o->allow_network = 1;
	o->allow_files = 1;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int fetch_parse_url(const char *url, int *is_https, char *host, size_t hostlen,
                    int *port, char *path, size_t pathlen)
{
	const char *p;
	if (strncasecmp(url, "http://", 7) == 0) {
		*is_https = 0;
		*port = 80;
		p = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		*is_https = 1;
		*port = 443;
		p = url + 8;
	} else {
		return -1;
	}
	size_t auth = strcspn(p, "/?#");
	const char *at = memchr(p, '@', auth); /* user:pass@ is dropped */
	const char *h = at ? at + 1 : p, *end = p + auth, *colon = NULL;
	size_t n;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return -1;
		n = (size_t)(close - h - 1);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, h + 1, n);
		if (close + 1 < end) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = (size_t)((colon ? colon : end) - h);
		if (n == 0 || n >= hostlen)
			return -1;
		memcpy(host, h, n);
	}
	host[n] = '\0';
	if (colon && colon + 1 < end) {
		long v = 0;
		for (const char *c = colon + 1; c < end; c++) {
			if (!isdigit((unsigned char)*c))
				return -1;
			v = v * 10 + (*c - '0');
			if (v > 65535)
				return -1;
		}
		if (v == 0)
			return -1;
		*port = (int)v;
	}
	const char *rest = end;
	size_t restlen = strcspn(rest, "#");
	if (restlen + 2 > pathlen)
		return -1;
	if (*rest != '/')
		*path++ = '/';
	memcpy(path, rest, restlen);
	path[restlen] = '\0';
	for (const char *c = host; *c; c++)
		if ((unsigned char)*c <= ' ')
			return -1;
	for (const char *c = path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	return 0;
}

/* ---- time ---------------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- trust anchors ------------------------------------------------------- */

struct anchors {
	br_x509_trust_anchor *ta;
	size_t n;
};

static void anchors_free(struct anchors *a)
{
	for (size_t i = 0; i < a->n; i++) {
		br_x509_trust_anchor *t = &a->ta[i];
		free(t->dn.data);
		if (t->pkey.key_type == BR_KEYTYPE_RSA) {
			free(t->pkey.key.rsa.n);
			free(t->pkey.key.rsa.e);
		} else {
			free(t->pkey.key.ec.q);
		}
	}
	free(a->ta);
	a->ta = NULL;
	a->n = 0;
}

static void sb_sink(void *ctx, const void *data, size_t len)
{
	/* BearSSL callbacks cannot fail: a short buffer shows as a bad cert */
	sb_append(ctx, data, len);
}

static void *dup_bytes(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* Turns one DER certificate into a trust anchor. Returns 0, 1 to skip a
 * certificate BearSSL cannot use, or -1 on ENOMEM. */
static int add_anchor(struct anchors *a, const unsigned char *der, size_t len)
{
	br_x509_decoder_context dc;
	struct strbuf dn = STRBUF_INIT;
	br_x509_decoder_init(&dc, sb_sink, &dn);
	br_x509_decoder_push(&dc, der, len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || br_x509_decoder_last_error(&dc) != 0 || !dn.len) {
		sb_free(&dn);
		return 1;
	}
	br_x509_trust_anchor *ta = realloc(a->ta, (a->n + 1) * sizeof(*ta));
	if (!ta) {
		sb_free(&dn);
		return -1;
	}
	a->ta = ta;
	br_x509_trust_anchor *t = &ta[a->n];
	memset(t, 0, sizeof(*t));
	t->dn.len = dn.len;
	t->dn.data = (unsigned char *)sb_detach(&dn);
	t->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	t->pkey.key_type = pk->key_type;
	int ok = t->dn.data != NULL;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		t->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		t->pkey.key.rsa.elen = pk->key.rsa.elen;
		t->pkey.key.rsa.n = dup_bytes(pk->key.rsa.n, pk->key.rsa.nlen);
		t->pkey.key.rsa.e = dup_bytes(pk->key.rsa.e, pk->key.rsa.elen);
		ok = ok && t->pkey.key.rsa.n && t->pkey.key.rsa.e;
	} else {
		t->pkey.key.ec.curve = pk->key.ec.curve;
		t->pkey.key.ec.qlen = pk->key.ec.qlen;
		t->pkey.key.ec.q = dup_bytes(pk->key.ec.q, pk->key.ec.qlen);
		ok = ok && t->pkey.key.ec.q;
	}
	a->n++; /* counted even when incomplete, so anchors_free frees it */
	return ok ? 0 : -1;
}

/* Loads every CERTIFICATE of a PEM bundle. Returns 0, or -1 with err. */
static int load_anchors(const char *file, struct anchors *a, char *err, size_t errlen)
{
	struct strbuf pem = STRBUF_INIT, der = STRBUF_INIT;
	if (fs_read_file(file, &pem, MAX_CA_BYTES) < 0) {
		seterr(err, errlen, "cannot read CA bundle %s: %s", file, strerror(errno));
		return -1;
	}
	/* the decoder needs a final newline to see the last END line */
	if (sb_putc(&pem, '\n') < 0) {
		sb_free(&pem);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	br_pem_decoder_context pc;
	br_pem_decoder_init(&pc);
	const unsigned char *p = (const unsigned char *)pem.data;
	size_t left = pem.len;
	int in_cert = 0, rc = 0;
	while (left > 0 && rc == 0) {
		size_t used = br_pem_decoder_push(&pc, p, left);
		p += used;
		left -= used;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			in_cert = strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") == 0 ||
			          strcmp(br_pem_decoder_name(&pc), "X509 CERTIFICATE") == 0;
			sb_reset(&der);
			br_pem_decoder_setdest(&pc, in_cert ? sb_sink : NULL, &der);
			break;
		case BR_PEM_END_OBJ:
			if (in_cert && add_anchor(a, (unsigned char *)der.data, der.len) < 0)
				rc = -1;
			in_cert = 0;
			break;
		case BR_PEM_ERROR:
			seterr(err, errlen, "CA bundle %s: invalid PEM", file);
			rc = -2;
			break;
		default:
			break;
		}
	}
	sb_free(&pem);
	sb_free(&der);
	if (rc == -1)
		seterr(err, errlen, "out of memory");
	if (rc == 0 && a->n == 0) {
		seterr(err, errlen, "CA bundle %s holds no usable certificate", file);
		rc = -1;
	}
	if (rc < 0) {
		anchors_free(a);
		return -1;
	}
	return 0;
}

/* ---- connections --------------------------------------------------------- */

struct conn {
	int fd;
	long long deadline; /* now_ms() value */
	int timed_out;
	int tls;
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	br_sslio_context io;
	unsigned char *iobuf;
	/* buffered reading for the response parser */
	unsigned char rbuf[8192];
	size_t rpos, rlen;
	int eof;
};

/* Waits for fd to be ready until the deadline. Returns 0 or -1. */
static int wait_fd(struct conn *c, short events)
{
	for (;;) {
		long long left = c->deadline - now_ms();
		if (left <= 0) {
			c->timed_out = 1;
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = {c->fd, events, 0};
		int rc = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

static int raw_read(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	for (;;) {
		if (wait_fd(c, POLLIN) < 0)
			return -1;
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n > 0)
			return (int)n;
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

static int raw_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	for (;;) {
		if (wait_fd(c, POLLOUT) < 0)
			return -1;
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			return (int)n;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

static int tcp_connect(struct conn *c, const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", port);
	int gai = getaddrinfo(host, portstr, &hints, &res);
	if (gai != 0) {
		seterr(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
		return -1;
	}
	int saved = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		                ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		c->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(c, POLLOUT) == 0)) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
				freeaddrinfo(res);
				return 0;
			}
			saved = soerr ? soerr : errno;
		} else {
			saved = errno;
		}
		close(fd);
		c->fd = -1;
		if (c->timed_out)
			break;
	}
	freeaddrinfo(res);
	seterr(err, errlen, "cannot connect to %s port %d: %s", host, port,
	       c->timed_out ? "timed out" : strerror(saved ? saved : ECONNREFUSED));
	return -1;
}

static int conn_write(struct conn *c, const void *data, size_t len)
{
	if (c->tls) {
		if (br_sslio_write_all(&c->io, data, len) < 0 || br_sslio_flush(&c->io) < 0)
			return -1;
		return 0;
	}
	const unsigned char *p = data;
	while (len) {
		int n = raw_write(c, p, len);
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Refills rbuf. Returns 1 with data, 0 at end of stream, -1 on error. */
static int conn_fill(struct conn *c)
{
	if (c->eof)
		return 0;
	int n;
	if (c->tls) {
		n = br_sslio_read(&c->io, c->rbuf, sizeof(c->rbuf));
		if (n < 0) {
			int e = br_ssl_engine_last_error(&c->sc.eng);
			/* a close without close_notify counts as the end, as
			 * Python's ssl with suppress_ragged_eofs */
			if (!c->timed_out && (e == BR_ERR_OK || e == BR_ERR_IO)) {
				c->eof = 1;
				return 0;
			}
			return -1;
		}
	} else {
		n = raw_read(c, c->rbuf, sizeof(c->rbuf));
		if (n < 0) {
			if (errno == ECONNRESET && !c->timed_out) {
				c->eof = 1;
				return 0;
			}
			return -1;
		}
	}
	c->rpos = 0;
	c->rlen = (size_t)n;
	return 1;
}

/* Reads one line (without CRLF) into line. Returns 1, 0 at EOF, -1. */
static int read_line(struct conn *c, struct strbuf *line, size_t max)
{
	sb_reset(line);
	for (;;) {
		if (c->rpos == c->rlen) {
			int rc = conn_fill(c);
			if (rc <= 0)
				return rc < 0 ? -1 : (line->len ? 1 : 0);
		}
		unsigned char ch = c->rbuf[c->rpos++];
		if (ch == '\n') {
			if (line->len && line->data[line->len - 1] == '\r')
				line->data[--line->len] = '\0';
			return 1;
		}
		if (line->len >= max || sb_putc(line, (char)ch) < 0) {
			errno = E2BIG;
			return -1;
		}
	}
}

/* Appends up to want bytes (SIZE_MAX: until EOF). Returns bytes read, or
 * -1. Stops with E2BIG when out would pass cap bytes of body. */
static long long read_body(struct conn *c, struct strbuf *out, size_t want, size_t cap,
                           size_t base)
{
	size_t got = 0;
	while (got < want) {
		if (c->rpos == c->rlen) {
			int rc = conn_fill(c);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
		}
		size_t n = c->rlen - c->rpos;
		if (n > want - got)
			n = want - got;
		if (cap && out->len - base + n > cap) {
			errno = E2BIG;
			return -1;
		}
		if (sb_append(out, c->rbuf + c->rpos, n) < 0)
			return -1;
		c->rpos += n;
		got += n;
	}
	return (long long)got;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->iobuf);
	c->iobuf = NULL;
}

/* ---- HTTP ---------------------------------------------------------------- */

/* One request/response. Returns the HTTP status with the body in out (for
 * 2xx) and a Location in location (for 3xx), or -1 with err. *retry says
 * whether another attempt may help. */
static int http_once(const char *url, const struct fetch_opts *o,
                     const struct anchors *ta, struct strbuf *out,
                     struct strbuf *location, int *retry, char *err, size_t errlen)
{
	char host[256], path[4096];
	int https, port, status = -1;
	struct strbuf line = STRBUF_INIT, req = STRBUF_INIT;
	if (fetch_parse_url(url, &https, host, sizeof(host), &port, path, sizeof(path)) < 0) {
		seterr(err, errlen, "%s: not a valid http(s) URL", url);
		*retry = 0;
		return -1;
	}
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	c->fd = -1;
	c->deadline = now_ms() + (long long)(o->timeout_s > 0 ? o->timeout_s : 30) * 1000;
	*retry = 1;
	if (tcp_connect(c, host, port, err, errlen) < 0)
		goto out;
	if (https) {
		c->iobuf = malloc(BR_SSL_BUFSIZE_BIDI);
		if (!c->iobuf) {
			seterr(err, errlen, "out of memory");
			goto out;
		}
		br_ssl_client_init_full(&c->sc, &c->xc, ta->ta, ta->n);
		br_ssl_engine_set_buffer(&c->sc.eng, c->iobuf, BR_SSL_BUFSIZE_BIDI, 1);
		if (!br_ssl_client_reset(&c->sc, host, 0)) {
			seterr(err, errlen, "%s: TLS setup failed", url);
			goto out;
		}
		br_sslio_init(&c->io, &c->sc.eng, raw_read, c, raw_write, c);
		c->tls = 1;
	}
	int default_port = port == (https ? 443 : 80);
	int v6 = strchr(host, ':') != NULL;
	if (sb_printf(&req, "GET %s HTTP/1.1\r\nHost: %s%s%s", path, v6 ? "[" : "", host,
	              v6 ? "]" : "") < 0 ||
	    (!default_port && sb_printf(&req, ":%d", port) < 0) ||
	    sb_printf(&req, "\r\nUser-Agent: egs/%s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	              EGS_VERSION) < 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if (conn_write(c, req.data, req.len) < 0)
		goto io_error;
	/* status line: HTTP/1.x NNN reason */
	if (read_line(c, &line, MAX_HEADER_BYTES) <= 0)
		goto io_error;
	int major, minor, code;
	if (sscanf(sb_str(&line), "HTTP/%d.%d %3d", &major, &minor, &code) != 3 ||
	    code < 100 || code > 999) {
		seterr(err, errlen, "%s: not an HTTP response", url);
		goto out;
	}
	long long content_length = -1;
	int chunked = 0, gzipped = 0;
	size_t header_bytes = 0;
	for (;;) {
		int rc = read_line(c, &line, MAX_HEADER_BYTES);
		if (rc <= 0)
			goto io_error;
		header_bytes += line.len;
		if (header_bytes > MAX_HEADER_BYTES) {
			seterr(err, errlen, "%s: response headers too large", url);
			goto out;
		}
		if (!line.len)
			break;
		char *colon = strchr(line.data, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = '\0';
		if (!strcasecmp(line.data, "Content-Length")) {
			char *end;
			errno = 0;
			content_length = strtoll(v, &end, 10);
			if (errno || *end || end == v || content_length < 0) {
				seterr(err, errlen, "%s: bad Content-Length", url);
				goto out;
			}
		} else if (!strcasecmp(line.data, "Transfer-Encoding")) {
			chunked = strcasestr(v, "chunked") != NULL;
		} else if (!strcasecmp(line.data, "Content-Encoding")) {
			gzipped = !strcasecmp(v, "gzip") || !strcasecmp(v, "x-gzip");
		} else if (!strcasecmp(line.data, "Location")) {
			sb_reset(location);
			if (sb_puts(location, v) < 0) {
				seterr(err, errlen, "out of memory");
				goto out;
			}
		}
	}
	if (code >= 300 && code < 400) {
		status = code;
		goto out;
	}
	if (code < 200 || code >= 300) {
		/* 5xx and 429 may be passing trouble; other answers are final */
		*retry = code >= 500 || code == 429;
		seterr(err, errlen, "Fetching from %s resulted in a invalid http code of %d",
		       url, code);
		status = code;
		goto out;
	}
	size_t base = out->len;
	if (chunked) {
		for (;;) {
			if (read_line(c, &line, 1024) <= 0)
				goto io_error;
			char *end;
			errno = 0;
			unsigned long long size = strtoull(line.data ? line.data : "", &end, 16);
			if (errno || end == line.data || (*end && *end != ';' && *end != ' ')) {
				seterr(err, errlen, "%s: bad chunk size", url);
				goto out;
			}
			if (size == 0)
				break;
			if (o->max_size && size > o->max_size) {
				errno = E2BIG;
				goto io_error;
			}
			long long n = read_body(c, out, (size_t)size, o->max_size, base);
			if (n < 0)
				goto io_error;
			if ((unsigned long long)n != size || read_line(c, &line, 16) <= 0 || line.len) {
				seterr(err, errlen, "%s: truncated chunked body", url);
				goto out;
			}
		}
		/* trailers up to the empty line; a missing one is harmless */
		while (read_line(c, &line, MAX_HEADER_BYTES) > 0 && line.len)
			;
	} else if (content_length >= 0) {
		if (o->max_size && (unsigned long long)content_length > o->max_size) {
			errno = E2BIG;
			goto io_error;
		}
		long long n = read_body(c, out, (size_t)content_length, o->max_size, base);
		if (n < 0)
			goto io_error;
		if (n != content_length) {
			seterr(err, errlen, "%s: connection closed after %lld of %lld bytes", url,
			       n, content_length);
			goto out;
		}
	} else if (read_body(c, out, SIZE_MAX, o->max_size, base) < 0) {
		goto io_error;
	}
	if (gzipped) {
		struct strbuf plain = STRBUF_INIT;
		const char *gerr = NULL;
		if (gz_gunzip(&plain, out->data + base, out->len - base, o->max_size, &gerr) < 0) {
			sb_free(&plain);
			seterr(err, errlen, "%s: bad gzip content encoding: %s", url, gerr);
			out->len = base;
			out->data[base] = '\0';
			goto out;
		}
		out->len = base;
		if (sb_append(out, plain.data ? plain.data : "", plain.len) < 0) {
			sb_free(&plain);
			seterr(err, errlen, "out of memory");
			goto out;
		}
		sb_free(&plain);
	}
	status = code;
	goto out;
io_error:
	if (errno == E2BIG) {
		*retry = 0;
		seterr(err, errlen, "%s: larger than %zu bytes", url, o->max_size);
	} else if (c->timed_out) {
		seterr(err, errlen, "%s: timed out after %d s", url, o->timeout_s);
	} else if (c->tls && br_ssl_engine_last_error(&c->sc.eng) != BR_ERR_OK) {
		int e = br_ssl_engine_last_error(&c->sc.eng);
		*retry = !(e >= BR_ERR_X509_OK && e < BR_ERR_X509_OK + 64);
		seterr(err, errlen, "%s: TLS error %d%s", url, e,
		       *retry ? "" : " (certificate not trusted)");
	} else {
		seterr(err, errlen, "%s: %s", url, errno ? strerror(errno) : "connection closed");
	}
out:
	conn_close(c);
	free(c);
	sb_free(&line);
	sb_free(&req);
	return status;
}

/* Resolves a Location against the URL it came from. */
static int resolve_location(const char *base, const char *loc, struct strbuf *out)
{
	sb_reset(out);
	if (strncasecmp(loc, "http://", 7) == 0 || strncasecmp(loc, "https://", 8) == 0)
		return sb_puts(out, loc);
	const char *scheme_end = strstr(base, "://");
	if (!scheme_end)
		return -1;
	if (loc[0] == '/' && loc[1] == '/') /* scheme-relative */
		return sb_append(out, base, (size_t)(scheme_end - base + 1)) < 0 ? -1
		                                                                 : sb_puts(out, loc);
	const char *path = scheme_end + 3 + strcspn(scheme_end + 3, "/?#");
	if (loc[0] == '/')
		return sb_append(out, base, (size_t)(path - base)) < 0 ? -1 : sb_puts(out, loc);
	/* relative to the directory of the base path */
	const char *q = path + strcspn(path, "?#");
	const char *slash = q;
	while (slash > path && slash[-1] != '/')
		slash--;
	if (sb_append(out, base, (size_t)(slash - base)) < 0)
		return -1;
	if (slash == path && sb_putc(out, '/') < 0)
		return -1;
	return sb_puts(out, loc);
}

static int fetch_http(const char *url, const struct fetch_opts *o, struct strbuf *out,
                      int *status, char *err, size_t errlen)
{
	struct anchors ta = {NULL, 0};
	struct strbuf cur = STRBUF_INIT, loc = STRBUF_INIT, next = STRBUF_INIT;
	int ret = -1;
	if (sb_puts(&cur, url) < 0) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	for (int redirects = 0;; redirects++) {
		if (strncasecmp(cur.data, "https://", 8) == 0 && !ta.n &&
		    load_anchors(o->ca_file ? o->ca_file : FETCH_DEFAULT_CA, &ta, err, errlen) < 0)
			break;
		int code = -1, retry = 0, delay = o->retry_delay_ms;
		for (int attempt = 0;; attempt++) {
			size_t base = out->len;
			sb_reset(&loc);
			code = http_once(cur.data, o, &ta, out, &loc, &retry, err, errlen);
			if (status)
				*status = code > 0 ? code : 0;
			if (code >= 200 && code < 400)
				break;
			out->len = base; /* a failed attempt leaves nothing */
			if (out->data)
				out->data[base] = '\0';
			if (!retry || attempt >= o->retries)
				break;
			if (delay > 0)
				sleep_ms(delay);
			delay = delay * 2 > 4000 ? 4000 : delay * 2;
		}
		if (code >= 200 && code < 300) {
			ret = 0;
			break;
		}
		if (code < 300)
			break;
		if (!loc.len) {
			seterr(err, errlen, "%s: redirect (%d) without Location", cur.data, code);
			break;
		}
		if (redirects >= o->max_redirects) {
			seterr(err, errlen, "%s: more than %d redirects", url, o->max_redirects);
			break;
		}
		if (resolve_location(cur.data, loc.data, &next) < 0) {
			seterr(err, errlen, "out of memory");
			break;
		}
		struct strbuf t = cur;
		cur = next;
		next = t;
	}
	anchors_free(&ta);
	sb_free(&cur);
	sb_free(&loc);
	sb_free(&next);
	return ret;
}

int fetch_url(const char *url, const struct fetch_opts *o, struct strbuf *out,
              int *status, char *err, size_t errlen)
{
	struct fetch_opts defaults;
	if (!o) {
		fetch_opts_init(&defaults);
		o = &defaults;
	}
	if (status)
		*status = 0;
	while (*url == ' ' || *url == '\t' || *url == '\r' || *url == '\n')
		url++;
	const char *file = NULL;
	if (url[0] == '/')
		file = url;
	else if (strncasecmp(url, "file://", 7) == 0)
		file = url + 7; /* as cloud-init: the rest is the path */
	if (file) {
		if (!o->allow_files) {
			seterr(err, errlen, "%s: reading local files is disabled", url);
			return -1;
		}
		size_t base = out->len;
		if (fs_read_file(file, out, o->max_size) < 0) {
			int e = errno;
			out->len = base;
			if (out->data)
				out->data[base] = '\0';
			if (e == EFBIG)
				seterr(err, errlen, "%s: larger than %zu bytes", url, o->max_size);
			else
				seterr(err, errlen, "Fetching from %s resulted in %s", url, strerror(e));
			return -1;
		}
		return 0;
	}
	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
		seterr(err, errlen, "%s: unsupported URL (only file, http and https)", url);
		return -1;
	}
	if (!o->allow_network) {
		seterr(err, errlen, "%s: network fetches are disabled", url);
		return -1;
	}
	return fetch_http(url, o, out, status, err, errlen);
}

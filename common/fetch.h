/* Fetching a URL for user-data #include: file://, plain absolute paths,
 * http:// and https:// (BearSSL, trust anchors from a PEM CA bundle).
 * HTTP/1.1 with Content-Length, chunked transfer encoding or
 * read-until-close; redirects followed; a size cap; retries with backoff.
 * No global state: everything comes in through struct fetch_opts. */
#ifndef EGS_FETCH_H
#define EGS_FETCH_H

#include <stddef.h>

#include "strbuf.h"

#define FETCH_DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

struct fetch_opts {
	int timeout_s;      /* per attempt, for connect + the whole transfer (30) */
	int retries;        /* extra attempts after a failed one (3) */
	int retry_delay_ms; /* wait before the first retry, doubling, at most 4 s (1000) */
	size_t max_size;    /* body cap in bytes (10 MiB) */
	int max_redirects;  /* (5) */
	const char *ca_file; /* PEM bundle for https (NULL: FETCH_DEFAULT_CA) */
	int allow_network;  /* http:// and https:// permitted (1) */
	int allow_files;    /* file:// and /paths permitted (1) */
};

/* Fills o with the defaults above. */
void fetch_opts_init(struct fetch_opts *o);

/* Fetches url and appends the body to out. Leading blanks of url are
 * ignored; "/path" means file:///path. Only a 2xx answer succeeds (after
 * redirects); failures other than a 4xx answer are retried. *status (may be
 * NULL) gets the last HTTP status, or 0. Returns 0, or -1 with a message
 * in err naming the URL (out is then unchanged). */
int fetch_url(const char *url, const struct fetch_opts *o, struct strbuf *out,
              int *status, char *err, size_t errlen);

/* Splits an http(s) URL. host gets the host name (brackets removed from
 * an IPv6 literal), path the path + query ("/" when empty), port the port
 * (default by scheme). Returns 0, or -1 when it is not a valid http(s) URL. */
int fetch_parse_url(const char *url, int *is_https, char *host, size_t hostlen,
                    int *port, char *path, size_t pathlen);

#endif

#include "sftp_server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "sftp_proto.h"

/* The input buffer holds several maximal packets, so a client can keep
 * many requests in flight; responses pile up in the output buffer until
 * OUT_HIGH, after which input waits until the client reads. */
#define IN_CAP (4 * (SFTP_MAX_PACKET + 4))
#define OUT_HIGH (4 * 1024 * 1024)

/* ---- handles ----------------------------------------------------------- */

long sftps_alloc_handle(struct server *s, enum handle_kind kind, const char *path)
{
	size_t i;
	for (i = 0; i < s->nhandles; i++)
		if (s->handles[i].kind == H_FREE)
			break;
	if (i == s->nhandles) {
		if (s->nhandles >= s->max_handles) {
			errno = EMFILE;
			return -1;
		}
		size_t n = s->nhandles ? s->nhandles * 2 : 16;
		if (n > s->max_handles)
			n = s->max_handles;
		struct handle *h = realloc(s->handles, n * sizeof(*h));
		if (!h)
			return -1;
		memset(h + s->nhandles, 0, (n - s->nhandles) * sizeof(*h));
		s->handles = h;
		s->nhandles = n;
	}
	char *copy = strdup(path);
	if (!copy)
		return -1;
	struct handle *h = &s->handles[i];
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->gen = ++s->next_gen;
	h->fd = -1;
	h->path = copy;
	return (long)i;
}

void sftps_free_handle(struct handle *h)
{
	free(h->path);
	h->path = NULL;
	h->kind = H_FREE;
	h->fd = -1;
	h->dir = NULL;
}

/* Reads a handle string and finds a live handle of the given kind
 * (H_FREE: either kind). NULL when unknown, stale or of another kind. */
struct handle *sftps_get_handle(struct server *s, struct wire_reader *r, enum handle_kind kind)
{
	size_t n;
	const char *p = wr_string(r, &n);
	if (r->bad || n != SFTPS_HANDLE_LEN)
		return NULL;
	uint32_t index = wire_get_u32(p), gen = wire_get_u32(p + 4);
	if (index >= s->nhandles)
		return NULL;
	struct handle *h = &s->handles[index];
	if (h->kind == H_FREE || h->gen != gen || (kind != H_FREE && h->kind != kind))
		return NULL;
	return h;
}

/* ---- the loop ---------------------------------------------------------- */

/* Handles every complete packet in the input buffer while the output
 * buffer is below its high-water mark. */
static void process_input(struct server *s)
{
	while (!s->fatal && s->out.len - s->out_off < OUT_HIGH) {
		size_t avail = s->in_end - s->in_start;
		if (avail < 4)
			break;
		uint32_t len = wire_get_u32(s->in + s->in_start);
		if (len == 0 || len > SFTP_MAX_PACKET) {
			log_msg(LOG_ERR, SFTPS_LOG_SRC, "bad packet length %u", len);
			s->fatal = 1;
			break;
		}
		if (avail - 4 < len)
			break;
		sftps_handle_packet(s, s->in + s->in_start + 4, len);
		s->in_start += 4 + (size_t)len;
	}
	if (s->in_start == s->in_end) {
		s->in_start = s->in_end = 0;
	} else if (IN_CAP - s->in_end < SFTP_MAX_PACKET + 4) {
		memmove(s->in, s->in + s->in_start, s->in_end - s->in_start);
		s->in_end -= s->in_start;
		s->in_start = 0;
	}
}

/* Writes what it can of the output buffer. Returns -1 on a write error. */
static int flush_output(struct server *s)
{
	while (s->out_off < s->out.len) {
		ssize_t n = write(s->out_fd, s->out.data + s->out_off, s->out.len - s->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			s->out_blocked = 1; /* wait for POLLOUT before trying again */
			break;
		}
		if (n <= 0) {
			log_msg(LOG_INF, SFTPS_LOG_SRC, "write: %s", n < 0 ? strerror(errno) : "closed");
			return -1;
		}
		s->out_off += (size_t)n;
	}
	if (s->out_off == s->out.len) {
		sb_reset(&s->out);
		s->out_off = 0;
	} else if (s->out_off >= OUT_HIGH / 2) {
		memmove(s->out.data, s->out.data + s->out_off, s->out.len - s->out_off);
		sb_truncate(&s->out, s->out.len - s->out_off);
		s->out_off = 0;
	}
	return 0;
}

static int read_input(struct server *s)
{
	ssize_t n = read(s->in_fd, s->in + s->in_end, IN_CAP - s->in_end);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0) {
		log_msg(LOG_ERR, SFTPS_LOG_SRC, "read: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		s->in_eof = 1;
	s->in_end += (size_t)n;
	return 0;
}

static int serve_loop(struct server *s)
{
	for (;;) {
		process_input(s);
		if (s->fatal) {
			flush_output(s); /* best effort: the replies so far */
			return -1;
		}
		size_t pending = s->out.len - s->out_off;
		if (pending && !s->out_blocked && flush_output(s) < 0)
			return -1;
		pending = s->out.len - s->out_off;
		int want_in = !s->in_eof && s->in_end < IN_CAP && pending < OUT_HIGH;
		if (!pending && !want_in) {
			if (s->in_end > s->in_start)
				log_msg(LOG_WRN, SFTPS_LOG_SRC, "EOF inside a packet");
			return 0;
		}
		struct pollfd pfd[2];
		int nfds = 0, in_slot = -1, out_slot = -1;
		if (pending) {
			out_slot = nfds;
			pfd[nfds].fd = s->out_fd;
			pfd[nfds++].events = POLLOUT;
		}
		if (want_in) {
			in_slot = nfds;
			pfd[nfds].fd = s->in_fd;
			pfd[nfds++].events = POLLIN;
		}
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, SFTPS_LOG_SRC, "poll: %s", strerror(errno));
			return -1;
		}
		if (in_slot >= 0 && pfd[in_slot].revents && read_input(s) < 0)
			return -1;
		if (out_slot >= 0 && pfd[out_slot].revents)
			s->out_blocked = 0; /* written at the top of the loop */
	}
}

static long handle_limit(void)
{
	struct rlimit rl;
	long n = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = (long)rl.rlim_cur - 16;
	if (n < 16)
		n = 16;
	if (n > 4096)
		n = 4096;
	return n;
}

int sftp_serve(int in_fd, int out_fd, const struct sftp_server_opts *opts)
{
	static const struct sftp_server_opts defaults = {0};
	struct server *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->in = malloc(IN_CAP);
	if (!s->in || sb_reserve(&s->out, OUT_HIGH + SFTP_MAX_PACKET) < 0) {
		log_msg(LOG_ERR, SFTPS_LOG_SRC, "out of memory");
		free(s->in);
		sb_free(&s->out);
		free(s);
		return -1;
	}
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->opts = opts ? opts : &defaults;
	s->max_handles = (size_t)handle_limit();

	int in_flags = fcntl(in_fd, F_GETFL), out_flags = fcntl(out_fd, F_GETFL);
	if (in_flags >= 0)
		fcntl(in_fd, F_SETFL, in_flags | O_NONBLOCK);
	if (out_flags >= 0)
		fcntl(out_fd, F_SETFL, out_flags | O_NONBLOCK);

	log_msg(LOG_INF, SFTPS_LOG_SRC, "session opened");
	int rc = serve_loop(s);
	log_msg(LOG_INF, SFTPS_LOG_SRC, "session closed");

	if (in_flags >= 0)
		fcntl(in_fd, F_SETFL, in_flags);
	if (out_flags >= 0 && out_fd != in_fd)
		fcntl(out_fd, F_SETFL, out_flags);
	for (size_t i = 0; i < s->nhandles; i++) {
		struct handle *h = &s->handles[i];
		if (h->kind == H_FILE)
			close(h->fd);
		else if (h->kind == H_DIR)
			closedir(h->dir);
		free(h->path);
	}
	free(s->handles);
	free(s->in);
	sb_free(&s->out);
	sb_free(&s->scratch);
	free(s);
	return rc;
}

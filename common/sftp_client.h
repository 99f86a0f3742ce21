/* An SFTP version 3 client over a pair of file descriptors, for
 * `egs tool` (which spawns `ssh -s TARGET sftp` and hands over its pipes).
 * Uses OpenSSH's extensions when the server offers them (limits, fsync,
 * posix-rename) and pipelines transfers (many requests in flight).
 *
 * Every function returning int returns 0 on success, or -1 with errno set
 * (ENOENT, EACCES, ENOTSUP, EEXIST-like failures as EIO, EPROTO for a
 * broken stream) and a message in sftp_client_error() that names the
 * operation, the path and the server's text, e.g.
 *   "open /srv/x/y: No such file".
 * After a protocol or I/O error on the stream itself every later call fails.
 * Writes to a closed pipe raise SIGPIPE: callers should ignore it. */
#ifndef EGS_SFTP_CLIENT_H
#define EGS_SFTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "sftp_wire.h" /* struct sftp_attrs */
#include "strbuf.h"

struct sftp_client;
struct sftp_file;
struct sftp_dir;

/* A client that reads responses from rfd and writes requests to wfd (the
 * same descriptor for a socket). The descriptors stay the caller's:
 * sftp_client_free() does not close them. NULL on ENOMEM. */
struct sftp_client *sftp_client_new(int rfd, int wfd);
void sftp_client_free(struct sftp_client *c);
/* Sends INIT, reads VERSION (must be 3) and the server's extensions, and
 * asks limits@openssh.com for the transfer sizes when offered. */
int sftp_client_init(struct sftp_client *c);
/* 1 if the server advertised extension name (e.g. "fsync@openssh.com"). */
int sftp_client_has_ext(const struct sftp_client *c, const char *name);
/* The last error's message ("" if none). */
const char *sftp_client_error(const struct sftp_client *c);
/* The last SSH_FX_* status from the server, or -1 when the last error
 * was local (I/O, protocol, memory). */
int sftp_client_status(const struct sftp_client *c);

/* ---- paths ---- */
int sftp_stat(struct sftp_client *c, const char *path, struct sftp_attrs *out);
int sftp_lstat(struct sftp_client *c, const char *path, struct sftp_attrs *out);
/* The server's canonical absolute form of path (malloc'd), or NULL. */
char *sftp_realpath(struct sftp_client *c, const char *path);
int sftp_mkdir(struct sftp_client *c, const char *path, uint32_t mode);
int sftp_rmdir(struct sftp_client *c, const char *path);
int sftp_remove(struct sftp_client *c, const char *path);
/* Sets the attributes named in a->flags (e.g. PERMISSIONS, ACMODTIME). */
int sftp_setstat(struct sftp_client *c, const char *path, const struct sftp_attrs *a);
/* Renames, replacing an existing to: posix-rename@openssh.com when
 * offered; otherwise RENAME, and if that fails because to exists, remove
 * to and RENAME again (not atomic: only for servers without the
 * extension). */
int sftp_rename(struct sftp_client *c, const char *from, const char *to);

/* ---- directories ---- */
struct sftp_dirent {
	const char *name;     /* valid until the next sftp_readdir/closedir */
	const char *longname; /* the server's `ls -l` line */
	struct sftp_attrs attrs;
};
struct sftp_dir *sftp_opendir(struct sftp_client *c, const char *path);
/* 1 with *e filled, 0 at the end of the directory, -1 on error. */
int sftp_readdir(struct sftp_client *c, struct sftp_dir *d, struct sftp_dirent *e);
/* Closes the remote handle and frees d (also after errors). */
int sftp_closedir(struct sftp_client *c, struct sftp_dir *d);

/* ---- files ---- */
/* pflags: SSH_FXF_* from sftp_proto.h; a (may be NULL) the attributes
 * for a created file, e.g. PERMISSIONS. */
struct sftp_file *sftp_open(struct sftp_client *c, const char *path, uint32_t pflags,
                            const struct sftp_attrs *a);
/* Closes the remote handle and frees f (also when the close fails). */
int sftp_close(struct sftp_client *c, struct sftp_file *f);
int sftp_fstat(struct sftp_client *c, struct sftp_file *f, struct sftp_attrs *out);
int sftp_fsetstat(struct sftp_client *c, struct sftp_file *f, const struct sftp_attrs *a);
/* fsync@openssh.com; fails with ENOTSUP when the server lacks it. */
int sftp_fsync(struct sftp_client *c, struct sftp_file *f);

/* ---- pipelined transfers ---- */
/* Called after each acknowledged chunk: done bytes so far out of total
 * (0 when unknown). */
typedef void (*sftp_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct sftp_xfer_opts {
	uint32_t chunk;          /* bytes per request; 0: 256 KiB. Capped by the
	                            server's limits (32 KiB if it has none) */
	unsigned max_inflight;   /* requests in flight; 0: 64 (at most 1024) */
	sftp_progress_fn progress; /* may be NULL */
	void *ctx;
};

/* Writes everything read from local_fd (from its current position to
 * EOF; a pipe is fine) to f from offset 0. *written (may be NULL) gets
 * the byte count. */
int sftp_write_from_fd(struct sftp_client *c, struct sftp_file *f, int local_fd,
                       const struct sftp_xfer_opts *o, uint64_t *written);
/* Reads f from offset 0 to its end into local_fd, which must be seekable
 * (data is placed with pwrite; local_fd is truncated to the final size).
 * *nread (may be NULL) gets the byte count. */
int sftp_read_to_fd(struct sftp_client *c, struct sftp_file *f, int local_fd,
                    const struct sftp_xfer_opts *o, uint64_t *nread);

/* Downloads remote_path into local_fd (see sftp_read_to_fd). */
int sftp_download(struct sftp_client *c, const char *remote_path, int local_fd,
                  const struct sftp_xfer_opts *o);
/* Atomic upload: writes local_fd to ".NAME.egs-tmp-XXXXXX" next to
 * remote_path (created 0600, exclusive), applies final (may be NULL; its
 * PERMISSIONS, ACMODTIME, UIDGID flags), fsyncs (fsync@openssh.com when
 * offered), closes, and renames over remote_path with sftp_rename(). On
 * any failure the temporary file is removed and remote_path is untouched. */
int sftp_upload_atomic(struct sftp_client *c, int local_fd, const char *remote_path,
                       const struct sftp_attrs *final, const struct sftp_xfer_opts *o);
/* Removes the ".*.egs-tmp-XXXXXX" regular files in remote directory dir
 * left by transfers that were killed. Only files whose mtime is at least
 * min_age seconds before now (the local clock) go; 0 removes them all.
 * *removed (may be NULL) gets the count. Fails if dir cannot be listed or
 * a removal fails (the others are still attempted). */
int sftp_clean_stale_temps(struct sftp_client *c, const char *dir, uint32_t min_age,
                           unsigned *removed);
/* 1 if name looks like one of our temporary names. */
int sftp_is_temp_name(const char *name);
/* Builds the temporary name "DIR/.NAME.egs-tmp-XXXXXX" (6 random letters
 * and digits) for path into out (cap bytes). NAME is cut at a UTF-8
 * character boundary to stay within NAME_MAX. Also used for local files,
 * so one cleaning rule covers both sides. Returns 0, or -1 when path has
 * no file name or out is too small. */
int sftp_temp_name(const char *path, char *out, size_t cap);

/* ---- many small files in flight at once (sftp_batch.c) ---- */
/* One file of sftp_put_batch()/sftp_get_batch(). */
struct sftp_batch_item {
	const char *remote_path;
	/* put: the content to write. get: receives the content (the caller
	 * frees it with sb_free; it may hold data after a failure too). */
	struct strbuf data;
	/* put: the final attributes (PERMISSIONS, ACMODTIME, UIDGID flags).
	 * get: the size known from a listing (SIZE flag) saves a READ. */
	struct sftp_attrs attrs;
	int no_replace; /* put: keep an existing remote_path (err EEXIST) */
	/* results */
	int err;       /* 0, or an errno: EEXIST (no_replace), ENOENT, EACCES, EIO, ... */
	char msg[512]; /* err's message, as sftp_client_error() words it */
};
/* Called once per item as soon as it is finished (successfully or not). */
typedef void (*sftp_batch_fn)(void *ctx, struct sftp_batch_item *it);

/* Uploads n items, each atomically as sftp_upload_atomic() does (a new
 * temporary file next to remote_path, written, attributes set, closed,
 * posix-renamed over remote_path; removed again on failure) but without
 * an fsync per file, keeping up to max_files files (0: 64) in flight, so
 * many small files cost no round trip each. The server must process
 * requests in order (OpenSSH's and egs's do) and offer posix-rename
 * (else -1 with ENOTSUP before anything is sent: use sftp_upload_atomic).
 * Returns 0 when every item got its result (look at each err), -1 when
 * the stream broke (unfinished items get that error). done may be NULL. */
int sftp_put_batch(struct sftp_client *c, struct sftp_batch_item *items, size_t n,
                   unsigned max_files, sftp_batch_fn done, void *ctx);
/* Downloads n items into their data (OPEN, READs, CLOSE per file; up to
 * max_files (0: 64) files in flight). A file larger than 16 MiB fails
 * with EFBIG: the batch is meant for small files. Return as above. */
int sftp_get_batch(struct sftp_client *c, struct sftp_batch_item *items, size_t n,
                   unsigned max_files, sftp_batch_fn done, void *ctx);

#endif

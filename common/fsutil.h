/* File helpers that never leave a partial file behind. */
#ifndef EGS_FSUTIL_H
#define EGS_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/* Replaces path with data atomically: writes a temporary file in the same
 * directory, fchmod(mode), fsync, rename over path, fsync the directory.
 * On failure path is untouched and the temporary file is removed.
 * Returns 0, or -1 with errno set. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The two halves of fs_write_atomic() for writers that stream: begin
 * creates the temporary file ("DIR/.NAME.egs-XXXXXX", its name in tmp,
 * cap bytes) and returns its fd (O_CLOEXEC), or -1 with errno. commit
 * fchmods, fsyncs and closes fd, renames tmp over path and fsyncs the
 * directory; on failure it closes fd, removes tmp and returns -1 with
 * errno. To give up in between: close(fd) and unlink(tmp). */
int fs_atomic_begin(const char *path, char *tmp, size_t cap);
int fs_atomic_commit(int fd, const char *tmp, const char *path, mode_t mode);
/* fs_write_atomic in two steps, for a file that needs an owner or that
 * is renamed together with others (common/filetxn.h): prepare writes the
 * whole temporary file (name in tmp, cap bytes): data, owner (unless both
 * are -1), mode, fsync, closed; on failure nothing is left. publish
 * renames it over path and fsyncs the directory; on failure it removes
 * tmp. Both return 0 or -1 with errno. */
int fs_atomic_prepare(const char *path, char *tmp, size_t cap, const void *data, size_t len,
                      mode_t mode, uid_t uid, gid_t gid);
int fs_atomic_publish(const char *tmp, const char *path);
/* Removes the temporary files fs_atomic_begin made for path that a killed
 * writer left behind ("DIR/.NAME.egs-" + 6 characters). Only for callers
 * that hold a lock every writer of path takes. Returns 0 or -1 (errno). */
int fs_atomic_remove_stale(const char *path);
/* Appends the whole file to out. Fails with EFBIG when it is larger than
 * max bytes (0: no limit). Returns 0 or -1 with errno. */
int fs_read_file(const char *path, struct strbuf *out, size_t max);
/* mkdir -p: creates missing parents with mode; existing dirs are fine. */
int fs_mkdir_p(const char *path, mode_t mode);
/* Writes all of buf to fd, retrying on EINTR and short writes. */
int fs_write_all(int fd, const void *buf, size_t len);
/* fsyncs the directory that holds path ("." when path has no '/'), so a
 * rename into it is durable. File systems that refuse fsync on directories
 * (EINVAL, EROFS) count as success. Returns 0 or -1 with errno. */
int fs_fsync_parent(const char *path);
/* Joins dir and name with one '/' into a malloc'd string (NULL: ENOMEM). */
char *fs_join(const char *dir, const char *name);

#endif

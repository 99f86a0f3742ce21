#include "sftp_server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sftp_longname.h"
#include "sftp_proto.h"

/* A READDIR reply stops growing past this many bytes or entries (the
 * OpenSSH client refuses packets over 256 KiB). */
#define READDIR_MAX_BYTES (128 * 1024)
#define READDIR_MAX_ENTRIES 100

/* ---- requests ---------------------------------------------------------- */

/* Each handler gets the request id and a reader positioned after it, and
 * appends exactly one response (unless a fatal error is flagged). */

static int refuse_if_read_only(struct server *s, uint32_t id)
{
	if (!s->opts->read_only)
		return 0;
	sftps_status(s, id, SSH_FX_PERMISSION_DENIED);
	return 1;
}

static int do_open(struct server *s, uint32_t id, struct wire_reader *r)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	uint32_t pflags = wr_u32(r);
	struct sftp_attrs a;
	wr_attrs(r, &a);
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	int flags;
	if ((pflags & SSH_FXF_READ) && (pflags & SSH_FXF_WRITE))
		flags = O_RDWR;
	else if (pflags & SSH_FXF_WRITE)
		flags = O_WRONLY;
	else
		flags = O_RDONLY;
	if (pflags & SSH_FXF_APPEND)
		flags |= O_APPEND;
	if (pflags & SSH_FXF_CREAT)
		flags |= O_CREAT;
	if (pflags & SSH_FXF_TRUNC)
		flags |= O_TRUNC;
	if (pflags & SSH_FXF_EXCL)
		flags |= O_EXCL;
	if (flags != O_RDONLY && refuse_if_read_only(s, id))
		return 0;
	mode_t mode = (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (a.perm & 07777) : 0666;
	log_msg(LOG_DBG, SFTPS_LOG_SRC, "open \"%s\" flags 0x%x mode 0%o", s->path1, pflags, mode);
	int fd = open(s->path1, flags | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return sftps_errno(s, id, errno);
	long h = sftps_alloc_handle(s, H_FILE, s->path1);
	if (h < 0) {
		int e = errno;
		close(fd);
		return sftps_errno(s, id, e);
	}
	s->handles[h].fd = fd;
	sftps_handle(s, id, (size_t)h);
	return 0;
}

static int do_close(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_FREE);
	if (!h)
		return sftps_status(s, id, r->bad ? SSH_FX_BAD_MESSAGE : SSH_FX_FAILURE);
	int rc, err = 0;
	if (h->kind == H_FILE) {
		log_msg(LOG_DBG, SFTPS_LOG_SRC, "close \"%s\" bytes read %llu written %llu", h->path,
		        (unsigned long long)h->bytes_read, (unsigned long long)h->bytes_written);
		rc = close(h->fd);
	} else {
		log_msg(LOG_DBG, SFTPS_LOG_SRC, "closedir \"%s\"", h->path);
		rc = closedir(h->dir);
	}
	if (rc < 0)
		err = errno;
	sftps_free_handle(h);
	sftps_result(s, id, rc, err);
	return 0;
}

static int do_read(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_FILE);
	uint64_t offset = wr_u64(r);
	uint32_t len = wr_u32(r);
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	if (!h)
		return sftps_status(s, id, SSH_FX_FAILURE);
	if (len > SFTP_MAX_DATA)
		len = SFTP_MAX_DATA; /* a short read is allowed; clients ask again */
	if (offset > INT64_MAX)
		return sftps_errno(s, id, EINVAL);
	/* read straight into the output buffer behind a DATA header */
	const size_t head = 4 + 1 + 4 + 4;
	if (sb_reserve(&s->out, head + len) < 0)
		return sftps_oom(s);
	unsigned char *pkt = (unsigned char *)s->out.data + s->out.len;
	ssize_t n;
	do
		n = pread(h->fd, pkt + head, len, (off_t)offset);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ESPIPE) /* FIFOs and character devices */
		n = read(h->fd, pkt + head, len);
	if (n < 0)
		return sftps_errno(s, id, errno);
	if (n == 0 && len > 0)
		return sftps_status(s, id, SSH_FX_EOF);
	wire_put_u32_at(pkt, (uint32_t)(head - 4 + (size_t)n));
	pkt[4] = SSH_FXP_DATA;
	wire_put_u32_at(pkt + 5, id);
	wire_put_u32_at(pkt + 9, (uint32_t)n);
	s->out.len += head + (size_t)n;
	s->out.data[s->out.len] = '\0';
	h->bytes_read += (uint64_t)n;
	return 0;
}

static int do_write(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_FILE);
	uint64_t offset = wr_u64(r);
	size_t len;
	const char *data = wr_string(r, &len);
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	if (!h)
		return sftps_status(s, id, SSH_FX_FAILURE);
	if (offset > INT64_MAX)
		return sftps_errno(s, id, EINVAL);
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(h->fd, data + done, len - done, (off_t)(offset + done));
		if (n < 0 && errno == ESPIPE)
			n = write(h->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sftps_errno(s, id, errno);
		if (n == 0)
			return sftps_errno(s, id, EIO);
		done += (size_t)n;
		h->bytes_written += (uint64_t)n;
	}
	sftps_status(s, id, SSH_FX_OK);
	return 0;
}

static int do_stat(struct server *s, uint32_t id, struct wire_reader *r, int follow)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	struct stat st;
	if ((follow ? stat(s->path1, &st) : lstat(s->path1, &st)) < 0)
		return sftps_errno(s, id, errno);
	sftps_attrs(s, id, &st);
	return 0;
}

static int do_fstat(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_FREE);
	if (!h)
		return sftps_status(s, id, r->bad ? SSH_FX_BAD_MESSAGE : SSH_FX_FAILURE);
	struct stat st;
	int fd = h->kind == H_FILE ? h->fd : dirfd(h->dir);
	if (fstat(fd, &st) < 0)
		return sftps_errno(s, id, errno);
	sftps_attrs(s, id, &st);
	return 0;
}

/* Applies attributes in OpenSSH's order: size, permissions, times, owner.
 * fd >= 0 targets the open file; otherwise path, following symlinks
 * unless nofollow. Returns 0 or -1 with errno. */
static int apply_attrs(int fd, const char *path, const struct sftp_attrs *a, int nofollow)
{
	int at = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
	if (a->flags & SSH_FILEXFER_ATTR_SIZE) {
		if (nofollow || a->size > INT64_MAX) {
			errno = nofollow ? EOPNOTSUPP : EINVAL;
			return -1;
		}
		if ((fd >= 0 ? ftruncate(fd, (off_t)a->size) : truncate(path, (off_t)a->size)) < 0)
			return -1;
	}
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) {
		mode_t mode = a->perm & 07777;
		if ((fd >= 0 ? fchmod(fd, mode) : fchmodat(AT_FDCWD, path, mode, at)) < 0)
			return -1;
	}
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME) {
		struct timespec ts[2] = {{.tv_sec = a->atime}, {.tv_sec = a->mtime}};
		if ((fd >= 0 ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, at)) < 0)
			return -1;
	}
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID) {
		if ((fd >= 0 ? fchown(fd, a->uid, a->gid)
		             : fchownat(AT_FDCWD, path, a->uid, a->gid, at)) < 0)
			return -1;
	}
	return 0;
}

static int do_setstat(struct server *s, uint32_t id, struct wire_reader *r, int nofollow)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	struct sftp_attrs a;
	wr_attrs(r, &a);
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	if (refuse_if_read_only(s, id))
		return 0;
	log_msg(LOG_DBG, SFTPS_LOG_SRC, "%ssetstat \"%s\" flags 0x%x", nofollow ? "l" : "", s->path1, a.flags);
	int rc = apply_attrs(-1, s->path1, &a, nofollow);
	sftps_result(s, id, rc, errno);
	return 0;
}

static int do_fsetstat(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_FREE);
	struct sftp_attrs a;
	wr_attrs(r, &a);
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	if (!h)
		return sftps_status(s, id, SSH_FX_FAILURE);
	if (refuse_if_read_only(s, id))
		return 0;
	int fd = h->kind == H_FILE ? h->fd : dirfd(h->dir);
	int rc = apply_attrs(fd, NULL, &a, 0);
	sftps_result(s, id, rc, errno);
	return 0;
}

static int do_opendir(struct server *s, uint32_t id, struct wire_reader *r)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	log_msg(LOG_DBG, SFTPS_LOG_SRC, "opendir \"%s\"", s->path1);
	DIR *d = opendir(s->path1);
	if (!d)
		return sftps_errno(s, id, errno);
	long h = sftps_alloc_handle(s, H_DIR, s->path1);
	if (h < 0) {
		int e = errno;
		closedir(d);
		return sftps_errno(s, id, e);
	}
	s->handles[h].dir = d;
	sftps_handle(s, id, (size_t)h);
	return 0;
}

static int do_readdir(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_DIR);
	if (!h)
		return sftps_status(s, id, r->bad ? SSH_FX_BAD_MESSAGE : SSH_FX_FAILURE);
	size_t start = ww_packet_begin(&s->out, SSH_FXP_NAME);
	if (start == (size_t)-1 || ww_u32(&s->out, id) || ww_u32(&s->out, 0))
		return sftps_oom(s);
	size_t count_at = s->out.len - 4;
	uint32_t count = 0;
	time_t now = time(NULL);
	while (count < READDIR_MAX_ENTRIES && s->out.len - start < READDIR_MAX_BYTES) {
		errno = 0;
		struct dirent *de = readdir(h->dir);
		if (!de) {
			if (errno && count == 0) {
				int e = errno;
				sb_truncate(&s->out, start);
				return sftps_errno(s, id, e);
			}
			break;
		}
		struct stat st;
		if (fstatat(dirfd(h->dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished meanwhile: skip it as OpenSSH does */
		struct sftp_attrs a;
		sftp_attrs_from_stat(&a, &st);
		sb_reset(&s->scratch);
		if (sftp_longname(&s->scratch, de->d_name, &st, now) < 0 ||
		    ww_cstring(&s->out, de->d_name) ||
		    ww_string(&s->out, s->scratch.data, s->scratch.len) ||
		    ww_attrs(&s->out, &a))
			return sftps_oom(s);
		count++;
	}
	if (count == 0) {
		sb_truncate(&s->out, start);
		return sftps_status(s, id, SSH_FX_EOF);
	}
	wire_put_u32_at(s->out.data + count_at, count);
	ww_packet_end(&s->out, start);
	return 0;
}

static int do_path_op(struct server *s, uint32_t id, struct wire_reader *r, int type)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	struct sftp_attrs a = {0};
	if (type == SSH_FXP_MKDIR)
		wr_attrs(r, &a);
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	if (refuse_if_read_only(s, id))
		return 0;
	int rc;
	if (type == SSH_FXP_REMOVE) {
		log_msg(LOG_DBG, SFTPS_LOG_SRC, "remove \"%s\"", s->path1);
		rc = unlink(s->path1);
	} else if (type == SSH_FXP_RMDIR) {
		log_msg(LOG_DBG, SFTPS_LOG_SRC, "rmdir \"%s\"", s->path1);
		rc = rmdir(s->path1);
	} else {
		mode_t mode = (a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) ? (a.perm & 07777) : 0777;
		log_msg(LOG_DBG, SFTPS_LOG_SRC, "mkdir \"%s\" mode 0%o", s->path1, mode);
		rc = mkdir(s->path1, mode);
	}
	sftps_result(s, id, rc, errno);
	return 0;
}

/* realpath() that, like OpenSSH's sftp_realpath(), accepts a final
 * component that does not exist yet ("put" asks about its target).
 * Writes into s->resolved. Returns 0 or -1 with errno. */
static int resolve_path(struct server *s, const char *path)
{
	if (!*path)
		path = ".";
	if (realpath(path, s->resolved))
		return 0;
	if (errno != ENOENT)
		return -1;
	char dir[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n + 1);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		errno = ENOENT;
		return -1;
	}
	char name[NAME_MAX + 1];
	if (strlen(base) > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(name, base);
	const char *parent = slash ? (slash == dir ? "/" : dir) : ".";
	if (slash && slash != dir)
		*slash = '\0';
	if (!realpath(parent, s->resolved))
		return -1;
	size_t len = strlen(s->resolved);
	int w = snprintf(s->resolved + len, sizeof(s->resolved) - len, "%s%s",
	                 len > 1 ? "/" : "", name);
	if (w < 0 || (size_t)w >= sizeof(s->resolved) - len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int do_realpath(struct server *s, uint32_t id, struct wire_reader *r)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	if (resolve_path(s, s->path1) < 0)
		return sftps_errno(s, id, errno);
	sftps_one_name(s, id, s->resolved);
	return 0;
}

/* SSH_FXP_RENAME keeps OpenSSH's no-overwrite semantics: regular files
 * are linked to the new name and then unlinked (failing if it exists);
 * where hard links are impossible, or for other types, rename() runs
 * only if the target is absent. */
static int rename_no_replace(const char *from, const char *to)
{
	struct stat st;
	if (lstat(from, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode)) {
		if (link(from, to) == 0)
			return unlink(from);
		if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EXDEV &&
		    errno != EPERM && errno != EMLINK)
			return -1;
	}
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* Reads the two paths of RENAME, SYMLINK, posix-rename and hardlink. */
static int read_two_paths(struct server *s, uint32_t id, struct wire_reader *r)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	wr_cstring(r, s->path2, sizeof(s->path2));
	if (r->bad) {
		sftps_status(s, id, SSH_FX_BAD_MESSAGE);
		return -1;
	}
	if (refuse_if_read_only(s, id))
		return -1;
	return 0;
}

static int do_rename(struct server *s, uint32_t id, struct wire_reader *r, int posix)
{
	if (read_two_paths(s, id, r) < 0)
		return 0;
	log_msg(LOG_DBG, SFTPS_LOG_SRC, "%srename old \"%s\" new \"%s\"", posix ? "posix-" : "",
	        s->path1, s->path2);
	int rc = posix ? rename(s->path1, s->path2) : rename_no_replace(s->path1, s->path2);
	sftps_result(s, id, rc, errno);
	return 0;
}

static int do_readlink(struct server *s, uint32_t id, struct wire_reader *r)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	ssize_t n = readlink(s->path1, s->path2, sizeof(s->path2) - 1);
	if (n < 0)
		return sftps_errno(s, id, errno);
	s->path2[n] = '\0';
	sftps_one_name(s, id, s->path2);
	return 0;
}

/* OpenSSH sends SYMLINK's arguments swapped relative to the draft: the
 * target first, then the new link's path. We follow OpenSSH. */
static int do_symlink(struct server *s, uint32_t id, struct wire_reader *r)
{
	if (read_two_paths(s, id, r) < 0)
		return 0;
	log_msg(LOG_DBG, SFTPS_LOG_SRC, "symlink old \"%s\" new \"%s\"", s->path1, s->path2);
	int rc = symlink(s->path1, s->path2);
	sftps_result(s, id, rc, errno);
	return 0;
}

/* ---- extensions -------------------------------------------------------- */

static int send_statvfs(struct server *s, uint32_t id, const struct statvfs *v)
{
	uint64_t flag = ((v->f_flag & ST_RDONLY) ? SSH_FXE_STATVFS_ST_RDONLY : 0) |
	                ((v->f_flag & ST_NOSUID) ? SSH_FXE_STATVFS_ST_NOSUID : 0);
	size_t start = ww_packet_begin(&s->out, SSH_FXP_EXTENDED_REPLY);
	if (start == (size_t)-1 || ww_u32(&s->out, id) ||
	    ww_u64(&s->out, v->f_bsize) || ww_u64(&s->out, v->f_frsize) ||
	    ww_u64(&s->out, v->f_blocks) || ww_u64(&s->out, v->f_bfree) ||
	    ww_u64(&s->out, v->f_bavail) || ww_u64(&s->out, v->f_files) ||
	    ww_u64(&s->out, v->f_ffree) || ww_u64(&s->out, v->f_favail) ||
	    ww_u64(&s->out, v->f_fsid) || ww_u64(&s->out, flag) ||
	    ww_u64(&s->out, v->f_namemax))
		return sftps_oom(s);
	ww_packet_end(&s->out, start);
	return 0;
}

static int do_statvfs(struct server *s, uint32_t id, struct wire_reader *r, int by_handle)
{
	struct statvfs v;
	int rc;
	if (by_handle) {
		struct handle *h = sftps_get_handle(s, r, H_FREE);
		if (!h)
			return sftps_status(s, id, r->bad ? SSH_FX_BAD_MESSAGE : SSH_FX_FAILURE);
		rc = fstatvfs(h->kind == H_FILE ? h->fd : dirfd(h->dir), &v);
	} else {
		wr_cstring(r, s->path1, sizeof(s->path1));
		if (r->bad)
			return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
		rc = statvfs(s->path1, &v);
	}
	if (rc < 0)
		return sftps_errno(s, id, errno);
	send_statvfs(s, id, &v);
	return 0;
}

static int do_fsync(struct server *s, uint32_t id, struct wire_reader *r)
{
	struct handle *h = sftps_get_handle(s, r, H_FILE);
	if (!h)
		return sftps_status(s, id, r->bad ? SSH_FX_BAD_MESSAGE : SSH_FX_FAILURE);
	int rc = fsync(h->fd);
	sftps_result(s, id, rc, errno);
	return 0;
}

static int do_limits(struct server *s, uint32_t id)
{
	size_t start = ww_packet_begin(&s->out, SSH_FXP_EXTENDED_REPLY);
	if (start == (size_t)-1 || ww_u32(&s->out, id) ||
	    ww_u64(&s->out, SFTP_MAX_PACKET) || ww_u64(&s->out, SFTP_MAX_DATA) ||
	    ww_u64(&s->out, SFTP_MAX_DATA) || ww_u64(&s->out, s->max_handles))
		return sftps_oom(s);
	ww_packet_end(&s->out, start);
	return 0;
}

/* expand-path@openssh.com as OpenSSH does it: "~" and "~/x" are relative
 * to the current (start) directory, "~user/x" to that user's home, other
 * relative paths to the current directory; the result is canonicalised. */
static int do_expand_path(struct server *s, uint32_t id, struct wire_reader *r)
{
	wr_cstring(r, s->path1, sizeof(s->path1));
	if (r->bad)
		return sftps_status(s, id, SSH_FX_BAD_MESSAGE);
	const char *p = s->path1;
	if (p[0] == '~' && (p[1] == '\0' || p[1] == '/')) {
		p += p[1] ? 2 : 1;
		if (!*p)
			p = ".";
	} else if (p[0] == '~') {
		const char *slash = strchr(p, '/');
		size_t ulen = slash ? (size_t)(slash - p - 1) : strlen(p + 1);
		char user[256];
		if (ulen >= sizeof(user))
			return sftps_status(s, id, SSH_FX_NO_SUCH_FILE);
		memcpy(user, p + 1, ulen);
		user[ulen] = '\0';
		struct passwd *pw = getpwnam(user);
		if (!pw)
			return sftps_status_msg(s, id, SSH_FX_NO_SUCH_FILE, "No such user");
		int w = snprintf(s->path2, sizeof(s->path2), "%s%s", pw->pw_dir, slash ? slash : "");
		if (w < 0 || (size_t)w >= sizeof(s->path2))
			return sftps_errno(s, id, ENAMETOOLONG);
		p = s->path2;
	}
	if (resolve_path(s, p) < 0)
		return sftps_errno(s, id, errno);
	sftps_one_name(s, id, s->resolved);
	return 0;
}

static int do_hardlink(struct server *s, uint32_t id, struct wire_reader *r)
{
	if (read_two_paths(s, id, r) < 0)
		return 0;
	log_msg(LOG_DBG, SFTPS_LOG_SRC, "hardlink old \"%s\" new \"%s\"", s->path1, s->path2);
	int rc = link(s->path1, s->path2);
	sftps_result(s, id, rc, errno);
	return 0;
}

static int do_extended(struct server *s, uint32_t id, struct wire_reader *r)
{
	char name[64];
	wr_cstring(r, name, sizeof(name));
	if (r->bad)
		return sftps_status(s, id, SSH_FX_OP_UNSUPPORTED);
	if (!strcmp(name, SFTP_EXT_POSIX_RENAME))
		do_rename(s, id, r, 1);
	else if (!strcmp(name, SFTP_EXT_STATVFS))
		do_statvfs(s, id, r, 0);
	else if (!strcmp(name, SFTP_EXT_FSTATVFS))
		do_statvfs(s, id, r, 1);
	else if (!strcmp(name, SFTP_EXT_HARDLINK))
		do_hardlink(s, id, r);
	else if (!strcmp(name, SFTP_EXT_FSYNC))
		do_fsync(s, id, r);
	else if (!strcmp(name, SFTP_EXT_LSETSTAT))
		do_setstat(s, id, r, 1);
	else if (!strcmp(name, SFTP_EXT_LIMITS))
		do_limits(s, id);
	else if (!strcmp(name, SFTP_EXT_EXPAND_PATH))
		do_expand_path(s, id, r);
	else
		sftps_status(s, id, SSH_FX_OP_UNSUPPORTED);
	return 0;
}

static int send_version(struct server *s)
{
	static const char *const ext[][2] = {
		{SFTP_EXT_POSIX_RENAME, "1"}, {SFTP_EXT_STATVFS, "2"},
		{SFTP_EXT_FSTATVFS, "2"},     {SFTP_EXT_HARDLINK, "1"},
		{SFTP_EXT_FSYNC, "1"},        {SFTP_EXT_LSETSTAT, "1"},
		{SFTP_EXT_LIMITS, "1"},       {SFTP_EXT_EXPAND_PATH, "1"},
	};
	size_t start = ww_packet_begin(&s->out, SSH_FXP_VERSION);
	if (start == (size_t)-1 || ww_u32(&s->out, SFTP_VERSION))
		return sftps_oom(s);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (ww_cstring(&s->out, ext[i][0]) || ww_cstring(&s->out, ext[i][1]))
			return sftps_oom(s);
	ww_packet_end(&s->out, start);
	return 0;
}

/* Handles one packet (without its length field). */
int sftps_handle_packet(struct server *s, const unsigned char *p, size_t len)
{
	struct wire_reader r;
	wr_init(&r, p, len);
	uint8_t type = wr_u8(&r);
	if (!s->init_done) {
		if (type != SSH_FXP_INIT) {
			log_msg(LOG_ERR, SFTPS_LOG_SRC, "received request %u before init", type);
			s->fatal = 1;
			return 0;
		}
		uint32_t version = wr_u32(&r);
		log_msg(LOG_DBG, SFTPS_LOG_SRC, "client version %u", version);
		s->init_done = 1;
		send_version(s);
		return 0;
	}
	uint32_t id = wr_u32(&r);
	if (r.bad) {
		log_msg(LOG_ERR, SFTPS_LOG_SRC, "packet of %zu bytes has no request id", len);
		s->fatal = 1;
		return 0;
	}
	switch (type) {
	case SSH_FXP_OPEN: do_open(s, id, &r); break;
	case SSH_FXP_CLOSE: do_close(s, id, &r); break;
	case SSH_FXP_READ: do_read(s, id, &r); break;
	case SSH_FXP_WRITE: do_write(s, id, &r); break;
	case SSH_FXP_LSTAT: do_stat(s, id, &r, 0); break;
	case SSH_FXP_STAT: do_stat(s, id, &r, 1); break;
	case SSH_FXP_FSTAT: do_fstat(s, id, &r); break;
	case SSH_FXP_SETSTAT: do_setstat(s, id, &r, 0); break;
	case SSH_FXP_FSETSTAT: do_fsetstat(s, id, &r); break;
	case SSH_FXP_OPENDIR: do_opendir(s, id, &r); break;
	case SSH_FXP_READDIR: do_readdir(s, id, &r); break;
	case SSH_FXP_REMOVE:
	case SSH_FXP_MKDIR:
	case SSH_FXP_RMDIR: do_path_op(s, id, &r, type); break;
	case SSH_FXP_REALPATH: do_realpath(s, id, &r); break;
	case SSH_FXP_RENAME: do_rename(s, id, &r, 0); break;
	case SSH_FXP_READLINK: do_readlink(s, id, &r); break;
	case SSH_FXP_SYMLINK: do_symlink(s, id, &r); break;
	case SSH_FXP_EXTENDED: do_extended(s, id, &r); break;
	default:
		log_msg(LOG_WRN, SFTPS_LOG_SRC, "unknown request type %u", type);
		sftps_status(s, id, SSH_FX_OP_UNSUPPORTED);
		break;
	}
	return 0;
}

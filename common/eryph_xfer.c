#include "eryph_xfer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "jsonw.h"
#include "sshwire.h"

#define XFER_CHUNK (64 * 1024)

static void set_ok(struct eryph_result *res)
{
	memset(res, 0, sizeof(*res));
	res->kind = ERYPH_OK;
}

static void set_status(struct eryph_result *res, uint32_t status)
{
	memset(res, 0, sizeof(*res));
	res->kind = ERYPH_STATUS;
	res->status = status;
}

static void set_exception(struct eryph_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_exception(struct eryph_result *res, const char *fmt, ...)
{
	memset(res, 0, sizeof(*res));
	res->kind = ERYPH_EXCEPTION;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* The message .NET's Interop.GetExceptionForIoErrno gives for err on path;
 * dir says whether a missing path means a missing directory. */
static void set_errno_exception(struct eryph_result *res, int err, const char *path, int dir)
{
	switch (err) {
	case EACCES:
	case EPERM:
	case EBADF:
	case EISDIR:
		set_exception(res, "Access to the path '%s' is denied.", path);
		break;
	case ENOENT:
		if (dir)
			set_exception(res, "Could not find a part of the path '%s'.", path);
		else
			set_exception(res, "Could not find file '%s'.", path);
		break;
	case ENOTDIR:
		set_exception(res, "Could not find a part of the path '%s'.", path);
		break;
	case ENAMETOOLONG:
		set_exception(res, "The path '%s' is too long, or a component of the "
		              "specified path is too long.", path);
		break;
	case EEXIST:
		set_exception(res, "The file '%s' already exists.", path);
		break;
	default:
		set_exception(res, "%s : '%s'", strerror(err), path);
		break;
	}
}

int eryph_request_known(const char *type)
{
	return strcmp(type, ERYPH_REQ_UPLOAD) == 0 || strcmp(type, ERYPH_REQ_DOWNLOAD) == 0 ||
	       strcmp(type, ERYPH_REQ_LIST) == 0;
}

/* Reads one SSH string field as a malloc'd C string. Fails (with res set)
 * when the field is missing or truncated, or holds a NUL byte. */
static char *get_path_field(struct sw_reader *r, const char *type, const char *field,
                            struct eryph_result *res)
{
	const unsigned char *data;
	size_t len;
	if (sw_get_string(r, &data, &len) < 0) {
		set_exception(res, "malformed %s request: field '%s' is missing or truncated",
		              type, field);
		return NULL;
	}
	if (memchr(data, 0, len)) {
		set_exception(res, "malformed %s request: field '%s' contains a NUL byte",
		              type, field);
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		set_exception(res, "Insufficient memory to continue the execution of the program.");
		return NULL;
	}
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* Path.Combine(base, path) on Unix: base when path is empty, path when it
 * is absolute, else base + "/" + path (no '/' doubled). NULL: ENOMEM. */
static char *combine_path(const char *base, const char *path)
{
	if (*base == '\0' || *path == '/')
		return strdup(path);
	if (*path == '\0')
		return strdup(base);
	size_t bl = strlen(base), pl = strlen(path);
	int sep = base[bl - 1] != '/';
	char *s = malloc(bl + (size_t)sep + pl + 1);
	if (!s)
		return NULL;
	memcpy(s, base, bl);
	if (sep)
		s[bl] = '/';
	memcpy(s + bl + (size_t)sep, path, pl + 1);
	return s;
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

/* Reads up to len bytes, retrying on EINTR; 0 at EOF, -1 on error. */
static ssize_t read_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);
		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* Copies exactly length bytes from in_fd to fd. Returns 0, 1 when in_fd
 * ended early (*got says how much arrived), -1 on a read/write error
 * (*what is "read" or "write", errno set). */
static int copy_in(int in_fd, int fd, uint64_t length, uint64_t *got, const char **what)
{
	static unsigned char buf[XFER_CHUNK];
	*got = 0;
	while (*got < length) {
		uint64_t want = length - *got;
		ssize_t n = read_some(in_fd, buf, want < sizeof(buf) ? (size_t)want : sizeof(buf));
		if (n < 0) {
			*what = "read";
			return -1;
		}
		if (n == 0)
			return 1;
		if (fs_write_all(fd, buf, (size_t)n) < 0) {
			*what = "write";
			return -1;
		}
		*got += (uint64_t)n;
	}
	return 0;
}

/* The directory part of path as Path.GetDirectoryName gives it ("" when
 * path has no '/', "/" for a file in the root). NULL: ENOMEM. */
static char *dir_part(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup("");
	size_t n = (size_t)(slash - path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return strdup("/");
	return strndup(path, n);
}

static void do_upload(const char *full, uint64_t length, int overwrite, int in_fd,
                      struct eryph_result *res)
{
	struct stat st;
	int exists = stat(full, &st) == 0;
	if (exists && !S_ISDIR(st.st_mode) && !overwrite) {
		set_status(res, ERYPH_FILE_EXISTS);
		return;
	}
	if (exists && S_ISDIR(st.st_mode)) {
		/* .NET refuses to open a directory as a file this way */
		set_errno_exception(res, EACCES, full, 0);
		return;
	}
	char *dir = dir_part(full), *target = NULL, *tmp = NULL;
	int fd = -1;
	if (!dir)
		goto nomem;
	if (*dir && fs_mkdir_p(dir, 0777) < 0) {
		int err = errno;
		struct stat ds;
		/* .NET's Directory.CreateDirectory on an existing file */
		if (err == ENOTDIR && stat(dir, &ds) == 0 && !S_ISDIR(ds.st_mode))
			err = EEXIST;
		set_errno_exception(res, err, dir, 1);
		goto out;
	}
	/* an existing symlink is written through, as the original does */
	struct stat lst;
	if (exists && lstat(full, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		target = realpath(full, NULL);
		if (!target) {
			set_errno_exception(res, errno, full, 0);
			goto out;
		}
		free(dir);
		dir = dir_part(target);
		if (!dir)
			goto nomem;
	} else {
		target = strdup(full);
		if (!target)
			goto nomem;
	}
	const char *name = strrchr(target, '/');
	name = name ? name + 1 : target;
	if (*name == '\0') {
		set_errno_exception(res, EISDIR, full, 0);
		goto out;
	}
	struct strbuf tb = STRBUF_INIT;
	if (sb_printf(&tb, "%s%s.%s.egs-upload-XXXXXX", dir,
	              *dir == '\0' || strcmp(dir, "/") == 0 ? "" : "/", name) < 0)
		goto nomem;
	tmp = sb_detach(&tb);
	if (!tmp)
		goto nomem;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		set_errno_exception(res, errno, full, 0);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	mode_t mode = exists ? (st.st_mode & 07777) : (0666 & ~current_umask());
	if (fchmod(fd, mode) < 0) {
		set_errno_exception(res, errno, full, 0);
		goto out;
	}
	/* keep the owner of a replaced file; EPERM (we are not root) leaves
	 * the file ours, as a new file would be */
	if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM) {
		set_errno_exception(res, errno, full, 0);
		goto out;
	}
	uint64_t got = 0;
	const char *what = "";
	int rc = copy_in(in_fd, fd, length, &got, &what);
	if (rc < 0) {
		if (strcmp(what, "write") == 0)
			set_errno_exception(res, errno, full, 0);
		else
			set_exception(res, "upload of '%s' failed reading channel data: %s", full,
			              strerror(errno));
		goto out;
	}
	if (rc > 0) {
		set_exception(res, "upload ended after %llu of %llu bytes",
		              (unsigned long long)got, (unsigned long long)length);
		goto out;
	}
	if (fsync(fd) < 0) {
		set_errno_exception(res, errno, full, 0);
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0 || rename(tmp, target) < 0) {
		set_errno_exception(res, errno, full, 0);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	(void)fs_fsync_parent(target); /* the data is in place; best effort */
	set_ok(res);
	goto out;
nomem:
	set_exception(res, "Insufficient memory to continue the execution of the program.");
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(target);
	free(dir);
}

static void do_download(const char *path, int out_fd, struct eryph_result *res)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		set_status(res, ERYPH_FILE_NOT_FOUND);
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_errno_exception(res, errno, path, 0);
		return;
	}
	static unsigned char buf[XFER_CHUNK];
	for (;;) {
		ssize_t n = read_some(fd, buf, sizeof(buf));
		if (n < 0) {
			set_errno_exception(res, errno, path, 0);
			break;
		}
		if (n == 0) {
			set_ok(res);
			break;
		}
		if (fs_write_all(out_fd, buf, (size_t)n) < 0) {
			set_exception(res, "download of '%s' failed sending channel data: %s", path,
			              strerror(errno));
			break;
		}
	}
	close(fd);
}

/* Path.GetFullPath on Unix: made absolute against the cwd, then "//", "."
 * and ".." removed lexically (symlinks are not resolved); no trailing '/'
 * except for the root. Appends to out; returns 0 or -1 with errno. */
static int full_path(const char *path, struct strbuf *out)
{
	struct strbuf in = STRBUF_INIT;
	int rc = -1;
	if (*path != '/') {
		char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return -1;
		rc = sb_puts(&in, cwd);
		free(cwd);
		if (rc < 0 || sb_putc(&in, '/') < 0)
			goto out;
		rc = -1;
	}
	if (sb_puts(&in, path) < 0)
		goto out;
	size_t start = out->len;
	const char *p = sb_str(&in);
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			size_t keep = out->len;
			while (keep > start && out->data[keep - 1] != '/')
				keep--;
			if (keep > start)
				keep--;
			sb_truncate(out, keep);
		} else if (sb_putc(out, '/') < 0 || sb_append(out, p, n) < 0) {
			goto out;
		}
		p = e;
	}
	if (out->len == start && sb_putc(out, '/') < 0)
		goto out;
	rc = 0;
out:
	sb_free(&in);
	return rc;
}

/* System.Text.Json's form of a local DateTime: "yyyy-MM-ddTHH:mm:ss",
 * then up to 7 fraction digits without trailing zeros (none when zero),
 * then the offset "+hh:mm". */
static void format_local_time(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;
	time_t t = ts->tv_sec;
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, size, "0001-01-01T00:00:00+00:00");
		return;
	}
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	long ticks = (ts->tv_nsec % 1000000000L) / 100; /* 0 .. 9999999 */
	if (ticks < 0)
		ticks = 0;
	if (ticks > 0 && n + 9 < size) {
		char frac[24];
		snprintf(frac, sizeof(frac), ".%07ld", ticks);
		size_t fl = strlen(frac);
		while (fl > 1 && frac[fl - 1] == '0')
			fl--;
		memcpy(buf + n, frac, fl);
		n += fl;
		buf[n] = '\0';
	}
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(buf + n, size - n, "%c%02ld:%02ld", sign, off / 3600, off / 60 % 60);
}

static void do_list(const char *path, int out_fd, struct eryph_result *res)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		set_status(res, ERYPH_FILE_NOT_FOUND);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		if (errno == EACCES || errno == EPERM)
			set_exception(res, "Access denied");
		else
			set_errno_exception(res, errno, path, 1);
		return;
	}
	struct strbuf base = STRBUF_INIT, json = STRBUF_INIT, entry = STRBUF_INIT;
	if (full_path(path, &base) < 0) {
		set_errno_exception(res, errno, path, 1);
		goto out;
	}
	if (strcmp(sb_str(&base), "/") == 0)
		sb_truncate(&base, 0);
	struct jsonw w;
	jw_init(&w, &json, 0, 1);
	jw_arr_begin(&w);
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno) {
				set_errno_exception(res, errno, path, 1);
				goto out;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* the target's type, size and time, as .NET's FileSystemInfo */
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
			if (errno == EACCES || errno == EPERM)
				continue;
			/* a dangling symlink is listed as the link itself */
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
		}
		sb_reset(&entry);
		if (sb_printf(&entry, "%s/%s", sb_str(&base), de->d_name) < 0) {
			set_exception(res, "Insufficient memory to continue the execution of the program.");
			goto out;
		}
		char when[64];
		format_local_time(&st.st_mtim, when, sizeof(when));
		int isdir = S_ISDIR(st.st_mode);
		jw_obj_begin(&w);
		jw_key(&w, "name");
		jw_str(&w, de->d_name);
		jw_key(&w, "fullPath");
		jw_str(&w, sb_str(&entry));
		jw_key(&w, "isDirectory");
		jw_bool(&w, isdir);
		jw_key(&w, "size");
		jw_int(&w, isdir ? 0 : (long long)st.st_size);
		jw_key(&w, "lastModified");
		jw_str(&w, when);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	if (jw_error(&w) < 0) {
		set_exception(res, "Insufficient memory to continue the execution of the program.");
		goto out;
	}
	if (fs_write_all(out_fd, json.data, json.len) < 0) {
		set_exception(res, "listing of '%s' failed sending channel data: %s", path,
		              strerror(errno));
		goto out;
	}
	set_ok(res);
out:
	closedir(d);
	sb_free(&base);
	sb_free(&json);
	sb_free(&entry);
}

int eryph_request(const char *type, const unsigned char *payload, size_t len,
                  int in_fd, int out_fd, struct eryph_result *res)
{
	struct sw_reader r;
	sw_reader_init(&r, payload, len);
	if (strcmp(type, ERYPH_REQ_UPLOAD) == 0) {
		char *base = NULL, *path = NULL, *full = NULL;
		uint64_t length;
		int overwrite, rc = -1;
		base = get_path_field(&r, type, "basePath", res);
		if (!base)
			goto up_out;
		path = get_path_field(&r, type, "path", res);
		if (!path)
			goto up_out;
		if (sw_get_u64(&r, &length) < 0) {
			set_exception(res, "malformed %s request: field 'length' is missing or truncated",
			              type);
			goto up_out;
		}
		if (sw_get_bool(&r, &overwrite) < 0) {
			set_exception(res, "malformed %s request: field 'overwrite' is missing or truncated",
			              type);
			goto up_out;
		}
		rc = 0;
		full = combine_path(base, path);
		if (!full)
			set_exception(res, "Insufficient memory to continue the execution of the program.");
		else if (*full == '\0')
			set_exception(res, "The value cannot be an empty string. (Parameter 'path')");
		else
			do_upload(full, length, overwrite, in_fd, res);
up_out:
		free(base);
		free(path);
		free(full);
		return rc;
	}
	if (strcmp(type, ERYPH_REQ_DOWNLOAD) == 0 || strcmp(type, ERYPH_REQ_LIST) == 0) {
		char *path = get_path_field(&r, type, "path", res);
		if (!path)
			return -1;
		if (*path == '\0')
			set_status(res, ERYPH_FILE_NOT_FOUND); /* File/Directory.Exists("") */
		else if (type[0] == 'd')
			do_download(path, out_fd, res);
		else
			do_list(path, out_fd, res);
		free(path);
		return 0;
	}
	set_exception(res, "unknown request type '%s'", type);
	return -1;
}

int eryph_result_encode(const struct eryph_result *res, struct strbuf *out)
{
	switch (res->kind) {
	case ERYPH_OK:
		return sb_puts(out, "ok\n");
	case ERYPH_STATUS:
		return sb_printf(out, "status %lu\n", (unsigned long)res->status);
	case ERYPH_EXCEPTION: {
		size_t start = out->len;
		size_t n = strnlen(res->message, sizeof(res->message));
		if (sb_puts(out, "exception ") < 0 || sb_append(out, res->message, n) < 0 ||
		    sb_putc(out, '\n') < 0) {
			sb_truncate(out, start);
			return -1;
		}
		for (size_t i = start + 10; i < out->len - 1; i++)
			if (out->data[i] == '\n' || out->data[i] == '\r')
				out->data[i] = ' ';
		return 0;
	}
	}
	return -1;
}

int eryph_result_decode(const char *line, size_t len, struct eryph_result *res)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (memchr(line, '\0', len) || memchr(line, '\n', len))
		return -1;
	if (len == 2 && memcmp(line, "ok", 2) == 0) {
		set_ok(res);
		return 0;
	}
	if (len > 7 && memcmp(line, "status ", 7) == 0) {
		uint64_t v = 0;
		for (size_t i = 7; i < len; i++) {
			if (line[i] < '0' || line[i] > '9' || i - 7 >= 10)
				return -1;
			v = v * 10 + (uint64_t)(line[i] - '0');
		}
		if (v > UINT32_MAX)
			return -1;
		set_status(res, (uint32_t)v);
		return 0;
	}
	if (len >= 10 && memcmp(line, "exception ", 10) == 0) {
		size_t n = len - 10;
		memset(res, 0, sizeof(*res));
		res->kind = ERYPH_EXCEPTION;
		if (n >= sizeof(res->message))
			n = sizeof(res->message) - 1;
		memcpy(res->message, line + 10, n);
		return 0;
	}
	return -1;
}

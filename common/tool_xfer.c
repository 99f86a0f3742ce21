#include "tool_xfer.h"

#include "fsutil.h"
#include "progress.h"
#include "sftp_proto.h"
#include "strbuf.h"
#include "tool_ssh.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH_FILES 512          /* items per sftp_*_batch call */
#define BATCH_BYTES (8u << 20)   /* data per sftp_put_batch call */
#define TEMP_CAP (4096 + 64)

/* One thing found by a walk. */
struct entry {
	char *rel;  /* relative to the walked directory, '/'-separated */
	char kind;  /* 'f' file, 'd' directory, 'l' symlink, 'o' other */
	struct sftp_attrs a;
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

struct xfer {
	struct sftp_client *c;
	const struct xfer_opts *o;
	struct progress bar;
	const char *src, *dst;
	unsigned done, failed, skipped;
	struct strbuf failures; /* NUL-separated names for the summary */
};

int xfer_verb_from_name(const char *name)
{
	static const char *const names[] = {"upload-file", "upload-directory", "download-file",
	                                    "download-directory"};
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* ---- output ------------------------------------------------------------- */

/* Prints one line (stdout, or stderr when err), the bar out of the way. */
static void say(struct xfer *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct xfer *x, int err, const char *fmt, ...)
{
	va_list ap;
	FILE *f = err ? stderr : stdout;
	progress_clear(&x->bar);
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

static void failed_file(struct xfer *x, const char *name)
{
	x->failed++;
	if (sb_append(&x->failures, name, strlen(name) + 1) < 0)
		x->failures.len = 0; /* the count is still right */
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

/* ---- walks -------------------------------------------------------------- */

static int add_entry(struct entries *es, const char *rel, char kind, const struct sftp_attrs *a)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 256;
		struct entry *v = realloc(es->v, cap * sizeof(*v));
		if (!v)
			return -1;
		es->v = v;
		es->cap = cap;
	}
	char *copy = strdup(rel);
	if (!copy)
		return -1;
	es->v[es->n++] = (struct entry){copy, kind, *a};
	return 0;
}

static void free_entries(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		free(es->v[i].rel);
	free(es->v);
	es->v = NULL;
	es->n = es->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char kind_of(uint32_t mode)
{
	return S_ISREG(mode) ? 'f' : S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : 'o';
}

/* Splits a NUL-separated name list into a sorted array (malloc'd). */
static char **sorted_names(struct strbuf *names, size_t count)
{
	char **v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t i = 0;
	for (size_t at = 0; at < names->len && i < count; at += strlen(names->data + at) + 1)
		v[i++] = names->data + at;
	qsort(v, i, sizeof(*v), cmp_str);
	return v;
}

/* The local tree under root/rel (pre-order, names sorted). */
static int walk_local(const char *root, const char *rel, int recursive, struct entries *es,
                      char *err, size_t errlen)
{
	char *dir = rel[0] ? fs_join(root, rel) : strdup(root);
	DIR *d = dir ? opendir(dir) : NULL;
	struct strbuf names = STRBUF_INIT;
	size_t count = 0;
	int rc = -1;
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir ? dir : root, strerror(errno));
		free(dir);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (sb_append(&names, de->d_name, strlen(de->d_name) + 1) < 0)
			goto oom;
		count++;
	}
	char **v = sorted_names(&names, count);
	if (!v)
		goto oom;
	rc = 0;
	for (size_t i = 0; i < count && rc == 0; i++) {
		char *path = fs_join(dir, v[i]), *r = rel[0] ? fs_join(rel, v[i]) : strdup(v[i]);
		struct stat st;
		if (!path || !r) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		} else if (lstat(path, &st) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		} else {
			struct sftp_attrs a;
			sftp_attrs_from_stat(&a, &st);
			char k = kind_of(st.st_mode);
			if (k == 'd' && !recursive) {
				/* the original copies the top level's files only */
			} else if (add_entry(es, r, k, &a) < 0) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			} else if (k == 'd') {
				rc = walk_local(root, r, recursive, es, err, errlen);
			}
		}
		free(path);
		free(r);
	}
	free(v);
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	closedir(d);
	free(dir);
	sb_free(&names);
	return rc;
}

/* The remote tree under root/rel. Our own temporary files are left out. */
static int walk_remote(struct sftp_client *c, const char *root, const char *rel, int recursive,
                       struct entries *es)
{
	char *dir = rel[0] ? fs_join(root, rel) : strdup(root);
	struct sftp_dir *d = dir ? sftp_opendir(c, dir) : NULL;
	free(dir);
	if (!d)
		return -1;
	struct entries here = {0};
	struct sftp_dirent e;
	int rc;
	while ((rc = sftp_readdir(c, d, &e)) == 1) {
		if (!strcmp(e.name, ".") || !strcmp(e.name, "..") || sftp_is_temp_name(e.name))
			continue;
		if (add_entry(&here, e.name, 0, &e.attrs) < 0) {
			rc = -1;
			break;
		}
	}
	if (sftp_closedir(c, d) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < here.n; i++) { /* sort by name */
		size_t m = i;
		for (size_t j = i + 1; j < here.n; j++)
			if (strcmp(here.v[j].rel, here.v[m].rel) < 0)
				m = j;
		struct entry t = here.v[i];
		here.v[i] = here.v[m];
		here.v[m] = t;
	}
	for (size_t i = 0; rc == 0 && i < here.n; i++) {
		struct entry *h = &here.v[i];
		char *r = rel[0] ? fs_join(rel, h->rel) : strdup(h->rel);
		if (!r) {
			rc = -1;
			break;
		}
		if (!(h->a.flags & SSH_FILEXFER_ATTR_PERMISSIONS)) {
			char *full = fs_join(root, r);
			rc = full ? sftp_lstat(c, full, &h->a) : -1;
			free(full);
		}
		char k = rc == 0 ? kind_of(h->a.perm) : 'o';
		if (rc == 0 && (k != 'd' || recursive)) {
			rc = add_entry(es, r, k, &h->a);
			if (rc == 0 && k == 'd')
				rc = walk_remote(c, root, r, recursive, es);
		}
		free(r);
	}
	free_entries(&here);
	return rc;
}

/* ---- temporary files ----------------------------------------------------- */

int xfer_clean_local_temps(const char *dir, unsigned min_age)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int removed = 0;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!sftp_is_temp_name(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || (long long)now - (long long)st.st_mtime < (long long)min_age)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static void clean_remote_dir(struct xfer *x, const char *dir)
{
	unsigned n = 0;
	if (sftp_clean_stale_temps(x->c, dir, XFER_STALE_AGE, &n) < 0 && !x->o->quiet)
		say(x, 1, "Warning: cleaning leftover temporary files in '%s': %s", dir,
		    sftp_client_error(x->c));
}

/* Creates the local file's temporary sibling; returns its fd or -1. */
static int local_temp(const char *dst, char *tmp)
{
	for (int tries = 0; tries < 5; tries++) {
		if (sftp_temp_name(dst, tmp, TEMP_CAP) < 0) {
			errno = ENAMETOOLONG;
			return -1;
		}
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Gives the finished temporary file its mode and times, syncs it (when
 * sync) and puts it in place: rename, or link+unlink when an existing
 * dst must be kept (EEXIST). Closes fd; the temp is gone either way. */
static int local_commit(int fd, const char *tmp, const char *dst, const struct sftp_attrs *a,
                        int overwrite, int sync)
{
	int rc = 0;
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
		rc = fchmod(fd, a->perm & 07777);
	if (rc == 0 && (a->flags & SSH_FILEXFER_ATTR_ACMODTIME)) {
		struct timespec t[2] = {{(time_t)a->atime, 0}, {(time_t)a->mtime, 0}};
		rc = futimens(fd, t);
	}
	if (rc == 0 && sync)
		rc = fsync(fd);
	int e = errno;
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && overwrite) {
		rc = rename(tmp, dst);
		e = errno;
	} else if (rc == 0 && (rc = link(tmp, dst)) < 0) {
		e = errno;
		if (e != EEXIST) { /* no hard links here: check, then rename */
			struct stat st;
			if (lstat(dst, &st) == 0)
				e = EEXIST;
			else if ((rc = rename(tmp, dst)) == 0)
				e = 0;
			else
				e = errno;
		}
	}
	if (rc == 0 && sync)
		(void)fs_fsync_parent(dst); /* best effort: the data is safe already */
	unlink(tmp); /* after rename: ENOENT, harmless */
	errno = e;
	return rc;
}

/* The directory part of path (malloc'd): "." when there is none. */
static char *parent_of(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

/* The original's checks of the local source before anything else: -1
 * when fine, else the exit code (after the message). */
static int check_source(enum xfer_verb verb, const char *src)
{
	struct stat st;
	if (verb == XFER_UPLOAD_FILE && (stat(src, &st) < 0 || !S_ISREG(st.st_mode))) {
		fprintf(stderr, "The file '%s' does not exist.\n", src);
		return XFER_EXIT_FAILED;
	}
	if (verb == XFER_UPLOAD_DIR && (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "The directory '%s' does not exist.\n", src);
		return XFER_EXIT_FAILED;
	}
	return -1;
}

/* mkdir -p for the local dir; *existed tells whether it was there. */
static int local_dir(const char *dir, int *existed)
{
	struct stat st;
	*existed = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
	return *existed ? 0 : fs_mkdir_p(dir, 0755);
}

/* mkdir -p in the guest; *existed tells whether dir was there. */
static int remote_dir(struct sftp_client *c, const char *dir, uint32_t mode, int *existed)
{
	struct sftp_attrs a;
	*existed = 0;
	if (sftp_stat(c, dir, &a) == 0) {
		if ((a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && !S_ISDIR(a.perm)) {
			errno = ENOTDIR;
			return -1;
		}
		*existed = 1;
		return 0;
	}
	if (errno != ENOENT)
		return -1;
	const char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		char *parent = strndup(dir, (size_t)(slash - dir));
		int ex, rc = parent ? remote_dir(c, parent, 0755, &ex) : -1;
		free(parent);
		if (rc < 0)
			return -1;
	}
	if (sftp_mkdir(c, dir, mode) == 0)
		return 0;
	/* someone else made it meanwhile? */
	if (sftp_stat(c, dir, &a) == 0 && S_ISDIR(a.perm)) {
		*existed = 1;
		return 0;
	}
	return -1;
}

/* ---- uploads ------------------------------------------------------------- */

static struct sftp_attrs keep_attrs(const struct sftp_attrs *a)
{
	struct sftp_attrs k = *a;
	k.flags &= SSH_FILEXFER_ATTR_PERMISSIONS | SSH_FILEXFER_ATTR_ACMODTIME;
	k.perm &= 07777;
	return k;
}

/* One file the pipelined way (sftp_upload_atomic). 0 uploaded, 1 exists
 * (no overwrite), -1 failed (message in the client). */
static int upload_one(struct xfer *x, const char *local, const char *remote,
                      const struct sftp_attrs *la, const char *shown)
{
	if (!x->o->overwrite) {
		struct sftp_attrs ra;
		if (sftp_lstat(x->c, remote, &ra) == 0)
			return 1;
		if (errno != ENOENT)
			return -1;
	}
	int fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(x, 1, "Failed to upload %s: %s", shown, strerror(errno));
		errno = 0;
		return -2;
	}
	struct sftp_attrs final = keep_attrs(la);
	struct sftp_xfer_opts xo = {.progress = progress_update, .ctx = &x->bar};
	progress_file(&x->bar, shown, la->size);
	int rc = sftp_upload_atomic(x->c, fd, remote, &final, &xo);
	close(fd);
	progress_file_done(&x->bar);
	return rc;
}

static int upload_file(struct xfer *x)
{
	struct stat st;
	if (stat(x->src, &st) < 0)
		return XFER_EXIT_FAILED; /* check_source said why */
	/* an existing directory receives the file under its own name */
	char *into = NULL;
	const char *dst = x->dst;
	struct sftp_attrs ra;
	if (sftp_stat(x->c, dst, &ra) == 0 && S_ISDIR(ra.perm)) {
		into = fs_join(dst, base_name(x->src));
		if (!into)
			return XFER_EXIT_FAILED;
		dst = into;
	}
	struct sftp_attrs la;
	sftp_attrs_from_stat(&la, &st);
	progress_set_total(&x->bar, la.size, 1);
	if (!x->o->quiet)
		say(x, 0, "Uploading file '%s'...", x->src);
	int rc = XFER_EXIT_FAILED, existed;
	char *parent = parent_of(dst);
	if (!parent || remote_dir(x->c, parent, 0755, &existed) < 0) {
		say(x, 1, "Upload failed: %s", parent ? sftp_client_error(x->c) : "out of memory");
		goto done;
	}
	if (existed)
		clean_remote_dir(x, parent);
	int r = upload_one(x, x->src, dst, &la, base_name(x->src));
	if (r == 0) {
		say(x, 0, "File uploaded successfully to '%s'", dst);
		rc = XFER_EXIT_OK;
	} else if (r == 1) {
		say(x, 1, "The file '%s' already exists.", dst);
		rc = XFER_EXIT_EXISTS;
	} else if (r == -1) {
		say(x, 1, "Upload failed: %s", sftp_client_error(x->c));
	}
done:
	free(parent);
	free(into);
	return rc;
}

/* A batch of small files to upload, read into memory. */
struct put_list {
	struct sftp_batch_item *items;
	char **shown; /* the name for messages: the relative path */
	size_t n, cap, bytes;
};

static void put_done(void *ctx, struct sftp_batch_item *it)
{
	struct xfer *x = ctx;
	const char *rel = it->remote_path + strlen(x->dst);
	while (*rel == '/')
		rel++;
	if (it->err == 0) {
		x->done++;
		if (!x->o->quiet)
			say(x, 0, "Uploaded: %s", base_name(rel));
	} else if (it->err == EEXIST) {
		say(x, 1, "The file '%s' already exists at the destination and will not be "
		    "overwritten.", rel);
	} else {
		say(x, 1, "Failed to upload %s: %s", base_name(rel), it->msg);
		failed_file(x, rel);
	}
	progress_add(&x->bar, it->data.len, 1);
}

static int put_flush(struct xfer *x, struct put_list *pl)
{
	int rc = pl->n ? sftp_put_batch(x->c, pl->items, pl->n, 0, put_done, x) : 0;
	for (size_t i = 0; i < pl->n; i++) {
		sb_free(&pl->items[i].data);
		free((char *)pl->items[i].remote_path);
	}
	pl->n = pl->bytes = 0;
	return rc;
}

/* Queues the small file; 0, or -1 when it could not be read (reported). */
static int put_queue(struct xfer *x, struct put_list *pl, const char *local, const char *remote,
                     const struct entry *e)
{
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 64;
		struct sftp_batch_item *v = realloc(pl->items, cap * sizeof(*v));
		if (!v)
			return -1;
		pl->items = v;
		pl->cap = cap;
	}
	struct sftp_batch_item *it = &pl->items[pl->n];
	memset(it, 0, sizeof(*it));
	it->remote_path = strdup(remote);
	it->attrs = keep_attrs(&e->a);
	it->no_replace = !x->o->overwrite;
	if (!it->remote_path || fs_read_file(local, &it->data, XFER_SMALL * 4) < 0) {
		say(x, 1, "Failed to upload %s: %s", base_name(e->rel), strerror(errno));
		failed_file(x, e->rel);
		free((char *)it->remote_path);
		sb_free(&it->data);
		return 0;
	}
	pl->bytes += it->data.len;
	pl->n++;
	return 0;
}

static int upload_dir(struct xfer *x)
{
	struct stat st;
	if (stat(x->src, &st) < 0)
		return XFER_EXIT_FAILED; /* check_source said why */
	struct entries es = {0};
	struct put_list pl = {0};
	char err[600];
	int rc = XFER_EXIT_FAILED, existed, batch = sftp_client_has_ext(x->c, SFTP_EXT_POSIX_RENAME);
	if (walk_local(x->src, "", x->o->recursive, &es, err, sizeof(err)) < 0) {
		say(x, 1, "Upload failed: %s", err);
		goto done;
	}
	uint64_t total = 0;
	unsigned files = 0;
	for (size_t i = 0; i < es.n; i++)
		if (es.v[i].kind == 'f')
			total += es.v[i].a.size, files++;
	progress_set_total(&x->bar, total, files);
	if (!x->o->quiet)
		say(x, 0, "Uploading directory '%s' (%u files%s)...", x->src, files,
		    x->o->recursive ? " (recursive)" : "");
	if (remote_dir(x->c, x->dst, st.st_mode & 07777, &existed) < 0) {
		say(x, 1, "Upload failed: creating '%s': %s", x->dst, sftp_client_error(x->c));
		goto done;
	}
	if (existed)
		clean_remote_dir(x, x->dst);
	for (size_t i = 0; i < es.n; i++) {
		struct entry *e = &es.v[i];
		char *local = fs_join(x->src, e->rel), *remote = fs_join(x->dst, e->rel);
		if (!local || !remote) {
			free(local), free(remote);
			say(x, 1, "Upload failed: out of memory");
			goto done;
		}
		if (e->kind == 'd') {
			if (remote_dir(x->c, remote, e->a.perm & 07777, &existed) < 0) {
				say(x, 1, "Failed to create directory %s: %s", e->rel, sftp_client_error(x->c));
				failed_file(x, e->rel);
			} else if (existed) {
				clean_remote_dir(x, remote);
			}
		} else if (e->kind == 'l' || e->kind == 'o') {
			say(x, 1, "skipped %s %s", e->kind == 'l' ? "symlink" : "special file", e->rel);
			x->skipped++;
		} else if (batch && e->a.size <= XFER_SMALL) {
			put_queue(x, &pl, local, remote, e);
			if ((pl.n >= BATCH_FILES || pl.bytes >= BATCH_BYTES) && put_flush(x, &pl) < 0)
				batch = 0; /* the stream broke: the next call reports it */
		} else {
			if (pl.n)
				put_flush(x, &pl);
			int r = upload_one(x, local, remote, &e->a, e->rel);
			if (r == 0) {
				x->done++;
				if (!x->o->quiet)
					say(x, 0, "Uploaded: %s", base_name(e->rel));
			} else if (r == 1) {
				say(x, 1, "The file '%s' already exists at the destination and will not "
				    "be overwritten.", e->rel);
				progress_add(&x->bar, e->a.size, 0);
			} else {
				if (r == -1)
					say(x, 1, "Failed to upload %s: %s", base_name(e->rel),
					    sftp_client_error(x->c));
				failed_file(x, e->rel);
			}
		}
		free(local), free(remote);
	}
	put_flush(x, &pl);
	rc = XFER_EXIT_OK;
done:
	free(pl.items);
	free_entries(&es);
	return rc;
}

/* ---- downloads ----------------------------------------------------------- */

/* One file into its local temporary and then into place. 0 done, 1
 * exists (no overwrite), -1 failed (message printed). */
static int download_one(struct xfer *x, const char *remote, const char *local,
                        const struct sftp_attrs *ra, const char *shown)
{
	char tmp[TEMP_CAP];
	int fd = local_temp(local, tmp);
	if (fd < 0) {
		say(x, 1, "Failed to download %s: %s", shown, strerror(errno));
		return -1;
	}
	struct sftp_xfer_opts xo = {.progress = progress_update, .ctx = &x->bar};
	progress_file(&x->bar, shown, ra->size);
	int rc = sftp_download(x->c, remote, fd, &xo);
	progress_file_done(&x->bar);
	if (rc < 0) {
		say(x, 1, "Failed to download %s: %s", shown, sftp_client_error(x->c));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (local_commit(fd, tmp, local, ra, x->o->overwrite, 1) < 0) {
		if (errno == EEXIST)
			return 1;
		say(x, 1, "Failed to download %s: %s: %s", shown, local, strerror(errno));
		return -1;
	}
	return 0;
}

static int download_file(struct xfer *x)
{
	struct stat st;
	char *into = NULL;
	const char *dst = x->dst;
	if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!(into = fs_join(dst, base_name(x->src))))
			return XFER_EXIT_FAILED;
		dst = into;
	}
	int rc = XFER_EXIT_FAILED, existed;
	struct sftp_attrs ra = {0};
	char *parent = NULL;
	if (lstat(dst, &st) == 0 && !x->o->overwrite) {
		say(x, 1, "The file '%s' already exists.", dst);
		rc = XFER_EXIT_EXISTS;
		goto done;
	}
	int found = sftp_stat(x->c, x->src, &ra) == 0;
	if (!found && sftp_client_status(x->c) != SSH_FX_NO_SUCH_FILE) {
		say(x, 1, "Download failed: %s", sftp_client_error(x->c));
		goto done;
	}
	if (!found || !S_ISREG(ra.perm)) { /* a directory is "not a file" too */
		say(x, 1, "The file '%s' was not found on the guest.", x->src);
		rc = XFER_EXIT_NOT_FOUND;
		goto done;
	}
	if (!(parent = parent_of(dst)) || local_dir(parent, &existed) < 0) {
		say(x, 1, "Download failed: %s: %s", parent ? parent : dst, strerror(errno));
		goto done;
	}
	if (existed)
		xfer_clean_local_temps(parent, XFER_STALE_AGE);
	progress_set_total(&x->bar, ra.size, 1);
	if (!x->o->quiet)
		say(x, 0, "Downloading file '%s'...", x->src);
	int r = download_one(x, x->src, dst, &ra, base_name(x->src));
	if (r == 0) {
		say(x, 0, "File downloaded successfully to '%s'", dst);
		rc = XFER_EXIT_OK;
	} else if (r == 1) {
		say(x, 1, "The file '%s' already exists.", dst);
		rc = XFER_EXIT_EXISTS;
	}
done:
	free(parent);
	free(into);
	return rc;
}

/* The batch's small downloads: written to temporaries, then into place. */
struct get_ctx {
	struct xfer *x;
	char **locals; /* the local path of each item */
	struct sftp_batch_item *items;
};

/* Writes data to local atomically (no fsync: a batch of small files). */
static int store_local(const struct strbuf *data, const char *local, const struct sftp_attrs *a,
                       int overwrite)
{
	char tmp[TEMP_CAP];
	int fd = local_temp(local, tmp);
	if (fd < 0)
		return -1;
	if (fs_write_all(fd, data->data ? data->data : "", data->len) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	return local_commit(fd, tmp, local, a, overwrite, 0);
}

static void get_done(void *ctx, struct sftp_batch_item *it)
{
	struct get_ctx *g = ctx;
	struct xfer *x = g->x;
	const char *local = g->locals[it - g->items];
	const char *name = base_name(it->remote_path);
	int rc = it->err == 0 ? store_local(&it->data, local, &it->attrs, x->o->overwrite) : -1;
	if (rc == 0) {
		x->done++;
	} else if (it->err == 0 && errno == EEXIST) {
		say(x, 1, "Skipped: %s (already exists)", name);
	} else {
		if (it->err == 0)
			snprintf(it->msg, sizeof(it->msg), "%s: %s", local, strerror(errno));
		if (it->err == ENOENT)
			say(x, 1, "File not found: %s", name);
		else
			say(x, 1, "Failed to download %s: %s", name, it->msg);
		failed_file(x, it->remote_path);
	}
	progress_add(&x->bar, it->attrs.size, 1);
	sb_free(&it->data);
}

static int get_flush(struct xfer *x, struct sftp_batch_item *items, char **locals, size_t *n)
{
	struct get_ctx g = {x, locals, items};
	int rc = *n ? sftp_get_batch(x->c, items, *n, 0, get_done, &g) : 0;
	for (size_t i = 0; i < *n; i++) {
		free((char *)items[i].remote_path);
		free(locals[i]);
		sb_free(&items[i].data);
	}
	*n = 0;
	return rc;
}

static int download_dir(struct xfer *x)
{
	struct sftp_attrs ra = {0};
	if (sftp_stat(x->c, x->src, &ra) < 0 || !S_ISDIR(ra.perm)) {
		if (sftp_client_status(x->c) == SSH_FX_NO_SUCH_FILE || S_ISREG(ra.perm)) {
			say(x, 1, "Directory '%s' was not found on the VM.", x->src);
			return XFER_EXIT_NOT_FOUND;
		}
		say(x, 1, "Error listing directory '%s': %s", x->src, sftp_client_error(x->c));
		return XFER_EXIT_FAILED;
	}
	struct entries es = {0};
	struct sftp_batch_item *items = calloc(BATCH_FILES, sizeof(*items));
	char **locals = calloc(BATCH_FILES, sizeof(*locals));
	size_t n = 0;
	int rc = XFER_EXIT_FAILED, existed;
	if (!items || !locals) {
		say(x, 1, "Download failed: out of memory");
		goto done;
	}
	if (walk_remote(x->c, x->src, "", x->o->recursive, &es) < 0) {
		say(x, 1, "Error listing directory '%s': %s", x->src, sftp_client_error(x->c));
		goto done;
	}
	if (local_dir(x->dst, &existed) < 0) {
		say(x, 1, "Download failed: %s: %s", x->dst, strerror(errno));
		goto done;
	}
	if (existed)
		xfer_clean_local_temps(x->dst, XFER_STALE_AGE);
	uint64_t total = 0;
	unsigned files = 0, top = 0;
	for (size_t i = 0; i < es.n; i++) {
		if (es.v[i].kind != 'f')
			continue;
		total += es.v[i].a.size, files++;
		top += strchr(es.v[i].rel, '/') == NULL;
	}
	progress_set_total(&x->bar, total, files);
	if (!x->o->quiet) {
		if (x->o->recursive)
			say(x, 0, "Downloading directory (recursive - %u files at root level) from '%s'...",
			    top, x->src);
		else
			say(x, 0, "Downloading directory (%u files) from '%s'...", top, x->src);
	}
	for (size_t i = 0; i < es.n; i++) {
		struct entry *e = &es.v[i];
		char *local = fs_join(x->dst, e->rel), *remote = fs_join(x->src, e->rel);
		struct stat st;
		if (!local || !remote) {
			free(local), free(remote);
			say(x, 1, "Download failed: out of memory");
			goto done;
		}
		if (e->kind == 'd') {
			if (local_dir(local, &existed) < 0) {
				say(x, 1, "Failed to create directory %s: %s", local, strerror(errno));
				failed_file(x, remote);
			} else if (existed) {
				xfer_clean_local_temps(local, XFER_STALE_AGE);
			} else {
				(void)chmod(local, (e->a.perm & 07777) | 0700);
			}
		} else if (e->kind == 'l' || e->kind == 'o') {
			say(x, 1, "skipped %s %s", e->kind == 'l' ? "symlink" : "special file", e->rel);
			x->skipped++;
		} else if (lstat(local, &st) == 0 && !x->o->overwrite) {
			say(x, 1, "Skipped: %s (already exists)", base_name(e->rel));
			progress_add(&x->bar, e->a.size, 1);
		} else if (e->a.size <= XFER_SMALL) {
			memset(&items[n], 0, sizeof(items[n]));
			items[n].remote_path = remote;
			items[n].attrs = keep_attrs(&e->a);
			items[n].attrs.flags |= SSH_FILEXFER_ATTR_SIZE;
			items[n].attrs.size = e->a.size;
			locals[n++] = local;
			local = remote = NULL;
			if (n == BATCH_FILES)
				get_flush(x, items, locals, &n);
		} else {
			if (n)
				get_flush(x, items, locals, &n);
			int r = download_one(x, remote, local, &e->a, e->rel);
			if (r == 0)
				x->done++;
			else if (r == 1)
				say(x, 1, "Skipped: %s (already exists)", base_name(e->rel));
			else
				failed_file(x, remote);
		}
		free(local), free(remote);
	}
	get_flush(x, items, locals, &n);
	rc = XFER_EXIT_OK;
done:
	for (size_t i = 0; i < n; i++)
		free((char *)items[i].remote_path), free(locals[i]);
	free(items);
	free(locals);
	free_entries(&es);
	return rc;
}

/* ---- the verbs ------------------------------------------------------------ */

static int summary(struct xfer *x, int upload)
{
	if (x->skipped)
		say(x, 1, "Skipped %u symbolic link%s or special file%s (not followed).", x->skipped,
		    x->skipped == 1 ? "" : "s", x->skipped == 1 ? "" : "s");
	if (!x->failed) {
		say(x, 0, "Successfully %s %u files to '%s'", upload ? "uploaded" : "downloaded",
		    x->done, x->dst);
		return XFER_EXIT_OK;
	}
	say(x, 1, "%s %u files with %u failures:", upload ? "Uploaded" : "Downloaded", x->done,
	    x->failed);
	for (size_t at = 0; at < x->failures.len; at += strlen(x->failures.data + at) + 1)
		say(x, 1, "Failed: %s", x->failures.data + at);
	return XFER_EXIT_FAILED;
}

int xfer_run(struct sftp_client *c, enum xfer_verb verb, const char *src, const char *dst,
             const struct xfer_opts *o)
{
	struct xfer x = {.c = c, .o = o, .src = src, .dst = dst};
	progress_init(&x.bar, STDERR_FILENO, progress_wanted(o->quiet));
	int rc = check_source(verb, src);
	if (rc >= 0)
		return rc;
	switch (verb) {
	case XFER_UPLOAD_FILE: rc = upload_file(&x); break;
	case XFER_DOWNLOAD_FILE: rc = download_file(&x); break;
	case XFER_UPLOAD_DIR:
		rc = upload_dir(&x);
		if (rc == XFER_EXIT_OK)
			rc = summary(&x, 1);
		break;
	case XFER_DOWNLOAD_DIR:
		rc = download_dir(&x);
		if (rc == XFER_EXIT_OK)
			rc = summary(&x, 0);
		break;
	default: rc = XFER_EXIT_FAILED;
	}
	progress_clear(&x.bar);
	sb_free(&x.failures);
	return rc;
}

int xfer_main(const char *target, enum xfer_verb verb, const char *src, const char *dst,
              const struct xfer_opts *o)
{
	static const char *const names[] = {"upload-file", "upload-directory", "download-file",
	                                    "download-directory"};
	const char *name = names[verb];
	int rc = check_source(verb, src); /* before connecting, as the original */
	if (rc >= 0)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	int to = -1, from = -1;
	pid_t pid;
	fflush(stdout);
	if (tool_spawn_ssh_subsystem(target, "sftp", &to, &from, &pid) < 0)
		return XFER_EXIT_FAILED;
	rc = XFER_EXIT_FAILED;
	struct sftp_client *c = sftp_client_new(from, to);
	if (!c)
		fprintf(stderr, "egs tool %s: out of memory\n", name);
	else if (sftp_client_init(c) < 0)
		fprintf(stderr, "egs tool %s: no SFTP session with %s: %s\n", name, target,
		        sftp_client_error(c));
	else
		rc = xfer_run(c, verb, src, dst, o);
	sftp_client_free(c);
	close(to);
	close(from);
	int st_ssh = tool_wait(pid);
	if (st_ssh != 0 && st_ssh != 128 + SIGPIPE && rc == XFER_EXIT_OK) {
		fprintf(stderr, "egs tool %s: ssh to %s failed (exit %d)\n", name, target, st_ssh);
		rc = XFER_EXIT_FAILED;
	}
	return rc;
}

/* useradd -m for common/pwdb.h: the home directory, filled from
 * ROOT/etc/skel under a temporary name and renamed into place. */
#include "pwdb.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* Copies the directory src into dst (which exists), owned by uid:gid. */
static int copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid, int depth,
                     struct strbuf *err)
{
	if (depth > 32)
		return 0;
	DIR *d = opendir(src);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *s = fs_join(src, de->d_name), *t = fs_join(dst, de->d_name);
		struct stat st;
		if (!s || !t || lstat(s, &st) < 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if ((mkdir(t, st.st_mode & 07777) < 0 && errno != EEXIST) ||
			    lchown(t, uid, gid) < 0 || chmod(t, st.st_mode & 07777) < 0 ||
			    copy_tree(s, t, uid, gid, depth + 1, err) < 0)
				rc = -1;
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(s, target, sizeof(target) - 1);
			if (n < 0)
				rc = -1;
			else {
				target[n] = '\0';
				if ((symlink(target, t) < 0 && errno != EEXIST) || lchown(t, uid, gid) < 0)
					rc = -1;
			}
		} else if (S_ISREG(st.st_mode)) {
			struct strbuf data = STRBUF_INIT;
			if (fs_read_file(s, &data, 0) < 0 ||
			    fs_write_atomic(t, sb_str(&data), data.len, st.st_mode & 07777) < 0 ||
			    lchown(t, uid, gid) < 0)
				rc = -1;
			sb_free(&data);
		}
		if (rc < 0 && err && !err->len)
			sb_printf(err, "copying skel %s: %s", de->d_name, strerror(errno));
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

/* nftw callback of remove_stale_homes */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes DIR/.NAME.egs-home-XXXXXX directories: homes a killed run was
 * still filling. Safe because every writer holds the pwdb lock. */
static int remove_stale_homes(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int rc = 0;
	size_t pl = strlen(prefix);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, pl) != 0 || strlen(de->d_name) != pl + 6)
			continue;
		char *full = fs_join(dir, de->d_name);
		if (!full || nftw(full, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
			rc = -1;
		free(full);
	}
	closedir(d);
	return rc;
}

/* The home is filled under a temporary name and renamed into place, so a
 * kill never leaves a home with half of /etc/skel (which the next run,
 * finding the home, would leave alone). */
static int build_home(const char *path, const char *skel, uid_t uid, gid_t gid, struct strbuf *err)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], prefix[NAME_MAX + 16], tmp[PATH_MAX];
	if (!slash || !slash[1] || (size_t)(slash - path) >= sizeof(dir) ||
	    strlen(slash + 1) > NAME_MAX) {
		sb_printf(err, "cannot create home %s: not a directory path", path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	snprintf(prefix, sizeof(prefix), ".%s.egs-home-", slash + 1);
	int n = snprintf(tmp, sizeof(tmp), "%s/%sXXXXXX", dir, prefix);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		sb_printf(err, "cannot create home %s: name too long", path);
		return -1;
	}
	if (fs_mkdir_p(dir, 0755) < 0 || remove_stale_homes(dir, prefix) < 0 || !mkdtemp(tmp)) {
		sb_printf(err, "cannot create home %s: %s", path, strerror(errno));
		return -1;
	}
	if (chown(tmp, uid, gid) < 0 || chmod(tmp, 0755) < 0) {
		sb_printf(err, "cannot create home %s: %s", path, strerror(errno));
		goto fail;
	}
	if (copy_tree(skel, tmp, uid, gid, 0, err) < 0)
		goto fail;
	if (rename(tmp, path) < 0 || fs_fsync_parent(path) < 0) {
		sb_printf(err, "cannot create home %s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return -1;
}

int pwdb_make_home(const struct prov_ctx *ctx, const char *home, uid_t uid, gid_t gid,
                   struct strbuf *err)
{
	prov_action(ctx, "create home %s (from /etc/skel, owner %u:%u)", home, (unsigned)uid,
	            (unsigned)gid);
	if (ctx->dry_run)
		return 0;
	char *path = prov_path(ctx, home), *skel = prov_path(ctx, "/etc/skel");
	int rc = -1;
	struct stat st;
	if (!path || !skel) {
		sb_puts(err, "out of memory");
		goto out;
	}
	if (stat(path, &st) == 0) {
		rc = 0; /* useradd -m warns and leaves an existing home alone */
		goto out;
	}
	rc = build_home(path, skel, uid, gid, err);
out:
	free(path);
	free(skel);
	return rc;
}

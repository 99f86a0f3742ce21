/* Seed filesystems by label (common/blockdev.h). */
#include "blockdev.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_rev(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

static int label_ok(const char *label, const char *const *labels)
{
	for (size_t i = 0; labels && labels[i]; i++)
		if (strcmp(label, labels[i]) == 0)
			return 1;
	return 0;
}

static int add_hit(struct blockdev_hit **hits, size_t *n, const char *path, enum fsimage_type t)
{
	struct blockdev_hit *h = realloc(*hits, (*n + 2) * sizeof(**hits));
	if (!h)
		return -1;
	*hits = h;
	h[*n].path = strdup(path);
	if (!h[*n].path)
		return -1;
	h[*n].type = t;
	(*n)++;
	h[*n].path = NULL;
	return 0;
}

static int probe_one(struct blockdev_hit **hits, size_t *n, const char *path,
                     const char *const *labels)
{
	char label[64];
	enum fsimage_type t = fsimage_probe(path, label, sizeof(label));
	if (t == FSI_NONE || !label_ok(label, labels))
		return 0;
	return add_hit(hits, n, path, t);
}

struct blockdev_hit *blockdev_find_label(const char *sysdir, const char *devdir,
                                         const char *const *extra,
                                         const char *const *labels)
{
	struct blockdev_hit *hits = calloc(1, sizeof(*hits));
	size_t n = 0;
	if (!hits)
		return NULL;
	char **names = NULL;
	size_t nn = 0;
	DIR *d = sysdir && sysdir[0] ? opendir(sysdir) : NULL;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || strncmp(e->d_name, "loop", 4) == 0 ||
			    strncmp(e->d_name, "ram", 3) == 0 || strncmp(e->d_name, "zram", 4) == 0)
				continue;
			char **nv = realloc(names, (nn + 1) * sizeof(*names));
			if (!nv)
				break;
			names = nv;
			if (!(names[nn] = strdup(e->d_name)))
				break;
			nn++;
		}
		closedir(d);
	}
	if (nn)
		qsort(names, nn, sizeof(*names), cmp_rev);
	int failed = 0;
	for (size_t i = 0; i < nn; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", devdir && devdir[0] ? devdir : "/dev", names[i]);
		if (!failed && probe_one(&hits, &n, path, labels) < 0)
			failed = 1;
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; extra && extra[i] && !failed; i++)
		if (probe_one(&hits, &n, extra[i], labels) < 0)
			failed = 1;
	if (failed) {
		blockdev_hits_free(hits);
		return NULL;
	}
	return hits;
}

void blockdev_hits_free(struct blockdev_hit *hits)
{
	if (!hits)
		return;
	for (size_t i = 0; hits[i].path; i++)
		free(hits[i].path);
	free(hits);
}

char *blockdev_mount_ro(const char *dev, const char *fstype)
{
	struct stat st;
	if (stat(dev, &st) < 0)
		return NULL;
	if (!S_ISBLK(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	char tmpl[64];
	snprintf(tmpl, sizeof(tmpl), "/run/egs-seed.XXXXXX");
	if (!mkdtemp(tmpl)) {
		snprintf(tmpl, sizeof(tmpl), "/tmp/egs-seed.XXXXXX");
		if (!mkdtemp(tmpl))
			return NULL;
	}
	if (mount(dev, tmpl, fstype, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		int e = errno;
		rmdir(tmpl);
		errno = e;
		return NULL;
	}
	char *mnt = strdup(tmpl);
	if (!mnt) {
		umount2(tmpl, MNT_DETACH);
		rmdir(tmpl);
	}
	return mnt;
}

void blockdev_umount(char *mnt)
{
	if (!mnt)
		return;
	if (umount2(mnt, 0) < 0)
		umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	free(mnt);
}

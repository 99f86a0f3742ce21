/* A scratch directory for fuzz targets that touch the file system (SFTP,
 * @eryph.io requests). The process's cwd becomes DIR/egs-fuzz-XXXXXX/s/w
 * (DIR: $TMPDIR, else /dev/shm, else /tmp):
 * the harness rewrites every path the input could use so it stays
 * relative and has no ".." component, so all the code under test can reach
 * is w/ (and, through a ".." symlink target, s/). fuzz_sandbox_clean()
 * empties w/ after each input so no input sees an earlier one's files;
 * the whole tree is removed at exit. Run the fuzzer with an absolute
 * -artifact_prefix (the Makefile does), since cwd changes. */
#ifndef EGS_FUZZ_SANDBOX_H
#define EGS_FUZZ_SANDBOX_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_sandbox_root[PATH_MAX];
static char fuzz_sandbox_work[PATH_MAX];

static inline int fuzz_sandbox_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* a file that cannot be removed only makes the next input see it */
	int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
	(void)rc;
	return 0;
}

/* Makes every directory under path searchable and writable again (an
 * input may have chmod'ed them), then removes what is in it; keep_top
 * leaves path itself in place. */
static inline void fuzz_sandbox_wipe(const char *path, int keep_top)
{
	if (chmod(path, 0700) < 0)
		return;
	if (nftw(path, fuzz_sandbox_rm, 16, FTW_DEPTH | FTW_PHYS) < 0)
		perror("fuzz sandbox: nftw");
	if (keep_top && mkdir(path, 0700) < 0 && chmod(path, 0700) < 0)
		perror("fuzz sandbox: mkdir");
}

static inline void fuzz_sandbox_atexit(void)
{
	if (fuzz_sandbox_root[0] && chdir("/") == 0)
		fuzz_sandbox_wipe(fuzz_sandbox_root, 0);
}

/* Creates the tree and enters it (once). Exits on failure. */
static inline void fuzz_sandbox_enter(void)
{
	if (fuzz_sandbox_root[0])
		return;
	/* tmpfs by default: uploads fsync, and a disk makes that slow */
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	if (!tmp || !*tmp)
		tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
	snprintf(fuzz_sandbox_root, sizeof(fuzz_sandbox_root), "%s/egs-fuzz-XXXXXX", tmp);
	if (!mkdtemp(fuzz_sandbox_root)) {
		perror("fuzz sandbox: mkdtemp");
		exit(1);
	}
	snprintf(fuzz_sandbox_work, sizeof(fuzz_sandbox_work), "%s/s/w", fuzz_sandbox_root);
	char s[PATH_MAX];
	snprintf(s, sizeof(s), "%s/s", fuzz_sandbox_root);
	if (mkdir(s, 0700) < 0 || mkdir(fuzz_sandbox_work, 0700) < 0 || chdir(fuzz_sandbox_work) < 0) {
		perror("fuzz sandbox: setup");
		exit(1);
	}
	if (atexit(fuzz_sandbox_atexit) != 0)
		exit(1);
}

/* Empties the work directory and restores both modes (after each input). */
static inline void fuzz_sandbox_clean(void)
{
	char s[PATH_MAX];
	snprintf(s, sizeof(s), "%s/s", fuzz_sandbox_root);
	if (chmod(s, 0700) < 0)
		perror("fuzz sandbox: chmod");
	fuzz_sandbox_wipe(fuzz_sandbox_work, 1);
	if (chdir(fuzz_sandbox_work) < 0) {
		perror("fuzz sandbox: chdir");
		exit(1);
	}
}

/* A memfd holding data, positioned at its start (what a request reads as
 * its client's stream). Aborts on failure. */
static inline int fuzz_memfd(const void *data, size_t len)
{
	int fd = memfd_create("egs-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		abort();
	return fd;
}

/* Rewrites one path in place so it cannot leave the work directory: a
 * leading '/' becomes '_' and every ".." component becomes "__". The
 * length never changes, so the surrounding wire framing stays valid. */
static inline void fuzz_sandbox_path(unsigned char *p, size_t len)
{
	if (len > 0 && p[0] == '/')
		p[0] = '_';
	for (size_t i = 0; i + 1 < len; i++) {
		int start = i == 0 || p[i - 1] == '/';
		int end = i + 2 == len || p[i + 2] == '/';
		if (start && end && p[i] == '.' && p[i + 1] == '.') {
			p[i] = '_';
			p[i + 1] = '_';
		}
	}
}

#endif

/* common/filetxn.c: several files replaced as one; a journal left by a
 * killed commit is rolled forward, stale temporary files removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filetxn.h"
#include "fsutil.h"
#include "testlib.h"

static char dir[64];

static char *at(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void put(const char *name, const char *text)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static char *get(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	if (fs_read_file(at(name), &sb, 0) < 0)
		return NULL;
	return sb_detach(&sb);
}

static int check_file(const char *name, const char *want, const char *file, int line)
{
	char *got = get(name);
	int ok = t_check_str(got, want, file, line, name);
	free(got);
	return ok;
}
#define FILE_IS(name, want) check_file((name), (want), __FILE__, __LINE__)

static void test_commit(void)
{
	t_group("commit replaces every file, modes kept, nothing left");
	put("a", "old a\n");
	put("b", "old b\n");
	struct filetxn_file f[2] = {
		{.path = at("a"), .data = "new a\n", .len = 6, .mode = 0644, .uid = (uid_t)-1, .gid = (gid_t)-1},
		{.path = at("b"), .data = "new b\n", .len = 6, .mode = 0640, .uid = (uid_t)-1, .gid = (gid_t)-1},
	};
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(filetxn_commit(at("journal"), f, 2, &err), 0);
	FILE_IS("a", "new a\n");
	FILE_IS("b", "new b\n");
	struct stat st;
	CHECK(stat(at("b"), &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(access(at("journal"), F_OK) < 0 && errno == ENOENT);
	sb_free(&err);
}

static void test_recover_journal(void)
{
	t_group("a journal left by a killed commit is rolled forward");
	put("a", "old a\n");
	put("b", "new b\n");          /* this rename was done already */
	put(".a.egs-AAAAAA", "new a\n");
	char j[512];
	snprintf(j, sizeof(j), "%s\t%s\n%s\t%s\n", at(".a.egs-AAAAAA"), at("a"), at(".b.egs-BBBBBB"),
	         at("b"));
	put("journal", j);
	put(".b.egs-CCCCCC", "stale temporary\n"); /* from a commit killed earlier */
	put(".journal.egs-DDDDDD", "half a journal");
	const char *targets[2] = {at("a"), at("b")};
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(filetxn_recover(at("journal"), targets, 2, &err), 0);
	FILE_IS("a", "new a\n");
	FILE_IS("b", "new b\n");
	CHECK(access(at("journal"), F_OK) < 0);
	CHECK(access(at(".a.egs-AAAAAA"), F_OK) < 0);
	CHECK(access(at(".b.egs-CCCCCC"), F_OK) < 0);
	CHECK(access(at(".journal.egs-DDDDDD"), F_OK) < 0);
	put(".b.egs-longer-name", "kept\n"); /* not fs_atomic_begin's pattern */
	CHECK_INT(filetxn_recover(at("journal"), targets, 2, &err), 0);
	CHECK(access(at(".b.egs-longer-name"), F_OK) == 0);
	sb_free(&err);
}

static void test_bad_journal(void)
{
	t_group("a journal that is not whole lines is refused, naming it");
	put("journal", "no tab here\n");
	const char *targets[1] = {at("a")};
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(filetxn_recover(at("journal"), targets, 1, &err), -1);
	CHECK(strstr(sb_str(&err), "journal") && strstr(sb_str(&err), "malformed"));
	sb_reset(&err);
	put("journal", "x\ty");
	CHECK_INT(filetxn_recover(at("journal"), targets, 1, &err), -1);
	CHECK(strstr(sb_str(&err), "truncated") != NULL);
	unlink(at("journal"));
	sb_free(&err);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/egs-filetxn-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_commit();
	test_recover_journal();
	test_bad_journal();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}

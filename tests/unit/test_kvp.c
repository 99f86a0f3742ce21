/* common/kvp.c: pool parsing, validation, locked rewrites, and concurrent
 * writers (ours, cloud-init's flock appender, hv_kvp_daemon's fcntl style;
 * all three at once for 10,000 operations). */
#include "fsutil.h"
#include "kvp.h"
#include "strbuf.h"
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/egs-kvp-XXXXXX";

static char *pool_path(int pool) { return kvp_pool_path(tmpdir, pool); }

/* Writes raw bytes as pool N. */
static void put_file(int pool, const void *data, size_t len)
{
	char *p = pool_path(pool);
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (fs_write_all(fd, data, len) < 0)
			perror("write");
		close(fd);
	}
	free(p);
}

static void get_file(int pool, struct strbuf *out)
{
	char *p = pool_path(pool);
	sb_reset(out);
	if (fs_read_file(p, out, 0) < 0)
		sb_reset(out);
	free(p);
}

/* Builds one record image. */
static void record(unsigned char *r, const char *key, const char *value)
{
	memset(r, 0, KVP_RECORD_SIZE);
	memcpy(r, key, strlen(key));
	memcpy(r + KVP_KEY_SIZE, value, strlen(value));
}

static void test_parse(void)
{
	t_group("kvp_parse");
	unsigned char img[4 * KVP_RECORD_SIZE];
	record(img, "a", "1");
	record(img + KVP_RECORD_SIZE, "b", "");
	record(img + 2 * KVP_RECORD_SIZE, "a", "3"); /* duplicate: last wins */
	record(img + 3 * KVP_RECORD_SIZE, "c", "x\r\n");
	struct kvp_pool p = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(kvp_parse(img, sizeof(img), "pool", &p, &err), 0);
	CHECK_INT(p.count, 3);
	CHECK_STR(p.rec[0].key, "a");
	CHECK_STR(p.rec[0].value, "3");
	CHECK_STR(kvp_get(&p, "b"), "");
	CHECK_STR(kvp_get(&p, "c"), "x\r\n");
	CHECK(kvp_get(&p, "d") == NULL);

	/* Bad length: error names the file and record, pool unchanged. */
	CHECK_INT(kvp_parse(img, sizeof(img) - 1, "/x/.kvp_pool_1", &p, &err), -1);
	CHECK_INT(errno, EINVAL);
	CHECK(strstr(sb_str(&err), "/x/.kvp_pool_1") != NULL);
	CHECK(strstr(sb_str(&err), "record 3") != NULL);
	CHECK_INT(p.count, 3);

	/* Key field without NUL. */
	unsigned char bad[2 * KVP_RECORD_SIZE];
	record(bad, "ok", "v");
	memset(bad + KVP_RECORD_SIZE, 'k', KVP_KEY_SIZE);
	memset(bad + KVP_RECORD_SIZE + KVP_KEY_SIZE, 0, KVP_VALUE_SIZE);
	struct kvp_pool q = KVP_POOL_INIT;
	CHECK_INT(kvp_parse(bad, sizeof(bad), "f", &q, &err), -1);
	CHECK(strstr(sb_str(&err), "record 1") && strstr(sb_str(&err), "key"));
	CHECK_INT(q.count, 0);
	/* Value field without NUL. */
	record(bad + KVP_RECORD_SIZE, "k2", "");
	memset(bad + KVP_RECORD_SIZE + KVP_KEY_SIZE, 'v', KVP_VALUE_SIZE);
	CHECK_INT(kvp_parse(bad, sizeof(bad), "f", &q, &err), -1);
	CHECK(strstr(sb_str(&err), "record 1") && strstr(sb_str(&err), "value"));
	/* Empty file: no records. */
	CHECK_INT(kvp_parse("", 0, "f", &q, &err), 0);
	CHECK_INT(q.count, 0);

	/* Editing helpers. */
	CHECK_INT(kvp_del(&p, "b"), 1);
	CHECK_INT(kvp_del(&p, "b"), 0);
	CHECK_INT(kvp_set(&p, "z", "26"), 0);
	CHECK_INT(p.count, 3);
	CHECK_STR(p.rec[1].key, "c");
	CHECK_STR(p.rec[2].key, "z");
	kvp_pool_free(&p);
	kvp_pool_free(&q);
	sb_free(&err);
}

static char *repeat(const char *unit, int n)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < n; i++)
		sb_puts(&sb, unit);
	return sb_detach(&sb);
}

static void test_validate(void)
{
	t_group("kvp_validate");
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(kvp_validate("k", "v", &err), 0);
	CHECK_INT(kvp_validate("k", NULL, &err), 0);
	CHECK_INT(kvp_validate("k", "", &err), 0);
	CHECK_INT(kvp_validate("", "v", &err), -1);
	CHECK_INT(kvp_validate(" \t\r\n", "v", &err), -1);
	CHECK(strstr(sb_str(&err), "empty") != NULL);
	CHECK_INT(kvp_validate("\xe3\x80\x80", "v", &err), -1); /* U+3000 is blank */
	CHECK_INT(kvp_validate("\xff", "v", &err), -1);
	CHECK_INT(kvp_validate("k", "\xc3", &err), -1);

	char *s = repeat("a", 255);
	CHECK_INT(kvp_validate(s, "v", &err), 0);
	free(s);
	s = repeat("a", 256);
	CHECK_INT(kvp_validate(s, "v", &err), -1);
	CHECK(strstr(sb_str(&err), "too long") != NULL);
	free(s);
	s = repeat("\xe2\x82\xac", 170); /* 170 chars, 510 bytes */
	CHECK_INT(kvp_validate(s, "v", &err), 0);
	free(s);
	s = repeat("\xe2\x82\xac", 171); /* 171 chars, 513 bytes */
	CHECK_INT(kvp_validate(s, "v", &err), -1);
	free(s);
	s = repeat("\xf0\x9f\x98\x80", 128); /* 256 UTF-16 units */
	CHECK_INT(kvp_validate(s, "v", &err), -1);
	free(s);
	s = repeat("\xf0\x9f\x98\x80", 127); /* 254 units, 508 bytes */
	CHECK_INT(kvp_validate(s, "v", &err), 0);
	free(s);

	s = repeat("x", 1023);
	CHECK_INT(kvp_validate("k", s, &err), 0);
	free(s);
	s = repeat("x", 1024);
	CHECK_INT(kvp_validate("k", s, &err), -1);
	free(s);
	s = repeat("\xc3\xa9", 1023); /* 1023 chars, 2046 bytes */
	CHECK_INT(kvp_validate("k", s, &err), 0);
	free(s);
	s = repeat("\xe2\x82\xac", 683); /* 683 chars, 2049 bytes */
	CHECK_INT(kvp_validate("k", s, &err), -1);
	free(s);
	sb_free(&err);
}

static void test_update(void)
{
	t_group("kvp_update");
	struct strbuf err = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	struct kvp_pool p = KVP_POOL_INIT;
	char *path = pool_path(5);
	unlink(path);

	/* Missing pool: ENOENT, nothing created unless asked. */
	struct kvp_change set1[] = {{"status", "available"}, {"version", "0.1.0"}};
	CHECK_INT(kvp_update(tmpdir, 5, set1, 2, 0, &err), -1);
	CHECK_INT(errno, ENOENT);
	CHECK(strstr(sb_str(&err), ".kvp_pool_5") != NULL);
	CHECK(access(path, F_OK) < 0);
	CHECK_INT(kvp_read(tmpdir, 5, &p, &err), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(kvp_update(tmpdir, 5, set1, 2, KVP_CREATE, &err), 0);
	get_file(5, &a);
	CHECK_INT(a.len, 2 * KVP_RECORD_SIZE);
	CHECK_STR(a.data, "status");
	CHECK_STR(a.data + KVP_KEY_SIZE, "available");

	/* Order kept, new keys appended, deletes, a missing delete is fine. */
	struct kvp_change set2[] = {{"features", "shell-override"}, {"status", NULL},
	                            {"nothere", NULL}, {"version", "0.2.0"}};
	CHECK_INT(kvp_update(tmpdir, 5, set2, 4, 0, &err), 0);
	CHECK_INT(kvp_read(tmpdir, 5, &p, &err), 0);
	CHECK_INT(p.count, 2);
	CHECK_STR(p.rec[0].key, "version");
	CHECK_STR(p.rec[0].value, "0.2.0");
	CHECK_STR(p.rec[1].key, "features");
	get_file(5, &a);
	CHECK_INT(a.len, 2 * KVP_RECORD_SIZE);
	kvp_pool_free(&p);

	/* A bad change in the batch writes nothing. */
	char *big = repeat("x", 1024);
	struct kvp_change set3[] = {{"ok", "1"}, {"k", big}};
	CHECK_INT(kvp_update(tmpdir, 5, set3, 2, 0, &err), -1);
	CHECK_INT(errno, EINVAL);
	get_file(5, &b);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	struct kvp_change set4[] = {{"ok", "1"}, {"  ", "v"}};
	CHECK_INT(kvp_update(tmpdir, 5, set4, 2, 0, &err), -1);
	get_file(5, &b);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	free(big);

	/* A malformed pool is refused, byte for byte unchanged. */
	unsigned char img[KVP_RECORD_SIZE + 7];
	record(img, "a", "1");
	memset(img + KVP_RECORD_SIZE, 'q', 7);
	put_file(5, img, sizeof(img));
	CHECK_INT(kvp_update(tmpdir, 5, set1, 2, 0, &err), -1);
	CHECK(strstr(sb_str(&err), "multiple of 2560") != NULL);
	CHECK(strstr(sb_str(&err), "refusing") != NULL);
	get_file(5, &b);
	CHECK(b.len == sizeof(img) && memcmp(b.data, img, sizeof(img)) == 0);
	CHECK_INT(kvp_read(tmpdir, 5, &p, &err), -1);
	CHECK_INT(errno, EINVAL);

	/* Duplicates in the file collapse (last wins, first position). */
	unsigned char dup[3 * KVP_RECORD_SIZE];
	record(dup, "a", "1");
	record(dup + KVP_RECORD_SIZE, "b", "2");
	record(dup + 2 * KVP_RECORD_SIZE, "a", "3");
	put_file(5, dup, sizeof(dup));
	struct kvp_change set5[] = {{"c", "4"}};
	CHECK_INT(kvp_update(tmpdir, 5, set5, 1, 0, &err), 0);
	CHECK_INT(kvp_read(tmpdir, 5, &p, &err), 0);
	CHECK_INT(p.count, 3);
	CHECK_STR(p.rec[0].value, "3");
	CHECK_STR(p.rec[2].key, "c");
	get_file(5, &b);
	CHECK_INT(b.len, 3 * KVP_RECORD_SIZE);
	kvp_pool_free(&p);

	/* Delete everything: empty file. */
	struct kvp_change set6[] = {{"a", NULL}, {"b", NULL}, {"c", NULL}};
	CHECK_INT(kvp_update(tmpdir, 5, set6, 3, 0, &err), 0);
	get_file(5, &b);
	CHECK_INT(b.len, 0);
	unlink(path);
	free(path);
	sb_free(&err);
	sb_free(&a);
	sb_free(&b);
}

/* ---- concurrency ---------------------------------------------------------- */

#define WRITERS 3
#define ROUNDS 1000
#define WINDOW 20

/* The value every writer stores for a key: long (crosses page boundaries)
 * and derived from the key, so a torn record shows as a mismatch. */
static void value_for(const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), n = 0;
	while (n + 1 < size && n < 1000) {
		out[n] = key[n % klen];
		n++;
	}
	out[n] = 0;
}

static int writer(int id)
{
	struct strbuf err = STRBUF_INIT;
	char key[64], old[64], val[2048];
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(key, sizeof(key), "w%d-%04d", id, i);
		snprintf(old, sizeof(old), "w%d-%04d", id, i - WINDOW);
		value_for(key, val, sizeof(val));
		struct kvp_change c[] = {{key, val}, {old, NULL}};
		if (kvp_update(tmpdir, 1, c, i >= WINDOW ? 2 : 1, 0, &err) < 0) {
			fprintf(stderr, "writer %d: %s\n", id, sb_str(&err));
			return 1;
		}
	}
	sb_free(&err);
	return 0;
}

/* cloud-init's handler: open for append, flock, write one record. */
static int cloudinit_appender(int rounds)
{
	char *path = pool_path(1);
	unsigned char r[KVP_RECORD_SIZE];
	char key[64], val[2048];
	for (int i = 0; i < rounds; i++) {
		snprintf(key, sizeof(key), "CLOUD_INIT|1|start|x|%04d", i);
		value_for(key, val, sizeof(val));
		record(r, key, val);
		int fd = open(path, O_WRONLY | O_APPEND);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || fs_write_all(fd, r, sizeof(r)) < 0)
			return 1;
		close(fd);
		usleep(500);
	}
	free(path);
	return 0;
}

/* hv_kvp_daemon's style: fcntl write lock, read the whole file, change
 * one key in memory, write everything back from 0, truncate. */
static int hv_writer(int rounds)
{
	char *path = pool_path(1);
	char key[64], val[2048];
	for (int i = 0; i < rounds; i++) {
		int fd = open(path, O_RDWR);
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0)
			return 1;
		struct strbuf img = STRBUF_INIT;
		struct stat st;
		if (fstat(fd, &st) < 0 || sb_reserve(&img, (size_t)st.st_size + 1) < 0)
			return 1;
		if (pread(fd, img.data, (size_t)st.st_size, 0) != st.st_size)
			return 1;
		img.len = (size_t)st.st_size;
		struct kvp_pool p = KVP_POOL_INIT;
		if (kvp_parse(img.data, img.len, "hv", &p, NULL) < 0)
			return 1;
		snprintf(key, sizeof(key), "hv-%d", i % 5);
		value_for(key, val, sizeof(val));
		kvp_set(&p, key, val);
		sb_reset(&img);
		for (size_t j = 0; j < p.count; j++) {
			unsigned char r[KVP_RECORD_SIZE];
			record(r, p.rec[j].key, p.rec[j].value);
			sb_append(&img, r, sizeof(r));
		}
		if (pwrite(fd, img.data, img.len, 0) != (ssize_t)img.len ||
		    ftruncate(fd, (off_t)img.len) < 0)
			return 1;
		kvp_pool_free(&p);
		sb_free(&img);
		close(fd);
		usleep(500);
	}
	free(path);
	return 0;
}

/* Reads until the stop file appears. Every read must parse, every value
 * must match its key, and each writer's keys must be one contiguous run
 * (a hole would be a lost update). Exit status: 0 good, 1 bad. */
static int reader(const char *stopfile)
{
	struct strbuf err = STRBUF_INIT;
	char want[2048];
	long reads = 0;
	for (;;) {
		int stop = access(stopfile, F_OK) == 0; /* read once more after */
		struct kvp_pool p = KVP_POOL_INIT;
		if (kvp_read(tmpdir, 1, &p, &err) < 0) {
			fprintf(stderr, "reader: %s\n", sb_str(&err));
			return 1;
		}
		int lo[WRITERS], hi[WRITERS], cnt[WRITERS];
		for (int w = 0; w < WRITERS; w++)
			lo[w] = ROUNDS, hi[w] = -1, cnt[w] = 0;
		for (size_t i = 0; i < p.count; i++) {
			value_for(p.rec[i].key, want, sizeof(want));
			if (strcmp(p.rec[i].value, want) != 0) {
				fprintf(stderr, "reader: torn record %s\n", p.rec[i].key);
				return 1;
			}
			int w, n;
			if (sscanf(p.rec[i].key, "w%d-%d", &w, &n) == 2 && w >= 0 && w < WRITERS) {
				cnt[w]++;
				if (n < lo[w])
					lo[w] = n;
				if (n > hi[w])
					hi[w] = n;
			}
		}
		for (int w = 0; w < WRITERS; w++) {
			if (cnt[w] && (cnt[w] != hi[w] - lo[w] + 1 || cnt[w] > WINDOW)) {
				fprintf(stderr, "reader: writer %d has %d keys in %d..%d\n", w, cnt[w],
				        lo[w], hi[w]);
				return 1;
			}
		}
		kvp_pool_free(&p);
		reads++;
		if (stop)
			break;
		usleep(200); /* let the writers through now and then */
	}
	sb_free(&err);
	return reads > 1 ? 0 : 1;
}

static pid_t spawn(int (*fn)(int), int arg)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static pid_t spawn_reader(const char *stopfile)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(reader(stopfile));
	return pid;
}

static int wait_ok(pid_t pid)
{
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* One phase: our writers plus the reader, plus one foreign writer. */
static void run_phase(const char *name, int (*foreign)(int), int rounds)
{
	t_group(name);
	char *path = pool_path(1);
	char stopfile[128];
	snprintf(stopfile, sizeof(stopfile), "%s/stop", tmpdir);
	unlink(stopfile);
	put_file(1, "", 0);

	pid_t w[WRITERS], r, f;
	r = spawn_reader(stopfile);
	for (int i = 0; i < WRITERS; i++)
		w[i] = spawn(writer, i);
	f = spawn(foreign, rounds);
	for (int i = 0; i < WRITERS; i++)
		CHECK(wait_ok(w[i]));
	CHECK(wait_ok(f));
	int sfd = open(stopfile, O_WRONLY | O_CREAT, 0644);
	CHECK(sfd >= 0);
	close(sfd);
	CHECK(wait_ok(r));

	/* Final state: each writer's last window, every foreign record. */
	struct kvp_pool p = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(kvp_read(tmpdir, 1, &p, &err), 0);
	char key[64];
	int missing = 0;
	for (int i = 0; i < WRITERS; i++) {
		for (int n = ROUNDS - WINDOW; n < ROUNDS; n++) {
			snprintf(key, sizeof(key), "w%d-%04d", i, n);
			missing += kvp_get(&p, key) == NULL;
		}
	}
	CHECK_INT(missing, 0);
	if (foreign == cloudinit_appender) {
		for (int n = 0; n < rounds; n++) {
			snprintf(key, sizeof(key), "CLOUD_INIT|1|start|x|%04d", n);
			missing += kvp_get(&p, key) == NULL;
		}
		CHECK_INT(missing, 0);
		CHECK_INT(p.count, WRITERS * WINDOW + rounds);
	} else {
		CHECK_INT(p.count, WRITERS * WINDOW + 5);
		CHECK(kvp_get(&p, "hv-4") != NULL);
	}
	kvp_pool_free(&p);
	sb_free(&err);
	unlink(stopfile);
	free(path);
}

/* ---- three writers at once, 10,000 operations ----------------------------
 * egs (kvp_update: fcntl + flock, whole rewrite), a cloud-init appender
 * (flock, O_APPEND record) and an hv_kvp_daemon-style writer (fcntl
 * whole-file lock, value rewritten in place, new keys appended) hammer one
 * pool. Each owns 10 keys and stores "KEY#SEQ:" followed by a pattern
 * derived from it, so a torn value shows; afterwards every writer's last
 * value of every key must be there. egs keeps going until the appender is
 * done, so its rewrites keep folding the appended duplicates (the pool
 * stays small and the loop fast). */
#define TRIO_KEYS 10
#define TRIO_EGS_MIN 3000
#define TRIO_EGS_MAX 20000
#define TRIO_CI_OPS 4000
#define TRIO_HV_OPS 3000
#define TRIO_BACKLOG 200 /* records: the appender waits for egs beyond this */

struct trio_shared {
	volatile int ci_done;
	volatile int egs_ops;
};

static void trio_value(const char *key, int seq, char *out, size_t size)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "%s#%06d:", key, seq);
	value_for(prefix, out, size);
}

/* 1 when value is trio_value(key, seq) for some seq (returned in *seq). */
static int trio_whole(const char *key, const char *value, int *seq)
{
	char want[2048];
	size_t kl = strlen(key);
	if (strncmp(value, key, kl) != 0 || value[kl] != '#' || sscanf(value + kl + 1, "%d", seq) != 1)
		return 0;
	trio_value(key, *seq, want, sizeof(want));
	return strcmp(value, want) == 0;
}

static int trio_egs(const char *dir, struct trio_shared *sh)
{
	struct strbuf err = STRBUF_INIT;
	char key[32], val[2048];
	int i = 0;
	for (; (i < TRIO_EGS_MIN || !sh->ci_done) && i < TRIO_EGS_MAX; i++) {
		snprintf(key, sizeof(key), "egs-%d", i % TRIO_KEYS);
		trio_value(key, i, val, sizeof(val));
		struct kvp_change c[] = {{key, val}};
		if (kvp_update(dir, 1, c, 1, KVP_CREATE, &err) < 0) {
			fprintf(stderr, "egs writer: %s\n", sb_str(&err));
			return 1;
		}
		sh->egs_ops = i + 1;
	}
	sb_free(&err);
	return 0;
}

static int trio_ci(const char *dir, struct trio_shared *sh)
{
	char *path = kvp_pool_path(dir, 1);
	unsigned char r[KVP_RECORD_SIZE];
	char key[32], val[2048];
	long waits = 0;
	for (int i = 0; i < TRIO_CI_OPS; i++) {
		struct stat st;
		while (stat(path, &st) == 0 && st.st_size > TRIO_BACKLOG * KVP_RECORD_SIZE) {
			if (++waits > 200000) /* 20 s without egs catching up */
				return 1;
			usleep(100);
		}
		snprintf(key, sizeof(key), "ci-%d", i % TRIO_KEYS);
		trio_value(key, i, val, sizeof(val));
		record(r, key, val);
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || fs_write_all(fd, r, sizeof(r)) < 0)
			return 1;
		close(fd);
	}
	sh->ci_done = 1;
	free(path);
	return 0;
}

/* One upsert as hv_kvp_daemon would do it without rewriting the file. */
static int trio_hv_once(const char *path, const char *key, const char *val)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET}; /* l_len 0: whole file */
	if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0)
		return -1;
	struct stat st;
	struct strbuf img = STRBUF_INIT;
	int rc = -1;
	if (fstat(fd, &st) < 0 || sb_reserve(&img, (size_t)st.st_size + 1) < 0 ||
	    pread(fd, img.data, (size_t)st.st_size, 0) != st.st_size)
		goto out;
	/* whole records only: an append may be under way at the end */
	size_t n = (size_t)st.st_size / KVP_RECORD_SIZE;
	off_t at = -1;
	for (size_t i = 0; i < n && at < 0; i++)
		if (strncmp(img.data + i * KVP_RECORD_SIZE, key, KVP_KEY_SIZE) == 0)
			at = (off_t)(i * KVP_RECORD_SIZE);
	char field[KVP_VALUE_SIZE];
	memset(field, 0, sizeof(field));
	memcpy(field, val, strlen(val));
	if (at >= 0) {
		rc = pwrite(fd, field, sizeof(field), at + KVP_KEY_SIZE) == (ssize_t)sizeof(field) ? 0 : -1;
	} else {
		unsigned char r[KVP_RECORD_SIZE];
		record(r, key, val);
		int afd = open(path, O_WRONLY | O_APPEND);
		rc = afd >= 0 && fs_write_all(afd, r, sizeof(r)) == 0 ? 0 : -1;
		if (afd >= 0)
			close(afd); /* also drops fd's fcntl lock: the write is done */
	}
out:
	sb_free(&img);
	close(fd);
	return rc;
}

static int trio_hv(const char *dir)
{
	char *path = kvp_pool_path(dir, 1);
	char key[32], val[2048];
	for (int i = 0; i < TRIO_HV_OPS; i++) {
		snprintf(key, sizeof(key), "hv-%d", i % TRIO_KEYS);
		trio_value(key, i, val, sizeof(val));
		if (trio_hv_once(path, key, val) < 0)
			return 1;
	}
	free(path);
	return 0;
}

/* The last seq a writer that did ops operations stored in key k. */
static int trio_last(int ops, int k)
{
	return ops - 1 - ((ops - 1 - k) % TRIO_KEYS + TRIO_KEYS) % TRIO_KEYS;
}

static void test_three_writers(void)
{
	t_group("egs + cloud-init appender + hv_kvp_daemon writer, 10,000 operations");
	char dir[64];
	snprintf(dir, sizeof(dir), "%s/egs-kvp3-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	struct trio_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(sh != MAP_FAILED))
		return;
	memset(sh, 0, sizeof(*sh));
	pid_t pid[3];
	for (int w = 0; w < 3; w++) {
		pid[w] = fork();
		if (pid[w] == 0)
			_exit(w == 0 ? trio_egs(dir, sh) : w == 1 ? trio_ci(dir, sh) : trio_hv(dir));
	}
	CHECK(wait_ok(pid[0]));
	CHECK(wait_ok(pid[1]));
	CHECK(wait_ok(pid[2]));
	int ops = sh->egs_ops + TRIO_CI_OPS + TRIO_HV_OPS;
	printf("# three writers: %d operations (egs %d, cloud-init %d, hv %d)\n", ops, sh->egs_ops,
	       TRIO_CI_OPS, TRIO_HV_OPS);
	CHECK(ops >= 10000);

	struct kvp_pool p = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	CHECK_INT(kvp_read(dir, 1, &p, &err), 0); /* whole records, NUL-terminated fields */
	int torn = 0, stranger = 0, lost = 0;
	for (size_t i = 0; i < p.count; i++) {
		int seq, k;
		char w[8];
		if (sscanf(p.rec[i].key, "%3[a-z]-%d", w, &k) != 2)
			stranger++;
		else if (!trio_whole(p.rec[i].key, p.rec[i].value, &seq))
			torn++;
	}
	const char *names[3] = {"egs", "ci", "hv"};
	int counts[3] = {sh->egs_ops, TRIO_CI_OPS, TRIO_HV_OPS};
	for (int w = 0; w < 3; w++) {
		for (int k = 0; k < TRIO_KEYS; k++) {
			char key[32];
			int seq = -1;
			snprintf(key, sizeof(key), "%s-%d", names[w], k);
			const char *v = kvp_get(&p, key);
			if (!v || !trio_whole(key, v, &seq) || seq != trio_last(counts[w], k)) {
				fprintf(stderr, "lost update: %s = seq %d, want %d\n", key, seq,
				        trio_last(counts[w], k));
				lost++;
			}
		}
	}
	CHECK_INT(torn, 0);
	CHECK_INT(stranger, 0);
	CHECK_INT(lost, 0);
	kvp_pool_free(&p);
	sb_free(&err);
	munmap(sh, sizeof(*sh));
	char *path = kvp_pool_path(dir, 1);
	unlink(path);
	free(path);
	rmdir(dir);
}

/* What a writer killed mid-append leaves: the file grown, the appended
 * record still zeros. The next update drops it. */
static void test_crash_leftover(void)
{
	t_group("empty record left by a killed writer");
	struct strbuf err = STRBUF_INIT, img = STRBUF_INIT;
	struct kvp_pool p = KVP_POOL_INIT;
	char rec[KVP_RECORD_SIZE];
	memset(rec, 0, sizeof(rec));
	strcpy(rec, "host-key");
	strcpy(rec + KVP_KEY_SIZE, "kept");
	sb_append(&img, rec, sizeof(rec));
	memset(rec, 0, sizeof(rec));
	sb_append(&img, rec, sizeof(rec)); /* the zero-filled leftover */
	char *path = pool_path(6);
	CHECK(fs_write_atomic(path, img.data, img.len, 0644) == 0);
	CHECK_INT(kvp_read(tmpdir, 6, &p, &err), 0);
	CHECK_INT(p.count, 2); /* a reader sees it as it is */
	kvp_pool_free(&p);
	struct kvp_change ch[] = {{"status", "available"}};
	CHECK_INT(kvp_update(tmpdir, 6, ch, 1, 0, &err), 0);
	CHECK_INT(kvp_read(tmpdir, 6, &p, &err), 0);
	CHECK_INT(p.count, 2);
	CHECK_STR(p.rec[0].key, "host-key");
	CHECK_STR(p.rec[1].key, "status");
	kvp_pool_free(&p);
	free(path);
	sb_free(&img);
	sb_free(&err);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_validate();
	test_update();
	test_crash_leftover();
	run_phase("concurrent writers + cloud-init appender", cloudinit_appender, 200);
	run_phase("concurrent writers + hv_kvp_daemon writer", hv_writer, 200);
	test_three_writers();

	char *p;
	for (int i = 0; i < 10; i++) {
		p = pool_path(i);
		unlink(p);
		free(p);
	}
	if (rmdir(tmpdir) < 0)
		perror(tmpdir);
	return t_done();
}

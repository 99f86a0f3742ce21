/* common/kvp_events.c: CLOUD_INIT|... events, checked byte for byte against
 * records the real cloud-init handler wrote: the shared sample
 * (<repo>/../shared/fixtures/cloud-init/kvp-sample.bin, or $EGS_SHARED)
 * and tests/unit/data/kvp-events-tricky.bin (made by
 * tests/unit/data/gen_kvp_events.py with Debian's cloud-init 22.4). */
#include "fsutil.h"
#include "kvp.h"
#include "kvp_events.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The repository root, from where this file was compiled ("" → "."). */
static char *repo_path(const char *rel)
{
	const char *f = __FILE__;
	const char *cut = strstr(f, "tests/unit/");
	struct strbuf sb = STRBUF_INIT;
	if (cut && cut > f)
		sb_append(&sb, f, (size_t)(cut - f));
	else
		sb_puts(&sb, "./");
	sb_puts(&sb, rel);
	return sb_detach(&sb);
}

static char *shared_path(const char *rel)
{
	const char *env = getenv("EGS_SHARED");
	if (env && *env)
		return fs_join(env, rel);
	struct strbuf sb = STRBUF_INIT;
	char *base = repo_path("../shared");
	sb_printf(&sb, "%s/%s", base, rel);
	free(base);
	return sb_detach(&sb);
}

/* Lays out records as a pool file image. */
static void image(const struct kvp_pool *p, struct strbuf *out)
{
	unsigned char r[KVP_RECORD_SIZE];
	sb_reset(out);
	for (size_t i = 0; i < p->count; i++) {
		memset(r, 0, sizeof(r));
		memcpy(r, p->rec[i].key, strlen(p->rec[i].key));
		memcpy(r + KVP_KEY_SIZE, p->rec[i].value, strlen(p->rec[i].value));
		sb_append(out, r, sizeof(r));
	}
}

/* Compares our records with a file of cloud-init's, record by record so a
 * failure says where. */
static void same_as_file(const struct kvp_pool *ours, const char *path)
{
	struct strbuf want = STRBUF_INIT, got = STRBUF_INIT;
	if (fs_read_file(path, &want, 0) < 0) {
		fprintf(stderr, "cannot read %s: %s\n", path, strerror(errno));
		CHECK(0);
		return;
	}
	image(ours, &got);
	CHECK_INT(got.len, want.len);
	for (size_t off = 0; off < got.len && off < want.len; off += KVP_RECORD_SIZE) {
		if (memcmp(got.data + off, want.data + off, KVP_RECORD_SIZE) != 0) {
			fprintf(stderr, "record %zu differs:\n ours   %.*s\n theirs %.*s\n",
			        off / KVP_RECORD_SIZE, 300, got.data + off + KVP_KEY_SIZE, 300,
			        want.data + off + KVP_KEY_SIZE);
			CHECK(!"record identical");
		}
	}
	sb_free(&want);
	sb_free(&got);
}

static char *repeat(const char *unit, int n)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < n; i++)
		sb_puts(&sb, unit);
	return sb_detach(&sb);
}

static void test_ts(void)
{
	t_group("timestamps");
	struct strbuf sb = STRBUF_INIT;
	CHECK_INT(kvp_event_ts(&sb, 1700000000, 123456, KVP_TS_Z), 0);
	CHECK_STR(sb_str(&sb), "2023-11-14T22:13:20.123456Z");
	sb_reset(&sb);
	CHECK_INT(kvp_event_ts(&sb, 1700000001, 0, KVP_TS_Z), 0);
	CHECK_STR(sb_str(&sb), "2023-11-14T22:13:21Z");
	sb_reset(&sb);
	CHECK_INT(kvp_event_ts(&sb, 1700000001, 0, KVP_TS_OFFSET), 0);
	CHECK_STR(sb_str(&sb), "2023-11-14T22:13:21+00:00");
	sb_reset(&sb);
	CHECK_INT(kvp_event_ts(&sb, 1700000001, 5, KVP_TS_OFFSET), 0);
	CHECK_STR(sb_str(&sb), "2023-11-14T22:13:21.000005+00:00");
	sb_reset(&sb);
	CHECK_INT(kvp_event_ts(&sb, 0, 1000000, KVP_TS_Z), -1);
	sb_free(&sb);

	struct kvp_event ev = {0};
	time_t before = time(NULL);
	kvp_event_now(&ev);
	CHECK(ev.ts_sec >= before && ev.ts_sec <= time(NULL));
	CHECK(ev.ts_usec >= 0 && ev.ts_usec < 1000000);
	long long inc = kvp_event_incarnation();
	CHECK(inc > 1000000000 && inc <= (long long)time(NULL));
	CHECK(llabs(kvp_event_incarnation() - inc) <= 1);
}

static void test_uuid(void)
{
	t_group("uuid4");
	char a[KVP_UUID_LEN + 1], b[KVP_UUID_LEN + 1];
	CHECK_INT(kvp_uuid4(a), 0);
	CHECK_INT(kvp_uuid4(b), 0);
	CHECK_INT(strlen(a), 36);
	CHECK(strcmp(a, b) != 0);
	CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
	CHECK(a[14] == '4');
	CHECK(strchr("89ab", a[19]) != NULL);
	CHECK(strspn(a, "0123456789abcdef-") == 36);
}

static void test_fixture(void)
{
	t_group("cloud-init sample (shared fixture)");
	const long long inc = 1795481482;
	struct kvp_pool p = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	char *xs = repeat("x", 2500);
	struct kvp_event ev[] = {
		{"start", "init-local", NULL, "searching for local datasources", 1700000000, 123456,
		 "e7545405-2bc0-4a43-bc9d-ab80f0cc19c8"},
		{"finish", "init-local/check-cache", "SUCCESS",
		 "attempting to read from cache [check]", 1795481855, 726025,
		 "865ac519-79b6-4b99-a36e-c3ad2144d281"},
		{"diagnostic", "diagnostic message", NULL, xs, 1700000001, 0,
		 "83188c9e-3747-4131-b3d0-f49b0aa26597"},
	};
	for (size_t i = 0; i < 3; i++)
		CHECK_INT(kvp_event_encode(&ev[i], inc, KVP_TS_Z, &p, &err), 0);
	CHECK_INT(p.count, 5);
	CHECK_STR(p.rec[4].key, "CLOUD_INIT|1795481482|diagnostic|diagnostic message|"
	                        "83188c9e-3747-4131-b3d0-f49b0aa26597|2");
	CHECK_INT(strlen(p.rec[2].value), 1016);
	CHECK_INT(strlen(p.rec[4].value), 756);
	char *path = shared_path("fixtures/cloud-init/kvp-sample.bin");
	same_as_file(&p, path);
	free(path);
	free(xs);
	kvp_pool_free(&p);
	sb_free(&err);
}

static void test_tricky(void)
{
	t_group("escapes, non-ASCII, the 1024 boundary");
	const long long inc = 1700000000;
	const char *base = "{\"name\":\"n\",\"type\":\"start\",\"ts\":\"2023-11-14T22:13:22Z\",\"msg\":\"\"}";
	int room = 1024 - (int)strlen(base);
	char *m1 = repeat("\xc3\xa9\"\\\n\t\x01\xe2\x82\xac\xf0\x9f\x98\x80 ok, ", 150);
	char *ys = repeat("y", room), *zs = repeat("z", room + 1);
	struct kvp_event ev[] = {
		{"finish", "modules-final/config-runcmd", "FAIL", m1, 1700000000, 500000,
		 "11111111-2222-4333-8444-555555555555"},
		{"start", "init-network/\xc3\xbcn\xc3\xaf" "code", NULL,
		 "gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80", 1700000001, 0,
		 "aaaaaaaa-bbbb-4ccc-9ddd-eeeeeeeeeeee"},
		{"start", "n", NULL, ys, 1700000002, 0, "01234567-89ab-4cde-af01-23456789abcd"},
		{"start", "n", NULL, zs, 1700000002, 0, "fedcba98-7654-4321-b0fe-dcba98765432"},
		{"finish", "single/x", "WARN", "", 1700000003, 1,
		 "00000000-0000-4000-8000-000000000000"},
	};
	struct kvp_pool p = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		CHECK_INT(kvp_event_encode(&ev[i], inc, KVP_TS_Z, &p, &err), 0);
	CHECK_INT(p.count, 13);
	char *path = repo_path("tests/unit/data/kvp-events-tricky.bin");
	same_as_file(&p, path);
	free(path);
	kvp_pool_free(&p);

	/* The +00:00 style only changes ts. */
	CHECK_INT(kvp_event_encode(&ev[4], inc, KVP_TS_OFFSET, &p, &err), 0);
	CHECK_STR(p.rec[0].value, "{\"name\":\"single/x\",\"type\":\"finish\","
	                          "\"ts\":\"2023-11-14T22:13:23.000001+00:00\","
	                          "\"result\":\"WARN\",\"msg\":\"\"}");
	kvp_pool_free(&p);

	/* A fresh uuid when none is given. */
	struct kvp_event e = {"start", "init-local", NULL, "m", 1, 0, NULL};
	CHECK_INT(kvp_event_encode(&e, 5, KVP_TS_Z, &p, &err), 0);
	CHECK_INT(strlen(p.rec[0].key), strlen("CLOUD_INIT|5|start|init-local|") + 36);
	kvp_pool_free(&p);

	/* Keys that cannot fit, fields that leave no room: errors. */
	char *longname = repeat("n", 600);
	e.name = longname;
	CHECK_INT(kvp_event_encode(&e, 5, KVP_TS_Z, &p, &err), -1);
	CHECK(strstr(sb_str(&err), "longer than") != NULL);
	CHECK_INT(p.count, 0);
	free(longname);
	/* 110 emoji: a 440-byte key, but 1320 bytes of \uXXXX in the value. */
	longname = repeat("\xf0\x9f\x98\x80", 110);
	e.name = longname;
	e.msg = m1;
	CHECK_INT(kvp_event_encode(&e, 5, KVP_TS_Z, &p, &err), -1);
	CHECK(strstr(sb_str(&err), "no room") != NULL);
	CHECK_INT(p.count, 0);
	kvp_pool_free(&p);
	free(longname);
	free(m1);
	free(ys);
	free(zs);
	sb_free(&err);
}

static void test_sweep_publish(void)
{
	t_group("sweep and publish");
	char dir[] = "/tmp/egs-kvpev-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	struct strbuf err = STRBUF_INIT;
	struct kvp_pool p = KVP_POOL_INIT;
	struct kvp_event e = {"start", "init-local", NULL, "hello", 1700000000, 0, NULL};

	CHECK_INT(kvp_event_publish(dir, 1, &e, 100, KVP_TS_Z, 1, &err), -1);
	CHECK_INT(errno, ENOENT); /* no pool: not Hyper-V */

	struct kvp_change c[] = {
		{"CLOUD_INIT|99|start|init-local|u1", "{}"},
		{"eryph:guest-services:status", "available"},
		{"CLOUD_INIT|100|start|init-local|u2", "{}"},
		{"CLOUD_INIT|1000|start|init-local|u3", "{}"},
		{"CLOUD_INIT|10|start|init-local|u4|0", "{}"},
		{"CLOUD_INIT_OTHER|99", "x"},
	};
	CHECK_INT(kvp_update(dir, 1, c, 6, KVP_CREATE, &err), 0);
	CHECK_INT(kvp_event_publish(dir, 1, &e, 100, KVP_TS_Z, 0, &err), 0);
	CHECK_INT(kvp_read(dir, 1, &p, &err), 0);
	CHECK_INT(p.count, 7);
	kvp_pool_free(&p);
	CHECK_INT(kvp_event_publish(dir, 1, &e, 100, KVP_TS_Z, 1, &err), 0);
	CHECK_INT(kvp_read(dir, 1, &p, &err), 0);
	CHECK_INT(p.count, 5);
	CHECK_STR(p.rec[0].key, "eryph:guest-services:status");
	CHECK_STR(p.rec[1].key, "CLOUD_INIT|100|start|init-local|u2");
	CHECK_STR(p.rec[2].key, "CLOUD_INIT_OTHER|99");
	CHECK(strncmp(p.rec[3].key, "CLOUD_INIT|100|start|init-local|", 32) == 0);
	CHECK(strncmp(p.rec[4].key, "CLOUD_INIT|100|start|init-local|", 32) == 0);
	CHECK_STR(p.rec[4].value, "{\"name\":\"init-local\",\"type\":\"start\","
	                          "\"ts\":\"2023-11-14T22:13:20Z\",\"msg\":\"hello\"}");
	CHECK_INT(kvp_events_sweep_pool(&p, 100), 0);
	CHECK_INT(kvp_events_sweep_pool(&p, 101), 3);
	CHECK_INT(p.count, 2);
	kvp_pool_free(&p);

	char *path = kvp_pool_path(dir, 1);
	unlink(path);
	free(path);
	rmdir(dir);
	sb_free(&err);
}

int main(void)
{
	test_ts();
	test_uuid();
	test_fixture();
	test_tricky();
	test_sweep_publish();
	return t_done();
}

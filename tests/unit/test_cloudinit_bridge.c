/* common/cloudinit_bridge.c: status mapping, JSON parsing, and poll steps
 * against a fake `cloud-init` script on PATH and a temporary KVP pool. */
#include "cloudinit_bridge.h"
#include "fsutil.h"
#include "kvp.h"
#include "strbuf.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/egs-cib-XXXXXX";
static char bindir[512], kvpdir[512], outfile[512], codefile[512];

/* What the fake cloud-init prints next, and its exit status. */
static void fake(const char *out, int code)
{
	char c[16];
	snprintf(c, sizeof(c), "%d\n", code);
	fs_write_atomic(outfile, out, strlen(out), 0644);
	fs_write_atomic(codefile, c, strlen(c), 0644);
}

/* The bridge's value in pool 1, or "" (copied into a static buffer). */
static const char *kvp_value(void)
{
	static char v[64];
	struct kvp_pool p = KVP_POOL_INIT;
	v[0] = '\0';
	if (kvp_read(kvpdir, KVP_POOL_GUEST, &p, NULL) == 0) {
		const char *s = kvp_get(&p, CIB_KVP_KEY);
		if (s)
			snprintf(v, sizeof(v), "%s", s);
	}
	kvp_pool_free(&p);
	return v;
}

static void kvp_clear(void)
{
	char *p = kvp_pool_path(kvpdir, KVP_POOL_GUEST);
	fs_write_atomic(p, "", 0, 0644);
	free(p);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(bindir, sizeof(bindir), "%s/bin", tmpdir);
	snprintf(kvpdir, sizeof(kvpdir), "%s/kvp", tmpdir);
	snprintf(outfile, sizeof(outfile), "%s/out", tmpdir);
	snprintf(codefile, sizeof(codefile), "%s/code", tmpdir);
	fs_mkdir_p(bindir, 0755);
	fs_mkdir_p(kvpdir, 0755);
	kvp_clear();

	t_group("mapping");
	CHECK_STR(cib_map_status("done"), "completed");
	CHECK_STR(cib_map_status("disabled"), "completed");
	CHECK_STR(cib_map_status("error"), "failed");
	CHECK_STR(cib_map_status("running"), "running");
	CHECK(cib_map_status("not run") == NULL);
	CHECK(cib_map_status("degraded done") == NULL);
	CHECK(cib_map_status(NULL) == NULL);

	t_group("parse");
	char st[32];
	CHECK_INT(cib_parse_status("{\"status\": \"done\", \"x\": 1}", 26, st, sizeof(st)), 0);
	CHECK_STR(st, "done");
	CHECK_INT(cib_parse_status("{\"a\": {\"status\": \"done\"}}", 25, st, sizeof(st)), -1);
	CHECK_INT(cib_parse_status("{\"status\": 1}", 13, st, sizeof(st)), -1);
	CHECK_INT(cib_parse_status("[\"status\"]", 10, st, sizeof(st)), -1);
	CHECK_INT(cib_parse_status("", 0, st, sizeof(st)), -1);
	CHECK_INT(cib_parse_status("status: done", 12, st, sizeof(st)), -1);

	t_group("no cloud-init on PATH");
	setenv("PATH", bindir, 1);
	CHECK_INT(cib_cloudinit_available(), 0);
	struct cib_state s;
	cib_init(&s);
	CHECK_INT(cib_poll_step(&s, kvpdir), -1);
	CHECK_INT(s.stopped, 1);
	CHECK_INT(cib_poll_step(&s, kvpdir), -1);
	CHECK_STR(kvp_value(), "");

	/* the fake: prints OUT, 200 KiB on stderr, exits with CODE */
	char script[2048];
	snprintf(script, sizeof(script),
	         "#!/bin/sh\n"
	         "[ \"$*\" = 'status --format json' ] || exit 99\n"
	         "[ -f %s/sleep ] && exec sleep 10\n"
	         "head -c 204800 /dev/zero | tr '\\0' e >&2\n"
	         "cat %s\nexit $(cat %s)\n", tmpdir, outfile, codefile);
	char *ci = fs_join(bindir, "cloud-init");
	fs_write_atomic(ci, script, strlen(script), 0755);
	char path[1100];
	snprintf(path, sizeof(path), "%s:/usr/bin:/bin", bindir);
	setenv("PATH", path, 1);
	CHECK_INT(cib_cloudinit_available(), 1);

	t_group("nothing to write");
	cib_init(&s);
	fake("", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	fake("not json", 1);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	fake("{\"status\": \"not run\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	fake("{\"extended_status\": \"running\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	CHECK_STR(kvp_value(), "");
	CHECK_STR(s.last_written, "");

	t_group("running, once");
	fake("{\"status\": \"running\", \"detail\": \"x\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	CHECK_STR(kvp_value(), "running");
	CHECK_STR(s.last_written, "running");
	kvp_clear();
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	CHECK_STR(kvp_value(), ""); /* unchanged: not written again */

	t_group("failed write retries");
	char *pool = kvp_pool_path(kvpdir, KVP_POOL_GUEST);
	unlink(pool);
	fake("{\"status\": \"done\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	CHECK_STR(s.last_written, "running");
	CHECK_INT(s.stopped, 0);
	CHECK(access(pool, F_OK) != 0); /* never created */
	kvp_clear();
	CHECK_INT(cib_poll_step(&s, kvpdir), -1);
	CHECK_STR(kvp_value(), "completed");
	CHECK_INT(s.stopped, 1);
	fake("{\"status\": \"running\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), -1);
	CHECK_STR(kvp_value(), "completed");

	t_group("error with exit 1");
	cib_init(&s);
	kvp_clear();
	fake("{\"status\": \"error\"}\n", 1);
	CHECK_INT(cib_poll_step(&s, kvpdir), -1);
	CHECK_STR(kvp_value(), "failed");

	t_group("disabled");
	cib_init(&s);
	kvp_clear();
	fake("{\"status\": \"disabled\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), -1);
	CHECK_STR(kvp_value(), "completed");

	t_group("other keys untouched");
	cib_init(&s);
	struct kvp_change other = {"eryph:guest-services:status", "available"};
	CHECK_INT(kvp_update(kvpdir, KVP_POOL_GUEST, &other, 1, 0, NULL), 0);
	fake("{\"status\": \"running\"}\n", 0);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	struct kvp_pool p = KVP_POOL_INIT;
	CHECK_INT(kvp_read(kvpdir, KVP_POOL_GUEST, &p, NULL), 0);
	CHECK_INT(p.count, 2);
	CHECK_STR(kvp_get(&p, "eryph:guest-services:status"), "available");
	CHECK_STR(kvp_get(&p, CIB_KVP_KEY), "running");
	kvp_pool_free(&p);

	t_group("timeout");
	char *sl = fs_join(tmpdir, "sleep");
	fs_write_atomic(sl, "", 0, 0644);
	cib_init(&s);
	s.timeout_ms = 300;
	time_t t0 = time(NULL);
	CHECK_INT(cib_poll_step(&s, kvpdir), CIB_POLL_MS);
	CHECK(time(NULL) - t0 < 5);
	CHECK_INT(s.stopped, 0);
	unlink(sl);
	free(sl);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(ci);
	free(pool);
	return t_done();
}

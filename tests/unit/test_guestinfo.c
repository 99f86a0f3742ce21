/* common/guestinfo.c: the JSON of `egs service --info` from fixture
 * files (os-release quoting, /proc/uptime, a KVP guest pool) and from
 * this machine (uname, getifaddrs, statvfs). */
#include "guestinfo.h"
#include "json.h"
#include "kvp.h"
#include "strbuf.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static char dir[64];

static char *in_dir(const char *name)
{
	static char buf[4][300];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static struct ydoc *parse(const struct strbuf *sb)
{
	struct yaml_error err;
	memset(&err, 0, sizeof(err));
	struct ydoc *d = json_parse(sb->data, sb->len, &err);
	CHECK(d != NULL);
	if (!d)
		yaml_error_free(&err);
	return d;
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/egs-guestinfo-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	struct utsname u;
	CHECK(uname(&u) == 0);

	t_group("fixtures");
	write_text(in_dir("os-release"),
	           "# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n"
	           "PRETTY_NAME='Debian \"GNU\"/Linux 12 (bookworm)'\nHOME_URL=x\n");
	write_text(in_dir("uptime"), "12345.67 2345.00\n");
	struct kvp_change ch[] = {
		{"eryph:guest-services:status", "available"},
		{"eryph:guest-services:version", "0.1.0"},
		{"other", "not shown"},
	};
	struct strbuf err = STRBUF_INIT;
	CHECK(kvp_update(dir, KVP_POOL_GUEST, ch, 3, KVP_CREATE, &err) == 0);
	sb_free(&err);
	struct guestinfo_src src = {in_dir("os-release"), in_dir("uptime"), dir, dir};
	struct strbuf out = STRBUF_INIT;
	CHECK(guestinfo_json_from(&out, &src) == 0);
	CHECK(out.len > 0 && out.data[out.len - 1] == '\n');
	struct ydoc *d = parse(&out);
	struct ynode *root = d ? ydoc_root(d) : NULL;
	if (root) {
		CHECK_STR(ymap_get_str(root, "version"), EGS_VERSION);
		struct ynode *os = ymap_get(root, "os_release");
		CHECK_STR(ymap_get_str(os, "ID"), "debian");
		CHECK_STR(ymap_get_str(os, "VERSION_ID"), "12");
		CHECK_STR(ymap_get_str(os, "PRETTY_NAME"), "Debian \"GNU\"/Linux 12 (bookworm)");
		CHECK(ymap_get(os, "NAME") == NULL);
		CHECK_STR(ymap_get_str(root, "kernel"), u.release);
		CHECK_STR(ymap_get_str(root, "hostname"), u.nodename);
		struct ynode *up = ymap_get(root, "uptime_seconds");
		CHECK(up && up->kind == Y_INT && up->i == 12345);
		struct ynode *disk = ymap_get(root, "disk");
		CHECK_STR(ymap_get_str(disk, "path"), dir);
		struct ynode *total = ymap_get(disk, "total_bytes");
		struct ynode *avail = ymap_get(disk, "available_bytes");
		CHECK(total && avail && total->kind == Y_INT && total->i > 0 && avail->i <= total->i);
		struct ynode *ips = ymap_get(root, "ip_addresses");
		CHECK(ips && ips->kind == Y_SEQ);
		for (size_t i = 0; ips && i < ips->n; i++) {
			const char *a = ymap_get_str(yseq_at(ips, i), "address");
			CHECK(a && strcmp(a, "127.0.0.1") != 0 && strcmp(a, "::1") != 0);
		}
		struct ynode *kvp = ymap_get(root, "kvp");
		CHECK_STR(ymap_get_str(kvp, "eryph:guest-services:status"), "available");
		CHECK(ymap_get(kvp, "other") == NULL);
	}
	ydoc_free(d);

	t_group("missing sources");
	struct guestinfo_src gone = {in_dir("nope"), in_dir("nope"), in_dir("nope"), in_dir("nope")};
	sb_reset(&out);
	CHECK(guestinfo_json_from(&out, &gone) == 0);
	d = parse(&out);
	root = d ? ydoc_root(d) : NULL;
	if (root) {
		CHECK(ymap_get(root, "os_release") && ymap_get(root, "os_release")->kind == Y_NULL);
		CHECK(ymap_get(root, "uptime_seconds")->kind == Y_NULL);
		CHECK(ymap_get(root, "disk")->kind == Y_NULL);
		CHECK(ymap_get(root, "kvp") == NULL);
	}
	ydoc_free(d);

	t_group("defaults (this machine)");
	sb_reset(&out);
	CHECK(guestinfo_json(&out) == 0);
	d = parse(&out);
	CHECK(d && ymap_get(ydoc_root(d), "kernel") != NULL);
	ydoc_free(d);
	sb_free(&out);

	unlink(in_dir("os-release"));
	unlink(in_dir("uptime"));
	unlink(in_dir(".kvp_pool_1"));
	rmdir(dir);
	return t_done();
}

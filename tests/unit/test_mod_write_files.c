/* common/mod_write_files.c on a --root tree (cloud-init.md §4.5). */
#include "provtest.h"
#include "testlib.h"

extern const struct prov_module mod_write_files, mod_write_files_deferred;

static void run_ok(struct pt *t, const struct prov_module *m)
{
	char *err;
	CHECK_INT(pt_run(t, m, &err), 0);
	CHECK_STR(err, "");
	free(err);
}

static void check_file(struct pt *t, const char *abs, const char *want, unsigned mode,
                       unsigned uid, unsigned gid)
{
	char *got = pt_read(t, abs);
	CHECK_STR(got, want);
	free(got);
	struct stat st = pt_stat(t, abs);
	CHECK_INT(st.st_mode & 07777, mode);
	CHECK_INT(st.st_uid, uid);
	CHECK_INT(st.st_gid, gid);
}

static void test_basic(void)
{
	t_group("write_files basics, permissions, encodings");
	struct pt t;
	CHECK_INT(pt_init(&t,
	          "write_files:\n"
	          "- path: /etc/plain.txt\n  content: hello\n"
	          "- path: /opt/deep/dir/oct.txt\n  content: x\n  permissions: 0600\n"
	          "- path: /etc/dec.txt\n  content: x\n  permissions: 644\n"
	          "- path: /etc/str.txt\n  content: x\n  permissions: '0640'\n"
	          "- path: /etc/str2.txt\n  content: x\n  permissions: '755'\n"
	          "- path: /etc/str3.txt\n  content: x\n  permissions: '0o700'\n"
	          "- path: /etc/bad.txt\n  content: x\n  permissions: rwx\n"
	          "- path: /etc/b64.txt\n  encoding: b64\n  content: aGVsbG8gd29ybGQK\n"
	          "- path: /etc/gzb64.txt\n  encoding: gzip+base64\n"
	          "  content: H4sIAAAAAAAAA8tIzcnJVyjPL8pJ4QIALTsIrwwAAAA=\n"
	          "- path: /etc/gzb64b.txt\n  encoding: ' GZ+B64 '\n"
	          "  content: H4sIAAAAAAAAA8tIzcnJVyjPL8pJ4QIALTsIrwwAAAA=\n"
	          "- path: /etc/bin.dat\n  content: !!binary AAEC\n"
	          "- path: /etc/unknown-enc.txt\n  encoding: rot13\n  content: raw\n"
	          "- path: ''\n  content: skipped\n"
	          "- path: etc/../etc/./rel.txt\n  content: rel\n"
	          "- path: /etc/later.txt\n  content: later\n  defer: true\n"
	          "- path: /etc/own.txt\n  content: o\n  owner: daemon:adm\n"
	          "- path: /etc/own2.txt\n  content: o\n  owner: nobody\n"),
	          0);
	run_ok(&t, &mod_write_files);
	check_file(&t, "/etc/plain.txt", "hello", 0644, 0, 0);
	check_file(&t, "/opt/deep/dir/oct.txt", "x", 0600, 0, 0);
	/* YAML 644 is decimal 644 = 0o1204, as cloud-init */
	check_file(&t, "/etc/dec.txt", "x", 01204, 0, 0);
	check_file(&t, "/etc/str.txt", "x", 0640, 0, 0);
	check_file(&t, "/etc/str2.txt", "x", 0755, 0, 0);
	check_file(&t, "/etc/str3.txt", "x", 0700, 0, 0);
	check_file(&t, "/etc/bad.txt", "x", 0644, 0, 0);
	check_file(&t, "/etc/b64.txt", "hello world\n", 0644, 0, 0);
	check_file(&t, "/etc/gzb64.txt", "hello world\n", 0644, 0, 0);
	check_file(&t, "/etc/gzb64b.txt", "hello world\n", 0644, 0, 0);
	char *bin = pt_read(&t, "/etc/bin.dat");
	CHECK(bin && memcmp(bin, "\0\1\2", 3) == 0);
	free(bin);
	check_file(&t, "/etc/unknown-enc.txt", "raw", 0644, 0, 0);
	check_file(&t, "/etc/rel.txt", "rel", 0644, 0, 0);
	CHECK_INT(pt_stat(&t, "/etc/later.txt").st_mode, 0);
	check_file(&t, "/etc/own.txt", "o", 0644, 1, 4);
	check_file(&t, "/etc/own2.txt", "o", 0644, 65534, 0);
	CHECK_INT(pt_stat(&t, "/opt/deep").st_mode & 07777, 0755);
	/* deferred: only the defer entry */
	CHECK_INT(pt_put(&t, "/etc/plain.txt", "changed", 0600), 0);
	run_ok(&t, &mod_write_files_deferred);
	check_file(&t, "/etc/later.txt", "later", 0644, 0, 0);
	check_file(&t, "/etc/plain.txt", "changed", 0600, 0, 0);
	pt_free(&t);
}

static void test_append_owner(void)
{
	t_group("append, owner only known after users_groups, errors");
	struct pt t;
	CHECK_INT(pt_init(&t,
	          "write_files:\n"
	          "- path: /etc/app.txt\n  content: \"two\\n\"\n  append: true\n  permissions: '0600'\n"
	          "- path: /etc/new-app.txt\n  content: one\n  append: yes\n"
	          "- path: /home/bob/x\n  content: b\n  owner: bob:bob\n  defer: true\n"),
	          0);
	CHECK_INT(pt_put(&t, "/etc/app.txt", "one\n", 0644), 0);
	run_ok(&t, &mod_write_files);
	check_file(&t, "/etc/app.txt", "one\ntwo\n", 0600, 0, 0);
	check_file(&t, "/etc/new-app.txt", "one", 0644, 0, 0);
	/* bob does not exist yet: the deferred module fails, naming the entry */
	char *err;
	CHECK_INT(pt_run(&t, &mod_write_files_deferred, &err), -1);
	CHECK(strstr(err, "write_files[2]") && strstr(err, "bob:bob"));
	free(err);
	CHECK_INT(pt_stat(&t, "/home/bob/x").st_mode, 0);
	/* ... and works once users_groups created bob */
	CHECK_INT(pt_put(&t, "/etc/passwd", "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n", 0644), 0);
	CHECK_INT(pt_put(&t, "/etc/group", "root:x:0:\nbob:x:1000:\n", 0644), 0);
	run_ok(&t, &mod_write_files_deferred);
	check_file(&t, "/home/bob/x", "b", 0644, 1000, 1000);
	pt_free(&t);

	static const char *const bad[][2] = {
		{"write_files:\n- path: /etc/x\n  encoding: b64\n  content: 'abc'\n", "write_files[0].content: invalid base64"},
		{"write_files:\n- path: /etc/x\n  encoding: gz\n  content: 'not gzip'\n", "write_files[0].content: cannot gunzip"},
		{"write_files:\n- path: /etc/x\n  content: [1]\n", "write_files[0].content: expected a string"},
		{"write_files:\n- 42\n", "write_files[0]: expected a map"},
		{"write_files: {path: /x}\n", "write_files: expected a list"},
		{"write_files:\n- path: /etc/x\n  content: x\n  permissions: -1\n", "out of range"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(pt_init(&t, bad[i][0]), 0);
		CHECK_INT(pt_run(&t, &mod_write_files, &err), -1);
		CHECK(strstr(err, bad[i][1]) != NULL);
		if (!strstr(err, bad[i][1]))
			fprintf(stderr, "  got: %s\n", err);
		free(err);
		CHECK_INT(pt_stat(&t, "/etc/x").st_mode, 0);
		pt_free(&t);
	}
}

int main(void)
{
	test_basic();
	test_append_owner();
	return t_done();
}

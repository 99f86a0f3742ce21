/* common/userdata.c: classification, parts, includes (with a fake
 * fetcher), archives. Real fetching is in tests/integration/test_includes.py. */
#include "fsutil.h"
#include "testlib.h"
#include "userdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* A fake web: url -> body, counting fetches. */
struct fake {
	const char *urls[8], *bodies[8];
	int n, fetches;
};

static int fake_fetch(void *ctx, const char *url, struct strbuf *out, char *err, size_t errlen)
{
	struct fake *f = ctx;
	f->fetches++;
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->urls[i], url))
			return sb_puts(out, f->bodies[i]);
	snprintf(err, errlen, "Fetching from %s resulted in a invalid http code of 404", url);
	return -1;
}

static int run(const char *blob, struct fake *f, const char *cache, struct userdata_result *r)
{
	struct userdata_opts o;
	userdata_opts_init(&o);
	o.fetcher = f ? fake_fetch : NULL;
	o.fetcher_ctx = f;
	o.urlcache_dir = cache;
	o.fetch.allow_network = 0;
	return userdata_process(blob, strlen(blob), &o, r);
}

static void test_sniff(void)
{
	t_group("sniff");
	CHECK_STR(userdata_sniff("#cloud-config\n", 14, 0), "text/cloud-config");
	CHECK_STR(userdata_sniff(" \n#Cloud-Configure", 18, 0), "text/cloud-config");
	CHECK_STR(userdata_sniff("#cloud-config-archive", 21, 0), "text/cloud-config-archive");
	CHECK_STR(userdata_sniff("#include-once x", 15, 0), "text/x-include-once-url");
	CHECK_STR(userdata_sniff("#include x", 10, 0), "text/x-include-url");
	CHECK_STR(userdata_sniff("## Template: Jinja\n", 19, 0), "text/jinja2");
	CHECK_STR(userdata_sniff("#!/bin/sh", 9, 0), "text/x-shellscript");
	CHECK_STR(userdata_sniff("#cloud-boothook", 15, 0), "text/cloud-boothook");
	CHECK_STR(userdata_sniff("#part-handler", 13, 0), "text/part-handler");
	CHECK_STR(userdata_sniff("#cloud-config-jsonp", 19, 0), "text/cloud-config-jsonp");
	CHECK_STR(userdata_sniff("text/x-shellscript-per-boot", 27, 0), "text/x-shellscript-per-boot");
	CHECK(userdata_sniff("\xef\xbb\xbf#cloud-config", 16, 0) == NULL);
	CHECK(userdata_sniff("hello", 5, 0) == NULL);
	CHECK_STR(userdata_sniff("#!x\xff", 4, 0), "text/x-shellscript");
	CHECK(userdata_sniff("#!x\xff", 4, 1) == NULL);
	CHECK(userdata_is_gzip_type("application/x-gzip"));
	CHECK(!userdata_is_gzip_type("text/plain"));
	CHECK(userdata_type_is_handled("text/x-shellscript-per-once"));
	CHECK(!userdata_type_is_handled("text/x-not-multipart"));
}

static void test_plain(void)
{
	t_group("plain");
	struct userdata_result r;
	CHECK(run("#cloud-config\na: 1\n", NULL, NULL, &r) == 0);
	CHECK_INT(r.nparts, 1);
	CHECK_STR(r.parts[0].ctype, "text/cloud-config");
	CHECK_STR(r.parts[0].filename, "part-001");
	CHECK_STR(r.parts[0].payload, "#cloud-config\na: 1\n");
	CHECK_STR(r.parts[0].origin, "user-data");
	CHECK_INT(r.parts[0].nwarnings, 0);
	userdata_result_free(&r);

	CHECK(run("\xef\xbb\xbf#cloud-config\n", NULL, NULL, &r) == 0);
	CHECK_STR(r.parts[0].ctype, "text/x-not-multipart");
	CHECK_INT(r.parts[0].nwarnings, 1);
	CHECK_STR(r.parts[0].warnings[0], "Unhandled non-multipart (text/x-not-multipart) "
	                                  "userdata: 'b'\\\\ufeff#cloud-config'...'");
	userdata_result_free(&r);

	CHECK(run("", NULL, NULL, &r) == 0);
	CHECK_INT(r.nparts, 1);
	CHECK_INT(r.parts[0].len, 0);
	CHECK_INT(r.parts[0].nwarnings, 0); /* empty: cloud-init only logs at debug */
	userdata_result_free(&r);
}

static void test_mime_parts(void)
{
	t_group("mime parts");
	struct userdata_result r;
	const char *m =
		"Content-Type: multipart/mixed; boundary=b\nMIME-Version: 1.0\n\n"
		"--b\nContent-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"s.sh\"\n\n"
		"#cloud-config\nx: 1\n"
		"--b\nContent-Type: text/cloud-config\nMerge-Type: list(append)\nLaunch-Index: 2\n\n#!/bin/sh\n"
		"--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nIyEvYmluL3NoCg==\n"
		"--b\nContent-Type: application/octet-stream\n\n#cloud-config\n"
		"--b--\n";
	CHECK(run(m, NULL, NULL, &r) == 0);
	CHECK_INT(r.nparts, 4);
	/* x-shellscript is re-sniffed, declared cloud-config is trusted */
	CHECK_STR(r.parts[0].ctype, "text/cloud-config");
	CHECK_STR(r.parts[0].filename, "s.sh");
	CHECK_STR(r.parts[1].ctype, "text/cloud-config");
	CHECK_STR(r.parts[1].filename, "part-002");
	CHECK_STR(r.parts[1].merge_type, "list(append)");
	CHECK_INT(r.parts[1].launch_index, 2);
	CHECK_STR(r.parts[1].origin, "user-data MIME part 2");
	CHECK_STR(r.parts[2].ctype, "text/x-shellscript");
	CHECK_STR(r.parts[2].payload, "#!/bin/sh\n");
	CHECK_STR(r.parts[3].ctype, "application/octet-stream"); /* not sniffed */
	CHECK_INT(r.parts[3].nwarnings, 1);
	userdata_result_free(&r);

	/* MIME that is not UTF-8 fails as cloud-init's decode() does */
	CHECK(run("MIME-Version: 1.0\n\n\xff", NULL, NULL, &r) < 0);
	CHECK(r.error && strstr(r.error, "UTF-8"));
	userdata_result_free(&r);

	/* a declared gzip part that is not gzip is fatal */
	CHECK(run("MIME-Version: 1.0\nContent-Type: application/x-gzip\n\nplain", NULL, NULL, &r) < 0);
	CHECK(r.error && strstr(r.error, "Failed decompressing payload from application/x-gzip"));
	userdata_result_free(&r);
}

static void test_gzip_blob(void)
{
	t_group("gzip blob");
	const char *text = "#!/bin/sh\necho hi\n";
	unsigned char z[256];
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)text;
	zs.avail_in = (uInt)strlen(text);
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	struct userdata_result r;
	CHECK(userdata_process(z, sizeof(z) - zs.avail_out, NULL, &r) == 0);
	CHECK_INT(r.nparts, 1);
	CHECK_STR(r.parts[0].ctype, "text/x-shellscript");
	CHECK_STR(r.parts[0].payload, text);
	userdata_result_free(&r);
	/* broken gzip is used as it is, quietly */
	CHECK(userdata_process("\x1f\x8bxx", 4, NULL, &r) == 0);
	CHECK_STR(r.parts[0].ctype, "text/x-not-multipart");
	userdata_result_free(&r);
}

static void test_includes(void)
{
	t_group("includes");
	struct fake f = {{"http://h/a", "http://h/b", "http://h/loop", "http://h/mime"},
	                 {"#cloud-config\na: 1\n", "#include http://h/a\n#!/bin/sh\n",
	                  "#include\nhttp://h/loop\n",
	                  "MIME-Version: 1.0\nContent-Type: text/x-shellscript\n\n#!/bin/sh\n"},
	                 4, 0};
	struct userdata_result r;
	CHECK(run("#include\n# comment\n\n http://h/a \nhttp://h/mime\n#include http://h/a\n",
	          &f, NULL, &r) == 0);
	CHECK_INT(r.nparts, 3);
	CHECK_STR(r.parts[0].ctype, "text/cloud-config");
	CHECK_STR(r.parts[0].origin, "include http://h/a");
	CHECK_STR(r.parts[1].ctype, "text/x-shellscript");
	CHECK_STR(r.parts[1].filename, "part-002");
	CHECK_STR(r.parts[2].filename, "part-003");
	CHECK_INT(f.fetches, 3);
	userdata_result_free(&r);

	/* nested includes: the fetched "#include http://h/a\n#!/bin/sh" is
	 * itself an include list (the #! line is a comment there) */
	f.fetches = 0;
	CHECK(run("#include http://h/b", &f, NULL, &r) == 0);
	CHECK_INT(r.nparts, 1);
	CHECK_STR(r.parts[0].origin, "include http://h/a");
	userdata_result_free(&r);

	CHECK(run("#include http://h/loop", &f, NULL, &r) < 0);
	CHECK(r.error && strstr(r.error, "include loop"));
	userdata_result_free(&r);

	CHECK(run("#include http://h/missing", &f, NULL, &r) < 0);
	CHECK(r.error && strstr(r.error, "404"));
	userdata_result_free(&r);

	/* include-once: fetched once, then read from the cache */
	char dir[] = "/tmp/egs-ud-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *cache = fs_join(dir, "urlcache");
	f.fetches = 0;
	CHECK(run("#include-once http://h/a", &f, cache, &r) == 0);
	CHECK_INT(r.nparts, 1);
	userdata_result_free(&r);
	CHECK(run("#include-once\nhttp://h/a", &f, cache, &r) == 0);
	CHECK_INT(r.nparts, 1);
	CHECK_STR(r.parts[0].payload, "#cloud-config\na: 1\n");
	CHECK_INT(f.fetches, 1);
	userdata_result_free(&r);
	/* md5("http://h/a") names the cache file, mode 0600 */
	char *file = fs_join(cache, "2ce7276502725c281e6d5ae4e55aed55");
	struct strbuf sb = STRBUF_INIT;
	CHECK(fs_read_file(file, &sb, 0) == 0);
	CHECK_STR(sb_str(&sb), "#cloud-config\na: 1\n");
	sb_free(&sb);
	unlink(file);
	rmdir(cache);
	rmdir(dir);
	free(file);
	free(cache);

	/* network disabled with the default fetcher */
	CHECK(run("#include http://127.0.0.1:9/x", NULL, NULL, &r) < 0);
	CHECK(r.error && strstr(r.error, "disabled"));
	userdata_result_free(&r);
}

static int deep_fetch(void *ctx, const char *url, struct strbuf *out, char *err, size_t errlen)
{
	(void)ctx;
	(void)err;
	(void)errlen;
	return sb_printf(out, "#include %s/x", url);
}

static void test_depth(void)
{
	t_group("include depth");
	struct userdata_opts o;
	userdata_opts_init(&o);
	o.fetcher = deep_fetch;
	struct userdata_result r;
	const char *blob = "#include http://h";
	CHECK(userdata_process(blob, strlen(blob), &o, &r) < 0);
	CHECK(r.error && strstr(r.error, "deeper than 10"));
	userdata_result_free(&r);
}

static void test_archive(void)
{
	t_group("archive");
	struct userdata_result r;
	const char *a = "#cloud-config-archive\n"
	                "- \"#!/bin/sh\\necho 1\"\n"
	                "- content: 'a: 1'\n"
	                "- {content: x, type: text/x-foo, filename: f1, launch-index: 2, Merge-Type: 'list()'}\n"
	                "- 5\n"
	                "- content: !!binary aGk=\n";
	CHECK(run(a, NULL, NULL, &r) == 0);
	CHECK_INT(r.nparts, 4);
	CHECK_STR(r.parts[0].ctype, "text/x-shellscript");
	CHECK_STR(r.parts[1].ctype, "text/cloud-config");
	CHECK_STR(r.parts[1].filename, "part-002");
	CHECK_STR(r.parts[2].ctype, "text/x-foo");
	CHECK_STR(r.parts[2].filename, "f1");
	CHECK_INT(r.parts[2].launch_index, 2);
	CHECK_STR(r.parts[2].merge_type, "list()");
	CHECK_STR(r.parts[3].ctype, "application/octet-stream");
	CHECK_STR(r.parts[3].payload, "hi");
	userdata_result_free(&r);
	/* not a list, or not YAML: no parts */
	CHECK(run("#cloud-config-archive\n{a: 1}\n", NULL, NULL, &r) == 0);
	CHECK_INT(r.nparts, 0);
	userdata_result_free(&r);
	CHECK(run("#cloud-config-archive\n- [\n", NULL, NULL, &r) == 0);
	CHECK_INT(r.nparts, 0);
	userdata_result_free(&r);
	CHECK(run("#cloud-config-archive\n- {content: [1]}\n", NULL, NULL, &r) < 0);
	CHECK(r.error && strstr(r.error, "archive entry 1"));
	userdata_result_free(&r);
}

int main(void)
{
	test_sniff();
	test_plain();
	test_mime_parts();
	test_gzip_blob();
	test_includes();
	test_depth();
	test_archive();
	return t_done();
}

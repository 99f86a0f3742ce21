/* common/strbuf.c, base64.c, jsonw.c, fsutil.c */
#include "base64.h"
#include "fsutil.h"
#include "jsonw.h"
#include "strbuf.h"
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_base64(void)
{
	t_group("base64");
	struct strbuf sb = STRBUF_INIT;
	const char *vec[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
	                        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		sb_reset(&sb);
		CHECK(base64_encode(&sb, vec[i][0], strlen(vec[i][0])) == 0);
		CHECK_STR(sb_str(&sb), vec[i][1]);
		sb_reset(&sb);
		CHECK(base64_decode(&sb, vec[i][1], strlen(vec[i][1])) == 0);
		CHECK_STR(sb_str(&sb), vec[i][0]);
	}
	sb_reset(&sb);
	CHECK(base64_decode(&sb, "Zm9v\r\nYmFy\n", 11) == 0);
	CHECK_STR(sb_str(&sb), "foobar");
	sb_reset(&sb);
	CHECK(base64_decode(&sb, "Zm9vYg", 6) == 0); /* padding optional */
	CHECK_STR(sb_str(&sb), "foob");
	sb_reset(&sb);
	sb_puts(&sb, "keep");
	CHECK(base64_decode(&sb, "Zm9v!", 5) < 0);
	CHECK_STR(sb_str(&sb), "keep"); /* unchanged on error */
	CHECK(base64_decode(&sb, "Zm9vY", 5) < 0);
	CHECK(base64_decode(&sb, "Zg==Zg==", 8) < 0);
	sb_free(&sb);
}

static void test_jsonw(void)
{
	t_group("jsonw");
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &sb, 0, 1);
	jw_obj_begin(&w);
	jw_key(&w, "name");
	jw_str(&w, "a\"b\n\x01\xc3\xa9");
	jw_key(&w, "list");
	jw_arr_begin(&w);
	jw_int(&w, -3);
	jw_bool(&w, 1);
	jw_null(&w);
	jw_double(&w, 1.5);
	jw_double(&w, 2);
	jw_arr_end(&w);
	jw_key(&w, "empty");
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	CHECK(jw_error(&w) == 0);
	CHECK_STR(sb_str(&sb),
	          "{\"name\":\"a\\\"b\\n\\u0001\\u00e9\",\"list\":[-3,true,null,1.5,2.0],\"empty\":{}}");

	sb_reset(&sb);
	jw_init(&w, &sb, 2, 0);
	jw_arr_begin(&w);
	jw_obj_begin(&w);
	jw_key(&w, "k");
	jw_str(&w, "\xc3\xa9\xff");
	jw_obj_end(&w);
	jw_arr_end(&w);
	CHECK_STR(sb_str(&sb), "[\n  {\n    \"k\": \"\xc3\xa9\xef\xbf\xbd\"\n  }\n]");
	jw_init(&w, &sb, 0, 0);
	jw_obj_end(&w);
	CHECK(jw_error(&w) < 0);
	sb_free(&sb);
}

static void test_fsutil(void)
{
	t_group("fsutil");
	char dir[] = "/tmp/egs-test-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *sub = fs_join(dir, "a/b/c");
	CHECK(fs_mkdir_p(sub, 0755) == 0);
	CHECK(fs_mkdir_p(sub, 0755) == 0);
	char *file = fs_join(sub, "f.txt");
	CHECK(fs_write_atomic(file, "hello", 5, 0600) == 0);
	CHECK(fs_write_atomic(file, "bye", 3, 0640) == 0);
	struct stat st;
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0640);
	struct strbuf sb = STRBUF_INIT;
	CHECK(fs_read_file(file, &sb, 0) == 0);
	CHECK_STR(sb_str(&sb), "bye");
	sb_reset(&sb);
	CHECK(fs_read_file(file, &sb, 2) < 0 && errno == EFBIG);
	CHECK_INT(sb.len, 0);
	char *missing = fs_join(dir, "nodir/x");
	CHECK(fs_write_atomic(missing, "x", 1, 0600) < 0);
	CHECK(fs_mkdir_p(file, 0755) < 0 && errno == ENOTDIR);
	char *j = fs_join("/a/", "/b");
	CHECK_STR(j, "/a/b");
	free(j);
	free(missing);
	free(file);
	free(sub);
	sb_free(&sb);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int main(void)
{
	test_base64();
	test_jsonw();
	test_fsutil();
	return t_done();
}

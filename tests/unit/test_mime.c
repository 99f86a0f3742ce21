/* common/mime.c, common/gz.c, common/utf8.c, base64_decode_lenient */
#include "base64.h"
#include "gz.h"
#include "mime.h"
#include "testlib.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static char *body_of(const struct mime_part *p)
{
	struct strbuf sb = STRBUF_INIT;
	mime_decode_body(p, &sb, NULL);
	return sb_detach(&sb);
}

static void check_body(const struct mime_part *p, const char *want)
{
	char *b = body_of(p);
	CHECK_STR(b, want);
	free(b);
}

static void test_headers(void)
{
	t_group("headers");
	const char *m = "From nobody\nMIME-Version: 1.0\nContent-Type: Text/Cloud-Config;\n"
	                " charset=utf-8\nX-Empty:\n: no name\nLaunch-Index:  3 \n\nbody\n";
	struct mime_part *p = mime_parse(m, strlen(m), 0);
	CHECK(p != NULL);
	CHECK_STR(p->ctype, "text/cloud-config");
	CHECK_STR(mime_header_get(p, "content-type"), "Text/Cloud-Config;\n charset=utf-8");
	CHECK_STR(mime_header_get(p, "X-EMPTY"), "");
	CHECK_STR(mime_header_get(p, "Launch-Index"), "3 ");
	CHECK(mime_header_get(p, "From") == NULL);
	CHECK(p->defects & MIME_DEF_BAD_HEADER);
	check_body(p, "body\n");
	mime_free(p);

	/* no blank line: the first non-header line starts the body */
	m = "Content-Type: text/x\nnot a header\nmore";
	p = mime_parse(m, strlen(m), 0);
	CHECK(p->defects & MIME_DEF_NO_SEPARATOR);
	check_body(p, "not a header\nmore");
	mime_free(p);

	/* a type without exactly one '/' is text/plain */
	m = "Content-Type: text\n\nx";
	p = mime_parse(m, strlen(m), 0);
	CHECK_STR(p->ctype, "text/plain");
	mime_free(p);
}

static void test_params(void)
{
	t_group("params");
	struct strbuf sb = STRBUF_INIT;
	CHECK_INT(mime_header_param("multipart/mixed; boundary=\"a;b\\\"c\"; x=1", "Boundary", &sb), 1);
	CHECK_STR(sb_str(&sb), "a;b\"c");
	sb_reset(&sb);
	CHECK_INT(mime_header_param("attachment; filename*=utf-8''a%20b", "filename", &sb), 1);
	CHECK_STR(sb_str(&sb), "a b");
	sb_reset(&sb);
	/* the plain form wins over the RFC 2231 one, as in Python */
	CHECK_INT(mime_header_param("a; f*=utf-8''x; f=y", "f", &sb), 1);
	CHECK_STR(sb_str(&sb), "y");
	CHECK_INT(mime_header_param("text/plain", "boundary", &sb), 0);
	CHECK_INT(mime_header_param(NULL, "boundary", &sb), 0);
	sb_free(&sb);
}

static void test_multipart(void)
{
	t_group("multipart");
	const char *m = "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n"
	                "preamble\n--XX\nContent-Type: text/a\n\nA\n\n--XX\n\nB\n--XX--\nepilogue\n";
	struct mime_part *p = mime_parse(m, strlen(m), 0);
	CHECK(p->is_container);
	CHECK_INT(p->nchildren, 2);
	CHECK_STR(p->children[0]->ctype, "text/a");
	check_body(p->children[0], "A\n"); /* one line ending belongs to the delimiter */
	CHECK_STR(p->children[1]->ctype, "text/plain");
	check_body(p->children[1], "B");
	CHECK(!(p->defects & MIME_DEF_NO_CLOSE));
	mime_free(p);

	/* nested, inner closing delimiter missing, CRLF */
	m = "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
	    "Content-Type: multipart/alternative; boundary=YY\r\n\r\n--YY\r\n"
	    "Content-Type: text/a\r\n\r\ninner\r\n--XX\r\nContent-Type: text/b\r\n\r\nb\r\n";
	p = mime_parse(m, strlen(m), 0);
	CHECK_INT(p->nchildren, 2);
	CHECK(p->defects & MIME_DEF_NO_CLOSE);
	CHECK(p->children[0]->defects & MIME_DEF_NO_CLOSE);
	CHECK_INT(p->children[0]->nchildren, 1);
	check_body(p->children[0]->children[0], "inner");
	check_body(p->children[1], "b"); /* stripped at end of input too */
	mime_free(p);

	/* no boundary parameter, boundary never seen, repeated delimiters */
	m = "Content-Type: multipart/mixed\n\n--XX\nhi\n";
	p = mime_parse(m, strlen(m), 0);
	CHECK(p->defects & MIME_DEF_NO_BOUNDARY);
	CHECK_INT(p->nchildren, 0);
	mime_free(p);
	m = "Content-Type: multipart/mixed; boundary=XX\n\nnothing\n";
	p = mime_parse(m, strlen(m), 0);
	CHECK(p->defects & MIME_DEF_NO_START);
	CHECK_INT(p->nchildren, 0);
	mime_free(p);
	m = "Content-Type: multipart/mixed; boundary=XX\n\n--XX\n--XX  \nContent-Type: text/a\n\na\n--XXy\n--XX--";
	p = mime_parse(m, strlen(m), 0);
	CHECK_INT(p->nchildren, 1);
	check_body(p->children[0], "a\n--XXy");
	mime_free(p);
}

static void test_depth(void)
{
	t_group("depth");
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 200; i++)
		sb_printf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	sb_puts(&sb, "Content-Type: text/x\n\nleaf\n");
	struct mime_part *p = mime_parse(sb.data, sb.len, 0), *q = p;
	int depth = 0;
	while (q && q->nchildren) {
		q = q->children[0];
		depth++;
	}
	CHECK_INT(depth, MIME_MAX_DEPTH);
	CHECK(q && (q->defects & MIME_DEF_TOO_DEEP));
	mime_free(p);
	sb_free(&sb);
}

static void test_cte(void)
{
	t_group("transfer encodings");
	struct strbuf sb = STRBUF_INIT;
	unsigned warn;
	const char *m = "Content-Transfer-Encoding: BASE64\n\naGVs\nbG8=\n";
	struct mime_part *p = mime_parse(m, strlen(m), 0);
	mime_decode_body(p, &sb, &warn);
	CHECK_STR(sb_str(&sb), "hello");
	CHECK_INT(warn, 0);
	mime_free(p);
	/* invalid characters dropped; undecodable kept raw without newlines */
	sb_reset(&sb);
	m = "Content-Transfer-Encoding: base64\n\naGVs!bG8\n";
	p = mime_parse(m, strlen(m), 0);
	mime_decode_body(p, &sb, &warn);
	CHECK_STR(sb_str(&sb), "hello");
	CHECK(warn & MIME_WARN_B64_CHARS);
	mime_free(p);
	sb_reset(&sb);
	m = "Content-Transfer-Encoding: base64\n\naGVsb\n";
	p = mime_parse(m, strlen(m), 0);
	mime_decode_body(p, &sb, &warn);
	CHECK_STR(sb_str(&sb), "aGVsb");
	CHECK(warn & MIME_WARN_B64_LENGTH);
	mime_free(p);
	/* Python does not strip the value: "base64 " is not base64 */
	sb_reset(&sb);
	m = "Content-Transfer-Encoding: base64 \n\naGk=";
	p = mime_parse(m, strlen(m), 0);
	mime_decode_body(p, &sb, &warn);
	CHECK_STR(sb_str(&sb), "aGk=");
	mime_free(p);
	sb_reset(&sb);
	CHECK(mime_decode_qp(&sb, "a=3Db=\nc=ZZd==\r\ne=", 18) == 0);
	CHECK_STR(sb_str(&sb), "a=bc=ZZd=\r\ne");
	sb_reset(&sb);
	unsigned fl;
	CHECK_INT(base64_decode_lenient(&sb, "aGk=trailing", 12, &fl), 0);
	CHECK_STR(sb_str(&sb), "hi");
	sb_free(&sb);
}

static void test_gz(void)
{
	t_group("gz");
	const char *text = "#cloud-config\nhello: world\n";
	unsigned char z[256], two[512];
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	CHECK(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	zs.next_in = (unsigned char *)text;
	zs.avail_in = (uInt)strlen(text);
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	size_t zlen = sizeof(z) - zs.avail_out;
	deflateEnd(&zs);
	struct strbuf sb = STRBUF_INIT;
	const char *err = NULL;
	CHECK(gz_is_gzip(z, zlen));
	CHECK(gz_gunzip(&sb, z, zlen, 0, &err) == 0);
	CHECK_STR(sb_str(&sb), text);
	/* two members plus NUL padding */
	memcpy(two, z, zlen);
	memcpy(two + zlen, z, zlen);
	memset(two + 2 * zlen, 0, 4);
	sb_reset(&sb);
	CHECK(gz_gunzip(&sb, two, 2 * zlen + 4, 0, &err) == 0);
	CHECK_INT(sb.len, 2 * strlen(text));
	/* garbage after, truncation, cap, not gzip */
	two[2 * zlen] = 'x';
	sb_reset(&sb);
	CHECK(gz_gunzip(&sb, two, 2 * zlen + 1, 0, &err) < 0);
	CHECK_INT(sb.len, 0);
	CHECK(gz_gunzip(&sb, z, zlen - 5, 0, &err) < 0);
	CHECK(gz_gunzip(&sb, z, zlen, 10, &err) < 0);
	CHECK(strstr(err, "limit") != NULL);
	CHECK(gz_gunzip(&sb, "plain", 5, 0, &err) < 0);
	CHECK(gz_gunzip(&sb, "", 0, 0, &err) == 0);
	sb_free(&sb);
}

static void test_utf8(void)
{
	t_group("utf8");
	CHECK(utf8_valid("a\xc3\xa9", 3));
	CHECK(!utf8_valid("\xc0\x80", 2));     /* overlong */
	CHECK(!utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
	CHECK(!utf8_valid("\xff", 1));
	CHECK_INT(utf8_py_space_prefix(" \t\xc2\xa0\xe3\x80\x80x", 8), 7);
	CHECK_INT(utf8_py_space_prefix("\xef\xbb\xbfx", 4), 0); /* a BOM is not space */
	CHECK_INT(utf8_py_rstrip_len("ab \xe2\x80\xa8", 6), 2);
	size_t eol;
	CHECK_INT(utf8_py_line("ab\r\ncd", 6, &eol), 2);
	CHECK_INT(eol, 2);
	CHECK_INT(utf8_py_line("ab\xe2\x80\xa9", 5, &eol), 2);
	CHECK_INT(eol, 3);
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	CHECK(utf8_py_escape_first_line(&a, "it's\t\xc3\xa9\xff\nnext", 13, 24, 1) == 0);
	CHECK_STR(sb_str(&a), "it's\\t\\xe9\\udcff");
	CHECK(utf8_py_bytes_repr(&b, a.data, a.len) == 0);
	CHECK_STR(sb_str(&b), "b\"it's\\\\t\\\\xe9\\\\udcff\"");
	sb_free(&a);
	sb_free(&b);
}

int main(void)
{
	test_headers();
	test_params();
	test_multipart();
	test_depth();
	test_cte();
	test_gz();
	test_utf8();
	return t_done();
}

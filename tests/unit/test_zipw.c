/* common/zipw.c: archives read back by a small central-directory reader
 * with zlib inflate (stored/deflated entries, CRC, sizes, DOS times, the
 * UTF-8 flag, skips that roll back, the 4 GiB refusal, atomic replace). */
#include "fsutil.h"
#include "strbuf.h"
#include "testlib.h"
#include "zipw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[] = "/tmp/egs-zipw-XXXXXX";

static unsigned g16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static unsigned long g32(const unsigned char *p) { return g16(p) | (unsigned long)g16(p + 2) << 16; }

/* Finds entry name in the archive image and inflates it into out.
 * Returns the central record's offset or -1; *method, *flags, *dtime,
 * *ddate filled. Checks CRC and sizes against the data. */
static long find_entry(const struct strbuf *zip, const char *name, struct strbuf *out,
                       unsigned *method, unsigned *flags, unsigned *ddate, unsigned *dtime)
{
	const unsigned char *z = (const unsigned char *)zip->data;
	if (zip->len < 22)
		return -1;
	const unsigned char *end = z + zip->len - 22;
	if (g32(end) != 0x06054b50)
		return -1;
	unsigned n = g16(end + 10);
	unsigned long cd = g32(end + 16);
	const unsigned char *c = z + cd;
	for (unsigned i = 0; i < n; i++) {
		if (g32(c) != 0x02014b50)
			return -1;
		unsigned nl = g16(c + 28), xl = g16(c + 30), cl = g16(c + 32);
		if (nl == strlen(name) && memcmp(c + 46, name, nl) == 0) {
			*method = g16(c + 10);
			*flags = g16(c + 8);
			*dtime = g16(c + 12);
			*ddate = g16(c + 14);
			unsigned long crc = g32(c + 16), cs = g32(c + 20), us = g32(c + 24);
			const unsigned char *l = z + g32(c + 42);
			if (g32(l) != 0x04034b50 || g32(l + 14) != crc || g32(l + 18) != cs ||
			    g32(l + 22) != us || g16(l + 8) != *method)
				return -1;
			const unsigned char *data = l + 30 + g16(l + 26) + g16(l + 28);
			sb_reset(out);
			if (*method == 0) {
				sb_append(out, data, cs);
			} else {
				z_stream zs;
				memset(&zs, 0, sizeof(zs));
				inflateInit2(&zs, -15);
				sb_reserve(out, us + 1);
				zs.next_in = (unsigned char *)data;
				zs.avail_in = (uInt)cs;
				zs.next_out = (unsigned char *)out->data;
				zs.avail_out = (uInt)(us + 1);
				int r = inflate(&zs, Z_FINISH);
				out->len = zs.total_out;
				out->data[out->len] = '\0';
				inflateEnd(&zs);
				if (r != Z_STREAM_END)
					return -1;
			}
			if (out->len != us || crc32(0, (unsigned char *)out->data, (uInt)out->len) != crc)
				return -1;
			return (long)(c - z);
		}
		c += 46 + nl + xl + cl;
	}
	return -1;
}

static char *tpath(const char *name)
{
	return fs_join(tmpdir, name);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	setenv("TZ", "UTC", 1);
	tzset();
	char *zpath = tpath("out.zip");
	char *big = tpath("big.log"), *empty = tpath("empty"), *huge = tpath("huge");
	/* 3 MiB: compressible text + pseudo-random bytes */
	struct strbuf b = STRBUF_INIT;
	unsigned x = 12345;
	for (int i = 0; i < 3 * 1024 * 1024; i++) {
		x = x * 1103515245u + 12345u;
		sb_putc(&b, i < 2 * 1024 * 1024 ? "log line\n"[i % 9] : (char)(x >> 16));
	}
	fs_write_atomic(big, b.data, b.len, 0640);
	fs_write_atomic(empty, "", 0, 0644);
	struct timespec ts[2] = {{1700000000, 0}, {1700000000, 0}}; /* 2023-11-14 22:13:20 UTC */
	utimensat(AT_FDCWD, big, ts, 0);
	int fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)ZIPW_MAX_SIZE + 1) == 0);
	close(fd);

	t_group("write");
	struct strbuf err = STRBUF_INIT;
	fs_write_atomic(zpath, "old", 3, 0644);
	struct zipw *z = zipw_open(zpath, &err);
	CHECK(z != NULL);
	CHECK_INT(zipw_add_file(z, "logs/big.log", big, &err), 0);
	CHECK_INT(zipw_add_file(z, "state/empty", empty, &err), 0);
	CHECK_INT(zipw_add_data(z, "version.txt", "Assembly: egs\n", 14, 1700000000, 0644, &err), 0);
	CHECK_INT(zipw_add_data(z, "logs/\xc3\xa4.txt", "umlaut", 6, 1700000000, 0644, &err), 0);
	sb_reset(&err);
	CHECK_INT(zipw_add_file(z, "missing", "/nonexistent/x", &err), 1);
	CHECK(strstr(sb_str(&err), "No such file") != NULL);
	sb_reset(&err);
	CHECK_INT(zipw_add_file(z, "dir", tmpdir, &err), 1);
	CHECK(strstr(sb_str(&err), "not a regular file") != NULL);
	sb_reset(&err);
	CHECK_INT(zipw_add_file(z, "huge", huge, &err), 1);
	CHECK(strstr(sb_str(&err), "4 GiB") != NULL);
	CHECK_INT(zipw_add_data(z, "/abs", "x", 1, 0, 0644, &err), 1);
	CHECK_INT(zipw_count(z), 4);
	struct strbuf old = STRBUF_INIT;
	fs_read_file(zpath, &old, 0);
	CHECK_STR(sb_str(&old), "old"); /* not replaced before close */
	CHECK_INT(zipw_close(z, 0600, &err), 0);
	struct stat st;
	CHECK(stat(zpath, &st) == 0 && (st.st_mode & 0777) == 0600);

	t_group("read back");
	struct strbuf zip = STRBUF_INIT, out = STRBUF_INIT;
	CHECK_INT(fs_read_file(zpath, &zip, 0), 0);
	CHECK(zip.len < b.len); /* deflated */
	unsigned method, flags, ddate, dtime;
	CHECK(find_entry(&zip, "logs/big.log", &out, &method, &flags, &ddate, &dtime) >= 0);
	CHECK_INT(method, 8);
	CHECK(out.len == b.len && memcmp(out.data, b.data, b.len) == 0);
	CHECK_INT(ddate, ((2023 - 1980) << 9) | (11 << 5) | 14);
	CHECK_INT(dtime, (22 << 11) | (13 << 5) | 10);
	CHECK_INT(flags & 0x800, 0);
	CHECK(find_entry(&zip, "state/empty", &out, &method, &flags, &ddate, &dtime) >= 0);
	CHECK_INT(method, 0);
	CHECK_INT(out.len, 0);
	CHECK(find_entry(&zip, "version.txt", &out, &method, &flags, &ddate, &dtime) >= 0);
	CHECK_STR(sb_str(&out), "Assembly: egs\n");
	CHECK(find_entry(&zip, "logs/\xc3\xa4.txt", &out, &method, &flags, &ddate, &dtime) >= 0);
	CHECK_INT(flags & 0x800, 0x800);
	CHECK(find_entry(&zip, "missing", &out, &method, &flags, &ddate, &dtime) < 0);

	t_group("abort and old mtimes");
	z = zipw_open(zpath, &err);
	CHECK_INT(zipw_add_data(z, "a", "b", 1, 0, 0644, &err), 0); /* 1970: clamped to 1980 */
	zipw_abort(z);
	sb_reset(&zip);
	fs_read_file(zpath, &zip, 0);
	CHECK(find_entry(&zip, "logs/big.log", &out, &method, &flags, &ddate, &dtime) >= 0);
	z = zipw_open(zpath, &err);
	CHECK_INT(zipw_add_data(z, "a", "b", 1, 0, 0644, &err), 0);
	CHECK_INT(zipw_close(z, 0644, &err), 0);
	sb_reset(&zip);
	fs_read_file(zpath, &zip, 0);
	CHECK(find_entry(&zip, "a", &out, &method, &flags, &ddate, &dtime) >= 0);
	CHECK_INT(ddate, (1 << 5) | 1);
	CHECK(zipw_open("/nonexistent/dir/x.zip", &err) == NULL);

	unlink(big);
	unlink(empty);
	unlink(huge);
	unlink(zpath);
	rmdir(tmpdir);
	free(zpath);
	free(big);
	free(empty);
	free(huge);
	sb_free(&b);
	sb_free(&err);
	sb_free(&old);
	sb_free(&zip);
	sb_free(&out);
	return t_done();
}

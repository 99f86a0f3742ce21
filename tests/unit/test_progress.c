/* common/progress.c: byte formatting and the bar's text (no terminal). */
#include "progress.h"
#include "testlib.h"

#include <string.h>
#include <unistd.h>

int main(void)
{
	char b[64];
	t_group("progress_human");
	progress_human(0, b, sizeof(b));
	CHECK_STR(b, "0 B");
	progress_human(1023, b, sizeof(b));
	CHECK_STR(b, "1023 B");
	progress_human(1536, b, sizeof(b));
	CHECK_STR(b, "1.5 KiB");
	progress_human(200ull << 20, b, sizeof(b));
	CHECK_STR(b, "200.0 MiB");
	progress_human((3ull << 30) + (1ull << 29), b, sizeof(b));
	CHECK_STR(b, "3.5 GiB");
	progress_human(5ull << 40, b, sizeof(b));
	CHECK_STR(b, "5.0 TiB");

	t_group("format");
	struct progress p;
	progress_init(&p, -1, 0);
	progress_set_total(&p, 100 << 20, 10);
	p.start_ms = 0;
	progress_file(&p, "dir/file.bin", 20 << 20);
	progress_update(&p, 10 << 20, 20 << 20);
	char line[300];
	size_t n = progress_format(&p, 1000, 200, line, sizeof(line));
	CHECK_STR(line, "[1/10] dir/file.bin 10.0 MiB/20.0 MiB 50% | 10.0 MiB/100.0 MiB 10% "
	                "10.0 MiB/s ETA 0:09");
	CHECK_INT(n, strlen(line));
	/* narrow: the name is cut from the left, the line fits */
	n = progress_format(&p, 1000, 80, line, sizeof(line));
	CHECK(n <= 80);
	CHECK(strstr(line, "...") != NULL && strstr(line, "ETA 0:09") != NULL);
	n = progress_format(&p, 1000, 20, line, sizeof(line));
	CHECK(n == 20);
	progress_file_done(&p);
	CHECK_INT(p.done_bytes, 20 << 20);
	CHECK_INT(p.done_files, 1);
	progress_add(&p, 80 << 20, 9);
	progress_format(&p, 2000, 200, line, sizeof(line));
	CHECK(strstr(line, "100.0 MiB/100.0 MiB 100%") != NULL && strstr(line, "ETA 0:00"));
	/* long runs get hours; an unknown rate has no ETA */
	progress_set_total(&p, 1ull << 40, 1);
	progress_format(&p, 1000, 200, line, sizeof(line));
	CHECK(strstr(line, "ETA 2:54:") != NULL);
	p.done_bytes = 0;
	progress_format(&p, 1000, 200, line, sizeof(line));
	CHECK(strstr(line, "ETA --:--") != NULL);
	/* not a terminal here (or on): clearing is a no-op */
	progress_clear(&p);
	CHECK(!progress_wanted(1));
	return t_done();
}

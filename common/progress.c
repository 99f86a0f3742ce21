#include "progress.h"

#include "fsutil.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_MS 100

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int progress_wanted(int quiet)
{
	return !quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
}

void progress_init(struct progress *p, int fd, int on)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->on = on;
	p->start_ms = mono_ms();
}

void progress_set_total(struct progress *p, uint64_t bytes, unsigned files)
{
	p->total_bytes = bytes;
	p->total_files = files;
}

void progress_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	/* tenths of the unit, rounded down */
	uint64_t div = 1024;
	int u = 0;
	while (u < 3 && bytes / div >= 1024) {
		div *= 1024;
		u++;
	}
	uint64_t tenths = bytes / (div / 1024) * 10 / 1024;
	snprintf(buf, len, "%llu.%llu %s", (unsigned long long)(tenths / 10),
	         (unsigned long long)(tenths % 10), units[u]);
}

static unsigned percent(uint64_t done, uint64_t total)
{
	if (!total)
		return 100;
	if (done >= total)
		return 100;
	return (unsigned)(done * 100 / total);
}

size_t progress_format(const struct progress *p, long long now_ms, int width, char *buf,
                       size_t len)
{
	char fd[32], fs[32], td[32], ts[32], rate[32], eta[32], right[256], counter[48];
	long long ms = now_ms - p->start_ms;
	uint64_t per_s = ms > 0 ? p->done_bytes * 1000 / (uint64_t)ms : 0;
	progress_human(p->file_done, fd, sizeof(fd));
	progress_human(p->file_size, fs, sizeof(fs));
	progress_human(p->done_bytes, td, sizeof(td));
	progress_human(p->total_bytes, ts, sizeof(ts));
	progress_human(per_s, rate, sizeof(rate));
	if (per_s && p->total_bytes > p->done_bytes) {
		uint64_t s = (p->total_bytes - p->done_bytes) / per_s;
		if (s >= 3600)
			snprintf(eta, sizeof(eta), "%llu:%02u:%02u", (unsigned long long)(s / 3600),
			         (unsigned)(s / 60 % 60), (unsigned)(s % 60));
		else
			snprintf(eta, sizeof(eta), "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
	} else {
		snprintf(eta, sizeof(eta), "%s", p->total_bytes > p->done_bytes ? "--:--" : "0:00");
	}
	snprintf(right, sizeof(right), "| %s/%s %u%% %s/s ETA %s", td, ts,
	         percent(p->done_bytes, p->total_bytes), rate, eta);
	if (p->total_files > 1)
		snprintf(counter, sizeof(counter), "[%u/%u] ", p->done_files + (p->name[0] ? 1 : 0),
		         p->total_files);
	else
		counter[0] = '\0';
	char file[96];
	if (p->name[0])
		snprintf(file, sizeof(file), " %s/%s %u%% ", fd, fs, percent(p->file_done, p->file_size));
	else
		snprintf(file, sizeof(file), " ");
	/* the name gets what is left of the width, cut from the left */
	int fixed = (int)(strlen(counter) + strlen(file) + strlen(right));
	int room = width - fixed;
	const char *name = p->name;
	int nlen = (int)strlen(name);
	char cut[300];
	if (room < 4) {
		name = "";
		nlen = 0;
	} else if (nlen > room) {
		const char *tail = name + (nlen - (room - 3));
		while (((unsigned char)*tail & 0xc0) == 0x80) /* a whole UTF-8 character */
			tail++;
		snprintf(cut, sizeof(cut), "...%s", tail);
		name = cut;
	}
	int n = snprintf(buf, len, "%s%s%s%s", counter, name, file, right);
	if (n < 0)
		n = 0;
	if ((size_t)n >= len)
		n = (int)len - 1;
	if (width > 0 && n > width) { /* a very narrow terminal: cut the end */
		n = width;
		buf[n] = '\0';
	}
	return (size_t)n;
}

static int term_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col - 1; /* never the last column: no wrap */
	return 79;
}

static void draw(struct progress *p, int force)
{
	if (!p->on)
		return;
	long long now = mono_ms();
	if (!force && p->shown && now - p->last_ms < REDRAW_MS)
		return;
	p->last_ms = now;
	char line[600];
	line[0] = '\r';
	size_t n = progress_format(p, now, term_width(p->fd), line + 1, sizeof(line) - 8);
	memcpy(line + 1 + n, "\033[K", 4);
	/* a terminal that stopped taking output only loses the bar */
	if (fs_write_all(p->fd, line, n + 4) == 0)
		p->shown = 1;
}

void progress_file(struct progress *p, const char *name, uint64_t size)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->file_size = size;
	p->file_done = 0;
	draw(p, 0);
}

void progress_update(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	if (done > p->file_done) {
		p->done_bytes += done - p->file_done;
		p->file_done = done;
	}
	(void)total;
	draw(p, 0);
}

void progress_file_done(struct progress *p)
{
	if (p->file_size > p->file_done) {
		p->done_bytes += p->file_size - p->file_done;
		p->file_done = p->file_size;
	}
	/* the finished file's 100% frame, however fast the transfer was */
	if (p->name[0])
		draw(p, 1);
	p->done_files++;
	p->name[0] = '\0';
	p->file_size = p->file_done = 0;
}

void progress_add(struct progress *p, uint64_t bytes, unsigned files)
{
	p->done_bytes += bytes;
	p->done_files += files;
	draw(p, 0);
}

void progress_clear(struct progress *p)
{
	if (!p->on || !p->shown)
		return;
	if (fs_write_all(p->fd, "\r\033[K", 4) == 0)
		p->shown = 0;
}

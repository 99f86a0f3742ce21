#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "strbuf.h"

static int log_fd = -1;
static int log_stderr = 1;
static enum log_level log_min = LOG_INF;
static char log_path[4096];

static const char *const level_names[] = {"VRB", "DBG", "INF", "WRN", "ERR", "FTL"};

static int open_file(void)
{
	log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return log_fd < 0 ? -1 : 0;
}

int log_open(const char *path, int to_stderr, enum log_level min)
{
	log_close();
	log_stderr = to_stderr;
	log_min = min;
	if (!path)
		return 0;
	if (snprintf(log_path, sizeof(log_path), "%s", path) >= (int)sizeof(log_path)) {
		log_path[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	if (open_file() < 0) {
		int e = errno;
		log_path[0] = '\0';
		log_stderr = 1;
		errno = e;
		return -1;
	}
	return 0;
}

void log_set_level(enum log_level min) { log_min = min; }

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

/* agent.log -> agent_001.log -> ... -> agent_00N.log (the oldest dropped) */
static void rotated_name(char *out, size_t cap, int n)
{
	const char *dot = strrchr(log_path, '.');
	const char *slash = strrchr(log_path, '/');
	if (!dot || (slash && dot < slash))
		dot = log_path + strlen(log_path);
	snprintf(out, cap, "%.*s_%03d%s", (int)(dot - log_path), log_path, n, dot);
}

static void roll_if_needed(void)
{
	struct stat st;
	if (log_fd < 0 || fstat(log_fd, &st) < 0 || st.st_size < LOG_ROLL_BYTES)
		return;
	char from[4200], to[4200];
	for (int n = LOG_KEEP_FILES - 1; n >= 1; n--) {
		rotated_name(to, sizeof(to), n);
		if (n == 1)
			snprintf(from, sizeof(from), "%s", log_path);
		else
			rotated_name(from, sizeof(from), n - 1);
		rename(from, to); /* a missing older file is fine */
	}
	log_close();
	open_file();
}

void log_msg(enum log_level level, const char *source, const char *fmt, ...)
{
	if (level < log_min)
		return;
	int saved_errno = errno;
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;

	struct strbuf line = STRBUF_INIT;
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	sb_printf(&line, "%s.%03ld %c%02ld:%02ld [%s] %s ", stamp, (long)tv.tv_usec / 1000,
	          sign, off / 3600, (off % 3600) / 60, level_names[level],
	          source ? source : "egs");
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&line, fmt, ap);
	va_end(ap);
	sb_putc(&line, '\n');
	if (line.data) {
		if (log_stderr)
			fs_write_all(2, line.data, line.len);
		if (log_fd >= 0) {
			roll_if_needed();
			if (log_fd >= 0)
				fs_write_all(log_fd, line.data, line.len);
		}
	}
	sb_free(&line);
	errno = saved_errno;
}

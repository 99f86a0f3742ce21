/* The progress bar of egs tool's transfers: one line on a terminal,
 * redrawn in place at most ten times a second, with the current file
 * (name, bytes, percent) and the total (files, bytes, percent, rate, ETA):
 *
 *   [3/10] logs/app.log 1.2/4.0 MiB 30% | 90.1/200.0 MiB 45% 12.3 MiB/s ETA 0:08
 *
 * Callers print their own lines with progress_clear() first; the bar comes
 * back on the next update. Integer arithmetic only (no libm). */
#ifndef EGS_PROGRESS_H
#define EGS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
	int fd;      /* the terminal (stderr) */
	int on;      /* draw at all */
	int shown;   /* a bar is on the screen now */
	uint64_t total_bytes, done_bytes; /* done: finished files + current */
	unsigned total_files, done_files;
	char name[256];               /* the current file, "" for none */
	uint64_t file_size, file_done;
	long long start_ms, last_ms;  /* CLOCK_MONOTONIC */
};

/* 1 when a bar belongs on the screen: not quiet and both stdout and
 * stderr are terminals. */
int progress_wanted(int quiet);
/* Starts p drawing on fd when on (else every call is a no-op but the
 * counters still count). */
void progress_init(struct progress *p, int fd, int on);
void progress_set_total(struct progress *p, uint64_t bytes, unsigned files);
/* A file of size bytes starts. */
void progress_file(struct progress *p, const char *name, uint64_t size);
/* An sftp_progress_fn (ctx is the struct progress): done of the current
 * file's bytes so far. */
void progress_update(void *ctx, uint64_t done, uint64_t total);
/* The current file is finished (its remaining bytes count as done). */
void progress_file_done(struct progress *p);
/* Files finished without progress_file (a batch of small ones): adds
 * bytes and files and redraws. */
void progress_add(struct progress *p, uint64_t bytes, unsigned files);
/* Erases the bar (before other output). */
void progress_clear(struct progress *p);

/* The bar's text for now_ms in at most width columns (no "\r"). Returns
 * the length written into buf (len bytes, NUL-terminated). */
size_t progress_format(const struct progress *p, long long now_ms, int width, char *buf,
                       size_t len);
/* bytes as "512 B", "4.0 KiB", "12.3 MiB", "1.5 GiB". */
void progress_human(uint64_t bytes, char *buf, size_t len);

#endif

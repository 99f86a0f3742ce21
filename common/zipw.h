/* A zip archive writer (PKWARE APPNOTE 6.3) on zlib's raw deflate, for
 * support bundles (egs collect-logs).
 *
 * Each entry gets a local header, its data (deflated with windowBits -15,
 * or stored when empty), and a central directory record; zipw_close()
 * writes the central directory and the end record. CRC-32 is zlib's
 * crc32(); the DOS time/date come from the file's mtime (local time,
 * clamped to 1980..2107) and an extended-timestamp extra field (0x5455)
 * carries the exact UTC mtime. Names are relative with '/'; bit 11 (UTF-8)
 * is set when a name has a byte >= 0x80. Entries are Unix-made (version
 * made by 3.20) with the file's mode in the external attributes.
 *
 * File contents are streamed in 64 KiB chunks, never buffered whole. The
 * local header is written first and patched with pwrite() once the CRC and
 * sizes are known, so there is no data descriptor. No ZIP64: an entry
 * whose size or compressed size would exceed 0xFFFFFFFF bytes, or that
 * would start beyond 4 GiB, or a 65536th entry, is refused (the archive
 * is rolled back to before it: ftruncate) and reported as skipped.
 *
 * The archive is written to a temporary file next to the target and
 * renamed over it by zipw_close() (fs_atomic_begin/commit). */
#ifndef EGS_ZIPW_H
#define EGS_ZIPW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "strbuf.h"

struct zipw;

/* Largest entry (uncompressed and compressed) without ZIP64. */
#define ZIPW_MAX_SIZE 0xFFFFFFFFull

/* Starts an archive that will replace path. Returns the writer, or NULL
 * with err filled (errno set). */
struct zipw *zipw_open(const char *path, struct strbuf *err);

/* Adds the regular file at file as entry name (following symlinks).
 * Returns 0 when added; 1 when skipped (unreadable, not a regular file,
 * too large, read error: err says why and the archive is unchanged);
 * -1 when the archive itself cannot be written (err filled; only
 * zipw_abort is left). */
int zipw_add_file(struct zipw *z, const char *name, const char *file, struct strbuf *err);

/* Adds len bytes from memory as entry name with mtime and mode (e.g.
 * 0644). Same return values as zipw_add_file. */
int zipw_add_data(struct zipw *z, const char *name, const void *data, size_t len, time_t mtime,
                  mode_t mode, struct strbuf *err);

/* The number of entries added so far. */
size_t zipw_count(const struct zipw *z);

/* Writes the central directory and the end record, then renames the
 * temporary file over the target with mode. Frees z either way. Returns 0
 * or -1 with err filled (the target is then untouched). */
int zipw_close(struct zipw *z, mode_t mode, struct strbuf *err);

/* Drops the temporary file and frees z (NULL is fine). */
void zipw_abort(struct zipw *z);

#endif

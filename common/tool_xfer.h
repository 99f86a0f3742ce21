/* The file-transfer verbs of `egs tool` over SFTP: upload-file,
 * upload-directory, download-file, download-directory, with the original
 * egs-tool's messages and exit codes (egs-compat §5.5, §11), spoken
 * through the user's ssh (`ssh -s HOST sftp`, one session per command).
 *
 * Receiving side always atomic: a file appears complete under its name or
 * not at all. Upload: ".NAME.egs-tmp-XXXXXX" in the guest, renamed over
 * NAME (sftp_upload_atomic / sftp_put_batch); download: the same name in
 * the local directory, fsync'd (files over XFER_SMALL) and renamed. Mode
 * and mtime are kept. Leftover temporary files of killed transfers (older
 * than XFER_STALE_AGE seconds) are removed from a destination directory
 * that already existed before the next transfer into it writes there.
 * Files up to XFER_SMALL bytes move in batches with many in flight;
 * larger ones one at a time with pipelined chunks. Symbolic links are
 * never followed inside directories: reported ("skipped symlink REL") and
 * counted. Empty directories are created.
 *
 * Output: progress lines ("Uploading ...", "Uploaded: NAME") and results
 * on stdout, warnings and errors on stderr; a progress bar on stderr
 * when stdout and stderr are terminals (progress.h); --quiet drops the
 * bar and the per-file lines, not warnings, errors or the summary. */
#ifndef EGS_TOOL_XFER_H
#define EGS_TOOL_XFER_H

#include "sftp_client.h"

/* Exit codes. The original returns HRESULTs; a .NET process on Linux
 * exits with their low byte: FileExists 0xA0020001 -> 1, FileNotFound
 * 0xA0020002 -> 2, -1 -> 255. */
#define XFER_EXIT_OK 0
#define XFER_EXIT_EXISTS 1
#define XFER_EXIT_NOT_FOUND 2
#define XFER_EXIT_FAILED 255

#define XFER_SMALL (256u * 1024) /* files up to this size travel in batches */
#define XFER_STALE_AGE 2         /* seconds before a temp counts as leftover */

enum xfer_verb {
	XFER_UPLOAD_FILE,
	XFER_UPLOAD_DIR,
	XFER_DOWNLOAD_FILE,
	XFER_DOWNLOAD_DIR,
};

struct xfer_opts {
	int overwrite; /* replace existing files */
	int recursive; /* directories: include subdirectories */
	int quiet;     /* no progress bar, no per-file lines */
};

/* The verb for a name ("upload-file", ...), or -1. */
int xfer_verb_from_name(const char *name);

/* Runs verb over an initialized client (from, to: as typed by the user;
 * remote relative paths are relative to the SFTP session's start
 * directory, the login's home). Prints the messages; returns the exit code. */
int xfer_run(struct sftp_client *c, enum xfer_verb verb, const char *src, const char *dst,
             const struct xfer_opts *o);

/* The whole command: local checks, `ssh -s TARGET sftp` through
 * tool_spawn_ssh_subsystem(), SFTP init, xfer_run, ssh's exit. Prints a
 * one-line reason on failure; returns the exit code. */
int xfer_main(const char *target, enum xfer_verb verb, const char *src, const char *dst,
              const struct xfer_opts *o);

/* Removes regular files named like sftp_is_temp_name() in the local dir
 * whose mtime is at least min_age seconds old. Returns how many went, or
 * -1 with errno when dir cannot be read. */
int xfer_clean_local_temps(const char *dir, unsigned min_age);

#endif

/* All-or-nothing replacement of several files (ROOT/etc/passwd, shadow,
 * group, gshadow): a process killed at any point leaves either every old
 * file or, after the next filetxn_recover(), every new one.
 *
 * filetxn_commit writes each new file to a temporary name next to its
 * target (fs_atomic_begin's ".NAME.egs-XXXXXX", mode and owner set,
 * fsynced), then the journal (itself written atomically: the commit
 * point) listing "TEMP\tTARGET" lines, then renames every temporary file
 * over its target and removes the journal. filetxn_recover, run before
 * the files are read again, finishes the renames of a journal left by a
 * killed commit and removes the temporary files of a commit killed before
 * its journal was written. Callers serialize both with their own lock
 * (pwdb: ROOT/etc/.pwd.lock). */
#ifndef EGS_FILETXN_H
#define EGS_FILETXN_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

struct filetxn_file {
	const char *path;  /* target, absolute on this machine */
	const void *data;
	size_t len;
	mode_t mode;
	uid_t uid;         /* (uid_t)-1 / (gid_t)-1: leave as created */
	gid_t gid;
};

/* Replaces the n files as one. Returns 0, or -1 with err naming the file
 * (nothing replaced unless the journal was written: then the next
 * filetxn_recover finishes the job). */
int filetxn_commit(const char *journal, const struct filetxn_file *files, size_t n,
                   struct strbuf *err);
/* Rolls a journal forward, then removes stale temporary files of the
 * targets (the n paths). Returns 0, or -1 with err naming the file. */
int filetxn_recover(const char *journal, const char *const *targets, size_t n,
                    struct strbuf *err);

#endif

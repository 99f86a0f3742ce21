/* Several files replaced as one through a journal (common/filetxn.h). */
#include "filetxn.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define FILETXN_MAX 8
#define JOURNAL_MAX 65536

/* The renames of a journal line by line; tolerates renames already done
 * (the temporary file is gone). */
static int roll_forward(const char *journal, char *text, struct strbuf *err)
{
	int rc = 0;
	char *line = text;
	while (*line) {
		char *end = strchr(line, '\n');
		char *tab = strchr(line, '\t');
		if (!end || !tab || tab > end) {
			sb_printf(err, "%s: malformed line (no TEMP<tab>TARGET)", journal);
			return -1;
		}
		*end = '\0';
		*tab = '\0';
		const char *tmp = line, *target = tab + 1;
		if (rename(tmp, target) < 0 && errno != ENOENT) {
			sb_printf(err, "%s: cannot rename %s to %s: %s", journal, tmp, target, strerror(errno));
			rc = -1;
		} else if (fs_fsync_parent(target) < 0) {
			sb_printf(err, "%s: cannot sync the directory of %s: %s", journal, target,
			          strerror(errno));
			rc = -1;
		}
		line = end + 1;
	}
	return rc;
}

static int finish(const char *journal, char *text, struct strbuf *err)
{
	if (roll_forward(journal, text, err) < 0)
		return -1;
	if (unlink(journal) < 0 || fs_fsync_parent(journal) < 0) {
		sb_printf(err, "cannot remove %s: %s", journal, strerror(errno));
		return -1;
	}
	return 0;
}

int filetxn_commit(const char *journal, const struct filetxn_file *files, size_t n,
                   struct strbuf *err)
{
	if (n > FILETXN_MAX) {
		sb_printf(err, "%s: too many files in one transaction", journal);
		return -1;
	}
	char tmp[FILETXN_MAX][PATH_MAX];
	struct strbuf text = STRBUF_INIT;
	size_t done = 0;
	int rc = -1;
	for (; done < n; done++) {
		const struct filetxn_file *f = &files[done];
		if (strpbrk(f->path, "\t\n")) {
			sb_printf(err, "%s: tab or newline in the file name", f->path);
			goto out;
		}
		if (fs_atomic_prepare(f->path, tmp[done], PATH_MAX, f->data, f->len, f->mode, f->uid,
		                      f->gid) < 0) {
			sb_printf(err, "cannot write %s: %s", f->path, strerror(errno));
			goto out;
		}
		sb_printf(&text, "%s\t%s\n", tmp[done], f->path);
	}
	if (!text.data) {
		sb_puts(err, "out of memory");
		goto out;
	}
	/* the commit point: from here on the new files win, even if killed */
	if (fs_write_atomic(journal, text.data, text.len, 0600) < 0) {
		sb_printf(err, "cannot write %s: %s", journal, strerror(errno));
		goto out;
	}
	done = 0; /* the journal owns the temporary files now */
	rc = finish(journal, text.data, err);
out:
	for (size_t i = 0; i < done; i++)
		unlink(tmp[i]);
	sb_free(&text);
	return rc;
}

int filetxn_recover(const char *journal, const char *const *targets, size_t n,
                    struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	int rc = 0;
	if (fs_read_file(journal, &text, JOURNAL_MAX) == 0) {
		/* a journal that is not one whole list cannot happen (it is
		 * written atomically): refuse to guess */
		if (text.len && text.data[text.len - 1] != '\n') {
			sb_printf(err, "%s: truncated (last line has no newline)", journal);
			rc = -1;
		} else {
			rc = finish(journal, text.data ? text.data : (char *)"", err);
		}
	} else if (errno != ENOENT) {
		sb_printf(err, "cannot read %s: %s", journal, strerror(errno));
		rc = -1;
	}
	sb_free(&text);
	if (rc == 0 && fs_atomic_remove_stale(journal) < 0) {
		sb_printf(err, "cannot remove stale temporary files of %s: %s", journal, strerror(errno));
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (fs_atomic_remove_stale(targets[i]) < 0) {
			sb_printf(err, "cannot remove stale temporary files of %s: %s", targets[i],
			          strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* The `ls -l` style "longname" OpenSSH's sftp-server puts in READDIR
 * replies, e.g.
 *   -rw-r--r--    1 root     root         1234 Jan  5 12:34 file.txt
 * Clients such as `sftp ls -l` print it as is. */
#ifndef EGS_SFTP_LONGNAME_H
#define EGS_SFTP_LONGNAME_H

#include <sys/stat.h>
#include <time.h>

#include "strbuf.h"

/* Writes the 10-character mode string ("drwxr-xr-x") plus a NUL into out,
 * as BSD strmode() does without its trailing space. */
void sftp_mode_string(mode_t mode, char out[11]);
/* Appends the longname of name with status st to sb. now is the current
 * time: files modified within the last six months show "Mon dd HH:MM",
 * older (or future) ones "Mon dd  YYYY", in local time. User and group
 * names come from the passwd/group databases (cached), else the numbers.
 * Returns 0 or -1 (ENOMEM). */
int sftp_longname(struct strbuf *sb, const char *name, const struct stat *st, time_t now);

#endif

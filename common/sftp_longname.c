#include "sftp_longname.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

void sftp_mode_string(mode_t mode, char out[11])
{
	switch (mode & S_IFMT) {
	case S_IFDIR: out[0] = 'd'; break;
	case S_IFREG: out[0] = '-'; break;
	case S_IFLNK: out[0] = 'l'; break;
	case S_IFCHR: out[0] = 'c'; break;
	case S_IFBLK: out[0] = 'b'; break;
	case S_IFIFO: out[0] = 'p'; break;
	case S_IFSOCK: out[0] = 's'; break;
	default: out[0] = '?'; break;
	}
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = '\0';
}

/* A tiny cache of id -> name lookups: a directory listing asks for the
 * same few owners again and again, and each lookup reads /etc/passwd. */
#define NAME_CACHE_SIZE 16
struct name_cache {
	unsigned id[NAME_CACHE_SIZE];
	char name[NAME_CACHE_SIZE][33];
	int used;
	int next;
};

static struct name_cache user_cache, group_cache;

static const char *cached_name(struct name_cache *c, unsigned id, int is_group)
{
	for (int i = 0; i < c->used; i++)
		if (c->id[i] == id)
			return c->name[i];
	int slot = c->next;
	c->next = (c->next + 1) % NAME_CACHE_SIZE;
	if (c->used < NAME_CACHE_SIZE)
		c->used++;
	const char *found = NULL;
	if (is_group) {
		struct group *gr = getgrgid(id);
		found = gr ? gr->gr_name : NULL;
	} else {
		struct passwd *pw = getpwuid(id);
		found = pw ? pw->pw_name : NULL;
	}
	c->id[slot] = id;
	/* over-long names fall back to the number, as a cut name would lie */
	if (found && strlen(found) < sizeof(c->name[slot]))
		snprintf(c->name[slot], sizeof(c->name[slot]), "%s", found);
	else
		snprintf(c->name[slot], sizeof(c->name[slot]), "%u", id);
	return c->name[slot];
}

int sftp_longname(struct strbuf *sb, const char *name, const struct stat *st, time_t now)
{
	char mode[11];
	sftp_mode_string(st->st_mode, mode);
	const char *user = cached_name(&user_cache, st->st_uid, 0);
	const char *group = cached_name(&group_cache, st->st_gid, 1);

	char when[32] = "";
	time_t mtime = st->st_mtime;
	struct tm tm;
	if (localtime_r(&mtime, &tm)) {
		const char *fmt = (now - 365 * 24 * 60 * 60 / 2 < mtime && now >= mtime)
		                  ? "%b %e %H:%M" : "%b %e  %Y";
		if (strftime(when, sizeof(when), fmt, &tm) == 0)
			when[0] = '\0';
	}
	int ulen = strlen(user) > 8 ? (int)strlen(user) : 8;
	int glen = strlen(group) > 8 ? (int)strlen(group) : 8;
	/* OpenSSH's strmode() leaves a space after the mode: hence two here */
	return sb_printf(sb, "%s  %3u %-*s %-*s %8llu %s %s", mode,
	                 (unsigned)st->st_nlink, ulen, user, glen, group,
	                 (unsigned long long)st->st_size, when, name);
}

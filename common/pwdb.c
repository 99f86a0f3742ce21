/* ROOT/etc/passwd, shadow, group and gshadow edited in place under the
 * lckpwdf lock (common/pwdb.h). */
#include "pwdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filetxn.h"
#include "fsutil.h"

#define UID_MIN 1000
#define UID_MAX 60000
#define SYS_MIN 100
#define SYS_MAX 999
#define USERS_GID 100
#define LOCK_WAIT_S 15
#define DB_MAX (16 * 1024 * 1024)
/* filetxn's journal of a pwdb_commit (next to .pwd.lock) */
#define PWDB_JOURNAL "/etc/.pwd.egs-journal"

static const char *const file_names[4] = {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"};

static struct pwdb_file *db_file(struct pwdb *db, int i)
{
	struct pwdb_file *f[4] = {&db->passwd, &db->shadow, &db->group, &db->gshadow};
	return f[i];
}

static int lines_push(struct pwdb_file *f, char *line)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		char **v = realloc(f->lines, cap * sizeof(*v));
		if (!v)
			return -1;
		f->lines = v;
		f->cap = cap;
	}
	f->lines[f->n++] = line;
	return 0;
}

static void file_free(struct pwdb_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->lines[i]);
	free(f->lines);
	memset(f, 0, sizeof(*f));
}

/* Loads ROOT+abs into f; a missing file is empty with exists = 0. */
static int file_load(const struct prov_ctx *ctx, const char *abs, struct pwdb_file *f,
                     struct strbuf *err)
{
	memset(f, 0, sizeof(*f));
	char *path = prov_path(ctx, abs);
	if (!path)
		return -1;
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int rc = -1;
	if (fs_read_file(path, &sb, DB_MAX) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			sb_printf(err, "cannot read %s: %s", abs, strerror(errno));
		goto out;
	}
	if (stat(path, &st) < 0) {
		sb_printf(err, "cannot stat %s: %s", abs, strerror(errno));
		goto out;
	}
	f->exists = 1;
	f->mode = st.st_mode & 07777;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
	const char *p = sb_str(&sb), *end = p + sb.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, l);
		if (!line || lines_push(f, line) < 0) {
			free(line);
			sb_printf(err, "out of memory reading %s", abs);
			goto out;
		}
		p += l + 1;
	}
	rc = 0;
out:
	sb_free(&sb);
	free(path);
	return rc;
}

/* Length of the name field of line (up to the first ':'). */
static size_t name_len(const char *line)
{
	return strcspn(line, ":");
}

/* Index of the line whose first field is name, or -1. */
static long find_line(const struct pwdb_file *f, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < f->n; i++)
		if (name_len(f->lines[i]) == nl && strncmp(f->lines[i], name, nl) == 0 &&
		    f->lines[i][nl] == ':')
			return (long)i;
	return -1;
}

/* Copies field idx (0-based, ':'-separated) of line into a malloc'd
 * string ("" when the line is shorter). */
static char *field_dup(const char *line, int idx)
{
	const char *p = line;
	for (int i = 0; i < idx; i++) {
		p = strchr(p, ':');
		if (!p)
			return strdup("");
		p++;
	}
	return strndup(p, strcspn(p, ":"));
}

/* Replaces field idx of *line by value (padding missing fields). */
static int field_set(char **line, int idx, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = *line;
	int i = 0;
	for (; i < idx; i++) {
		size_t l = strcspn(p, ":");
		sb_append(&sb, p, l);
		sb_putc(&sb, ':');
		p += l;
		if (*p == ':')
			p++;
	}
	sb_puts(&sb, value);
	p += strcspn(p, ":");
	sb_puts(&sb, p);
	if (!sb.data && sb_puts(&sb, "") < 0)
		return -1;
	char *s = sb_detach(&sb);
	if (!s)
		return -1;
	free(*line);
	*line = s;
	return 0;
}

/* Parses a numeric field; -1 when empty or not a number. */
static long field_num(const char *line, int idx)
{
	char *s = field_dup(line, idx);
	if (!s)
		return -1;
	char *e;
	long v = strtol(s, &e, 10);
	if (!s[0] || *e || v < 0)
		v = -1;
	free(s);
	return v;
}

/* Starts a database that does not exist yet with one line. */
static int seed_line(struct pwdb_file *f, const char *line)
{
	char *copy = strdup(line);
	if (!copy || lines_push(f, copy) < 0) {
		free(copy);
		return -1;
	}
	f->dirty = 1;
	return 0;
}

/* Under the lock, before reading: finishes the commit of a killed egs
 * (its journal) and removes the temporary files of one killed earlier. */
static int recover(const struct prov_ctx *ctx, struct strbuf *err)
{
	char *journal = prov_path(ctx, PWDB_JOURNAL);
	char *paths[4] = {NULL, NULL, NULL, NULL};
	int rc = -1;
	if (!journal)
		goto nomem;
	for (int i = 0; i < 4; i++)
		if (!(paths[i] = prov_path(ctx, file_names[i])))
			goto nomem;
	rc = filetxn_recover(journal, (const char *const *)paths, 4, err);
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	for (int i = 0; i < 4; i++)
		free(paths[i]);
	free(journal);
	return rc;
}

int pwdb_open(struct pwdb *db, const struct prov_ctx *ctx, int lock, struct strbuf *err)
{
	memset(db, 0, sizeof(*db));
	db->ctx = ctx;
	db->lockfd = -1;
	db->today = (long)(time(NULL) / 86400);
	if (lock && !ctx->dry_run) {
		char *etc = prov_path(ctx, "/etc");
		char *lp = prov_path(ctx, "/etc/.pwd.lock");
		/* a bare tree (initramfs, fresh image) may not even have /etc */
		if (!etc || !lp || fs_mkdir_p(etc, 0755) < 0) {
			sb_printf(err, "cannot create /etc: %s", strerror(errno));
			free(etc);
			free(lp);
			return -1;
		}
		free(etc);
		db->lockfd = open(lp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		free(lp);
		if (db->lockfd < 0) {
			sb_printf(err, "cannot open /etc/.pwd.lock: %s", strerror(errno));
			return -1;
		}
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		int tries = 0;
		while (fcntl(db->lockfd, F_SETLK, &fl) < 0) {
			if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
			    ++tries > LOCK_WAIT_S * 10) {
				sb_printf(err, "cannot lock /etc/.pwd.lock: %s", strerror(errno));
				pwdb_close(db);
				return -1;
			}
			usleep(100000);
		}
		if (recover(ctx, err) < 0) {
			pwdb_close(db);
			return -1;
		}
	}
	for (int i = 0; i < 4; i++) {
		if (file_load(ctx, file_names[i], db_file(db, i), err) < 0) {
			pwdb_close(db);
			return -1;
		}
	}
	/* Minimal guests (an initramfs, a BusyBox image) may have no account
	 * databases at all: start them with root, as an installer would, so
	 * users can be added there too. */
	char shadow_root[64];
	snprintf(shadow_root, sizeof(shadow_root), "root:*:%ld:0:99999:7:::", db->today);
	if ((!db->passwd.exists && (seed_line(&db->passwd, "root:x:0:0:root:/root:/bin/sh") < 0 ||
	                            (!db->shadow.exists && seed_line(&db->shadow, shadow_root) < 0))) ||
	    (!db->group.exists && (seed_line(&db->group, "root:x:0:") < 0 ||
	                           (!db->gshadow.exists && seed_line(&db->gshadow, "root:*::") < 0)))) {
		sb_puts(err, "out of memory");
		pwdb_close(db);
		return -1;
	}
	return 0;
}

void pwdb_close(struct pwdb *db)
{
	for (int i = 0; i < 4; i++)
		file_free(db_file(db, i));
	if (db->lockfd >= 0)
		close(db->lockfd); /* releases the fcntl lock */
	db->lockfd = -1;
}

/* The four files are replaced as one (common/filetxn.h): a kill between
 * two renames would otherwise leave, say, a user in passwd whose private
 * group never reached group, which the next run (finding the user) would
 * not repair. */
int pwdb_commit(struct pwdb *db, struct strbuf *err)
{
	gid_t shadow_gid = 0;
	gid_t g;
	if (pwdb_getgrnam(db, "shadow", &g) == 1)
		shadow_gid = g;
	struct strbuf text[4] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	char *paths[4] = {NULL, NULL, NULL, NULL};
	struct filetxn_file files[4];
	size_t n = 0;
	int rc = -1;
	char *journal = db->ctx->dry_run ? NULL : prov_path(db->ctx, PWDB_JOURNAL);
	if (!db->ctx->dry_run && !journal)
		goto nomem;
	for (int i = 0; i < 4; i++) {
		struct pwdb_file *f = db_file(db, i);
		if (!f->dirty)
			continue;
		if (!f->exists) {
			int secret = i == 1 || i == 3;
			f->mode = secret ? 0640 : 0644;
			f->uid = 0;
			f->gid = secret ? shadow_gid : 0;
		}
		for (size_t j = 0; j < f->n; j++) {
			sb_puts(&text[i], f->lines[j]);
			sb_putc(&text[i], '\n');
		}
		prov_action(db->ctx, "write %s (%zu bytes, mode %04o)", file_names[i], text[i].len,
		            (unsigned)f->mode);
		paths[i] = prov_path(db->ctx, file_names[i]);
		if ((f->n && !text[i].data) || !paths[i])
			goto nomem;
		files[n++] = (struct filetxn_file){.path = paths[i], .data = sb_str(&text[i]),
		                                   .len = text[i].len, .mode = f->mode,
		                                   .uid = f->uid, .gid = f->gid};
	}
	if (n && !db->ctx->dry_run && filetxn_commit(journal, files, n, err) < 0)
		goto out;
	for (int i = 0; i < 4; i++) {
		db_file(db, i)->exists |= db_file(db, i)->dirty;
		db_file(db, i)->dirty = 0;
	}
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	for (int i = 0; i < 4; i++) {
		explicit_bzero(text[i].data ? text[i].data : (char *)"", text[i].data ? text[i].cap : 0);
		sb_free(&text[i]);
		free(paths[i]);
	}
	free(journal);
	return rc;
}

int pwdb_getpwnam(const struct pwdb *db, const char *name, struct pwdb_user *out)
{
	memset(out, 0, sizeof(*out));
	long i = find_line(&db->passwd, name);
	if (i < 0)
		return 0;
	const char *line = db->passwd.lines[i];
	long uid = field_num(line, 2), gid = field_num(line, 3);
	out->name = field_dup(line, 0);
	out->gecos = field_dup(line, 4);
	out->home = field_dup(line, 5);
	out->shell = field_dup(line, 6);
	out->uid = (uid_t)(uid < 0 ? 0 : uid);
	out->gid = (gid_t)(gid < 0 ? 0 : gid);
	if (!out->name || !out->gecos || !out->home || !out->shell) {
		pwdb_user_free(out);
		return -1;
	}
	return 1;
}

void pwdb_user_free(struct pwdb_user *u)
{
	free(u->name);
	free(u->gecos);
	free(u->home);
	free(u->shell);
	free(u->buf);
	memset(u, 0, sizeof(*u));
}

int pwdb_getgrnam(const struct pwdb *db, const char *name, gid_t *gid)
{
	long i = find_line(&db->group, name);
	if (i < 0)
		return 0;
	long g = field_num(db->group.lines[i], 2);
	if (g < 0)
		return 0;
	*gid = (gid_t)g;
	return 1;
}

/* 1 if some line of f has the number num in field idx. */
static int num_used(const struct pwdb_file *f, int idx, long num)
{
	for (size_t i = 0; i < f->n; i++)
		if (field_num(f->lines[i], idx) == num)
			return 1;
	return 0;
}

/* useradd's find_new_uid/gid: normal ids are highest used in range + 1
 * (or the lowest free when that overflows); system ids come from the top
 * of the system range down. prefer (>= 0) is taken when free. */
static long alloc_id(const struct pwdb_file *f, int idx, int system, long prefer)
{
	long lo = system ? SYS_MIN : UID_MIN, hi = system ? SYS_MAX : UID_MAX;
	if (prefer >= lo && prefer <= hi && !num_used(f, idx, prefer))
		return prefer;
	if (system) {
		for (long id = hi; id >= lo; id--)
			if (!num_used(f, idx, id))
				return id;
		return -1;
	}
	long highest = lo - 1;
	for (size_t i = 0; i < f->n; i++) {
		long v = field_num(f->lines[i], idx);
		if (v >= lo && v <= hi && v > highest)
			highest = v;
	}
	if (highest < hi)
		return highest + 1;
	for (long id = lo; id <= hi; id++)
		if (!num_used(f, idx, id))
			return id;
	return -1;
}

/* A name useradd/groupadd would accept (Debian's shadow is lenient:
 * no ':', ',', whitespace, '/', no leading '-', not empty, <= 32). */
static int valid_name(const char *name)
{
	size_t l = strlen(name);
	if (l == 0 || l > 32 || name[0] == '-' || name[0] == '+' || name[0] == '~')
		return 0;
	for (size_t i = 0; i < l; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c == ':' || c == ',' || c == '/' || c == '\\' || c == 0x7f)
			return 0;
	}
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int add_line(struct pwdb_file *f, struct strbuf *sb)
{
	char *s = sb_detach(sb);
	if (!s || lines_push(f, s) < 0) {
		free(s);
		return -1;
	}
	f->dirty = 1;
	return 0;
}

long pwdb_group_add(struct pwdb *db, const char *name, int system, long gid, struct strbuf *err)
{
	if (!valid_name(name)) {
		sb_printf(err, "groupadd: '%s' is not a valid group name", name);
		return -1;
	}
	if (find_line(&db->group, name) >= 0) {
		sb_printf(err, "groupadd: group '%s' already exists", name);
		return -1;
	}
	if (gid < 0)
		gid = alloc_id(&db->group, 2, system, -1);
	if (gid < 0) {
		sb_printf(err, "groupadd: no free gid for '%s'", name);
		return -1;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%s:x:%ld:", name, gid);
	if (add_line(&db->group, &sb) < 0)
		goto nomem;
	sb_printf(&sb, "%s:!::", name);
	if (add_line(&db->gshadow, &sb) < 0)
		goto nomem;
	return gid;
nomem:
	sb_free(&sb);
	sb_printf(err, "groupadd %s: out of memory", name);
	return -1;
}

/* Adds user to the comma list in field idx of *line (once). */
static int add_member(char **line, int idx, const char *user)
{
	char *members = field_dup(*line, idx);
	if (!members)
		return -1;
	size_t ul = strlen(user);
	for (const char *p = members; *p;) {
		size_t l = strcspn(p, ",");
		if (l == ul && strncmp(p, user, ul) == 0) {
			free(members);
			return 0;
		}
		p += l;
		if (*p == ',')
			p++;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%s%s%s", members, members[0] ? "," : "", user);
	free(members);
	int rc = sb.data ? field_set(line, idx, sb_str(&sb)) : -1;
	sb_free(&sb);
	return rc;
}

int pwdb_group_add_member(struct pwdb *db, const char *group, const char *user)
{
	long i = find_line(&db->group, group);
	if (i < 0)
		return -1;
	if (add_member(&db->group.lines[i], 3, user) < 0)
		return -1;
	db->group.dirty = 1;
	long j = find_line(&db->gshadow, group);
	if (j >= 0) {
		if (add_member(&db->gshadow.lines[j], 3, user) < 0)
			return -1;
		db->gshadow.dirty = 1;
	}
	return 0;
}

long pwdb_user_add(struct pwdb *db, const struct pwdb_newuser *u, struct strbuf *err)
{
	if (!valid_name(u->name)) {
		sb_printf(err, "useradd: '%s' is not a valid user name", u->name);
		return -1;
	}
	if (find_line(&db->passwd, u->name) >= 0) {
		sb_printf(err, "useradd: user '%s' already exists", u->name);
		return -1;
	}
	if (u->uid >= 0 && num_used(&db->passwd, 2, u->uid)) {
		sb_printf(err, "useradd: UID %ld is not unique", u->uid);
		return -1;
	}
	long uid = u->uid >= 0 ? u->uid : alloc_id(&db->passwd, 2, u->system, -1);
	if (uid < 0) {
		sb_printf(err, "useradd: no free uid for '%s'", u->name);
		return -1;
	}
	long gid = u->gid;
	if (gid < 0 && u->no_user_group)
		gid = USERS_GID;
	if (gid < 0) {
		if (find_line(&db->group, u->name) >= 0) {
			sb_printf(err, "useradd: group %s exists - if you want to add this user to that group, use -g.",
			          u->name);
			return -1;
		}
		long want = num_used(&db->group, 2, uid) ? alloc_id(&db->group, 2, u->system, -1) : uid;
		gid = pwdb_group_add(db, u->name, u->system, want, err);
		if (gid < 0)
			return -1;
	}
	struct strbuf sb = STRBUF_INIT;
	if (u->home)
		sb_printf(&sb, "%s:x:%ld:%ld:%s:%s:%s", u->name, uid, gid, u->gecos ? u->gecos : "",
		          u->home, u->shell ? u->shell : "/bin/sh");
	else
		sb_printf(&sb, "%s:x:%ld:%ld:%s:/home/%s:%s", u->name, uid, gid,
		          u->gecos ? u->gecos : "", u->name, u->shell ? u->shell : "/bin/sh");
	if (add_line(&db->passwd, &sb) < 0)
		goto nomem;
	if (u->system)
		sb_printf(&sb, "%s:%s:%ld::::::", u->name, u->hash ? u->hash : "!", db->today);
	else
		sb_printf(&sb, "%s:%s:%ld:0:99999:7:::", u->name, u->hash ? u->hash : "!", db->today);
	if (add_line(&db->shadow, &sb) < 0)
		goto nomem;
	return uid;
nomem:
	sb_free(&sb);
	sb_printf(err, "useradd %s: out of memory", u->name);
	return -1;
}

/* The shadow line of name, created from passwd when missing; -1 if the
 * user does not exist. */
static long shadow_line(struct pwdb *db, const char *name)
{
	long i = find_line(&db->shadow, name);
	if (i >= 0)
		return i;
	if (find_line(&db->passwd, name) < 0)
		return -1;
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "%s:!:%ld:0:99999:7:::", name, db->today);
	if (add_line(&db->shadow, &sb) < 0) {
		sb_free(&sb);
		return -1;
	}
	return (long)db->shadow.n - 1;
}

int pwdb_set_hash(struct pwdb *db, const char *name, const char *hash)
{
	long i = shadow_line(db, name);
	if (i < 0)
		return -1;
	char day[32];
	snprintf(day, sizeof(day), "%ld", db->today);
	if (field_set(&db->shadow.lines[i], 1, hash) < 0 ||
	    field_set(&db->shadow.lines[i], 2, day) < 0)
		return -1;
	db->shadow.dirty = 1;
	return 0;
}

int pwdb_lock(struct pwdb *db, const char *name)
{
	long i = shadow_line(db, name);
	if (i < 0)
		return -1;
	char *pw = field_dup(db->shadow.lines[i], 1);
	if (!pw)
		return -1;
	int rc = 0;
	if (pw[0] != '!') {
		struct strbuf sb = STRBUF_INIT;
		sb_printf(&sb, "!%s", pw);
		rc = sb.data ? field_set(&db->shadow.lines[i], 1, sb_str(&sb)) : -1;
		explicit_bzero(sb.data ? sb.data : (char *)"", sb.data ? sb.len : 0);
		sb_free(&sb);
		db->shadow.dirty = 1;
	}
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return rc;
}

int pwdb_expire(struct pwdb *db, const char *name)
{
	long i = shadow_line(db, name);
	if (i < 0 || field_set(&db->shadow.lines[i], 2, "0") < 0)
		return -1;
	db->shadow.dirty = 1;
	return 0;
}

/* Resolves a name in f (field 2 is the id); by name only, as Python's
 * pwd.getpwnam/grp.getgrnam in cloud-init's chownbyname. */
static int resolve(const struct pwdb_file *f, const char *name, long *id)
{
	long i = find_line(f, name);
	if (i < 0)
		return 0;
	*id = field_num(f->lines[i], 2);
	return *id >= 0;
}

int pwdb_lookup_owner(const struct prov_ctx *ctx, const char *user, const char *group,
                      uid_t *uid, gid_t *gid, struct strbuf *err)
{
	struct pwdb db;
	if (pwdb_open(&db, ctx, 0, err) < 0)
		return -1;
	long id;
	int rc = 1;
	if (user) {
		if (resolve(&db.passwd, user, &id))
			*uid = (uid_t)id;
		else
			rc = 0;
	}
	if (group && rc) {
		if (resolve(&db.group, group, &id))
			*gid = (gid_t)id;
		else
			rc = 0;
	}
	pwdb_close(&db);
	return rc;
}


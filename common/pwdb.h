/* The account database of the tree being provisioned: ROOT/etc/passwd,
 * shadow, group and gshadow, edited directly (no useradd/groupadd/chpasswd
 * in the target is needed). pwdb_open takes ROOT/etc/.pwd.lock with a
 * fcntl write lock, as glibc's lckpwdf() does, so shadow's tools and egs
 * never interleave; pwdb_commit replaces each changed file atomically
 * (temp + fsync + rename through prov_write_file), keeping its mode and
 * owner (new files: passwd/group 0644 root:root, shadow/gshadow 0640
 * root:shadow). The changed files are replaced as one (common/filetxn.h,
 * journal ROOT/etc/.pwd.egs-journal): pwdb_open with the lock first
 * finishes a commit a killed egs left half done. Allocation follows Debian's useradd/groupadd defaults
 * (login.defs UID_MIN 1000..UID_MAX 60000: highest used + 1, else the
 * lowest free; system accounts SYS_UID_MIN 100..SYS_UID_MAX 999 from the
 * top down). Nothing here logs a password or a hash. */
#ifndef EGS_PWDB_H
#define EGS_PWDB_H

#include <stddef.h>
#include <sys/types.h>

#include "prov.h"
#include "strbuf.h"

/* One of the four files as lines without their '\n'. */
struct pwdb_file {
	char **lines;
	size_t n, cap;
	int exists;   /* the file was there when loaded */
	int dirty;    /* changed since loaded */
	mode_t mode;  /* as found (or the default for a new file) */
	uid_t uid;
	gid_t gid;
};

struct pwdb {
	const struct prov_ctx *ctx;
	int lockfd;   /* -1 when opened read-only */
	struct pwdb_file passwd, shadow, group, gshadow;
	long today;   /* days since the epoch, for shadow's lastchg */
};

/* Loads the four files of ctx's root. With lock, takes ROOT/etc/.pwd.lock
 * first (waiting up to 15 s, as lckpwdf). A missing passwd/group is an
 * error; a missing shadow/gshadow is created on commit. Returns 0, or -1
 * with the reason in err. */
int pwdb_open(struct pwdb *db, const struct prov_ctx *ctx, int lock, struct strbuf *err);
/* Writes every changed file (atomic, mode/owner kept). 0 or -1 + err. */
int pwdb_commit(struct pwdb *db, struct strbuf *err);
/* Frees everything and releases the lock (without writing). */
void pwdb_close(struct pwdb *db);

/* A passwd entry, pointing into a copy the caller frees with
 * pwdb_entry_free. */
struct pwdb_user {
	char *name, *gecos, *home, *shell;
	uid_t uid;
	gid_t gid;
	char *buf; /* backing storage */
};
/* 1 and *out filled when the user exists, else 0 (-1 on ENOMEM). */
int pwdb_getpwnam(const struct pwdb *db, const char *name, struct pwdb_user *out);
void pwdb_user_free(struct pwdb_user *u);
/* 1 and *gid when the group exists, else 0. */
int pwdb_getgrnam(const struct pwdb *db, const char *name, gid_t *gid);

/* Resolves user and group names (not numbers: as cloud-init's
 * chownbyname) against the tree's passwd/group without a
 * lock (write_files owners). Returns 1 found, 0 unknown, -1 error + err. */
int pwdb_lookup_owner(const struct prov_ctx *ctx, const char *user, const char *group,
                      uid_t *uid, gid_t *gid, struct strbuf *err);

/* groupadd [--system] name: gid -1 allocates one. Returns the gid, or -1
 * (exists already, bad name, ENOMEM) with err. */
long pwdb_group_add(struct pwdb *db, const char *name, int system, long gid, struct strbuf *err);
/* usermod -a -G group user: adds user to the member lists of group (and
 * its gshadow line). 0, or -1 when the group does not exist. */
int pwdb_group_add_member(struct pwdb *db, const char *group, const char *user);

/* What useradd is asked for (NULL / -1: the default). */
struct pwdb_newuser {
	const char *name;
	const char *gecos;
	const char *home;        /* default /home/NAME */
	const char *shell;       /* default /bin/sh (Debian's useradd SHELL) */
	const char *hash;        /* --password: the shadow field; default "!" */
	long uid;                /* -1: allocate */
	long gid;                /* -1: a user private group named NAME */
	int system;              /* system uid range, no password aging */
	int no_user_group;       /* no private group: gid 100 (users) */
};
/* Adds the passwd and shadow lines (and the private group). The home is
 * not created here (pwdb_make_home). Returns the uid, or -1 with err. */
long pwdb_user_add(struct pwdb *db, const struct pwdb_newuser *u, struct strbuf *err);

/* chpasswd -e: sets the shadow password field to hash and lastchg to
 * today (a user without a shadow line gets one). 0, or -1 unknown user. */
int pwdb_set_hash(struct pwdb *db, const char *name, const char *hash);
/* passwd -l: prefixes '!' to the password field (once). 0 or -1. */
int pwdb_lock(struct pwdb *db, const char *name);
/* passwd --expire: lastchg = 0. 0 or -1. */
int pwdb_expire(struct pwdb *db, const char *name);

/* useradd -m: creates ROOT/home (mode 0755, parents 0755, as useradd
 * with UMASK 022) owned by uid:gid with a copy of ROOT/etc/skel (files,
 * directories, symlinks; ownership uid:gid), built as DIR/.NAME.egs-home-
 * XXXXXX and renamed into place, so it is never half filled. Call with the
 * lock held: it removes such temporary homes left by a killed run. An
 * existing home is left alone. 0 or -1 with err. */
int pwdb_make_home(const struct prov_ctx *ctx, const char *home, uid_t uid, gid_t gid,
                   struct strbuf *err);

#endif

/* Hyper-V KVP pool files (DIR/.kvp_pool_N, DIR normally /var/lib/hyperv):
 * a sequence of fixed 2560-byte records, char key[512]; char value[2048];,
 * each UTF-8 and NUL-padded. hv_kvp_daemon owns the files and locks them
 * with fcntl record locks; cloud-init (and the original's .NET FileShare)
 * use flock. Writers here take both, so none of them sees a torn file.
 * Every function that fails fills err (when not NULL) with one line that
 * names the file and, for bad data, the record.
 * fcntl locks belong to the process and drop when ANY descriptor of the
 * file is closed: do not use these from several threads of one process. */
#ifndef EGS_KVP_H
#define EGS_KVP_H

#include <stddef.h>

#include "strbuf.h"

#define KVP_KEY_SIZE 512
#define KVP_VALUE_SIZE 2048
#define KVP_RECORD_SIZE (KVP_KEY_SIZE + KVP_VALUE_SIZE)
#define KVP_DEFAULT_DIR "/var/lib/hyperv"
#define KVP_POOL_EXTERNAL 0 /* host -> guest */
#define KVP_POOL_GUEST 1    /* guest -> host */

/* Validation limits of the original's DataValidator. */
#define KVP_KEY_MAX_UTF16 255
#define KVP_KEY_MAX_BYTES 511
#define KVP_VALUE_MAX_UTF16 1023
#define KVP_VALUE_MAX_BYTES 2047

struct kvp_record {
	char *key;   /* malloc'd, NUL-terminated */
	char *value; /* malloc'd, NUL-terminated */
};

/* The records of one pool, in file order, one per key (a later duplicate
 * replaced the earlier one's value in place). */
struct kvp_pool {
	struct kvp_record *rec;
	size_t count;
	size_t cap;
};

#define KVP_POOL_INIT {NULL, 0, 0}

/* One change for kvp_update(): value NULL deletes the key. */
struct kvp_change {
	const char *key;
	const char *value;
};

/* kvp_update()/kvp_transact() flags. */
#define KVP_CREATE 1 /* create a missing pool file (mode 0644) */

/* "DIR/.kvp_pool_N", malloc'd (NULL: ENOMEM). */
char *kvp_pool_path(const char *dir, int pool);

/* Parses a whole pool file image (len bytes) into out (which must be empty
 * or hold earlier records: they are merged, last wins). name is used in
 * error messages. A length that is not a multiple of 2560, or a key or
 * value field without a NUL, is an error (EINVAL) and out is unchanged. */
int kvp_parse(const void *buf, size_t len, const char *name, struct kvp_pool *out,
              struct strbuf *err);

/* Reads pool N of dir under shared locks (fcntl F_RDLCK + flock LOCK_SH).
 * Returns 0, or -1 with errno: ENOENT when the pool file (or dir) does not
 * exist, which callers treat as "not Hyper-V"; EINVAL for a malformed file. */
int kvp_read(const char *dir, int pool, struct kvp_pool *out, struct strbuf *err);

/* The value of key, or NULL. */
const char *kvp_get(const struct kvp_pool *p, const char *key);
/* Sets key to value (copies both; replaces an existing value in place,
 * else appends). Returns 0 or -1 (ENOMEM). */
int kvp_set(struct kvp_pool *p, const char *key, const char *value);
/* Removes key (keeping the order of the rest). Returns 1 if it was there. */
int kvp_del(struct kvp_pool *p, const char *key);
/* Removes record i (keeping the order of the rest). */
void kvp_remove_at(struct kvp_pool *p, size_t i);
void kvp_pool_free(struct kvp_pool *p);

/* Checks a key and value (value NULL: a delete, always fine) against the
 * original's rules: the key not empty or blank, at most 255 UTF-16 units
 * and 511 UTF-8 bytes; the value at most 1023 UTF-16 units and 2047 bytes;
 * both valid UTF-8. Returns 0 or -1 (EINVAL) with the reason in err. */
int kvp_validate(const char *key, const char *value, struct strbuf *err);

/* The edit step of kvp_transact(): changes pool in memory; returns 0 to
 * write the result back, 1 to leave the file untouched, -1 (with err
 * filled) to fail. */
typedef int (*kvp_edit_fn)(struct kvp_pool *pool, void *ctx, struct strbuf *err);

/* Opens pool N (O_RDWR; created only with KVP_CREATE), takes an exclusive
 * fcntl F_SETLKW lock and flock(LOCK_EX), reads every record under the
 * locks, calls edit, checks that every record fits its fields (key under
 * 512 bytes, value under 2048) and rewrites the file: records
 * from offset 0, one pwrite per 2560-byte record, then ftruncate to
 * count*2560 and fsync. A malformed file is refused (EINVAL) and nothing is
 * written. Returns 0, or -1 with errno (ENOENT: no pool). */
int kvp_transact(const char *dir, int pool, int flags, kvp_edit_fn edit, void *ctx,
                 struct strbuf *err);

/* Applies n changes in one locked rewrite (kvp_transact); every change is
 * validated first and any failure writes nothing. */
int kvp_update(const char *dir, int pool, const struct kvp_change *changes, size_t n,
               int flags, struct strbuf *err);

#endif

/* cloud-init's user and group normalization (ug_util.py,
 * normalize_users_groups; cloud-init.md §4.2), shared by users_groups,
 * ssh and set_passwords, which all need to know the default user.
 *
 * egs has no /etc/cloud/cloud.cfg: the system config it stands for is
 * Debian 12's, i.e. `users: [default]` (used when the cloud-config has no
 * `users` key at all) and the distro default_user below. */
#ifndef EGS_PROV_USERS_H
#define EGS_PROV_USERS_H

#include <stddef.h>

#include "strbuf.h"
#include "yaml.h"

/* Debian 12 cloud.cfg system_info.default_user. */
#define PROV_DEFAULT_USER "debian"
#define PROV_DEFAULT_GECOS "Debian"
#define PROV_DEFAULT_GROUPS "adm,audio,cdrom,dialout,dip,floppy,netdev,plugdev,sudo,video"
#define PROV_DEFAULT_SUDO "ALL=(ALL) NOPASSWD:ALL"
#define PROV_DEFAULT_SHELL "/bin/bash"

/* One option of a user: the key with '-' turned into '_', and the YAML
 * value (borrowed from the cloud-config or from the ugroups' own doc). */
struct ukv {
	char *key;
	const struct ynode *val;
};

struct uentry {
	char *name;
	struct ukv *kv;
	size_t n, cap;
	int is_default; /* the distro default user */
};

struct gentry {
	char *name;
	char **members; /* sorted, unique */
	size_t n;
};

struct ugroups {
	struct uentry *users; /* in creation order: the default user last */
	size_t nusers;
	struct gentry *groups;
	size_t ngroups;
	struct ydoc *doc;     /* owns the built values (default user's) */
};

/* Normalizes cfg's `users`, `user` and `groups` into out. Deprecated
 * forms are accepted with a warning in the log, as cloud-init. Returns 0,
 * or -1 with a message naming the key (cloud-init's TypeError cases). */
int prov_users_normalize(const struct ynode *cfg, struct ugroups *out, struct strbuf *err);
void prov_users_free(struct ugroups *ug);

/* The option key of u, or NULL when absent (a present null is a Y_NULL
 * node). */
const struct ynode *uentry_get(const struct uentry *u, const char *key);

/* The default user's entry, or NULL when there is none (users given
 * without `default`). */
const struct uentry *prov_users_default(const struct ugroups *ug);

/* util.uniq_merge for one value: a string is stripped and split at ','
 * (items are not stripped, empty ones dropped), a list gives its string
 * items, a map its keys. Appends malloc'd strings to the string vector *v (strv.h; count
 * *n), skipping duplicates; free it with strv_free. Returns 0, or -1 for
 * a non-string item (err). */
int prov_users_split(const struct ynode *n, char ***v, size_t *count, const char *what,
                     struct strbuf *err);

#endif

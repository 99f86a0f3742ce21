/* cloud-init's ssh_util.setup_user_keys for the tree being provisioned
 * (cloud-init.md §4.4): the users_groups and ssh modules add keys to a
 * user's authorized_keys with it. */
#ifndef EGS_PROV_SSHKEYS_H
#define EGS_PROV_SSHKEYS_H

#include <stddef.h>

#include "prov.h"
#include "strbuf.h"

/* ssh_util.DISABLE_USER_OPTS, with $USER and $DISABLE_USER filled in
 * (malloc'd; NULL on ENOMEM):
 * no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command="echo
 * 'Please login as the user \"USER\" rather than the user
 * \"DISABLE_USER\".';echo;sleep 10;exit 142" */
char *prov_disable_user_opts(const char *user, const char *disable_user);

/* Adds keys[0..n-1] (authorized_keys lines; with options != NULL each
 * key's own options are replaced by it) to user's authorized_keys file:
 * AuthorizedKeysFile from ROOT/etc/ssh/sshd_config (default
 * %h/.ssh/authorized_keys). An existing key with the same base64 blob is
 * replaced in place, new ones are appended, other lines are kept; invalid
 * key lines are dropped from what is added. Missing directories under the
 * home are made 0700 owned by the user; a new file is 0600 owned by the
 * user; an existing one keeps mode and owner. With n == 0 the file is
 * still created (empty). Returns 0, or -1 with err. */
int prov_setup_user_keys(const struct prov_ctx *ctx, const char *user, char *const *keys, size_t n,
                         const char *options, struct strbuf *err);

#endif

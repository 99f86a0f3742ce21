/* ssh (cloud-init.md §4.4, cc_ssh.py): the datasource's public keys and
 * ssh_authorized_keys for the default user, and for root behind
 * cloud-init's "Please login as ..." prefix unless disable_root is false.
 * Host keys (ssh_deletekeys, ssh_genkeytypes, ssh_keys, ...) are accepted
 * but not applied: egs's own SSH service has its own host key, and
 * deleting OpenSSH's keys without regenerating them would break sshd. */
#include "prov.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "prov_sshkeys.h"
#include "prov_users.h"
#include "strv.h"

static const char *const host_key_keys[] = {
	"ssh_deletekeys", "ssh_genkeytypes", "ssh_keys", "ssh_quiet_keygen", "ssh_publish_hostkeys",
	NULL,
};

static int run_ssh(struct prov_ctx *ctx, struct strbuf *err)
{
	for (size_t i = 0; host_key_keys[i]; i++)
		if (ymap_get(ctx->cfg, host_key_keys[i]))
			prov_not_applied(ctx, host_key_keys[i]);
	struct ugroups ug;
	struct strbuf why = STRBUF_INIT;
	char **keys = NULL;
	size_t n = 0;
	char *opts = NULL;
	if (prov_users_normalize(ctx->cfg, &ug, &why) < 0)
		goto fail;
	const struct uentry *def = prov_users_default(&ug);
	int disable_root = prov_bool(ymap_get(ctx->cfg, "disable_root"), 1);
	const struct ynode *dro = ymap_get(ctx->cfg, "disable_root_opts");
	if (prov_bool(ymap_get(ctx->cfg, "allow_public_ssh_keys"), 1) && ctx->meta &&
	    ctx->meta->public_keys)
		for (char **k = ctx->meta->public_keys; *k; k++)
			if (strv_pushn_unique(&keys, &n, *k, strlen(*k)) < 0)
				goto nomem;
	const struct ynode *ck = ymap_get(ctx->cfg, "ssh_authorized_keys");
	if (ck && ck->kind == Y_SEQ) {
		for (size_t i = 0; i < ck->n; i++) {
			const struct ynode *key = ck->items[i];
			if (key && key->kind == Y_STR &&
			    strv_pushn_unique(&keys, &n, key->str, strlen(key->str)) < 0)
				goto nomem;
		}
	} else if (ck && ck->kind == Y_STR) {
		if (strv_pushn_unique(&keys, &n, ck->str, strlen(ck->str)) < 0)
			goto nomem;
	}
	if (def && prov_setup_user_keys(ctx, def->name, keys, n, NULL, &why) < 0)
		goto fail;
	if (disable_root) {
		const char *tmpl = dro && dro->kind == Y_STR ? dro->str : NULL;
		const char *user = def ? def->name : "NONE";
		if (!tmpl) {
			opts = prov_disable_user_opts(user, "root");
		} else {
			/* $USER then $DISABLE_USER, as str.replace */
			struct strbuf sb = STRBUF_INIT;
			for (const char *p = tmpl; *p;) {
				if (!strncmp(p, "$USER", 5)) {
					sb_puts(&sb, user);
					p += 5;
				} else
					sb_putc(&sb, *p++);
			}
			struct strbuf sb2 = STRBUF_INIT;
			for (const char *p = sb_str(&sb); *p;) {
				if (!strncmp(p, "$DISABLE_USER", 13)) {
					sb_puts(&sb2, "root");
					p += 13;
				} else
					sb_putc(&sb2, *p++);
			}
			sb_free(&sb);
			opts = sb2.data ? sb_detach(&sb2) : strdup("");
		}
		if (!opts)
			goto nomem;
	}
	if (prov_setup_user_keys(ctx, "root", keys, n, opts ? opts : "", &why) < 0)
		goto fail;
	goto out;
nomem:
	sb_puts(&why, "out of memory");
fail:
	/* cloud-init logs and swallows these: the module does not fail */
	log_msg(LOG_WRN, "egs.run", "Applying SSH credentials failed! %s", sb_str(&why));
out:
	(void)err;
	prov_users_free(&ug);
	strv_free(keys);
	free(opts);
	sb_free(&why);
	return 0;
}

const struct prov_module mod_ssh = {
	.name = "ssh",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = NULL,
	.run = run_ssh,
};

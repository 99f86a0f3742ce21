/* egs (egs-compat §13.1, §7): the eryph extension key
 * `egs: {settings: {remote_access, kvp_auth, port_forwarding,
 * provisioning}, update: {...}}` written into the guest service's
 * service-control.conf (RemoteAccessEnabled=true ...). Other lines of the
 * file are kept; the first line with the key (matched as the service
 * reads it: trimmed, case-insensitive) is replaced, else one is appended.
 * update.* is accepted but not applied. */
#include "prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "flags.h"
#include "fsutil.h"

#define EGS_CONFIG_DIR "/etc/opt/eryph/guest-services"

static const struct {
	const char *setting, *key;
} settings[] = {
	{"remote_access", "RemoteAccessEnabled"},
	{"kvp_auth", "KvpAuthEnabled"},
	{"port_forwarding", "PortForwardingEnabled"},
	{"provisioning", "ProvisioningEnabled"},
};

/* Sets key=value in text (see the file comment) into out. */
static void set_line(const char *text, const char *key, const char *value, struct strbuf *out)
{
	int done = 0;
	size_t kl = strlen(key);
	for (const char *p = text; *p;) {
		size_t l = strcspn(p, "\n");
		const char *s = p, *e = p + l;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		const char *ke = eq;
		while (ke && ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		if (!done && *s != '#' && eq && (size_t)(ke - s) == kl && !strncasecmp(s, key, kl)) {
			sb_printf(out, "%s=%s\n", key, value);
			done = 1;
		} else {
			sb_append(out, p, l);
			sb_putc(out, '\n');
		}
		p += l + (p[l] ? 1 : 0);
	}
	if (!done)
		sb_printf(out, "%s=%s\n", key, value);
}

static int run_egs(struct prov_ctx *ctx, struct strbuf *err)
{
	const struct ynode *egs = ymap_get(ctx->cfg, "egs");
	if (!egs || egs->kind == Y_NULL)
		return 0;
	if (egs->kind != Y_MAP) {
		sb_printf(err, "egs: expected a map, got %s", ykind_name(egs->kind));
		return -1;
	}
	if (ymap_get(egs, "update"))
		prov_not_applied(ctx, "egs.update");
	const struct ynode *set = ymap_get(egs, "settings");
	if (!set || set->kind == Y_NULL)
		return 0;
	if (set->kind != Y_MAP) {
		sb_printf(err, "egs.settings: expected a map, got %s", ykind_name(set->kind));
		return -1;
	}
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct ynode *v = ymap_get(set, settings[i].setting);
		if (v && v->kind != Y_BOOL && v->kind != Y_NULL) {
			sb_printf(err, "egs.settings.%s: expected true or false, got %s", settings[i].setting,
			          ykind_name(v->kind));
			return -1;
		}
	}
	const char *path = EGS_CONFIG_DIR "/" FLAGS_FILE;
	char *full = prov_path(ctx, path);
	struct strbuf text = STRBUF_INIT;
	int rc = -1;
	if (!full)
		goto out;
	struct stat st;
	int exists = stat(full, &st) == 0;
	if (fs_read_file(full, &text, FLAGS_MAX_FILE) < 0 && errno != ENOENT) {
		sb_printf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	int changed = 0;
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct ynode *v = ymap_get(set, settings[i].setting);
		if (!v || v->kind != Y_BOOL)
			continue;
		struct strbuf out = STRBUF_INIT;
		set_line(sb_str(&text), settings[i].key, v->b ? "true" : "false", &out);
		sb_free(&text);
		text = out;
		changed = 1;
	}
	rc = 0;
	if (changed && prov_write_file(ctx, path, sb_str(&text), text.len, exists ? st.st_mode & 07777 : 0644,
	                               exists ? st.st_uid : 0, exists ? st.st_gid : 0) < 0) {
		sb_printf(err, "cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
out:
	free(full);
	sb_free(&text);
	return rc;
}

static const char *const egs_keys[] = {"egs", NULL};

const struct prov_module mod_egs = {
	.name = "egs",
	.stage = STAGE_NETWORK,
	.freq = FREQ_INSTANCE,
	.activate_keys = egs_keys,
	.run = run_egs,
};

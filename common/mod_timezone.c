/* timezone (cc_timezone.py, distros.set_etc_timezone): ROOT/etc/timezone
 * and /etc/localtime pointing at /usr/share/zoneinfo/TZ (a symlink when
 * it is one or missing, else a copy), only if that zone file exists in
 * the target. */
#include "prov.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define ZONEINFO "/usr/share/zoneinfo/"

static int run_timezone(struct prov_ctx *ctx, struct strbuf *err)
{
	const struct ynode *tzn = ymap_get(ctx->cfg, "timezone");
	if (!ynode_truthy(tzn))
		return 0;
	if (tzn->kind != Y_STR) {
		sb_printf(err, "timezone: expected a string, got %s", ykind_name(tzn->kind));
		return -1;
	}
	const char *tz = tzn->str;
	struct strbuf zone = STRBUF_INIT, text = STRBUF_INIT, data = STRBUF_INIT;
	char *hzone = NULL, *hlocal = NULL, *tmp = NULL;
	int rc = -1;
	struct stat st;
	sb_printf(&zone, ZONEINFO "%s", tz);
	hzone = prov_path(ctx, sb_str(&zone));
	hlocal = prov_path(ctx, "/etc/localtime");
	if (!hzone || !hlocal)
		goto nomem;
	if (strstr(tz, "..") || stat(hzone, &st) < 0 || !S_ISREG(st.st_mode)) {
		sb_printf(err, "Invalid timezone %s, no file found at %s", tz, sb_str(&zone));
		goto out;
	}
	size_t l = strlen(tz);
	while (l && (tz[l - 1] == ' ' || (tz[l - 1] >= '\t' && tz[l - 1] <= '\r')))
		l--;
	sb_printf(&text, "%.*s\n", (int)l, tz);
	if (prov_write_file(ctx, "/etc/timezone", sb_str(&text), text.len, 0644, (uid_t)-1, (gid_t)-1) < 0) {
		sb_printf(err, "cannot write /etc/timezone: %s", strerror(errno));
		goto out;
	}
	struct stat lst;
	int have = lstat(hlocal, &lst) == 0;
	if (!have || S_ISLNK(lst.st_mode)) {
		prov_action(ctx, "symlink /etc/localtime -> %s", sb_str(&zone));
		if (ctx->dry_run) {
			rc = 0;
			goto out;
		}
		struct strbuf t = STRBUF_INIT;
		sb_printf(&t, "%s.egs-tmp", hlocal);
		tmp = sb_detach(&t);
		if (!tmp)
			goto nomem;
		unlink(tmp);
		if (symlink(sb_str(&zone), tmp) < 0 || rename(tmp, hlocal) < 0) {
			sb_printf(err, "cannot link /etc/localtime: %s", strerror(errno));
			unlink(tmp);
			goto out;
		}
	} else {
		if (fs_read_file(hzone, &data, 16 * 1024 * 1024) < 0 ||
		    prov_write_file(ctx, "/etc/localtime", sb_str(&data), data.len, lst.st_mode & 07777,
		                    lst.st_uid, lst.st_gid) < 0) {
			sb_printf(err, "cannot copy %s to /etc/localtime: %s", sb_str(&zone), strerror(errno));
			goto out;
		}
	}
	rc = 0;
	goto out;
nomem:
	sb_puts(err, "out of memory");
out:
	free(hzone);
	free(hlocal);
	free(tmp);
	sb_free(&zone);
	sb_free(&text);
	sb_free(&data);
	return rc;
}

static const char *const tz_keys[] = {"timezone", NULL};

const struct prov_module mod_timezone = {
	.name = "timezone",
	.stage = STAGE_CONFIG,
	.freq = FREQ_INSTANCE,
	.activate_keys = tz_keys,
	.run = run_timezone,
};

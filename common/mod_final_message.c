/* final_message (cc_final_message.py): prints the message to stderr with
 * $UPTIME, $TIMESTAMP, $DATASOURCE and $VERSION (also lower case, ${x}
 * and jinja's {{ x }} forms) substituted, and writes
 * INSTANCE/boot-finished "UPTIME - TIMESTAMP - v. VERSION". VERSION is
 * egs's version. */
#include "prov.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsutil.h"
#include "log.h"

#define FINAL_MESSAGE_DEF \
	"## template: jinja\nCloud-init v. {{version}} finished at {{timestamp}}. Datasource {{datasource}}.  Up {{uptime}} seconds"

struct subst {
	const char *name, *value;
};

/* The value of name (all lower or all upper case, as cloud-init's
 * subs has both), or NULL. */
static const char *lookup(const struct subst *s, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(s[i].name) != len)
			continue;
		int lower = 1, upper = 1;
		for (size_t j = 0; j < len; j++) {
			lower &= name[j] == s[i].name[j];
			upper &= name[j] == toupper((unsigned char)s[i].name[j]);
		}
		if (lower || upper)
			return s[i].value;
	}
	return NULL;
}

/* templater.render_string, for the basic ($x, ${x}) and simple jinja
 * ({{ x }}) forms; unknown names stay as written. */
static void render(const char *in, const struct subst *s, size_t n, struct strbuf *out)
{
	int jinja = !strncmp(in, "## template: jinja", 18);
	if (jinja || !strncmp(in, "## template: basic", 18)) {
		in += strcspn(in, "\n");
		if (*in)
			in++;
	}
	while (*in) {
		if (jinja && in[0] == '{' && in[1] == '{') {
			const char *p = in + 2;
			while (*p == ' ')
				p++;
			size_t l = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			const char *q = p + l;
			while (*q == ' ')
				q++;
			const char *v = l ? lookup(s, n, p, l) : NULL;
			if (v && q[0] == '}' && q[1] == '}') {
				sb_puts(out, v);
				in = q + 2;
				continue;
			}
		} else if (!jinja && in[0] == '$') {
			int brace = in[1] == '{';
			const char *p = in + 1 + brace;
			size_t l = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			const char *v = l ? lookup(s, n, p, l) : NULL;
			if (v && (!brace || p[l] == '}')) {
				sb_puts(out, v);
				in = p + l + brace;
				continue;
			}
		}
		sb_putc(out, *in++);
	}
}

static int run_final_message(struct prov_ctx *ctx, struct strbuf *err)
{
	char uptime[64] = "0";
	FILE *f = fopen("/proc/uptime", "r");
	if (f) {
		if (fscanf(f, "%63s", uptime) != 1)
			strcpy(uptime, "0");
		fclose(f);
	}
	char ts[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	struct strbuf ds = STRBUF_INIT;
	const struct prov_meta *m = ctx->meta;
	sb_printf(&ds, "DataSource%s", m && m->datasource ? m->datasource : "None");
	if (m && m->seed)
		sb_printf(&ds, " [seed=%s]", m->seed);
	const struct subst subs[] = {
		{"uptime", uptime}, {"timestamp", ts}, {"version", EGS_VERSION}, {"datasource", sb_str(&ds)},
	};
	const struct ynode *fm = ymap_get(ctx->cfg, "final_message");
	const char *msg = fm && fm->kind == Y_STR ? fm->str : (fm && fm->kind != Y_NULL ? fm->text : "");
	while (*msg == ' ' || (*msg >= '\t' && *msg <= '\r'))
		msg++;
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	sb_puts(&in, msg);
	while (in.len && (in.data[in.len - 1] == ' ' || (in.data[in.len - 1] >= '\t' && in.data[in.len - 1] <= '\r')))
		sb_truncate(&in, in.len - 1);
	render(in.len ? sb_str(&in) : FINAL_MESSAGE_DEF, subs, 4, &out);
	fprintf(stderr, "%s\n", sb_str(&out));
	log_msg(LOG_INF, "egs.run", "%s", sb_str(&out));
	struct strbuf bf = STRBUF_INIT;
	sb_printf(&bf, "%s - %s - v. %s\n", uptime, ts, EGS_VERSION);
	char *inst = prov_guest_path(ctx, ctx->instance_dir);
	char *path = inst ? fs_join(inst, "boot-finished") : NULL;
	if (!path || prov_write_file(ctx, path, sb_str(&bf), bf.len, 0644, (uid_t)-1, (gid_t)-1) < 0)
		log_msg(LOG_WRN, "egs.run", "Failed to write boot finished file %s: %s", path ? path : "",
		        strerror(errno));
	(void)err;
	free(inst);
	free(path);
	sb_free(&bf);
	sb_free(&ds);
	sb_free(&in);
	sb_free(&out);
	return 0;
}

const struct prov_module mod_final_message = {
	.name = "final-message",
	.stage = STAGE_FINAL,
	.freq = FREQ_ALWAYS,
	.activate_keys = NULL,
	.run = run_final_message,
};

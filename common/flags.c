#include "flags.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "strbuf.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trims [*s, *e) in place. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

/* Finds the first KEY=VALUE line for key; sets [vs, ve) to the trimmed
 * value. Returns 1 if found. */
static int find_value(const char *text, size_t len, const char *key, const char **vs,
                      const char **ve)
{
	const char *p = text, *end = text + len;
	size_t klen = strlen(key);
	while (p < end) {
		const char *ls = p, *le = p;
		while (le < end && *le != '\n' && *le != '\r')
			le++;
		/* The next line starts after LF, CR or CRLF. */
		p = le;
		if (p < end)
			p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
		trim(&ls, &le);
		if (ls == le || *ls == '#')
			continue;
		const char *eq = memchr(ls, '=', (size_t)(le - ls));
		if (!eq)
			continue;
		const char *ks = ls, *ke = eq;
		trim(&ks, &ke);
		if (ks == ke)
			continue;
		if ((size_t)(ke - ks) != klen || strncasecmp(ks, key, klen) != 0)
			continue;
		*vs = eq + 1;
		*ve = le;
		trim(vs, ve);
		return 1;
	}
	return 0;
}

char *conf_get(const char *text, size_t len, const char *key)
{
	const char *vs, *ve;
	if (!text || !find_value(text, len, key, &vs, &ve))
		return NULL;
	return strndup(vs, (size_t)(ve - vs));
}

/* .NET int.TryParse (NumberStyles.Integer) on an already trimmed string. */
static int parse_int32(const char *s, long *out)
{
	const char *p = s;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return 0;
	long v = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
		if (v > (long)INT_MAX + 1)
			return 0;
	}
	if (!neg && v > INT_MAX)
		return 0;
	*out = neg ? -v : v;
	return 1;
}

int conf_flag_value(const char *value, int def)
{
	long n;
	if (!value)
		return def;
	if (parse_int32(value, &n))
		return n != 0;
	if (strcasecmp(value, "true") == 0)
		return 1;
	if (strcasecmp(value, "false") == 0)
		return 0;
	return def;
}

void flags_defaults(struct egs_flags *f)
{
	f->remote_access = 1;
	f->kvp_auth = 1;
	f->port_forwarding = 0;
	f->provisioning = 1;
	f->auto_update = 1;
}

static int one_flag(const char *text, size_t len, const char *key, int def)
{
	const char *vs, *ve;
	if (!find_value(text, len, key, &vs, &ve))
		return def;
	char buf[32]; /* longer values are neither ints nor bools */
	size_t n = (size_t)(ve - vs);
	if (n >= sizeof(buf))
		return def;
	memcpy(buf, vs, n);
	buf[n] = 0;
	if (strlen(buf) != n) /* an embedded NUL */
		return def;
	return conf_flag_value(buf, def);
}

void flags_parse(const char *text, size_t len, struct egs_flags *f)
{
	flags_defaults(f);
	if (!text)
		return;
	f->remote_access = one_flag(text, len, "RemoteAccessEnabled", f->remote_access);
	f->kvp_auth = one_flag(text, len, "KvpAuthEnabled", f->kvp_auth);
	f->port_forwarding = one_flag(text, len, "PortForwardingEnabled", f->port_forwarding);
	f->provisioning = one_flag(text, len, "ProvisioningEnabled", f->provisioning);
	f->auto_update = one_flag(text, len, "AutoUpdateEnabled", f->auto_update);
}

int flags_load(const char *path, struct egs_flags *f)
{
	struct strbuf sb = STRBUF_INIT;
	flags_defaults(f);
	if (fs_read_file(path, &sb, FLAGS_MAX_FILE) < 0) {
		int saved = errno;
		sb_free(&sb);
		errno = saved;
		return -1;
	}
	flags_parse(sb_str(&sb), sb.len, f);
	sb_free(&sb);
	return 0;
}

/* The trimmed value, or NULL when absent or blank. */
static int get_nonblank(const char *text, size_t len, const char *key, char **out)
{
	const char *vs, *ve;
	*out = NULL;
	if (!find_value(text, len, key, &vs, &ve) || vs == ve)
		return 0;
	*out = strndup(vs, (size_t)(ve - vs));
	return *out ? 0 : -1;
}

int shell_conf_parse(const char *text, size_t len, struct shell_conf *out)
{
	out->shell = out->args = NULL;
	if (!text)
		return 0;
	if (get_nonblank(text, len, "shell", &out->shell) < 0)
		goto nomem;
	if (out->shell && get_nonblank(text, len, "shell-args", &out->args) < 0)
		goto nomem;
	return 0;
nomem:
	shell_conf_free(out);
	errno = ENOMEM;
	return -1;
}

int shell_conf_load(const char *path, struct shell_conf *out)
{
	struct strbuf sb = STRBUF_INIT;
	out->shell = out->args = NULL;
	if (fs_read_file(path, &sb, FLAGS_MAX_FILE) < 0) {
		int saved = errno;
		sb_free(&sb);
		errno = saved;
		return -1;
	}
	int rc = shell_conf_parse(sb_str(&sb), sb.len, out);
	sb_free(&sb);
	return rc;
}

void shell_conf_free(struct shell_conf *sc)
{
	free(sc->shell);
	free(sc->args);
	sc->shell = sc->args = NULL;
}

#include "shellsel.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>


/* Copies s trimmed of leading/trailing whitespace into out. */
static void trim_copy(char *out, size_t cap, const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

int shell_split_args(const char *args, char *buf, size_t bufsz, char **argv, int max)
{
	size_t used = 0;
	int argc = 0;
	const char *p = args;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (argc == max)
			return -1;
		argv[argc++] = buf + used;
		int quoted = 0;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			char c = *p++;
			if (c == '\\' && *p == '"') {
				c = *p++;
			} else if (c == '"') {
				quoted = !quoted;
				continue;
			}
			if (used + 1 >= bufsz)
				return -1;
			buf[used++] = c;
		}
		if (used + 1 > bufsz)
			return -1;
		buf[used++] = '\0';
	}
	return argc;
}

const char *shell_exec_flag(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char name[64];
	size_t n = strcspn(base, ".");
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	for (size_t i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)base[i]);
	name[n] = '\0';
	if (strcmp(name, "pwsh") == 0 || strcmp(name, "powershell") == 0)
		return "-Command";
	if (strcmp(name, "cmd") == 0)
		return "/c";
	return "-c";
}

static int choose(struct shell_choice *out, const char *shell, const char *args,
                  const char *source, int check_absolute)
{
	trim_copy(out->path, sizeof(out->path), shell);
	out->source = source;
	if (check_absolute && out->path[0] != '/') {
		snprintf(out->error, sizeof(out->error),
		         "shell '%.200s' (%s) is not an absolute path", out->path, source);
		return -1;
	}
	out->argv[0] = out->path;
	int n = shell_split_args(args ? args : "", out->argbuf, sizeof(out->argbuf), out->argv + 1,
	                         SHELL_MAX_ARGS);
	if (n < 0) {
		snprintf(out->error, sizeof(out->error), "too many shell arguments (%s)", source);
		return -1;
	}
	out->argv[n + 1] = NULL;
	return 0;
}

static int blank(const char *s)
{
	if (!s)
		return 1;
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

int shell_select(int for_exec, const struct shell_override *ov, const char *env_shell,
                 const char *env_args, const char *default_shell, struct shell_choice *out)
{
	memset(out, 0, sizeof(*out));
	if (ov && !blank(ov->shell))
		return choose(out, ov->shell, ov->args, "override", 1);
	if (for_exec)
		return choose(out, "/bin/sh", NULL, "default", 0);
	if (!blank(env_shell)) {
		char args[1024];
		trim_copy(args, sizeof(args), env_args ? env_args : "");
		return choose(out, env_shell, args, "env", 1);
	}
	return choose(out, default_shell, "-i", "default", 0);
}

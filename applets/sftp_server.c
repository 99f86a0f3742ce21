/* egs sftp-server: SFTP v3 server on stdin/stdout, started for the ssh
 * 'sftp' subsystem (or directly, e.g. by `sftp -D`). Options follow
 * OpenSSH's sftp-server. */
#include "applets.h"
#include "cli.h"
#include "log.h"
#include "sftp_server.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: egs sftp-server [-eR] [-d START_DIR] [-l LOG_LEVEL] [-u UMASK]\n"
	"\n"
	"SFTP v3 server on stdin/stdout, started for the ssh 'sftp' subsystem,\n"
	"speaking OpenSSH's extensions (posix-rename, statvfs, fstatvfs,\n"
	"hardlink, fsync, lsetstat, limits, expand-path).\n"
	"\n"
	"  -d START_DIR  start in this directory (%d: home, %u: user name)\n"
	"  -e            log to stderr\n"
	"  -l LEVEL      QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG, DEBUG1-3\n"
	"                (default ERROR)\n"
	"  -R            read-only: refuse every change\n"
	"  -u UMASK      umask for created files and directories (octal)\n"
	"  -f FACILITY   accepted for compatibility and ignored\n";

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "sftp-server: %s%s%s\n\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
	return 2;
}

/* OpenSSH's level names; returns 0 with *quiet set for QUIET, -1 if unknown. */
static int parse_level(const char *name, enum log_level *level, int *quiet)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{"FATAL", LOG_FTL}, {"ERROR", LOG_ERR}, {"INFO", LOG_INF},
		{"VERBOSE", LOG_DBG}, {"DEBUG", LOG_VRB}, {"DEBUG1", LOG_VRB},
		{"DEBUG2", LOG_VRB}, {"DEBUG3", LOG_VRB},
	};
	*quiet = 0;
	if (!strcasecmp(name, "QUIET")) {
		*quiet = 1;
		*level = LOG_FTL;
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i].name)) {
			*level = names[i].level;
			return 0;
		}
	}
	return -1;
}

/* Expands %d (home directory), %u (user name) and %% in the -d argument.
 * Returns 0, or -1 when it does not fit or has an unknown escape. */
static int expand_start_dir(const char *in, char *out, size_t cap)
{
	struct passwd *pw = getpwuid(getuid());
	const char *home = pw ? pw->pw_dir : getenv("HOME");
	const char *user = pw ? pw->pw_name : "";
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		const char *add;
		char one[2] = {*p, '\0'};
		if (*p != '%') {
			add = one;
		} else {
			p++;
			if (*p == 'd')
				add = home ? home : "/";
			else if (*p == 'u')
				add = user;
			else if (*p == '%')
				add = "%";
			else
				return -1;
		}
		size_t len = strlen(add);
		if (n + len >= cap)
			return -1;
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = '\0';
	return 0;
}

int sftp_server_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	struct sftp_server_opts opts = {0};
	const char *start_dir = NULL;
	int to_stderr = 0, quiet = 0, opt;
	enum log_level level = LOG_ERR;
	optind = 1;
	while ((opt = getopt(argc, argv, "d:ef:l:Ru:")) != -1) {
		switch (opt) {
		case 'd':
			start_dir = optarg;
			break;
		case 'e':
			to_stderr = 1;
			break;
		case 'f':
			break;
		case 'l':
			if (parse_level(optarg, &level, &quiet) < 0)
				return bad_usage("unknown log level", optarg);
			break;
		case 'R':
			opts.read_only = 1;
			break;
		case 'u': {
			char *end;
			errno = 0;
			long mask = strtol(optarg, &end, 8);
			if (errno || end == optarg || *end || mask < 0 || mask > 0777)
				return bad_usage("invalid umask", optarg);
			umask((mode_t)mask);
			break;
		}
		default:
			return bad_usage("bad option", NULL);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);

	log_open(NULL, to_stderr && !quiet, level);
	if (start_dir) {
		char dir[4096];
		if (expand_start_dir(start_dir, dir, sizeof(dir)) < 0)
			return bad_usage("invalid start directory", start_dir);
		if (chdir(dir) < 0) /* OpenSSH carries on in the old directory */
			log_msg(LOG_ERR, "egs.sftp-server", "chdir to \"%s\" failed: %s", dir,
			        strerror(errno));
	}
	/* a client that goes away must surface as EPIPE, not kill us mid-log */
	signal(SIGPIPE, SIG_IGN);
	return sftp_serve(STDIN_FILENO, STDOUT_FILENO, &opts) == 0 ? 0 : 1;
}

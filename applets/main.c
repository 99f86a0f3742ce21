/* The multicall dispatcher: picks an applet from basename(argv[0]) (a
 * leading '-' and an "egs-" prefix removed), else from argv[1] when called
 * as "egs". Also owns the multiplexer options --list, --install, --version. */
#include "applets.h"
#include "cli.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct applet applet_table[] = {
#define APPLET(c_name, name, vis, help) {name, c_name##_main, vis, help},
#include "applets.def"
#undef APPLET
};
const unsigned applet_count = sizeof(applet_table) / sizeof(applet_table[0]);

const struct applet *applet_find(const char *name)
{
	if (strncmp(name, "egs-", 4) == 0)
		name += 4;
	for (unsigned i = 0; i < applet_count; i++)
		if (strcmp(applet_table[i].name, name) == 0)
			return &applet_table[i];
	return NULL;
}

static void print_list(FILE *out, int with_help)
{
	for (unsigned i = 0; i < applet_count; i++) {
		const struct applet *a = &applet_table[i];
		if (with_help)
			fprintf(out, "  %-13s %s%s\n", a->name, a->help,
			        a->visibility == APPLET_INTERNAL ? " (internal)" : "");
		else
			fprintf(out, "%s\n", a->name);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
	        "egs %s - Eryph Guest Services, one static multicall binary\n\n"
	        "Usage: egs APPLET [ARGS...]   or   egs-APPLET [ARGS...] (symlink)\n"
	        "       egs --list | --install DIR [--symlinks] | --version | --help\n\n"
	        "Applets:\n",
	        EGS_VERSION);
	print_list(out, 1);
	fprintf(out, "\n'egs APPLET --help' describes each applet.\n");
}

/* Creates DIR/egs-NAME for every linked applet, pointing at this binary.
 * Hard links by default (they survive the binary being moved within the
 * file system), symbolic links with --symlinks or across file systems.
 * Each name is made under a temporary name and renamed into place, so a
 * re-install never leaves a name missing. */
static int install_links(const char *dir, int symbolic)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "egs --install: cannot find this binary (/proc/self/exe): %s\n",
		        strerror(errno));
		return 1;
	}
	self[n] = '\0';
	int failures = 0;
	for (unsigned i = 0; i < applet_count; i++) {
		const struct applet *a = &applet_table[i];
		if (a->visibility != APPLET_LINKED)
			continue;
		char path[PATH_MAX], tmp[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/egs-%s", dir, a->name) >= (int)sizeof(path) ||
		    snprintf(tmp, sizeof(tmp), "%s/.egs-%s.%ld", dir, a->name, (long)getpid()) >=
		        (int)sizeof(tmp)) {
			fprintf(stderr, "egs --install: path too long: %s\n", dir);
			return 1;
		}
		unlink(tmp);
		int rc = -1;
		if (!symbolic)
			rc = link(self, tmp);
		if (rc < 0 && (symbolic || errno == EXDEV || errno == EPERM))
			rc = symlink(self, tmp);
		if (rc < 0 || rename(tmp, path) < 0) {
			fprintf(stderr, "egs --install: cannot create %s: %s\n", path, strerror(errno));
			unlink(tmp);
			failures++;
			continue;
		}
		printf("%s -> %s\n", path, self);
	}
	return failures ? 1 : 0;
}

static int multiplexer(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *arg = argv[1];
	if (cli_is_help(arg)) {
		usage(stdout);
		return 0;
	}
	if (strcmp(arg, "--list") == 0) {
		print_list(stdout, 0);
		return 0;
	}
	if (strcmp(arg, "--version") == 0) {
		printf("egs %s\n", EGS_VERSION);
		return 0;
	}
	if (strcmp(arg, "--install") == 0) {
		int symbolic = 0;
		const char *dir = NULL;
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--symlinks") == 0 || strcmp(argv[i], "-s") == 0)
				symbolic = 1;
			else if (!dir)
				dir = argv[i];
			else
				dir = "";
		}
		if (!dir || !*dir) {
			fprintf(stderr, "Usage: egs --install DIR [--symlinks]\n");
			return 2;
		}
		return install_links(dir, symbolic);
	}
	const struct applet *a = applet_find(arg);
	if (!a) {
		fprintf(stderr, "egs: unknown applet '%s'\n\n", arg);
		usage(stderr);
		return 127;
	}
	return a->main(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 && argv[0] ? argv[0] : "egs";
	const char *slash = strrchr(name, '/');
	if (slash)
		name = slash + 1;
	if (*name == '-') /* login shells are started as "-name" */
		name++;
	const struct applet *a = applet_find(name);
	if (a)
		return a->main(argc, argv);
	if (strncmp(name, "egs", 3) == 0)
		return multiplexer(argc, argv);
	fprintf(stderr, "egs: unknown applet '%s'\n\n", name);
	usage(stderr);
	return 127;
}

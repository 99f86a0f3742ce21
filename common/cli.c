#include "cli.h"

#include <stdio.h>
#include <string.h>

int cli_is_help(const char *arg)
{
	return arg && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0);
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (cli_is_help(argv[i]))
			return 1;
	}
	return 0;
}

int cli_not_implemented(const char *applet, const char *what)
{
	fprintf(stderr, "egs %s: not implemented yet (%s)\n", applet, what);
	return 2;
}

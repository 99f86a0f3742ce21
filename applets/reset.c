/* egs reset: Forget provisioning state so that the next run provisions again
 * Placeholder until issue 6 lands: --help works, everything else exits 2. */
#include "applets.h"
#include "cli.h"

#include <stdio.h>

static const char usage[] =
	"Usage: egs reset [--logs] [--scripts] [--reset-once] [--keep-per-boot] [--state-dir DIR] [-y]\n"
	"\n"
	"Forget provisioning state so that the next run provisions again.\n"
	"(Not implemented yet: arrives with issue 6.)\n";

int reset_main(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return cli_not_implemented("reset", "issue 6");
}
